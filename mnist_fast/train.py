"""The post's accuracy in three epochs: the post's MNIST CNN trained as one would today.

Builds on the post's "Classifying Digits" (mnist/): the same layers, trained with what Keras 3
offers: digits moved a little each epoch, a learning rate that warms up then falls, label
smoothing, bfloat16 where the hardware has it. Prints a line an epoch, the post's `Test accuracy`,
when the post's 0.9917 was first reached and the training's seconds; saves model.json and
model.weights.h5 (float32) beside this script, which ../mnist_predict reads with --model-dir.
    cd mnist_fast && python train.py [--epochs 3] [--seed 0] [--data mnist.npz] [--smoke]
"""
import argparse
import os
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
POST_ACCURACY = 0.9917  # the post's test accuracy
BATCH_SIZE = 128
PEAK_RATE, WARMUP = 4e-3, 0.3  # Adam's rate at the top of its warm-up; the warm-up, in epochs
SHIFT = 2  # each training digit moved by up to this many pixels each way, anew each epoch
SMOOTHING = 0.1  # label smoothing: the targets 0.91 and 0.01 rather than 1 and 0
EMA = None  # Adam's moving average of the weights: its momentum, or None for none


def precision(backend, gpus, cpu_flags, onednn=True):
    """The Keras dtype policy to train in: "mixed_bfloat16" (bfloat16 sums, float32 weights) where
    the device that trains has bfloat16 units and the backend uses them, else "float32"."""
    if gpus:  # a GPU: float32, which its TF32 units run fast; bfloat16 does not pay for this CNN
        return "float32"
    # a CPU's units (AMX, AVX-512 BF16), which TensorFlow uses through oneDNN and PyTorch does;
    # JAX stays in float32 (XLA's CPU bfloat16 is slow), as does TensorFlow without oneDNN
    if backend == "torch" or backend == "tensorflow" and onednn:
        if "amx_bf16" in cpu_flags or "avx512_bf16" in cpu_flags:
            return "mixed_bfloat16"
    return "float32"


def cpu_flags():
    """The CPU's feature flags, as Linux lists them (elsewhere: none)."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            return next((line.split(":", 1)[1].split() for line in cpuinfo
                         if line.startswith("flags")), [])
    except OSError:
        return []


def gpus_seen(backend):
    """How many GPUs the backend trains on."""
    if backend == "tensorflow":
        import tensorflow as tf
        return len(tf.config.list_physical_devices("GPU"))
    if backend == "jax":
        import jax
        return sum(device.platform != "cpu" for device in jax.devices())
    import torch
    return torch.cuda.device_count() + torch.backends.mps.is_available()


def post_cnn(keras, input_shape, num_classes=10):
    """The post's CNN, layer for layer as mnist/main.py builds it."""
    return keras.Sequential([
        keras.Input(shape=input_shape),
        keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        keras.layers.Conv2D(64, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Dropout(0.25),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(num_classes, activation="softmax", dtype="float32"),  # float32 out
    ])


def shifted_batches(keras, x, y, shape, seed):
    """x (uint8 digits) and y batch by batch, in a new order each epoch, each digit moved by up to
    SHIFT pixels each way: digits the model has not seen, so it learns shapes rather than pixels.
    A whole epoch is moved at once in NumPy, the same on every backend; a batch is then a slice."""

    class ShiftedBatches(keras.utils.PyDataset):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.epoch = 0
            self.on_epoch_end()

        def __len__(self):
            return -(-len(x) // BATCH_SIZE)

        def __getitem__(self, i):
            batch = slice(i * BATCH_SIZE, (i + 1) * BATCH_SIZE)
            return self.x[batch].reshape(-1, *shape).astype("float32") / 255, self.y[batch]

        def on_epoch_end(self):  # the next epoch's order and moves, the same for the same seed
            rng = np.random.default_rng([seed, self.epoch])
            order = rng.permutation(len(x))
            dy, dx = rng.integers(0, 2 * SHIFT + 1, (2, len(x)))
            padded = np.pad(x[order], ((0, 0), (SHIFT, SHIFT), (SHIFT, SHIFT)))
            windows = np.lib.stride_tricks.sliding_window_view(padded, (28, 28), axis=(1, 2))
            self.x, self.y = windows[np.arange(len(x)), dy, dx], y[order]
            self.epoch += 1

    return ShiftedBatches()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="default: 3")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--data", metavar="PATH", help="offline: an mnist.npz in Keras's layout, "
                        "such as the sample this repository ships, ../tests/data/mnist_small.npz")
    parser.add_argument("--smoke", action="store_true", help="a short run: 2,048 digits")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow: fewer start-up log lines
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")  # TensorFlow's fast CPU kernels
    import keras

    if args.data:
        with np.load(args.data) as data:
            x_train, y_train = data["x_train"], data["y_train"]
            x_test, y_test = data["x_test"], data["y_test"]
    else:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    if args.smoke:  # the first 2,048 training and 512 test digits
        x_train, y_train = x_train[:2048], y_train[:2048]
        x_test, y_test = x_test[:512], y_test[:512]
    shape = (1, 28, 28) if keras.config.image_data_format() == "channels_first" else (28, 28, 1)
    x_test = x_test.reshape(-1, *shape).astype("float32") / 255
    y_train = keras.utils.to_categorical(y_train, 10)
    y_test = keras.utils.to_categorical(y_test, 10)

    keras.utils.set_random_seed(args.seed)
    backend = keras.backend.backend()
    policy = precision(backend, gpus_seen(backend), cpu_flags(),
                       onednn=os.environ["TF_ENABLE_ONEDNN_OPTS"] != "0")
    keras.mixed_precision.set_global_policy(policy)
    print("Precision:", policy)
    model = post_cnn(keras, shape)
    # a batch is a slice of the epoch's moved digits: made in the training's own thread, as
    # threads making them ahead (PyDataset's workers) measured no faster
    batches = shifted_batches(keras, x_train, y_train, shape, args.seed)
    steps = args.epochs * len(batches)
    # Adam's rate rises from 0 to PEAK_RATE over WARMUP of an epoch, then falls to 0 on a cosine
    rate = keras.optimizers.schedules.CosineDecay(
        0.0, steps - int(WARMUP * len(batches)), warmup_target=PEAK_RATE,
        warmup_steps=int(WARMUP * len(batches)))
    model.compile(optimizer=keras.optimizers.Adam(rate, use_ema=EMA is not None,
                                                  ema_momentum=EMA or 0.99),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=SMOOTHING),
                  metrics=["accuracy"])

    start = time.perf_counter()
    ends = []  # when each epoch ended
    history = model.fit(batches, epochs=args.epochs, verbose=2, validation_data=(x_test, y_test),
                        callbacks=[keras.callbacks.LambdaCallback(
                            on_epoch_end=lambda epoch, logs: ends.append(time.perf_counter()))])
    seconds = time.perf_counter() - start
    score = model.evaluate(x_test, y_test, verbose=0)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])
    reached = [i for i, a in enumerate(history.history["val_accuracy"]) if a >= POST_ACCURACY]
    print(f"The post's {POST_ACCURACY} first reached after epoch {reached[0] + 1}, "
          f"{ends[reached[0]] - start:.0f} s in" if reached else
          f"The post's {POST_ACCURACY} not reached in {args.epochs} epochs")
    print(f"Trained in {seconds:.0f} s ({seconds / args.epochs:.1f} s an epoch)")

    # the pair, saved in float32 whatever the training's precision, so it loads on any machine
    keras.mixed_precision.set_global_policy("float32")
    saved = post_cnn(keras, shape)
    saved.set_weights(model.get_weights())
    (HERE / "model.json").write_text(saved.to_json())
    saved.save_weights(HERE / "model.weights.h5")
    print("model saved to", HERE / "model.json", "and", HERE / "model.weights.h5")


if __name__ == "__main__":
    main()
