#!/usr/bin/env bash
# Draws the README's pictures anew with today's scripts, each run in a copy of its folder (so
# nothing of yours is overwritten): bash assets/make.sh [MNIST.npz]. history.png is a full
# mnist run's, and the reader's pad reads with its model, so those two only with the full MNIST
# given (about 15 minutes on a 2-core CPU, seed 0).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$root"/xor-keras "$root"/mnist_plt "$root"/gym-simple "$root"/mnist "$root"/mnist_predict "$work"
(cd "$work/xor-keras" && python main.py --plot > /dev/null)
(cd "$work/mnist_plt" && python main.py --data "$root/tests/data/mnist_small.npz")
(cd "$work/gym-simple" && python main.py --episodes 1 --seed 0)
cp "$work/xor-keras/decision_boundary.png" "$work/mnist_plt/mnist_plt.png" "$work/gym-simple/cartpole.gif" "$root/assets/"
if [ $# -ge 1 ]; then
  (cd "$work/mnist" && python main.py --data "$(realpath "$1")" --seed 0)
  cp "$work/mnist/history.png" "$root/assets/"
  (cd "$work/mnist_predict" && python draw.py --strokes seven.json --out drawing-example.png)
  cp "$work/mnist_predict/drawing-example.png" "$root/mnist_predict/"
fi
echo "pictures written to $root/assets"
