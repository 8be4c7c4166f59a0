"""XOR with Keras: the post's 16-unit network, from "Understanding XOR with Keras and TensorFlow".

The four states of the XOR gate and their results; a hidden layer of 16 ReLUs and a sigmoid
output learn them in 500 epochs of Adam, then the rounded predictions are printed.
    cd xor-keras && python main.py [--plot]
"""
import argparse
import os
from pathlib import Path

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--plot", action="store_true",
                    help="draw what the network learned to decision_boundary.png")
args = parser.parse_args()
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow: fewer start-up log lines

import numpy as np
import keras
from keras.models import Sequential
from keras.layers import Dense, Input  # Keras 3: keras.layers.core is gone

keras.utils.set_random_seed(0)  # the same starting weights every run, so the same result

# the four different states of the XOR gate
training_data = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], "float32")

# the four expected results in the same order
target_data = np.array([[0], [1], [1], [0]], "float32")

model = Sequential()
model.add(Input(shape=(2,)))  # Keras 3: an Input layer, where Keras 2 took input_dim=2
model.add(Dense(16, activation='relu'))
model.add(Dense(1, activation='sigmoid'))

model.compile(loss='mean_squared_error',
              optimizer='adam',
              metrics=['binary_accuracy'])

model.fit(training_data, target_data, epochs=500, verbose=2)

print("prediction: {}".format(model.predict(training_data, verbose=0).round()))

if args.plot:  # the network's output over the unit square: where it answers 1, where 0
    import matplotlib.pyplot as plt

    grid = np.linspace(-0.25, 1.25, 151, dtype="float32")
    xx, yy = np.meshgrid(grid, grid)
    surface = model.predict(np.c_[xx.ravel(), yy.ravel()], verbose=0).reshape(xx.shape)
    plt.contourf(xx, yy, surface, levels=np.linspace(0, 1, 11), cmap="RdBu_r")
    plt.colorbar(label="output")
    plt.contour(xx, yy, surface, levels=[0.5], colors="black")  # the decision boundary
    plt.scatter(training_data[:, 0], training_data[:, 1], c=target_data, cmap="RdBu_r", s=160,
                edgecolors="black")
    plt.gca().set(title="XOR: what the network learned", xlabel="input 1", ylabel="input 2")
    figure = Path(__file__).resolve().parent / "decision_boundary.png"
    plt.savefig(figure)
    print(f"decision surface saved to {figure}")
    if plt.get_backend().lower() != "agg":  # a window too, where there is a display
        plt.show()
