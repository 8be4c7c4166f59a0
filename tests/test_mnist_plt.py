import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from matplotlib import image
from PIL import Image

from conftest import (MNIST, assert_help_is_instant, assert_ok, assert_one_line_error, assert_refused_at_once,
                      reader_env, run_example, write_npz)

OFFLINE = {var: "http://127.0.0.1:9" for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")}


def drawn_digit(png):
    """The 28x28 picture inside the axes of a saved figure, as ink (1) on paper (0)."""
    ink = 1 - image.imread(png)[..., :3].mean(axis=2)
    dark = ink > 0.5
    # the axes' frame: the longest dark rows and columns
    rows = np.flatnonzero(dark.sum(axis=1) >= 0.9 * dark.sum(axis=1).max())
    cols = np.flatnonzero(dark.sum(axis=0) >= 0.9 * dark.sum(axis=0).max())
    inside = ink[rows[0] + 2:rows[-1] - 1, cols[0] + 2:cols[-1] - 1]
    return np.asarray(Image.fromarray((inside * 255).astype("uint8")).resize((28, 28), Image.BOX)) / 255


def correlation(a, b):
    return np.corrcoef(a.ravel(), b.ravel())[0, 1]


def test_draws_the_posts_digit(run_once, out, backend):
    digit = out("mnist_plt", backend) / "digit.png"
    result = assert_ok(run_once("mnist_plt", "--data", MNIST, "--out", digit, backend=backend))
    assert result.stdout.splitlines() == [f"Keras backend: {backend}",
                                          "training data = dims: 3, shape: (2048, 28, 28), dtype: uint8",
                                          f"digit saved to {digit}"]
    with np.load(MNIST) as data:
        images, labels = data["x_train"], data["y_train"]
    assert labels[4] == 9
    drawn = drawn_digit(digit)
    assert correlation(drawn, images[4] / 255) > 0.9
    assert max(correlation(drawn, images[i] / 255) for i in range(50) if i != 4) < 0.8  # that digit, no other


def test_index_picks_another_digit_and_a_dead_display_warns_of_nothing(tmp_path):
    result = assert_ok(run_example("mnist_plt", "--data", MNIST, "--index", 15, "--out", tmp_path / "seven.png",
                                   env={"DISPLAY": "127.0.0.1:97"}))
    assert "seven.png" in result.stdout
    with np.load(MNIST) as data:
        assert correlation(drawn_digit(tmp_path / "seven.png"), data["x_train"][15] / 255) > 0.9
    result = run_example("mnist_plt", "--data", MNIST, "--index", 2048, "--out", tmp_path / "x.png")
    assert_one_line_error(result, "--index 2048", "digits 0 to 2047")


@pytest.mark.parametrize("case, fragment", [
    ("missing", "No such file"), ("text", "not a readable mnist.npz"), ("cut short", "not a readable mnist.npz"),
    (".npy", "not a readable mnist.npz"), ("zip, not npz", "x_train is ()"),
    ("no x_test", "x_test"), ("labels", "x_train is (50, 28, 28) and y_train (49,)"),
])
def test_bad_data_is_one_line_at_once(case, fragment, tmp_path):
    path = tmp_path / "mnist.npz"
    if case == "text":
        path.write_text("not numbers\n")
    elif case == "cut short":  # a download that stopped part way
        path.write_bytes(MNIST.read_bytes()[:300_000])
    elif case == ".npy":
        np.save(tmp_path / "mnist.npy", np.zeros((3, 28, 28), np.uint8))
        path = tmp_path / "mnist.npy"
    elif case == "zip, not npz":
        with zipfile.ZipFile(path, "w") as archive:
            for key in ("x_train", "y_train", "x_test", "y_test"):
                archive.writestr(f"{key}.npy", b"not an array")
    elif case == "no x_test":
        write_npz(path, x_test=None)
    elif case == "labels":
        write_npz(path, y_train=np.zeros(49, np.uint8))
    line = assert_refused_at_once("mnist_plt", "--data", path, "--out", tmp_path / "d.png", fragment=fragment)
    assert "pickle" not in line  # no advice to load it unsafely


def test_offline_download_says_to_use_data(tmp_path):
    result = run_example("mnist_plt", "--out", tmp_path / "d.png", env={"KERAS_HOME": str(tmp_path), **OFFLINE})
    assert_one_line_error(result, "cannot download MNIST", "--data")


def test_a_cached_mnist_npz_that_keras_would_delete_is_kept(tmp_path):
    cached = tmp_path / "datasets" / "mnist.npz"
    cached.parent.mkdir()
    shutil.copy(MNIST, cached)
    result = run_example("mnist_plt", "--out", tmp_path / "d.png", env={"KERAS_HOME": str(tmp_path), **OFFLINE})
    assert_one_line_error(result, str(cached), "--data")
    assert cached.read_bytes() == MNIST.read_bytes()


def test_bad_arguments_are_one_line(read_only_copy, tmp_path):
    assert "--index" in assert_help_is_instant("mnist_plt")
    for args, fragment in [(["--index", "x"], "--index"), (["--out", "digit.mp4"], "--out"), (["--out", "."], "--out")]:
        assert_refused_at_once("mnist_plt", *args, fragment=fragment)
    result = run_example("mnist_plt", "--data", MNIST, "--index", -1, "--out", tmp_path / "x.png")
    assert_one_line_error(result, "--index -1", "0 to 2047", code=1)
    folder = read_only_copy("mnist_plt")  # a read-only checkout: the default figure cannot be written
    result = subprocess.run([sys.executable, "main.py", "--data", MNIST], cwd=folder, capture_output=True, text=True,
                            env=reader_env())
    assert_one_line_error(result, str(folder / "digit.png"), code=1)
