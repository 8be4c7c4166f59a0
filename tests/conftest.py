"""Run each script as a reader would: `python SCRIPT ARGS` in its folder, headless, in a copy of
the folder under a temporary one (the repository's layout kept), so the checkout never changes."""
import functools
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock

ROOT = Path(__file__).resolve().parent.parent
# MNIST's first 2,048 training and 512 test digits
MNIST = ROOT / "tests" / "data" / "mnist_small.npz"
# What TensorFlow prints on import whatever TF_CPP_MIN_LOG_LEVEL says (bench/README.md); the rest
# of stderr counts.
TENSORFLOW_IMPORT = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR|"
    r"[IWE]\d{4} [\d:. ]+\d+ (port\.cc:\d+\] oneDNN custom operations are on|"
    r"cudart_stub\.cc:\d+\] Could not find cuda drivers|"
    r"cuda_platform\.cc:\d+\] failed call to cuInit: .*UNKNOWN ERROR \(303\))")


def checkout_files():
    """{path: sha256} of every file in the checkout, tracked or not, caches and virtual
    environments aside."""
    found = {}
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [d for d in subfolders
                         if d not in {".git", "__pycache__", ".pytest_cache", ".ruff_cache"}
                         and not (Path(folder, d) / "pyvenv.cfg").exists()]
        for path in (Path(folder, name) for name in files):
            found[str(path.relative_to(ROOT))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def pytest_sessionstart(session):
    # once, in pytest-xdist's controller or a plain run
    if not hasattr(session.config, "workerinput"):
        session.config.checkout_before = checkout_files()


def pytest_sessionfinish(session, exitstatus):
    """The suite fails if it wrote, changed or deleted a file of the checkout."""
    if hasattr(session.config, "checkout_before"):
        before, after = session.config.checkout_before, checkout_files()
        changed = sorted(path for path in before.keys() | after.keys()
                         if before.get(path) != after.get(path))
        if changed:
            session.config.pluginmanager.get_plugin("terminalreporter").write_line(
                f"FAILED: the suite changed files of the checkout: {', '.join(changed)}", red=True)
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def reader_env(backend=None, **extra):
    """A reader's headless server: no display nor hint for one (Matplotlib backend, SDL driver), no
    Keras limits."""
    hidden = ("DISPLAY", "WAYLAND_DISPLAY", "KERAS_BACKEND", "KERAS_MAX_EPOCHS",
              "KERAS_MAX_STEPS_PER_EPOCH")
    env = {k: v for k, v in os.environ.items()
           if k not in hidden and not k.startswith(("MPL", "SDL_"))}
    return {**env, "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1",
            **({"KERAS_BACKEND": backend} if backend else {}), **extra}


@functools.cache
def reader_made():
    """The checkout's files that git ignores: what a reader's runs made there (trained pairs, the
    agent's policy, pictures), which the tests' copies leave out. None outside a git checkout."""
    try:
        listed = subprocess.run(["git", "ls-files", "--others", "--ignored", "--exclude-standard",
                                 "--directory", "-z"], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return frozenset()
    return frozenset(ROOT / path.rstrip("/") for path in listed.split("\0") if path)


def copy_of(where, *folders):
    """A checkout under `where` holding copies of these folders of the repository as a fresh clone
    has them (nothing a reader's runs made): its root."""
    def left_out(folder, names):
        return {name for name in names
                if name == "__pycache__" or Path(folder, name) in reader_made()}
    for folder in folders:
        shutil.copytree(ROOT / folder, where / folder, dirs_exist_ok=True, ignore=left_out)
    return where


def run(checkout, folder, *args, backend=None, env=None, script="main.py", timeout=900):
    """`python SCRIPT ARGS` in checkout/folder, as a reader runs it (script="-c": ARGS are code and
    its arguments)."""
    return subprocess.run([sys.executable, script, *map(str, args)], cwd=checkout / folder,
                          env=reader_env(backend, **(env or {})), capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="session")
def shared_run(tmp_path_factory, worker_id):
    """run() in a copy of the folder (and `also`), each distinct run once a test session, however
    many workers (pytest-xdist's way: a file lock in the folder the workers share), as several
    tests read one run. Tests read its checkout; one that writes there works on a copy."""
    shared = tmp_path_factory.getbasetemp()
    shared = shared if worker_id == "master" else shared.parent

    def shared_run(folder, *args, backend=None, env=None, script="main.py", also=()):
        key = json.dumps([folder, script, [str(a) for a in args], backend,
                          sorted((env or {}).items()), list(also)])
        where = shared / f"run-{hashlib.sha256(key.encode()).hexdigest()[:16]}"
        with FileLock(f"{where}.lock"):
            if not (where / "result.json").exists():
                checkout = copy_of(where / "checkout", folder, *also)
                result = run(checkout, folder, *args, backend=backend, env=env, script=script)
                (where / "result.json").write_text(json.dumps(
                    [result.args, result.returncode, result.stdout, result.stderr]))
        result = json.loads((where / "result.json").read_text())
        return where / "checkout", subprocess.CompletedProcess(*result)
    return shared_run


def need(module, install):
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed ({install})")


@pytest.fixture(params=["tensorflow", "jax", "torch"])
def backend(request):
    """Each Keras backend that is installed here; a visible skip for the others."""
    need(request.param, f"pip install -r requirements-{request.param}.txt")
    return request.param


@pytest.fixture
def display():
    """A reader's working display, an X server of the test's own (Xvfb): {"DISPLAY": its name}."""
    if not shutil.which("Xvfb"):
        pytest.skip("no X server to try a window on (apt-get install xvfb)")
    with subprocess.Popen(["Xvfb", "-displayfd", "1"], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True) as xvfb:
        yield {"DISPLAY": f":{xvfb.stdout.readline().strip()}"}  # its number, printed once it is up
        xvfb.terminate()


def stderr_lines(result):
    """What a reader sees on stderr, less TensorFlow's import lines."""
    return [line for line in result.stderr.splitlines()
            if line.strip() and not TENSORFLOW_IMPORT.match(line)]


def assert_ok(result):
    """Exit 0, and not a word on stderr: no traceback, no warning a reader cannot act on."""
    assert result.returncode == 0, (f"exit {result.returncode}\n{result.stdout[-3000:]}\n"
                                    f"{result.stderr[-3000:]}")
    assert stderr_lines(result) == [], result.stderr[-3000:]
    return result


def assert_fails(result, *fragments):
    """A mistake: a non-zero exit, the last line on stderr (the library's own message) naming it."""
    assert result.returncode != 0, result.stdout[-2000:]
    last = stderr_lines(result)[-1]
    assert all(fragment in last for fragment in fragments), result.stderr[-3000:]
    return last


def hide_modules(where, *names):
    """An environment in which Python cannot import these modules, as where they were never
    installed."""
    (where / "sitecustomize.py").write_text(
        "import sys\n" + "".join(f"sys.modules[{n!r}] = None\n" for n in names))
    return {"PYTHONPATH": str(where)}
