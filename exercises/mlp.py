"""Exercises of "The multilayer perceptron on MNIST": write each function, then check
them with

    python -m snippets check mlp

Each check compares your function with what the project's own code computes.
"""

import math

import numpy as np

from snippets.config import TrainConfig
from snippets.train import train


def count_parameters(sizes):
    """The number of weights and biases of a fully connected network whose
    layers have the sizes in the list ``sizes``, inputs first, outputs last:
    [784, 256, 10] is the course's network, [784, 10] the linear model."""
    raise NotImplementedError


def mlp_forward(x, weights, biases):
    """The logits of an MLP for a batch ``x`` of shape (n, d), in NumPy, given
    the lists ``weights`` and ``biases`` of its layers, first layer first (as
    MLP.layers() lists them): a ReLU after every layer but the last."""
    raise NotImplementedError


def he_std(fan_in):
    """The standard deviation He initialisation draws the weights of a layer
    with ``fan_in`` inputs from."""
    raise NotImplementedError


def width_sweep(data, widths):
    """An experiment: for each width of ``widths``, train a network with one
    hidden layer of that many units on ``data`` with ``train`` for 3 epochs
    (everything else as ``TrainConfig`` has it, seed 0 included); return the
    list of test accuracies, one for each width, in order."""
    raise NotImplementedError
