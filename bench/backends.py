"""The mnist example on each Keras backend against the hardware's floor, in one run.

First measures this machine's matrix-multiply peak in float32 and bfloat16 (2048x2048,
median of 5, the best of the installed TensorFlow and PyTorch), and the floor those
peaks put under one epoch of the post's CNN: the FLOPs of training on 60,000 digits
and testing on 10,000 (about 4.5 TFLOP), divided by the peak. Then runs the real
script (`KERAS_BACKEND=B python main.py --data DATA --epochs N`, in a copy of mnist/
in a temporary folder) once per installed backend, one after another, and prints each
backend's median epoch after the first (compilation excluded, the per-epoch test pass
included, whole seconds as Keras prints them), its slowest such epoch against that
median, and the median as a ratio to the floor and to TensorFlow's (the baseline).

    python bench/backends.py --data PATH/TO/mnist.npz [--epochs 4] [--backends tensorflow jax torch]
                             [--steps N]   # N training steps per epoch (KERAS_MAX_STEPS_PER_EPOCH), for slow backends

With --steps (which caps the test pass too) the floor counts those digits, so the ratios stay comparable.
"""
import argparse
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

MNIST = Path(__file__).resolve().parent.parent / "mnist"
TRAIN, TEST, BATCH = 60_000, 10_000, 128

# Multiply-adds of one digit through the post's CNN, forward: conv 3x3x1->32 on 26x26,
# conv 3x3x32->64 on 24x24, dense 9216->128, dense 128->10.
FORWARD = 2 * (26 * 26 * 32 * 9 + 24 * 24 * 64 * 9 * 32 + 9216 * 128 + 128 * 10)
# Training: forward, weight gradients, and input gradients for all but the first layer.
TRAINING = 3 * FORWARD - 2 * 26 * 26 * 32 * 9

PEAK = """
import os, statistics, sys, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
n = 2048
if sys.argv[1] == "tensorflow":
    import tensorflow as tf
    def run(dtype):
        a = tf.cast(tf.random.normal((n, n)), dtype)
        f = tf.function(lambda a: tf.reduce_sum(tf.cast(tf.matmul(a, a), tf.float32)))
        return lambda: f(a).numpy()
    dtypes = {"float32": tf.float32, "bfloat16": tf.bfloat16}
else:
    import torch
    def run(dtype):
        a = torch.randn(n, n).to(dtype)
        return lambda: float(torch.mm(a, a).float().sum())
    dtypes = {"float32": torch.float32, "bfloat16": torch.bfloat16}
for name, dtype in dtypes.items():
    step = run(dtype)
    start = time.perf_counter()
    step()  # warms up; if it is slow (bfloat16 emulated), it is the one measurement
    times = [time.perf_counter() - start]
    if times[0] < 2:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
    print(name, 2 * n**3 / statistics.median(times) / 1e9)
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a full mnist.npz")
    parser.add_argument("--epochs", type=int, default=4, help="at least 4: the first is left out (default: 4)")
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "torch", "jax"])
    parser.add_argument("--steps", type=int, help="training steps per epoch (default: all 469)")
    args = parser.parse_args()
    if args.epochs < 4:
        parser.error("--epochs must be at least 4 (the median of 3 epochs after the first)")
    installed = [b for b in args.backends if importlib.util.find_spec(b)]
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores; bfloat16 instructions: {bf16_flags() or 'none'}")

    peaks = {"float32": 0.0, "bfloat16": 0.0}
    for library in ("tensorflow", "torch"):
        if importlib.util.find_spec(library):
            out = subprocess.run([sys.executable, "-c", PEAK, library], capture_output=True, text=True).stdout
            for name, value in re.findall(r"^(\w+) ([\d.]+)$", out, re.M):
                print(f"matmul peak, {library}, {name}: {float(value):.0f} GFLOP/s")
                peaks[name] = max(peaks[name], float(value))
    steps = min(args.steps or TRAIN // BATCH + 1, TRAIN // BATCH + 1)
    digits, tests = min(steps * BATCH, TRAIN), min(steps * BATCH, TEST)  # Keras caps the test pass too
    flops = digits * TRAINING + tests * FORWARD
    floor = {name: flops / (peak * 1e9) for name, peak in peaks.items() if peak}
    print(f"one epoch: {digits:,} training digits and {tests:,} test digits, {flops / 1e12:.2f} TFLOP; floor "
          + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in floor.items()), flush=True)

    rows = {}
    env = dict(os.environ, **({"KERAS_MAX_STEPS_PER_EPOCH": str(steps)} if args.steps else {}))
    for backend in installed:
        with tempfile.TemporaryDirectory() as folder:
            shutil.copytree(MNIST, Path(folder) / "mnist")
            result = subprocess.run([sys.executable, "main.py", "--data", str(args.data.resolve()), "--epochs",
                                     str(args.epochs)], cwd=Path(folder) / "mnist", capture_output=True, text=True,
                                    env={**env, "KERAS_BACKEND": backend})
        times = re.findall(r"^\d+/\d+ - (\d+)s - ", result.stdout, re.M)
        accuracy = re.search(r"^Test accuracy: ([\d.]+)$", result.stdout, re.M)
        precision = re.search(r"^Precision: (\S+)", result.stdout, re.M)
        if result.returncode or not (len(times) == args.epochs and accuracy):
            print(f"{backend}: failed (exit {result.returncode}): {result.stderr.strip()[-300:]}")
            continue
        epochs = [float(t) for t in times]
        median = statistics.median(epochs[1:])
        rows[backend] = dict(precision=precision.group(1), median=median, slowest=max(epochs[1:]) / median - 1,
                             accuracy=float(accuracy.group(1)), epochs=epochs)
        print(f"{backend}: epochs {' '.join(f'{t:.0f}' for t in epochs)} s, test accuracy {accuracy.group(1)}",
              flush=True)

    base = rows.get("tensorflow", {}).get("median")
    print(f"\n| backend | precision | s/epoch (median of {args.epochs - 1}) | slowest vs median "
          f"| vs bf16 floor | vs float32 floor | vs TensorFlow | test accuracy |")
    print("|---|---|---|---|---|---|---|---|")
    for backend, row in rows.items():
        ratios = [f"{row['median'] / floor[name]:.2f}x" if name in floor else "-" for name in ("bfloat16", "float32")]
        versus = f"{row['median'] / base:.2f}x" if base else "-"
        print(f"| {backend} | {row['precision']} | {row['median']:.1f} | +{row['slowest']:.0%} | {ratios[0]} "
              f"| {ratios[1]} | {versus} | {row['accuracy']:.4f} |")
    print(json.dumps({"cpu": cpu_model(), "peaks_gflops": peaks, "floor_s": floor, "rows": rows}))


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def bf16_flags():
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return ""
    return " ".join(flag for flag in ("amx_bf16", "avx512_bf16") if flag in flags)


if __name__ == "__main__":
    main()
