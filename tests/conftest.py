"""Run each example as a reader would: `python main.py ...` in its own folder."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
MNIST_SMALL = DATA / "mnist_small.npz"
BACKENDS = ["tensorflow", "jax", "torch"]


def reader_env(backend=None, **extra):
    """The environment of a reader's headless server: no display and no hint for one (no
    Matplotlib backend, no SDL driver), no Keras limits; the scripts must cope."""
    hidden = ("DISPLAY", "WAYLAND_DISPLAY", "KERAS_BACKEND", "KERAS_MAX_EPOCHS", "KERAS_MAX_STEPS_PER_EPOCH")
    env = {k: v for k, v in os.environ.items() if k not in hidden and not k.startswith(("MPL", "SDL_"))}
    env.update({"PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"})
    if backend:
        env["KERAS_BACKEND"] = backend
    env.update(extra)
    return env


def run_example(folder, *args, backend=None, env=None, timeout=600):
    """Run `python main.py ARGS` in ROOT/folder as a reader would, headless; return the result."""
    return subprocess.run([sys.executable, "main.py", *map(str, args)], cwd=ROOT / folder,
                          env=reader_env(backend, **(env or {})), capture_output=True, text=True,
                          timeout=timeout)


def installed(backend):
    return importlib.util.find_spec(backend) is not None


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Each Keras backend that is installed here; a visible skip for the others."""
    if not installed(request.param):
        pytest.skip(f"Keras backend {request.param} is not installed "
                    f"(pip install -r requirements-{request.param}.txt)")
    return request.param


def assert_ok(result):
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return result


def assert_one_line_error(result, *fragments, code=None):
    """A user mistake: non-zero exit, one line on stderr naming the problem, no traceback."""
    assert result.returncode != 0, result.stdout[-2000:]
    if code is not None:
        assert result.returncode == code
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]
