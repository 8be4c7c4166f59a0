"""How fast does gym_agent/agent.py solve CartPole-v0? Each seed in turn, headless, in a copy of
gym_agent/ in a temporary folder (goal: every seed solved, each in under 2 minutes). Extra
arguments go to the script. python -m bench.gym_agent [--seeds 0 1 2] [script args ...]"""
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

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
(args, extra), walls = parser.parse_known_args(), []
for seed in args.seeds:
    with tempfile.TemporaryDirectory() as where:
        copy = shutil.copytree(Path(__file__).resolve().parent.parent / "gym_agent", where + "/a",
                               ignore=shutil.ignore_patterns("__pycache__", "*.keras", "*.gif"))
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "agent.py", "--seed", str(seed), *extra], cwd=copy,
                             env={**os.environ, "SDL_VIDEODRIVER": "offscreen"},  # no window
                             capture_output=True, text=True)
        wall = time.perf_counter() - start
    solved = re.search(r"^Solved after (\d+) iterations.*average ([\d.]+)", out.stdout, re.M)
    walls += [wall] * bool(solved)
    tail = re.findall(r"^Not solved.*", out.stdout, re.M)  # else it failed: what it said last
    tail = out.stderr.strip()[-200:] if out.returncode else " ".join(tail)
    print(f"seed {seed}: " + (f"solved after {solved[1]} iterations, 100-episode average "
          f"{solved[2]}" if solved else f"NOT solved (exit {out.returncode}): {tail}")
          + f", {wall:.0f} s wall", flush=True)
print(f"solved {len(walls)}/{len(args.seeds)}" + (f"; median {statistics.median(walls):.0f} s, "
      f"slowest {max(walls):.0f} s" if walls else "") + " (goal: every seed, each under 120 s)")
