"""Exercises of "Linear models are limited": write each function, then check them with

    python -m snippets check linear

Each check compares your function with what the project's own code computes.
"""

import numpy as np

from snippets.linear import LinearClassifier, accuracy, fit


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


def weight_gradients(x, weights, bias, labels):
    """Derive, then compute in NumPy, the gradients of the mean softmax
    cross-entropy of the logits ``x @ weights + bias`` against one-hot
    ``labels`` (n, k): the pair (dL/dweights, dL/dbias), shaped like
    ``weights`` (d, k) and ``bias`` (k,). The check compares them with
    ``tf.GradientTape``."""
    raise NotImplementedError


def learning_rate_sweep(data, learning_rates):
    """An experiment: for each rate of ``learning_rates``, train a fresh
    ``LinearClassifier(784, 10, seed=0)`` with ``fit`` for 20 full-batch
    steps (``epochs=20``) on ``data.train_x`` and ``data.train_y``; return
    the list of test accuracies on ``data.test_x`` and ``data.test_y``, one
    for each rate, in order."""
    raise NotImplementedError
