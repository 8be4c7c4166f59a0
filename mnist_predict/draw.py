"""Draw a digit and watch it read: the model's reading of a pad you draw on with the mouse.

After each stroke the reading is the title, and the ten probabilities are bars beside the pad.

Builds on the post's "Classifying Digits" (mnist/), as predict.py does: a drawing goes through
the same steps as a picture (digits.py prepares it as MNIST's digits were), so a pen of any width
reads as MNIST's strokes. Keys: c clears, s saves the drawing (drawing-1.png, ...), q quits.
    cd mnist_predict && python draw.py [--model-dir ../mnist]
Without a window, strokes saved as JSON are replayed and the figure saved as drawing.png:
    cd mnist_predict && python draw.py --strokes seven.json [--out drawing.png]
"""
import argparse
import importlib.util
import itertools
import json
import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from digits import read_image  # beside this script
from predict import HERE, MODEL_DIR, load_model, read_digit

PEN = 0.08  # the pen's width, a fraction of the pad's side
SIDE = 280  # pixels on a side of the image a drawing is read from: 10 times MNIST's 28


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=MODEL_DIR,
                        help="where mnist/main.py or mnist_fast/train.py saved its model "
                             "(default: ../mnist)")
    parser.add_argument("--strokes", metavar="FILE.json", type=Path,
                        help="replay these strokes, no window: [[[x, y], ...], ...], x and y from "
                             "0 to 1 from the pad's top left")
    parser.add_argument("--out", type=Path, default=HERE / "drawing.png",
                        help="with --strokes: where the figure goes (default: drawing.png "
                             "beside this script)")
    args = parser.parse_args()
    if args.strokes:
        replay(args)
        return

    import matplotlib.pyplot as plt
    from matplotlib.backends import BackendFilter, backend_registry

    # With no display, or no GUI toolkit, Matplotlib falls back to Agg, which only saves files
    if plt.get_backend().lower() in backend_registry.list_builtin(BackendFilter.NON_INTERACTIVE):
        display = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
        if sys.platform.startswith("linux") and not display:
            why = "no display (DISPLAY is not set): run it in a desktop session, or over ssh -X"
        elif importlib.util.find_spec("tkinter") is None:
            why = "no GUI toolkit for Matplotlib: apt install python3-tk (or pip install pyqt6)"
        else:
            why = f"Matplotlib cannot show a window on display {display}"
        sys.exit(f"error: draw.py cannot open a window here: {why}; "
                 "python draw.py --strokes seven.json reads strokes without one")
    pad = Pad(reader(load_model(args.model_dir)))  # kept: Matplotlib holds its methods weakly
    plt.show()
    return pad


def replay(args):
    """--strokes: the strokes drawn on a pad in a figure that is saved, not shown; the reading."""
    import matplotlib
    matplotlib.use("Agg")  # no window
    try:
        strokes = load_strokes(args.strokes)
    except (OSError, ValueError) as error:
        sys.exit(f"error: {args.strokes}: {getattr(error, 'strerror', None) or error}")
    pad = Pad(reader(load_model(args.model_dir)))
    for stroke in strokes:
        pad.add_stroke(stroke)
    probabilities = pad.show_reading()
    if probabilities is None:
        sys.exit(f"error: {args.strokes}: {pad.title.get_text()}")
    print(f"{args.strokes}: {probabilities.argmax()} (probability {probabilities.max():.3f})")
    pad.figure.savefig(args.out)
    print("figure saved to", args.out.resolve())


def load_strokes(path):
    """The strokes in a JSON file: a list of strokes, each a list of [x, y] points from 0 to 1."""
    strokes = json.loads(Path(path).read_text())
    try:
        strokes = [np.array(stroke, dtype=float) for stroke in strokes]
        fits = strokes and all(s.ndim == 2 and s.shape[1] == 2 and np.isfinite(s).all()
                               for s in strokes)
    except (TypeError, ValueError):  # not a list, not numbers
        fits = False
    if not fits:
        raise ValueError("not a list of strokes, each a list of [x, y] points from 0 to 1")
    return [stroke.clip(0, 1) for stroke in strokes]


def render(strokes, side=SIDE):
    """The strokes black on white in side x side pixels, at the pad's pen width: the drawing as a
    scan of the pad would show it."""
    image = Image.new("L", (side, side), 255)
    draw = ImageDraw.Draw(image)
    radius = PEN * side / 2
    for stroke in strokes:
        points = [(x * side, y * side) for x, y in stroke]
        draw.line(points, fill=0, width=round(2 * radius), joint="curve")
        for x, y in (points[0], points[-1]):  # round ends, as the pad's pen draws them
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=0)
    return np.asarray(image)


def reader(model):
    """read(image) for a Pad: the drawing (gray levels 0 to 255) read as predict.py reads a
    picture: digits.py's candidates, the one the model is surest of."""
    def read(image):
        return read_digit(model, read_image(image / 255))
    return read


class Pad:
    """A figure: a square pad to draw on with the mouse, and beside it the ten probabilities that
    read(image) gives for the drawing (an array of gray levels, black ink on white) after each
    stroke. Drawings saved with s go to folder."""

    def __init__(self, read, folder=HERE):
        import matplotlib.pyplot as plt

        self.read, self.folder, self.strokes, self.lines = read, Path(folder), [], []
        with plt.rc_context({"toolbar": "None"}):  # no pan or zoom buttons: dragging draws
            self.figure = plt.figure(figsize=(8, 4.4))
        self.figure.canvas.manager.set_window_title("Draw a digit: c clears, s saves, q quits")
        self.pad = self.figure.add_axes((0.04, 0.16, 0.4, 0.727), xlim=(0, 1), ylim=(1, 0),
                                        xticks=[], yticks=[])  # y from 0 at the top, as on paper
        bars = self.figure.add_axes((0.56, 0.16, 0.41, 0.727), ylim=(0, 1), xticks=range(10),
                                    xlabel="digit", ylabel="probability")
        self.bars = bars.bar(range(10), np.zeros(10))
        self.title = self.figure.suptitle("", fontsize=16)
        self.figure.text(0.5, 0.02, "draw with the mouse, a stroke at a time  ·  c clears  ·  "
                         "s saves the drawing  ·  q quits", ha="center", color="gray")
        # the pen in points, the unit of line widths: PEN of the pad's height (in pixels at its dpi)
        self.pen = PEN * self.pad.bbox.height * 72 / self.figure.dpi

        canvas = self.figure.canvas
        # Matplotlib's own keys (s saves the figure, q closes it, c goes back, l and k make an
        # axis logarithmic...) are turned off on this figure; c, s and q are the pad's
        canvas.mpl_disconnect(canvas.manager.key_press_handler_id)
        canvas.mpl_connect("key_press_event", self.on_key)
        canvas.mpl_connect("button_press_event", self.on_press)
        canvas.mpl_connect("motion_notify_event", self.on_move)
        canvas.mpl_connect("button_release_event", self.on_release)
        self.drawing = False
        self.show_reading()

    def point(self, event):
        """Where the mouse is on the pad, x and y from 0 to 1, held to the pad's edges."""
        x, y = self.pad.transData.inverted().transform((event.x, event.y))
        return [min(max(x, 0), 1), min(max(y, 0), 1)]

    def on_press(self, event):
        if event.inaxes is self.pad and event.button == 1:  # the left button starts a stroke
            self.drawing = True
            self.add_stroke([self.point(event)])

    def on_move(self, event):
        if self.drawing:
            self.strokes[-1].append(self.point(event))
            self.lines[-1].set_data(*zip(*self.strokes[-1]))
            self.figure.canvas.draw_idle()

    def on_release(self, event):
        if self.drawing:
            self.drawing = False
            self.show_reading()

    def on_key(self, event):
        action = {"c": self.clear, "s": self.save, "q": self.quit}.get(event.key)
        if action:
            action()

    def add_stroke(self, points):
        """A stroke on the pad, as the mouse draws it: round ends and joints, a dot for a click."""
        self.strokes.append([list(point) for point in points])
        x, y = zip(*self.strokes[-1])
        self.lines += self.pad.plot(x, y, color="black", linewidth=self.pen, solid_capstyle="round",
                                    solid_joinstyle="round", marker="o", markersize=self.pen,
                                    markevery=[0], markeredgewidth=0)
        self.figure.canvas.draw_idle()

    def show_reading(self):
        """The drawing read: the digit as the title, the probabilities as bars, the likeliest in
        orange. Returns them, or None when there is nothing to read."""
        probabilities, title = None, "Draw a digit"
        if self.strokes:
            try:
                probabilities = self.read(render(self.strokes))
                title = f"{probabilities.argmax()} (probability {probabilities.max():.3f})"
            except ValueError as error:  # digits.py's words: nothing that looks like a digit
                title = str(error)
        for digit, bar in enumerate(self.bars):
            bar.set_height(0 if probabilities is None else probabilities[digit])
            likeliest = probabilities is not None and digit == probabilities.argmax()
            bar.set_color("C1" if likeliest else "C0")
        self.title.set_text(title)
        self.figure.canvas.draw_idle()
        return probabilities

    def clear(self):
        for line in self.lines:
            line.remove()
        self.strokes, self.lines = [], []
        self.show_reading()

    def save(self):
        """The drawing as a PNG, as read: drawing-1.png, drawing-2.png, ... never over a file."""
        if not self.strokes:
            return None
        for n in itertools.count(1):
            path = self.folder / f"drawing-{n}.png"
            try:
                with open(path, "xb") as file:  # "x": only a file that does not exist yet
                    Image.fromarray(render(self.strokes)).save(file, format="PNG")
            except FileExistsError:
                continue
            print("drawing saved to", path)
            return path

    def quit(self):
        import matplotlib.pyplot as plt
        plt.close(self.figure)


if __name__ == "__main__":
    main()
