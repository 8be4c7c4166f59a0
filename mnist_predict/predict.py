"""Reading your own digits: the digit in each picture, by the model mnist/ (or mnist_fast/) trained.

Builds on the post's "Classifying Digits" (mnist/): main.py saves the post's JSON model file and
its weights; this builds the model again from them and reads photos, scans, drawings and printed
digits, which digits.py prepares as MNIST's digits were prepared.
    cd mnist_predict && python predict.py seven.png [more.jpg ...] [--model-dir ../mnist]
"""
import argparse
import json
import os
import sys
import warnings
from pathlib import Path

from digits import read_candidates  # beside this script

HERE = Path(__file__).resolve().parent
MODEL_DIR = HERE.parent / "mnist"  # where mnist/main.py saves model.json and model.weights.h5
LARGEST = 100_000  # main.py's biggest number is 9,216 (Dense's inputs): bigger is not its model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="a digit's picture")
    parser.add_argument("--model-dir", type=Path, default=MODEL_DIR,
                        help="where mnist/main.py or mnist_fast/train.py saved its model "
                        "(default: ../mnist)")
    args = parser.parse_args()
    sys.stdout.reconfigure(errors="backslashreplace")  # a file name that is not UTF-8 still prints
    model = load_model(args.model_dir)

    failed = 0
    for path in args.images:
        try:
            candidates = read_candidates(path)
        except (OSError, ValueError) as error:  # no such file, not an image, nothing drawn on it
            print(f"error: {path}: {getattr(error, 'strerror', None) or error}", file=sys.stderr)
            failed += 1
            continue
        probabilities = read_digit(model, candidates)
        print(f"{path}: {probabilities.argmax()} (probability {probabilities.max():.3f})")
    sys.exit(1 if failed else 0)


def load_model(model_dir):
    """The model main.py saved in model_dir, as the post loads it: built from the JSON model file,
    then given its weights. Anything else ends the program with one line saying what is wrong."""
    config_file, weights_file = Path(model_dir) / "model.json", Path(model_dir) / "model.weights.h5"
    if not config_file.is_file() or not weights_file.is_file():
        sys.exit(f"error: no trained model in {model_dir} (model.json, model.weights.h5): "
                 "train one first: python main.py in mnist/ (or train.py in mnist_fast/)")
    again = f"error: {config_file} and {weights_file.name}: not a model main.py saved"

    # A JSON file can ask for a layer of any size, and building it could take all the memory
    # there is: every whole number in the file (units, filters, shapes) is checked first.
    try:
        largest = max(whole_numbers(json.loads(config_file.read_text())), default=0)
    except ValueError as error:
        sys.exit(f"{again} ({error}); train again")
    if largest > LARGEST:
        sys.exit(f"{again} (a layer or shape of {largest:,}); train again")

    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")  # TensorFlow: channels_first on any CPU
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow: no start-up chatter
    import keras  # its backend: KERAS_BACKEND, else keras.json's

    try:
        # Keras's safe mode, its default, refuses a layer that would run code from the file (Lambda)
        model = keras.models.model_from_json(config_file.read_text())
        with warnings.catch_warnings(action="error"):  # Keras only warns of some weights left out
            model.load_weights(weights_file)  # and refuses those of other shapes than the layers'
        shapes = model.input_shape[1:], model.output_shape[1:]
        if shapes not in (((28, 28, 1), (10,)), ((1, 28, 28), (10,))):  # a digit in, 10 out
            raise ValueError(f"it maps {model.input_shape[1:]} to {model.output_shape[1:]}")
    except Exception as error:  # what Keras, h5py or the backend say of files that do not fit
        sys.exit(f"{again} ({str(error).strip().splitlines()[0][:200]}); train again")
    return model


def whole_numbers(value):
    """Every whole number in a JSON value, however deep in its lists and objects."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [number for item in value for number in whole_numbers(item)]
    return [value] if isinstance(value, int) else []


def read_digit(model, candidates):
    """The 10 probabilities of the candidate reading (digits.py's) the model is surest of."""
    found = model.predict(candidates.reshape(-1, *model.input_shape[1:]), verbose=0)
    return found[found.max(axis=1).argmax()]


if __name__ == "__main__":
    main()
