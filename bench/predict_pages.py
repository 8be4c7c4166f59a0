"""How well does digits.py read photos of a page, a digit written on a sheet lying on a table?

Photos made by tests/digit_styles.py's photo_of_a_sheet from digits nobody here drew: other writers'
handwriting (scikit-learn's copy of the UCI "optdigits", 8x8 digits scaled up: soft thick strokes),
MNIST's test digits redrawn with a pen (with --data), and 0-9 in Matplotlib's fonts. Two sets of
handwriting, split by index so that they share no digit: "dev", the even digits in the ranges the
reader was tuned on, and "eval", the odd ones in wider ranges (smaller and larger sheets, more
turned or partly out of the frame, darker and lighter tables with more grain, more blur, noise,
uneven light and JPEG loss), like the held-back photos it is scored on. Each is read as predict.py
reads it and by a naive 28x28 resize with the same model; prints both scores a set.

    python bench/predict_pages.py --model-dir DIR [--data mnist.npz] [--count 300] [--digits digits.py]
"""
import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

import reading
from predict_real import fonts, printed

sys.path.insert(0, str(reading.ROOT / "tests"))
import digit_styles  # noqa: E402  (the tests' photo of a sheet: one definition)

# The ranges digits.py was tuned on, and the wider ones it is measured on (photo_of_a_sheet's arguments).
DEV = dict(sheet=(0.3, 0.7), table=(30, 120), turn=8, digit=(0.3, 0.6), grain=15, light=0.25, shadow=0.25,
           blur=(0.5, 1.5), noise=(2, 6))
EVAL = dict(sheet=(0.2, 0.8), table=(20, 150), turn=15, digit=(0.25, 0.7), grain=30, light=0.4, shadow=0.4,
            blur=(0.5, 2.5), noise=(2, 10))
SIZES = [(320, 320), (480, 640), (640, 480), (600, 800), (768, 1024), (900, 1200), (1200, 900), (720, 960)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    reading.add_arguments(parser)
    parser.add_argument("--data", type=Path, help="a full mnist.npz, for the set of MNIST's test digits")
    parser.add_argument("--count", type=int, default=300, help="photos a set (default: 300)")
    parser.add_argument("--phones", type=int, default=20, help="photos at 4000x3000 and 3000x4000 (default: 20)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    model, digits = reading.load_model(args.model_dir, args.backend), reading.load_digits_module(args.digits)
    print(f"{args.digits} with the model in {args.model_dir}; {reading.cpu()}")
    print("| set | photos | digits.py | naive resize |\n|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for name, files in write_sets(Path(folder), args):
            if not files:  # --count 0: the phones' set alone
                continue
            paths = [str(path) for path, _ in files]
            ours, naive = reading.read(model, digits, paths), reading.naive(model, paths)
            ours_right = [ours[str(p)] == label for p, label in files]
            naive_right = [naive[str(p)] == label for p, label in files]
            print(f"| {name} | {len(files)} | {np.mean(ours_right):.1%} | {np.mean(naive_right):.1%} |", flush=True)
            misses = [f"{Path(p).stem}->{ours[str(p)]}" for p, label in files if ours[str(p)] != label]
            print(f"  misses: {' '.join(misses[:15])}{' ...' if len(misses) > 15 else ''}", file=sys.stderr)


def write_sets(folder, args):
    """(set, [(path, label), ...]) one set at a time, its photos written in folder."""
    from sklearn.datasets import load_digits  # bundled with scikit-learn: no download

    optdigits = load_digits()
    rng = np.random.default_rng(args.seed)
    for name, stem, first, ranges in (("handwriting, dev (even digits, the tuned ranges)", "dev", 0, DEV),
                                      ("handwriting, eval (odd digits, wider ranges)", "eval", 1, EVAL)):
        chosen = rng.permutation(np.arange(first, len(optdigits.target), 2))[:args.count]
        yield name, [photo(folder, f"{stem}_{i}", optdigits.images[i] / 16, optdigits.target[i], rng, ranges)
                     for i in chosen]
    if args.data:
        with np.load(args.data) as data:
            chosen = rng.permutation(len(data["y_test"]))[:args.count]
            images, labels = data["x_test"][chosen], data["y_test"][chosen]
        yield "MNIST's test digits, a pen, eval ranges", [
            photo(folder, f"mnist_{i}", digit_styles.pen(image, 200, int(rng.integers(6, 24))), label, rng, EVAL)
            for i, image, label in zip(chosen, images, labels)]
    faces = fonts()
    yield "printed, eval ranges", [
        photo(folder, f"font_{k}", 1 - np.asarray(printed(faces[k % len(faces)], k % 10, rng, 0), float) / 255,
              k % 10, rng, EVAL) for k in rng.permutation(10 * len(faces))[:args.count]]
    if args.phones:
        chosen = rng.permutation(np.arange(1, len(optdigits.target), 2))[:args.phones]
        yield "handwriting, eval, 4000x3000 phone photos", [
            photo(folder, f"phone_{i}", optdigits.images[i] / 16, optdigits.target[i], rng, EVAL,
                  size=(3000, 4000) if n % 2 else (4000, 3000)) for n, i in enumerate(chosen)]


def photo(folder, stem, ink, label, rng, ranges, size=None):
    """A photo of ink on a sheet on a table, written as a JPEG: (path, label)."""
    size = size or SIZES[int(rng.integers(len(SIZES)))]
    inside = ranges is DEV or rng.random() < 0.8  # in the wider ranges, a fifth of the sheets run off the frame
    picture = digit_styles.photo_of_a_sheet(ink, rng, size=size, inside=inside, **ranges)
    path = folder / f"{stem}_{label}.jpg"
    picture.save(path, quality=int(rng.integers(50, 92)))
    return path, int(label)


if __name__ == "__main__":
    main()
