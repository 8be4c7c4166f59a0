import hashlib
import json
import re
import shutil
import struct
import subprocess
import sys
import time
import zipfile
import zlib

import numpy as np
import pytest
from matplotlib import image
from PIL import Image

from conftest import MNIST_SMALL, ROOT, assert_ok, assert_one_line_error, installed, reader_env, run_example

SMOKE_BOUND = 0.75  # chance is 0.10; a working smoke run reaches about 0.9 on the fixture


def accuracy_in(stdout):
    return float(re.search(r"^Test accuracy: ([\d.]+)$", stdout, re.M).group(1))


def train(out_dir, *extra, backend=None):
    return assert_ok(run_example("mnist", "--smoke", "--data", MNIST_SMALL, "--out-dir", out_dir,
                                 *extra, backend=backend))


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def train_once(tmp_path_factory):
    """Smoke-train once per backend; the --predict and save tests share the model."""
    done = {}

    def get(backend):
        if backend not in done:
            out_dir = tmp_path_factory.mktemp(f"model-{backend}")
            done[backend] = out_dir, train(out_dir, backend=backend)
        return done[backend]
    return get


@pytest.fixture
def trained(train_once):
    return train_once("tensorflow")


def styled_digits(tmp_path, count=12):
    """Fixture test digits written as image files in the styles readers make them."""
    with np.load(MNIST_SMALL) as data:
        digits, labels = data["x_test"][:count], data["y_test"][:count]
    files = {}

    def save(style, picture, name, **options):
        files.setdefault(style, []).append(tmp_path / name)
        picture.save(tmp_path / name, **options)

    for i, digit in enumerate(digits):
        save("mnist", Image.fromarray(digit), f"mnist_{i}.png")
        big = Image.fromarray(255 - digit).resize((200, 200), Image.BILINEAR)  # dark ink on white
        save("big dark-on-light RGB", big.convert("RGB"), f"rgb_{i}.jpg", quality=95)
        page = np.full((90, 160), 240, np.uint8)
        ink = np.asarray(Image.fromarray(digit).resize((56, 56))).astype(int)
        page[5:61, 90:146] = 240 - ink * 200 // 255  # grey ink on an off-white page
        save("off-centre on a wide page", Image.fromarray(page), f"page_{i}.png")
        # a drawing app's export: black ink, the paper transparent
        alpha = np.asarray(Image.fromarray(digit).resize((200, 200), Image.BILINEAR))
        canvas = np.zeros((200, 200, 4), np.uint8)
        canvas[..., 3] = alpha
        save("black on transparent", Image.fromarray(canvas, "RGBA"), f"canvas_{i}.png")
        # a phone photo stored sideways, with the EXIF tag that says to turn it upright
        exif = Image.Exif()
        exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to view
        save("EXIF-rotated JPEG", big.convert("RGB").transpose(Image.Transpose.ROTATE_90),
             f"photo_{i}.jpg", quality=95, exif=exif)
        # a scanner's 16-bit grayscale, dark ink on light paper
        deep = (65535 - np.asarray(big.resize((100, 100)), np.uint16).astype(np.uint32) * 200).astype(np.uint16)
        save("16-bit gray dark-on-light", Image.fromarray(deep), f"deep_{i}.png")
        save("palette", big.convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE, colors=16),
             f"palette_{i}.png")
        save("CMYK JPEG", big.convert("CMYK"), f"cmyk_{i}.jpg", quality=95)
    return files, labels


def cpu_flags():
    try:
        return set(open("/proc/cpuinfo").read().split())
    except OSError:
        return set()


def png_header_only(path, width, height):
    """A PNG that claims width x height pixels but holds none: what a decompression bomb looks like."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))
    return path


def test_smoke_trains_above_chance_and_writes_its_files(train_once, backend):
    out_dir, result = train_once(backend)
    out = result.stdout
    assert f"Keras backend: {backend}" in out
    # torch runs channels_first, its fast layout, as the Keras example the post came from allows
    shape = "(2000, 1, 28, 28)" if backend == "torch" else "(2000, 28, 28, 1)"
    assert f"x_train shape: {shape}" in out and "500 test samples" in out
    # bfloat16 where the CPU has the instructions for it (no GPU here), except on JAX's CPU
    bf16 = backend != "jax" and bool(cpu_flags() & {"amx_bf16", "avx512_bf16"})
    assert re.search(rf"^Precision: {'mixed_bfloat16' if bf16 else 'float32'} \(.+\)$", out, re.M), out
    assert ("Note: XLA's CPU convolutions are slow" in out) == (backend == "jax")
    # piped to a file: one plain line per epoch, as the post's verbose=2, no bar and no colour
    assert len(re.findall(r"^16/16 - \d+s - .*val_accuracy: [\d.]+", out, re.M)) == 4
    assert "\x1b[" not in out and "━" not in out and "\r" not in out
    assert re.search(r"^Test loss: [\d.]+$", out, re.M)
    assert accuracy_in(out) > SMOKE_BOUND
    assert re.search(r"^Epoch times \(s\): [\d.]+ [\d.]+ [\d.]+ [\d.]+$", out, re.M)
    config = json.loads((out_dir / "model.json").read_text())
    assert config["class_name"] == "Sequential"
    layer_names = [layer["class_name"] for layer in config["config"]["layers"]]
    assert layer_names == ["InputLayer", "RandomTranslation", "Conv2D", "Conv2D", "MaxPooling2D", "Dropout", "Flatten",
                           "Dense", "Dropout", "Dense"]
    assert config["weights_sha256"] == digest(out_dir / "model.weights.h5")
    assert config["config"]["layers"][0]["config"]["batch_shape"] == [None, 28, 28, 1]
    assert "channels_first" not in json.dumps(config)  # the same file on every backend
    assert all(layer["module"] == "keras.layers" and layer["registered_name"] is None
               for layer in config["config"]["layers"])  # Keras's own layers: no class of ours needed to load it
    history = image.imread(out_dir / "history.png")
    assert history.shape[:2] == (400, 1000)
    # both panels (accuracy, loss) draw a train curve (Matplotlib blue) and a test one (orange)
    for panel in (history[:, :500, :3], history[:, 500:, :3]):
        blue = (np.abs(panel - [0.12, 0.47, 0.71]).sum(axis=2) < 0.15).sum()
        orange = (np.abs(panel - [1.0, 0.5, 0.05]).sum(axis=2) < 0.15).sum()
        assert blue > 300 and orange > 300, (blue, orange)
    assert not list(out_dir.glob(".tmp-*"))


def test_predict_reads_digits_in_any_style(train_once, backend, tmp_path):
    out_dir, _ = train_once(backend)
    files, labels = styled_digits(tmp_path)
    paths = [path for style in files.values() for path in style]
    result = assert_ok(run_example("mnist", "--out-dir", out_dir, "--predict", *paths, backend=backend))
    answers = dict(re.findall(r"^(.*): (\d) \(probability [\d.]+\)$", result.stdout, re.M))
    assert len(answers) == len(paths), result.stdout
    for style, style_paths in files.items():
        predicted = [int(answers[str(path)]) for path in style_paths]
        correct = sum(p == t for p, t in zip(predicted, labels))
        assert correct >= 10, f"{style}: {predicted} vs {labels.tolist()}"


def test_a_model_saved_on_torch_predicts_alike_on_every_backend(train_once, tmp_path):
    if not installed("torch"):
        pytest.skip("Keras backend torch is not installed")
    out_dir, _ = train_once("torch")  # trained channels_first, saved channels_last
    files, labels = styled_digits(tmp_path, count=6)
    answers = {}
    for backend in ("torch", "tensorflow", "jax"):
        if installed(backend):
            result = assert_ok(run_example("mnist", "--out-dir", out_dir, "--predict", *files["mnist"],
                                           backend=backend))
            answers[backend] = [(int(digit), float(p)) for digit, p in
                                re.findall(r"^.*: (\d) \(probability ([\d.]+)\)$", result.stdout, re.M)]
    assert len(answers["torch"]) == 6
    assert sum(digit == label for (digit, _), label in zip(answers["torch"], labels)) >= 5
    # the same numbers up to rounding: float32's, or bfloat16's where the CPU chose it
    tolerance = 0.05 if "mixed_bfloat16" in (out_dir / "model.json").read_text() else 0.003
    for backend, found in answers.items():
        for (digit, p), (torch_digit, q) in zip(found, answers["torch"]):
            assert abs(p - q) < tolerance, (backend, found, answers["torch"])
            assert digit == torch_digit or q < 0.6, (backend, found, answers["torch"])


def run_beside_main(script, backend, *args):
    """Run a Python snippet in mnist/ (where it can load main.py's helpers) on a Keras backend."""
    if not installed(backend):
        pytest.skip(f"Keras backend {backend} is not installed")
    return assert_ok(subprocess.run([sys.executable, "-c", script, *map(str, args)], cwd=ROOT / "mnist",
                                    env=reader_env(backend), capture_output=True, text=True, timeout=300))


# random_translation() and Keras's RandomTranslation given the same shifts, on the torch backend.
SHIFTS = """
import runpy, numpy as np, keras
random_translation = runpy.run_path("main.py")["random_translation"]
for layout, shape in (("channels_first", (64, 1, 28, 28)), ("channels_last", (64, 28, 28, 1))):
    keras.config.set_image_data_format(layout)
    ours = random_translation(keras, 0.08)
    keras_own = keras.layers.RandomTranslation(0.08, 0.08, fill_mode="constant")
    assert type(ours) is not keras.layers.RandomTranslation  # the torch version
    assert {**ours.get_config(), "name": ""} == {**keras_own.get_config(), "name": ""}
    digits = keras.ops.convert_to_tensor(np.random.default_rng(0).random(shape, dtype="float32"))
    shifts = keras_own.get_random_transformation(digits, training=True)
    expected = keras.ops.convert_to_numpy(keras_own.transform_images(digits, shifts))
    shifted = keras.ops.convert_to_numpy(ours.transform_images(digits, shifts))
    unchanged = keras.ops.convert_to_numpy(ours(digits, training=False))
    print(layout, np.abs(shifted - expected).max(), np.abs(shifted - digits.numpy()).max(),
          np.abs(unchanged - digits.numpy()).max())
"""


def test_torch_shifts_digits_as_keras_does_it():
    result = run_beside_main(SHIFTS, "torch")
    differences = dict((line.split()[0], [float(x) for x in line.split()[1:]]) for line in result.stdout.splitlines())
    assert differences.keys() == {"channels_first", "channels_last"}
    for to_keras, to_input, at_test_time in differences.values():
        assert to_keras < 1e-5 and to_input > 0.1 and at_test_time == 0


# faster_on_torch()'s Conv2D and Dropout against Keras's own, on the torch backend.
FASTER_LAYERS = """
import runpy, numpy as np, keras, torch
faster_on_torch = runpy.run_path("main.py")["faster_on_torch"]
Conv2D, Dropout = faster_on_torch(keras, keras.layers.Conv2D, keras.layers.Dropout)
print("names:", Conv2D.__name__, Dropout.__name__, Conv2D is not keras.layers.Conv2D, Dropout is not keras.layers.Dropout)
print("configs alike:", {**Conv2D(64, 3).get_config(), "name": ""} == {**keras.layers.Conv2D(64, 3).get_config(), "name": ""},
      {**Dropout(0.25).get_config(), "name": ""} == {**keras.layers.Dropout(0.25).get_config(), "name": ""})
keras.config.set_image_data_format("channels_first")
values = torch.rand(128, 64, 12, 12) + 0.5
dropped = keras.ops.convert_to_numpy(Dropout(0.25)(values, training=True))
kept = dropped != 0
print("dropped:", 1 - kept.mean(), np.abs(dropped[kept] - values.numpy()[kept] / 0.75).max())
print("at test time:", np.array_equal(keras.ops.convert_to_numpy(Dropout(0.25)(values, training=False)), values.numpy()))
images = torch.rand(16, 32, 26, 26)
for activation in ("relu", None):
    results, layouts = [], []
    for layer in (Conv2D(64, 3, activation=activation), keras.layers.Conv2D(64, 3, activation=activation)):
        layer.build(images.shape)
        layer.set_weights([np.random.default_rng(0).normal(size=w.shape).astype("float32") for w in layer.get_weights()])
        inputs = images.clone().requires_grad_()
        outputs = layer(inputs)
        (outputs * torch.linspace(0, 1, outputs.numel()).reshape(outputs.shape)).sum().backward()
        results.append([outputs.detach().numpy(), inputs.grad.numpy(), *(w.value.grad.numpy() for w in layer.weights)])
        layouts.append(outputs.is_contiguous(memory_format=torch.channels_last))
    print(f"conv2d {activation}:", max(np.abs(a - b).max() / np.abs(b).max() for a, b in zip(*results)), *layouts)
"""


def test_torch_conv2d_and_dropout_behave_as_keras_ones_do():
    result = run_beside_main(FASTER_LAYERS, "torch")
    lines = dict(line.split(": ") for line in result.stdout.splitlines())
    assert lines["names"] == "Conv2D Dropout True True"  # Keras's names: the saved model loads anywhere
    assert lines["configs alike"] == "True True"
    fraction, scale_error = map(float, lines["dropped"].split())
    assert abs(fraction - 0.25) < 0.005 and scale_error < 1e-5, lines["dropped"]  # of 1.2M values
    assert lines["at test time"] == "True"
    for activation in ("relu", "None"):  # outputs, input and weight gradients; ours laid out channels-last
        difference, ours, keras_own = lines[f"conv2d {activation}"].split()
        assert float(difference) < 1e-5 and (ours, keras_own) == ("True", "False"), lines


PIPELINES = """
import runpy, sys, numpy as np, keras
fit_data = runpy.run_path("main.py")["fit_data"]
with np.load(sys.argv[1]) as data:
    x, y, x_test, y_test = (data[k] for k in ("x_train", "y_train", "x_test", "y_test"))
x, x_test = x[:1000, :, :, None] / 255, x_test[:300, :, :, None] / 255
y, y_test = keras.utils.to_categorical(y[:1000], 10), keras.utils.to_categorical(y_test[:300], 10)
data = fit_data(keras, x, y, x_test, y_test, 128)
train, test = data["x"], data["validation_data"]
epochs = [list(train.as_numpy_iterator()) for _ in range(2)]
def pairs(batches):
    return sorted(image.tobytes() + label.tobytes() for xb, yb in batches for image, label in zip(xb, yb))
print("batches:", *[len(epoch) for epoch in epochs], *[len(xb) for xb, yb in epochs[0]])
print("every digit once, with its label:", all(pairs(epoch) == pairs([(x, y)]) for epoch in epochs))
images = [np.concatenate([xb for xb, yb in epoch]) for epoch in epochs]
print("new order:", not np.array_equal(images[0], images[1]))
print("test in order:", np.array_equal(np.concatenate([xb for xb, yb in test.as_numpy_iterator()]), x_test),
      np.array_equal(np.concatenate([yb for xb, yb in test.as_numpy_iterator()]), y_test))
print("autotuned:", train.options().autotune.enabled, test.options().autotune.enabled)
"""


def test_tensorflow_batches_as_keras_does_without_the_autotuner_that_stalls_epochs():
    result = run_beside_main(PIPELINES, "tensorflow", MNIST_SMALL)
    lines = dict(line.split(": ") for line in result.stdout.splitlines())
    assert lines["batches"].split() == ["8", "8"] + ["128"] * 7 + ["104"]
    assert lines["every digit once, with its label"] == "True" and lines["new order"] == "True"
    assert lines["test in order"] == "True True"
    # TensorFlow holds up the deletion of an autotuned iterator that has read to the end until its
    # autotuner next wakes (seconds, at random: too noisy for a test); Keras deletes two every epoch
    assert lines["autotuned"] == "False False"


def test_predict_answers_every_readable_image_and_one_line_for_each_other(trained, tmp_path):
    out_dir, _ = trained
    files, labels = styled_digits(tmp_path, count=2)
    broken = tmp_path / "broken.png"
    broken.write_bytes(files["mnist"][0].read_bytes()[:60])  # a truncated download
    blank = tmp_path / "blank.png"
    Image.new("L", (50, 50), 255).save(blank)
    bomb = png_header_only(tmp_path / "bomb.png", 20000, 20000)
    huge = png_header_only(tmp_path / "huge.png", 8000, 8000)
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    a, b = files["mnist"]
    args = [a, broken, blank, b, bomb, huge, text, tmp_path / "missing.png"]
    result = run_example("mnist", "--out-dir", out_dir, "--predict", *args)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "Warning" not in result.stderr, result.stderr
    answered = re.findall(r"^(.*): \d \(probability [\d.]+\)$", result.stdout, re.M)
    assert answered == [str(a), str(b)]
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 6, errors
    for path, fragment in [(broken, "not a readable image"), (blank, "blank"), (bomb, "too large"),
                           (huge, "too large"), (text, "not a readable image"),
                           (tmp_path / "missing.png", "No such file")]:
        assert any(line.startswith(f"error: --predict {path}: ") and fragment in line for line in errors), \
            (path, errors)


def test_predict_without_a_model_says_train_first(tmp_path):
    result = run_example("mnist", "--out-dir", tmp_path, "--predict", "x.png")
    assert_one_line_error(result, "no trained model", "train first")


def test_failed_save_keeps_the_previous_pair(trained, tmp_path):
    out_dir, _ = trained
    for name in ("model.json", "model.weights.h5"):
        shutil.copy(out_dir / name, tmp_path / name)
    before = {name: digest(tmp_path / name) for name in ("model.json", "model.weights.h5")}
    (tmp_path / ".tmp-model.weights.h5").mkdir()  # the weights cannot be written: the save fails midway
    result = run_example("mnist", "--smoke", "--epochs", 1, "--data", MNIST_SMALL, "--out-dir", tmp_path)
    assert_one_line_error(result, "cannot save the model", "previous model files are unchanged")
    assert {name: digest(tmp_path / name) for name in before} == before
    (tmp_path / ".tmp-model.weights.h5").rmdir()
    files, _ = styled_digits(tmp_path, count=2)
    assert_ok(run_example("mnist", "--out-dir", tmp_path, "--predict", *files["mnist"]))


def test_save_killed_between_renames_is_finished_and_mismatch_is_caught(trained, tmp_path):
    old_dir, _ = trained
    new_dir = tmp_path / "new"
    train(new_dir, "--epochs", 1, "--seed", 1)
    files, _ = styled_digits(tmp_path, count=2)
    # killed after the weights were renamed but before the JSON was: finished on the next load
    killed = tmp_path / "killed"
    killed.mkdir()
    shutil.copy(old_dir / "model.json", killed / "model.json")
    shutil.copy(new_dir / "model.weights.h5", killed / "model.weights.h5")
    shutil.copy(new_dir / "model.json", killed / ".tmp-model.json")
    assert_ok(run_example("mnist", "--out-dir", killed, "--predict", *files["mnist"]))
    assert digest(killed / "model.json") == digest(new_dir / "model.json")
    # a JSON and weights from different runs, with nothing to finish: refused
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    shutil.copy(old_dir / "model.json", mixed / "model.json")
    shutil.copy(new_dir / "model.weights.h5", mixed / "model.weights.h5")
    result = run_example("mnist", "--out-dir", mixed, "--predict", *files["mnist"])
    assert_one_line_error(result, "different runs")


def write_npz(path, **overrides):
    with np.load(MNIST_SMALL) as data:
        arrays = {key: data[key][:50] for key in data.files}
    arrays.update(overrides)
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return path


@pytest.mark.parametrize("case, fragment", [
    ("missing", "No such file"),
    ("text", "not a readable .npz"),
    ("npy", "not a readable .npz"),
    ("zip, not npz", "not a readable .npz"),
    ("no x_test", "missing x_test"),
    ("shape", "x_train has shape (50, 32, 32), expected (N, 28, 28)"),
    ("dtype", "x_test has dtype float64, expected uint8"),
    ("labels", "y_train has shape (49,), expected (50,)"),
])
def test_bad_data_gives_one_line(case, fragment, tmp_path):
    path = tmp_path / "data.npz"
    if case == "text":
        path.write_text("not numbers\n")
    elif case == "npy":
        path = tmp_path / "data.npy"
        np.save(path, np.zeros((3, 28, 28), np.uint8))
    elif case == "zip, not npz":
        with zipfile.ZipFile(path, "w") as archive:
            for key in ("x_train", "y_train", "x_test", "y_test"):
                archive.writestr(f"{key}.npy", b"not an array")
    elif case == "no x_test":
        write_npz(path, x_test=None)
    elif case == "shape":
        write_npz(path, x_train=np.zeros((50, 32, 32), np.uint8))
    elif case == "dtype":
        write_npz(path, x_test=np.zeros((50, 28, 28)))
    elif case == "labels":
        write_npz(path, y_train=np.zeros(49, np.uint8))
    start = time.perf_counter()
    result = run_example("mnist", "--smoke", "--data", path, "--out-dir", tmp_path / "out")
    assert_one_line_error(result, "--data", fragment)
    assert not (tmp_path / "out").exists()
    if case in ("missing", "text", "npy"):  # refused while parsing, before TensorFlow loads
        assert result.returncode == 2 and time.perf_counter() - start < 1.5


@pytest.mark.parametrize("folder", ["mnist", "mnist_plt"])
def test_offline_download_names_data_and_keras_home(folder, tmp_path):
    # A proxy on a closed local port makes the download fail at once, as offline.
    proxy = "http://127.0.0.1:9"
    env = {"KERAS_HOME": str(tmp_path), "HTTPS_PROXY": proxy, "https_proxy": proxy,
           "HTTP_PROXY": proxy, "http_proxy": proxy, "NO_PROXY": "", "no_proxy": ""}
    out = ["--out-dir", tmp_path / "out"] if folder == "mnist" else ["--out", tmp_path / "out.png"]
    result = run_example(folder, *out, env=env)
    line = assert_one_line_error(result, "cannot download MNIST", "--data", "KERAS_HOME")
    assert "verify" not in line.lower()


@pytest.mark.parametrize("name", ["tensorflow", "jax"])
def test_data_parallel_on_two_simulated_devices(name, tmp_path):
    if not installed(name):
        pytest.skip(f"Keras backend {name} is not installed")
    result = train(tmp_path, "--cpu-devices", 2, backend=name)
    line = re.search(r"^Data-parallel training on 2 devices \((.*)\), global batch 256$",
                     result.stdout, re.M)
    assert line, result.stdout
    devices = line.group(1).split(": ", 1)[1].split(", ")
    assert sorted(re.search(r"cpu:([01])$", d, re.I).group(1) for d in devices) == ["0", "1"], devices
    assert accuracy_in(result.stdout) > SMOKE_BOUND
