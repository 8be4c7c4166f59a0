"""MNIST with Matplotlib: load the training digits and draw one of them.

Loads MNIST with keras.datasets as the post does (offline: --data, a local mnist.npz), prints
the training data's shape and draws train_images[4] to digit.png, and in a window if there is one.
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

BACKENDS = ("tensorflow", "jax", "torch")
KERAS_HOME = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
KERAS_MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"  # keras.datasets.mnist's


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=int, default=4, help="which training digit to draw (default: 4, the post's)")
    parser.add_argument("--data", type=mnist_npz, metavar="PATH", help="a local mnist.npz instead of Keras's download")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "digit.png",
                        help="the figure: a .png, .pdf, .svg or .jpg (default: %(default)s)")
    parser.add_argument("--backend", choices=BACKENDS, help="Keras backend (default: KERAS_BACKEND, else keras.json's)")
    args = parser.parse_args()
    if args.out.suffix.lower() not in (".png", ".pdf", ".svg", ".jpg"):
        parser.error(f"argument --out: {args.out}: name a .png, .pdf, .svg or .jpg file")
    import_keras(args.backend)  # beyond the post: --backend, quietly
    from keras.datasets import mnist
    import matplotlib.pyplot as plt

    with download_errors(args.data):  # beyond the post: --data offline; a cached mnist.npz Keras would delete is kept
        (train_images, train_labels), (test_images, test_labels) = mnist.load_data() if not args.data else args.data

    print("training data = dims: {}, shape: {}, dtype: {}".format(
        train_images.ndim, train_images.shape, train_images.dtype))

    if not 0 <= args.index < len(train_images):  # beyond the post: --index picks another digit
        sys.exit(f"error: --index {args.index}: the training data has digits 0 to {len(train_images) - 1}")
    digit = train_images[args.index]

    plt.imshow(digit, cmap=plt.cm.binary)
    plt.title(f"train_images[{args.index}]: label {train_labels[args.index]}")  # beyond the post
    plt.savefig(args.out, dpi=100)  # beyond the post: a file, for a machine with no display
    print(f"digit saved to {args.out.resolve()}")
    if plt.get_backend().lower() != "agg":  # a window too, where a display works
        plt.show()


def mnist_npz(path):
    """--data: ((train_images, train_labels), (test_images, test_labels)) from an .npz in the layout of
    Keras's mnist.npz; else ArgumentTypeError saying what is wrong."""
    try:  # a zip archive first, or NumPy would offer to unpickle it
        with zipfile.ZipFile(path), np.load(path, allow_pickle=False) as data:  # no pickle: no code of the file runs
            found = [(np.asarray(data[f"x_{s}"]), np.asarray(data[f"y_{s}"])) for s in ("train", "test")]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        raise argparse.ArgumentTypeError(f"{path}: not a readable mnist.npz ({error})") from None
    if found[0][0].ndim != 3 or found[0][0].shape[:1] != found[0][1].shape:
        raise argparse.ArgumentTypeError(f"{path}: x_train is {found[0][0].shape} and y_train {found[0][1].shape}; "
                                         "expected N pictures and N labels")
    return found


@contextlib.contextmanager
def download_errors(data):
    """Around mnist.load_data() (not with --data): one line where Keras would delete a cached mnist.npz
    not its own, or is offline."""
    cached = KERAS_HOME / "datasets" / "mnist.npz"
    if not data and cached.is_file() and hashlib.sha256(cached.read_bytes()).hexdigest() != KERAS_MNIST_SHA256:
        sys.exit(f"error: {cached} is not Keras's own download, which Keras would delete: pass it as --data, or move it")
    try:
        yield
    except Exception as error:  # Keras raises a bare Exception when the download fails
        if "URL fetch failure" not in str(error):
            raise
        sys.exit(f"error: cannot download MNIST ({str(error).splitlines()[0]}); offline, pass --data mnist.npz")


def import_keras(backend):
    """Keras on --backend, else KERAS_BACKEND, else keras.json's; or one line saying what is wrong."""
    os.environ.update({"KERAS_BACKEND": backend} if backend else {})
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow reads it once, at import
    try:
        import keras
    except ModuleNotFoundError as error:  # a backend's package
        sys.exit(f"error: {error.name.split('.')[0]} is not installed: pip install -r requirements.txt (TensorFlow), "
                 "requirements-jax.txt or requirements-torch.txt")
    except (ValueError, AttributeError) as error:  # Keras's own words on KERAS_BACKEND or keras.json
        sys.exit(f"error: Keras refuses KERAS_BACKEND or {os.environ.get('KERAS_HOME', '~/.keras')}/keras.json: {error}")
    if keras.backend.backend() not in BACKENDS:  # numpy, openvino: Keras's backends that only predict
        sys.exit(f"error: Keras backend {keras.backend.backend()} cannot train; use {', '.join(BACKENDS)}")
    print(f"Keras backend: {keras.backend.backend()}")
    return keras


if __name__ == "__main__":
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not where Ctrl-C is ignored
        signal.signal(signal.SIGINT, lambda *_: (sys.stdout.flush(), print("interrupted", file=sys.stderr), os._exit(130)))
    try:
        main()
        sys.stdout.flush()
    except BrokenPipeError:  # `python main.py | head`: stop quietly, as Python's docs advise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except OSError as error:  # a full disk, a folder that cannot be written to
        sys.exit(f"error: {error}")
