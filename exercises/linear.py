"""Exercises of "Linear models are limited": write each function, then check them with

    python -m snippets check linear

Each check compares your function with what the project's own code computes.
"""

import numpy as np


def logits(x, weights, bias):
    """The logits of a linear classifier for a batch ``x`` of shape (n, d),
    with NumPy arrays ``weights`` (d, k) and ``bias`` (k,): shape (n, k)."""
    raise NotImplementedError


def cross_entropy(logits, labels):
    """The mean softmax cross-entropy of ``logits`` (n, k) against one-hot
    ``labels`` (n, k), in NumPy. It must stay finite for logits of 1000."""
    raise NotImplementedError


def largest_change(weights, size):
    """The most the logits x @ weights can move (in Euclidean length) when x
    moves by a vector of length ``size``, in any direction."""
    raise NotImplementedError
