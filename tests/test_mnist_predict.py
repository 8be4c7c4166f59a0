"""mnist_predict/predict.py run as a reader would, on the pair `mnist/main.py --smoke` trains."""
import codecs
import json
import marshal
import re
import shutil

import numpy as np
import pytest
from PIL import Image

from conftest import MNIST, assert_fails, assert_ok, copy_of, hide_modules, need, run, stderr_lines


def predict(checkout, *args, env=None):
    return run(checkout, "mnist_predict", *args, backend="tensorflow", env=env, script="predict.py")


def readings(stdout):
    """(path, digit, probability) of each line that reads a picture."""
    return [(path, int(digit), float(p)) for path, digit, p in
            re.findall(r"^(.*): (\d) \(probability ([\d.]+)\)$", stdout, re.M)]


@pytest.fixture
def reader(shared_run, tmp_path):
    """mnist_predict/ and a copy of the mnist/ main.py --smoke trained in (TensorFlow): a pair to
    spoil."""
    trained, result = shared_run("mnist", "--smoke", "--data", MNIST, backend="tensorflow")
    assert_ok(result)
    shutil.copytree(trained / "mnist", tmp_path / "checkout" / "mnist")
    return copy_of(tmp_path / "checkout", "mnist_predict")


def test_a_bad_picture_is_one_line_and_the_others_are_still_read(reader, tmp_path):
    seven = reader / "mnist_predict" / "seven.png"
    (tmp_path / "broken.png").write_bytes(seven.read_bytes()[:100])  # a download cut short
    (tmp_path / "notes.png").write_text("not a picture")
    Image.new("L", (40, 40), 255).save(tmp_path / "blank.png")
    bad = {tmp_path / "broken.png": "truncated",
           tmp_path / "notes.png": "cannot identify image file",
           tmp_path / "blank.png": "no digit found", tmp_path / "missing.png": "No such file"}
    result = predict(reader, "seven.png", *bad, seven)
    assert result.returncode == 1
    assert [answer[:2] for answer in readings(result.stdout)] == [("seven.png", 7), (str(seven), 7)]
    errors = stderr_lines(result)  # one line each, in order
    assert len(errors) == len(bad) and all(line.startswith(f"error: {path}: ") and why in line for
                                           (path, why), line in zip(bad.items(), errors)), errors


def test_no_model_pair_is_one_line_saying_to_train_first(tmp_path):
    result = predict(copy_of(tmp_path, "mnist_predict"), "seven.png")
    assert stderr_lines(result) == [assert_fails(result, "no trained model",
                                                 "python main.py in mnist/ (or train.py in "
                                                 "mnist_fast/)")]


@pytest.mark.parametrize("case", ["a Lambda layer", "a layer missing", 64, 10**12])
def test_a_model_that_runs_code_does_not_fit_or_is_absurd_is_refused_in_one_line(
        case, reader, tmp_path):
    path, ran, env, why = reader / "mnist" / "model.json", tmp_path / "ran", None, "train again"
    config = json.loads(path.read_text())
    layers = config["config"]["layers"]
    if case == "a Lambda layer":  # as Keras saves a Lambda's function: this one would touch `ran`
        code = eval(f"lambda x: __import__('pathlib').Path({str(ran)!r}).touch() or x").__code__
        function = {"class_name": "__lambda__", "config": {
            "code": codecs.encode(marshal.dumps(code), "base64").decode(), "defaults": None,
            "closure": None}}
        next(layer for layer in layers if layer["class_name"] == "Flatten").update(
            class_name="Lambda", config={"name": "flatten", "function": function})
        why = "arbitrary code"
    elif case == "a layer missing":
        layers.pop()
    else:  # the hidden Dense layer of another size, the layers after it built to fit
        for layer in layers:
            layer.pop("build_config", None)
        next(layer for layer in layers if layer["class_name"] == "Dense")["config"]["units"] = case
        if case > 100_000:  # absurd: refused before Keras is even imported, let alone builds it
            env, why = hide_modules(tmp_path, "keras"), f"a layer or shape of {case:,}"
    path.write_text(json.dumps(config))
    result = predict(reader, "seven.png", env=env)
    # one line
    assert stderr_lines(result) == [assert_fails(result, "not a model main.py saved", why)]
    assert not ran.exists()


@pytest.mark.parametrize("other", ["tensorflow", "jax"])
def test_a_pair_trained_on_torch_reads_alike_on_another_backend(other, shared_run, tmp_path):
    need("torch", "pip install -r requirements-torch.txt")
    need(other, f"pip install -r requirements-{other}.txt")
    checkout, trained = shared_run("mnist", "--smoke", "--data", MNIST, backend="torch")
    assert_ok(trained)
    model_dir, paths = checkout / "mnist", [tmp_path / f"{n}.png" for n in range(8)]
    with np.load(MNIST) as data:  # the sample's first 8 test digits as pictures, dark ink on white
        labels = data["y_test"][:8]
        for path, image in zip(paths, data["x_test"]):
            Image.fromarray(255 - image).save(path)
    here, on_torch = [readings(assert_ok(run(
        copy_of(tmp_path / name, "mnist_predict"), "mnist_predict", *paths, "--model-dir",
        model_dir, backend=name, script="predict.py")).stdout) for name in (other, "torch")]
    assert sum(digit == label for (_, digit, _), label in zip(on_torch, labels)) >= 7, on_torch
    assert len(here) == len(on_torch) == len(paths)
    for (_, digit, p), (_, torch_digit, q) in zip(here, on_torch):
        assert abs(p - q) < 0.003 and (digit == torch_digit or q < 0.6), (here, on_torch)
