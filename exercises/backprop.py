"""Exercises of "The chain rule and backpropagation": write each function, then check
them with

    python -m snippets check backprop

Each check compares your function with TensorFlow's tf.GradientTape or with the
project's own backward pass.
"""

import numpy as np

from snippets import backprop


def logits_gradient(logits, labels):
    """dL/dz of the mean softmax cross-entropy L of ``logits`` z (n, k) against
    one-hot ``labels`` (n, k), in NumPy: shape (n, k). It must stay finite for
    logits in the hundreds."""
    raise NotImplementedError


def backprop_222(x, labels, w1, b1, w2, b2):
    """The gradients (dw1, db1, dw2, db2) of the mean softmax cross-entropy of
    a 2-2-2 network, logits = relu(x @ w1 + b1) @ w2 + b2, for a batch ``x``
    (n, 2) and one-hot ``labels`` (n, 2), by the chain rule in NumPy: no
    TensorFlow."""
    raise NotImplementedError


def numerical_gradient(f, theta, eps):
    """The gradient of the scalar function ``f`` at the NumPy array ``theta``
    by central differences with step ``eps``: an array shaped like theta.
    ``theta`` must hold the same values afterwards."""
    raise NotImplementedError


def finite_difference_errors(params, x, labels, epsilons):
    """An experiment: for each ``eps`` of ``epsilons``, estimate the gradient
    of the loss with respect to the first weight matrix ``params[0][0]``
    entry by entry by central differences (``backprop.numerical_gradient``,
    the project's), and return the list of its relative errors
    (``backprop.relative_error``) against backpropagation's exact gradient
    (``backprop.backward``), one for each eps."""
    raise NotImplementedError


def relu_layer_backward(x, weights, bias, upstream):
    """Derive, then compute in NumPy, the backward pass of one hidden layer
    h = relu(x @ weights + bias): given ``upstream`` = dL/dh (n, m), return
    (dL/dx, dL/dweights, dL/dbias), shaped like ``x`` (n, d), ``weights``
    (d, m) and ``bias`` (m,). The check compares them with
    ``tf.GradientTape``."""
    raise NotImplementedError
