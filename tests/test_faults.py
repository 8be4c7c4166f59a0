"""Faults a reader can cause: each ends in one line and a non-zero exit, and nothing written is lost."""
import hashlib
import json
import re
import shutil
import signal
import subprocess
import sys

import pytest

from conftest import MNIST_SMALL, ROOT, assert_ok, assert_one_line_error, reader_env, run_example


def digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """A trained model pair (one smoke epoch) to copy from."""
    out_dir = tmp_path_factory.mktemp("pair")
    assert_ok(run_example("mnist", "--smoke", "--epochs", 1, "--data", MNIST_SMALL, "--out-dir", out_dir))
    return out_dir


def copy_pair(pair, folder):
    folder.mkdir(exist_ok=True)
    for name in ("model.json", "model.weights.h5"):
        shutil.copy(pair / name, folder / name)
    return folder


def interrupt(folder, args, after, timeout=300):
    """Start `python main.py ARGS` as a reader's shell would, press Ctrl-C once `after` is printed."""
    # A background job of a non-interactive shell ignores SIGINT: give the script the default back.
    process = subprocess.Popen([sys.executable, "main.py", *map(str, args)], cwd=ROOT / folder, env=reader_env(),
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


@pytest.mark.parametrize("folder, args, after", [
    ("xor-numpy", [], "Error:"),
    ("mnist", ["--smoke", "--data", MNIST_SMALL], "Epoch 1/"),
    ("gym-simple", ["--agent", "keras", "--no-render"], "iteration   1:"),
])
def test_ctrl_c_is_one_line_exit_130_and_keeps_the_previous_files(folder, args, after, pair, tmp_path):
    if folder == "mnist":
        out = copy_pair(pair, tmp_path / "out")
        args = [*args, "--out-dir", out]
    elif folder == "gym-simple":
        out = tmp_path / "out"
        out.mkdir()
        (out / "policy.keras").write_bytes(b"the previous policy")
        (out / "cartpole.gif").write_bytes(b"the previous animation")
        args = [*args, "--out", out / "cartpole.gif"]
    before = digests(out) if folder != "xor-numpy" else None
    code, stdout, stderr = interrupt(folder, args, after)
    assert code == 130, (stdout[-2000:], stderr[-2000:])
    assert stderr.strip() == "interrupted", stderr[-2000:]
    if before is not None:
        assert digests(out) == before  # nothing lost, no temporary file left


# A library's code that a Ctrl-C lands in, run by a script's own run_with_clean_exits() in place of its main().
LIBRARY = """
import runpy, signal, sys, time
run_with_clean_exits = runpy.run_path("main.py")["run_with_clean_exits"]

class Finalizer:
    def __del__(self):
        signal.raise_signal(signal.SIGINT)

def main():
    if sys.argv[1] == "swallows it":
        try:
            signal.raise_signal(signal.SIGINT)
        except BaseException:
            pass
    elif sys.argv[1] == "turns it into another error":
        try:
            signal.raise_signal(signal.SIGINT)
        except KeyboardInterrupt:
            raise RuntimeError("MISMATCH of original and normalized active exception types") from None
    elif sys.argv[1] == "gets it in a finalizer":
        Finalizer()
    time.sleep(20)  # the rest of the run
    print("finished")

run_with_clean_exits(main)
"""


@pytest.mark.parametrize("folder", ["gpu-test", "xor-keras", "mnist_plt", "mnist", "gym-simple"])
@pytest.mark.parametrize("fault", ["swallows it", "turns it into another error", "gets it in a finalizer"])
def test_ctrl_c_stops_the_script_whatever_a_library_does_with_it(folder, fault):
    process = subprocess.run([sys.executable, "-c", LIBRARY, fault], cwd=ROOT / folder, env=reader_env(),
                             capture_output=True, text=True, timeout=60,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert (process.returncode, process.stderr, process.stdout) == (130, "interrupted\n", "")


def hostile(pair, folder, change):
    """A copy of the pair whose model.json is changed by change(config); its weights hash still matches."""
    copy_pair(pair, folder)
    config = json.loads((folder / "model.json").read_text())
    config = change(config)
    (folder / "model.json").write_text(json.dumps(config))
    return folder


def layer(config, class_name):
    return next(l for l in config["config"]["layers"] if l["class_name"] == class_name)


def set_in(config, class_name, key, value):
    layer(config, class_name)["config"][key] = value
    return config


def lambda_layer(config):
    flatten = layer(config, "Flatten")
    flatten.update(class_name="Lambda", config={"name": "evil", "function": {
        "class_name": "__lambda__", "config": {"code": "4wEAAAAAAAAA", "defaults": None, "closure": None}}})
    return config


@pytest.mark.parametrize("case, change, fragment", [
    ("a JSON list", lambda c: [c], "a JSON list"),
    ("another model's input", lambda c: set_in(c, "InputLayer", "batch_shape", [None, 32, 32, 3]),
     "not a model this script can load"),
    ("layers of another shape", lambda c: set_in(c, "Dense", "units", 64), "not a model this script can load"),
    ("a Lambda layer", lambda_layer, "not a model this script can load"),
    ("an absurd size", lambda c: set_in(c, "Dense", "units", 10**12), "1,000,000,000,000 units"),
])
def test_hostile_model_files_are_one_line(case, change, fragment, pair, tmp_path):
    folder = hostile(pair, tmp_path / "model", change)
    (tmp_path / "digit.png").write_bytes((ROOT / "assets" / "mnist_plt.png").read_bytes())
    result = run_example("mnist", "--out-dir", folder, "--predict", tmp_path / "digit.png")
    line = assert_one_line_error(result, fragment, "train again")
    assert "model" in line


def test_weights_that_cannot_be_read_name_the_file(pair, tmp_path):
    folder = copy_pair(pair, tmp_path / "model")
    garbage = b"\x89HDF not really" * 100
    (folder / "model.weights.h5").write_bytes(garbage)
    config = json.loads((folder / "model.json").read_text())
    config["weights_sha256"] = hashlib.sha256(garbage).hexdigest()
    (folder / "model.json").write_text(json.dumps(config))
    result = run_example("mnist", "--out-dir", folder, "--predict", ROOT / "assets" / "mnist_plt.png")
    assert_one_line_error(result, "model.weights.h5", "train again")


def test_more_devices_than_the_data_can_share_is_refused_before_training(tmp_path):
    result = run_example("mnist", "--smoke", "--cpu-devices", 8, "--data", MNIST_SMALL, "--out-dir", tmp_path)
    assert_one_line_error(result, "8 devices", "global batch of 1024", "500 digits")
    assert "Epoch" not in result.stdout


def test_three_cpu_devices_train_evaluate_and_save(tmp_path):
    result = assert_ok(run_example("mnist", "--smoke", "--epochs", 1, "--cpu-devices", 3,
                                   "--data", MNIST_SMALL, "--out-dir", tmp_path))
    assert "Data-parallel training on 3 devices" in result.stdout
    assert re.search(r"^Test accuracy: [\d.]+$", result.stdout, re.M)
    assert (tmp_path / "model.weights.h5").stat().st_size > 1_000_000


@pytest.fixture
def tiny_disk(tmp_path):
    """A 24 MB file system, as a disk that is nearly full once a model pair (about 15 MB) is on it."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)], capture_output=True)
    if made.returncode:
        pytest.skip(f"cannot mount a small tmpfs here ({made.stderr.decode().strip()})")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_full_disk_is_refused_at_once_and_keeps_the_pair(pair, tiny_disk):
    copy_pair(pair, tiny_disk)
    before = digests(tiny_disk)
    result = run_example("mnist", "--smoke", "--data", MNIST_SMALL, "--out-dir", tiny_disk)
    assert_one_line_error(result, "--out-dir", "MB free", code=2)
    assert digests(tiny_disk) == before


@pytest.mark.parametrize("folder, args", [
    ("xor-numpy", []),
    ("xor-keras", []),
    ("mnist", ["--smoke", "--epochs", 1, "--data", MNIST_SMALL]),
    ("gpu-test", []),
])
def test_output_cut_short_by_head_is_quiet(folder, args, tmp_path):
    if folder == "mnist":
        args = [*args, "--out-dir", tmp_path]
    env = reader_env(KERAS_MAX_EPOCHS="3")
    command = " ".join([sys.executable, "main.py", *map(str, args)]) + " | head -1"
    result = subprocess.run(["bash", "-c", command], cwd=ROOT / folder, env=env,
                            capture_output=True, text=True, timeout=600)
    assert len(result.stdout.splitlines()) == 1
    assert "Exception ignored" not in result.stderr and "BrokenPipe" not in result.stderr, result.stderr


def test_agent_reports_a_negative_reward_as_a_reward(tmp_path):
    result = assert_ok(run_example("gym-simple", "--agent", "keras", "--env", "MountainCar-v0", "--smoke",
                                   "--iterations", 1, "--no-render", "--out", tmp_path / "car.gif"))
    assert re.search(r"^Trained agent's episode: 200 timesteps, reward -200$", result.stdout, re.M), result.stdout


def test_channels_first_in_keras_json_still_trains(tmp_path):
    (tmp_path / "keras.json").write_text(json.dumps({"image_data_format": "channels_first"}))
    result = assert_ok(run_example("mnist", "--smoke", "--epochs", 1, "--data", MNIST_SMALL,
                                   "--out-dir", tmp_path / "out", env={"KERAS_HOME": str(tmp_path)}))
    assert "Test accuracy:" in result.stdout
