"""Checks of the exercises of "Reading other hands" (docs/augmentation.md)."""

import numpy as np
import tensorflow as tf

from snippets.augment import SIDE, grow, resample
from snippets.config import TrainConfig
from snippets.exercises import Exercise, Wrong, numbers
from snippets.exercises.linear import rerun, small_mnist
from snippets.linear import accuracy
from snippets.mnist_files import load_mnist


def digits():
    """Three MNIST training digits, as floats in [0, 1]."""
    (images, _), _ = load_mnist()
    return images[:3].astype(np.float32) / 255


def check_shift_image(shift_image):
    grid = np.arange(SIDE, dtype=np.float32)
    for image in digits():
        for rows, cols in ((2, 0), (0, -3), (-1, 2), (0, 0), (5, 5)):
            # read every output pixel from (row - rows, col - cols)
            from_rows = np.broadcast_to(grid[:, None] - rows, (SIDE, SIDE))
            from_cols = np.broadcast_to(grid[None, :] - cols, (SIDE, SIDE))
            expected = resample(image[None], from_rows[None], from_cols[None])
            got = np.asarray(shift_image(image, rows, cols), np.float32)
            if got.shape != (SIDE, SIDE):
                raise Wrong(
                    f"the image should stay {SIDE}x{SIDE}, not {got.shape}."
                )
            if not np.allclose(got, expected[0].numpy(), atol=1e-6):
                raise Wrong(
                    f"moved {rows} down and {cols} right, pixel (14, 14) should be "
                    f"{expected[0].numpy()[14, 14]:.3f}, not {got[14, 14]:.3f}."
                )


def check_dilate(dilate):
    for image in [*digits(), np.eye(SIDE, dtype=np.float32)]:
        expected = grow(tf.constant(image[None]))[0].numpy()
        got = numbers(dilate(image), expected, "the dilated image")
        if not np.allclose(got, expected):
            wrong = ~np.isclose(got, expected)
            at = tuple(map(int, np.argwhere(wrong)[0]))
            raise Wrong(
                f"the dilated image: {int(np.sum(wrong))} "
                f"pixels differ from grow()'s; the first, at {list(at)}: "
                f"expected {expected[at]:.3f}, got {got[at]:.3f}."
            )


def check_max_norm(max_norm):
    weights = tf.random.stateless_normal(
        [20, 6], seed=[1, 2], stddev=1.0
    ).numpy()
    for c in (0.5, 3.0, 100.0):
        expected = tf.clip_by_norm(weights, c, axes=[0]).numpy()
        got = np.asarray(max_norm(weights.copy(), c), np.float32)
        if got.shape != expected.shape or not np.allclose(
            got, expected, atol=1e-6
        ):
            raise Wrong(
                f"with c = {c}, the columns' lengths should be "
                f"{np.round(np.linalg.norm(expected, axis=0), 3).tolist()}."
            )


SHIFTS = (0, 1, 2, 3)


def shifted_right(x, pixels):
    """The flattened digits ``x`` moved ``pixels`` to the right, by the
    project's resampling: each output pixel reads the one ``pixels`` to its
    left, and blank comes in at the left edge."""
    n = len(x)
    rows, cols = tf.meshgrid(
        tf.range(SIDE, dtype=tf.float32),
        tf.range(SIDE, dtype=tf.float32),
        indexing="ij",
    )
    images = resample(
        tf.reshape(x, [n, SIDE, SIDE]),
        tf.broadcast_to(rows, [n, SIDE, SIDE]),
        tf.broadcast_to(cols - pixels, [n, SIDE, SIDE]),
    )
    return tf.reshape(images, [n, SIDE * SIDE])


def check_accuracy_by_shift(accuracy_by_shift):
    from snippets.train import train

    data = small_mnist(1000)
    config = TrainConfig(epochs=3)
    model = train(config, data=data, log=lambda message: None).model
    x, labels = data.test_x, data.test_y
    got = numbers(
        accuracy_by_shift(model, x.copy(), labels.copy(), SHIFTS),
        np.zeros(len(SHIFTS)),
        "the test accuracies for shifts of 0, 1, 2 and 3 pixels",
    )
    for shift in (0, SHIFTS[-1]):
        expected = accuracy(model(shifted_right(x, shift)), labels)
        rerun(
            f"the accuracy on digits shifted {shift} pixels right",
            got[shift],
            expected,
            len(labels),
        )
    if not got[-1] < got[0] - 0.2:
        raise Wrong(
            "3 pixels to the right should cost the network much of its "
            f"accuracy ({got[0]:.3f} unshifted): expected below "
            f"{got[0] - 0.2:.3f}, got {got[-1]:.3f}."
        )


EXERCISES = [
    Exercise(
        "shift_image",
        check_shift_image,
        "A shift moves every pixel the same way, and what comes in from the "
        "edge is blank.",
        "pad the image with zeros, then cut the 28x28 window that starts rows up "
        "and cols left of the original.",
    ),
    Exercise(
        "dilate",
        check_dilate,
        "A pixel of the thicker stroke is as bright as the brightest of its "
        "neighbours.",
        "pad with one row and column of zeros on every side, then take the maximum "
        "of the nine shifted 28x28 windows.",
    ),
    Exercise(
        "max_norm",
        check_max_norm,
        "Only the columns longer than c change, and each keeps its direction.",
        "divide each column by max(1, its length / c); np.linalg.norm(w, axis=0) "
        "gives the lengths.",
    ),
    Exercise(
        "accuracy_by_shift",
        check_accuracy_by_shift,
        "Move every digit the same number of pixels to the right, blank "
        "coming in from the left, then measure the model on them.",
        "for each shift: each row of x reshaped to 28x28, moved with "
        "shift_image(image, 0, shift), flattened back; then "
        "accuracy(model(shifted), labels).",
    ),
]
