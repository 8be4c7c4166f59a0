"""Classifying digits: the post's MNIST CNN, Keras's 2018 sample (mnist_cnn.py), in Keras 3.

Trains as the post's repository did (Adadelta, 12 epochs, float32), prints its test loss and
accuracy, and writes model.json, model.weights.h5 and history.png beside this script.
    cd mnist && python main.py [--epochs 12] [--seed 0] [--data mnist.npz] [--smoke]
"""
import argparse
import os
from pathlib import Path

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=12, help="default: 12, as in the post")
parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
parser.add_argument("--data", metavar="PATH", help="offline: an mnist.npz in Keras's layout, such "
                    "as the sample this repository ships, ../tests/data/mnist_small.npz")
parser.add_argument("--smoke", action="store_true", help="a short run: 4 epochs, 2,048 digits")
args = parser.parse_args()
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow: fewer start-up log lines
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")  # TensorFlow's fast CPU kernels, on every CPU

import numpy as np
import keras
from keras.datasets import mnist
from keras.models import Sequential
from keras.layers import Dense, Dropout, Flatten, Input
from keras.layers import Conv2D, MaxPooling2D
from keras import backend as K

batch_size = 128
num_classes = 10
epochs = min(args.epochs, 4) if args.smoke else args.epochs

# input image dimensions
img_rows, img_cols = 28, 28

# the data, split between train and test sets
if args.data:  # the same four arrays as Keras's download, from a file of your own
    with np.load(args.data) as data:
        x_train, y_train = data["x_train"], data["y_train"]
        x_test, y_test = data["x_test"], data["y_test"]
else:
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
if args.smoke:  # the first 2,048 training and 512 test digits
    x_train, y_train, x_test, y_test = x_train[:2048], y_train[:2048], x_test[:512], y_test[:512]

if K.image_data_format() == 'channels_first':
    x_train = x_train.reshape(x_train.shape[0], 1, img_rows, img_cols)
    x_test = x_test.reshape(x_test.shape[0], 1, img_rows, img_cols)
    input_shape = (1, img_rows, img_cols)
else:
    x_train = x_train.reshape(x_train.shape[0], img_rows, img_cols, 1)
    x_test = x_test.reshape(x_test.shape[0], img_rows, img_cols, 1)
    input_shape = (img_rows, img_cols, 1)

x_train = x_train.astype('float32')
x_test = x_test.astype('float32')
x_train /= 255
x_test /= 255
print('x_train shape:', x_train.shape)
print(x_train.shape[0], 'train samples')
print(x_test.shape[0], 'test samples')

# convert class vectors to binary class matrices
y_train = keras.utils.to_categorical(y_train, num_classes)
y_test = keras.utils.to_categorical(y_test, num_classes)

keras.utils.set_random_seed(args.seed)  # the same weights, dropout and batches every run
model = Sequential()
model.add(Input(shape=input_shape))  # Keras 3: an Input layer, where Keras 2 took input_shape=
model.add(Conv2D(32, kernel_size=(3, 3), activation='relu'))
model.add(Conv2D(64, (3, 3), activation='relu'))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Dropout(0.25))
model.add(Flatten())
model.add(Dense(128, activation='relu'))
model.add(Dropout(0.5))
model.add(Dense(num_classes, activation='softmax'))

model.compile(loss=keras.losses.categorical_crossentropy,
              optimizer=keras.optimizers.Adadelta(learning_rate=1.0),  # Keras 3: 0.001 by default
              metrics=['accuracy'])

history = model.fit(x_train, y_train,
                    batch_size=batch_size,
                    epochs=epochs,
                    verbose=2,  # a line an epoch (the post's 1 draws a progress bar)
                    validation_data=(x_test, y_test))
score = model.evaluate(x_test, y_test, verbose=0)
print('Test loss:', score[0])
print('Test accuracy:', score[1])

HERE = Path(__file__).resolve().parent  # the model and the figure go beside this script
model_json = model.to_json()

with open(HERE / "model.json", "w") as json_file:
    json_file.write(model_json)

model.save_weights(HERE / "model.weights.h5")  # Keras 3: the name must end in .weights.h5
print("model saved to", HERE / "model.json", "and", HERE / "model.weights.h5")

import matplotlib.pyplot as plt  # the history: accuracy and loss, epoch by epoch
fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="tight")
axes[0].axhline(0.9917, color="gray", linestyle="--", label="the post (0.9917)")
for ax, key in zip(axes, ("accuracy", "loss")):
    ax.plot(range(1, epochs + 1), history.history[key], "o-", label="train")
    ax.plot(range(1, epochs + 1), history.history["val_" + key], "o-", label="test")
    ax.set(title=key, xlabel="epoch", xticks=range(1, epochs + 1))
    ax.legend()
fig.savefig(HERE / "history.png")
print("training history saved to", HERE / "history.png")
