"""Checks of the exercises of "Linear models are limited" (docs/linear.md)."""

from functools import cache

import numpy as np
import tensorflow as tf

from snippets.exercises import Exercise, Wrong, differs, explain
from snippets.linear import (
    LinearClassifier,
    accuracy,
    fit,
    softmax_cross_entropy,
)


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


def tape_weight_gradients(x, weights, bias, labels):
    variables = [tf.Variable(weights), tf.Variable(bias)]
    with tf.GradientTape() as tape:
        loss = softmax_cross_entropy(
            tf.constant(x) @ variables[0] + variables[1], tf.constant(labels)
        )
    return [gradient.numpy() for gradient in tape.gradient(loss, variables)]


def check_weight_gradients(weight_gradients):
    for seed in (4, 5):
        rng = np.random.default_rng(seed)
        x, weights = rng.standard_normal((6, 5)), rng.standard_normal((5, 3))
        bias = rng.standard_normal(3)
        labels = np.eye(3)[rng.integers(0, 3, 6)]
        expected = tape_weight_gradients(x, weights, bias, labels)
        got = weight_gradients(x, weights, bias, labels)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise Wrong(
                "expected a pair (dL/dweights, dL/dbias), got "
                f"{type(got).__name__}"
                + (f" of {len(got)}" if isinstance(got, (tuple, list)) else "")
                + "."
            )
        for value, wanted, what in zip(
            got, expected, ("dL/dweights (5, 3)", "dL/dbias (3,)")
        ):
            differs(
                value,
                wanted,
                f"{what}, against GradientTape on a batch of 6",
                1e-6,
                batch=6,
            )


@cache
def first_digits(n_train, n_test):
    from snippets.data import load_dataset

    data = load_dataset(limit=n_train)
    return (
        data.train_x,
        data.train_y,
        data.valid_x[:500],
        data.valid_y[:500],
        data.test_x[:n_test],
        data.test_y[:n_test],
    )


def small_mnist(n_train, n_test=1000):
    """The first ``n_train`` training digits and the first ``n_test`` test
    digits of MNIST, for experiments that run in a second or two; the other
    chapters' experiments use it too. A fresh copy each time, so that an
    answer that changes its data in place changes nothing the check
    reruns."""
    from snippets.data import Mnist

    return Mnist(*(part.copy() for part in first_digits(n_train, n_test)))


def rerun(what, got, expected, n):
    """An experiment's number against the project's rerun of it: the same
    seed gives the same network, so they agree to within one of the ``n``
    things counted (digits, or units); a network from another seed or
    trained another way is told apart by more than that, nearly always."""
    if abs(float(got) - float(expected)) > 1.5 / n:
        explain(got, expected, what)


RATES = (0.005, 0.05, 0.5)


def check_learning_rate_sweep(learning_rate_sweep):
    data = small_mnist(500)
    n = len(data.test_y)
    got = numbers_of(
        learning_rate_sweep(small_mnist(500), RATES), len(RATES), "rates"
    )
    model = fit(
        LinearClassifier(784, 10, seed=0),
        data.train_x,
        data.train_y,
        epochs=20,
        learning_rate=RATES[-1],
    )
    expected = accuracy(model(data.test_x), data.test_y)
    rerun(f"the test accuracy at the rate {RATES[-1]}", got[-1], expected, n)
    if not got[0] < got[-1] - 0.2:
        raise Wrong(
            f"20 steps at the rate {RATES[0]} should leave the accuracy far "
            f"below that at {RATES[-1]} ({got[-1]:.3f}): expected below "
            f"{got[-1] - 0.2:.3f}, got {got[0]:.3f}."
        )


def numbers_of(values, count, what):
    """An experiment's result as ``count`` numbers, one per setting, or Wrong
    saying what it is."""
    try:
        values = [float(value) for value in values]
    except (TypeError, ValueError):
        raise Wrong(
            f"expected a list of {count} numbers, one for each of the "
            f"{count} {what}, got {type(values).__name__}."
        ) from None
    if len(values) != count:
        raise Wrong(
            f"expected {count} numbers, one for each of the {count} {what}, "
            f"got {len(values)}."
        )
    if not all(np.isfinite(values)):
        raise Wrong(f"expected finite numbers, got {values}.")
    return values


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
    Exercise(
        "weight_gradients",
        check_weight_gradients,
        "Start from the gradient with respect to the logits, then follow "
        "z = x W + b back to W and b.",
        "dL/dz = (softmax(z) - y) / batch; dL/dW = x.T @ dL/dz, and dL/db "
        "sums dL/dz over the batch.",
    ),
    Exercise(
        "learning_rate_sweep",
        check_learning_rate_sweep,
        "Train one fresh classifier per rate, each from the same seed, and "
        "measure each on the test digits.",
        "for each rate: fit(LinearClassifier(784, 10, seed=0), data.train_x, "
        "data.train_y, epochs=20, learning_rate=rate), then "
        "accuracy(model(data.test_x), data.test_y).",
    ),
]
