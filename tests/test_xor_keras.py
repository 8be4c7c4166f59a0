from matplotlib import image

from conftest import assert_ok, run_example


def test_prediction_line_and_decision_surface(backend, tmp_path):
    out_png = tmp_path / "surface.png"
    result = assert_ok(run_example("xor-keras", "--plot", "--out", out_png, backend=backend))
    lines = result.stdout.splitlines()
    assert f"Keras backend: {backend}" in lines
    # the post's verbose=2: one plain line per epoch, no progress bar
    assert result.stdout.count("Epoch ") == 500 and "\x1b[" not in result.stdout and "━" not in result.stdout
    assert "prediction: [[0.] [1.] [1.] [0.]]" in lines
    assert f"decision surface saved to {out_png}" in lines
    picture = image.imread(out_png)
    assert picture.shape[0] > 300 and picture.shape[1] > 300
    # a real surface: both the blue (0) and red (1) ends of the colormap are drawn
    rgb = picture[..., :3]
    assert ((rgb[..., 2] > 0.5) & (rgb[..., 0] < 0.3)).sum() > 500
    assert ((rgb[..., 0] > 0.5) & (rgb[..., 2] < 0.3)).sum() > 500
    assert not list(tmp_path.glob(".tmp-*"))


def test_keras_max_epochs_shortens_the_run_as_keras_documents():
    result = assert_ok(run_example("xor-keras", env={"KERAS_MAX_EPOCHS": "3"}))
    assert result.stdout.count("Epoch ") == 3
    assert "binary_accuracy" in result.stdout
    assert result.stdout.rstrip().splitlines()[-1].startswith("prediction: [[")
