"""How close does each Keras backend train the post's CNN to this machine's floor?

The floor of an epoch: its 4.5 TFLOP (training on 60,000 digits, testing on 10,000) at the best
of 5 4096x4096 matmuls, TensorFlow's or PyTorch's, in the precision the script trains in (its
`Precision:` line, else float32). Each backend runs the script in a copy of its folder, timed
epoch by epoch on the wall clock (line to line: a stall counts); printed: the median epoch after
the first, its slowest, and ratios to the floor and to TensorFlow's (the baseline).

    python -m bench.backends --data mnist.npz [--folder mnist_fast] [--epochs 4]
                             [--backends tensorflow torch jax] [--steps N] [--seed 0]
"""
import argparse
import importlib.util
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRAIN, TEST, BATCH = 60_000, 10_000, 128
# Multiply-adds of one digit through the post's CNN, forward: conv 3x3x1->32 on 26x26,
# conv 3x3x32->64 on 24x24, dense 9216->128, dense 128->10.
FORWARD = 2 * (26 * 26 * 32 * 9 + 24 * 24 * 64 * 9 * 32 + 9216 * 128 + 128 * 10)
# Training: forward, weight gradients, and input gradients for all but the first layer.
TRAINING = 3 * FORWARD - 2 * 26 * 26 * 32 * 9
PEAK = """import os, sys, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "1"  # as the scripts run TensorFlow
if sys.argv[1] == "tensorflow":
    import tensorflow as tf
    a = tf.cast(tf.random.normal((4096, 4096)), getattr(tf, sys.argv[2]))
    step = tf.function(lambda a: tf.reduce_sum(tf.cast(tf.matmul(a, a), tf.float32)))
    run = lambda: step(a).numpy()
else:
    import torch
    a = torch.randn(4096, 4096).to(getattr(torch, sys.argv[2]))
    run = lambda: float(torch.mm(a, a).float().sum())
times = []
for _ in range(6):  # the first warms up
    start = time.perf_counter()
    run()
    times.append(time.perf_counter() - start)
    if times[0] > 20: break  # emulated: one is enough
print(2 * 4096**3 / min(times[1:] or times) / 1e9)"""


def peak(dtype):
    """The better GFLOP/s of TensorFlow's and PyTorch's matmul in this dtype."""
    best = 0.0
    for library in ("tensorflow", "torch"):
        if importlib.util.find_spec(library):
            out = subprocess.run([sys.executable, "-c", PEAK, library, dtype], capture_output=True,
                                 text=True).stdout.split()
            print(f"matmul peak, {library}, {dtype}: {float(out[-1]):.0f} GFLOP/s" if out else
                  f"matmul peak, {library}, {dtype}: failed", flush=True)
            best = max(best, float(out[-1]) if out else 0.0)
    return best or float("nan")  # nan: neither ran


def train(folder, backend, args):
    """Runs the script; returns its epochs' wall-clock seconds, precision and test accuracy."""
    script = "train.py" if folder == "mnist_fast" else "main.py"
    env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONUNBUFFERED": "1",
           **({"KERAS_MAX_STEPS_PER_EPOCH": str(args.steps)} if args.steps else {})}
    with tempfile.TemporaryDirectory() as where:
        shutil.copytree(ROOT / folder, Path(where) / folder)
        command = [sys.executable, script, "--data", str(args.data.resolve()),
                   "--epochs", str(args.epochs), "--seed", str(args.seed)]
        with subprocess.Popen(command, cwd=Path(where) / folder, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as process:
            marks, out = [], ""
            for line in process.stdout:
                out += line
                if re.match(r"(Epoch 1/|\d+/\d+ - )", line):  # training starts, an epoch ends
                    marks.append(time.perf_counter())
    epochs = [b - a for a, b in zip(marks, marks[1:])]
    accuracy = re.search(r"^Test accuracy: ([\d.]+)", out, re.M)
    precision = re.search(r"^Precision: (\S+)", out, re.M)
    if process.returncode or len(epochs) != args.epochs or not accuracy:
        return None
    return epochs, precision[1] if precision else "float32", float(accuracy[1])


def cpu():
    """The CPU's model name, as Linux lists it, and the core count."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            name = next(line.split(":", 1)[1].strip() for line in cpuinfo
                        if line.startswith("model name"))
    except (OSError, StopIteration):
        name = platform.processor() or platform.machine()
    return f"{name}, {os.cpu_count()} cores"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the full MNIST, mnist.npz")
    parser.add_argument("--folder", default="mnist", choices=["mnist", "mnist_fast"])
    parser.add_argument("--epochs", type=int, default=4, help="at least 2 (default: 4)")
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "torch", "jax"])
    parser.add_argument("--steps", type=int, help="training steps an epoch (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"CPU: {cpu()}")
    steps = min(args.steps or -(-TRAIN // BATCH), -(-TRAIN // BATCH))
    flops = min(steps * BATCH, TRAIN) * TRAINING + min(steps * BATCH, TEST) * FORWARD
    floors = {"float32": flops / peak("float32") / 1e9}  # bfloat16's once a script trains in it
    print(f"an epoch: {flops / 1e12:.2f} TFLOP; floor in float32: {floors['float32']:.1f} s")
    print(f"| {args.folder} | precision | epochs (s) | median after the first | slowest vs median"
          " | vs floor | vs TensorFlow | test accuracy |\n|---|---|---|---|---|---|---|---|")
    base = None
    for backend in (b for b in args.backends if importlib.util.find_spec(b)):
        result = train(args.folder, backend, args)
        if result is None:
            print(f"| {backend} | failed |")
            continue
        epochs, precision, accuracy = result
        median = statistics.median(epochs[1:])
        if precision not in floors:  # measured only now: minutes where the CPU has no bfloat16
            floors[precision] = flops / peak("bfloat16") / 1e9
        base = base or (median if backend == "tensorflow" else None)
        print(f"| {backend} | {precision} | {' '.join(f'{t:.1f}' for t in epochs)} | {median:.1f} "
              f"| +{max(epochs[1:]) / median - 1:.0%} | {median / floors[precision]:.2f}x "
              f"| {f'{median / base:.2f}x' if base else '-'} | {accuracy:.4f} |", flush=True)


if __name__ == "__main__":
    main()
