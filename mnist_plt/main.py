"""MNIST with Matplotlib: load the MNIST training digits and draw one of them, as the post does.

Prints the training data's dimensions, shape and type, and draws train_images[4] (a 9) to
mnist_plt.png beside this script, and in a window where there is a display.
    cd mnist_plt && python main.py [--data mnist.npz]
"""
import argparse
import os
from pathlib import Path

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data", metavar="PATH",
                    help="offline: a local mnist.npz in Keras's layout, such as the sample this "
                         "repository ships, ../tests/data/mnist_small.npz (2,048 training digits)")
args = parser.parse_args()
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow: fewer start-up log lines

import numpy as np
from keras.datasets import mnist
import matplotlib.pyplot as plt

if args.data:  # the same four arrays as Keras's download, from a file of your own
    with np.load(args.data) as data:
        train_images, train_labels = data["x_train"], data["y_train"]
else:
    (train_images, train_labels), (test_images, test_labels) = mnist.load_data()

print("training data = dims: {}, shape: {}, dtype: {}".format(
    train_images.ndim, train_images.shape, train_images.dtype))

digit = train_images[4]

plt.imshow(digit, cmap=plt.cm.binary)
figure = Path(__file__).resolve().parent / "mnist_plt.png"
plt.savefig(figure)  # a file too, for a machine with no display
print(f"digit saved to {figure}")
if plt.get_backend().lower() != "agg":  # a window, where there is a display
    plt.show()
