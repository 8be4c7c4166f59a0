"""gpu-test, xor-numpy, xor-keras and mnist_plt: the post's lines, printed as the post shows
them."""
import re

import numpy as np
import pytest
from matplotlib import image
from PIL import Image

from conftest import MNIST, ROOT, assert_fails, assert_ok, copy_of, run


def test_gpu_test_lists_the_devices_in_the_posts_format(shared_run, backend):
    lines = assert_ok(shared_run("gpu-test", backend=backend)[1]).stdout.splitlines()
    assert lines[:4] == [f"Keras backend: {backend}", "", 'name: "/device:CPU:0"',
                         'device_type: "CPU"']
    assert re.fullmatch(r"memory_limit: \d{9,}", lines[4])  # the machine's memory, in bytes
    gpus = re.findall(r'^name: "/device:GPU:(\d+)"\ndevice_type: "GPU"\n(?:memory_limit: \d+\n)?'
                      r'physical_device_desc: "device: \1, name: .+"$', "\n".join(lines), re.M)
    assert "None" not in lines  # a memory the backend does not tell is left out (TensorFlow's GPUs)
    # each GPU a whole block (none on a CPU machine)
    assert len(gpus) == "\n".join(lines).count("GPU:")


def test_xor_numpy_prints_the_source_posts_numbers(shared_run):
    lines = assert_ok(shared_run("xor-numpy")[1]).stdout.splitlines()
    assert lines[6] == "Output After Training:"
    assert [float(line.split()[1]) for line in lines[:6]] == pytest.approx(
        [0.496410, 0.00858452, 0.00578945, 0.00462917, 0.00395876, 0.00351012], rel=1e-5)
    assert [float(x) for x in re.findall(r"[\d.]+(?:e-?\d+)?", " ".join(lines[7:]))] == (
        pytest.approx([0.00260572, 0.99672209, 0.99701711, 0.00386759], rel=1e-5))


def test_xor_keras_learns_xor_and_plots_it(shared_run, backend):
    checkout, result = shared_run("xor-keras", "--plot", backend=backend)
    out, figure = assert_ok(result).stdout, checkout / "xor-keras" / "decision_boundary.png"
    assert len(re.findall(r"^Epoch \d+/500$", out, re.M)) == 500
    assert re.search(r"^1/1 - .* - binary_accuracy: 1\.0000 - loss: [\d.]+$", out, re.M)
    assert out.endswith("prediction: [[0.]\n [1.]\n [1.]\n [0.]]\n"
                        f"decision surface saved to {figure}\n")
    picture = image.imread(figure)[..., :3]
    # reddish (output above 0.5) where one input is 1, bluish about (0, 0) and (1, 1); how much of
    # each depends on the backend's numbers (JAX 0.4.30: 26% and 8%)
    red, blue = picture[..., 0] - picture[..., 2], picture[..., 2] - picture[..., 0]
    assert ((red > 0.1).mean() > 0.05 and (blue > 0.1).mean() > 0.05
            and picture.shape == (480, 640, 3))


def test_mnist_plt_draws_the_posts_nine_from_the_sample_at_the_readmes_path(
        shared_run, backend):
    # its words, wherever its lines break
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "`python main.py --data ../tests/data/mnist_small.npz` in their folders" in readme
    checkout, result = shared_run("mnist_plt", "--data", "../tests/data/mnist_small.npz",
                                  backend=backend, also=["tests/data"])
    figure = checkout / "mnist_plt" / "mnist_plt.png"
    assert assert_ok(result).stdout.splitlines() == [
        "training data = dims: 3, shape: (2048, 28, 28), dtype: uint8", f"digit saved to {figure}"]
    ink = 1 - image.imread(figure)[..., :3].mean(axis=2)
    rows, cols = (np.flatnonzero(n >= 0.9 * n.max())
                  for n in ((ink > 0.5).sum(axis=1), (ink > 0.5).sum(axis=0)))
    # the 28x28 picture inside the axes' frame
    inside = ink[rows[0] + 2:rows[-1] - 1, cols[0] + 2:cols[-1] - 1]
    drawn = np.asarray(
        Image.fromarray((inside * 255).astype("uint8")).resize((28, 28), Image.BOX)).ravel()
    with np.load(MNIST) as data:
        match = [np.corrcoef(drawn, digit.ravel())[0, 1] for digit in data["x_train"][:50]]
        # that digit, no other
        assert data["y_train"][4] == 9 and np.argmax(match) == 4 and match[4] > 0.9


def test_mnist_plt_offline_without_data_ends_with_keras_download_error(tmp_path):
    offline = {var: "http://127.0.0.1:9"
               for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")}
    result = run(copy_of(tmp_path, "mnist_plt"), "mnist_plt",
                 env={**offline, "KERAS_HOME": str(tmp_path)})
    assert_fails(result, "URL fetch failure")
