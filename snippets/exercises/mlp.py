"""Checks of the exercises of "The multilayer perceptron on MNIST" (docs/mlp.md)."""

import math

import numpy as np
import tensorflow as tf

from snippets.config import TrainConfig
from snippets.exercises import Exercise, Wrong, explain, numbers
from snippets.exercises.linear import rerun, small_mnist
from snippets.mlp import MLP, parameter_count


def check_count_parameters(count_parameters):
    for sizes in (
        [784, 256, 10],
        [784, 10],
        [2, 1],
        [784, 256, 128, 64, 10],
        [5, 3, 3, 3, 2],
        [1, 1, 1],
    ):
        expected = parameter_count(
            sizes[1:-1], n_inputs=sizes[0], n_classes=sizes[-1]
        )
        got = count_parameters(list(sizes))
        if got != expected:
            biases = sum(sizes[1:])
            why = " (the biases left out?)" if got == expected - biases else ""
            raise Wrong(
                f"for layers {sizes}: expected {expected:,} parameters, got "
                f"{got}{why}."
            )


def check_mlp_forward(mlp_forward):
    rng = np.random.default_rng(0)
    for hidden, n_inputs, n_classes in (
        ((16,), 20, 5),
        ((8, 4), 6, 3),
        ((), 7, 4),
    ):
        model = MLP(
            hidden=hidden,
            n_inputs=n_inputs,
            n_classes=n_classes,
            seed=len(hidden),
        )
        for (
            _,
            _,
            bias,
        ) in model.layers():  # biases that are not zero, some negative
            bias.assign(rng.standard_normal(bias.shape).astype(np.float32))
        x = rng.random((5, n_inputs), dtype=np.float32)
        weights = [w.numpy() for _, w, _ in model.layers()]
        biases = [b.numpy() for _, _, b in model.layers()]
        expected = model(tf.constant(x)).numpy()
        network = "-".join(map(str, (n_inputs, *hidden, n_classes)))
        what = f"the logits of {network} for a batch of 5"
        got = numbers(mlp_forward(x, weights, biases), expected, what)
        if not np.allclose(got, expected, rtol=1e-4, atol=1e-4):
            if np.all(got >= 0) and np.any(expected < 0):
                raise Wrong(
                    f"{what}: expected {int(np.sum(expected < 0))} negative "
                    "logits, got none: is there a ReLU on the logits?"
                )
            explain(got, expected, what)


def mean_square_after(std, layers=10, width=256, seed=0):
    """The mean square of the activations after ``layers`` ReLU layers whose weights
    are drawn with standard deviation ``std(fan_in)``, starting from a mean square of 1."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((64, width))
    for _ in range(layers):
        a = np.maximum(
            a @ (std(width) * rng.standard_normal((width, width))), 0.0
        )
    return float(np.mean(a**2))


def check_he_std(he_std):
    for fan_in in (1, 2, 10, 256, 784):
        got, expected = he_std(fan_in), math.sqrt(2.0 / fan_in)
        if not math.isclose(float(got), expected, rel_tol=1e-6):
            change = mean_square_after(he_std)
            raise Wrong(
                f"for a fan-in of {fan_in} it gives {float(got):.4g}, not {expected:.4g}: "
                f"through 10 layers of 256 ReLUs the mean square of the activations "
                f"goes from 1 to {change:.3g}."
            )


WIDTHS = (2, 16, 128)


def check_width_sweep(width_sweep):
    from snippets.train import train

    data = small_mnist(1000)
    got = numbers(
        width_sweep(small_mnist(1000), WIDTHS),
        np.zeros(len(WIDTHS)),
        "the test accuracies for the widths 2, 16 and 128",
    )
    config = TrainConfig(hidden=(WIDTHS[1],), epochs=3)
    result = train(config, data=data, log=lambda message: None)
    rerun(
        f"the test accuracy of width {WIDTHS[1]}",
        got[1],
        result.test_accuracy,
        len(data.test_y),
    )
    for (narrow, low), (wide, high) in zip(
        zip(WIDTHS, got), zip(WIDTHS[1:], got[1:])
    ):
        if not high > low + 0.1:
            raise Wrong(
                f"width {wide} should test well above width {narrow} "
                f"({low:.3f}) after these few steps: expected above "
                f"{low + 0.1:.3f}, got {high:.3f}."
            )


EXERCISES = [
    Exercise(
        "count_parameters",
        check_count_parameters,
        "Every layer has a weight for each pair of units it joins, and a bias"
        " per output unit.",
        "each pair of neighbouring sizes (n, m) is a layer with an n x m weight matrix "
        "and m biases.",
    ),
    Exercise(
        "mlp_forward",
        check_mlp_forward,
        "Every layer is a product and a bias; the ReLU comes between layers, "
        "not after the last.",
        "x @ W + b for every layer, a ReLU after every layer but the last: the logits "
        "have no ReLU.",
    ),
    Exercise(
        "he_std",
        check_he_std,
        "A ReLU halves the mean square of what passes through it; the initial"
        " weights must make up for it.",
        "a ReLU keeps half of the second moment, so the n inputs of a unit must make up "
        "for a factor of 2: variance 2 / fan_in.",
    ),
    Exercise(
        "width_sweep",
        check_width_sweep,
        "One fresh network per width, trained the same way from the same "
        "seed, each measured on the test digits.",
        "train(TrainConfig(hidden=(width,), epochs=3), data=data, log=lambda "
        "message: None).test_accuracy for each width.",
    ),
]
