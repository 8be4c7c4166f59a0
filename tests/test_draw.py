"""mnist_predict/draw.py: strokes replayed as a reader runs it; mouse and keys sent to a pad on
Agg."""
import json
import re
import sys
from unittest.mock import Mock

import matplotlib
import numpy as np
import pytest
from PIL import Image

import test_mnist_predict
from conftest import ROOT, assert_fails, assert_ok, copy_of, hide_modules, run, stderr_lines

reader = test_mnist_predict.reader  # the fixture: a checkout with a trained pair

matplotlib.use("Agg")  # a canvas that opens no window
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backend_bases import KeyEvent, MouseEvent  # noqa: E402

SEVEN = json.loads((ROOT / "mnist_predict" / "seven.json").read_text())
SAYS_7 = np.eye(10)[7] * 0.9 + 0.01  # what the pad's reader says of any drawing


@pytest.fixture(scope="module")
def draw(tmp_path_factory):
    """draw.py, imported from a copy of its folder (its bytecode goes there, not here)."""
    sys.path.insert(0, str(copy_of(tmp_path_factory.mktemp("draw"), "mnist_predict")
                           / "mnist_predict"))
    import draw
    return draw


@pytest.fixture
def pad(draw, tmp_path):
    """A pad that saves to tmp_path, whose reader says 7 of each drawing (pad.read, a Mock)."""
    yield draw.Pad(Mock(return_value=SAYS_7), folder=tmp_path)
    plt.close("all")


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


def key(pad, *names):
    """Keys pressed with the mouse over the pad, as Matplotlib's canvas sends them."""
    for name in names:
        event = KeyEvent("key_press_event", pad.figure.canvas, name,
                         *pad.pad.transData.transform((0.5, 0.5)))
        pad.figure.canvas.callbacks.process("key_press_event", event)


def test_replayed_strokes_are_read_and_the_pad_and_bars_saved(reader):
    result = assert_ok(run(reader, "mnist_predict", "--strokes", "seven.json", script="draw.py"))
    reading, *saved = result.stdout.splitlines()
    figure = reader / "mnist_predict" / "drawing.png"
    assert (re.fullmatch(r"seven\.json: 7 \(probability (0\.\d{3}|1\.000)\)", reading)
            and saved == [f"figure saved to {figure}"]), result.stdout
    pixels = np.asarray(Image.open(figure).convert("RGB")).astype(int)
    left, right = np.array_split(pixels, 2, axis=1)
    orange = [(np.abs(half - [255, 127, 14]).sum(axis=2) < 30).mean() for half in (left, right)]
    assert (left.sum(axis=2) < 100).mean() > 0.03  # the pad's black strokes
    assert orange[0] == 0 and orange[1] > 0.01  # the likeliest digit's bar, orange, beside the pad


def test_mouse_strokes_are_drawn_and_read_after_each_stroke(pad, draw):
    mouse(pad, "motion_notify_event", (0.5, 0.5))  # moving without a button draws nothing
    stroke(pad, [(0.2, 0.2), (0.8, 0.8)], button=3)  # nor does the right button
    assert len(pad.pad.lines) == pad.read.call_count == 0 and pad.title.get_text() == "Draw a digit"
    stroke(pad, SEVEN[0])
    assert len(pad.pad.lines) == pad.read.call_count == 1  # a reading at the stroke's end
    first = pad.read.call_args.args[0]  # as the strokes replayed, but for the mouse's whole pixels:
    assert (first != draw.render(np.array(SEVEN))).mean() < 0.02
    assert pad.title.get_text() == "7 (probability 0.910)"
    assert [bar.get_height() for bar in pad.bars] == pytest.approx(SAYS_7)
    stroke(pad, [(0.4, 0.5), (0.7, 0.5)])  # a second stroke: the whole drawing read again
    assert (pad.read.call_count == 2
            and (pad.read.call_args.args[0] < 128).sum() > (first < 128).sum())


def test_keys_c_clears_s_saves_a_new_file_each_time_q_quits_and_matplotlibs_are_off(pad, tmp_path):
    # nothing drawn, nothing saved; Matplotlib's close, log x and y, grid
    key(pad, "s", "ctrl+w", "k", "l", "g")
    assert (plt.fignum_exists(pad.figure.number)
            and pad.pad.get_xscale() == pad.pad.get_yscale() == "linear")
    assert not any(line.get_visible() for line in pad.pad.get_xgridlines())
    stroke(pad, SEVEN[0])
    (tmp_path / "drawing-2.png").write_bytes(b"a reader's own file")
    key(pad, "s", "s", "c", "s")  # cleared: nothing more to save
    assert (sorted(path.name for path in tmp_path.iterdir())
            == [f"drawing-{n}.png" for n in (1, 2, 3)])
    assert (tmp_path / "drawing-2.png").read_bytes() == b"a reader's own file"
    for n in (1, 3):  # the drawing as it was read
        assert (np.asarray(Image.open(tmp_path / f"drawing-{n}.png"))
                == pad.read.call_args.args[0]).all()
    assert len(pad.pad.lines) == 0 and pad.title.get_text() == "Draw a digit"
    assert [bar.get_height() for bar in pad.bars] == [0] * 10
    key(pad, "q")
    assert not plt.fignum_exists(pad.figure.number)


def test_the_drawing_goes_to_digits_py_as_an_array_no_image_encoded(draw, monkeypatch):
    model = Mock(input_shape=(None, 28, 28, 1))
    model.predict.side_effect = lambda x, verbose: np.tile(SAYS_7, (len(x), 1))
    monkeypatch.setattr(Image.Image, "save", Mock(side_effect=AssertionError("an image encoded")))
    read_image = Mock(wraps=draw.read_image)
    monkeypatch.setattr(draw, "read_image", read_image)
    assert draw.reader(model)(draw.render(np.array(SEVEN))).argmax() == 7
    (image,) = read_image.call_args.args  # brightness, 0 (the pen's black) to 1 (the pad's white)
    assert image.shape == (draw.SIDE, draw.SIDE) and image.min() == 0 and image.max() == 1


def test_a_real_window_on_a_display_reads_the_drawing(reader, display):
    """draw.py's pad in a window of Matplotlib's interactive backend (Xvfb's display), the seven's
    strokes drawn on it and read, nothing encoded as an image on the way."""
    code = ("import json, PIL.Image, matplotlib.pyplot as plt, draw\n"
            "PIL.Image.Image.save = None  # the drawing goes to digits.py as an array\n"
            "pad = draw.Pad(draw.reader(draw.load_model(draw.MODEL_DIR)))\n"
            "for stroke in json.load(open('seven.json')):\n"
            "    pad.add_stroke(stroke)\n"
            "pad.show_reading()\n"
            "plt.pause(0.5)\n"
            "print(plt.get_backend(), pad.title.get_text())\n")
    result = assert_ok(run(reader, "mnist_predict", code, script="-c", backend="tensorflow",
                           env=display))
    assert re.fullmatch(r"tkagg 7 \(probability (0\.\d{3}|1\.000)\)\n", result.stdout), result


@pytest.mark.parametrize("display", [False, True], ids=["no display", "a display but no toolkit"])
def test_without_a_window_one_line_says_why(display, tmp_path):
    env = hide_modules(tmp_path, "tkinter") | {"DISPLAY": ":0"} if display else {}
    result = run(copy_of(tmp_path, "mnist_predict"), "mnist_predict", script="draw.py", env=env)
    why = "apt install python3-tk" if display else "no display"
    assert stderr_lines(result) == [assert_fails(result, "cannot open a window", why)]  # one line


@pytest.mark.parametrize("content, why", [
    (None, "No such file"), ("[[0.1, 0.2]", "Expecting"), ('{"x": 1}', "not a list of strokes"),
    ("7", "not a list of strokes"), ("[[[0.1, 0.2, 0.3]]]", "not a list of strokes")])
def test_a_strokes_file_that_is_not_one_is_one_line(content, why, tmp_path):
    strokes = tmp_path / "strokes.json"
    if content is not None:
        strokes.write_text(content)
    result = run(copy_of(tmp_path, "mnist_predict"), "mnist_predict", "--strokes", strokes,
                 script="draw.py")
    assert stderr_lines(result) == [assert_fails(result, f"error: {strokes}: ", why)]  # one line
