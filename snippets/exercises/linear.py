"""Checks of the exercises of "Linear models are limited" (docs/linear.md)."""

import numpy as np

from snippets.exercises import Exercise, differs
from snippets.linear import LinearClassifier, softmax_cross_entropy


def random_case(seed):
    rng = np.random.default_rng(seed)
    model = LinearClassifier(784, 10, seed=seed)
    model.bias.assign(rng.standard_normal(10).astype(np.float32))
    x = rng.random((6, 784), dtype=np.float32)
    labels = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 6)]
    return model, x, labels


def check_logits(logits):
    for seed in (0, 1):
        model, x, _ = random_case(seed)
        weights, bias = model.weights.numpy(), model.bias.numpy()
        differs(
            logits(x, weights, bias), model(x).numpy(), "the logits (6, 10)"
        )


def check_cross_entropy(cross_entropy):
    model, x, labels = random_case(2)
    z = model(x).numpy()
    differs(
        cross_entropy(z, labels),
        float(softmax_cross_entropy(z, labels)),
        "the loss of a batch of 6",
        batch=6,
    )
    # Logits in the thousands: exp() overflows unless the largest logit is taken out first.
    large = 1000.0 * z
    differs(
        cross_entropy(large, labels),
        float(softmax_cross_entropy(large, labels)),
        "the loss of the same batch with logits in the thousands",
        1e-3,
        batch=6,
    )


def check_largest_change(largest_change):
    rng = np.random.default_rng(3)
    for scale in (0.01, 1.0, 30.0):
        weights = scale * rng.standard_normal((20, 5))
        expected = 0.5 * np.linalg.norm(weights, 2)
        differs(
            largest_change(weights, 0.5),
            expected,
            f"the largest change for a 20x5 matrix of scale {scale:g}",
            1e-6,
        )


EXERCISES = [
    Exercise(
        "logits",
        check_logits,
        "A linear classifier multiplies the batch by the weights and adds the"
        " bias to every row.",
        "one matrix product and one addition: x @ weights + bias.",
    ),
    Exercise(
        "cross_entropy",
        check_cross_entropy,
        "The loss is the mean over the batch of minus the log of the right "
        "class's softmax; keep exp() finite.",
        "log softmax(z) = z - log(sum(exp(z))); subtract each row's largest logit "
        "from the row first, which changes nothing but keeps exp() finite.",
    ),
    Exercise(
        "largest_change",
        check_largest_change,
        "Ask which direction of the input a matrix stretches the most, and by"
        " how much.",
        "the largest stretch of any vector by a matrix is its largest singular value, "
        "np.linalg.norm(weights, 2).",
    ),
]
