"""Exercises of "Training deeper networks": write each function, then check
them with

    python -m snippets check deeper

Each check compares your function with what the project's own code computes.
"""

import math

import numpy as np

from snippets.deeper import set_initial_scale, signal_sizes
from snippets.mlp import MLP


def width_for_budget(depth, budget, n_inputs, n_classes):
    """The width w for which ``depth`` hidden layers of w units each, between
    ``n_inputs`` inputs and ``n_classes`` outputs, have a number of parameters
    (weights and biases) closest to ``budget``."""
    raise NotImplementedError


def sawtooth_pieces(depth):
    """``(pieces, units)``: how many straight pieces the sawtooth of
    ``depth`` tents has on [0, 1], and how many ReLUs a single hidden layer
    needs to draw it."""
    raise NotImplementedError


def rms_after(rms_in, stddev, width, layers):
    """The root-mean-square size of the output of ``layers`` ReLU layers of
    ``width`` units, all with ``width`` inputs and weights drawn with standard
    deviation ``stddev`` (biases zero), for an input whose RMS is
    ``rms_in``."""
    raise NotImplementedError


def rms_by_depth(x, labels, depths, stddev):
    """An experiment: for each depth of ``depths``, a fresh ``MLP`` with that
    many hidden layers of 64 units, its weights redrawn by
    ``set_initial_scale(model, stddev)`` (``None``: He's); return the list of
    the root-mean-square sizes of the last hidden layer's output on the
    digits ``x`` (``signal_sizes``), one for each depth. No training."""
    raise NotImplementedError


def layer_norm_gradient(x, upstream, epsilon=1e-3):
    """A derivation: the gradient dL/dx of layer normalisation without gamma
    and beta, y = (x - mean) / sqrt(variance + epsilon) with the mean and
    the (biased) variance of each row of ``x``, given ``upstream`` = dL/dy
    (the same shape as ``x``, a NumPy array). Return a NumPy array of that
    shape."""
    raise NotImplementedError
