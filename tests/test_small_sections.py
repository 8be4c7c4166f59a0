"""gpu-test, xor-numpy, xor-keras and mnist_plt: the post's lines, printed as the post shows them."""
import re

import numpy as np
import pytest
from matplotlib import image
from PIL import Image

from conftest import MNIST, ROOT, assert_fails, assert_ok, copy_of, run

OFFLINE = {var: "http://127.0.0.1:9" for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")}


def test_gpu_test_lists_the_devices_in_the_posts_format(shared_run, backend):
    _, result = shared_run("gpu-test", backend=backend)
    lines = assert_ok(result).stdout.splitlines()
    assert lines[:4] == [f"Keras backend: {backend}", "", 'name: "/device:CPU:0"', 'device_type: "CPU"']
    assert re.fullmatch(r"memory_limit: \d{9,}", lines[4])  # the machine's memory, in bytes
    gpus = re.findall(r'^name: "/device:GPU:(\d+)"\ndevice_type: "GPU"\nmemory_limit: \S+\n'
                      r'physical_device_desc: "device: \1, name: .+"$', result.stdout, re.M)
    assert len(gpus) == result.stdout.count("GPU:")  # each GPU a whole block (none on a CPU machine)


def test_xor_numpy_prints_the_source_posts_numbers(shared_run):
    _, result = shared_run("xor-numpy")
    lines = assert_ok(result).stdout.splitlines()
    errors = [float(line.split()[1]) for line in lines[:6]]
    assert lines[6] == "Output After Training:"
    output = [float(x) for x in re.findall(r"[\d.]+(?:e-?\d+)?", " ".join(lines[7:]))]
    assert errors == pytest.approx([0.496410, 0.00858452, 0.00578945, 0.00462917, 0.00395876, 0.00351012],
                                   rel=1e-5)
    assert output == pytest.approx([0.00260572, 0.99672209, 0.99701711, 0.00386759], rel=1e-5)


def test_xor_keras_learns_xor_and_plots_it(shared_run, backend):
    checkout, result = shared_run("xor-keras", "--plot", backend=backend)
    out = assert_ok(result).stdout
    assert len(re.findall(r"^Epoch \d+/500$", out, re.M)) == 500
    assert re.search(r"^1/1 - .* - binary_accuracy: 1\.0000 - loss: [\d.]+$", out, re.M)
    figure = checkout / "xor-keras" / "decision_boundary.png"
    assert out.endswith(f"prediction: [[0.]\n [1.]\n [1.]\n [0.]]\ndecision surface saved to {figure}\n")
    picture = image.imread(figure)[..., :3]
    height, width = picture.shape[:2]
    # the surface: reddish (output above 0.5) where one input is 1, bluish about (0, 0) and (1, 1);
    # how much of each depends on the backend's numbers (JAX 0.4.30: 26% and 8%)
    red, blue = picture[..., 0] - picture[..., 2], picture[..., 2] - picture[..., 0]
    assert (red > 0.1).mean() > 0.05 and (blue > 0.1).mean() > 0.05
    assert (width, height) == (640, 480)


def drawn_digit(png):
    """The 28x28 picture inside the axes of a saved figure, as ink (1) on paper (0)."""
    ink = 1 - image.imread(png)[..., :3].mean(axis=2)
    dark = ink > 0.5
    rows = np.flatnonzero(dark.sum(axis=1) >= 0.9 * dark.sum(axis=1).max())  # the axes' frame
    cols = np.flatnonzero(dark.sum(axis=0) >= 0.9 * dark.sum(axis=0).max())
    inside = ink[rows[0] + 2:rows[-1] - 1, cols[0] + 2:cols[-1] - 1]
    return np.asarray(Image.fromarray((inside * 255).astype("uint8")).resize((28, 28), Image.BOX)) / 255


def test_mnist_plt_draws_the_posts_nine(shared_run, backend):
    checkout, result = shared_run("mnist_plt", "--data", MNIST, backend=backend)
    figure = checkout / "mnist_plt" / "mnist_plt.png"
    assert assert_ok(result).stdout.splitlines() == [
        "training data = dims: 3, shape: (2048, 28, 28), dtype: uint8", f"digit saved to {figure}"]
    with np.load(MNIST) as data:
        images, labels = data["x_train"], data["y_train"]
    drawn = drawn_digit(figure)
    match = [np.corrcoef(drawn.ravel(), images[i].ravel())[0, 1] for i in range(50)]
    assert labels[4] == 9 and np.argmax(match) == 4 and match[4] > 0.9  # that digit, no other


@pytest.mark.parametrize("content, message", [
    (None, "No such file or directory"), (b"not an archive", "pickled"), (b"PK\x03\x04cut", "File is not a zip file")])
def test_mnist_plt_bad_data_ends_with_the_librarys_message(tmp_path, content, message):
    data = tmp_path / "mnist.npz"
    if content:
        data.write_bytes(content)
    assert_fails(run(copy_of(tmp_path, "mnist_plt"), "mnist_plt", "--data", data), message)


def test_mnist_plt_offline_without_data_ends_with_keras_download_error(tmp_path):
    env = {**OFFLINE, "KERAS_HOME": str(tmp_path / "keras")}
    assert_fails(run(copy_of(tmp_path, "mnist_plt"), "mnist_plt", env=env), "URL fetch failure")


def test_the_sample_reads_at_the_path_the_readme_gives(tmp_path):
    assert "python main.py --data\n../tests/data/mnist_small.npz` in their folders" in (ROOT / "README.md").read_text()
    checkout = copy_of(tmp_path, "mnist_plt", "tests/data")
    result = run(checkout, "mnist_plt", "--data", "../tests/data/mnist_small.npz")
    assert "shape: (2048, 28, 28)" in assert_ok(result).stdout
