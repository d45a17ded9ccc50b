"""Exercises of "Troubleshooting": write each function, then check them with

    python -m snippets check troubleshooting

Each check compares your function with what the project's own code computes.
"""

import numpy as np


def log_softmax(logits):
    """The log-softmax of each row of ``logits`` (n, k), in NumPy. It must stay
    finite for logits of 1e4, where the naive formula gives inf - inf = NaN."""
    raise NotImplementedError


def dead_units(hidden):
    """The share of units (columns of ``hidden``, shape (n, units), the ReLU
    outputs for a batch of n examples) that output 0 on every example."""
    raise NotImplementedError


def scale_pixels(raw):
    """MNIST images as the network expects them: ``raw`` is a uint8 array of
    shape (n, 28, 28) with values 0..255; return float32 rows of 784 in [0, 1]."""
    raise NotImplementedError
