"""Checks of the exercises of "Try it: draw a digit" (docs/try.md)."""

import numpy as np

from snippets.exercises import Exercise, Wrong, explain, numbers
from snippets.int8 import dequantise, quantise
from snippets.predict import INK, mnist_style


def weight_cases():
    rng = np.random.default_rng(0)
    matrix = 0.05 * rng.standard_normal((30, 8)).astype(np.float32)
    matrix[:, 2] *= 100  # one column far larger than the rest
    return {
        "a random matrix": matrix,
        "a matrix whose largest weight is negative": -np.abs(matrix),
        "a single column": matrix[:, :1],
    }


def check_quantise_tensor(quantise_tensor):
    for what, weights in weight_cases().items():
        q, scale = quantise_tensor(weights)
        q = np.asarray(q)
        # One scale for the whole matrix is the project's per-column scale of
        # the matrix flattened into one column.
        q_ref, scale_ref = quantise(weights.reshape(-1, 1))
        if q.dtype != np.int8 or q.shape != weights.shape:
            raise Wrong(
                f"q should be int8 of shape {weights.shape}, not {q.dtype} {q.shape}."
            )
        if not np.isclose(float(scale), float(scale_ref[0]), rtol=1e-6):
            raise Wrong(
                f"for {what} the scale should make the largest weight of either "
                f"sign +-127: {float(scale_ref[0]):.6g}, not {float(scale):.6g}."
            )
        expected = q_ref.reshape(weights.shape)
        if not np.array_equal(q, expected):
            at = tuple(map(int, np.argwhere(q != expected)[0]))
            raise Wrong(
                f"for {what}, q: {int(np.sum(q != expected))} of {q.size} "
                f"differ; at {list(at)} expected {int(expected[at])}, got "
                f"{int(q[at])}."
            )
    q, scale = quantise_tensor(np.zeros((3, 4), np.float32))
    if not (np.all(np.asarray(q) == 0) and np.isfinite(float(scale))):
        raise Wrong(
            "a matrix of zeros should give q = 0 and a finite scale, not a division by 0."
        )


def check_error_bound(error_bound):
    for what, weights in weight_cases().items():
        q, scales = quantise(weights)
        bound = numbers(
            error_bound(weights), scales, f"for {what}, one bound per column"
        )
        if not np.allclose(bound, scales / 2, rtol=1e-5):
            explain(bound, scales / 2, f"for {what}, the bounds")
        errors = np.abs(dequantise(q, scales) - weights).max(axis=0)
        if np.any(errors > bound * (1 + 1e-5)):
            raise Wrong(f"for {what} a rounding error exceeds your bound.")


def drawings():
    rng = np.random.default_rng(1)
    blob = np.zeros((60, 50), np.float32)
    blob[10:40, 30:45] = rng.random((30, 15), dtype=np.float32)
    stroke = np.zeros((28, 28), np.float32)
    stroke[3:25, 20] = 1.0
    stroke[24, 5:21] = 0.5
    return {
        "a blob": blob,
        "an L-shaped stroke": stroke,
        "an MNIST-style digit": mnist_style(blob),
    }


def check_centre_of_mass(centre_of_mass):
    for what, image in drawings().items():
        rows, cols = np.indices(image.shape)
        expected = (
            (rows * image).sum() / image.sum(),
            (cols * image).sum() / image.sum(),
        )
        got = np.asarray(centre_of_mass(image), dtype=np.float64)
        if got.shape != (2,) or not np.allclose(got, expected, atol=1e-4):
            raise Wrong(
                f"for {what} got {got}, expected (row, column) {np.round(expected, 4)}."
            )
    # What mnist_style is for: the ink's centre of mass lands near (14, 14).
    row, col = centre_of_mass(mnist_style(drawings()["a blob"]))
    if abs(row - 14) > 1 or abs(col - 14) > 1:
        raise Wrong(
            "an image from mnist_style should have its centre of mass near (14, 14)."
        )


def check_ink_box(ink_box):
    for what, image in drawings().items():
        rows, cols = np.nonzero(image > INK)
        expected = tuple(
            int(v)
            for v in (rows.min(), rows.max() + 1, cols.min(), cols.max() + 1)
        )
        got = tuple(int(v) for v in ink_box(image))
        if got != expected:
            raise Wrong(
                f"for {what} got {got}, expected (top, bottom, left, right) = "
                f"{expected}, bottom and right one past the last row and column of ink."
            )
    faint = np.full((28, 28), INK, np.float32)
    if ink_box(faint) is not None:
        raise Wrong(
            f"pixels of exactly {INK} are not ink: a blank image has no box, None."
        )


EXERCISES = [
    Exercise(
        "quantise_tensor",
        check_quantise_tensor,
        "One scale for the whole tensor, chosen so the largest weight lands "
        "on the largest int8 value.",
        "scale = largest |weight| / 127 (1 if all are 0), q = round(weights / "
        "scale) clipped to -127..127, as int8.",
    ),
    Exercise(
        "error_bound",
        check_error_bound,
        "How far can rounding to a grid move a number, and how wide is one "
        "step of a column's grid?",
        "rounding moves a number by at most half a step, and a column's step is "
        "its scale, largest |weight| / 127.",
    ),
    Exercise(
        "centre_of_mass",
        check_centre_of_mass,
        "Each pixel's row and column count as much as its brightness.",
        "np.indices(image.shape) gives each pixel's row and column; weight them "
        "by the pixel values and divide by the total.",
    ),
    Exercise(
        "ink_box",
        check_ink_box,
        "Find the rows and columns that hold any ink; a box's end is one past"
        " its last.",
        "np.nonzero(image > INK) lists the ink's rows and columns; the box runs "
        "from their smallest to one past their largest.",
    ),
]
