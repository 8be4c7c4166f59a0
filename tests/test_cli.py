"""Every script answers --help at once and turns bad flags into one line, exit 2."""
import subprocess
import sys

import pytest

from conftest import ROOT, assert_one_line_error, run_example

SCRIPTS = ["gpu-test", "xor-numpy", "xor-keras", "mnist_plt", "mnist", "gym-simple"]
HEAVY = ("tensorflow", "keras", "jax", "torch", "matplotlib", "gymnasium")

BAD_FLAGS = [
    ("xor-numpy", ["--iterations", "-1"], "--iterations"),
    ("xor-numpy", ["--iterations", "abc"], "--iterations"),
    ("xor-numpy", ["--seed", "x"], "--seed"),
    ("xor-keras", ["--epochs", "-1"], "--epochs"),
    ("xor-keras", ["--epochs", "abc"], "--epochs"),
    ("xor-keras", ["--seed", "x"], "--seed"),
    ("mnist", ["--epochs", "-1"], "--epochs"),
    ("mnist", ["--epochs", "abc"], "--epochs"),
    ("mnist", ["--seed", "x"], "--seed"),
    ("mnist", ["--batch-size", "0"], "--batch-size"),
    ("mnist_plt", ["--index", "-1"], "--index"),
    ("mnist_plt", ["--index", "abc"], "--index"),
    ("gym-simple", ["--episodes", "-1"], "--episodes"),
    ("gym-simple", ["--episodes", "abc"], "--episodes"),
    ("gym-simple", ["--seed", "x"], "--seed"),
    ("gpu-test", ["--no-such-flag"], "--no-such-flag"),
]


@pytest.mark.parametrize("folder", SCRIPTS)
def test_help_is_instant(folder):
    """--help imports nothing heavy: arguments are parsed before TensorFlow is imported."""
    result = subprocess.run([sys.executable, "-X", "importtime", "main.py", "--help"],
                            cwd=ROOT / folder, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: main.py")
    assert "--backend" in result.stdout or folder == "xor-numpy"
    imported = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines()}
    assert not imported & set(HEAVY), imported & set(HEAVY)


@pytest.mark.parametrize("folder, args, flag", BAD_FLAGS)
def test_bad_flag_is_one_line_exit_2(folder, args, flag):
    result = run_example(folder, *args, timeout=60)
    assert_one_line_error(result, "error:", flag, code=2)


@pytest.mark.parametrize("folder, how", [("xor-keras", "env"), ("mnist_plt", "env"),
                                         ("mnist", "flag"), ("gpu-test", "flag")])
def test_unknown_backend_is_one_line(folder, how):
    if how == "env":
        result = run_example(folder, env={"KERAS_BACKEND": "theano"}, timeout=60)
    else:
        result = run_example(folder, "--backend", "theano", timeout=60)
    assert_one_line_error(result, "unknown Keras backend 'theano'", "pip install -r requirements-")


@pytest.mark.parametrize("folder", ["xor-keras", "mnist", "gym-simple"])
def test_missing_backend_names_its_install_command(folder, tmp_path):
    # Hide torch, as on a machine where it was never installed.
    (tmp_path / "sitecustomize.py").write_text("import sys\nsys.modules['torch'] = None\n")
    extra = ["--agent", "keras", "--no-render"] if folder == "gym-simple" else []
    result = run_example(folder, "--backend", "torch", *extra,
                         env={"PYTHONPATH": str(tmp_path)}, timeout=60)
    assert_one_line_error(result, "'torch' is not installed", "pip install -r requirements-torch.txt")
