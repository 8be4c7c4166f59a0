"""How well does digits.py read digits as people photograph, scan and draw them?

Writes the first --count test digits of a full mnist.npz in each style of tests/digit_styles.py
(MNIST's own, JPEG, transparent, EXIF-rotated, 16-bit, float TIFF, small on noisy grey paper, a
fine pen on a big canvas, a thick pen, a sheet on a table, light falling off, ruled lines, paper
grain, a photo of a sheet lying on a table, ...), reads them as predict.py does with the model in
--model-dir (bench/reading.py), and prints each style's score. The goal: at least 9/10 a style
with a model of `main.py --epochs 2` or more. --digits measures another digits.py (an earlier
version, say) on the same pictures and model. Writes its pictures in a temporary folder.

    python bench/predict_styles.py --data PATH/TO/mnist.npz --model-dir DIR [--count 10] [--digits digits.py]
"""
import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

import reading

sys.path.insert(0, str(reading.ROOT / "tests"))
import digit_styles  # noqa: E402  (the tests' styles: one definition of each)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    reading.add_arguments(parser)
    parser.add_argument("--data", type=Path, required=True, help="a full mnist.npz")
    parser.add_argument("--count", type=int, default=10, help="digits per style (default: 10)")
    args = parser.parse_args()
    model, digits = reading.load_model(args.model_dir, args.backend), reading.load_digits_module(args.digits)
    with np.load(args.data, allow_pickle=False) as data:
        images, labels = data["x_test"][:args.count], data["y_test"][:args.count]
    with tempfile.TemporaryDirectory() as folder:
        files = digit_styles.write(Path(folder), images)
        answers = reading.read(model, digits, [str(path) for style in files.values() for path in style])
    print(f"{args.digits} with the model in {args.model_dir}, {args.count} digits a style "
          f"(labels {labels.tolist()}); {reading.cpu()}")
    scores = []
    for style, paths in files.items():
        found = [answers[str(path)] for path in paths]
        scores.append(sum(f == t for f, t in zip(found, labels)))
        print(f"  {style:34s} {scores[-1]:2d}/{args.count}  {''.join('-' if f is None else str(f) for f in found)}")
    print(f"lowest {min(scores)}/{args.count}; styles at {args.count - 1}/{args.count} or better: "
          f"{sum(s >= args.count - 1 for s in scores)} of {len(scores)}")


if __name__ == "__main__":
    main()
