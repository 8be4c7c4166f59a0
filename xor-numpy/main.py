"""XOR with NumPy: the post's two-layer network, from "A Neural Network in 11 lines of Python".

Four sigmoid hidden units, 60,000 full-batch updates; seed 1 gives the source post's numbers.
    cd xor-numpy && python main.py [--seed 1]
"""
import argparse
import os
import signal
import sys

import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1, help="seed of the initial weights (default: 1)")
    args = parser.parse_args()
    if not 0 <= args.seed < 2**32:  # the seeds NumPy takes
        parser.error(f"argument --seed: must be 0 to {2**32 - 1}")
    np.random.seed(args.seed)  # beyond the post: the same numbers on every run

    X = np.array([ [0,0,1],[0,1,1],[1,0,1],[1,1,1] ])
    y = np.array([[0,1,1,0]]).T
    syn0 = 2*np.random.random((3,4)) - 1
    syn1 = 2*np.random.random((4,1)) - 1
    for j in range(60000):  # Python 3: range, the post's xrange
        l1 = 1/(1+np.exp(-(np.dot(X,syn0))))
        l2 = 1/(1+np.exp(-(np.dot(l1,syn1))))
        if j % 10000 == 0:  # beyond the post: the source's progress line
            print("Error: " + str(np.mean(np.abs(y - l2))))
        l2_delta = (y - l2)*(l2*(1-l2))
        l1_delta = l2_delta.dot(syn1.T) * (l1 * (1-l1))
        syn1 += l1.T.dot(l2_delta)
        syn0 += X.T.dot(l1_delta)

    print("Output After Training:")
    print(l2)


if __name__ == "__main__":
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not where Ctrl-C is ignored
        signal.signal(signal.SIGINT, lambda *_: (sys.stdout.flush(), print("interrupted", file=sys.stderr), os._exit(130)))
    try:
        main()
        sys.stdout.flush()
    except BrokenPipeError:  # `python main.py | head`: stop quietly, as Python's docs advise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except OSError as error:  # a full disk, a folder that cannot be written to
        sys.exit(f"error: {error}")
