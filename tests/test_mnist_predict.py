"""The digit reader, mnist_predict/predict.py, run as a reader would: each of its promises, with
the model pair that `mnist/main.py --smoke` writes on the fixture."""
import codecs
import json
import marshal
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from conftest import (MNIST, assert_fails, assert_ok, copy_of, hide_modules, installed, reader_env,
                      run, stderr_lines)

PAIR = ("model.json", "model.weights.h5")
ANSWER = re.compile(r"^(.*): (\d) \(probability ([\d.]+)\)$", re.M)


def predict(checkout, *args, backend="tensorflow", env=None):
    return run(checkout, "mnist_predict", *args, backend=backend, env=env, script="predict.py")


def readings(stdout):
    """[(path, digit, probability)] of predict.py's answers."""
    return [(path, int(digit), float(p)) for path, digit, p in ANSWER.findall(stdout)]


def assert_one_line(result, *fragments):
    assert_fails(result, *fragments)
    assert len(stderr_lines(result)) == 1, result.stderr[-3000:]


@pytest.fixture(scope="session")
def trained(shared_run):
    """mnist/ of a checkout in which main.py --smoke trained on the fixture, on TensorFlow."""
    checkout, result = shared_run("mnist", "--smoke", "--data", MNIST, backend="tensorflow")
    assert_ok(result)
    return checkout / "mnist"


@pytest.fixture
def reader(trained, tmp_path):
    """A checkout with the reader and a copy of that pair in mnist/, to spoil at will."""
    checkout = copy_of(tmp_path / "checkout", "mnist_predict")
    (checkout / "mnist").mkdir()
    for name in PAIR:
        shutil.copy(trained / name, checkout / "mnist" / name)
    return checkout


def change_model(checkout, change):
    path = checkout / "mnist" / "model.json"
    config = json.loads(path.read_text())
    change(config["config"]["layers"])
    path.write_text(json.dumps(config))


def hidden_units(units):
    """A change: the hidden Dense layer of another size, the layers after it built to fit."""
    def change(layers):
        for layer in layers:
            layer.pop("build_config", None)
        dense = next(layer for layer in layers if layer["class_name"] == "Dense")
        dense["config"]["units"] = units
    return change


def test_reads_the_seven(reader):
    result = assert_ok(predict(reader, "seven.png"))
    assert result.stdout.count("\n") == 1 and readings(result.stdout)[0][:2] == ("seven.png", 7)


def test_finds_the_model_beside_it_from_any_working_directory(reader, tmp_path):
    script, seven = reader / "mnist_predict" / "predict.py", reader / "mnist_predict" / "seven.png"
    result = assert_ok(subprocess.run([sys.executable, script, seven], cwd=tmp_path, text=True,
                                      capture_output=True, env=reader_env("tensorflow")))
    assert readings(result.stdout)[0][:2] == (str(seven), 7)


def test_a_bad_picture_is_one_line_and_the_others_are_still_read(reader, tmp_path):
    seven = reader / "mnist_predict" / "seven.png"
    broken = tmp_path / "broken.png"
    broken.write_bytes(seven.read_bytes()[:100])  # a download cut short
    notes = tmp_path / "notes.png"
    notes.write_text("not a picture")
    blank = tmp_path / "blank.png"
    Image.new("L", (40, 40), 255).save(blank)
    bad = [(broken, "truncated"), (notes, "cannot identify image file"), (blank, "no digit found"),
           (tmp_path / "missing.png", "No such file")]
    result = predict(reader, "seven.png", *[path for path, _ in bad], seven)
    assert result.returncode == 1
    answers = [(path, digit) for path, digit, _ in readings(result.stdout)]
    assert answers == [("seven.png", 7), (str(seven), 7)]
    errors = stderr_lines(result)
    assert len(errors) == len(bad), errors
    for (path, fragment), line in zip(bad, errors):
        assert line.startswith(f"error: {path}: ") and fragment in line, line


def test_no_model_pair_is_one_line_saying_to_train_first(tmp_path):
    checkout = copy_of(tmp_path, "mnist_predict")
    result = predict(checkout, "seven.png")
    assert_one_line(result, "no trained model", "cd ../mnist && python main.py")


def test_a_lambda_layer_is_refused_and_its_code_never_runs(reader, tmp_path):
    ran = tmp_path / "ran"
    code = eval(f"lambda x: __import__('pathlib').Path({str(ran)!r}).touch() or x").__code__
    function = {"class_name": "__lambda__", "config": {  # as Keras saves a Lambda's function
        "code": codecs.encode(marshal.dumps(code), "base64").decode(), "defaults": None,
        "closure": None}}

    def with_lambda(layers):
        flatten = next(layer for layer in layers if layer["class_name"] == "Flatten")
        flatten.update(class_name="Lambda", config={"name": "flatten", "function": function})
    change_model(reader, with_lambda)
    result = predict(reader, "seven.png")
    assert_one_line(result, "not a model main.py saved", "arbitrary code", "train again")
    assert not ran.exists()


@pytest.mark.parametrize("case", ["another hidden size", "a layer missing", "not weights"])
def test_weights_that_do_not_fit_the_json_are_one_line(case, reader):
    if case == "another hidden size":
        change_model(reader, hidden_units(64))
    elif case == "a layer missing":
        change_model(reader, lambda layers: layers.pop())
    else:
        (reader / "mnist" / "model.weights.h5").write_bytes(b"\x89HDF\r\n\x1a\n not weights" * 99)
    assert_one_line(predict(reader, "seven.png"), "not a model main.py saved", "train again")


@pytest.mark.parametrize("units", [10**12, 10**6])
def test_absurd_sizes_are_refused_before_keras_builds_anything(units, reader, tmp_path):
    change_model(reader, hidden_units(units))
    without_keras = hide_modules(tmp_path, "keras")  # refused before Keras is even imported
    result = predict(reader, "seven.png", env=without_keras)
    assert_one_line(result, f"a layer or shape of {units:,}")


@pytest.fixture(scope="session")
def test_digits(tmp_path_factory):
    """The fixture's first 8 test digits as pictures, dark ink on white: (paths, labels)."""
    folder = tmp_path_factory.mktemp("digits")
    with np.load(MNIST) as data:
        images, labels = data["x_test"][:8], data["y_test"][:8]
    paths = [folder / f"{n}.png" for n in range(len(images))]
    for path, image in zip(paths, images):
        Image.fromarray(255 - image).save(path)
    return paths, labels


def test_a_model_trained_on_torch_reads_alike_on_each_backend(backend, shared_run, test_digits,
                                                               tmp_path):
    if not installed("torch"):
        pytest.skip("Keras backend torch is not installed")
    checkout, trained = shared_run("mnist", "--smoke", "--data", MNIST, backend="torch")
    assert_ok(trained)
    model_dir = checkout / "mnist"
    paths, labels = test_digits
    _, on_torch = shared_run("mnist_predict", *paths, "--model-dir", model_dir, backend="torch",
                             script="predict.py")
    on_torch = readings(assert_ok(on_torch).stdout)
    reader = copy_of(tmp_path, "mnist_predict")
    here = predict(reader, *paths, "--model-dir", model_dir, backend=backend)
    here = readings(assert_ok(here).stdout)
    assert sum(digit == label for (_, digit, _), label in zip(on_torch, labels)) >= 7, on_torch
    bfloat16 = "bfloat16" in (model_dir / "model.json").read_text()
    tolerance = 0.05 if bfloat16 else 0.003  # bfloat16 rounds to 3 significant digits
    assert len(here) == len(on_torch) == len(paths)
    for (_, digit, p), (_, torch_digit, q) in zip(here, on_torch):
        assert abs(p - q) < tolerance and (digit == torch_digit or q < 0.6), (here, on_torch)
