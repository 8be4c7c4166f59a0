"""MNIST with Matplotlib: load the training digits and draw one of them.

Loads MNIST with keras.datasets as the post does (or from --data, an .npz with
x_train, y_train, x_test, y_test), prints the shape of the training data, and
renders train_images[4] with the binary colormap. The figure is saved to
digit.png beside this script (or --out) and shown when there is a display.

    cd mnist_plt && python main.py [--index 4] [--data mnist.npz] [--out digit.png]
"""
import argparse
import contextlib
import importlib.util
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BACKENDS = ("tensorflow", "jax", "torch")  # each one also the name of its package


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message):  # one line, not usage + error
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def non_negative_int(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be at least 0, got {value}")
    return value


def parse_args():
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=non_negative_int, default=4,
                        help="which training digit to draw (default: 4, the post's)")
    parser.add_argument("--data", type=Path,
                        help="a local mnist.npz instead of Keras's download")
    parser.add_argument("--out", type=Path, default=HERE / "digit.png",
                        help="where to save the figure (default: %(default)s)")
    parser.add_argument("--backend", help="Keras backend: tensorflow (default), jax or torch")
    return parser.parse_args()


def choose_backend(name):
    """Set KERAS_BACKEND before anything imports Keras; fail in one line."""
    name = name or os.environ.get("KERAS_BACKEND") or "tensorflow"
    if name not in BACKENDS:
        sys.exit(f"error: unknown Keras backend {name!r}: use tensorflow, jax or torch "
                 "(pip install -r requirements-jax.txt or requirements-torch.txt adds the others)")
    if importlib.util.find_spec(name) is None:
        extra = "" if name == "tensorflow" else f"-{name}"
        sys.exit(f"error: Keras backend {name!r} is not installed: pip install -r requirements{extra}.txt")
    os.environ["KERAS_BACKEND"] = name
    # TF_CPP_MIN_LOG_LEVEL only works if set before TensorFlow is imported.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return name


@contextlib.contextmanager
def quiet_stderr():
    """Hide the C++ log lines TensorFlow prints on import, before its log level applies."""
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def load_data(path):
    """MNIST as keras.datasets.mnist.load_data() returns it, or from a local .npz.

    Every problem is a one-line message: the caller exits with it.
    """
    import numpy as np

    if path is None:
        from keras.datasets import mnist
        try:
            return mnist.load_data()
        except Exception as error:  # get_file raises a bare Exception on a failed download
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            sys.exit(f"error: cannot download MNIST ({reason}); offline, pass --data PATH to a "
                     "local mnist.npz, or set KERAS_HOME to a folder whose datasets/ holds Keras's mnist.npz")
    if not path.is_file():
        sys.exit(f"error: --data {path}: no such file")
    try:
        # allow_pickle=False: an .npz of plain arrays needs no pickle, which could run code.
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except Exception as error:
        sys.exit(f"error: --data {path}: not a readable .npz file ({type(error).__name__})")
    missing = [key for key in ("x_train", "y_train", "x_test", "y_test") if key not in arrays]
    if missing:
        sys.exit(f"error: --data {path}: missing {', '.join(missing)} "
                 "(an mnist.npz holds x_train, y_train, x_test, y_test)")
    for split in ("train", "test"):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if images.ndim != 3 or images.shape[1:] != (28, 28) or len(images) == 0:
            sys.exit(f"error: --data {path}: x_{split} has shape {images.shape}, expected (N, 28, 28)")
        if images.dtype != np.uint8:
            sys.exit(f"error: --data {path}: x_{split} has dtype {images.dtype}, expected uint8")
        if labels.shape != (len(images),):
            sys.exit(f"error: --data {path}: y_{split} has shape {labels.shape}, "
                     f"expected ({len(images)},) to match x_{split}")
        if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() > 9:
            sys.exit(f"error: --data {path}: y_{split} must hold integer labels 0-9")
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def main():
    args = parse_args()
    print(f"Keras backend: {choose_backend(args.backend)}")
    with quiet_stderr():
        import keras  # noqa: F401  (the post loads MNIST through keras.datasets)
    import matplotlib.pyplot as plt

    (train_images, train_labels), (test_images, test_labels) = load_data(args.data)

    print("training data = dims: {}, shape: {}, dtype: {}".format(
        train_images.ndim, train_images.shape, train_images.dtype))

    if args.index >= len(train_images):
        sys.exit(f"error: --index {args.index}: the training data has only {len(train_images)} digits")
    digit = train_images[args.index]

    plt.imshow(digit, cmap=plt.cm.binary)
    plt.title(f"train_images[{args.index}]: label {train_labels[args.index]}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    plt.savefig(args.out, dpi=100)
    print(f"digit saved to {args.out}")
    # Headless, Matplotlib falls back to Agg, where plt.show() would silently do nothing.
    if plt.get_backend().lower() not in {"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"}:
        plt.show()


if __name__ == "__main__":
    try:
        main()
    except OSError as error:  # e.g. an output path that cannot be written
        sys.exit(f"error: {error.filename or 'output'}: {error.strerror or error}")
