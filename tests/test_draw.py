"""draw.py, a pad to draw a digit on: replayed strokes in a subprocess, as a reader without a window
runs it, and the mouse and keys sent in-process through Matplotlib's own event handling to a pad
on a canvas that opens no window (Agg)."""
import json
import shutil
import sys

import matplotlib
import numpy as np
import pytest
from PIL import Image

from conftest import MNIST, ROOT, assert_fails, assert_ok, copy_of, hide_modules, run, stderr_lines

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backend_bases import KeyEvent, MouseEvent  # noqa: E402

SEVEN = json.loads((ROOT / "mnist_predict" / "seven.json").read_text())


@pytest.fixture(scope="session")
def trained(shared_run):
    """mnist/ of a checkout in which main.py --smoke trained on the fixture, on TensorFlow."""
    checkout, result = shared_run("mnist", "--smoke", "--data", MNIST, backend="tensorflow")
    assert_ok(result)
    return checkout / "mnist"


@pytest.fixture(scope="module")
def draw(tmp_path_factory):
    """draw.py, imported from a copy of its folder (its bytecode goes there, not here)."""
    folder = copy_of(tmp_path_factory.mktemp("draw"), "mnist_predict") / "mnist_predict"
    sys.path.insert(0, str(folder))
    import draw
    yield draw
    sys.path.remove(str(folder))


class Reader:
    """A read(image) for a pad: says 7, and keeps each image it was given."""
    def __init__(self):
        self.images = []

    def __call__(self, image):
        self.images.append(image)
        return np.eye(10)[7] * 0.9 + 0.01


@pytest.fixture
def pad(draw, tmp_path):
    pad = draw.Pad(Reader(), folder=tmp_path)
    yield pad
    plt.close(pad.figure)


def mouse(pad, name, point, button=1):
    """A mouse event at point (x, y from the pad's top left), as Matplotlib's canvas sends it."""
    x, y = pad.pad.transData.transform(point)
    event = MouseEvent(name, pad.figure.canvas, x, y, button=button)
    pad.figure.canvas.callbacks.process(name, event)


def stroke(pad, points, button=1):
    mouse(pad, "button_press_event", points[0], button)
    for point in points[1:]:
        mouse(pad, "motion_notify_event", point, button)
    mouse(pad, "button_release_event", points[-1], button)


def key(pad, name):
    """A key pressed with the mouse over the pad."""
    x, y = pad.pad.transData.transform((0.5, 0.5))
    event = KeyEvent("key_press_event", pad.figure.canvas, name, x, y)
    pad.figure.canvas.callbacks.process("key_press_event", event)


def test_replayed_strokes_are_read_and_the_pad_and_bars_saved(trained, tmp_path):
    checkout = copy_of(tmp_path, "mnist_predict")
    shutil.copytree(trained, checkout / "mnist")
    result = assert_ok(run(checkout, "mnist_predict", "--strokes", "seven.json", script="draw.py"))
    figure = checkout / "mnist_predict" / "drawing.png"
    assert result.stdout.splitlines()[0].startswith("seven.json: 7 (probability 0.")
    assert result.stdout.splitlines()[1:] == [f"figure saved to {figure}"]
    pixels = np.asarray(Image.open(figure).convert("RGB")).astype(int)
    left, right = pixels[:, :pixels.shape[1] // 2], pixels[:, pixels.shape[1] // 2:]
    assert (left.sum(axis=2) < 100).mean() > 0.03  # the pad's black strokes
    orange = (np.abs(right - [255, 127, 14]).sum(axis=2) < 30).mean()  # the likeliest digit's bar
    assert orange > 0.01 and (np.abs(left - [255, 127, 14]).sum(axis=2) < 30).mean() == 0


def test_mouse_strokes_are_drawn_and_read_as_replayed_ones(pad, draw):
    mouse(pad, "motion_notify_event", (0.5, 0.5))  # moving without a button draws nothing
    stroke(pad, [(0.2, 0.2), (0.8, 0.8)], button=3)  # nor does the right button
    assert pad.strokes == [] and pad.read.images == []
    stroke(pad, SEVEN[0])
    assert len(pad.read.images) == 1 and len(pad.pad.lines) == 1  # a reading at the stroke's end
    # the same drawing as the strokes replayed, but for the mouse's whole pixels along the edges
    assert (pad.read.images[0] != draw.render(np.array(SEVEN))).mean() < 0.02
    assert pad.title.get_text() == "7 (probability 0.910)"
    assert [bar.get_height() for bar in pad.bars] == pytest.approx(np.eye(10)[7] * 0.9 + 0.01)
    stroke(pad, [(0.4, 0.5), (0.7, 0.5)])  # a second stroke: the whole drawing read again
    assert len(pad.read.images) == 2 and len(pad.strokes) == 2
    assert (pad.read.images[1] < 128).sum() > (pad.read.images[0] < 128).sum()


def test_c_clears(pad):
    stroke(pad, SEVEN[0])
    key(pad, "c")
    assert pad.strokes == [] and len(pad.pad.lines) == 0 and pad.title.get_text() == "Draw a digit"
    assert [bar.get_height() for bar in pad.bars] == [0] * 10


def test_s_saves_the_drawing_under_a_new_name_each_time(pad, draw, tmp_path):
    key(pad, "s")  # nothing drawn: nothing saved
    stroke(pad, SEVEN[0])
    key(pad, "s")
    key(pad, "s")
    (tmp_path / "drawing-3.png").write_bytes(b"a reader's own file")
    key(pad, "s")
    saved = sorted(path.name for path in tmp_path.iterdir())
    assert saved == [f"drawing-{n}.png" for n in (1, 2, 3, 4)]
    assert (tmp_path / "drawing-3.png").read_bytes() == b"a reader's own file"
    for n in (1, 2, 4):
        image = np.asarray(Image.open(tmp_path / f"drawing-{n}.png"))
        assert (image == draw.render(pad.strokes)).all()


def test_matplotlibs_own_keys_are_off_and_q_quits(pad):
    for name in ("ctrl+w", "k", "l", "g"):  # Matplotlib's: close, log x, log y, grid
        key(pad, name)
    assert plt.fignum_exists(pad.figure.number)
    assert pad.pad.get_xscale() == pad.pad.get_yscale() == "linear"
    assert not any(line.get_visible() for line in pad.pad.get_xgridlines())
    key(pad, "q")
    assert not plt.fignum_exists(pad.figure.number)


def test_without_a_display_one_line_says_so(tmp_path):
    checkout = copy_of(tmp_path, "mnist_predict")
    result = run(checkout, "mnist_predict", script="draw.py")
    assert_fails(result, "cannot open a window", "no display")
    assert len(stderr_lines(result)) == 1
    no_tk = hide_modules(tmp_path, "tkinter") | {"DISPLAY": ":0"}  # a display, but no toolkit
    result = run(checkout, "mnist_predict", script="draw.py", env=no_tk)
    assert_fails(result, "cannot open a window", "apt install python3-tk")
    assert len(stderr_lines(result)) == 1


@pytest.mark.parametrize("content, fragment", [
    (None, "No such file"), ("[[0.1, 0.2]", "Expecting"), ('{"x": 1}', "not a list of strokes"),
    ("7", "not a list of strokes"), ("[[[0.1, 0.2, 0.3]]]", "not a list of strokes")])
def test_a_strokes_file_that_is_not_one_is_one_line(content, fragment, tmp_path):
    checkout = copy_of(tmp_path, "mnist_predict")
    if content is not None:
        (tmp_path / "strokes.json").write_text(content)
    strokes = tmp_path / "strokes.json"
    result = run(checkout, "mnist_predict", "--strokes", strokes, script="draw.py")
    assert_fails(result, f"error: {tmp_path / 'strokes.json'}: ", fragment)
    assert len(stderr_lines(result)) == 1
