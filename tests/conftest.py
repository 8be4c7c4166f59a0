"""Run each example as a reader would: `python main.py ...` in its own folder, headless."""
import hashlib
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
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
    """{path: sha256} of every file in the checkout, tracked or not (a reader's model, policy, pictures),
    caches and virtual environments aside."""
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
    """The suite fails if it wrote, changed or deleted a file of the checkout: every run writes under a temporary folder."""
    if hasattr(session.config, "checkout_before"):
        before, after = session.config.checkout_before, checkout_files()
        changed = sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))
        if changed:
            reporter = session.config.pluginmanager.get_plugin("terminalreporter")
            reporter.write_line(f"FAILED: the suite changed files of the checkout: {', '.join(changed)}", red=True)
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


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


def run_example(folder, *args, backend=None, env=None, timeout=600, script="main.py"):
    """Run `python SCRIPT ARGS` in ROOT/folder as a reader would, headless; return the result."""
    return subprocess.run([sys.executable, script, *map(str, args)], cwd=ROOT / folder,
                          env=reader_env(backend, **(env or {})), capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def run_once():
    """run_example(), but each distinct run only once a session: several tests read one run."""
    runs = {}

    def run(folder, *args, backend=None, env=None, script="main.py"):
        key = (folder, script, tuple(map(str, args)), backend, tuple(sorted((env or {}).items())))
        if key not in runs:
            runs[key] = run_example(folder, *args, backend=backend, env=env, script=script)
        return runs[key]
    return run


@pytest.fixture(scope="session")
def out(tmp_path_factory):
    """A folder per backend and example for what the runs write, the same for every test."""
    root = tmp_path_factory.mktemp("out")

    def folder(name, backend="tensorflow"):
        (root / backend / name).mkdir(parents=True, exist_ok=True)
        return root / backend / name
    return folder


def interrupt(folder, args, after, env=None, timeout=300, script="main.py"):
    """Start `python SCRIPT ARGS` as a reader's shell would, press Ctrl-C once `after` is printed."""
    # A background job of a non-interactive shell ignores SIGINT: give the script the default back.
    process = subprocess.Popen([sys.executable, script, *map(str, args)], cwd=ROOT / folder,
                               env=reader_env(**(env or {})),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen = []
    for line in process.stdout:
        seen.append(line)
        if after in line:
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=timeout)
    return process.returncode, "".join(seen) + out, err


def installed(backend):
    return importlib.util.find_spec(backend) is not None


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


def assert_one_line_error(result, *fragments, code=None):
    """A mistake or a fault: a non-zero exit and one line on stderr naming it (argparse's usage
    lines above it aside), no traceback."""
    assert result.returncode != 0, result.stdout[-2000:]
    assert code is None or result.returncode == code, (result.returncode, result.stderr)
    lines = stderr_lines(result)
    if lines and lines[0].startswith("usage: "):
        lines = [line for line in lines[1:] if not line.startswith(" ")]
    assert len(lines) == 1, result.stderr[-3000:]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def hide_modules(tmp_path, *names):
    """An environment in which Python cannot import these modules, as where they were never installed."""
    (tmp_path / "sitecustomize.py").write_text("import sys\n" + "".join(f"sys.modules[{n!r}] = None\n" for n in names))
    return {"PYTHONPATH": str(tmp_path)}


HEAVY = {"tensorflow", "keras", "jax", "torch", "matplotlib", "gymnasium", "PIL", "skimage"}


def assert_help_is_instant(folder, script="main.py"):
    """--help imports nothing heavy: the arguments are parsed before TensorFlow loads."""
    result = subprocess.run([sys.executable, "-X", "importtime", script, "--help"], cwd=ROOT / folder,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith(f"usage: {script}"), result.stderr[-2000:]
    imported = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines()}
    assert not imported & HEAVY, imported & HEAVY
    return result.stdout


def run_watching_imports(folder, *args, **options):
    """run_example(), and the heavy modules the run imported (seen by an import hook, whatever the
    script does with stderr)."""
    folder_for_hook = Path(tempfile.mkdtemp())
    (folder_for_hook / "sitecustomize.py").write_text(
        "import sys\n"
        "class Watch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {sorted(HEAVY)!r}:\n"
        f"            open({str(folder_for_hook / 'imported')!r}, 'a').write(name.split('.')[0] + '\\n')\n"
        "sys.meta_path.insert(0, Watch())\n")
    env = {**options.pop("env", {}), "PYTHONPATH": str(folder_for_hook)}
    result = run_example(folder, *args, env=env, **options)
    imported = folder_for_hook / "imported"
    return result, set(imported.read_text().split()) if imported.exists() else set()


def assert_refused_at_once(folder, *args, fragment, script="main.py"):
    """A bad argument: one line and exit 2 while parsing, before anything heavy is imported."""
    result, imported = run_watching_imports(folder, *args, timeout=60, script=script)
    assert not imported, imported
    line = assert_one_line_error(result, fragment, code=2)
    assert result.stdout == ""
    return line


def assert_quiet_when_cut_short(folder, *args, env=None, script="main.py"):
    """`python SCRIPT | head -1`: one line, then a quiet stop (no BrokenPipeError)."""
    command = " ".join([sys.executable, script, *map(str, args)]) + " | head -1"
    result = subprocess.run(["bash", "-c", command], cwd=ROOT / folder, env=reader_env(**(env or {})),
                            capture_output=True, text=True, timeout=600)
    assert len(result.stdout.splitlines()) == 1
    assert "Exception ignored" not in result.stderr and "BrokenPipe" not in result.stderr, result.stderr


@pytest.fixture
def read_only_copy(tmp_path):
    """A copy of an example's folder that cannot be written to, as a read-only checkout."""
    mounted = []

    def copy(folder):
        target = tmp_path / "checkout" / folder
        shutil.copytree(ROOT / folder, target)
        if os.geteuid() != 0:
            target.chmod(0o555)
        elif subprocess.run(["mount", "--bind", target, target], capture_output=True).returncode == 0:
            mounted.append(target)
            subprocess.run(["mount", "-o", "remount,ro,bind", target], check=True)
        else:
            pytest.skip("root, and no mount here: cannot make a read-only folder")
        return target
    yield copy
    for target in mounted:
        subprocess.run(["umount", target], check=False)


def write_npz(path, **overrides):
    """An .npz in the layout of Keras's mnist.npz, 50 digits of the fixture each, with overrides (None: left out)."""
    import numpy as np

    with np.load(MNIST) as data:
        arrays = {key: data[key][:50] for key in data.files}
    arrays.update(overrides)
    np.savez(path, **{key: value for key, value in arrays.items() if value is not None})
    return path


APPLE_GPU = """
import importlib.util, sys

def tensorflow(tf):  # tensorflow-metal's GPU: no compute capability
    real, gpu = tf.config.list_physical_devices, tf.config.PhysicalDevice("/physical_device:GPU:0", "GPU")
    tf.config.list_physical_devices = lambda kind=None: real(kind) + [gpu] * (kind in (None, "GPU"))
    tf.config.experimental.get_device_details = lambda device: {"device_name": "METAL"}

def torch(torch):  # MPS
    torch.backends.mps.is_available = lambda: True
    torch.mps.recommended_max_memory = lambda: 22906503168

def jax(jax):  # jax-metal
    class Metal:
        id, platform, device_kind = 0, "METAL", "Apple M2"
        memory_stats = staticmethod(lambda: {"bytes_limit": 22906503168})
    real = jax.devices
    jax.devices = lambda backend=None: real(backend) if backend else real() + [Metal()]

class AfterImport:
    def find_spec(self, name, path=None, target=None):
        if name not in ("tensorflow", "torch", "jax"):
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None:  # not installed here
            return None
        load = spec.loader.exec_module
        spec.loader.exec_module = lambda module: (load(module), globals()[name](module))
        return spec

sys.meta_path.insert(0, AfterImport())
"""


def apple_gpu(tmp_path):
    """An environment in which each backend's own device query reports an Apple GPU, as on a Mac
    (Keras's torch backend is kept on the CPU: there is no real MPS device to move to)."""
    (tmp_path / "sitecustomize.py").write_text(APPLE_GPU)
    return {"PYTHONPATH": str(tmp_path), "KERAS_TORCH_DEVICE": "cpu"}
