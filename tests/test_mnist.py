"""mnist: the post's CNN trained short (--smoke) on the sample, its model pair, its history."""
import hashlib
import json
import re
import signal
import subprocess
import sys
from itertools import takewhile

import numpy as np
import pytest
from matplotlib import image

from conftest import MNIST, assert_fails, assert_ok, copy_of, reader_env, run

SMOKE_BOUND = 0.75  # chance is 0.10; a working smoke run reaches about 0.9 on the sample
READ_BACK = """import sys, numpy as np, keras
model = keras.models.model_from_json(open("model.json").read())
model.load_weights("model.weights.h5")
with np.load(sys.argv[1]) as data:
    x = data["x_test"][:512].reshape(-1, *model.input_shape[1:]).astype("float32") / 255
    y = data["y_test"][:512]
print(np.mean(model.predict(x, verbose=0).argmax(axis=1) == y))"""


def accuracy(out):
    return float(re.search(r"^Test accuracy: ([\d.]+)$", out, re.M)[1])


def test_smoke_run_prints_the_posts_lines_writes_the_pair_and_draws_the_history(
        shared_run, backend):
    checkout, result = shared_run("mnist", "--smoke", "--data", MNIST, backend=backend)
    out, folder = assert_ok(result).stdout, checkout / "mnist"
    assert out.startswith("x_train shape: (2048, 28, 28, 1)\n2048 train samples\n512 test samples\n"
                          "Epoch 1/4\n")
    assert re.findall(r"^Epoch (\d)/4$", out, re.M) == ["1", "2", "3", "4"]
    assert re.search(r"^16/16 - .* - accuracy: [\d.]+ - loss: [\d.]+ - "
                     r"val_accuracy: [\d.]+ - val_loss: [\d.]+$", out, re.M)
    assert re.search(r"^Test loss: [\d.]+$", out, re.M) and accuracy(out) > SMOKE_BOUND
    assert out.endswith(f"model saved to {folder / 'model.json'} and {folder / 'model.weights.h5'}"
                        f"\ntraining history saved to {folder / 'history.png'}\n")
    saved = json.loads((folder / "model.json").read_text())  # the post's JSON model file
    assert saved["class_name"] == "Sequential" and "bfloat16" not in json.dumps(saved)  # float32
    # the post's recipe: Adadelta at Keras 2's rate
    optimizer = saved["compile_config"]["optimizer"]
    assert optimizer["class_name"] == "Adadelta" and optimizer["config"]["learning_rate"] == 1.0
    read = run(checkout, "mnist", READ_BACK, MNIST, script="-c", backend=backend)
    assert float(read.stdout.split()[-1]) == pytest.approx(accuracy(out), abs=0.005), (
        read.stderr[-2000:])
    picture = image.imread(folder / "history.png")[..., :3]
    assert picture.shape == (400, 1000, 3)
    # Matplotlib's first two: train, test
    for colour in ((0.122, 0.467, 0.706), (1.0, 0.498, 0.055)):
        columns = np.flatnonzero((np.abs(picture - colour).max(axis=2) < 0.02).any(axis=0))
        # both panels
        assert np.ptp(columns[columns < 500]) > 300 and np.ptp(columns[columns > 500]) > 300


def test_a_keras_json_asking_for_channels_first_is_respected(shared_run, tmp_path):
    (tmp_path / "keras.json").write_text(json.dumps({"image_data_format": "channels_first"}))
    _, result = shared_run("mnist", "--smoke", "--data", MNIST, backend="tensorflow",
                           env={"KERAS_HOME": str(tmp_path)})
    assert assert_ok(result).stdout.startswith("x_train shape: (2048, 1, 28, 28)\n")
    assert accuracy(result.stdout) > SMOKE_BOUND


def test_ctrl_c_while_training_leaves_the_previous_pair_as_it_was(shared_run, tmp_path):
    trained = shared_run("mnist", "--smoke", "--data", MNIST, backend="tensorflow")[0] / "mnist"
    folder = copy_of(tmp_path, "mnist") / "mnist"
    for name in ("model.json", "model.weights.h5"):
        (folder / name).write_bytes((trained / name).read_bytes())
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    # pressed as in a reader's shell (a background job of a script ignores SIGINT: the default back)
    with subprocess.Popen(
            [sys.executable, "main.py", "--smoke", "--data", MNIST], cwd=folder, env=reader_env(),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)) as process:
        seen = "".join(takewhile(lambda line: "Epoch 2/4" not in line, process.stdout))
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=300)
    # Python's KeyboardInterrupt; now and then TensorFlow aborts instead, mid-step (SIGABRT)
    assert process.returncode != 0 and "Test accuracy" not in seen + out
    assert "KeyboardInterrupt" in err or process.returncode == -signal.SIGABRT, err[-2000:]
    assert before == {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def test_bad_data_ends_with_the_librarys_message(tmp_path):
    # no labels, no test digits
    np.savez(tmp_path / "mnist.npz", x_train=np.zeros((4, 28, 28), "uint8"))
    result = run(copy_of(tmp_path, "mnist"), "mnist", "--smoke", "--data", tmp_path / "mnist.npz")
    assert_fails(result, "y_train is not a file")
