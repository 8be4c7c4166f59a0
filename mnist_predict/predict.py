"""Reading your own digits: the digit in each picture, by the model main.py trained and saved.

Photos, scans, drawings and printed digits, any size, dark ink or light: digits.py finds the
digit and prepares it as MNIST's were; each picture is answered even when another is not.
    cd mnist && python predict.py my_digit.png [more.jpg ...] [--model-dir DIR] [--backend torch]
"""
import argparse
import contextlib
import json
import os
import signal
import sys
from pathlib import Path

import numpy as np

from main import BACKENDS, HERE, import_keras, sha256  # beside this script


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="pictures of a digit each: PNG, JPEG, TIFF, ...")
    parser.add_argument("--model-dir", type=Path, default=HERE, help="where main.py saved the model (default: here)")
    parser.add_argument("--backend", choices=BACKENDS, help="Keras backend (default: KERAS_BACKEND, else keras.json's)")
    args = parser.parse_args()
    sys.stdout.reconfigure(errors="backslashreplace")  # a file name that is not UTF-8 still prints
    config = read_pair(args.model_dir)  # before Keras loads: a missing or mixed pair is one line at once
    from digits import read_candidates

    read = {}
    for path in args.images:
        try:
            read[path] = read_candidates(path)
        except (OSError, ValueError) as error:  # Pillow's and digits.py's words: no such file, not an image, blank
            print(f"error: {path}: {getattr(error, 'strerror', None) or error}", file=sys.stderr, flush=True)
    if read:
        os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")  # as main.py: a channels_first model on any CPU
        keras = import_keras(args.backend)
        if (keras.backend.backend(), os.environ["TF_ENABLE_ONEDNN_OPTS"], '"channels_first"' in json.dumps(config)) == (
                "tensorflow", "0", True) and not keras.distribution.list_devices("gpu"):  # as main.py says it
            sys.exit("error: the model is channels_first, which TensorFlow computes on a CPU only with oneDNN, "
                     "and TF_ENABLE_ONEDNN_OPTS=0 turns that off")
        for path, probabilities in zip(read, predict(keras, config, args.model_dir, list(read.values()))):
            print(f"{path}: {probabilities.argmax()} (probability {probabilities.max():.3f})")
    sys.exit(len(read) < len(args.images))


def read_pair(folder):
    """model.json's config, checked against model.weights.h5 (its hash) and for absurd sizes before Keras
    loads; a save killed between its two renames is finished. Else one line saying what is wrong."""
    config_path, weights, pending = folder / "model.json", folder / "model.weights.h5", folder / ".tmp-model.json"
    with contextlib.suppress(OSError, ValueError, KeyError):  # killed between main.py's two renames: finish it
        if json.loads(pending.read_text())["weights_sha256"] == sha256(weights):
            os.replace(pending, config_path)
    if not config_path.is_file() or not weights.is_file():
        sys.exit(f"error: no trained model in {folder} (model.json, model.weights.h5): train one first with "
                 f"`python main.py{'' if folder.resolve() == HERE else f' --out-dir {folder}'}`")
    try:
        numbers = []  # every whole number in it: units, filters, shapes
        config = json.loads(config_path.read_text(), parse_int=lambda text: numbers.append(int(text)) or int(text))
        same_run, largest = config.pop("weights_sha256") == sha256(weights), max(numbers, default=0)
    except (ValueError, LookupError, TypeError, AttributeError) as error:
        sys.exit(f"error: {config_path}: not a model file of main.py's ({type(error).__name__}); train again")
    if not same_run:
        sys.exit(f"error: {config_path.name} and {weights.name} in {folder} are from different runs; train again")
    if largest > 100_000:  # building such a layer could take all the memory there is
        sys.exit(f"error: {config_path}: a layer or shape of {largest:,}, not main.py's model; train again")
    return config


def predict(keras, config, folder, candidates):
    """Each picture's 10 probabilities: those of its candidate reading the model is surest of."""
    try:  # safe mode, Keras's default, refuses layers that would run code from the file (Lambda)
        model = keras.models.model_from_json(json.dumps(config))
        model.load_weights(folder / "model.weights.h5")
        if model.output_shape != (None, 10):
            raise ValueError(f"it gives {model.output_shape[1:]}, not the 10 digits' probabilities")
        sizes = np.cumsum([0] + [len(c) for c in candidates])
        found = model.predict(np.concatenate(candidates).reshape(-1, *model.input_shape[1:]), verbose=0)
    except Exception as error:  # what Keras, h5py or the backend make of a file that is not main.py's
        sys.exit(f"error: {folder / 'model.json'} and model.weights.h5: not a model main.py saved "
                 f"({str(error).splitlines()[0][:200]}); train again")
    return [max(found[a:b], key=np.max) for a, b in zip(sizes, sizes[1:])]


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
