"""draw.py on digits nobody here drew: strokes traced from scikit-learn's optdigits (8x8 digits by
43 writers), replayed with `draw.py --strokes`; prints each reading and the score (target: 9 in 10).

Each digit is enlarged, its ink (half its full strength or more) thinned to a one-pixel skeleton,
spurs pruned, and followed into polylines: the strokes a pen would have drawn, in the pad's
middle, written as draw.py's JSON strokes files.
    python bench/draw_strokes.py --model-dir mnist [--per-digit 1] [--start 1200] [--keep DIR]
Writes only under a temporary folder (or --keep's).
"""
import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from skimage import morphology, transform
from sklearn.datasets import load_digits

ROOT = Path(__file__).resolve().parent.parent
SIZE = 64  # pixels on a side of the enlarged digit that is traced
# the steps to a neighbouring pixel, straight ones first
STEPS = [(-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True, help="main.py's model")
    parser.add_argument("--per-digit", type=int, default=1, help="digits of each kind (default: 1)")
    parser.add_argument("--start", type=int, default=1200, help="the digits from this one on")
    parser.add_argument("--keep", type=Path, help="a folder for the strokes files and figures")
    args = parser.parse_args()
    digits = load_digits()
    chosen = []
    for digit in range(10):
        found = np.flatnonzero(digits.target[args.start:] == digit)[:args.per_digit]
        chosen += list(found + args.start)
    with tempfile.TemporaryDirectory() as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        right = 0
        for i in chosen:
            path = folder / f"optdigits-{i}-{digits.target[i]}.json"
            path.write_text(json.dumps(strokes_of(digits.images[i])))
            result = subprocess.run([sys.executable, "draw.py", "--strokes", path, "--model-dir",
                                     args.model_dir.resolve(), "--out", path.with_suffix(".png")],
                                    cwd=ROOT / "mnist_predict", capture_output=True, text=True)
            found = re.search(r": (\d) \(probability ([\d.]+)\)$", result.stdout, re.M)
            read = int(found.group(1)) if found else None
            right += read == digits.target[i]
            print(f"optdigits {i}: a {digits.target[i]}, read {read}"
                  + (f" (probability {found.group(2)})" if found else f": {result.stderr[-300:]}"))
        print(f"right: {right} of {len(chosen)} ({right / len(chosen):.0%})")


def strokes_of(image):
    """An 8x8 optdigits image as strokes in the pad's middle: [[[x, y], ...], ...], 0 to 1."""
    big = transform.resize(image / 16, (SIZE, SIZE), order=3)
    pixels = prune(set(zip(*np.nonzero(morphology.skeletonize(big > 0.5)))), SIZE // 6)
    strokes = []
    for path in trace(pixels):
        if len(path) >= SIZE // 10:  # a speck is no stroke
            strokes.append([[0.2 + 0.6 * (col + 0.5) / SIZE, 0.2 + 0.6 * (row + 0.5) / SIZE]
                            for row, col in path[::2] + path[-1:]])
    return strokes


def around(pixel, among):
    """The pixels of among next to pixel, straight neighbours first."""
    row, col = pixel
    return [(row + dy, col + dx) for dy, dx in STEPS if (row + dy, col + dx) in among]


def prune(pixels, shortest):
    """The skeleton without its spurs: branches shorter than shortest from a free end to a fork,
    which thinning leaves at a thick stroke's corners."""
    pixels = set(pixels)
    for end in [p for p in pixels if len(around(p, pixels)) == 1]:
        branch, onward = [end], []
        while len(branch) < shortest:
            onward = [q for q in around(branch[-1], pixels) if q not in branch]
            if len(onward) != 1:
                break
            branch.append(onward[0])
        if len(onward) > 1:  # branch[-1] is the fork: the rest goes
            pixels -= set(branch[:-1])
    return pixels


def trace(pixels):
    """A skeleton's pixels as paths: each starts at a free end where there is one (else anywhere
    on a loop), joined to the pixel it branches from, and goes on while there is a pixel not yet
    visited next to it, straight neighbours first."""
    left, visited, paths = set(pixels), set(), []
    while left:
        ends = [p for p in left if len(around(p, left | visited)) <= 1]
        start = min(ends or left)
        path = around(start, visited)[:1] + [start]  # a branch starts where it leaves a stroke
        left.discard(start)
        while nexts := around(path[-1], left):
            path.append(nexts[0])
            left.discard(nexts[0])
        visited.update(path)
        paths.append(path)
    return paths


if __name__ == "__main__":
    main()
