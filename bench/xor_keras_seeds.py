"""How often does xor-keras learn XOR? Runs it for seeds 0-19 at its defaults.

Each seed runs the real script (`xor-keras/main.py --seed S`) as a reader would,
two at a time; prints each seed's rounded prediction and then N/20 correct.
Extra arguments go to the script, e.g. `python bench/xor_keras_seeds.py --backend jax`.

    python bench/xor_keras_seeds.py [--seeds 20] [script args ...]
"""
import argparse
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

FOLDER = Path(__file__).resolve().parent.parent / "xor-keras"
TARGET = [0, 1, 1, 0]


def run(seed, extra):
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "main.py", "--seed", str(seed), *extra],
                            cwd=FOLDER, capture_output=True, text=True)
    found = re.search(r"^prediction: (.*)$", result.stdout, re.M)
    outputs = [round(float(v)) for v in re.findall(r"[\d.]+", found.group(1))] if found else None
    return seed, outputs, time.perf_counter() - start, result.stderr.strip()[-300:]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    args, extra = parser.parse_known_args()
    correct, times = 0, []
    with ThreadPoolExecutor(args.jobs) as pool:
        for seed, outputs, seconds, err in pool.map(lambda s: run(s, extra), range(args.seeds)):
            if outputs is None:
                print(f"seed {seed:2d}: failed: {err}")
                continue
            ok = outputs == TARGET
            correct += ok
            times.append(seconds)
            print(f"seed {seed:2d}: prediction {outputs}  {'correct' if ok else 'WRONG'}  {seconds:.1f} s")
    print(f"correct: {correct}/{args.seeds}; median run {sorted(times)[len(times) // 2]:.1f} s")
    return 0 if correct == args.seeds else 1


if __name__ == "__main__":
    sys.exit(main())
