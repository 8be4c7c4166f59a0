"""The mnist example on each Keras backend, side by side: epoch time and test accuracy.

Runs the real script (`mnist/main.py --data DATA --epochs N --backend B`) once per
installed backend, one after another, and prints a table with each backend's
seconds per epoch (compilation and the per-epoch test pass included) and its
ratio to TensorFlow, the baseline.

    python bench/backends.py --data PATH/TO/mnist.npz [--epochs 1] [--backends tensorflow jax torch]
"""
import argparse
import importlib.util
import re
import subprocess
import sys
import tempfile
from pathlib import Path

MNIST = Path(__file__).resolve().parent.parent / "mnist"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a full mnist.npz")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "jax", "torch"])
    args = parser.parse_args()
    rows = {}
    for backend in args.backends:
        if importlib.util.find_spec(backend) is None:
            print(f"{backend}: not installed, skipped")
            continue
        with tempfile.TemporaryDirectory() as out_dir:
            result = subprocess.run(
                [sys.executable, "main.py", "--data", str(args.data.resolve()), "--epochs",
                 str(args.epochs), "--backend", backend, "--out-dir", out_dir],
                cwd=MNIST, capture_output=True, text=True)
        timing = re.search(r"^Training time: (\d+) s \(([\d.]+) s/epoch\)$", result.stdout, re.M)
        accuracy = re.search(r"^Test accuracy: ([\d.]+)$", result.stdout, re.M)
        precision = re.search(r"^Precision: (\S+)$", result.stdout, re.M)
        if result.returncode or not (timing and accuracy):
            print(f"{backend}: failed (exit {result.returncode}): {result.stderr.strip()[-300:]}")
            continue
        rows[backend] = (float(timing.group(2)), float(accuracy.group(1)), precision.group(1))
        print(f"{backend}: {timing.group(2)} s/epoch, test accuracy {accuracy.group(1)}", flush=True)
    base = rows.get("tensorflow", (None,))[0]
    print(f"\n| backend | precision | s/epoch | vs TensorFlow | test accuracy after {args.epochs} epoch(s) |")
    print("|---|---|---|---|---|")
    for backend, (seconds, accuracy, precision) in rows.items():
        ratio = f"{seconds / base:.2f}x" if base else "-"
        print(f"| {backend} | {precision} | {seconds:.1f} | {ratio} | {accuracy:.4f} |")


if __name__ == "__main__":
    main()
