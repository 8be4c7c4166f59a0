"""Cut the small real MNIST fixture that the tests train and plot on.

Takes the first 2,048 training and first 512 test digits of a full MNIST
.npz (the layout of Keras's mnist.npz: x_train, y_train, x_test, y_test) and
writes them, compressed, beside this script as mnist_small.npz. The first
training digits include train_images[4], the 9 that the post plots.

    python tests/data/make_fixture.py PATH/TO/mnist.npz
"""
import sys
from pathlib import Path

import numpy as np

TRAIN, TEST = 2048, 512  # what `mnist/main.py --smoke` takes of the full data


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with np.load(sys.argv[1], allow_pickle=False) as full:
        subset = {"x_train": full["x_train"][:TRAIN], "y_train": full["y_train"][:TRAIN],
                  "x_test": full["x_test"][:TEST], "y_test": full["y_test"][:TEST]}
    out = Path(__file__).resolve().parent / "mnist_small.npz"
    np.savez_compressed(out, **subset)
    for key, value in subset.items():
        print(f"{key}: {value.shape} {value.dtype}")
    print(f"train label counts: {np.bincount(subset['y_train'], minlength=10).tolist()}")
    print(f"wrote {out} ({out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
