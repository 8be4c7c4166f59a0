"""XOR with Keras: the post's 16-unit network, in Keras 3.

From "Understanding XOR with Keras and TensorFlow": Dense(16, relu) then Dense(1,
sigmoid), mean squared error, Adam, 500 epochs on the four XOR rows, then the
rounded predictions. --plot also draws the learned decision surface.

    cd xor-keras && python main.py [--seed 0] [--plot] [--backend jax]
    KERAS_MAX_EPOCHS=3 python main.py     (Keras itself stops after 3 of the 500 epochs)
"""
import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
BACKENDS = ("tensorflow", "jax", "torch")
FIGURE_TYPES = (".png", ".jpg", ".jpeg", ".pdf", ".svg")


def main():
    args = parse_args()
    import_keras(args)  # beyond the post: --backend, --seed, and no C++ log noise

    from keras.models import Sequential
    from keras.layers import Dense, Input  # Keras 3: keras.layers.core is gone

    # the four different states of the XOR gate
    training_data = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], "float32")

    # the four expected results in the same order
    target_data = np.array([[0], [1], [1], [0]], "float32")

    model = Sequential()
    model.add(Input(shape=(2,)))  # Keras 3: replaces input_dim=2
    model.add(Dense(16, activation='relu'))
    model.add(Dense(1, activation='sigmoid'))

    model.compile(loss='mean_squared_error',
                  optimizer='adam',
                  metrics=['binary_accuracy'])

    model.fit(training_data, target_data, epochs=500, verbose=2)

    # the post's line, on one line (NumPy breaks [[0.] [1.] [1.] [0.]] over four), no progress bar
    print("prediction: {}".format(model.predict(training_data, verbose=0).round()).replace("\n", ""))

    if args.plot:
        plot_decision_surface(model, training_data, target_data, args.out)  # beyond the post


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.error = lambda message: parser.exit(2, f"{parser.prog}: error: {message} (see --help)\n")
    parser.add_argument("--seed", type=int_in(0, 2**32 - 1), default=0, help="random seed (default: 0)")
    parser.add_argument("--plot", action="store_true",
                        help="draw the decision surface to --out (and show it if there is a display)")
    parser.add_argument("--out", type=figure_path, default=HERE / "decision_boundary.png",
                        help=f"where --plot saves its figure, {'/'.join(FIGURE_TYPES)} (default: %(default)s)")
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
    """Import Keras on --backend (else as KERAS_BACKEND or keras.json say), quietly, and seed it."""
    if args.backend:
        os.environ["KERAS_BACKEND"] = args.backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # read only when TensorFlow is imported
    sys.stderr.flush()
    stderr, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # TensorFlow prints its first C++ log lines before that level applies
    try:
        import keras
        keras.utils.set_random_seed(args.seed)  # seeds Python, NumPy and the backend
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


def plot_decision_surface(model, training_data, target_data, out):
    import matplotlib.pyplot as plt

    grid = np.linspace(0, 1, 101, dtype="float32")
    xx, yy = np.meshgrid(grid, grid)
    surface = model.predict(np.c_[xx.ravel(), yy.ravel()], verbose=0).reshape(xx.shape)

    fig, ax = plt.subplots(figsize=(5, 4.5))
    filled = ax.contourf(xx, yy, surface, levels=np.linspace(0, 1, 11), cmap="RdBu_r")
    ax.contour(xx, yy, surface, levels=[0.5], colors="black", linewidths=2)
    fig.colorbar(filled, ax=ax, label="model output")
    ax.scatter(training_data[:, 0], training_data[:, 1], c=target_data[:, 0], cmap="RdBu_r",
               vmin=0, vmax=1, s=160, edgecolors="black", zorder=3)
    for (a, b), t in zip(training_data, target_data[:, 0]):
        ax.annotate(f"{int(a)} xor {int(b)} = {int(t)}", (a, b), textcoords="offset points",
                    xytext=(0, 12), ha="center", fontsize=9,
                    bbox={"boxstyle": "round", "fc": "white", "alpha": 0.8})
    ax.set(xlabel="input 1", ylabel="input 2", xlim=(-0.2, 1.2), ylim=(-0.1, 1.2),
           title="XOR: learned decision surface (black line: output 0.5)")
    save_figure(fig, out)
    print(f"decision surface saved to {out}")
    plt.show()  # with a display; headless, Matplotlib's Agg shows nothing, so the file is the figure


def save_figure(fig, path):
    """Replace path whole or not at all: write a temporary file beside it, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        fig.savefig(tmp, format=path.suffix[1:], dpi=100, bbox_inches="tight")
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
