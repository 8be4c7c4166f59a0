"""MNIST with Matplotlib: load the training digits and draw one of them.

Loads MNIST with keras.datasets as the post does (or from --data, a local .npz in
the layout of Keras's mnist.npz), prints the shape of the training data and draws
train_images[4] with the binary colormap. The figure is saved to digit.png beside
this script (or --out), and shown when there is a display.

    cd mnist_plt && python main.py [--index 4] [--data mnist.npz] [--out digit.png]
"""
import argparse
import contextlib
import os
import signal
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BACKENDS = ("tensorflow", "jax", "torch")
FIGURE_TYPES = (".png", ".jpg", ".jpeg", ".pdf", ".svg")


def main():
    args = parse_args()
    import_keras(args)  # beyond the post: --backend, and no C++ log noise

    from keras.datasets import mnist
    import matplotlib.pyplot as plt

    with offline_hint():  # beyond the post: --data, for a reader without the download
        (train_images, train_labels), (test_images, test_labels) = mnist.load_data() if not args.data else load_npz(args.data)

    print("training data = dims: {}, shape: {}, dtype: {}".format(
        train_images.ndim, train_images.shape, train_images.dtype))

    check_index(args.index, train_images)  # beyond the post: --index picks another digit
    digit = train_images[args.index]

    plt.imshow(digit, cmap=plt.cm.binary)
    plt.title(f"train_images[{args.index}]: label {train_labels[args.index]}")  # beyond the post
    save_figure(plt.gcf(), args.out)  # beyond the post: headless, plt.show() shows nothing
    print(f"digit saved to {args.out}")
    plt.show()


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.error = lambda message: parser.exit(2, f"{parser.prog}: error: {message} (see --help)\n")
    parser.add_argument("--index", type=int_in(0, 10**9), default=4,
                        help="which training digit to draw (default: 4, the post's)")
    parser.add_argument("--data", type=npz_file, help="a local mnist.npz instead of Keras's download")
    parser.add_argument("--out", type=figure_path, default=HERE / "digit.png",
                        help=f"where to save the figure, {'/'.join(FIGURE_TYPES)} (default: %(default)s)")
    parser.add_argument("--backend", choices=BACKENDS,
                        help="Keras backend (default: KERAS_BACKEND, else ~/.keras/keras.json, else tensorflow)")
    return parser.parse_args()


def int_in(low, high):
    """An argparse type: a whole number from low to high, or one line saying why not."""
    def parse(text):
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be {low} to {high:,}, got {value:,}")
        return value
    parse.__name__ = "whole number"  # argparse's word for a value int() refuses
    return parse


def npz_file(text):
    """--data: an existing .npz file (a zip archive), checked before any heavy import."""
    path = Path(text)
    try:
        with open(path, "rb") as file:
            is_zip = file.read(4) == b"PK\x03\x04"
    except OSError as error:
        raise argparse.ArgumentTypeError(f"{text}: {error.strerror}")
    if not is_zip:
        raise argparse.ArgumentTypeError(f"{text}: not a readable .npz file (an .npz is a zip archive)")
    return path


def figure_path(text):
    """An output figure: a file type Matplotlib writes, in a folder that exists or can be made."""
    path = Path(text).resolve()
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder: name a file")
    if path.suffix.lower() not in FIGURE_TYPES:
        raise argparse.ArgumentTypeError(f"{text}: must end in one of {', '.join(FIGURE_TYPES)}")
    folder = next(p for p in path.parents if p.exists())
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise argparse.ArgumentTypeError(f"{text}: cannot write in {folder}")
    return path


def import_keras(args):
    """Import Keras on --backend (else as KERAS_BACKEND or keras.json say), quietly."""
    if args.backend:
        os.environ["KERAS_BACKEND"] = args.backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # read only when TensorFlow is imported
    sys.stderr.flush()
    stderr, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # TensorFlow prints its first C++ log lines before that level applies
    try:
        import keras
    except ModuleNotFoundError as error:
        name = (error.name or "keras").split(".")[0]
        extra = f"-{name}" if name in ("jax", "torch") else ""
        sys.exit(f"error: {name!r} is not installed (Keras needs it): pip install -r requirements{extra}.txt")
    except ValueError as error:  # "Unable to import backend : theano"
        sys.exit(f"error: unknown Keras backend {str(error).split(': ')[-1]!r}: use one of {', '.join(BACKENDS)}")
    finally:
        os.dup2(stderr, 2)
        os.close(stderr)
        os.close(devnull)
    print(f"Keras backend: {keras.backend.backend()}")


@contextlib.contextmanager
def offline_hint():
    """Keras's failed download (a bare Exception) as one line that says what to do."""
    try:
        yield
    except Exception as error:
        if "URL fetch failure" not in str(error):
            raise
        sys.exit(f"error: cannot download MNIST ({str(error).splitlines()[0]}); offline, pass --data PATH "
                 "to a local mnist.npz, or set KERAS_HOME to a folder whose datasets/ holds Keras's mnist.npz")


def load_npz(path):
    """--data: MNIST from an .npz in the layout of Keras's mnist.npz, as mnist.load_data() returns it."""
    import numpy as np

    keys = ("x_train", "y_train", "x_test", "y_test")
    try:
        with np.load(path, allow_pickle=False) as data:  # no pickle: a hostile file cannot run code
            missing = [key for key in keys if key not in data.files]
            if missing:
                sys.exit(f"error: --data {path}: missing {', '.join(missing)} (an mnist.npz holds {', '.join(keys)})")
            x_train, y_train, x_test, y_test = (data[key] for key in keys)
    except (OSError, ValueError) as error:
        sys.exit(f"error: --data {path}: not a readable .npz file ({type(error).__name__})")
    if not all(isinstance(array, np.ndarray) for array in (x_train, y_train, x_test, y_test)):
        sys.exit(f"error: --data {path}: not a readable .npz file (an entry is not a NumPy array)")
    for split, images, labels in (("train", x_train, y_train), ("test", x_test, y_test)):
        if images.ndim != 3 or images.shape[1:] != (28, 28) or len(images) == 0:
            sys.exit(f"error: --data {path}: x_{split} has shape {images.shape}, expected (N, 28, 28)")
        if images.dtype != np.uint8:
            sys.exit(f"error: --data {path}: x_{split} has dtype {images.dtype}, expected uint8")
        if labels.shape != (len(images),) or labels.dtype.kind not in "iu" or not np.isin(labels, range(10)).all():
            sys.exit(f"error: --data {path}: y_{split} has shape {labels.shape}, "
                     f"expected ({len(images)},) integer labels 0-9")
    return (x_train, y_train), (x_test, y_test)


def check_index(index, train_images):
    if index >= len(train_images):
        sys.exit(f"error: --index {index}: the training data has only {len(train_images)} digits")


def save_figure(fig, path):
    """Replace path whole or not at all: write a temporary file beside it, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        fig.savefig(tmp, format=path.suffix[1:], dpi=100)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def run_with_clean_exits(main):
    """Run main(): Ctrl-C, a closed pipe or a full disk end in one line and the shell's exit code.

    Python raises KeyboardInterrupt in whatever code is running, and a library can swallow it (in a
    gc callback: JAX has one) or turn it into another error (TensorFlow tracing a function). So Ctrl-C
    is remembered, never shows a traceback, and is pressed again each second until main() is left.
    """
    pressed = threading.Event()

    def on_ctrl_c(signum, frame):
        if not pressed.is_set():
            pressed.set()
            threading.Thread(target=press_again, daemon=True).start()
        raise KeyboardInterrupt

    def press_again():
        while True:
            time.sleep(1)
            os.kill(os.getpid(), signal.SIGINT)

    def unless_ctrl_c(unraisable, report=sys.unraisablehook):  # "Exception ignored in ...": not for Ctrl-C
        if not issubclass(unraisable.exc_type, KeyboardInterrupt):
            report(unraisable)

    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not if started with it ignored (nohup)
        signal.signal(signal.SIGINT, on_ctrl_c)
        sys.unraisablehook = unless_ctrl_c
    try:
        main()
        error = None
    except BaseException as caught:
        error = caught
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # main() is left: Ctrl-C has done its work
    if pressed.is_set() or isinstance(error, KeyboardInterrupt):
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    if isinstance(error, BrokenPipeError):  # e.g. `python main.py | head -1`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    if isinstance(error, OSError):  # e.g. a full disk
        sys.exit(f"error: {error.filename or 'output'}: {error.strerror or error}")
    if error is not None:
        raise error


if __name__ == "__main__":
    run_with_clean_exits(main)
