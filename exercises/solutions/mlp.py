"""Worked solutions of the exercises of "The multilayer perceptron on MNIST" (shown on
the page)."""

import math

import numpy as np

from snippets.config import TrainConfig
from snippets.train import train


# --8<-- [start:count_parameters]
def count_parameters(sizes):
    # a layer from n to m units: an n x m weight matrix and m biases
    return sum((n + 1) * m for n, m in zip(sizes, sizes[1:]))


# --8<-- [end:count_parameters]


# --8<-- [start:mlp_forward]
def mlp_forward(x, weights, biases):
    *hidden, last = list(zip(weights, biases))
    for w, b in hidden:
        x = np.maximum(0.0, x @ w + b)
    w, b = last
    return x @ w + b  # the logits: no ReLU


# --8<-- [end:mlp_forward]


# --8<-- [start:he_std]
def he_std(fan_in):
    # Var(z) = fan_in * std**2 * E[a**2], and a ReLU halves E[a**2]:
    # std**2 = 2 / fan_in keeps the signal's size from layer to layer
    return math.sqrt(2.0 / fan_in)


# --8<-- [end:he_std]


# --8<-- [start:width_sweep]
def width_sweep(data, widths):
    accuracies = []
    for width in widths:
        config = TrainConfig(hidden=(width,), epochs=3)
        result = train(config, data=data, log=lambda message: None)
        accuracies.append(result.test_accuracy)
    return accuracies


# --8<-- [end:width_sweep]
