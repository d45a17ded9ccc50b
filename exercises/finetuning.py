"""Exercises of "Finetuning": write each function, then check them with

    python -m snippets check finetuning

Each check compares your function with what the project's own code computes.
"""

import tensorflow as tf

from snippets.linear import softmax_cross_entropy


def restore_by_name(prefix, variables):
    """Load into the ``tf.Variable`` values of the dict ``variables`` the
    values saved under the same names by ``tf.train.Checkpoint(name=...,
    ...).save`` at ``prefix``, whatever order the variables were created
    in."""
    raise NotImplementedError


def sort_variables(saved, wanted):
    """Given ``{name: shape}`` of a checkpoint (``saved``) and of a grown
    model (``wanted``), a dict with three lists of the model's names:
    ``"restored"`` (saved with the same shape), ``"new"`` (not saved) and
    ``"mismatched"`` (saved with another shape)."""
    raise NotImplementedError


def sgd_step(model, x, y, frozen, learning_rate):
    """One step of plain gradient descent on the mean softmax cross-entropy
    of ``model`` (an ``MLP``) for the batch ``x``, one-hot ``y``, that changes
    every layer except those whose names are in ``frozen`` (for example
    ``("hidden_1",)``)."""
    raise NotImplementedError
