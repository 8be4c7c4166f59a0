"""MNIST with Matplotlib: load the training digits and draw one of them.

Loads MNIST with keras.datasets as the post does (or from --data, a local mnist.npz),
prints the shape of the training data and draws train_images[4] with the binary
colormap, to digit.png beside this script (or --out), and in a window where there is one.

    cd mnist_plt && python main.py [--index 4] [--data mnist.npz] [--out digit.png]
"""
import argparse
import contextlib
import hashlib
import os
import signal
import sys
import zipfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
KERAS_JSON = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"), "keras.json")
BACKENDS = ("tensorflow", "jax", "torch")
KERAS_MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"  # keras.datasets.mnist's
FIGURE_TYPES = (".png", ".pdf", ".svg", ".jpg")


def main():
    args = parse_args()  # reads --data too: a bad file is one line before Keras loads
    import_keras(args.backend)  # beyond the post: --backend, quietly
    from keras.datasets import mnist
    import matplotlib.pyplot as plt

    with download_checks(args.data):  # beyond the post: --data, offline; Keras's cache kept safe
        (train_images, train_labels), (test_images, test_labels) = mnist.load_data() if not args.data else args.data

    print("training data = dims: {}, shape: {}, dtype: {}".format(
        train_images.ndim, train_images.shape, train_images.dtype))

    if args.index >= len(train_images):  # beyond the post: --index picks another digit
        sys.exit(f"error: --index {args.index}: the training data has {len(train_images)} digits")
    digit = train_images[args.index]

    plt.imshow(digit, cmap=plt.cm.binary)
    plt.title(f"train_images[{args.index}]: label {train_labels[args.index]}")  # beyond the post
    args.out.parent.mkdir(parents=True, exist_ok=True)
    plt.savefig(args.out, dpi=100)  # beyond the post: a file, for a machine with no display
    print(f"digit saved to {args.out}")
    if plt.get_backend().lower() != "agg":  # a window only where a display works
        plt.show()


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=int, default=4, help="which training digit to draw (default: 4, the post's)")
    parser.add_argument("--data", type=mnist_npz, metavar="PATH", help="a local mnist.npz instead of Keras's download")
    parser.add_argument("--out", type=figure_file, default=str(HERE / "digit.png"),
                        help="where to save the figure (default: %(default)s)")
    parser.add_argument("--backend", choices=BACKENDS,
                        help="Keras backend (default: KERAS_BACKEND, else keras.json's)")
    args = parser.parse_args()
    if args.index < 0:
        parser.error("argument --index: must be 0 or more")
    return args


def figure_file(text):
    """An output figure: a .png (or .pdf, .svg, .jpg) in a folder that exists or can be made."""
    path = Path(text).resolve()
    folder = next(p for p in path.parents if p.exists())
    if path.suffix.lower() not in FIGURE_TYPES or path.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: name a {'/'.join(FIGURE_TYPES)} file")
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise argparse.ArgumentTypeError(f"{text}: cannot write in {folder}")
    return path


def mnist_npz(path):
    """--data: ((x_train, y_train), (x_test, y_test)) from an .npz laid out as Keras's mnist.npz:
    uint8 digits of 28x28 pixels, labels 0 to 9. Raises ArgumentTypeError saying what is wrong."""
    try:
        with open(path, "rb") as file:
            if not zipfile.is_zipfile(file):
                raise ValueError("an .npz is a zip archive; this is not one, or it was cut short")
        with np.load(path, allow_pickle=False) as data:  # no pickle: a hostile file runs no code
            x_train, y_train, x_test, y_test = (data[key] for key in ("x_train", "y_train", "x_test", "y_test"))
    except Exception as error:  # missing, not a zip, a key missing
        raise argparse.ArgumentTypeError(f"{path}: not a readable mnist.npz ({getattr(error, 'strerror', None) or error})")
    for x, y, split in ((x_train, y_train, "train"), (x_test, y_test, "test")):
        if not all(isinstance(a, np.ndarray) for a in (x, y)):
            raise argparse.ArgumentTypeError(f"{path}: not a readable mnist.npz (x_{split} or y_{split} is not an array)")
        if x.dtype != np.uint8 or x.shape[1:] != (28, 28) or y.shape != x.shape[:1] or not np.isin(y, range(10)).all():
            raise argparse.ArgumentTypeError(f"{path}: x_{split} is {x.dtype} {x.shape} and y_{split} {y.dtype} "
                                             f"{y.shape}; expected uint8 (N, 28, 28) and N labels 0-9")
    return (x_train, y_train), (x_test, y_test)


@contextlib.contextmanager
def download_checks(data):
    """Around mnist.load_data(). Keras deletes a cached mnist.npz that is not byte for byte its own
    when it cannot download it again: such a file is refused first. A failed download is one line."""
    cached = KERAS_JSON.parent / "datasets" / "mnist.npz"
    if not data and cached.is_file() and hashlib.sha256(cached.read_bytes()).hexdigest() != KERAS_MNIST_SHA256:
        sys.exit(f"error: {cached} is not Keras's own download, which Keras would replace (deleting it if "
                 f"offline): use it with --data {cached}, or move it away")
    try:
        yield
    except Exception as error:  # Keras raises a bare Exception when the download fails
        if "URL fetch failure" not in str(error):
            raise
        sys.exit(f"error: cannot download MNIST ({str(error).splitlines()[0]}); offline, pass --data PATH, "
                 "a local mnist.npz")


def import_keras(backend):
    """Keras on this backend (else KERAS_BACKEND's, else keras.json's), or one line saying why not."""
    os.environ["KERAS_BACKEND"] = backend or os.environ.get("KERAS_BACKEND", "")
    if os.environ["KERAS_BACKEND"] not in ("", *BACKENDS):  # numpy, openvino: Keras's backends that only predict
        sys.exit(f"error: KERAS_BACKEND={os.environ['KERAS_BACKEND']}: the Keras backends that train are {', '.join(BACKENDS)}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow reads it once, at import
    try:
        import keras
    except ModuleNotFoundError as error:
        name = (error.name or "keras").split(".")[0]
        sys.exit(f"error: {name} is not installed (Keras needs it): pip install -r requirements"
                 f"{'-' + name if name in ('jax', 'torch') else ''}.txt")
    except (ValueError, AttributeError) as error:  # Keras's checks of its keras.json
        sys.exit(f"error: Keras refuses {KERAS_JSON}: "
                 f"{error if isinstance(error, ValueError) else f'it must hold a JSON object ({error})'}")
    if keras.backend.backend() not in BACKENDS:
        sys.exit(f"error: {KERAS_JSON}: the Keras backends that train are {', '.join(BACKENDS)}, not {keras.backend.backend()}")
    print(f"Keras backend: {keras.backend.backend()}")
    return keras


def on_ctrl_c(signum, frame):
    """Ctrl-C: one line and exit 130 at once, whatever a library would make of a KeyboardInterrupt."""
    try:
        sys.stdout.flush()
    finally:
        print("interrupted", file=sys.stderr)
        os._exit(130)


if __name__ == "__main__":
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not where it is ignored
        signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        sys.stdout.reconfigure(errors="backslashreplace")  # any file name prints, whatever the terminal takes
        main()
        sys.stdout.flush()
    except BrokenPipeError:  # `python main.py | head`: stop quietly, as Python's docs advise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except OSError as error:  # a full disk, say
        sys.exit(f"error: {error}")
