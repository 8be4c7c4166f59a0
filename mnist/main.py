"""Classifying digits: the post's MNIST CNN, trained and saved, in Keras 3.

Two 3x3 convolutions, max pooling, dropout, two dense layers; 12 epochs at batch 128, then
`Test loss` and `Test accuracy`, as in the post. Writes the post's JSON model file and its
weights (model.json, model.weights.h5), and history.png, beside this script.

    cd mnist && python main.py [--epochs 12] [--seed 0] [--data mnist.npz] [--smoke]
    cd mnist && python main.py --predict my_digit.png    (reads digits with the saved model)
"""
import argparse
import contextlib
import hashlib
import json
import os
import shutil
import signal
import sys
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
KERAS_JSON = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"), "keras.json")
BACKENDS = ("tensorflow", "jax", "torch")
KERAS_MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"  # keras.datasets.mnist's
POST_ACCURACY = 0.9917  # the post's test accuracy after 12 epochs
batch_size = 128
num_classes = 10
epochs = 12

# input image dimensions
img_rows, img_cols = 28, 28


def main():
    args = parse_args()  # cheap checks first: numbers, paths, --data's file, the model for --predict
    if args.predict:
        return predict(args)  # beyond the post: read digits with the saved model
    keras = import_keras(args.backend)  # beyond the post: --backend, quietly
    keras.utils.set_random_seed(args.seed)
    from keras.datasets import mnist
    from keras.models import Sequential
    from keras.layers import Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D

    # the data, split between train and test sets
    with download_checks(args.data):  # beyond the post: --data, offline; Keras's cache kept safe
        (x_train, y_train), (x_test, y_test) = mnist.load_data() if not args.data else args.data
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

    scope, batch_size = data_parallel(keras, args, len(x_test))  # beyond the post: all GPUs
    set_precision(keras, args)  # beyond the post: bfloat16 where the hardware computes it
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

    start, ends = time.perf_counter(), []
    # beyond the post: fit(x_train, y_train, ...) with each training digit moved by up to 2 pixels
    history = model.fit(batches(keras, x_train, y_train, batch_size, shift=2),
                        epochs=args.epochs,
                        verbose=1 if sys.stdout.isatty() else 2,  # a bar in a terminal, a line in a log
                        validation_data=batches(keras, x_test, y_test, batch_size),
                        callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=lambda *_: ends.append(time.perf_counter()))])
    score = model.evaluate(x_test, y_test, batch_size=batch_size, verbose=0)
    print('Test loss:', score[0])
    print('Test accuracy:', score[1])
    report_speed(start, ends, history.history["val_accuracy"])  # beyond the post

    save_pair(model, args.out_dir)  # the post's JSON model file, and its weights
    plot_history(history.history, args.out_dir / "history.png")  # beyond the post


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=epochs, help=f"default: {epochs}, as in the post")
    parser.add_argument("--batch-size", type=int, default=batch_size, help=f"per device (default: {batch_size})")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--data", type=mnist_npz, metavar="PATH", help="a local mnist.npz instead of Keras's download")
    parser.add_argument("--out-dir", type=out_dir, default=str(HERE),
                        help="where the model files and history.png go, and --predict finds the model (default: here)")
    parser.add_argument("--precision", choices=["auto", "float32", "mixed_bfloat16"], default="auto",
                        help="auto: bfloat16 compute on GPUs and CPUs that have bfloat16 units, else float32")
    parser.add_argument("--cpu-devices", type=int, default=1, help="train data-parallel on N parts of the CPU")
    parser.add_argument("--predict", nargs="+", metavar="IMAGE", help="read digits with the saved model (no training)")
    parser.add_argument("--backend", choices=BACKENDS,
                        help="Keras backend (default: KERAS_BACKEND, else keras.json's)")
    parser.add_argument("--smoke", action="store_true",
                        help="a short run with the same outputs: 4 epochs on 2,048 training and 512 test digits")
    args = parser.parse_args()
    for name, low, high in (("epochs", 1, 10**4), ("batch_size", 1, 60_000), ("seed", 0, 2**32 - 1),
                            ("cpu_devices", 1, 64)):
        if not low <= getattr(args, name) <= high:
            parser.error(f"argument --{name.replace('_', '-')}: must be {low} to {high}")
    args.epochs = min(args.epochs, 4) if args.smoke else args.epochs
    existing = next(p for p in (args.out_dir, *args.out_dir.parents) if p.exists())
    if not args.predict and not os.access(existing, os.W_OK):  # --predict only reads
        parser.error(f"argument --out-dir: {args.out_dir}: cannot write in {existing}")
    if not args.predict and shutil.disk_usage(existing).free < 32 * 2**20:  # the model takes 15 MB; libhdf5 fails badly on a full disk
        parser.error(f"--out-dir {args.out_dir}: {shutil.disk_usage(existing).free / 2**20:.0f} MB free; saving the model "
                     "needs 32 MB")
    return args


def out_dir(text):
    """--out-dir: a folder that exists, or can be made (parse_args() checks it can be written to)."""
    path = Path(text).resolve()
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: {existing} is a file, not a folder")
    return path


def mnist_npz(path):
    """--data: ((x_train, y_train), (x_test, y_test)) from an .npz laid out as Keras's mnist.npz:
    uint8 digits of 28x28 pixels, labels 0 to 9. Raises ArgumentTypeError saying what is wrong."""
    try:
        with open(path, "rb") as file:
            if not zipfile.is_zipfile(file):
                raise ValueError("an .npz is a zip archive; this is not one, or it was cut short")
        with np.load(path, allow_pickle=False) as data:  # no pickle: a hostile file runs no code
            x_train, y_train, x_test, y_test = (data[key] for key in ("x_train", "y_train", "x_test", "y_test"))
    except Exception as error:  # missing, not a zip, a key missing
        raise argparse.ArgumentTypeError(f"{path}: not a readable mnist.npz ({getattr(error, 'strerror', None) or error})")
    for x, y, split in ((x_train, y_train, "train"), (x_test, y_test, "test")):
        if not all(isinstance(a, np.ndarray) for a in (x, y)):
            raise argparse.ArgumentTypeError(f"{path}: not a readable mnist.npz (x_{split} or y_{split} is not an array)")
        if x.dtype != np.uint8 or x.shape[1:] != (28, 28) or y.shape != x.shape[:1] or not np.isin(y, range(10)).all():
            raise argparse.ArgumentTypeError(f"{path}: x_{split} is {x.dtype} {x.shape} and y_{split} {y.dtype} "
                                             f"{y.shape}; expected uint8 (N, 28, 28) and N labels 0-9")
    return (x_train, y_train), (x_test, y_test)


@contextlib.contextmanager
def download_checks(data):
    """Around mnist.load_data(). Keras deletes a cached mnist.npz that is not byte for byte its own
    when it cannot download it again: such a file is refused first. A failed download is one line."""
    cached = KERAS_JSON.parent / "datasets" / "mnist.npz"
    if not data and cached.is_file() and hashlib.sha256(cached.read_bytes()).hexdigest() != KERAS_MNIST_SHA256:
        sys.exit(f"error: {cached} is not Keras's own download, which Keras would replace (deleting it if "
                 f"offline): use it with --data {cached}, or move it away")
    try:
        yield
    except Exception as error:  # Keras raises a bare Exception when the download fails
        if "URL fetch failure" not in str(error):
            raise
        sys.exit(f"error: cannot download MNIST ({str(error).splitlines()[0]}); offline, pass --data PATH, "
                 "a local mnist.npz")


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


def data_parallel(keras, args, samples):
    """A scope that shares each batch out over all GPUs (or --cpu-devices parts of the CPU), and the
    global batch: Keras's MirroredStrategy on TensorFlow, its DataParallel on JAX."""
    backend, parts, devices = keras.backend.backend(), args.cpu_devices, []
    if backend == "tensorflow":
        import tensorflow as tf

        if parts > 1:  # before TensorFlow starts its devices
            cpu = tf.config.list_physical_devices("CPU")[0]
            tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * parts)
        devices = [d.name for d in tf.config.list_logical_devices("GPU" if parts == 1 else "CPU")]
    elif backend == "jax":
        if parts > 1:  # before JAX starts its devices; two threads each, or XLA can hang (bench/README.md)
            os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count={parts}"
            os.environ.setdefault("PJRT_NPROC", str(max(2 * parts, os.cpu_count() or 1)))
        import jax

        devices = jax.devices()
    elif parts > 1:
        sys.exit("error: --cpu-devices: Keras has no data-parallel training on the torch backend")
    if len(devices) < 2:
        return contextlib.nullcontext(), args.batch_size
    if args.batch_size * len(devices) > samples:  # TensorFlow cannot share out a smaller first batch
        sys.exit(f"error: {len(devices)} devices at --batch-size {args.batch_size} make a global batch of "
                 f"{args.batch_size * len(devices)}, more than the {samples} test digits: use fewer devices")
    print(f"Data-parallel training on {len(devices)} devices ({', '.join(map(str, devices))}), "
          f"global batch {args.batch_size * len(devices)}")
    if backend == "jax":
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    scope = tf.distribute.MirroredStrategy(devices).scope() if backend == "tensorflow" else contextlib.nullcontext()
    return scope, args.batch_size * len(devices)


def set_precision(keras, args):
    """Says what Keras trains on, and computes in bfloat16 (the weights stay float32) where the
    hardware has units for it: an NVIDIA GPU from Ampere on (compute capability 8.0), or a CPU
    with AMX or AVX-512 BF16 (not on JAX, whose CPU convolutions gain nothing). Apple's: float32."""
    backend = keras.backend.backend()
    if backend == "tensorflow":  # NVIDIA's GPUs, or Apple's through tensorflow-metal (no capability)
        import tensorflow as tf

        details = [tf.config.experimental.get_device_details(g) for g in tf.config.list_physical_devices("GPU")]
        gpus = {d.get("device_name", "GPU"): tuple(d.get("compute_capability", (0,))) for d in details}
    elif backend == "torch":
        import torch

        gpus = {torch.cuda.get_device_name(i): torch.cuda.get_device_capability(i) for i in range(torch.cuda.device_count())}
        if not gpus and torch.backends.mps.is_available() and os.environ.get("KERAS_TORCH_DEVICE", "mps") == "mps":
            gpus = {"Apple GPU (MPS)": (0,)}
    else:
        import jax

        gpus = {d.device_kind: tuple(int(n) for n in str(getattr(d, "compute_capability", 0)).split("."))
                for d in jax.devices() if d.platform != "cpu"}
    units = sorted(set(Path("/proc/cpuinfo").read_text().split() if Path("/proc/cpuinfo").exists() else [])
                   & {"amx_bf16", "avx512_bf16"})
    device = f"GPU ({', '.join(gpus)})" if gpus else "CPU" + (f" with {', '.join(units)}" if units else "")
    bfloat16 = min(gpus.values()) >= (8, 0) if gpus else bool(units) and backend != "jax"
    precision = ("mixed_bfloat16" if bfloat16 else "float32") if args.precision == "auto" else args.precision
    keras.mixed_precision.set_global_policy(precision)
    print(f"Training on: {device}; precision: {precision}")
    if backend == "jax" and not gpus:
        print("Note: JAX's CPU convolutions are slow; on a CPU, --backend tensorflow trains 7 to 12 times faster")


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
            images = x.reshape(-1, img_rows, img_cols)[index]
            if shift:  # each digit cut at a random place out of a blank margin of shift pixels
                dy, dx = np.random.default_rng([seed, self.epoch, i]).integers(0, 2 * shift + 1, (2, len(index)))
                padded = np.pad(images, ((0, 0), (shift, shift), (shift, shift)))
                windows = np.lib.stride_tricks.sliding_window_view(padded, (img_rows, img_cols), axis=(1, 2))
                images = windows[np.arange(len(index)), dy, dx]
            return images.reshape(-1, *x.shape[1:]), y[index]

        def on_epoch_end(self):
            self.epoch += 1

    return Batches(workers=2 if keras.backend.backend() == "tensorflow" else 1)


def report_speed(start, ends, val_accuracy):
    print(f"Training time: {ends[-1] - start:.0f} s ({(ends[-1] - start) / len(ends):.1f} s/epoch)")
    print("Epoch times (s):", " ".join(f"{end - begin:.1f}" for begin, end in zip([start, *ends], ends)))
    reached = [epoch for epoch, accuracy in enumerate(val_accuracy) if accuracy >= POST_ACCURACY]
    if reached:
        print(f"The post's {POST_ACCURACY} was first reached after epoch {reached[0] + 1} "
              f"({ends[reached[0]] - start:.0f} s)")


def save_pair(model, folder):
    """model.json, with its weights' hash, and model.weights.h5 (Keras 3 wants that suffix): both
    written under temporary names, then renamed, so a run killed while saving keeps the previous
    pair (killed between the two renames, read_pair() finishes the save, by the hash)."""
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


def read_pair(folder):
    """model.json's config, checked against model.weights.h5 and for absurd sizes before Keras
    loads; or one line saying what is wrong with the files."""
    config_path, weights, pending = folder / "model.json", folder / "model.weights.h5", folder / ".tmp-model.json"
    with contextlib.suppress(OSError, ValueError):  # a save killed between its two renames: finish it
        if json.loads(pending.read_text())["weights_sha256"] == sha256(weights):
            os.replace(pending, config_path)
    if not config_path.is_file() or not weights.is_file():
        sys.exit(f"error: no trained model in {folder} (model.json, model.weights.h5): train one first with "
                 f"`python main.py{'' if folder == HERE else f' --out-dir {folder}'}`")
    try:
        numbers = []  # every whole number in it: units, filters, shapes
        config = json.loads(config_path.read_text(), parse_int=lambda text: numbers.append(int(text)) or int(text))
        same_run, largest = config.pop("weights_sha256") == sha256(weights), max(numbers, default=0)
    except (OSError, ValueError, LookupError, TypeError) as error:
        sys.exit(f"error: {config_path}: not a model file of this script ({type(error).__name__}); train again")
    if not same_run:
        sys.exit(f"error: {config_path.name} and {weights.name} in {folder} are from different runs; train again")
    if largest > 100_000:  # building such a layer could take all the memory there is
        sys.exit(f"error: {config_path}: a layer or shape of {largest:,}, not this script's model; train again")
    return config


def plot_history(history, path):
    """Accuracy and loss per epoch, train and test, beside the post's accuracy; whole epochs only."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key in zip(axes, ("accuracy", "loss")):
        for name, values in (("train", history[key]), ("test", history["val_" + key])):
            ax.plot(range(1, len(values) + 1), values, "o-", label=f"{name} (last: {values[-1]:.4f})")
        ax.set(title=key.title(), xlabel="epoch", xlim=(0.5, len(values) + 0.5))
        ax.xaxis.get_major_locator().set_params(integer=True, min_n_ticks=1)
        ax.grid(alpha=0.3)
    axes[0].axhline(POST_ACCURACY, color="gray", linestyle="--", label=f"the post ({POST_ACCURACY})")
    for ax in axes:
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"training history saved to {path}")


def predict(args):
    """Each image's digit and its probability by the saved model; a line on stderr for each image
    that cannot be read (the others are still answered, and the exit code is 1)."""
    from digits import read_digit  # beside this script

    config, read = read_pair(args.out_dir), {}
    for path in args.predict:
        try:
            read[path] = read_digit(path)
        except ValueError as error:
            print(f"error: --predict {path}: {error}", file=sys.stderr, flush=True)
    if read:
        keras = import_keras(args.backend)
        try:  # safe mode, Keras's default, refuses layers that would run code from the file (Lambda)
            model = keras.models.model_from_json(json.dumps(config))
            model.load_weights(args.out_dir / "model.weights.h5")
            if model.output_shape != (None, num_classes):
                raise ValueError(f"it gives {model.output_shape[1:]}, not the 10 digits' probabilities")
            probabilities = model.predict(np.stack(list(read.values())).reshape(-1, *model.input_shape[1:]), verbose=0)
        except Exception as error:
            sys.exit(f"error: {args.out_dir / 'model.json'} and model.weights.h5: not a model this script can load "
                     f"({str(error).splitlines()[0][:200]}); train again")
        for path, p in zip(read, probabilities):
            print(f"{path}: {p.argmax()} (probability {p.max():.3f})")
    if len(read) < len(args.predict):
        sys.exit(1)


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


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
