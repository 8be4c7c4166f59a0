"""gym-simple: the catalog, CartPole's spaces, random episodes, a window or else a GIF."""
import re

import numpy as np
import pytest
from PIL import Image, ImageSequence

from conftest import assert_fails, assert_ok, copy_of, need, run


def episodes(stdout):
    return [int(n) for n in re.findall(r"^Episode finished after (\d+) timesteps$", stdout, re.M)]


def frames(gif):
    with Image.open(gif) as picture:
        return [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(picture)]


@pytest.mark.parametrize("env", [{}, {"DISPLAY": "127.0.0.1:97"}], ids=["no display", "a dead one"])
def test_catalog_spaces_episodes_and_headless_the_gif(tmp_path, env):
    result = assert_ok(run(copy_of(tmp_path, "gym-simple"), "gym-simple", "--seed", 0, env=env))
    lines = result.stdout.splitlines()
    catalog = re.fullmatch(r"Environments: \[(.*)\]", lines[0])[1].split(", ")
    assert {"'CartPole-v0'", "'MountainCar-v0'", "'Acrobot-v1'"} <= set(catalog)
    assert lines[1] == "Action space: Discrete(2)"
    assert re.fullmatch(r"Observation space: Box\(\[-4\.8 .*\], \[4\.8 .*\], \(4,\), float32\)",
                        lines[2])
    lengths, gif = episodes(result.stdout), tmp_path / "gym-simple" / "cartpole.gif"
    assert (len(lengths) == 20 and all(8 <= n <= 100 for n in lengths)
            and lines[-1] == f"animation saved to {gif}")
    shown = frames(gif)  # the first episode: the cart and pole move from frame to frame
    assert 2 <= len(shown) <= lengths[0] and shown[0].shape == (400, 600, 3)
    assert any(np.abs(shown[0].astype(int) - frame).sum() > 1000 for frame in shown[1:])


def test_a_display_that_answers_gets_the_window_and_no_gif(tmp_path, display):
    result = assert_ok(run(copy_of(tmp_path, "gym-simple"), "gym-simple", "--episodes", 2,
                           env=display))
    assert len(episodes(result.stdout)) == 2 and "animation" not in result.stdout
    assert not list((tmp_path / "gym-simple").glob("*.gif"))


def test_an_unknown_environment_ends_with_gymnasiums_message(tmp_path):
    assert_fails(run(copy_of(tmp_path, "gym-simple"), "gym-simple", "--env", "CartPol-v0"),
                 "Did you mean: `CartPole`")


def test_the_posts_mspacman_plays_where_ale_py_is_installed(tmp_path):
    need("ale_py", "pip install ale-py")
    result = assert_ok(run(copy_of(tmp_path, "gym-simple"), "gym-simple", "--env", "MsPacman-v0",
                           "--episodes", 1))
    lines = result.stdout.splitlines()
    assert "'MsPacman-v0'" in lines[0] and lines[1:3] == [
        "Action space: Discrete(9)", "Observation space: Box(0, 255, (210, 160, 3), uint8)"]
    assert frames(tmp_path / "gym-simple" / "mspacman.gif")[0].shape == (210, 160, 3)
