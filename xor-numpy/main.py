"""XOR with NumPy: the post's two-layer network, from "A Neural Network in 11 lines of Python".

Four rows of three inputs (the third always 1, a bias) and XOR of the first two as the target;
a hidden layer of four sigmoids learns it by 60,000 steps of backpropagation.
    cd xor-numpy && python main.py
"""
import argparse

import numpy as np

argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()  # only --help
np.random.seed(1)  # the source post's seed: the same starting weights, so the same numbers

X = np.array([ [0,0,1],[0,1,1],[1,0,1],[1,1,1] ])
y = np.array([[0,1,1,0]]).T
syn0 = 2*np.random.random((3,4)) - 1  # weights in -1..1: inputs to the hidden layer
syn1 = 2*np.random.random((4,1)) - 1  # hidden layer to the output
for j in range(60000):  # Python 3: range, the post's xrange
    l1 = 1/(1+np.exp(-(np.dot(X,syn0))))  # forward: the hidden layer's sigmoids
    l2 = 1/(1+np.exp(-(np.dot(l1,syn1))))  # and the output's
    if j % 10000 == 0:  # the source post's progress line: the mean error
        print("Error: " + str(np.mean(np.abs(y - l2))))
    l2_delta = (y - l2)*(l2*(1-l2))  # the error, scaled by the sigmoid's slope
    l1_delta = l2_delta.dot(syn1.T) * (l1 * (1-l1))  # passed back to the hidden layer
    syn1 += l1.T.dot(l2_delta)  # each weight moves by its share of the error
    syn0 += X.T.dot(l1_delta)

print("Output After Training:")
print(l2)
