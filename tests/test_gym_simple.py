"""gym-simple: the catalog, CartPole's spaces, random episodes, a window or else a GIF."""
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageSequence

from conftest import assert_fails, assert_ok, copy_of, installed, reader_env, run


def episodes(stdout):
    return [int(n) for n in re.findall(r"^Episode finished after (\d+) timesteps$", stdout, re.M)]


def frames(gif):
    with Image.open(gif) as picture:
        return [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(picture)]


def test_catalog_spaces_episodes_and_the_gif(shared_run):
    checkout, result = shared_run("gym-simple")
    lines = assert_ok(result).stdout.splitlines()  # headless, and not a word on stderr
    catalog = re.fullmatch(r"Environments: \[(.*)\]", lines[0]).group(1).split(", ")
    assert {"'CartPole-v0'", "'MountainCar-v0'", "'Acrobot-v1'"} <= set(catalog)
    assert lines[1] == "Action space: Discrete(2)"
    assert re.fullmatch(r"Observation space: Box\(\[-4\.8 .*\], \[4\.8 .*\], \(4,\), float32\)", lines[2])
    lengths = episodes(result.stdout)
    assert len(lengths) == 20 and all(8 <= n <= 100 for n in lengths)
    gif = checkout / "gym-simple" / "cartpole.gif"
    assert lines[-1] == f"animation saved to {gif}"
    shown = frames(gif)  # the first episode: the cart and pole move from frame to frame
    assert 2 <= len(shown) <= lengths[0] and shown[0].shape == (400, 600, 3)
    assert any(np.abs(shown[0].astype(int) - frame).sum() > 1000 for frame in shown[1:])


def test_a_display_that_is_set_but_dead_gives_the_gif(tmp_path):
    checkout = copy_of(tmp_path, "gym-simple")
    result = assert_ok(run(checkout, "gym-simple", "--episodes", 1, env={"DISPLAY": "127.0.0.1:97"}))
    assert len(episodes(result.stdout)) == 1 and len(frames(checkout / "gym-simple" / "cartpole.gif")) > 1


def test_a_display_that_answers_gets_the_window_and_no_gif(tmp_path):
    if not shutil.which("xvfb-run"):
        pytest.skip("no X server to try a window on (apt-get install xvfb)")
    folder = copy_of(tmp_path, "gym-simple") / "gym-simple"
    result = subprocess.run(["xvfb-run", "-a", sys.executable, "main.py", "--episodes", "2"], cwd=folder,
                            env=reader_env(), capture_output=True, text=True, timeout=300)
    assert len(episodes(assert_ok(result).stdout)) == 2 and "animation" not in result.stdout
    assert not list(folder.glob("*.gif"))


def test_an_unknown_environment_ends_with_gymnasiums_message(tmp_path):
    result = run(copy_of(tmp_path, "gym-simple"), "gym-simple", "--env", "CartPol-v0")
    assert_fails(result, "Did you mean: `CartPole`")


def test_the_posts_mspacman_plays_where_ale_py_is_installed(tmp_path):
    if not installed("ale_py"):
        pytest.skip("ale-py is not installed (pip install ale-py)")
    checkout = copy_of(tmp_path, "gym-simple")
    lines = assert_ok(run(checkout, "gym-simple", "--env", "MsPacman-v0", "--episodes", 1)).stdout.splitlines()
    assert "'MsPacman-v0'" in lines[0] and lines[1:3] == [
        "Action space: Discrete(9)", "Observation space: Box(0, 255, (210, 160, 3), uint8)"]
    assert frames(checkout / "gym-simple" / "mspacman.gif")[0].shape == (210, 160, 3)
