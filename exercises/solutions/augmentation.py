"""Worked solutions of the exercises of "Reading other hands" (shown on the page)."""

import numpy as np

from snippets.linear import accuracy


# --8<-- [start:shift_image]
def shift_image(image, rows, cols):
    # a border wide enough for any shift, then the window that starts
    # `rows` above and `cols` left of where the image was
    side, border = image.shape[0], max(abs(rows), abs(cols))
    padded = np.pad(image, border)
    top, left = border - rows, border - cols
    return padded[top : top + side, left : left + side]


# --8<-- [end:shift_image]


# --8<-- [start:dilate]
def dilate(image):
    side = image.shape[0]
    padded = np.pad(image, 1)  # outside the image is dark
    windows = [
        padded[row : row + side, col : col + side]
        for row in range(3)
        for col in range(3)
    ]
    return np.max(windows, axis=0)


# --8<-- [end:dilate]


# --8<-- [start:max_norm]
def max_norm(weights, c):
    lengths = np.linalg.norm(weights, axis=0)
    # columns shorter than c are divided by 1: unchanged
    return weights / np.maximum(1.0, lengths / c)


# --8<-- [end:max_norm]


# --8<-- [start:accuracy_by_shift]
def accuracy_by_shift(model, x, labels, shifts):
    accuracies = []
    for shift in shifts:
        # exercise 1's shift_image, one digit at a time
        shifted = np.stack(
            [shift_image(row.reshape(28, 28), 0, shift).ravel() for row in x]
        )
        accuracies.append(accuracy(model(shifted), labels))
    return accuracies


# --8<-- [end:accuracy_by_shift]
