"""Every script answers --help at once and turns bad flags into one line, exit 2."""
import subprocess
import sys
import time

import pytest

from conftest import ROOT, assert_ok, assert_one_line_error, installed, run_example

SCRIPTS = ["gpu-test", "xor-numpy", "xor-keras", "mnist_plt", "mnist", "gym-simple"]
HEAVY = ("tensorflow", "keras", "jax", "torch", "matplotlib", "gymnasium")

BAD_FLAGS = [
    ("xor-numpy", ["--seed", "x"], "--seed"),
    ("xor-numpy", ["--seed", "-1"], "--seed"),
    ("xor-numpy", ["--seed", str(2**32)], "--seed"),
    ("xor-keras", ["--seed", "x"], "--seed"),
    ("xor-keras", ["--seed", str(2**40)], "--seed"),
    ("xor-keras", ["--out", "surface.xyz"], "--out"),
    ("mnist", ["--epochs", "-1"], "--epochs"),
    ("mnist", ["--epochs", "abc"], "--epochs"),
    ("mnist", ["--seed", "x"], "--seed"),
    ("mnist", ["--seed", "-1"], "--seed"),
    ("mnist", ["--batch-size", "0"], "--batch-size"),
    ("mnist", ["--batch-size", str(10**20)], "--batch-size"),
    ("mnist", ["--epochs", str(10**20)], "--epochs"),
    ("xor-keras", ["--out", "."], "--out"),
    ("gym-simple", ["--iterations", str(10**20)], "--iterations"),
    ("mnist", ["--data", "no-such.npz"], "--data"),
    ("mnist", ["--data", "main.py"], "--data"),
    ("mnist", ["--out-dir", "main.py"], "--out-dir"),
    ("mnist_plt", ["--index", "-1"], "--index"),
    ("mnist_plt", ["--index", "abc"], "--index"),
    ("mnist_plt", ["--out", "digit.mp4"], "--out"),
    ("mnist_plt", ["--out", "."], "--out"),
    ("mnist_plt", ["--data", "no-such.npz"], "--data"),
    ("gym-simple", ["--episodes", "-1"], "--episodes"),
    ("gym-simple", ["--episodes", "abc"], "--episodes"),
    ("gym-simple", ["--seed", "x"], "--seed"),
    ("gym-simple", ["--seed", str(2**32)], "--seed"),
    ("gpu-test", ["--no-such-flag"], "--no-such-flag"),
    ("gpu-test", ["--backend", "theano"], "--backend"),
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
def test_bad_flag_is_one_line_exit_2_at_once(folder, args, flag):
    """Refused while parsing, before TensorFlow loads: well under the seconds an import takes."""
    start = time.perf_counter()
    result = run_example(folder, *args, timeout=60)
    assert time.perf_counter() - start < 1.5
    assert_one_line_error(result, "error:", flag, code=2)
    assert result.stdout == ""


@pytest.mark.parametrize("folder", ["xor-keras", "mnist_plt", "mnist", "gpu-test"])
def test_unknown_backend_from_the_environment_is_one_line(folder):
    result = run_example(folder, env={"KERAS_BACKEND": "theano"}, timeout=60)
    assert_one_line_error(result, "unknown Keras backend 'theano'", "tensorflow, jax, torch")


@pytest.mark.parametrize("folder", ["xor-keras", "gpu-test"])
def test_backend_from_keras_json_is_respected(folder, tmp_path):
    """A reader who chose a backend in keras.json gets it; --backend still wins."""
    if not installed("torch"):
        pytest.skip("Keras backend torch is not installed")
    (tmp_path / "keras.json").write_text('{"backend": "torch"}')
    env = {"KERAS_HOME": str(tmp_path), "KERAS_MAX_EPOCHS": "1"}
    assert "Keras backend: torch" in assert_ok(run_example(folder, env=env)).stdout
    chosen = assert_ok(run_example(folder, "--backend", "tensorflow", env=env))
    assert "Keras backend: tensorflow" in chosen.stdout


@pytest.mark.parametrize("folder", ["xor-keras", "mnist", "gym-simple"])
def test_missing_backend_names_its_install_command(folder, tmp_path):
    # Hide torch, as on a machine where it was never installed.
    (tmp_path / "sitecustomize.py").write_text("import sys\nsys.modules['torch'] = None\n")
    extra = ["--agent", "keras", "--no-render"] if folder == "gym-simple" else []
    result = run_example(folder, "--backend", "torch", *extra,
                         env={"PYTHONPATH": str(tmp_path)}, timeout=60)
    assert_one_line_error(result, "'torch' is not installed", "pip install -r requirements-torch.txt")
