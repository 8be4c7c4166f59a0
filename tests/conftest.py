"""Run each script as a reader would: `python main.py ...` in its folder, headless, on a copy of
the folder under a temporary one (the repository's layout kept), so the checkout never changes."""
import hashlib
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MNIST = ROOT / "tests" / "data" / "mnist_small.npz"  # MNIST's first 2,048 training and 512 test digits
BACKENDS = ["tensorflow", "jax", "torch"]
# What TensorFlow prints on import whatever TF_CPP_MIN_LOG_LEVEL says (bench/README.md names the
# upstream issue); anything else on stderr counts.
TENSORFLOW_IMPORT = re.compile(r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to "
                               r"STDERR|[IWE]\d{4} [\d:. ]+\d+ (port\.cc:\d+\] oneDNN custom operations are on|"
                               r"cudart_stub\.cc:\d+\] Could not find cuda drivers)")


def checkout_files():
    """{path: sha256} of every file in the checkout, tracked or not, caches and virtual environments aside."""
    found, skip = {}, {".git", "__pycache__", ".pytest_cache"}
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [d for d in subfolders if d not in skip and not (Path(folder, d) / "pyvenv.cfg").exists()]
        for name in files:
            path = Path(folder, name)
            found[str(path.relative_to(ROOT))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def pytest_sessionstart(session):
    if not hasattr(session.config, "workerinput"):  # once, in pytest-xdist's controller or a plain run
        session.config.checkout_before = checkout_files()


def pytest_sessionfinish(session, exitstatus):
    """The suite fails if it wrote, changed or deleted a file of the checkout."""
    if hasattr(session.config, "checkout_before"):
        before, after = session.config.checkout_before, checkout_files()
        changed = sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))
        if changed:
            reporter = session.config.pluginmanager.get_plugin("terminalreporter")
            reporter.write_line(f"FAILED: the suite changed files of the checkout: {', '.join(changed)}", red=True)
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def reader_env(backend=None, **extra):
    """A reader's headless server: no display and no hint for one (no Matplotlib backend, no SDL
    driver), no Keras limits, Keras's settings in a fresh KERAS_HOME; the scripts must cope."""
    hidden = ("DISPLAY", "WAYLAND_DISPLAY", "KERAS_BACKEND", "KERAS_MAX_EPOCHS", "KERAS_MAX_STEPS_PER_EPOCH")
    env = {k: v for k, v in os.environ.items() if k not in hidden and not k.startswith(("MPL", "SDL_"))}
    env.update({"PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"})
    if backend:
        env["KERAS_BACKEND"] = backend
    env.update(extra)
    return env


def copy_of(where, *folders):
    """A checkout under `where` holding copies of these folders of the repository: its root."""
    for folder in folders:
        shutil.copytree(ROOT / folder, where / folder, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
    return where


def run(checkout, folder, *args, backend=None, env=None, script="main.py", timeout=900):
    """`python SCRIPT ARGS` in checkout/folder, as a reader runs it; the CompletedProcess."""
    return subprocess.run([sys.executable, script, *map(str, args)], cwd=checkout / folder,
                          env=reader_env(backend, **(env or {})), capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def shared_run(tmp_path_factory):
    """run() in a copy of the folder made for it, each distinct run once a session (a worker's):
    several tests read one run. Returns (checkout, result)."""
    runs = {}

    def shared(folder, *args, backend=None, env=None, script="main.py", also=()):
        key = (folder, script, tuple(map(str, args)), backend, tuple(sorted((env or {}).items())), tuple(also))
        if key not in runs:
            checkout = copy_of(tmp_path_factory.mktemp("checkout"), folder, *also)
            runs[key] = checkout, run(checkout, folder, *args, backend=backend, env=env, script=script)
        return runs[key]
    return shared


def interrupt(checkout, folder, args, after, env=None, timeout=300, script="main.py"):
    """Start `python SCRIPT ARGS` as a reader's shell would, press Ctrl-C once `after` is printed."""
    # A background job of a non-interactive shell ignores SIGINT: give the script the default back.
    process = subprocess.Popen([sys.executable, script, *map(str, args)], cwd=checkout / folder,
                               env=reader_env(**(env or {})), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen = []
    for line in process.stdout:
        seen.append(line)
        if after in line:
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=timeout)
    return process.returncode, "".join(seen) + out, err


def installed(module):
    return importlib.util.find_spec(module) is not None


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Each Keras backend that is installed here; a visible skip for the others."""
    if not installed(request.param):
        pytest.skip(f"Keras backend {request.param} is not installed (pip install -r requirements-{request.param}.txt)")
    return request.param


def stderr_lines(result):
    """What a reader sees on stderr, less TensorFlow's import lines."""
    return [line for line in result.stderr.splitlines() if line.strip() and not TENSORFLOW_IMPORT.match(line)]


def assert_ok(result):
    """Exit 0, and not a word on stderr: no traceback, no warning a reader cannot act on."""
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert stderr_lines(result) == [], result.stderr[-3000:]
    return result


def assert_fails(result, *fragments):
    """A mistake: a non-zero exit, and the last line on stderr (the library's own message, a
    traceback above it or not) names the problem."""
    assert result.returncode != 0, result.stdout[-2000:]
    last = stderr_lines(result)[-1]
    for fragment in fragments:
        assert fragment in last, result.stderr[-3000:]
    return last


def hide_modules(where, *names):
    """An environment in which Python cannot import these modules, as where they were never installed."""
    (where / "sitecustomize.py").write_text("import sys\n" + "".join(f"sys.modules[{n!r}] = None\n" for n in names))
    return {"PYTHONPATH": str(where)}
