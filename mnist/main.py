"""Classifying digits: the post's MNIST CNN, trained and saved, in Keras 3.

Two 3x3 convolutions, max pooling, dropout and two dense layers, 12 epochs at
batch 128, then `Test loss` and `Test accuracy`, as in the post. Writes the JSON
model file with its weights (model.json, model.weights.h5) and history.png
beside this script. `--predict IMAGE ...` reads digits with that saved model.

    cd mnist && python main.py [--epochs 12] [--seed 0] [--data mnist.npz]
    cd mnist && python main.py --predict my_digit.png
"""
import argparse
import contextlib
import hashlib
import json
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BACKENDS = ("tensorflow", "jax", "torch")
POST_ACCURACY = 0.9917  # the post's test accuracy after 12 epochs
batch_size = 128
num_classes = 10
epochs = 12

# input image dimensions
img_rows, img_cols = 28, 28


def main():
    args = parse_args()
    keras = import_keras(args)  # beyond the post: --backend, --seed, and no C++ log noise
    if args.predict:
        return predict(keras, args)  # beyond the post: read digits with the saved model

    from keras.datasets import mnist
    from keras.models import Sequential
    from keras.layers import Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D

    # the data, split between train and test sets
    with offline_hint():  # beyond the post: --data, for a reader without the download
        (x_train, y_train), (x_test, y_test) = mnist.load_data() if not args.data else load_npz(args.data)
    if args.smoke:  # beyond the post: a short run, for tests
        x_train, y_train = x_train[:2048], y_train[:2048]

    keras.config.set_image_data_format(fast_layout(keras))  # beyond the post: the backend's fast layout
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
    print("x_train shape:", x_train.shape)
    print(x_train.shape[0], "train samples")
    print(x_test.shape[0], "test samples")

    # convert class vectors to binary class matrices
    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)

    scope, batch_size = data_parallel(keras, args, min(len(x_train), len(x_test)))  # beyond the post: all GPUs
    set_precision(keras, args)  # beyond the post: bfloat16 where the hardware has units for it
    Conv2D, Dropout = faster_on_torch(keras, Conv2D, Dropout)  # beyond the post: the same layers, faster
    with scope:
        model = Sequential()
        model.add(Input(shape=input_shape))  # Keras 3: replaces input_shape=
        # beyond the post: each training digit shifted by up to 2 pixels (off at test time)
        model.add(random_translation(keras, 0.08))
        model.add(Conv2D(32, kernel_size=(3, 3), activation='relu'))
        model.add(Conv2D(64, (3, 3), activation='relu'))
        model.add(MaxPooling2D(pool_size=(2, 2)))
        model.add(Dropout(0.25))
        model.add(Flatten())
        model.add(Dense(128, activation='relu'))
        model.add(Dropout(0.5))
        model.add(Dense(num_classes, activation='softmax', dtype="float32"))  # float32 even in bf16

        model.compile(loss=keras.losses.categorical_crossentropy,
                      optimizer=adam_with_cosine_decay(keras, args.epochs * -(-len(x_train) // batch_size)),
                      metrics=['accuracy'],
                      steps_per_execution=steps_per_execution(keras, batch_size > args.batch_size))

    timer = epoch_timer(keras)  # beyond the post: seconds per epoch, and when the post was beaten
    say_if_slow(keras)  # beyond the post: JAX on a CPU
    # beyond the post: fit(x_train, y_train, batch_size=batch_size, validation_data=(x_test, y_test)),
    # on TensorFlow through tf.data pipelines that, unlike Keras's, do not stall between epochs
    history = model.fit(**fit_data(keras, x_train, y_train, x_test, y_test, batch_size),
                        epochs=args.epochs,
                        verbose=1 if sys.stdout.isatty() else 2,  # a bar in a terminal, a line in a log
                        callbacks=[timer])
    score = model.evaluate(x_test, y_test, batch_size=batch_size, verbose=0)
    print('Test loss:', score[0])
    print('Test accuracy:', score[1])
    report_speed(timer, history.history)  # beyond the post

    # the post's JSON model, always channels_last so that every backend can load it
    save_pair(channels_last(keras, model), args.out_dir / "model.json", args.out_dir / "model.weights.h5")
    plot_history(history.history, args.out_dir / "history.png")  # beyond the post


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.error = lambda message: parser.exit(2, f"{parser.prog}: error: {message} (see --help)\n")
    parser.add_argument("--epochs", type=int_in(1, 10_000), default=epochs, help=f"default: {epochs}, as in the post")
    parser.add_argument("--batch-size", type=int_in(1, 60_000), default=batch_size,
                        help=f"per device (default: {batch_size}, as in the post)")
    parser.add_argument("--seed", type=int_in(0, 2**32 - 1), default=0, help="random seed (default: 0)")
    parser.add_argument("--data", type=npz_file, help="a local mnist.npz instead of Keras's download")
    parser.add_argument("--out-dir", type=out_dir, default=HERE,
                        help="where the model files and history.png go (default: this folder)")
    parser.add_argument("--precision", choices=["auto", "float32", "mixed_bfloat16"], default="auto",
                        help="auto: bfloat16 compute on GPUs and CPUs with bfloat16 units, else float32")
    parser.add_argument("--cpu-devices", type=int_in(1, 64), default=1,
                        help="split the CPU into N devices to try data-parallel training without GPUs")
    parser.add_argument("--predict", type=Path, nargs="+", metavar="IMAGE",
                        help="classify these images with the saved model (no training)")
    parser.add_argument("--backend", choices=BACKENDS,
                        help="Keras backend (default: KERAS_BACKEND, else ~/.keras/keras.json, else tensorflow)")
    parser.add_argument("--smoke", action="store_true",
                        help="a short run with the same outputs: 4 epochs on the first 2,048 training digits")
    args = parser.parse_args()
    if args.smoke:
        args.epochs = min(args.epochs, 4)
    free = shutil.disk_usage(next(p for p in (args.out_dir, *args.out_dir.parents) if p.exists())).free
    if not args.predict and free < 32 * 2**20:  # the model pair and history.png take about 15 MB
        parser.error(f"--out-dir {args.out_dir}: {free / 2**20:.1f} MB free, and the model needs about 16 MB")
    return args


def int_in(low, high):
    """An argparse type: a whole number from low to high, or one line saying why not."""
    def parse(text):
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be {low} to {high:,}, got {value:,}")
        return value
    parse.__name__ = "whole number"  # argparse's word for a value int() refuses
    return parse


def npz_file(text):
    """--data: an existing .npz file (a zip archive), checked before any heavy import."""
    path = Path(text)
    try:
        with open(path, "rb") as file:
            is_zip = file.read(4) == b"PK\x03\x04"
    except OSError as error:
        raise argparse.ArgumentTypeError(f"{text}: {error.strerror}")
    if not is_zip:
        raise argparse.ArgumentTypeError(f"{text}: not a readable .npz file (an .npz is a zip archive)")
    return path


def out_dir(text):
    """--out-dir: a folder that exists or can be made, and can be written to."""
    path = Path(text).resolve()
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK):
        raise argparse.ArgumentTypeError(f"{text}: cannot write in {existing}")
    return path


def import_keras(args):
    """Import Keras on --backend (else as KERAS_BACKEND or keras.json say), quietly, and seed it."""
    if args.backend:
        os.environ["KERAS_BACKEND"] = args.backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # read only when TensorFlow is imported
    sys.stderr.flush()
    stderr, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # TensorFlow prints its first C++ log lines before that level applies
    try:
        import keras
        keras.utils.set_random_seed(args.seed)  # seeds Python, NumPy and the backend
    except ModuleNotFoundError as error:
        name = (error.name or "keras").split(".")[0]
        extra = f"-{name}" if name in ("jax", "torch") else ""
        sys.exit(f"error: {name!r} is not installed (Keras needs it): pip install -r requirements{extra}.txt")
    except ValueError as error:  # "Unable to import backend : theano"
        sys.exit(f"error: unknown Keras backend {str(error).split(': ')[-1]!r}: use one of {', '.join(BACKENDS)}")
    finally:
        os.dup2(stderr, 2)
        os.close(stderr)
        os.close(devnull)
    print(f"Keras backend: {keras.backend.backend()}")
    return keras


@contextlib.contextmanager
def offline_hint():
    """Keras's failed download (a bare Exception) as one line that says what to do."""
    try:
        yield
    except Exception as error:
        if "URL fetch failure" not in str(error):
            raise
        sys.exit(f"error: cannot download MNIST ({str(error).splitlines()[0]}); offline, pass --data PATH "
                 "to a local mnist.npz, or set KERAS_HOME to a folder whose datasets/ holds Keras's mnist.npz")


def load_npz(path):
    """--data: MNIST from an .npz in the layout of Keras's mnist.npz, as mnist.load_data() returns it."""
    import numpy as np

    keys = ("x_train", "y_train", "x_test", "y_test")
    try:
        with np.load(path, allow_pickle=False) as data:  # no pickle: a hostile file cannot run code
            missing = [key for key in keys if key not in data.files]
            if missing:
                sys.exit(f"error: --data {path}: missing {', '.join(missing)} (an mnist.npz holds {', '.join(keys)})")
            x_train, y_train, x_test, y_test = (data[key] for key in keys)
    except (OSError, ValueError) as error:
        sys.exit(f"error: --data {path}: not a readable .npz file ({type(error).__name__})")
    if not all(isinstance(array, np.ndarray) for array in (x_train, y_train, x_test, y_test)):
        sys.exit(f"error: --data {path}: not a readable .npz file (an entry is not a NumPy array)")
    for split, images, labels in (("train", x_train, y_train), ("test", x_test, y_test)):
        if images.ndim != 3 or images.shape[1:] != (28, 28) or len(images) == 0:
            sys.exit(f"error: --data {path}: x_{split} has shape {images.shape}, expected (N, 28, 28)")
        if images.dtype != np.uint8:
            sys.exit(f"error: --data {path}: x_{split} has dtype {images.dtype}, expected uint8")
        if labels.shape != (len(images),) or labels.dtype.kind not in "iu" or not np.isin(labels, range(10)).all():
            sys.exit(f"error: --data {path}: y_{split} has shape {labels.shape}, "
                     f"expected ({len(images)},) integer labels 0-9")
    return (x_train, y_train), (x_test, y_test)


def fast_layout(keras):
    """Keras's torch backend copies every convolution's channels_last input to channels_first and
    back, so it runs channels_first (1.4x faster on an AVX-512 CPU, no slower on AVX2; in memory
    faster_on_torch() lays it out channels-last); TensorFlow's CPU kernels and XLA want channels_last."""
    return "channels_first" if keras.backend.backend() == "torch" else "channels_last"


def set_precision(keras, args):
    """bfloat16 compute (weights stay float32) where the hardware has units for it, else float32."""
    precision, why = args.precision, "--precision"
    if precision == "auto":
        units, why = bfloat16_units(keras)
        precision = "mixed_bfloat16" if units else "float32"
    keras.mixed_precision.set_global_policy(precision)
    print(f"Precision: {precision} ({why})")


def bfloat16_units(keras):
    """(True, where) if this backend's device computes bfloat16 natively: a GPU of compute capability
    8.0 or later, or a CPU with AMX or AVX-512 bfloat16 instructions; else (False, why not)."""
    backend = keras.backend.backend()
    gpus = []
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = [tf.config.experimental.get_device_details(gpu).get("compute_capability", (0, 0))
                for gpu in tf.config.list_physical_devices("GPU")]
    elif backend == "torch":
        import torch

        gpus = [torch.cuda.get_device_capability(i) for i in range(torch.cuda.device_count())]
    elif backend == "jax":
        import jax

        if jax.default_backend() == "cpu":  # measured: no faster in bfloat16
            return False, "XLA's CPU convolutions gain nothing from bfloat16"
        gpus = [tuple(int(n) for n in str(getattr(d, "compute_capability", "0.0")).split(".")[:2])
                for d in jax.devices()]
    if gpus:
        if min(gpus) >= (8, 0):
            return True, "the GPU has bfloat16 tensor cores"
        return False, "the GPU has no bfloat16 tensor cores (compute capability below 8.0)"
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        flags = set()
    found = [flag for flag in ("amx_bf16", "avx512_bf16") if flag in flags]
    return (True, f"the CPU has {found[0]}") if found else (False, "the CPU has no bfloat16 instructions")


def data_parallel(keras, args, samples):
    """A scope that shares each batch over all GPUs (or --cpu-devices CPUs), and the global batch size."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        if args.cpu_devices > 1:  # before TensorFlow starts its devices
            tf.config.set_logical_device_configuration(
                tf.config.list_physical_devices("CPU")[0],
                [tf.config.LogicalDeviceConfiguration()] * args.cpu_devices)
        devices = [d.name for d in tf.config.list_logical_devices("GPU")]
        if len(devices) < 2 and args.cpu_devices > 1:
            devices = [d.name for d in tf.config.list_logical_devices("CPU")]
        if len(devices) > 1:
            if args.batch_size * len(devices) > samples:  # a short first batch splits unevenly: AddN fails
                sys.exit(f"error: {len(devices)} devices at --batch-size {args.batch_size} make a global batch "
                         f"of {args.batch_size * len(devices)}, more than the {samples} digits of the smaller "
                         "split, which TensorFlow cannot share out: use fewer devices or a smaller --batch-size")
            strategy = tf.distribute.MirroredStrategy(devices)
            print(f"Data-parallel training on {len(devices)} devices (MirroredStrategy: {', '.join(devices)}), "
                  f"global batch {args.batch_size * len(devices)}")
            return strategy.scope(), args.batch_size * len(devices)
    elif backend == "jax":
        if args.cpu_devices > 1:  # before JAX starts its devices, which reads these
            os.environ["XLA_FLAGS"] = (f"{os.environ.get('XLA_FLAGS', '')} "
                                       f"--xla_force_host_platform_device_count={args.cpu_devices}")
            # XLA's CPU client runs every device's step, and the launch of the next one, on one
            # pool of max(cores, devices) threads: with no thread to spare, an all-reduce can wait
            # forever for a device that has no thread to run on. Two per device cannot starve.
            os.environ.setdefault("PJRT_NPROC", str(max(2 * args.cpu_devices, os.cpu_count() or 1)))
        import jax

        devices = jax.devices()  # the GPUs if there are any, else the CPU (split by --cpu-devices)
        if len(devices) > 1:
            keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
            print(f"Data-parallel training on {len(devices)} devices (keras.distribution.DataParallel: "
                  f"{', '.join(map(str, devices))}), global batch {args.batch_size * len(devices)}")
            return contextlib.nullcontext(), args.batch_size * len(devices)
    elif args.cpu_devices > 1:
        sys.exit(f"error: --cpu-devices: Keras has no data-parallel training on the {backend} backend")
    return contextlib.nullcontext(), args.batch_size


def faster_on_torch(keras, Conv2D, Dropout):
    """Keras's Conv2D and Dropout, or on torch the same layers made faster. Conv2D convolves in
    channels-last memory (the channels_first shape Keras sees, laid out as oneDNN's CPU
    convolutions like it) with the bias added inside the convolution; the ReLU and max pooling after
    it keep that layout, and so does the gradient that Flatten, which puts the channels last
    before flattening, hands back: no copies between layouts (PyTorch's max-pooling backward pass
    copied 4.7 million values twice a step). Dropout draws its mask with torch.rand, twice as fast
    as the bernoulli_ of torch's own dropout. Together: an epoch a fifth shorter on a 2-core CPU
    (101 s against 129)."""
    if keras.backend.backend() != "torch":
        return Conv2D, Dropout
    import torch

    class Conv2D(Conv2D):  # Keras's names: saved as Keras's own layers, see channels_last()
        def call(self, inputs):
            if self.data_format != "channels_first" or self.padding != "valid" or self.groups != 1:
                return super().call(inputs)
            kernel = self.kernel.value.permute(3, 2, 0, 1)  # Keras's (rows, cols, in, out) as torch's
            bias = self.bias.value if self.use_bias else None
            outputs = torch.nn.functional.conv2d(inputs.contiguous(memory_format=torch.channels_last),
                                                 kernel.contiguous(memory_format=torch.channels_last),
                                                 bias, self.strides, 0, self.dilation_rate)
            return self.activation(outputs)

    class Dropout(Dropout):
        def call(self, inputs, training=False):
            if not training or self.rate == 0 or self.noise_shape is not None:
                return super().call(inputs, training=training)
            keep = torch.rand_like(inputs) >= self.rate
            return inputs * keep.to(inputs.dtype).mul_(1 / (1 - self.rate))

    return Conv2D, Dropout


def random_translation(keras, factor):
    """Keras's RandomTranslation(factor, factor, fill_mode="constant"). On torch, Keras shifts the
    digits of a batch one by one in Python (40% of a training step); there each shift is done as
    two small matrix products instead, the same numbers 40 times faster."""
    if keras.backend.backend() != "torch":
        return keras.layers.RandomTranslation(factor, factor, fill_mode="constant")

    class RandomTranslation(keras.layers.RandomTranslation):  # saved as Keras's, see channels_last()
        def transform_images(self, images, transformation, training=True):
            images = self.backend.cast(images, self.compute_dtype)
            if not training or transformation is None:
                return images
            dx, dy = transformation["translations"][:, 0], transformation["translations"][:, 1]
            first = self.data_format == "channels_first"
            rows, cols = images.shape[-2:] if first else images.shape[-3:-1]
            return self.backend.numpy.einsum("byi,bcij,bxj->bcyx" if first else "byi,bijc,bxj->byxc",
                                             self.bilinear(rows, dy, images), images, self.bilinear(cols, dx, images))

        def bilinear(self, size, shift, images):
            """(batch, size, size): pixel i of a row takes pixel j with weight max(0, 1 - |j - (i - shift)|);
            pixels shifted in from outside are 0."""
            n = self.backend.numpy
            i = n.arange(size, dtype="float32")
            weights = 1 - n.abs(i[None, None, :] - (i[None, :, None] - shift[:, None, None]))
            return self.backend.cast(n.maximum(weights, 0), images.dtype)

    return RandomTranslation(factor, factor, fill_mode="constant")


def adam_with_cosine_decay(keras, steps):
    """The post used Adadelta, whose Keras 2 rate was 1.0 (Keras 3's default, 0.001, barely
    learns); Adam with a rate decayed from 2e-3 to 0 over the steps, on a cosine, learns faster."""
    return keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(2e-3, steps))


def steps_per_execution(keras, data_parallel):
    """Several steps per call: fewer Python round trips, ~7% faster on a CPU. PyTorch allows
    only 1, and so does MirroredStrategy."""
    return 16 if keras.backend.backend() != "torch" and not data_parallel else 1


def fit_data(keras, x_train, y_train, x_test, y_test, batch_size):
    """model.fit()'s data. On TensorFlow, Keras feeds arrays through an autotuned tf.data pipeline,
    and TensorFlow holds up the deletion of an autotuned iterator that has read to its end until its
    autotuning thread next wakes, seconds later; Keras deletes two every epoch, so epochs stalled
    (7 to 19 s of 65 on a 2-core CPU). These pipelines batch the arrays as Keras does (the training
    digits in a new order every epoch, the test digits in order) with autotuning off: no stall."""
    if keras.backend.backend() != "tensorflow":
        return dict(x=x_train, y=y_train, batch_size=batch_size, validation_data=(x_test, y_test))
    import tensorflow as tf

    def batches(x, y, shuffle):
        indices = tf.data.Dataset.range(len(x))
        if shuffle:
            indices = indices.shuffle(len(x))  # a new order every epoch
        arrays = tf.data.Dataset.from_tensors((x, y)).repeat()  # kept on the host, read by the batch
        options = tf.data.Options()
        options.autotune.enabled = False
        gather = tf.autograph.experimental.do_not_convert(lambda i, xy: (tf.gather(xy[0], i), tf.gather(xy[1], i)))
        return (tf.data.Dataset.zip(indices.batch(batch_size), arrays)
                .map(gather)
                .prefetch(2)
                .with_options(options))

    return dict(x=batches(x_train, y_train, shuffle=True), validation_data=batches(x_test, y_test, shuffle=False),
                shuffle=False)  # shuffled above


def epoch_timer(keras):
    """A callback that notes when each epoch ends (timer.ends), counting from now (timer.start)."""
    timer = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: timer.ends.append(time.perf_counter()))
    timer.ends, timer.start = [], time.perf_counter()
    return timer


def say_if_slow(keras):
    """One line for a reader who picked JAX on a CPU, before the wait."""
    if keras.backend.backend() == "jax":
        import jax

        if jax.default_backend() == "cpu":
            print("Note: XLA's CPU convolutions are slow: on a CPU this takes 7 to 12 times as long on JAX "
                  "as on TensorFlow (--backend tensorflow), the fast CPU backend")


def report_speed(timer, history):
    seconds = timer.ends[-1] - timer.start
    print(f"Training time: {seconds:.0f} s ({seconds / len(timer.ends):.1f} s/epoch)")
    print("Epoch times (s):", " ".join(f"{end - start:.1f}" for start, end in zip([timer.start, *timer.ends], timer.ends)))
    reached = [i for i, acc in enumerate(history["val_accuracy"]) if acc >= POST_ACCURACY]
    if reached:
        print(f"The post's {POST_ACCURACY} was first reached after epoch {reached[0] + 1} "
              f"({timer.ends[reached[0]] - timer.start:.0f} s)")


def channels_last(keras, model):
    """The model as channels_last, the layout every backend can run: a channels_first model (the
    torch backend's) rebuilt with the same weights (Keras's Flatten orders them alike in both)."""
    if keras.config.image_data_format() == "channels_last":
        return model
    config = json.loads(model.to_json())
    for layer in config["config"]["layers"]:
        layer.pop("build_config", None)  # channels_first shapes; the Input below builds every layer again
        options = layer["config"]
        if options.get("data_format") == "channels_first":
            options["data_format"] = "channels_last"
        if layer.get("module") != "keras.layers":  # random_translation()'s, faster_on_torch()'s: Keras's own
            layer.update(module="keras.layers", registered_name=None)  # so that every backend loads them
        if layer["class_name"] == "InputLayer":
            batch, channels, *pixels = options["batch_shape"]
            options["batch_shape"] = [batch, *pixels, channels]
    rebuilt = keras.models.model_from_json(json.dumps(config))
    rebuilt.set_weights(model.get_weights())
    return rebuilt


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def save_pair(model, json_path, weights_path):
    """Replace model.json and model.weights.h5 so that a killed run never mismatches them.

    Both are written to temporary names first; model.json records the weights'
    hash. The renames come last: weights, then JSON. A run killed between the
    two leaves a complete temporary JSON that load_pair() finishes installing.
    """
    json_path.parent.mkdir(parents=True, exist_ok=True)
    weights_tmp = weights_path.with_name(".tmp-" + weights_path.name)  # still ends .weights.h5
    json_tmp = json_path.with_name(".tmp-" + json_path.name)
    need = 16 * model.count_params() + 2**20  # float32 weights with Adam's two moments, and room to spare
    free = shutil.disk_usage(json_path.parent).free
    if free < need:  # libhdf5 can crash on a full disk: check first
        sys.exit(f"error: cannot save the model in {json_path.parent}: it needs about {need / 2**20:.0f} MB free, "
                 f"{free / 2**20:.1f} MB are; the previous model files are unchanged")
    try:
        model.save_weights(weights_tmp)
        config = json.loads(model.to_json())
        config["weights_sha256"] = sha256(weights_tmp)
        with open(json_tmp, "w") as file:
            json.dump(config, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(weights_tmp, weights_path)
        os.replace(json_tmp, json_path)
    except BaseException as error:  # Ctrl-C too: no temporary file is left behind
        for tmp in (weights_tmp, json_tmp):
            with contextlib.suppress(OSError):
                tmp.unlink()
        if not isinstance(error, (OSError, RuntimeError)):  # h5py reports some write errors as RuntimeError
            raise
        sys.exit(f"error: cannot save the model in {json_path.parent}: {getattr(error, 'strerror', None) or error}; "
                 "the previous model files are unchanged")
    print(f"model saved to {json_path} and {weights_path}")


def load_pair(keras, json_path, weights_path):
    """The saved model, or one line saying what is wrong with its files and to train again."""
    json_tmp = json_path.with_name(".tmp-" + json_path.name)
    if json_tmp.exists() and weights_path.exists():
        with contextlib.suppress(ValueError, OSError):
            if json.loads(json_tmp.read_text()).get("weights_sha256") == sha256(weights_path):
                os.replace(json_tmp, json_path)  # finish a save that was killed between its renames
    if not json_path.exists() or not weights_path.exists():
        sys.exit(f"error: no trained model in {json_path.parent} ({json_path.name} and "
                 f"{weights_path.name}): train first with `python main.py`")
    again = "train again with `python main.py`"
    try:
        config = json.loads(json_path.read_text())
    except (ValueError, OSError) as error:
        sys.exit(f"error: {json_path}: not a readable Keras model file ({type(error).__name__}); {again}")
    if not isinstance(config, dict):
        sys.exit(f"error: {json_path}: not a Keras model file (a JSON {type(config).__name__}); {again}")
    if config.pop("weights_sha256", sha256(weights_path)) != sha256(weights_path):
        sys.exit(f"error: {json_path.name} and {weights_path.name} are from different runs: {again}")
    if max(layer_sizes(config), default=0) > 100_000:  # building it could take all the memory there is
        sys.exit(f"error: {json_path}: a layer of {max(layer_sizes(config)):,} units or filters, "
                 f"not this script's model; {again}")
    try:  # safe mode (the default) refuses layers that would run code from the file, e.g. Lambda
        model = keras.models.model_from_json(json.dumps(config))
    except Exception as error:
        sys.exit(f"error: {json_path}: not a model this script can load ({first_line(error)}); {again}")
    if tuple(model.input_shape) != (None, 28, 28, 1) or tuple(model.output_shape) != (None, 10):
        sys.exit(f"error: {json_path}: a model for inputs {model.input_shape} and outputs {model.output_shape}, "
                 f"not MNIST's (None, 28, 28, 1) and (None, 10); {again}")
    try:
        model.load_weights(weights_path)
    except Exception as error:
        sys.exit(f"error: {weights_path}: weights this model cannot load ({first_line(error)}); {again}")
    return model


def layer_sizes(config):
    """Every units, filters and shape number in a model's JSON config."""
    if isinstance(config, dict):
        for key, value in config.items():
            if key in ("units", "filters", "batch_shape", "kernel_size", "pool_size") and isinstance(value, (int, list)):
                yield from (v for v in (value if isinstance(value, list) else [value]) if isinstance(v, int))
            else:
                yield from layer_sizes(value)
    elif isinstance(config, list):
        for item in config:
            yield from layer_sizes(item)


def first_line(error):
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:200]}" if text else type(error).__name__


def plot_history(history, path):
    """Accuracy and loss per epoch, train and test, beside the post's accuracy."""
    import matplotlib.pyplot as plt

    done = range(1, len(history["loss"]) + 1)
    fig, (acc_ax, loss_ax) = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key, title in ((acc_ax, "accuracy", "Accuracy"), (loss_ax, "loss", "Loss")):
        ax.plot(done, history[key], "o-", label="train")
        ax.plot(done, history["val_" + key], "o-", label="test")
        ax.set(title=title, xlabel="epoch")
        ax.grid(alpha=0.3)
    acc_ax.axhline(POST_ACCURACY, color="gray", linestyle="--", label=f"the post ({POST_ACCURACY})")
    acc_ax.legend()
    loss_ax.legend()
    fig.tight_layout()
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        fig.savefig(tmp, format="png", dpi=100)
        os.replace(tmp, path)  # replaced whole or not at all
    finally:
        tmp.unlink(missing_ok=True)
        plt.close(fig)
    print(f"training history saved to {path}")


def predict(keras, args):
    """The saved model's digit and probability for each image; one line for each that cannot be read."""
    import numpy as np

    model = load_pair(keras, args.out_dir / "model.json", args.out_dir / "model.weights.h5")
    read, failed = {}, 0
    for path in args.predict:
        try:
            read[path] = read_digit(path)
        except ValueError as error:
            print(f"error: --predict {path}: {error}", file=sys.stderr, flush=True)
            failed += 1
    if read:
        probabilities = model.predict(np.stack(list(read.values()))[..., None], verbose=0)
        for path, p in zip(read, probabilities):
            print(f"{path}: {int(p.argmax())} (probability {p.max():.3f})")
    if failed:
        sys.exit(1)


def read_digit(path, max_pixels=50_000_000):
    """An image file as an MNIST digit: 28x28, light ink on black, centred as MNIST's are.

    Any size up to max_pixels, any mode Pillow reads (8- or 16-bit gray, palette, RGB,
    CMYK, with or without alpha), upright as its EXIF orientation says, dark-on-light or
    light-on-dark. Like MNIST's own preparation, the ink is cropped, scaled to fit 20x20
    and centred by its mass. Raises ValueError with the reason when there is no digit to read.
    """
    import warnings

    import numpy as np
    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if image.width * image.height > max_pixels:
                    raise ValueError(f"{image.width}x{image.height} pixels is too large (the most is "
                                     f"{max_pixels // 1_000_000} megapixels): scale it down first")
                image = ImageOps.exif_transpose(image)  # a phone photo's rotation
                gray = to_gray(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValueError("too large to read safely: scale it down first") from None
    except OSError as error:  # no such file, not an image, truncated
        raise ValueError(error.strerror or f"not a readable image ({type(error).__name__})") from None
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if np.median(border) > 0.5:  # dark ink on a light background: invert to MNIST's white on black
        gray, border = 1 - gray, 1 - border
    gray = np.clip(gray - np.median(border), 0, None)
    if gray.max() < 0.1:
        raise ValueError("no digit found (the image is blank)")
    gray /= gray.max()
    ink = gray > 0.2
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    crop = gray[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    scale = 20 / max(crop.shape)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    small = np.asarray(Image.fromarray((crop * 255).astype("uint8")).resize(size, Image.LANCZOS),
                       dtype="float32") / 255
    digit = np.zeros((28, 28), "float32")
    top, left = (28 - small.shape[0]) // 2, (28 - small.shape[1]) // 2
    digit[top:top + small.shape[0], left:left + small.shape[1]] = small
    # shift so that the centre of mass sits at the centre, as in MNIST
    ys, xs = np.indices(digit.shape)
    mass = digit.sum()
    dy, dx = round(13.5 - (ys * digit).sum() / mass), round(13.5 - (xs * digit).sum() / mass)
    digit = np.roll(digit, (dy, dx), axis=(0, 1))
    return digit.clip(0, 1)


def to_gray(image):
    """Brightness 0..1 of any Pillow image; transparency laid on the background the ink is not."""
    import numpy as np

    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16- or 32-bit gray
        gray = np.asarray(image, dtype="float64")
        top = gray.max()
        return gray / (255 if top <= 255 else 65535 if top <= 65535 else top)
    rgba = np.asarray(image.convert("RGBA"), dtype="float64") / 255  # palette, CMYK, LA... too
    gray, alpha = rgba[..., :3] @ [0.299, 0.587, 0.114], rgba[..., 3]
    if alpha.min() < 1:  # e.g. black ink on a transparent canvas: put it on white, not black
        if alpha.max() == 0:
            raise ValueError("no digit found (the image is fully transparent)")
        background = 1.0 if np.average(gray, weights=alpha) < 0.5 else 0.0
        gray = gray * alpha + background * (1 - alpha)
    return gray


def run_with_clean_exits(main):
    """Run main(): Ctrl-C, a closed pipe or a full disk end in one line and the shell's exit code.

    Python raises KeyboardInterrupt in whatever code is running, and a library can swallow it (in a
    gc callback: JAX has one) or turn it into another error (TensorFlow tracing a function). So Ctrl-C
    is remembered, never shows a traceback, and is pressed again each second until main() is left.
    """
    pressed = threading.Event()

    def on_ctrl_c(signum, frame):
        if not pressed.is_set():
            pressed.set()
            threading.Thread(target=press_again, daemon=True).start()
        raise KeyboardInterrupt

    def press_again():
        while True:
            time.sleep(1)
            os.kill(os.getpid(), signal.SIGINT)

    def unless_ctrl_c(unraisable, report=sys.unraisablehook):  # "Exception ignored in ...": not for Ctrl-C
        if not issubclass(unraisable.exc_type, KeyboardInterrupt):
            report(unraisable)

    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not if started with it ignored (nohup)
        signal.signal(signal.SIGINT, on_ctrl_c)
        sys.unraisablehook = unless_ctrl_c
    try:
        main()
        error = None
    except BaseException as caught:
        error = caught
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # main() is left: Ctrl-C has done its work
    if pressed.is_set() or isinstance(error, KeyboardInterrupt):
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    if isinstance(error, BrokenPipeError):  # e.g. `python main.py | head -1`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    if isinstance(error, OSError):  # e.g. a full disk
        sys.exit(f"error: {error.filename or 'output'}: {error.strerror or error}")
    if error is not None:
        raise error


if __name__ == "__main__":
    run_with_clean_exits(main)
