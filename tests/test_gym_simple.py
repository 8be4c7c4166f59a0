import importlib.util
import re

import numpy as np
import pytest
from PIL import Image, ImageSequence

from conftest import assert_ok, assert_one_line_error, run_example


def episode_lengths(stdout):
    return [int(n) for n in re.findall(r"^Episode finished after (\d+) timesteps$", stdout, re.M)]


def gif_frames(path):
    with Image.open(path) as gif:
        return [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(gif)]


def test_catalog_spaces_episodes_and_animation(tmp_path):
    gif = tmp_path / "cartpole.gif"
    result = assert_ok(run_example("gym-simple", "--episodes", 5, "--seed", 3, "--out", gif))
    out = result.stdout
    catalog = re.search(r"^Environments: (.*)$", out, re.M)
    names = catalog.group(1).split(", ")
    assert "CartPole-v0" in names and "MountainCar-v0" in names and len(names) == len(set(names)) > 10
    assert "Action space: Discrete(2)" in out.splitlines()
    assert "Observation space: Box(4,)" in out.splitlines()
    assert re.search(r"^Observation bounds: low \[-4\.8 .*\], high \[4\.8 .*\]$", out, re.M)
    lengths = episode_lengths(out)
    assert len(lengths) == 5 and all(8 <= n <= 200 for n in lengths)
    assert f"saved to {gif}" in out
    frames = gif_frames(gif)
    # the first episode, frame by frame (the GIF writer merges frames that look the same)
    assert lengths[0] // 2 < len(frames) <= lengths[0] + 1
    assert frames[0].shape[:2] == (200, 300)
    assert any(np.abs(frames[0].astype(int) - f).sum() > 1000 for f in frames[1:])
    # headless with no SDL or Matplotlib hint, as a reader's server: not a word on stderr
    assert result.stderr.strip() == ""
    assert not list(tmp_path.glob(".tmp-*"))


def test_same_seed_same_episodes():
    first = episode_lengths(assert_ok(run_example("gym-simple", "--no-render", "--seed", 11)).stdout)
    again = episode_lengths(assert_ok(run_example("gym-simple", "--no-render", "--seed", 11)).stdout)
    other = episode_lengths(assert_ok(run_example("gym-simple", "--no-render", "--seed", 12)).stdout)
    assert len(first) == 20
    assert first == again
    assert first != other


def test_no_render_writes_nothing(tmp_path):
    assert_ok(run_example("gym-simple", "--no-render", "--smoke", "--out", tmp_path / "x.gif"))
    assert not list(tmp_path.iterdir())


def test_unknown_env_names_close_matches():
    result = run_example("gym-simple", "--env", "CartPol-v0", "--no-render")
    assert_one_line_error(result, "no such environment", "CartPole-v0")


def test_missing_pygame_names_the_install_command(tmp_path):
    # Hide pygame from the script, as on a machine where it was never installed.
    (tmp_path / "sitecustomize.py").write_text("import sys\nsys.modules['pygame'] = None\n")
    result = run_example("gym-simple", "--smoke", "--out", tmp_path / "x.gif",
                         env={"PYTHONPATH": str(tmp_path)})
    assert_one_line_error(result, "pygame", 'pip install "gymnasium[classic-control]"')


def test_agent_training_improves_the_reward(backend, tmp_path):
    gif = tmp_path / "agent.gif"
    result = assert_ok(run_example("gym-simple", "--agent", "keras", "--smoke", "--seed", 0,
                                   "--out", gif, backend=backend))
    out = result.stdout
    assert f"Keras backend: {backend}" in out
    means = [float(m) for m in re.findall(r"^iteration +\d+: mean reward +([\d.]+),", out, re.M)]
    assert len(means) == 10
    assert np.mean(means[-3:]) > 1.3 * np.mean(means[:3]), means
    assert (tmp_path / "policy.keras").stat().st_size > 10_000
    assert re.search(r"^Trained agent's episode: (\d+) timesteps, reward \1$", out, re.M)
    assert len(gif_frames(gif)) > 1


def test_agent_needs_discrete_actions():
    result = run_example("gym-simple", "--env", "Pendulum-v1", "--agent", "keras", "--no-render")
    assert_one_line_error(result, "needs discrete actions", "Pendulum-v1")


@pytest.mark.parametrize("out, fragment", [("cartpole.mp4", "must end in .gif"), (".", "is a folder")])
def test_bad_out_is_refused_before_any_work(out, fragment, tmp_path):
    result = run_example("gym-simple", "--out", tmp_path / out, timeout=60)
    assert_one_line_error(result, "--out", fragment, code=2)
    assert "Environments" not in result.stdout


def test_env_that_needs_a_missing_package_is_one_line():
    if importlib.util.find_spec("flax"):
        pytest.skip("flax is installed here, so phys2d/CartPole-v1 can be made")
    result = run_example("gym-simple", "--env", "phys2d/CartPole-v1", "--no-render")
    assert_one_line_error(result, "phys2d/CartPole-v1", "not installed", "pip install")
