"""How well does `mnist/predict.py` read digits nobody here drew, against a naive 28x28 resize?

Makes four sets: handwritten digits by other writers (scikit-learn's copy of the UCI "optdigits",
8x8 digits by 43 people) scaled up as a reader's tight crop (the ink touches the edges, strokes thick
and soft); the same on grey photographed paper (light falling off, noise, JPEG); the same with a
white margin; and 0-9 printed in every font Matplotlib and the system ship (a margin, and a tight
crop). Then asks predict.py for their digits with the model in --model-dir, reads them naively with
the same model (Pillow's convert("L"), resize((28, 28)), 255 - x), and prints both scores a set.
Needs scikit-learn (`pip install scikit-learn`); writes its pictures in a temporary folder.

    python bench/predict_real.py --model-dir DIR [--count 300] [--seed 0] [--backend tensorflow]
"""
import argparse
import glob
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

MNIST = Path(__file__).resolve().parent.parent / "mnist"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True, help="where main.py saved model.json and its weights")
    parser.add_argument("--count", type=int, default=300, help="handwritten digits a set (default: 300)")
    parser.add_argument("--seed", type=int, default=0, help="which digits, and the pictures' randomness")
    parser.add_argument("--backend", default="tensorflow")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        sets = write_sets(Path(folder), args.count, args.seed)
        paths = [str(path) for files in sets.values() for path, _ in files]
        result = subprocess.run([sys.executable, "predict.py", *paths, "--model-dir", str(args.model_dir.resolve()),
                                 "--backend", args.backend], cwd=MNIST, capture_output=True, text=True)
        ours = {path: int(digit) for path, digit in re.findall(r"^(.*): (\d) \(probability", result.stdout, re.M)}
        naive = naive_readings(args.model_dir, args.backend, paths)
    print(f"model {args.model_dir}; {args.count} handwritten digits a set (seed {args.seed}), {len(sets['fonts'])} printed")
    print(f"| set | pictures | predict.py | naive resize |\n|---|---|---|---|")
    for name, files in sets.items():
        right = [(ours.get(str(p)) == label, naive[str(p)] == label) for p, label in files]
        print(f"| {name} | {len(files)} | {np.mean([r[0] for r in right]):.1%} | {np.mean([r[1] for r in right]):.1%} |")
        misses = [f"{Path(p).stem}->{ours.get(str(p), '-')}" for p, label in files if ours.get(str(p)) != label]
        print(f"  misses: {' '.join(misses[:12])}{' ...' if len(misses) > 12 else ''}", file=sys.stderr)


def write_sets(folder, count, seed):
    """{set: [(path, label), ...]}, the pictures written in folder."""
    from sklearn.datasets import load_digits  # bundled with scikit-learn: no download

    digits = load_digits()
    rng = np.random.default_rng(seed)
    chosen = rng.permutation(len(digits.target))[:count]
    sets = {"tight crops": [], "grey photographed paper": [], "with a margin": [], "fonts": [], "fonts, tight": []}
    for i in chosen:
        label, crop = int(digits.target[i]), tight_crop(digits.images[i], rng)
        for name, picture, suffix in (("tight crops", crop, "png"), ("grey photographed paper", on_grey(crop, rng), "jpg"),
                                      ("with a margin", with_margin(crop, rng), "png")):
            path = folder / f"{name.split()[0]}_{i}_{label}.{suffix}"
            picture.save(path)
            sets[name].append((path, label))
    for font in fonts():
        for digit in range(10):
            for name, pad in (("fonts", None), ("fonts, tight", 0)):
                path = folder / f"{name.replace(', ', '_')}_{Path(font).stem}_{digit}.png"
                printed(font, digit, rng, pad).save(path)
                sets[name].append((path, digit))
    return sets


def tight_crop(digit, rng):
    """An 8x8 optdigits digit (0 to 16) as dark ink on white, scaled up to 96-320 pixels."""
    size, resample = int(rng.integers(96, 320)), [Image.BILINEAR, Image.BICUBIC, Image.LANCZOS][int(rng.integers(3))]
    return Image.fromarray((255 - digit * 255 / 16).astype(np.uint8)).resize((size, size), resample)


def on_grey(crop, rng):
    """The crop photographed: grey paper, light falling off across it, sensor noise, a JPEG."""
    ink_free = np.asarray(crop, float) / 255
    paper, ink = rng.uniform(0.55, 0.8), rng.uniform(0.05, 0.25)
    y, x = np.mgrid[0:crop.height, 0:crop.width] / crop.width
    angle = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(angle) * x + np.sin(angle) * y
    gray = (ink + (paper - ink) * ink_free) * (1 - rng.uniform(0.15, 0.4) * (ramp - ramp.min()) / np.ptp(ramp))
    gray += rng.normal(0, rng.uniform(0.02, 0.05), gray.shape)
    rgb = np.stack([gray, gray * rng.uniform(0.93, 1), gray * rng.uniform(0.85, 1)], -1)
    buffer = io.BytesIO()
    Image.fromarray((np.clip(rgb, 0, 1) * 255).astype(np.uint8)).save(buffer, "JPEG", quality=int(rng.integers(50, 85)))
    return Image.open(buffer)


def with_margin(crop, rng):
    margin = int(crop.width * rng.uniform(0.15, 0.6))
    page = Image.new("L", (crop.width + 2 * margin, crop.height + 2 * margin), 255)
    page.paste(crop, tuple(margin + int(rng.integers(-margin // 2, margin // 2 + 1)) for _ in range(2)))
    return page


def fonts():
    """The .ttf fonts Matplotlib and the system ship that draw ten different digits (not symbol fonts:
    TeX's cmex10 and cmsy10 draw ten different signs where the digits would be, STIX's size variants too)."""
    import matplotlib

    found = {}
    for path in sorted(glob.glob(os.path.join(matplotlib.get_data_path(), "fonts", "ttf", "*.ttf"))
                       + glob.glob("/usr/share/fonts/**/*.ttf", recursive=True)):
        try:
            font = ImageFont.truetype(path, 100)
            if len({bytes(font.getmask(str(d))) for d in range(10)}) == 10 and not re.search("STIXSiz|cmex|cmsy", path):
                found.setdefault(Path(path).name, path)
        except OSError:
            pass
    return list(found.values())


def printed(font, digit, rng, pad):
    """The digit in that font, black on white, 40-200 pixels tall, with a quarter of its size around (or none)."""
    size = int(rng.integers(40, 200))
    face = ImageFont.truetype(font, size)
    left, top, right, bottom = face.getbbox(str(digit))
    pad = size // 4 if pad is None else pad
    picture = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 255)
    ImageDraw.Draw(picture).text((pad - left, pad - top), str(digit), font=face, fill=0)
    return picture


def naive_readings(model_dir, backend, paths):
    """{path: digit} by the naive resize and the same model."""
    os.environ.update(KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    import keras

    config = json.loads((model_dir / "model.json").read_text())
    config.pop("weights_sha256", None)
    model = keras.models.model_from_json(json.dumps(config))
    model.load_weights(model_dir / "model.weights.h5")
    x = np.stack([255 - np.asarray(Image.open(p).convert("L").resize((28, 28)), "float32") for p in paths]) / 255
    found = model.predict(x.reshape(-1, *model.input_shape[1:]), verbose=0).argmax(axis=1)
    return dict(zip(paths, found.tolist()))


if __name__ == "__main__":
    main()
