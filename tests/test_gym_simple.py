import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageSequence

from conftest import (ROOT, assert_help_is_instant, assert_ok, assert_one_line_error, assert_refused_at_once, hide_modules,
                      installed, interrupt, reader_env, run_example)


def episode_lengths(stdout):
    return [int(n) for n in re.findall(r"^Episode finished after (\d+) timesteps$", stdout, re.M)]


def gif_frames(path):
    with Image.open(path) as gif:
        return [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(gif)]


def test_catalog_spaces_episodes_and_animation(run_once, out):
    gif = out("gym-simple") / "cartpole.gif"
    result = assert_ok(run_once("gym-simple", "--out", gif))  # headless, and not a word on stderr
    lines = result.stdout.splitlines()
    names = re.fullmatch(r"Environments: (.*?); (Atari .*)", lines[0])
    assert "CartPole-v0" in names.group(1).split(", ") and "MountainCar-v0" in names.group(1).split(", ")
    assert ("pip install ale-py" in names.group(2)) != installed("ale_py")
    assert lines[1:3] == ["Action space: Discrete(2)", "Observation space: Box(4,)"]
    assert re.fullmatch(r"Observation bounds: low \[-4\.8 .*\], high \[4\.8 .*\]", lines[3])
    lengths = episode_lengths(result.stdout)
    assert len(lengths) == 20 and all(8 <= n <= 200 for n in lengths)
    assert lines[-1] == f"animation ({lengths[0] + 1} frames) saved to {gif}"
    frames = gif_frames(gif)  # the first episode, frame by frame (Pillow merges frames that look alike)
    assert lengths[0] // 2 < len(frames) <= lengths[0] + 1 and frames[0].shape[:2] == (200, 300)
    assert any(np.abs(frames[0].astype(int) - frame).sum() > 1000 for frame in frames[1:])


def test_same_seed_same_episodes(tmp_path):
    first, again, other = (episode_lengths(assert_ok(run_example("gym-simple", "--no-render", "--seed", seed)).stdout)
                           for seed in (11, 11, 12))
    assert first == again != other


def test_the_posts_mspacman_plays_and_is_saved(tmp_path):
    if not installed("ale_py"):
        pytest.skip("ale-py is not installed (pip install ale-py)")
    gif = tmp_path / "pacman.gif"
    result = assert_ok(run_example("gym-simple", "--env", "MsPacman-v0", "--episodes", 2, "--out", gif))
    lines = result.stdout.splitlines()  # and no banner, no deprecation line on stderr
    assert re.fullmatch(r"Environments: .*; Atari \(ale-py\): \d+ more, e\.g\. MsPacman-v0, ALE/Pong-v5", lines[0])
    assert lines[1:3] == ["Action space: Discrete(9)", "Observation space: Box(210, 160, 3)"]
    lengths = episode_lengths(result.stdout)
    assert len(lengths) == 2 and f"animation ({lengths[0] + 1} frames) saved to {gif}" == lines[-1]
    assert gif_frames(gif)[0].shape[:2] == (210, 160)
    result = run_example("gym-simple", "--env", "MsPacman-v0", "--no-render", "--out", tmp_path / "p.gif", script="agent.py")
    assert_one_line_error(result, "needs discrete actions and a flat observation", "(210, 160, 3)")


def test_the_gif_is_named_after_the_environment(tmp_path):
    folder = tmp_path / "gym-simple"
    shutil.copytree(ROOT / "gym-simple", folder)  # a checkout of the reader's own: the default path
    result = subprocess.run([sys.executable, "main.py", "--env", "Acrobot-v1", "--episodes", "1"], cwd=folder,
                            env=reader_env(), capture_output=True, text=True)
    assert assert_ok(result).stdout.splitlines()[-1].endswith(f"saved to {folder / 'acrobot.gif'}")


def test_atari_without_ale_py_names_its_install_command(tmp_path):
    result = run_example("gym-simple", "--env", "MsPacman-v0", "--no-render", env=hide_modules(tmp_path, "ale_py"))
    assert_one_line_error(result, "doesn't exist", "pip install ale-py")


def test_a_display_that_is_set_but_dead_gives_the_gif(tmp_path):
    result = assert_ok(run_example("gym-simple", "--smoke", "--out", tmp_path / "c.gif", env={"DISPLAY": "127.0.0.1:97"}))
    assert re.search(r"^No window \(.+\): the first episode goes to the GIF$", result.stdout, re.M)
    assert len(gif_frames(tmp_path / "c.gif")) > 1


def test_no_render_writes_nothing(tmp_path):
    assert_ok(run_example("gym-simple", "--no-render", "--smoke", "--out", tmp_path / "x.gif"))
    assert not list(tmp_path.iterdir())


def test_agent_learns_saves_its_policy_and_plays(backend, tmp_path):
    gif = tmp_path / "agent.gif"
    result = assert_ok(run_example("gym-simple", "--smoke", "--out", gif, backend=backend, script="agent.py"))
    out = result.stdout
    assert f"Keras backend: {backend}" in out
    means = [float(m) for m in re.findall(r"^iteration +\d+: mean reward +([\d.]+),", out, re.M)]
    assert len(means) == 10 and np.mean(means[-3:]) > 1.3 * np.mean(means[:3]), means
    assert f"policy saved to {tmp_path / 'policy.keras'}" in out and (tmp_path / "policy.keras").stat().st_size > 10_000
    steps = re.search(r"^Trained agent's episode: (\d+) timesteps, reward \1$", out, re.M)
    assert steps and len(gif_frames(gif)) > 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agent.gif", "policy.keras"]


def test_agent_reports_a_negative_reward_as_a_reward(tmp_path):
    result = assert_ok(run_example("gym-simple", "--env", "MountainCar-v0", "--smoke", "--iterations", 1, "--no-render",
                                   "--out", tmp_path / "m.gif", script="agent.py"))
    assert re.search(r"^Trained agent's episode: 200 timesteps, reward -200$", result.stdout, re.M), result.stdout


@pytest.mark.parametrize("script, args, fragment", [
    ("main.py", ["--env", "CartPol-v0"], "Did you mean: `CartPole`?"),
    ("agent.py", ["--env", "CartPol-v0"], "Did you mean: `CartPole`?"),
    ("agent.py", ["--env", "Pendulum-v1"], "needs discrete actions"),
])
def test_wrong_environments_are_one_line_before_any_training(script, args, fragment, tmp_path):
    result = run_example("gym-simple", *args, "--no-render", "--out", tmp_path / "x.gif", script=script)
    assert_one_line_error(result, fragment)
    assert "Keras backend" not in result.stdout and not list(tmp_path.iterdir())


def test_missing_packages_name_their_install_command(tmp_path):
    result = run_example("gym-simple", "--smoke", "--out", tmp_path / "x.gif", env=hide_modules(tmp_path, "pygame"))
    assert_one_line_error(result, "pygame", 'pip install "gymnasium[classic-control]"')
    result = run_example("gym-simple", "--backend", "torch", "--no-render", "--out", tmp_path / "x.gif",
                         env=hide_modules(tmp_path, "torch"), script="agent.py")
    assert_one_line_error(result, "torch is not installed", "requirements-torch.txt")
    if not installed("flax"):  # Gymnasium's phys2d environments are made with JAX's flax
        result = run_example("gym-simple", "--env", "phys2d/CartPole-v1", "--no-render")
        assert_one_line_error(result, "phys2d/CartPole-v1", "pip install flax" if installed("jax") else "pip install jax")


@pytest.mark.parametrize("script, args, fragment", [
    ("main.py", ["--episodes", "x"], "--episodes"), ("main.py", ["--seed", str(2**32)], "--seed"),
    ("main.py", ["--out", "cartpole.mp4"], "--out"), ("main.py", ["--out", "."], "--out"),
    ("agent.py", ["--iterations", "x"], "--iterations"), ("agent.py", ["--seed", "-1"], "--seed"),
    ("agent.py", ["--out", "agent.mp4"], "--out"),
])
def test_bad_arguments_are_one_line_at_once(script, args, fragment):
    assert_refused_at_once("gym-simple", *args, fragment=fragment, script=script)


def test_agent_in_a_read_only_checkout_is_refused_before_training(read_only_copy):
    result = subprocess.run([sys.executable, "agent.py"], cwd=read_only_copy("gym-simple"), capture_output=True,
                            text=True, env=reader_env())
    assert_one_line_error(result, "--out", "a folder that can be written to", code=2)


def test_help_and_ctrl_c_keep_the_previous_files(tmp_path):
    assert "--episodes" in assert_help_is_instant("gym-simple")
    assert "--iterations" in assert_help_is_instant("gym-simple", script="agent.py")
    (tmp_path / "policy.keras").write_bytes(b"the previous policy")
    (tmp_path / "cartpole.gif").write_bytes(b"the previous animation")
    code, stdout, stderr = interrupt("gym-simple", ["--out", tmp_path / "cartpole.gif"], after="iteration   1:",
                                     script="agent.py")
    assert (code, stderr.splitlines()[-1]) == (130, "interrupted"), stderr
    assert (tmp_path / "policy.keras").read_bytes() == b"the previous policy"
    assert (tmp_path / "cartpole.gif").read_bytes() == b"the previous animation"
