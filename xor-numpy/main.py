"""XOR with NumPy: the post's two-layer network, in plain NumPy.

From "A Neural Network in 11 lines of Python (Part 1)": three inputs (the two XOR
bits and a bias column of ones), four sigmoid hidden units, one sigmoid output,
full-batch backpropagation for 60,000 iterations. Seed 1 gives the source's numbers.

    cd xor-numpy && python main.py [--seed 1]
"""
import argparse
import os
import sys

import numpy as np


def main():
    args = parse_args()
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


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.error = lambda message: parser.exit(2, f"{parser.prog}: error: {message} (see --help)\n")
    parser.add_argument("--seed", type=int_in(0, 2**32 - 1), default=1,
                        help="seed of the random initial weights (default: 1)")
    return parser.parse_args()


def int_in(low, high):
    """An argparse type: a whole number from low to high, or one line saying why not."""
    def parse(text):
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be {low} to {high:,}, got {value:,}")
        return value
    parse.__name__ = "whole number"  # argparse's word for a value int() refuses
    return parse


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # Ctrl-C: one line, and the shell's exit code for it
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:  # e.g. `python main.py | head -1`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except OSError as error:  # e.g. a full disk
        sys.exit(f"error: {error.filename or 'output'}: {error.strerror or error}")
