"""gym_agent/agent.py, run as a reader would, in a copy of its folder: it learns, saves its policy
and plays an episode, to a GIF headless, in a window on a display; a mistake is Gymnasium's."""
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT, assert_fails, assert_ok, copy_of, reader_env, run

LOAD = ("import keras, numpy; policy = keras.saving.load_model('policy.keras'); "
        "print(numpy.argmax(policy.predict_on_batch(numpy.zeros((1, 4), 'float32'))[0]))")


def written(folder):
    """The names of the files in this copy of gym_agent/ that the repository's does not hold."""
    shipped = {path.name for path in (ROOT / "gym_agent").iterdir()}
    return {path.name for path in folder.iterdir()} - shipped


def test_smoke_run_learns_saves_its_policy_and_plays(backend, tmp_path):
    folder = copy_of(tmp_path, "gym_agent") / "gym_agent"
    result = assert_ok(run(tmp_path, "gym_agent", "--smoke", script="agent.py", backend=backend))
    *iterations, unsolved, saved, episode, animation = result.stdout.splitlines()
    means = [float(re.match(r"iteration +\d+: mean reward +([\d.]+),", i)[1]) for i in iterations]
    assert len(means) == 10 and np.mean(means[-3:]) > 1.3 * np.mean(means[:3]), means
    assert unsolved == "Not solved in 10 iterations (threshold 195.0)"
    assert saved == f"policy saved to {folder / 'policy.keras'}"
    steps = int(re.fullmatch(r"Trained agent's episode: (\d+) timesteps, reward \1", episode)[1])
    gif = folder / "cartpole-agent.gif"
    frames = int(re.fullmatch(rf"animation \((\d+) frames\) saved to {re.escape(str(gif))}",
                              animation)[1])
    with Image.open(gif) as saved_gif:  # the count printed is the count the GIF holds
        assert 1 < saved_gif.n_frames == frames <= steps + 1 and saved_gif.size == (300, 200)
    assert written(folder) == {"cartpole-agent.gif", "policy.keras"}
    loaded = subprocess.run([sys.executable, "-c", LOAD], cwd=folder, capture_output=True,
                            text=True, env=reader_env(backend, TF_CPP_MIN_LOG_LEVEL="3"))
    assert assert_ok(loaded).stdout in ("0\n", "1\n")  # CartPole's actions: push left, push right


def test_a_window_opens_on_a_display(tmp_path):
    """A real X display (Xvfb): the episode plays in a window, drawn beside TensorFlow; no GIF."""
    if not shutil.which("Xvfb"):
        pytest.skip("Xvfb is not installed (apt-get install xvfb)")
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", "1"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)  # prints its number once up
    try:
        display = {"DISPLAY": f":{xvfb.stdout.readline().strip()}"}
        copy_of(tmp_path, "gym_agent")
        result = assert_ok(run(tmp_path, "gym_agent", "--smoke", "--iterations", 1,
                               script="agent.py", backend="tensorflow", env=display))
    finally:
        xvfb.terminate()
    assert result.stdout.splitlines()[-1].startswith("Trained agent's episode: ")
    assert written(tmp_path / "gym_agent") == {"policy.keras"}


def test_an_unknown_environment_ends_with_gymnasiums_message(tmp_path):
    copy_of(tmp_path, "gym_agent")
    result = run(tmp_path, "gym_agent", "--env", "CartPol-v0", script="agent.py")
    assert assert_fails(result) == ("gymnasium.error.NameNotFound: Environment `CartPol` doesn't "
                                    "exist. Did you mean: `CartPole`?")
    assert written(tmp_path / "gym_agent") == set()
