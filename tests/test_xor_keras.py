import subprocess
import sys

import pytest
from matplotlib import image

from conftest import (assert_help_is_instant, assert_ok, assert_one_line_error, assert_quiet_when_cut_short,
                      assert_refused_at_once, hide_modules, interrupt, run_example)

DEAD_DISPLAY = {"DISPLAY": "127.0.0.1:97"}  # set, but no X server answers: a stale `ssh -X`, WSL without WSLg


def test_learns_xor_and_prints_as_the_post(run_once, out, backend):
    surface = out("xor-keras", backend) / "decision_boundary.png"
    result = assert_ok(run_once("xor-keras", "--plot", "--out", surface, backend=backend))
    lines = result.stdout.splitlines()
    assert lines[0] == f"Keras backend: {backend}"
    # the post's verbose=2: two plain lines an epoch, no progress bar
    assert [line for line in lines if line.startswith("Epoch ")] == [f"Epoch {i}/500" for i in range(1, 501)]
    assert "\x1b[" not in result.stdout and "━" not in result.stdout
    assert lines[-2:] == ["prediction: [[0.] [1.] [1.] [0.]]", f"decision surface saved to {surface}"]
    rgb = image.imread(surface)[..., :3]
    assert rgb.shape[0] > 300 and rgb.shape[1] > 300
    # a real surface: both the blue (output 0) and the red (output 1) ends of the colormap are drawn
    assert ((rgb[..., 2] > 0.5) & (rgb[..., 0] < 0.3)).sum() > 500
    assert ((rgb[..., 0] > 0.5) & (rgb[..., 2] < 0.3)).sum() > 500


def test_keras_max_epochs_and_a_dead_display_say_nothing_a_reader_cannot_act_on(tmp_path):
    # KERAS_MAX_EPOCHS=3, which Keras reads: 3 epochs and no "Limiting epochs" warning; a display set
    # but dead: the figure in its file, and no Matplotlib warning that it cannot be shown
    result = assert_ok(run_example("xor-keras", "--plot", "--out", tmp_path / "s.png",
                                   env={"KERAS_MAX_EPOCHS": "3", **DEAD_DISPLAY}))
    assert result.stdout.count("Epoch ") == 3 and "prediction: [[" in result.stdout
    assert image.imread(tmp_path / "s.png").shape[0] > 300


@pytest.mark.parametrize("args, fragment", [
    (["--seed", "x"], "--seed"), (["--seed", str(2**40)], "--seed"), (["--plot", "--out", "surface.xyz"], "--out"),
    (["--plot", "--out", "."], "--out"), (["--plot", "--out", "main.py/s.png"], "cannot write"), (["--backend", "theano"], "--backend"),
    (["--out", "s.png"], "add --plot"),
])
def test_bad_arguments_are_one_line_at_once(args, fragment):
    assert_refused_at_once("xor-keras", *args, fragment=fragment)


def test_default_figure_in_a_read_only_checkout_is_refused_at_once(read_only_copy):
    folder = read_only_copy("xor-keras")
    result = subprocess.run([sys.executable, "main.py", "--plot"], cwd=folder, capture_output=True, text=True)
    assert_one_line_error(result, "--out", "cannot write", code=2)


def test_missing_backend_and_refused_settings_are_one_line(tmp_path):
    result = run_example("xor-keras", "--backend", "torch", env=hide_modules(tmp_path, "torch"))
    assert_one_line_error(result, "torch is not installed", "pip install -r requirements-torch.txt")
    (tmp_path / "keras.json").write_text('{"floatx": "bfloat16"}')
    result = run_example("xor-keras", env={"KERAS_HOME": str(tmp_path)})
    assert_one_line_error(result, str(tmp_path / "keras.json"), "floatx=bfloat16")


def test_help_ctrl_c_and_a_closed_pipe():
    assert "--plot" in assert_help_is_instant("xor-keras")
    code, stdout, stderr = interrupt("xor-keras", [], after="Epoch 3/")
    assert (code, stderr.splitlines()[-1]) == (130, "interrupted"), stderr
    assert_quiet_when_cut_short("xor-keras", env={"KERAS_MAX_EPOCHS": "3"})
