"""Exercises of "Reading other hands": write each function, then check them with

    python -m snippets check augmentation

Each check compares your function with what the project's code computes.
"""

import numpy as np

from snippets.linear import accuracy


def shift_image(image, rows, cols):
    """The 28x28 NumPy ``image`` moved ``rows`` pixels down and ``cols``
    pixels right (negative numbers: up and left); what comes in from outside
    the image is blank (0)."""
    raise NotImplementedError


def dilate(image):
    """The 28x28 NumPy ``image`` with every pixel replaced by the brightest
    of its 3x3 neighbourhood; outside the image counts as 0."""
    raise NotImplementedError


def max_norm(weights, c):
    """The weight matrix (inputs x units) with every column longer than ``c``
    scaled to length ``c`` and the other columns unchanged."""
    raise NotImplementedError


def accuracy_by_shift(model, x, labels, shifts):
    """An experiment: for each number of pixels in ``shifts``, move every
    digit of ``x`` (flattened, (n, 784)) that many pixels to the right,
    blank coming in from the left, and measure the trained ``model`` on
    them against the one-hot ``labels`` (``accuracy``); return the list of
    accuracies, one for each shift."""
    raise NotImplementedError
