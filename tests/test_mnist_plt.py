import numpy as np
from matplotlib import image
from PIL import Image

from conftest import MNIST_SMALL, assert_ok, assert_one_line_error, run_example


def drawn_digit(png):
    """The 28x28 picture inside the axes of a saved figure, as ink (1) on paper (0)."""
    rgb = image.imread(png)[..., :3]
    ink = 1 - rgb.mean(axis=2)
    dark = ink > 0.5
    # the axes frame: the longest dark rows and columns
    rows = np.flatnonzero(dark.sum(axis=1) >= 0.9 * dark.sum(axis=1).max())
    cols = np.flatnonzero(dark.sum(axis=0) >= 0.9 * dark.sum(axis=0).max())
    inside = ink[rows[0] + 2:rows[-1] - 1, cols[0] + 2:cols[-1] - 1]
    return np.asarray(Image.fromarray((inside * 255).astype("uint8")).resize((28, 28), Image.BOX)) / 255


def correlation(a, b):
    return np.corrcoef(a.ravel(), b.ravel())[0, 1]


def test_draws_the_posts_digit(backend, tmp_path):
    out = tmp_path / "digit.png"
    result = assert_ok(run_example("mnist_plt", "--data", MNIST_SMALL, "--out", out, backend=backend))
    assert "training data = dims: 3, shape: (2000, 28, 28), dtype: uint8" in result.stdout
    assert f"digit saved to {out}" in result.stdout
    with np.load(MNIST_SMALL) as data:
        images, labels = data["x_train"], data["y_train"]
    assert labels[4] == 9
    drawn = drawn_digit(out)
    assert correlation(drawn, images[4] / 255) > 0.9
    # and it is that digit, not another one
    assert max(correlation(drawn, images[i] / 255) for i in range(50) if i != 4) < 0.8


def test_index_picks_another_digit(tmp_path):
    out = tmp_path / "seven.png"
    assert_ok(run_example("mnist_plt", "--data", MNIST_SMALL, "--index", 15, "--out", out))
    with np.load(MNIST_SMALL) as data:
        assert correlation(drawn_digit(out), data["x_train"][15] / 255) > 0.9


def test_unwritable_out_is_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = run_example("mnist_plt", "--data", MNIST_SMALL, "--out", blocker / "digit.png")
    assert_one_line_error(result, "error:", "a-file")
