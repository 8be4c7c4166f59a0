"""XOR with Keras: the post's 16-unit network, in Keras 3.

From "Understanding XOR with Keras and TensorFlow": Dense(16, relu) then
Dense(1, sigmoid), mean squared error, Adam, 500 epochs on the four XOR rows.
Prints the rounded predictions; --plot also draws the learned decision surface.

    cd xor-keras && python main.py [--epochs 500] [--seed 0] [--plot] [--backend jax]
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


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def parse_args():
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=positive_int, default=500,
                        help="training epochs (default: 500, as in the post)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--plot", action="store_true",
                        help="draw the decision surface to --out (and show it if there is a display)")
    parser.add_argument("--out", type=Path, default=HERE / "decision_boundary.png",
                        help="where --plot saves its figure (default: %(default)s)")
    parser.add_argument("--backend", help="Keras backend: tensorflow (default), jax or torch")
    parser.add_argument("--smoke", action="store_true",
                        help="quiet run for tests: same training, no per-epoch lines")
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


def plot_decision_surface(model, training_data, target_data, out):
    import matplotlib.pyplot as plt
    import numpy as np

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
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100, bbox_inches="tight")
    print(f"decision surface saved to {out}")
    if plt.get_backend().lower() not in {"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"}:
        plt.show()


def main():
    args = parse_args()
    print(f"Keras backend: {choose_backend(args.backend)}")
    with quiet_stderr():  # set_random_seed imports TensorFlow too, whatever the backend
        import keras
        keras.utils.set_random_seed(args.seed)
    import numpy as np

    # the four different states of the XOR gate
    training_data = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], "float32")

    # the four expected results in the same order
    target_data = np.array([[0], [1], [1], [0]], "float32")

    # Keras 3: keras.Input replaces input_dim=2, keras.layers replaces keras.layers.core.
    model = keras.Sequential([
        keras.Input(shape=(2,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])

    model.compile(loss="mean_squared_error",
                  optimizer="adam",
                  metrics=["binary_accuracy"])

    model.fit(training_data, target_data, epochs=args.epochs, verbose=0 if args.smoke else 2)

    predictions = model.predict(training_data, verbose=0)
    # The post's line, on one line: NumPy would break [[0.] [1.] [1.] [0.]] over four.
    print("prediction: {}".format(np.array2string(predictions.round()).replace("\n", "")))
    print("outputs: {}".format(" ".join(f"{p:.3f}" for p in predictions[:, 0])))

    if args.plot:
        plot_decision_surface(model, training_data, target_data, args.out)


if __name__ == "__main__":
    try:
        main()
    except OSError as error:  # e.g. an output path that cannot be written
        sys.exit(f"error: {error.filename or 'output'}: {error.strerror or error}")
