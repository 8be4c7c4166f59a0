"""gym_agent/agent.py: it learns, saves its policy and plays an episode, to a GIF headless, in a
window on a display."""
import re

import numpy as np
from PIL import Image

from conftest import assert_ok, copy_of, run


def agent(tmp_path, *args, backend="tensorflow", env=None):
    """agent.py run in a copy of gym_agent/: the result, and the files it wrote there."""
    before = {path.name for path in (copy_of(tmp_path, "gym_agent") / "gym_agent").iterdir()}
    result = run(tmp_path, "gym_agent", *args, script="agent.py", backend=backend, env=env)
    return result, {path.name for path in (tmp_path / "gym_agent").iterdir()} - before


def test_smoke_run_learns_saves_its_policy_and_plays(backend, tmp_path):
    result, written = agent(tmp_path, "--smoke", backend=backend)
    *iterations, unsolved, saved, episode, animation = assert_ok(result).stdout.splitlines()
    means = [float(re.match(r"iteration +\d+: mean reward +([\d.]+),", line)[1])
             for line in iterations]
    assert len(means) == 10 and np.mean(means[-3:]) > 1.3 * np.mean(means[:3]), means
    folder = tmp_path / "gym_agent"
    assert unsolved == "Not solved in 10 iterations (threshold 195.0)"
    assert saved == f"policy saved to {folder / 'policy.keras'}"
    steps = int(re.fullmatch(r"Trained agent's episode: (\d+) timesteps, reward \1", episode)[1])
    gif = folder / "cartpole-agent.gif"
    frames = int(re.fullmatch(rf"animation \((\d+) frames\) saved to {re.escape(str(gif))}",
                              animation)[1])
    with Image.open(gif) as picture:  # the count printed is the count the GIF holds
        assert 1 < picture.n_frames == frames <= steps + 1 and picture.size == (300, 200)
    assert written == {"cartpole-agent.gif", "policy.keras"}
    loaded = run(tmp_path, "gym_agent",
                 "import keras, numpy; policy = keras.saving.load_model('policy.keras'); "
                 "print(numpy.argmax(policy.predict_on_batch(numpy.zeros((1, 4), 'float32'))[0]))",
                 script="-c", backend=backend, env={"TF_CPP_MIN_LOG_LEVEL": "3"})
    assert assert_ok(loaded).stdout in ("0\n", "1\n")  # CartPole's actions: push left, push right


def test_a_window_opens_on_a_display(tmp_path, display):
    # beside TensorFlow
    result, written = agent(tmp_path, "--smoke", "--iterations", 1, env=display)
    assert assert_ok(result).stdout.splitlines()[-1].startswith("Trained agent's episode: ")
    assert written == {"policy.keras"}
