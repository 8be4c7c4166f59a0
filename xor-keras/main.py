"""XOR with Keras: the post's 16-unit network, from "Understanding XOR with Keras and TensorFlow".

500 epochs on XOR's four rows, then the rounded predictions; --plot draws what it learned.
    cd xor-keras && python main.py [--seed 0] [--plot [FILE]] [--backend jax]
"""
import argparse
import os
import signal
import sys
from pathlib import Path

import numpy as np

BACKENDS = ("tensorflow", "jax", "torch")
FIGURE = Path(__file__).resolve().parent / "decision_boundary.png"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--plot", nargs="?", const=FIGURE, type=Path, metavar="FILE",
                        help=f"draw the decision surface to FILE, a .png, .pdf, .svg or .jpg (default: {FIGURE})")
    parser.add_argument("--backend", choices=BACKENDS, help="Keras backend (default: KERAS_BACKEND, else keras.json's)")
    args = parser.parse_args()
    if not 0 <= args.seed < 2**32:  # the seeds NumPy takes
        parser.error(f"argument --seed: must be 0 to {2**32 - 1}")
    if args.plot and args.plot.suffix.lower() not in (".png", ".pdf", ".svg", ".jpg"):  # before training, not after
        parser.error(f"argument --plot: {args.plot}: name a .png, .pdf, .svg or .jpg file")
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
        plot_decision_surface(model, training_data, target_data, args.plot)  # beyond the post


def plot_decision_surface(model, training_data, target_data, path):
    """The model's output over the unit square, its 0.5 line in black, and the four rows as dots."""
    import matplotlib.pyplot as plt

    xx, yy = np.meshgrid(*[np.linspace(-0.25, 1.25, 151, dtype="float32")] * 2)
    surface = model.predict(np.c_[xx.ravel(), yy.ravel()], verbose=0).reshape(xx.shape)
    plt.contourf(xx, yy, surface, levels=np.linspace(0, 1, 11), cmap="RdBu_r")
    plt.contour(xx, yy, surface, levels=[0.5], colors="black")
    plt.scatter(*training_data.T, c=target_data, cmap="RdBu_r", s=160, edgecolors="black")
    plt.gca().set(title="XOR: the learned surface (black: output 0.5)", xlabel="input 1", ylabel="input 2")
    plt.savefig(path, dpi=100)
    print(f"decision surface saved to {path.resolve()}")
    if plt.get_backend().lower() != "agg":  # a window too, where a display works
        plt.show()


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
