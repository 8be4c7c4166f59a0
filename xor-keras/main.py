"""XOR with Keras: the post's 16-unit network, from "Understanding XOR with Keras and TensorFlow".

Dense(16, relu) then Dense(1, sigmoid), mean squared error, Adam, 500 epochs on the four
rows of XOR, then the rounded predictions. --plot draws the learned decision surface.

    cd xor-keras && python main.py [--seed 0] [--plot] [--backend jax]
"""
import argparse
import os
import signal
import sys
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
FIGURE_TYPES = (".png", ".pdf", ".svg", ".jpg")
KERAS_JSON = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"), "keras.json")
BACKENDS = ("tensorflow", "jax", "torch")


def main():
    args = parse_args()
    keras = import_keras(args.backend)  # beyond the post: --backend, quietly
    keras.utils.set_random_seed(args.seed)  # beyond the post: the same run every time
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

    # on one line, as the post shows it (NumPy breaks it over four), with no progress bar
    print("prediction: {}".format(model.predict(training_data, verbose=0).round()).replace("\n", ""))

    if args.plot:
        plot_decision_surface(model, training_data, target_data, args.out)  # beyond the post


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--plot", action="store_true", help="draw the decision surface to --out")
    parser.add_argument("--out", type=figure_file,
                        help=f"where --plot saves its figure (default: {HERE / 'decision_boundary.png'})")
    parser.add_argument("--backend", choices=BACKENDS,
                        help="Keras backend (default: KERAS_BACKEND, else keras.json's)")
    args = parser.parse_args()
    if not 0 <= args.seed < 2**32:
        parser.error(f"argument --seed: must be 0 to {2**32 - 1}")
    if args.out and not args.plot:
        parser.error("argument --out: it names --plot's figure; add --plot")
    if args.plot and not args.out:  # checked as if given: a read-only checkout is told before training
        try:
            args.out = figure_file(str(HERE / "decision_boundary.png"))
        except argparse.ArgumentTypeError as error:
            parser.error(f"argument --out: {error}")
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
    warnings.filterwarnings("ignore", "Limiting epochs")  # KERAS_MAX_EPOCHS: the reader's own setting
    return keras


def plot_decision_surface(model, training_data, target_data, path):
    """The model's output over the unit square, the 0.5 line in black, the four rows as dots."""
    import matplotlib.pyplot as plt

    grid = np.linspace(0, 1, 101, dtype="float32")
    xx, yy = np.meshgrid(grid, grid)
    surface = model.predict(np.c_[xx.ravel(), yy.ravel()], verbose=0).reshape(xx.shape)
    fig, ax = plt.subplots(figsize=(5, 4.5))
    filled = ax.contourf(xx, yy, surface, levels=np.linspace(0, 1, 11), cmap="RdBu_r")
    ax.contour(xx, yy, surface, levels=[0.5], colors="black", linewidths=2)
    fig.colorbar(filled, ax=ax, label="model output")
    ax.scatter(*training_data.T, c=target_data[:, 0], cmap="RdBu_r", s=160, edgecolors="black", zorder=3)
    for (a, b), t in zip(training_data, target_data[:, 0]):
        ax.annotate(f"{a:.0f} xor {b:.0f} = {t:.0f}", (a, b), xytext=(0, 12), textcoords="offset points",
                    ha="center", bbox={"boxstyle": "round", "fc": "white", "alpha": 0.8})
    ax.set(xlabel="input 1", ylabel="input 2", xlim=(-0.2, 1.2), ylim=(-0.1, 1.2),
           title="XOR: learned decision surface (black: output 0.5)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    print(f"decision surface saved to {path}")
    if plt.get_backend().lower() != "agg":  # a window only where a display works
        plt.show()


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
