"""How well does digits.py read digits nobody here drew, against a naive 28x28 resize?

Makes these sets: handwritten digits by other writers (scikit-learn's copy of the UCI "optdigits",
8x8 digits by 43 people) scaled up as a reader's tight crop (the ink touches the edges, strokes thick
and soft); the same on grey photographed paper (light falling off, noise, JPEG); the same with a
white margin; drawn with a soft, thick marker with a wide white margin; and 0-9 printed in every
font Matplotlib and the system ship (a margin, and a tight crop). Reads them as predict.py does
with the model in --model-dir, and naively with the same model (bench/reading.py), and prints both
scores a set. Needs scikit-learn; writes its pictures in a temporary folder. Photos of a page:
predict_pages.py.

    python bench/predict_real.py --model-dir DIR [--count 300] [--seed 0] [--digits digits.py]
"""
import argparse
import glob
import io
import os
import re
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

import reading


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    reading.add_arguments(parser)
    parser.add_argument("--count", type=int, default=300, help="handwritten digits a set (default: 300)")
    parser.add_argument("--seed", type=int, default=0, help="which digits, and the pictures' randomness")
    args = parser.parse_args()
    model, digits = reading.load_model(args.model_dir, args.backend), reading.load_digits_module(args.digits)
    with tempfile.TemporaryDirectory() as folder:
        sets = write_sets(Path(folder), args.count, args.seed)
        paths = [str(path) for files in sets.values() for path, _ in files]
        ours, naive = reading.read(model, digits, paths), reading.naive(model, paths)
    print(f"{args.digits} with the model in {args.model_dir}; {reading.cpu()}")
    print(f"{args.count} handwritten digits a set (seed {args.seed}), {len(sets['fonts'])} printed")
    print("| set | pictures | digits.py | naive resize |\n|---|---|---|---|")
    for name, files in sets.items():
        right = [(ours[str(p)] == label, naive[str(p)] == label) for p, label in files]
        print(f"| {name} | {len(files)} | {np.mean([r[0] for r in right]):.1%} | {np.mean([r[1] for r in right]):.1%} |")
        misses = [f"{Path(p).stem}->{ours[str(p)]}" for p, label in files if ours[str(p)] != label]
        print(f"  misses: {' '.join(misses[:12])}{' ...' if len(misses) > 12 else ''}", file=sys.stderr)


def write_sets(folder, count, seed):
    """{set: [(path, label), ...]}, the pictures written in folder."""
    from sklearn.datasets import load_digits  # bundled with scikit-learn: no download

    digits = load_digits()
    rng, soft_rng = np.random.default_rng(seed), np.random.default_rng([seed, 1])  # the older sets as they were
    chosen = rng.permutation(len(digits.target))[:count]
    sets = {"tight crops": [], "grey photographed paper": [], "with a margin": [], "soft and thick, a wide margin": [],
            "fonts": [], "fonts, tight": []}
    for i in chosen:
        label, crop = int(digits.target[i]), tight_crop(digits.images[i], rng)
        for name, picture, suffix in (("tight crops", crop, "png"), ("grey photographed paper", on_grey(crop, rng), "jpg"),
                                      ("with a margin", with_margin(crop, rng), "png"),
                                      ("soft and thick, a wide margin", soft_and_thick(digits.images[i], soft_rng), "png")):
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


def soft_and_thick(digit, rng):
    """An 8x8 optdigits digit drawn with a soft, thick marker, a wide white margin around it, as an
    export of a drawing app: 200-400 pixels, the digit a half to two thirds of the picture."""
    size = int(rng.integers(200, 400))
    side = int(size * rng.uniform(0.5, 0.67))
    ink = np.asarray(Image.fromarray((digit * 255 / 16).astype(np.uint8)).resize((side, side), Image.BICUBIC), float)
    page = np.zeros((size, size))
    top, left = (int((size - side) / 2 + rng.uniform(-0.1, 0.1) * (size - side)) for _ in range(2))
    page[top:top + side, left:left + side] = ndimage.grey_dilation(ink, size=int(side * rng.uniform(0.03, 0.1)) + 1)
    page = ndimage.gaussian_filter(page, side / 40)
    return Image.fromarray((255 - np.clip(page, 0, 255)).astype(np.uint8))


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


if __name__ == "__main__":
    main()
