"""How well does `mnist/predict.py` read digits as people photograph, scan and draw them?

Writes the first --count test digits of a full mnist.npz in each style of tests/digit_styles.py
(MNIST's own, JPEG, transparent, EXIF-rotated, 16-bit, float TIFF, small on noisy grey paper, a
fine pen on a big canvas, a thick pen, a sheet on a table, light falling off, ruled lines, paper
grain, ...), asks the script for their digits with the model in --model-dir, and prints each
style's score. The goal it is measured against: with a full 12-epoch model at least 9/10 in each
style, and no style under 8/10 with a one-epoch model. --script compares another predict.py (an
earlier version, say) on the same files and model. Writes its pictures in a temporary folder.

    python bench/predict_styles.py --data PATH/TO/mnist.npz --model-dir mnist [--count 10] [--script predict.py]
"""
import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import digit_styles  # noqa: E402  (the tests' styles: one definition of each)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a full mnist.npz")
    parser.add_argument("--model-dir", type=Path, required=True, help="where model.json and model.weights.h5 are")
    parser.add_argument("--count", type=int, default=10, help="digits per style (default: 10)")
    parser.add_argument("--script", type=Path, default=ROOT / "mnist" / "predict.py")
    args = parser.parse_args()
    with np.load(args.data, allow_pickle=False) as data:
        digits, labels = data["x_test"][:args.count], data["y_test"][:args.count]
    with tempfile.TemporaryDirectory() as folder:
        files = digit_styles.write(Path(folder), digits)
        paths = [str(path) for style in files.values() for path in style]
        result = subprocess.run([sys.executable, args.script.name, *paths, "--model-dir", str(args.model_dir.resolve())],
                                cwd=args.script.resolve().parent, capture_output=True, text=True)
    answers = dict(re.findall(r"^(.*): (\d) \(probability [\d.]+\)$", result.stdout, re.M))
    print(f"{args.script}, model {args.model_dir}, {args.count} digits a style (labels {labels.tolist()})")
    scores = []
    for style, style_paths in files.items():
        found = [int(answers[str(p)]) if str(p) in answers else None for p in style_paths]
        scores.append(sum(f == t for f, t in zip(found, labels)))
        print(f"  {style:34s} {scores[-1]:2d}/{args.count}  {''.join('-' if f is None else str(f) for f in found)}")
    print(f"lowest {min(scores)}/{args.count}; styles at {args.count - 1}/{args.count} or better: "
          f"{sum(s >= args.count - 1 for s in scores)} of {len(scores)}")


if __name__ == "__main__":
    main()
