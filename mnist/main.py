"""Classifying digits: the post's MNIST CNN (its 2018 sample, Keras's mnist_cnn.py), in Keras 3.

Prints `Test loss` and `Test accuracy` as the post does; writes the post's JSON model file, its
weights and the training history (model.json, model.weights.h5, history.png) beside this script.
    cd mnist && python main.py [--epochs 12] [--seed 0] [--data mnist.npz] [--smoke]
"""
import argparse
import os
import time
from pathlib import Path

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=12, help="default: 12, as in the post")
parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
parser.add_argument("--data", metavar="PATH", help="offline: a local mnist.npz in Keras's layout, "
                    "such as the sample this repository ships, ../tests/data/mnist_small.npz")
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
        x_train, y_train, x_test, y_test = (data[k] for k in ("x_train", "y_train", "x_test", "y_test"))
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
# bfloat16 in the layers' sums (the weights stay float32) where the CPU has units for it (AMX,
# AVX-512 BF16): twice as fast there, on TensorFlow with oneDNN and on PyTorch; float32 elsewhere
cpu = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
backend = keras.backend.backend()
onednn = backend == "torch" or backend == "tensorflow" and os.environ["TF_ENABLE_ONEDNN_OPTS"] != "0"
keras.mixed_precision.set_global_policy(
    "mixed_bfloat16" if onednn and ("amx_bf16" in cpu or "avx512_bf16" in cpu) else "float32")
print("Precision:", keras.mixed_precision.global_policy().name)

model = Sequential()
model.add(Input(shape=input_shape))  # Keras 3: an Input layer, where Keras 2 took input_shape=
model.add(Conv2D(32, kernel_size=(3, 3),
                 activation='relu'))
model.add(Conv2D(64, (3, 3), activation='relu'))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Dropout(0.25))
model.add(Flatten())
model.add(Dense(128, activation='relu'))
model.add(Dropout(0.5))
model.add(Dense(num_classes, activation='softmax', dtype='float32'))  # probabilities in float32


class ShiftedBatches(keras.utils.PyDataset):
    """x_train and y_train batch by batch, in a new order each epoch, each digit moved by up to 2
    pixels each way: digits the model has not seen, so it learns shapes, not pixels."""
    epoch = 0

    def __len__(self):
        return -(-len(x_train) // batch_size)

    def __getitem__(self, i):  # the same batches every run, whichever thread asks
        order = np.random.default_rng([args.seed, self.epoch]).permutation(len(x_train))
        index = order[i * batch_size:(i + 1) * batch_size]
        digits = np.pad(x_train.reshape(-1, img_rows, img_cols)[index], ((0, 0), (2, 2), (2, 2)))
        dy, dx = np.random.default_rng([args.seed, self.epoch, i]).integers(0, 5, (2, len(index)))
        windows = np.lib.stride_tricks.sliding_window_view(digits, (img_rows, img_cols), axis=(1, 2))
        return windows[np.arange(len(index)), dy, dx].reshape(-1, *x_train.shape[1:]), y_train[index]

    def on_epoch_end(self):
        self.epoch += 1


# on TensorFlow, two threads make the batches ahead (bench/README.md says why)
train_batches = ShiftedBatches(workers=2 if backend == "tensorflow" else 1)

# Keras 3: Adadelta's default learning rate is 0.001 (Keras 2's: 1.0) and it barely learns;
# Adam, its rate falling from 0.002 to 0 on a cosine, reaches the post's accuracy sooner
model.compile(loss=keras.losses.categorical_crossentropy,
              optimizer=keras.optimizers.Adam(
                  keras.optimizers.schedules.CosineDecay(2e-3, epochs * len(train_batches))),
              metrics=['accuracy'])

POST_ACCURACY = 0.9917  # the post's test accuracy
start, ends = time.perf_counter(), []  # when each epoch ended, for the line below
history = model.fit(train_batches,  # Keras 3: x_train, y_train and batch_size, in ShiftedBatches
                    epochs=epochs,
                    verbose=2,  # a line an epoch (the post's 1 draws a bar in a terminal)
                    validation_data=(x_test, y_test),
                    callbacks=[keras.callbacks.LambdaCallback(
                        on_epoch_end=lambda epoch, logs: ends.append(time.perf_counter() - start))])
score = model.evaluate(x_test, y_test, verbose=0)
print('Test loss:', score[0])
print('Test accuracy:', score[1])
first = next((i for i, a in enumerate(history.history["val_accuracy"]) if a >= POST_ACCURACY), None)
print(f"The post's {POST_ACCURACY} not reached in {epochs} epochs" if first is None else
      f"The post's {POST_ACCURACY} first reached after epoch {first + 1}, {ends[first]:.0f} s in")

HERE = Path(__file__).resolve().parent  # the model and the figure go beside this script
model_json = model.to_json()

with open(HERE / "model.json", "w") as json_file:
    json_file.write(model_json)

model.save_weights(HERE / "model.weights.h5")  # Keras 3: the name must end in .weights.h5
print("model saved to", HERE / "model.json", "and", HERE / "model.weights.h5")

import matplotlib.pyplot as plt  # the history: accuracy and loss, epoch by epoch

fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="tight")
axes[0].axhline(POST_ACCURACY, color="gray", linestyle="--", label=f"the post ({POST_ACCURACY})")
for ax, key in zip(axes, ("accuracy", "loss")):
    ax.plot(range(1, epochs + 1), history.history[key], "o-", label="train")
    ax.plot(range(1, epochs + 1), history.history["val_" + key], "o-", label="test")
    ax.set(title=key, xlabel="epoch", xticks=range(1, epochs + 1))
    ax.legend()
fig.savefig(HERE / "history.png")
print("training history saved to", HERE / "history.png")
