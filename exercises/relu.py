"""Exercises of "Rectified linear units": write each function, then check them with

    python -m snippets check relu

Each check compares your function with what the project's own code computes.
"""

import numpy as np

from snippets.relu import after_one_epoch


def relu_gradient(x):
    """The derivative of relu(x) = max(0, x), element by element, for a NumPy
    array ``x`` of any shape. At exactly 0, use the value TensorFlow's
    tf.GradientTape gives for tf.nn.relu."""
    raise NotImplementedError


def linear_pieces(w, b, v):
    """How many straight pieces f(x) = sum_i v[i] * relu(w[i] * x + b[i]) has
    on the whole real line, for 1-D arrays ``w``, ``b``, ``v`` of equal length
    (one entry per hidden unit). A bend where the slope does not change is no
    bend; a straight line is one piece."""
    raise NotImplementedError


def xor_network():
    """Weights ``(w1, b1, w2, b2)`` of shapes (2, 2), (2,), (2, 1), (1,) for a
    2-2-1 network relu(x @ w1 + b1) @ w2 + b2 that outputs exactly 0, 1, 1, 0
    at the corners (0, 0), (0, 1), (1, 0), (1, 1)."""
    raise NotImplementedError


def dead_units_sweep(data, learning_rates):
    """An experiment: for each rate of ``learning_rates``, train the course's
    784-256-10 network for one epoch of plain gradient descent on ``data``
    (``snippets.relu.after_one_epoch`` does it); return one pair (share of
    hidden units dead on every training digit, test accuracy) per rate, in
    order."""
    raise NotImplementedError
