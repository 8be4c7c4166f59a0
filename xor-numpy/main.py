"""XOR with NumPy: the post's two-layer network in plain NumPy.

From "A Neural Network in 11 lines of Python (Part 1)": three inputs (the two
XOR bits and a bias column of ones), four sigmoid hidden units, one sigmoid
output, trained by full-batch backpropagation for 60,000 iterations.

    cd xor-numpy && python main.py [--seed 1] [--iterations 60000]
"""
import argparse

import numpy as np


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message):  # one line, not usage + error
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def parse_args():
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=positive_int, default=60000,
                        help="training iterations (default: 60000, as in the post)")
    parser.add_argument("--seed", type=int, default=1,
                        help="random seed for the initial weights (default: 1, as in the source post)")
    parser.add_argument("--smoke", action="store_true",
                        help="a short run for tests (6,000 iterations)")
    return parser.parse_args()


def main():
    args = parse_args()
    iterations = 6000 if args.smoke else args.iterations

    # the four XOR inputs; the third column is a constant bias input
    # (float, so that no iteration pays for an int-to-float cast)
    X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
    y = np.array([[0, 1, 1, 0]], dtype=float).T

    # The legacy generator keeps the source post's numbers for --seed 1.
    rng = np.random.RandomState(args.seed)
    syn0 = 2 * rng.random_sample((3, 4)) - 1
    syn1 = 2 * rng.random_sample((4, 1)) - 1

    report_every = max(iterations // 6, 1)
    for j in range(iterations):
        # the post's lines; np.dot and .dot are also faster than @ on arrays this small
        l1 = 1 / (1 + np.exp(-(np.dot(X, syn0))))
        l2 = 1 / (1 + np.exp(-(np.dot(l1, syn1))))
        if j % report_every == 0:
            print("Error: " + str(np.mean(np.abs(y - l2))))
        l2_delta = (y - l2) * (l2 * (1 - l2))
        l1_delta = l2_delta.dot(syn1.T) * (l1 * (1 - l1))
        syn1 += l1.T.dot(l2_delta)
        syn0 += X.T.dot(l1_delta)

    print("Output After Training:")
    print(l2)


if __name__ == "__main__":
    main()
