from matplotlib import image

from conftest import assert_ok, run_example


def test_prediction_line_and_decision_surface(backend, tmp_path):
    out_png = tmp_path / "surface.png"
    result = assert_ok(run_example("xor-keras", "--smoke", "--plot", "--out", out_png, backend=backend))
    lines = result.stdout.splitlines()
    assert f"Keras backend: {backend}" in lines
    assert "prediction: [[0.] [1.] [1.] [0.]]" in lines
    assert f"decision surface saved to {out_png}" in lines
    picture = image.imread(out_png)
    assert picture.shape[0] > 300 and picture.shape[1] > 300
    # a real surface: both the blue (0) and red (1) ends of the colormap are drawn
    rgb = picture[..., :3]
    assert ((rgb[..., 2] > 0.5) & (rgb[..., 0] < 0.3)).sum() > 500
    assert ((rgb[..., 0] > 0.5) & (rgb[..., 2] < 0.3)).sum() > 500


def test_default_run_prints_epochs_as_the_post():
    result = assert_ok(run_example("xor-keras", "--epochs", 3))
    assert result.stdout.count("Epoch ") == 3
    assert "binary_accuracy" in result.stdout
