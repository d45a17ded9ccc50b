"""Exercises of "Try it: draw a digit": write each function, then check them
with

    python -m snippets check try

Each check compares your function with what the project's own code computes.
"""

import numpy as np

INK = 0.05  # a pixel brighter than this is ink, as in snippets/predict.py


def quantise_tensor(weights):
    """Int8 ``q`` and ONE float scale for the whole matrix ``weights``, with
    ``weights ~= q * scale``: the largest weight of either sign becomes +-127."""
    raise NotImplementedError


def error_bound(weights):
    """For each column of ``weights``, the largest error that the project's
    per-column int8 rounding (snippets/int8.py, quantise) can make."""
    raise NotImplementedError


def centre_of_mass(image):
    """The (row, column) centre of mass of a greyscale ``image``, the pixel
    values as masses."""
    raise NotImplementedError


def ink_box(image):
    """(top, bottom, left, right) of the smallest box holding every pixel
    brighter than INK, bottom and right one past the last row and column, as
    slices take them; None when there is no ink."""
    raise NotImplementedError
