"""How long does digits.py take to read a phone's photo of a page, beyond loading the model?

Writes a 12-megapixel photo (4000x3000, a digit on a sheet lying on a table, tests/digit_styles.py's
photo_of_a_sheet) as a JPEG, as a PNG and as a 3000x4000 JPEG turned by its EXIF tag, and times
read_candidates on each (the median of --repeats), then the model's reading of the candidates.
The goal: at most 2 s a photo on a 2-core CPU. --digits times another digits.py (an older one).

    python bench/predict_speed.py --model-dir DIR [--repeats 5] [--digits digits.py]
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

import reading

sys.path.insert(0, str(reading.ROOT / "tests"))
import digit_styles  # noqa: E402  (the tests' photo of a sheet: one definition)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    reading.add_arguments(parser)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    digits = reading.load_digits_module(args.digits)
    print(f"{args.digits}; {reading.cpu()}")
    rng = np.random.default_rng(0)
    with np.load(reading.ROOT / "tests" / "data" / "mnist_small.npz") as data:
        three = data["x_test"][data["y_test"] == 3][0]
    photo = digit_styles.photo_of_a_sheet(digit_styles.pen(three, 200, 16), rng, size=(3000, 4000))
    with tempfile.TemporaryDirectory() as folder:
        exif = Image.Exif()
        exif[0x0112] = 6  # stored sideways, turned upright by its tag, as phones do
        files = {"12 MP JPEG, 4000x3000": (Path(folder) / "photo.jpg", {"quality": 90}),
                 "12 MP PNG, 4000x3000": (Path(folder) / "photo.png", {}),
                 "12 MP JPEG, EXIF-turned": (Path(folder) / "turned.jpg", {"quality": 90, "exif": exif})}
        for name, (path, options) in files.items():
            (photo.transpose(Image.Transpose.ROTATE_90) if "turned" in name else photo).save(path, **options)
        model = reading.load_model(args.model_dir, args.backend)
        reading.probabilities(model, np.zeros((2, 28, 28)))  # its first call traces: part of its start-up
        for name, (path, _) in files.items():
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                candidates = digits.read_candidates(path)
                times.append(time.perf_counter() - start)
            start = time.perf_counter()
            found = reading.probabilities(model, candidates)
            predicted = time.perf_counter() - start
            print(f"{name} ({path.stat().st_size / 1e6:.1f} MB): read_candidates median {np.median(times):.2f} s "
                  f"({' '.join(f'{t:.2f}' for t in times)}), the model {predicted:.2f} s; "
                  f"read as {found[found.max(axis=1).argmax()].argmax()}")


if __name__ == "__main__":
    main()
