"""How well, and how fast, does mnist_predict/ read digits nobody here drew? A mode a question
(bench/README.md): real, pages, small and styles print each set's share read right by the reader
(as predict.py reads; --digits: another digits.py) and by a naive 28x28 resize, same model:
python -m bench.reader MODE --model-dir DIR [--count N] [--data mnist.npz] [--digits PATH]"""
import argparse
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import timeit
from pathlib import Path

import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps
from scipy import ndimage
from skimage import measure, morphology, transform

from tests import digit_styles

ROOT = Path(__file__).resolve().parent.parent
TUNED = dict(sheet=(0.3, 0.7), table=(30, 120), turn=8, digit=(0.3, 0.6), grain=15, light=0.25,
             shadow=0.25, blur=(0.5, 1.5), noise=(2, 6))
WIDER = dict(sheet=(0.2, 0.8), table=(20, 150), turn=15, digit=(0.25, 0.7), grain=30, light=0.4,
             shadow=0.4, blur=(0.5, 2.5), noise=(2, 10))

def load(args):  # predict.py imports digits from beside it: the one measured stands in
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    for name, path in ("digits", args.digits), ("predict", ROOT / "mnist_predict" / "predict.py"):
        spec = importlib.util.spec_from_file_location(name, path)
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules["digits"], sys.modules["predict"].load_model(args.model_dir)

def probabilities(model, x):
    return model.predict_on_batch(np.asarray(x, "float32").reshape(-1, *model.input_shape[1:]))

def optdigits():  # scikit-learn's copy of the UCI "optdigits": 8x8 digits by 43 writers
    from sklearn.datasets import load_digits  # bundled: no download
    return list(zip((opt := load_digits()).images / 16, opt.target))  # (ink 0 to 1, label)

def table(args, sets, groups=("",)):  # sets: (name, [[(path, label), ...] a group]), in turn
    digits, model = load(args)
    names = [f"{way}{group}" for way in ("reader", "naive resize") for group in groups]
    print(f"| set | pictures | {' | '.join(names)} |\n" + "|---" * (len(names) + 2) + "|")
    for name, lists in filter(lambda row: row[1][0], sets):
        right = []
        for files, group in zip(lists, groups):
            ours, labels = [], np.array([y for _, y in files])
            for path, _ in files:
                try:  # as predict.py reads: the candidate the model is surest of
                    ours.append((q := probabilities(model, digits.read_candidates(path)))[
                        q.max(1).argmax()].argmax())
                except (OSError, ValueError):  # none found
                    ours.append(-1)
            naive = probabilities(model, np.stack([255 - np.asarray(Image.open(p).convert(
                "L").resize((28, 28))) for p, _ in files]) / 255).argmax(1)
            right += [f"{np.mean(ours == labels):.1%}", f"{np.mean(naive == labels):.1%}"]
            misses = [f"{p.stem}->{a}" for (p, y), a in zip(files, ours) if a != y]
            print(f"  {name}{group}: {len(misses)} misses", *misses[:15], file=sys.stderr)
        print(f"| {name} | {len(lists[0])} | {' | '.join(right[::2] + right[1::2])} |", flush=True)

def photographed(ink, rng, shape, height, paper=(170, 250), fall=0.0):  # anywhere, with noise
    ink = transform.resize(ink, (height, max(2, round(height * ink.shape[1] / ink.shape[0]))),
                           order=1, anti_aliasing=True).clip(0, 1)
    (h, w), (angle, dark) = shape, rng.uniform((0, 15), (2 * np.pi, 60))
    top, left = int(rng.integers(h - height + 1)), int(rng.integers(w - ink.shape[1] + 1))
    page = np.full(shape, paper := rng.uniform(*paper), "float32")
    page[top:top + height, left:left + ink.shape[1]] += (dark - paper) * ink
    if fall:
        ramp = np.cos(angle) * np.arange(w) / w + np.sin(angle) * np.arange(h)[:, None] / h
        page *= 1 - fall * (ramp - ramp.min()) / np.ptp(ramp)
    page += rng.standard_normal(shape, "float32") * rng.uniform(2, 10)
    return Image.fromarray(page.clip(0, 255).astype(np.uint8))

def real(args, folder):
    opt, rng, sets, faces = optdigits(), np.random.default_rng(args.seed), {}, fonts()
    for i in rng.permutation(len(opt))[:args.count]:
        (ink, label), size = opt[i], int(rng.integers(96, 320))
        crop = Image.fromarray((255 - ink * 255).astype(np.uint8)).resize((size, size), (
            Image.BILINEAR, Image.BICUBIC, Image.LANCZOS)[int(rng.integers(3))])
        grey = photographed(1 - np.asarray(crop) / 255, rng, (size,) * 2, size, (140, 205),
                            rng.uniform(0.15, 0.4))  # the crop, photographed
        margin = tuple(int(size * rng.uniform(0.08, 0.9)) for _ in "ltrb")
        for name, picture in (("tight crops", crop), ("grey photographed paper", grey),
                              ("with a margin", ImageOps.expand(crop, margin, 255)),
                              ("soft and thick, a wide margin", soft_and_thick(ink, rng))):
            path = folder / f"{name[:4]}_{i}_{label}.{'jpg' if 'grey' in name else 'png'}"
            picture.save(path, quality=int(rng.integers(50, 85)))  # for the JPEG
            sets.setdefault(name, []).append((path, label))
    for n in range(20 * len(faces)):  # each font's 0-9 with a margin, and tight
        path = folder / f"{n % 2}_{faces[n // 20].stem}_{n // 2 % 10}.png"
        printed(faces[n // 20], n // 2 % 10, rng, n % 2 - 1).save(path)
        sets.setdefault(["fonts", "fonts, tight"][n % 2], []).append((path, n // 2 % 10))
    table(args, [(name, [files]) for name, files in sets.items()])

def soft_and_thick(ink, rng):  # a soft, thick marker, as a drawing app exports it
    side = int((size := int(rng.integers(200, 400))) * rng.uniform(0.5, 0.67))  # the digit's
    page, at = np.zeros((size, size)), ((size - side) * rng.uniform(0.4, 0.6, 2)).astype(int)
    page[at[0]:at[0] + side, at[1]:at[1] + side] = ndimage.grey_dilation(transform.resize(
        ink * 255, (side, side), order=3), size=int(side * rng.uniform(0.03, 0.1)) + 1)
    page = 255 - ndimage.gaussian_filter(page, side / 40)
    return Image.fromarray(page.clip(0, 255).astype(np.uint8))

def fonts():  # Matplotlib's and the system's that draw ten different digits, not symbols
    paths = sorted([*Path(matplotlib.get_data_path(), "fonts/ttf").glob("*.ttf"),
                    *Path("/usr/share/fonts").rglob("*.ttf")], reverse=True)  # the first of a name
    return [path for path in sorted({path.name: path for path in paths}.values())
            if len({bytes(ImageFont.truetype(path, 100).getmask(str(d))) for d in range(10)}) == 10
            and not re.search("STIXSiz|cmex|cmsy", path.name)]  # TeX's, STIX's sizes

def printed(font, digit, rng, pad=-1):  # 40-200 pixels tall, a quarter of that around (or pad)
    face = ImageFont.truetype(font, size := int(rng.integers(40, 200)))
    left, top, right, bottom, pad = *face.getbbox(str(digit)), size // 4 if pad < 0 else pad
    picture = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 255)
    ImageDraw.Draw(picture).text((pad - left, pad - top), str(digit), font=face, fill=0)
    return picture

def mnist(args, rng):  # MNIST's test digits redrawn with a pen
    with np.load(args.data) as data:
        chosen = rng.permutation(len(data["y_test"]))[:args.count]
        return [(digit_styles.pen(x, 200, int(rng.integers(6, 24))), y)
                for x, y in zip(data["x_test"][chosen], data["y_test"][chosen])]

def pages(args, folder):  # tests/digit_styles.py's photos of a sheet on a table
    opt, rng, faces = optdigits(), np.random.default_rng(args.seed), fonts()
    even, odd = ([opt[i] for i in rng.permutation(range(first, len(opt), 2))] for first in (0, 1))
    fonts_inks = [(1 - np.asarray(printed(faces[k % len(faces)], k % 10, rng, 0)) / 255, k % 10)
                  for k in rng.permutation(10 * len(faces))[:args.count]]
    def photos(inks, ranges=WIDER, side=None):  # a fifth of the wider ones run off the frame
        for k, (ink, label) in enumerate(inks):
            size = rng.permutation((short := side or int(rng.integers(320, 900)), short * 4 // 3))
            inside = ranges is TUNED or rng.random() < 0.8
            digit_styles.photo_of_a_sheet(ink, rng, size, inside=inside, **ranges).save(
                path := folder / f"{k}_{label}.jpg", quality=int(rng.integers(50, 92)))
            yield path, label
    table(args, ((name, [list(photos(*rest))]) for name, *rest in (
        ("handwriting, dev (even digits, the tuned ranges)", even[:args.count], TUNED),
        ("handwriting, eval (odd digits, wider ranges)", odd[:args.count]),
        ("MNIST's test digits, a pen, eval ranges", mnist(args, rng)),
        ("printed, eval ranges", fonts_inks),
        ("handwriting, eval, 4000x3000 phone photos", odd[args.count:][:args.count // 15], WIDER,
         3000))))

def small(args, folder):  # handwriting 3-8% of a 1600x1200 to 4000x3000 photo's shorter side
    opt, rng = optdigits(), np.random.default_rng(args.seed)
    hand = [opt[i] for i in rng.permutation(len(opt))[:args.count]]
    def photos(inks, low, high):  # the ink's box low to high of the shorter side, on a page
        for k, (ink, label) in enumerate(inks):
            shape = rng.permutation((short := int(rng.uniform(1200, 3000)), short * 4 // 3))
            ink = ink[ndimage.find_objects((ink > 0.2).astype(int))[0]].astype(float)  # its box
            photographed(ink, rng, shape, round(rng.uniform(low, high) * short)).save(
                path := folder / f"{low}_{k}_{label}.jpg", quality=int(rng.integers(60, 92)))
            yield path, label
    sets = ("optdigits", hand), ("MNIST's test digits, a pen", mnist(args, rng))
    table(args, ((name, [list(photos(inks, 0.03, 0.08)), list(photos(inks, 0.1, 0.25))])
                 for name, inks in sets), groups=(", 3-8%", ", 10-25%"))

def styles(args, folder):  # MNIST's test digits in each of tests/digit_styles.py's styles
    with np.load(args.data) as data:
        images, labels = data["x_test"][:args.count], data["y_test"][:args.count]
    table(args, [(style, [list(zip(paths, labels))])
                 for style, paths in digit_styles.write(folder, images).items()])

def speed(args, folder):  # a 12 MP photo of a sheet on a table (goal: 2 s on 2 cores)
    digits, model = load(args)
    with np.load(args.data) as data:
        ink = digit_styles.pen(data["x_test"][data["y_test"] == 3][0], 200, 16)
    photo = digit_styles.photo_of_a_sheet(ink, np.random.default_rng(0), size=(3000, 4000))
    (exif := Image.Exif())[0x0112] = 6  # stored sideways, turned upright by its tag, as phones do
    for name, turned in ("JPEG.jpg", {}), ("PNG.png", {}), ("turned (EXIF).jpg", {"exif": exif}):
        (photo.rotate(90, expand=1) if turned else photo).save(folder / name, quality=90, **turned)
    probabilities(model, np.zeros((3, 28, 28)))  # its first call builds: part of its start-up
    for path in sorted(folder.iterdir()):
        times = timeit.repeat(lambda: digits.read_candidates(path), number=1, repeat=args.count)
        p = probabilities(model, found := digits.read_candidates(path))
        took = np.median(timeit.repeat(lambda: probabilities(model, found), number=1, repeat=5))
        print(f"12 MP {path.stem} ({path.stat().st_size / 1e6:.1f} MB): read_candidates median "
              f"{np.median(times):.2f} s ({' '.join(f'{t:.2f}' for t in times)}), the model "
              f"{took:.3f} s; read as {p[p.max(1).argmax()].argmax()}")

def strokes(args, folder):  # each digit enlarged, its ink thinned, spurs pruned, gone round
    opt, right, size = optdigits(), 0, 64
    chosen = [i for digit in range(10) for i in [j for j in range(args.start, len(opt))
                                                  if opt[j][1] == digit][:args.count]]
    for i in chosen:
        ink = transform.resize(opt[i][0], (size, size), order=3) > 0.5
        kept = prune(set(zip(*np.nonzero(morphology.skeletonize(ink)))), size)
        (path := folder / f"optdigits-{i}-{opt[i][1]}.json").write_text(str([
            (0.2 + 0.6 * (line[::2, ::-1] + 0.5) / size).tolist() for line in measure.find_contours(
                kept, 0.5, fully_connected="high") if len(line) >= size // 5]))  # no specks
        result = subprocess.run([sys.executable, "draw.py", "--strokes", path, "--model-dir",
                                 args.model_dir.resolve(), "--out", path.with_suffix(".png")],
                                cwd=ROOT / "mnist_predict", capture_output=True, text=True)
        found = re.search(r": (\d) \(probability [\d.]+\)$", result.stdout, re.M)
        right += bool(found) and int(found[1]) == opt[i][1]
        print(f"optdigits {i}: a {opt[i][1]}, read {found[0][2:] if found else result.stderr}")
    print(f"right: {right} of {len(chosen)} ({right / len(chosen):.0%})")

def prune(pixels, size):  # a skeleton's spurs (thinning leaves them at a thick stroke's corners)
    def near(p):
        return {(p[0] + dy, p[1] + dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)} & pixels - {p}
    for end in [p for p in pixels if len(near(p)) == 1]:  # shorter than size // 6 from end to fork
        branch, onward = [end], set()
        while len(branch) < size // 6 and len(onward := near(branch[-1]) - set(branch)) == 1:
            branch.append(onward.pop())
        if len(onward) > 1:  # branch[-1] is the fork: the rest goes
            pixels -= set(branch[:-1])
    return np.array([[(row, col) in pixels for col in range(size)] for row in range(size)], float)

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["real", "pages", "small", "styles", "speed", "strokes"])
    parser.add_argument("--model-dir", type=Path, required=True, help="model.json, its weights")
    parser.add_argument("--digits", type=Path, default=ROOT / "mnist_predict" / "digits.py")
    parser.add_argument("--data", type=Path, default=ROOT / "tests/data/mnist_small.npz")
    parser.add_argument("--count", type=int, help="pictures a set (300; small 100; styles 10), "
                        "reads (speed: 5), strokes of each digit (1)")
    parser.add_argument("--start", type=int, default=1200, help="strokes: optdigits from here")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    args.count = args.count or dict(small=100, styles=10, speed=5, strokes=1).get(args.mode, 300)
    cpu = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    cpu = (re.findall(r"model name\s*:\s*(.*)", cpu) or ["an unnamed CPU"])[0]
    print(f"{cpu}, {os.cpu_count()} cores; {args.digits}, the model in {args.model_dir}")
    with tempfile.TemporaryDirectory() as folder:
        globals()[args.mode](args, Path(folder))
