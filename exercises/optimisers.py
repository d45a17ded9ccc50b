"""Exercises of "How training moves the weights": write each function, then
check them with

    python -m snippets check optimisers

Each check compares your function with what Keras' optimizers compute.
"""

import numpy as np


def momentum_step(w, gradient, velocity, learning_rate, momentum):
    """One step of keras.optimizers.SGD with momentum, in NumPy: returns
    ``(new_w, new_velocity)`` for arrays ``w``, ``gradient`` and ``velocity``
    of the same shape."""
    raise NotImplementedError


def adam_first_step(gradient, learning_rate):
    """How much keras.optimizers.Adam (its default betas and epsilon) moves
    each weight on its first step, for an array ``gradient``: the change
    ``w_after - w_before``, an array of the same shape."""
    raise NotImplementedError


def final_losses(learning_rates, steps):
    """Plain gradient descent on the narrow valley f(x, y) = (x^2 + 20 y^2) / 2
    from (x, y) = (-2.5, 1): the loss after ``steps`` steps at each learning
    rate of ``learning_rates``, as a list of floats."""
    raise NotImplementedError
