"""How fast does gym_agent/agent.py solve CartPole-v0? Three seeds, one after another.

Runs the real script (`python agent.py --seed S`), headless, in a copy of gym_agent/ in a
temporary folder (its policy and GIF land there), and prints, per seed, the wall time of the
whole run, the iterations it took and the final 100-episode average. The goal it is measured
against: solved every seed, each in under 2 minutes. Extra arguments go to the script (e.g.
--iterations 50); the Keras backend is KERAS_BACKEND's, as for the script.

    python bench/gym_agent.py [--seeds 0 1 2] [script args ...]
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FOLDER = Path(__file__).resolve().parent.parent / "gym_agent"
HEADLESS = {**os.environ, "SDL_VIDEODRIVER": "offscreen"}  # no window: the episode goes to the GIF


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args, extra = parser.parse_known_args()
    walls = []
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as where:
            copy = shutil.copytree(FOLDER, Path(where) / "gym_agent",
                                   ignore=shutil.ignore_patterns("__pycache__", "*.keras", "*.gif"))
            start = time.perf_counter()
            result = subprocess.run([sys.executable, "agent.py", "--seed", str(seed), *extra],
                                    cwd=copy, capture_output=True, text=True, env=HEADLESS)
            wall = time.perf_counter() - start
        solved = re.search(r"^Solved after (\d+) iterations .*: 100-episode average ([\d.]+)",
                           result.stdout, re.M)
        if solved:
            walls.append(wall)
            print(f"seed {seed}: solved after {solved.group(1)} iterations, 100-episode average "
                  f"{solved.group(2)}, {wall:.0f} s wall", flush=True)
        else:
            print(f"seed {seed}: NOT solved (exit {result.returncode}), {wall:.0f} s wall: "
                  f"{(result.stdout + result.stderr).strip().splitlines()[-1]}", flush=True)
    if walls:
        print(f"solved {len(walls)}/{len(args.seeds)}; median {statistics.median(walls):.0f} s, "
              f"slowest {max(walls):.0f} s (goal: every seed, each under 120 s)")
    else:
        print("none solved")


if __name__ == "__main__":
    main()
