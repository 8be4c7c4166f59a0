import subprocess
import sys

import pytest
from matplotlib import image

from conftest import (assert_help_is_instant, assert_ok, assert_one_line_error, assert_quiet_when_cut_short,
                      assert_refused_at_once, hide_modules, interrupt, reader_env, run_example, stderr_lines)

DEAD_DISPLAY = {"DISPLAY": "127.0.0.1:97"}  # set, but no X server answers: a stale `ssh -X`, WSL without WSLg


def test_learns_xor_and_prints_as_the_post(run_once, out, backend):
    surface = out("xor-keras", backend) / "decision_boundary.png"
    result = assert_ok(run_once("xor-keras", "--plot", surface, backend=backend))
    lines = result.stdout.splitlines()
    assert lines[0] == f"Keras backend: {backend}"
    # the post's verbose=2: two plain lines an epoch, no progress bar
    assert [line for line in lines if line.startswith("Epoch ")] == [f"Epoch {i}/500" for i in range(1, 501)]
    assert "\x1b[" not in result.stdout and "━" not in result.stdout
    assert lines[-2:] == ["prediction: [[0.] [1.] [1.] [0.]]", f"decision surface saved to {surface}"]
    rgb = image.imread(surface)[..., :3]
    assert rgb.shape[0] > 300 and rgb.shape[1] > 300
    # a real surface: both ends of the colormap, blue (output 0) and red (output 1), over large areas
    assert (rgb[..., 2] - rgb[..., 0] > 0.2).sum() > 10_000 and (rgb[..., 0] - rgb[..., 2] > 0.2).sum() > 10_000


def test_a_dead_display_says_nothing_a_reader_cannot_act_on(tmp_path):
    # a display set but dead: the figure in its file, and no Matplotlib warning that it cannot be shown;
    # KERAS_MAX_EPOCHS, the reader's own setting, which Keras reads and says so: 3 epochs
    result = run_example("xor-keras", "--plot", tmp_path / "s.png", env={"KERAS_MAX_EPOCHS": "3", **DEAD_DISPLAY})
    assert result.returncode == 0 and result.stdout.count("Epoch ") == 3 and "prediction: [[" in result.stdout
    assert without_keras_limit(stderr_lines(result)) == []
    assert image.imread(tmp_path / "s.png").shape[0] > 300


@pytest.mark.parametrize("args, fragment", [
    (["--seed", "x"], "--seed"), (["--seed", str(2**40)], "--seed"), (["--plot", "surface.xyz"], "--plot"),
    (["--plot", "."], "--plot"), (["--backend", "theano"], "--backend"),
])
def test_bad_arguments_are_one_line_at_once(args, fragment):
    assert_refused_at_once("xor-keras", *args, fragment=fragment)


def test_a_figure_that_cannot_be_written_is_one_line(read_only_copy, tmp_path):
    folder = read_only_copy("xor-keras")
    result = subprocess.run([sys.executable, "main.py", "--plot"], cwd=folder, capture_output=True, text=True,
                            env=reader_env(KERAS_MAX_EPOCHS="3"))
    lines = without_keras_limit(stderr_lines(result))
    assert result.returncode == 1 and len(lines) == 1 and lines[0].startswith("error: [Errno"), result.stderr
    assert lines[0].endswith(f"'{folder / 'decision_boundary.png'}'")
    result = run_example("xor-keras", "--plot", tmp_path / "no-such-folder" / "s.png", env={"KERAS_MAX_EPOCHS": "3"})
    assert result.returncode == 1 and without_keras_limit(stderr_lines(result))[0].endswith("No such file or directory: "
                                                                                          f"'{tmp_path / 'no-such-folder' / 's.png'}'")


def without_keras_limit(lines):
    """Less Keras's own warning on the reader's KERAS_MAX_EPOCHS (two lines)."""
    return [line for line in lines if "Limiting epochs" not in line and "warnings.warn" not in line]


def test_missing_backend_and_refused_settings_are_one_line(tmp_path):
    result = run_example("xor-keras", "--backend", "torch", env=hide_modules(tmp_path, "torch"))
    assert_one_line_error(result, "torch is not installed", "requirements-torch.txt")
    (tmp_path / "keras.json").write_text('{"floatx": "bfloat16"}')
    result = run_example("xor-keras", env={"KERAS_HOME": str(tmp_path)})
    assert_one_line_error(result, str(tmp_path / "keras.json"), "floatx=bfloat16")


def test_help_ctrl_c_and_a_closed_pipe():
    assert "--plot" in assert_help_is_instant("xor-keras")
    code, stdout, stderr = interrupt("xor-keras", [], after="Epoch 3/")
    assert (code, stderr.splitlines()[-1]) == (130, "interrupted"), stderr
    assert_quiet_when_cut_short("xor-keras", env={"KERAS_MAX_EPOCHS": "3"})
