"""Worked solutions of the exercises of "Try it: draw a digit" (shown on the
page)."""

import numpy as np

INK = 0.05  # a pixel brighter than this is ink, as in snippets/predict.py


# --8<-- [start:quantise_tensor]
def quantise_tensor(weights):
    # One step for the whole matrix, set by its largest weight: a column of
    # small weights rounds to a few levels instead of 255.
    largest = np.abs(weights).max()
    scale = largest / 127 if largest > 0 else 1.0  # zeros: any scale will do
    q = np.clip(np.round(weights / scale), -127, 127).astype(np.int8)
    return q, scale


# --8<-- [end:quantise_tensor]


# --8<-- [start:error_bound]
def error_bound(weights):
    # A column's step is its scale; rounding is off by at most half a step.
    return np.abs(weights).max(axis=0) / 127 / 2


# --8<-- [end:error_bound]


# --8<-- [start:centre_of_mass]
def centre_of_mass(image):
    rows, cols = np.indices(image.shape)
    mass = image.sum()
    return (rows * image).sum() / mass, (cols * image).sum() / mass


# --8<-- [end:centre_of_mass]


# --8<-- [start:ink_box]
def ink_box(image):
    rows, cols = np.nonzero(image > INK)
    if rows.size == 0:
        return None
    return rows.min(), rows.max() + 1, cols.min(), cols.max() + 1


# --8<-- [end:ink_box]
