"""What the predict_* benchmarks share: a model main.py saved, and two ways to read a picture with it.

digits.py's way, as predict.py reads: each picture's candidate readings, the one the model is surest
of kept. The naive way: Pillow's convert("L"), resize((28, 28)) and 255 - x. --digits measures
another digits.py on the same pictures and model (the version at a commit, say:
`git show COMMIT:mnist_predict/digits.py > /tmp/digits.py`).
"""
import importlib.util
import json
import os
import platform
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
DIGITS = ROOT / "mnist_predict" / "digits.py"


def add_arguments(parser):
    parser.add_argument("--model-dir", type=Path, required=True, help="where main.py saved model.json and its weights")
    parser.add_argument("--digits", type=Path, default=DIGITS, help="the digits.py to measure (default: this one's)")
    parser.add_argument("--backend", default="tensorflow")


def cpu():
    """The CPU's model name and core count, as lscpu says them."""
    try:
        found = dict(line.split(":", 1) for line in subprocess.run(["lscpu"], capture_output=True, text=True)
                     .stdout.splitlines() if ":" in line)
        return f"{found['Model name'].strip()}, {os.cpu_count()} cores"
    except (OSError, KeyError):
        return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"


def load_digits_module(path):
    spec = importlib.util.spec_from_file_location("digits_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_model(model_dir, backend="tensorflow"):
    os.environ.update(KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
    import keras

    config = json.loads((model_dir / "model.json").read_text())
    config.pop("weights_sha256", None)
    model = keras.models.model_from_json(json.dumps(config))
    model.load_weights(model_dir / "model.weights.h5")
    return model


def probabilities(model, x):
    return model.predict(np.asarray(x, "float32").reshape(-1, *model.input_shape[1:]), verbose=0, batch_size=512)


def read(model, digits, paths):
    """{path: digit} as predict.py answers, None where digits.py found none."""
    candidates = {}
    for path in paths:
        try:
            candidates[path] = digits.read_candidates(path)
        except (OSError, ValueError):
            pass
    found = {path: None for path in paths}
    if candidates:
        every = probabilities(model, np.concatenate(list(candidates.values())))
        start = 0
        for path, readings in candidates.items():
            mine = every[start:start + len(readings)]
            found[path] = int(mine[mine.max(axis=1).argmax()].argmax())  # the reading the model is surest of
            start += len(readings)
    return found


def naive(model, paths):
    """{path: digit} by the naive resize and the same model."""
    x = np.stack([255 - np.asarray(Image.open(p).convert("L").resize((28, 28)), "float32") for p in paths]) / 255
    return dict(zip(paths, probabilities(model, x).argmax(axis=1).tolist()))
