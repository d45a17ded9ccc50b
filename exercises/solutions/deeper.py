"""Worked solutions of the exercises of "Training deeper networks" (shown on
the page)."""

import math

import numpy as np

from snippets.deeper import set_initial_scale, signal_sizes
from snippets.mlp import MLP


# --8<-- [start:width_for_budget]
def width_for_budget(depth, budget, n_inputs, n_classes):
    def count(w):  # first layer, the depth - 1 others, the output layer
        return (
            (n_inputs + 1) * w
            + (depth - 1) * (w + 1) * w
            + (w + 1) * n_classes
        )

    width = 1
    while count(width + 1) <= budget:
        width += 1
    # width is the widest that fits; width + 1 may still be closer
    if count(width + 1) - budget < budget - count(width):
        return width + 1
    return width


# --8<-- [end:width_for_budget]


# --8<-- [start:sawtooth_pieces]
def sawtooth_pieces(depth):
    pieces = 2**depth  # every tent doubles the pieces
    # one hidden layer: a ReLU per corner, and a corner between two pieces
    return pieces, pieces - 1


# --8<-- [end:sawtooth_pieces]


# --8<-- [start:rms_after]
def rms_after(rms_in, stddev, width, layers):
    # E[z^2] = width * stddev^2 * E[h^2] for z = h W with zero-mean weights;
    # the ReLU zeroes the negative half of a symmetric z, halving E[z^2].
    factor = stddev * math.sqrt(width / 2)
    return rms_in * factor**layers


# --8<-- [end:rms_after]


# --8<-- [start:rms_by_depth]
def rms_by_depth(x, labels, depths, stddev):
    sizes = []
    for depth in depths:
        # untrained: the initial scale alone decides the size of the signal
        model = set_initial_scale(MLP((64,) * depth), stddev)
        hidden_sizes, _ = signal_sizes(model, x, labels)
        sizes.append(hidden_sizes[-1])  # the last hidden layer's
    return sizes


# --8<-- [end:rms_by_depth]


# --8<-- [start:layer_norm_gradient]
def layer_norm_gradient(x, upstream, epsilon=1e-3):
    # y = (x - m) / s with s = sqrt(v + epsilon): moving one x_i moves y_i
    # directly, and every y_j through the row's mean m and spread s.
    mean = x.mean(axis=1, keepdims=True)
    spread = np.sqrt(x.var(axis=1, keepdims=True) + epsilon)
    y = (x - mean) / spread
    # dL/dx = (g - mean(g) - y * mean(g * y)) / s, each mean over the row
    centred = upstream - upstream.mean(axis=1, keepdims=True)
    along_y = y * (upstream * y).mean(axis=1, keepdims=True)
    return (centred - along_y) / spread


# --8<-- [end:layer_norm_gradient]
