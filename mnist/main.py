"""Classifying digits: the post's MNIST CNN, trained and saved, in Keras 3.

Two 3x3 convolutions, max pooling, dropout, two dense layers; 12 epochs at batch 128, then
`Test loss` and `Test accuracy`, as in the post. Writes the post's JSON model file and its
weights (model.json, model.weights.h5) and history.png beside this script; predict.py reads them.
    cd mnist && python main.py [--epochs 12] [--seed 0] [--data mnist.npz] [--smoke]
"""
import argparse
import contextlib
import hashlib
import json
import os
import signal
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
BACKENDS = ("tensorflow", "jax", "torch")
KERAS_HOME = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
KERAS_MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"  # keras.datasets.mnist's
POST_ACCURACY = 0.9917  # the post's test accuracy after 12 epochs
batch_size = 128
num_classes = 10
epochs = 12

# input image dimensions
img_rows, img_cols = 28, 28


def main():
    args = parse_args()  # cheap checks first: numbers, --out-dir, --data's file
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")  # TensorFlow's oneDNN on every CPU: faster, and channels_first
    keras = import_keras(args.backend)  # beyond the post: --backend, quietly
    keras.utils.set_random_seed(args.seed)
    from keras.datasets import mnist
    from keras.models import Sequential
    from keras.layers import Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D

    # the data, split between train and test sets
    (x_train, y_train), (x_test, y_test) = args.data or load_data(mnist)  # beyond the post: --data, offline
    if args.smoke:  # beyond the post: a short run with the same outputs
        x_train, y_train, x_test, y_test = x_train[:2048], y_train[:2048], x_test[:512], y_test[:512]

    if keras.config.image_data_format() == 'channels_first':
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

    scope, batch_size = data_parallel(keras, args.cpu_devices, args.batch_size, len(x_test))  # beyond: all GPUs
    set_precision(keras, args.precision)  # beyond the post: bfloat16 where the hardware computes it
    with scope:
        model = Sequential()
        model.add(Input(shape=input_shape))  # Keras 3: replaces input_shape= on the first layer
        model.add(Conv2D(32, kernel_size=(3, 3), activation='relu'))
        model.add(Conv2D(64, (3, 3), activation='relu'))
        model.add(MaxPooling2D(pool_size=(2, 2)))
        model.add(Dropout(0.25))
        model.add(Flatten())
        model.add(Dense(128, activation='relu'))
        model.add(Dropout(0.5))
        model.add(Dense(num_classes, activation='softmax', dtype='float32'))  # float32 even in bfloat16

        # Keras 3: Adadelta's default rate is 0.001 (Keras 2's: 1.0), which barely learns; Adam with
        # its rate decayed from 0.002 to 0 on a cosine learns faster and reaches the post's accuracy
        steps = args.epochs * -(-len(x_train) // batch_size)
        model.compile(loss=keras.losses.categorical_crossentropy,
                      optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(2e-3, steps)),
                      metrics=['accuracy'])

    ends = [time.perf_counter()]  # beyond the post: fit(x_train, y_train) with the digits moved by up to 2 pixels
    history = model.fit(batches(keras, x_train, y_train, batch_size, shift=2),
                        epochs=args.epochs,
                        verbose=1 if sys.stdout.isatty() else 2,  # a bar in a terminal, a line an epoch in a log
                        validation_data=batches(keras, x_test, y_test, batch_size),
                        callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=lambda *_: ends.append(time.perf_counter()))])
    score = model.evaluate(x_test, y_test, batch_size=batch_size, verbose=0)
    print('Test loss:', score[0])
    print('Test accuracy:', score[1])
    print("Epoch times (s):", *(f"{end - begin:.1f}" for begin, end in zip(ends, ends[1:])))  # beyond the post
    reached = [i for i, accuracy in enumerate(history.history["val_accuracy"], 1) if accuracy >= POST_ACCURACY]
    print(f"The post's {POST_ACCURACY} first reached after epoch {reached[0]}, {ends[reached[0]] - ends[0]:.0f} s in"
          if reached else f"Not at the post's {POST_ACCURACY} yet: more epochs, or the full data")

    save_pair(model, args.out_dir)  # the post's JSON model file, and its weights
    plot_history(history.history, args.out_dir / "history.png")  # beyond the post


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=positive, default=epochs, help=f"default: {epochs}, as in the post")
    parser.add_argument("--batch-size", type=positive, default=batch_size, help=f"per device (default: {batch_size})")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--data", type=mnist_npz, metavar="PATH", help="a local mnist.npz instead of Keras's download")
    parser.add_argument("--out-dir", type=out_dir, default=str(HERE),  # a string, so that it is checked too
                        help="where model.json, model.weights.h5 and history.png go (default: here)")
    parser.add_argument("--precision", choices=["auto", "float32", "mixed_bfloat16"], default="auto",
                        help="auto: bfloat16 on GPUs and CPUs that have bfloat16 units, else float32")
    parser.add_argument("--cpu-devices", type=positive, default=1, help="train data-parallel on N parts of the CPU")
    parser.add_argument("--backend", choices=BACKENDS, help="Keras backend (default: KERAS_BACKEND, else keras.json's)")
    parser.add_argument("--smoke", action="store_true",
                        help="a short run with the same outputs: 4 epochs on 2,048 training and 512 test digits")
    args = parser.parse_args()
    if not 0 <= args.seed < 2**32:  # the seeds NumPy takes
        parser.error(f"argument --seed: must be 0 to {2**32 - 1}")
    args.epochs = min(args.epochs, 4) if args.smoke else args.epochs
    return args


def positive(text):
    """A whole number, 1 or more (else argparse says "invalid positive value")."""
    if int(text) < 1:
        raise ValueError(text)
    return int(text)


def out_dir(text):
    """--out-dir: a folder, or one that can be made, where a file can be written: tried before training."""
    path = Path(text).resolve()
    existing = next(p for p in (path, *path.parents) if p.exists())
    try:
        tempfile.TemporaryFile(dir=existing).close()  # a real try: os.access says yes to root everywhere
    except OSError as error:
        raise argparse.ArgumentTypeError(f"{text}: cannot write in {existing} ({error.strerror or error})")
    return path


def mnist_npz(path):
    """--data: ((x_train, y_train), (x_test, y_test)) from an .npz in the layout of Keras's mnist.npz
    (uint8 digits of 28x28 pixels, labels 0 to 9); else ArgumentTypeError saying what is wrong."""
    try:
        with open(path, "rb") as file:
            if not zipfile.is_zipfile(file):  # before NumPy, which would offer to unpickle it
                raise ValueError("an .npz is a zip archive; this is not one, or it was cut short")
        with np.load(path, allow_pickle=False) as data:  # no pickle: a file from elsewhere runs no code
            (x_train, y_train), (x_test, y_test) = [(np.asarray(data[f"x_{s}"]), np.asarray(data[f"y_{s}"]))
                                                    for s in ("train", "test")]  # a member that is no array: bytes
    except (OSError, ValueError, KeyError) as error:
        raise argparse.ArgumentTypeError(f"{path}: not a readable mnist.npz ({getattr(error, 'strerror', 0) or error})")
    for x, y, split in ((x_train, y_train, "train"), (x_test, y_test, "test")):
        if x.dtype != np.uint8 or x.shape[1:] != (28, 28) or y.shape != x.shape[:1] or not np.isin(y, range(10)).all():
            raise argparse.ArgumentTypeError(f"{path}: x_{split} is {x.dtype} {x.shape} and y_{split} {y.dtype} "
                                             f"{y.shape}; expected uint8 (N, 28, 28) and N labels 0-9")
    return (x_train, y_train), (x_test, y_test)


def load_data(mnist):
    """mnist.load_data(), or one line where Keras would delete a cached mnist.npz not its own, or is offline."""
    cached = KERAS_HOME / "datasets" / "mnist.npz"
    if cached.is_file() and hashlib.sha256(cached.read_bytes()).hexdigest() != KERAS_MNIST_SHA256:
        sys.exit(f"error: {cached} is not Keras's own download, which Keras would delete: pass it as --data, or move it")
    try:
        return mnist.load_data()
    except Exception as error:  # Keras raises a bare Exception when the download fails
        if "URL fetch failure" not in str(error):
            raise
        sys.exit(f"error: cannot download MNIST ({str(error).splitlines()[0]}); offline, pass --data mnist.npz")


def set_precision(keras, precision):
    """Says what Keras trains on, and computes in bfloat16 (the weights stay float32) where the hardware
    has units for it: NVIDIA GPUs from Ampere on (compute capability 8.0), CPUs with AMX or AVX-512 BF16
    (not on JAX, whose CPU convolutions gain nothing, nor on TensorFlow without oneDNN, over 10x slower
    there); Apple's GPUs (Metal, MPS) stay in float32."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf
        details = map(tf.config.experimental.get_device_details, tf.config.list_physical_devices("GPU"))
        gpus = {d.get("device_name", "GPU"): tuple(d.get("compute_capability", (0,))) >= (8, 0) for d in details}
    elif backend == "jax":
        import jax
        gpus = {d.device_kind: float(getattr(d, "compute_capability", 0)) >= 8 for d in jax.devices() if d.platform != "cpu"}
    else:
        import torch
        gpus = {torch.cuda.get_device_name(i): torch.cuda.get_device_capability(i) >= (8, 0)
                for i in range(torch.cuda.device_count())}
        if not gpus and torch.backends.mps.is_available() and os.environ.get("KERAS_TORCH_DEVICE", "mps") == "mps":
            gpus = {"Apple GPU (MPS)": False}
    units = sorted(set(Path("/proc/cpuinfo").read_text().split() if Path("/proc/cpuinfo").exists() else [])
                   & {"amx_bf16", "avx512_bf16"})
    if precision == "auto":
        fast = backend == "torch" or backend == "tensorflow" and os.environ["TF_ENABLE_ONEDNN_OPTS"] != "0"
        precision = "mixed_bfloat16" if (all(gpus.values()) if gpus else units and fast) else "float32"
    keras.mixed_precision.set_global_policy(precision)
    device = f"GPU ({', '.join(gpus)})" if gpus else "CPU" + (f" with {', '.join(units)}" if units else "")
    print(f"Training on: {device}; precision: {precision}")
    if (backend, keras.config.image_data_format(), os.environ["TF_ENABLE_ONEDNN_OPTS"]) == (
            "tensorflow", "channels_first", "0") and not gpus:  # TensorFlow's own CPU kernels: channels_last only
        sys.exit(f"error: {KERAS_HOME / 'keras.json'} asks for channels_first, which TensorFlow computes on a CPU "
                 "only with oneDNN, and TF_ENABLE_ONEDNN_OPTS=0 turns that off")


def data_parallel(keras, cpu_devices, batch_size, test_digits):
    """The scope to build the model in, and the global batch: each batch shared out over all GPUs (or
    --cpu-devices parts of the CPU) by TensorFlow's MirroredStrategy, or Keras's DataParallel on JAX."""
    backend = keras.backend.backend()
    if backend == "torch" and cpu_devices > 1:
        sys.exit("error: --cpu-devices: Keras has no data-parallel training on the torch backend")
    if backend == "jax" and cpu_devices > 1:  # before JAX starts its devices; two threads each, or XLA can hang
        os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count={cpu_devices}"
        os.environ.setdefault("PJRT_NPROC", str(max(2 * cpu_devices, os.cpu_count() or 1)))
    if backend == "tensorflow":
        import tensorflow as tf
        if cpu_devices > 1:  # before TensorFlow starts its devices
            cpu = tf.config.list_physical_devices("CPU")[0]
            tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * cpu_devices)
    devices = keras.distribution.list_devices(None if cpu_devices == 1 else "cpu") if backend != "torch" else []
    if len(devices) < 2:
        return contextlib.nullcontext(), batch_size
    if batch_size * len(devices) > test_digits:  # TensorFlow cannot share out a smaller first batch
        sys.exit(f"error: {len(devices)} devices at --batch-size {batch_size} make a global batch of "
                 f"{batch_size * len(devices)}, more than the {test_digits} test digits: use fewer devices")
    print(f"Data-parallel training on {len(devices)} devices ({', '.join(devices)}), global batch {batch_size * len(devices)}")
    if backend == "jax":
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
        return contextlib.nullcontext(), batch_size * len(devices)
    return tf.distribute.MirroredStrategy([f"/{d}" for d in devices]).scope(), batch_size * len(devices)


def batches(keras, x, y, batch_size, shift=0):
    """(x, y) as a keras.utils.PyDataset of batches. With shift, the digits come in a new order each
    epoch, each moved by up to shift pixels each way, blank pixels moving in. On TensorFlow two
    threads read ahead, which keeps tf.data's autotuner, which stalls epochs, off (bench/README.md)."""
    seed = np.random.randint(2**31)  # from --seed: the same batches every run, whichever thread makes them

    class Batches(keras.utils.PyDataset):
        epoch = 0

        def __len__(self):
            return -(-len(x) // batch_size)

        def __getitem__(self, i):
            order = np.random.default_rng([seed, self.epoch]).permutation(len(x)) if shift else np.arange(len(x))
            index = order[i * batch_size:(i + 1) * batch_size]
            images = np.pad(x.reshape(-1, img_rows, img_cols)[index], ((0, 0), (shift, shift), (shift, shift)))
            dy, dx = np.random.default_rng([seed, self.epoch, i]).integers(0, 2 * shift + 1, (2, len(index)))
            windows = np.lib.stride_tricks.sliding_window_view(images, (img_rows, img_cols), axis=(1, 2))
            return windows[np.arange(len(index)), dy, dx].reshape(-1, *x.shape[1:]), y[index]

        def on_epoch_end(self):
            self.epoch += 1

    return Batches(workers=2 if keras.backend.backend() == "tensorflow" else 1)


def save_pair(model, folder):
    """model.json, with its weights' hash, and model.weights.h5 (Keras 3 wants that suffix): both
    written under temporary names, then renamed, so a run killed while saving keeps the previous
    pair (killed between the two renames, predict.py finishes the save, by the hash)."""
    config_tmp, weights_tmp = folder / ".tmp-model.json", folder / ".tmp-model.weights.h5"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        model.save_weights(weights_tmp)
        config_tmp.write_text(json.dumps({**json.loads(model.to_json()), "weights_sha256": sha256(weights_tmp)}))
        os.replace(weights_tmp, folder / "model.weights.h5")
        os.replace(config_tmp, folder / "model.json")
    except (OSError, RuntimeError) as error:  # h5py reports some write errors as RuntimeError
        sys.exit(f"error: cannot save the model in {folder} ({error}); the previous model files are unchanged")
    print(f"model saved to {folder / 'model.json'} and {folder / 'model.weights.h5'}")


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def plot_history(history, path):
    """Accuracy and loss per epoch, train and test, beside the post's accuracy; whole epochs only."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="tight")
    axes[0].axhline(POST_ACCURACY, color="gray", linestyle="--", label=f"the post ({POST_ACCURACY})")
    for ax, key in zip(axes, ("accuracy", "loss")):
        for name, values in (("train", history[key]), ("test", history["val_" + key])):
            ax.plot(range(1, len(values) + 1), values, "o-", label=f"{name} (last: {values[-1]:.4f})")
        ax.set(title=key.title(), xlabel="epoch", xlim=(0.5, len(values) + 0.5))
        ax.xaxis.get_major_locator().set_params(integer=True, min_n_ticks=1)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.savefig(path, dpi=100)
    print(f"training history saved to {path}")


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
