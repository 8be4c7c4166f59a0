"""How fast does gym-simple's Keras agent solve CartPole-v0? Three seeds, one after another.

Runs the real script (`gym-simple/agent.py --no-render --seed S --out TMP/cartpole.gif`: its policy
goes to a temporary folder)
and prints, per seed, the wall time of the whole run, the iterations it took and
the final 100-episode average. The goal it is measured against: solved every
seed, each in under 2 minutes. Extra arguments go to the script (e.g. --backend jax).

    python bench/gym_agent.py [--seeds 0 1 2] [script args ...]
"""
import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FOLDER = Path(__file__).resolve().parent.parent / "gym-simple"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args, extra = parser.parse_known_args()
    walls = []
    for seed in args.seeds:
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as out:
            result = subprocess.run([sys.executable, "agent.py", "--no-render", "--seed", str(seed), "--out",
                                     str(Path(out) / "cartpole.gif"), *extra], cwd=FOLDER, capture_output=True, text=True)
        wall = time.perf_counter() - start
        solved = re.search(r"^Solved .* after (\d+) iterations .*: average reward ([\d.]+)", result.stdout, re.M)
        if solved:
            walls.append(wall)
            print(f"seed {seed}: solved after {solved.group(1)} iterations, 100-episode average "
                  f"{solved.group(2)}, {wall:.0f} s wall", flush=True)
        else:
            print(f"seed {seed}: NOT solved (exit {result.returncode}), {wall:.0f} s wall: "
                  f"{(result.stdout + result.stderr).strip().splitlines()[-1]}", flush=True)
    print(f"solved {len(walls)}/{len(args.seeds)}; median wall {statistics.median(walls):.0f} s, "
          f"slowest {max(walls):.0f} s (goal: every seed, each under 120 s)" if walls else "none solved")


if __name__ == "__main__":
    main()
