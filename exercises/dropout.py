"""Exercises of "Dropout": write each function, then check them with

    python -m snippets check dropout

Each check compares your function with what the project's own code computes.
"""

import numpy as np

from snippets.config import TrainConfig
from snippets.linear import accuracy
from snippets.train import train


def dropout_from_uniform(h, uniform, keep_prob):
    """Dropout in NumPy. ``uniform`` holds one random number in [0, 1) per
    unit of the activations ``h`` (same shape). Keep a unit where its number
    is >= 1 - keep_prob (as TensorFlow does), scaled by 1 / keep_prob, and set
    the others to 0."""
    raise NotImplementedError


def port_dropout(keep_prob):
    """A TF1 ``keep_prob``, ported to TF2: return ``(rate, scale)``, the
    ``rate`` to pass to ``tf.nn.dropout`` and the factor it multiplies the
    kept units by."""
    raise NotImplementedError


def dropout_variance(h, keep_prob):
    """The variance, over the random masks, of dropout's output for one unit
    whose activation is ``h``."""
    raise NotImplementedError


def keep_prob_sweep(data, keep_probs):
    """An experiment: for each ``keep_prob`` of ``keep_probs``, train the
    course's 784-256-10 network on ``data`` with ``train`` for 10 epochs
    with that dropout (everything else as ``TrainConfig`` has it, seed 0
    included); return one pair (accuracy on the training digits, test
    accuracy) per keep_prob, both measured without dropout."""
    raise NotImplementedError
