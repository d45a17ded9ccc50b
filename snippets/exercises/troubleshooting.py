"""Checks of the exercises of "Troubleshooting" (docs/troubleshooting.md)."""

import numpy as np
import tensorflow as tf

from snippets.data import scale_and_flatten
from snippets.exercises import Exercise, Wrong, explain, numbers
from snippets.mlp import MLP
from snippets.relu import dead_fraction


def check_log_softmax(log_softmax):
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((5, 10)).astype(np.float32)
    for scale, what in ((1.0, "logits near 0"), (1e4, "logits of 1e4")):
        z = scale * logits
        z[0, 3] = scale * 9  # one clear winner in the first row
        expected = tf.nn.log_softmax(z.astype(np.float64)).numpy()
        got = numbers(log_softmax(z), expected, f"with {what}, the result")
        if not np.allclose(got, expected, rtol=1e-4, atol=1e-3):
            explain(got, expected, f"with {what}, log_softmax")
    # Every row on its own: a row of -1e4 is as valid as a row of +1e4.
    z = np.array([[1e4, 1e4 - 1, 0.0], [-1e4, -1e4, -1e4]], np.float32)
    got = np.asarray(log_softmax(z), dtype=np.float64)
    expected = tf.nn.log_softmax(z.astype(np.float64)).numpy()
    if not (
        np.all(np.isfinite(got)) and np.allclose(got, expected, atol=1e-3)
    ):
        raise Wrong(
            "each row must be shifted by its own largest logit: a row of -1e4 "
            "next to a row of +1e4 goes wrong."
        )


def check_dead_units(dead_units):
    rng = np.random.default_rng(1)
    images = rng.random((20, 784), dtype=np.float32)
    model = MLP(hidden=(40,), seed=1)
    bias = np.zeros(40, np.float32)
    bias[:10] = -1e3  # these ten units can never fire
    model.biases["hidden_1"].assign(bias)
    hidden = model.activations(images)[0].numpy()
    got, expected = float(dead_units(hidden)), dead_fraction(model, images)
    if not np.isclose(got, expected):
        raise Wrong(
            f"for 20 examples through 40 ReLUs (10 of which can never fire) got "
            f"{got:.4g}, expected {expected:.4g}."
        )
    # A unit that fires on one example of the batch is alive.
    almost = np.zeros((8, 4), np.float32)
    almost[5, 0] = 0.3
    almost[:, 1] = 1.0
    if not np.isclose(float(dead_units(almost)), 0.5):
        raise Wrong(
            "a unit that is zero on 7 examples but not on the 8th is alive: of "
            "4 units, 2 are dead, 0.5."
        )
    if not np.isclose(float(dead_units(np.zeros((3, 5), np.float32))), 1.0):
        raise Wrong("when every output is zero, every unit is dead: 1.0.")


def check_scale_pixels(scale_pixels):
    rng = np.random.default_rng(2)
    cases = {
        "random images": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "a faint image whose brightest pixel is 128": np.full(
            (1, 28, 28), 128, np.uint8
        ),
        "a white and a black image": np.stack(
            [np.full((28, 28), 255, np.uint8), np.zeros((28, 28), np.uint8)]
        ),
    }
    for what, raw in cases.items():
        answer = scale_pixels(raw)
        expected = scale_and_flatten(raw)
        got = numbers(
            answer,
            expected,
            f"for {what}, the pixels (one row of 784 per image)",
        )
        if np.asarray(answer).dtype != np.float32:
            raise Wrong(
                f"for {what}, the pixels: expected float32, got "
                f"{np.asarray(answer).dtype}."
            )
        if not np.allclose(got, expected, atol=1e-6):
            explain(got, expected, f"for {what}, the pixels")


EXERCISES = [
    Exercise(
        "log_softmax",
        check_log_softmax,
        "exp() of large logits overflows; shifting a row's logits by the same"
        " amount changes no softmax.",
        "subtract each row's largest logit first (axis=1, keepdims=True): then "
        "exp() is at most 1, and the row's winner gives log(1 + ...) >= 0, never "
        "log(0) or inf - inf.",
    ),
    Exercise(
        "dead_units",
        check_dead_units,
        "A dead unit outputs 0 for every example of the batch.",
        "a unit is dead when its largest output over the batch (axis 0) is 0; "
        "take the mean of that over the units.",
    ),
    Exercise(
        "scale_pixels",
        check_scale_pixels,
        "Integers divide differently from floats, and the scale must not "
        "depend on the batch.",
        "convert to float32 before dividing by 255 (always 255, whatever the "
        "brightest pixel of the batch), and reshape to (len(raw), -1).",
    ),
]
