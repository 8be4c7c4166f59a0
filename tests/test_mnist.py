"""mnist: the post's CNN trained short (--smoke) on the fixture, its model pair, its history."""
import hashlib
import json
import re
import subprocess
import sys

import numpy as np
import pytest
from matplotlib import image

from conftest import MNIST, assert_fails, assert_ok, copy_of, interrupt, reader_env, run

SMOKE_BOUND = 0.75  # chance is 0.10; a working smoke run reaches about 0.9 on the fixture
READ_BACK = """
import json, sys, numpy as np, keras
model = keras.models.model_from_json(open("model.json").read())
model.load_weights("model.weights.h5")
with np.load(sys.argv[1]) as data:
    x, y = data["x_test"][:512].astype("float32") / 255, data["y_test"][:512]
x = x.reshape(-1, *model.input_shape[1:])
print(np.mean(model.predict(x, verbose=0).argmax(axis=1) == y))
"""


def smoke(shared_run, backend, env=None):
    return shared_run("mnist", "--smoke", "--data", MNIST, backend=backend, env=env)


def test_smoke_run_prints_the_posts_lines_and_writes_the_pair(shared_run, backend):
    checkout, result = smoke(shared_run, backend)
    out, folder = assert_ok(result).stdout, checkout / "mnist"
    assert out.startswith("x_train shape: (2048, 28, 28, 1)\n2048 train samples\n512 test samples\n"
                          "Precision: ")
    assert re.findall(r"^Epoch (\d)/4$", out, re.M) == ["1", "2", "3", "4"]
    assert re.search(r"^16/16 - .* - accuracy: [\d.]+ - loss: [\d.]+ - val_accuracy: [\d.]+ - val_loss: [\d.]+$",
                     out, re.M)
    accuracy = float(re.search(r"^Test accuracy: ([\d.]+)$", out, re.M).group(1))
    assert re.search(r"^Test loss: [\d.]+$", out, re.M) and accuracy > SMOKE_BOUND
    assert out.endswith("The post's 0.9917 not reached in 4 epochs\n"
                        f"model saved to {folder / 'model.json'} and {folder / 'model.weights.h5'}\n"
                        f"training history saved to {folder / 'history.png'}\n")
    assert json.loads((folder / "model.json").read_text())["class_name"] == "Sequential"  # the post's JSON
    read = subprocess.run([sys.executable, "-c", READ_BACK, MNIST], cwd=folder, env=reader_env(backend),
                          capture_output=True, text=True)
    assert float(read.stdout.split()[-1]) == pytest.approx(accuracy, abs=0.005), read.stderr[-2000:]


def test_history_shows_each_epoch_train_and_test(shared_run):
    checkout, result = smoke(shared_run, "tensorflow")
    picture = image.imread(checkout / "mnist" / "history.png")[..., :3]
    assert assert_ok(result) and picture.shape == (400, 1000, 3)
    for colour in ((0.122, 0.467, 0.706), (1.0, 0.498, 0.055)):  # Matplotlib's first two: train, test
        columns = np.flatnonzero((np.abs(picture - colour).max(axis=2) < 0.02).any(axis=0))
        assert np.ptp(columns[columns < 500]) > 300 and np.ptp(columns[columns > 500]) > 300  # both panels


def test_a_keras_json_asking_for_channels_first_is_respected(shared_run, tmp_path):
    home = tmp_path / "keras"
    home.mkdir()
    (home / "keras.json").write_text(json.dumps({"image_data_format": "channels_first"}))
    checkout, result = smoke(shared_run, "tensorflow", env={"KERAS_HOME": str(home)})
    assert assert_ok(result).stdout.startswith("x_train shape: (2048, 1, 28, 28)\n")
    assert float(re.search(r"^Test accuracy: ([\d.]+)$", result.stdout, re.M).group(1)) > SMOKE_BOUND


def test_ctrl_c_while_training_leaves_the_previous_pair_as_it_was(shared_run, tmp_path):
    trained, result = smoke(shared_run, "tensorflow")
    checkout = copy_of(tmp_path, "mnist")
    for name in ("model.json", "model.weights.h5"):
        (checkout / "mnist" / name).write_bytes((trained / "mnist" / name).read_bytes())
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (checkout / "mnist").iterdir()}
    code, out, err = interrupt(checkout, "mnist", ["--smoke", "--data", MNIST], after="Epoch 2/4")
    assert code != 0 and "KeyboardInterrupt" in err and "Test accuracy" not in out
    assert before == {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (checkout / "mnist").iterdir()}


def test_bad_data_ends_with_the_librarys_message(tmp_path):
    data = tmp_path / "mnist.npz"
    np.savez(data, x_train=np.zeros((4, 28, 28), "uint8"))  # no labels, no test digits
    assert_fails(run(copy_of(tmp_path, "mnist"), "mnist", "--smoke", "--data", data), "y_train is not a file")
