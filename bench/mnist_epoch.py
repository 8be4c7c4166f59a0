"""One epoch of the post's MNIST CNN: the naive Keras 3 port vs our defaults, side by side.

Baseline, "naive port": float32, Adadelta(learning_rate=1.0), no augmentation, fit on the arrays.
Ours (mnist/main.py's defaults): mixed_bfloat16 where the CPU has bfloat16 instructions
(AMX or AVX-512; not on JAX), Adam with cosine decay, the digits moved by up to 2 pixels
through main.py's batches() (a keras.utils.PyDataset). Both at batch 128 on the full 60,000
training digits. The epochs alternate (naive, ours, naive, ...) so that a noisy
shared machine hurts both alike; medians are printed with the test accuracy each
reached after its timed epochs, then the ratio of the medians and the median of
the ratios of adjacent pairs.

    python bench/mnist_epoch.py --data PATH/TO/mnist.npz [--repeats 3] [--backend tensorflow]
"""
import argparse
import os
import runpy
import statistics
import sys
import time
from pathlib import Path


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a full mnist.npz")
    parser.add_argument("--repeats", type=int, default=3, help="timed epochs of each (default: 3)")
    parser.add_argument("--backend", default=os.environ.get("KERAS_BACKEND", "tensorflow"))
    return parser.parse_args()


def main():
    args = parse_args()
    os.environ["KERAS_BACKEND"] = args.backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import numpy as np
    from keras import layers
    batches = runpy.run_path(str(Path(__file__).resolve().parent.parent / "mnist" / "main.py"))["batches"]

    with np.load(args.data, allow_pickle=False) as data:
        x_train = data["x_train"].reshape(-1, 28, 28, 1).astype("float32") / 255
        x_test = data["x_test"].reshape(-1, 28, 28, 1).astype("float32") / 255
        y_train = keras.utils.to_categorical(data["y_train"], 10)
        y_test = keras.utils.to_categorical(data["y_test"], 10)
    flags = set(Path("/proc/cpuinfo").read_text().split()) if Path("/proc/cpuinfo").exists() else set()
    bf16 = bool(flags & {"amx_bf16", "avx512_bf16"}) and args.backend != "jax"
    ours_precision = "mixed_bfloat16" if bf16 else "float32"

    def build(precision, optimizer):
        # The same network as mnist/main.py (kept in step by hand).
        keras.mixed_precision.set_global_policy(precision)
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [keras.Input(shape=x_train.shape[1:]),
             layers.Conv2D(32, (3, 3), activation="relu"),
               layers.Conv2D(64, (3, 3), activation="relu"),
               layers.MaxPooling2D((2, 2)),
               layers.Dropout(0.25),
               layers.Flatten(),
               layers.Dense(128, activation="relu"),
               layers.Dropout(0.5),
               layers.Dense(10, activation="softmax", dtype="float32")])
        model.compile(loss="categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"])
        model.fit(x_train[:1280], y_train[:1280], batch_size=128, epochs=1, verbose=0)  # compile
        return model

    steps = 12 * len(x_train) // 128
    runs = {
        "naive port": build("float32", keras.optimizers.Adadelta(learning_rate=1.0)),
        "ours": build(ours_precision, keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(2e-3, steps))),
    }
    print(f"backend {args.backend}; ours: {ours_precision}, Adam + cosine decay, digits moved by up to 2 pixels; "
          f"batch 128; {args.repeats} timed epochs each, alternating")
    times = {name: [] for name in runs}
    for repeat in range(args.repeats):
        for name, model in runs.items():
            start = time.perf_counter()
            data = dict(x=x_train, y=y_train, batch_size=128)
            if name == "ours":
                data = dict(x=batches(keras, x_train, y_train, 128, shift=2))
            model.fit(**data, epochs=1, verbose=0)
            times[name].append(time.perf_counter() - start)
            print(f"  epoch {repeat + 1} {name:10s} {times[name][-1]:6.1f} s", flush=True)
    print(f"{'':12s}{'s/epoch (median)':>18s}{'ms/step':>10s}{'test accuracy':>15s}")
    for name, model in runs.items():
        median = statistics.median(times[name])
        accuracy = model.evaluate(x_test, y_test, verbose=0)[1]
        print(f"{name:12s}{median:18.1f}{median / (len(x_train) / 128) * 1000:10.1f}{accuracy:15.4f}")
    ratio = statistics.median(times["ours"]) / statistics.median(times["naive port"])
    print(f"ours / naive port: {ratio:.2f}x the epoch time ({1 / ratio:.1f}x faster)")
    # Each "ours" epoch ran right after a naive one, so the pair saw the same machine load.
    pairs = [o / n for o, n in zip(times["ours"], times["naive port"])]
    print(f"per-pair ratios {' '.join(f'{r:.2f}' for r in pairs)}; median {statistics.median(pairs):.2f}x")


if __name__ == "__main__":
    sys.exit(main())
