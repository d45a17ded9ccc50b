"""Checks of the exercises of "Linear models are limited" (docs/linear.md)."""

import numpy as np

from snippets.exercises import Exercise, Wrong
from snippets.linear import LinearClassifier, softmax_cross_entropy


def random_case(seed):
    rng = np.random.default_rng(seed)
    model = LinearClassifier(784, 10, seed=seed)
    model.bias.assign(rng.standard_normal(10).astype(np.float32))
    x = rng.random((6, 784), dtype=np.float32)
    labels = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 6)]
    return model, x, labels


def same(got, expected, what, tolerance=1e-4):
    got = np.asarray(got, dtype=np.float64)
    if got.shape != np.shape(expected):
        raise Wrong(
            f"{what} should have shape {np.shape(expected)}, not {got.shape}."
        )
    if not np.allclose(got, expected, rtol=tolerance, atol=tolerance):
        raise Wrong(f"{what} differ from what TensorFlow computes.")


def check_logits(logits):
    for seed in (0, 1):
        model, x, _ = random_case(seed)
        weights, bias = model.weights.numpy(), model.bias.numpy()
        same(logits(x, weights, bias), model(x).numpy(), "the logits")


def check_cross_entropy(cross_entropy):
    model, x, labels = random_case(2)
    z = model(x).numpy()
    same(
        cross_entropy(z, labels),
        float(softmax_cross_entropy(z, labels)),
        "the loss",
    )
    # Logits in the thousands: exp() overflows unless the largest logit is taken out first.
    large = 1000.0 * z
    got = np.asarray(cross_entropy(large, labels), dtype=np.float64)
    if not np.all(np.isfinite(got)):
        raise Wrong(
            "with logits in the thousands the loss is not a finite number."
        )
    same(
        got,
        float(softmax_cross_entropy(large, labels)),
        "the loss of large logits",
        1e-3,
    )


def check_largest_change(largest_change):
    rng = np.random.default_rng(3)
    for scale in (0.01, 1.0, 30.0):
        weights = scale * rng.standard_normal((20, 5))
        expected = 0.5 * np.linalg.norm(weights, 2)
        same(
            largest_change(weights, 0.5), expected, "the largest change", 1e-6
        )


EXERCISES = [
    Exercise(
        "logits",
        check_logits,
        "one matrix product and one addition: x @ weights + bias.",
    ),
    Exercise(
        "cross_entropy",
        check_cross_entropy,
        "log softmax(z) = z - log(sum(exp(z))); subtract each row's largest logit "
        "from the row first, which changes nothing but keeps exp() finite.",
    ),
    Exercise(
        "largest_change",
        check_largest_change,
        "the largest stretch of any vector by a matrix is its largest singular value, "
        "np.linalg.norm(weights, 2).",
    ),
]
