"""Figures of "Rectified linear units": the ReLU and its derivative, and a hidden layer of
ReLUs as a sum of hinges that follows a curve."""

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from figures import COLORS, ink
from snippets.relu import hidden_layer, relu, relu_derivative

HINGES = 5  # ReLUs in the hidden layer of the fitted network
COUNTS = (
    2,
    3,
    4,
    6,
    8,
    12,
    16,
    24,
    32,
)  # hidden layer widths whose error is measured


def function_and_derivative():
    """relu and relu' from snippets/relu.py over [-2, 2], and tf.GradientTape's derivative
    of tf.nn.relu at the same points."""
    x = np.linspace(-2.0, 2.0, 401, dtype=np.float32)
    points = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(points)
        y = tf.nn.relu(points)
    return {
        "x": x,
        "relu": relu(x),
        "derivative": relu_derivative(x),
        "tape": tape.gradient(y, points).numpy(),
    }


def draw_function_and_derivative(data):
    figure, (left, right) = plt.subplots(1, 2, figsize=(7.6, 3.0), sharex=True)
    x = data["x"]
    left.plot(x, data["relu"], color=COLORS[0], linewidth=2)
    left.set_title("relu(x) = max(0, x)", fontsize=11)
    negative, positive = x < 0, x > 0
    right.plot(
        x[negative], data["derivative"][negative], color=COLORS[1], linewidth=2
    )
    right.plot(
        x[positive], data["derivative"][positive], color=COLORS[1], linewidth=2
    )
    right.scatter(
        [0, 0],
        [0, 1],
        s=30,
        color=[COLORS[1], "none"],
        edgecolors=COLORS[1],
        zorder=3,
    )
    right.annotate(
        "0 at x = 0, as TensorFlow",
        (0, 0),
        xytext=(8, 14),
        textcoords="offset points",
        fontsize=9,
    )
    right.set_title("relu′(x): a step", fontsize=11)
    right.set_ylim(-0.2, 1.3)
    for ax in (left, right):
        ax.axhline(0, color=ink(), linewidth=0.5, alpha=0.4)
        ax.axvline(0, color=ink(), linewidth=0.5, alpha=0.4)
        ax.set_xlabel("x")
    figure.tight_layout()
    return figure


def fit_hinges(count, x, target):
    """A hidden layer of ``count`` ReLUs, relu(x - k) with the hinges k evenly spaced over
    the interval, then a linear output layer fitted by least squares. Returns the hinges,
    the hidden layer's outputs, the output weights and bias, and the network's output."""
    knots = np.linspace(x.min(), x.max(), count + 1, dtype=np.float32)[:-1]
    hidden = hidden_layer(
        tf.constant(x[:, None]), tf.ones([1, count]), tf.constant(-knots)
    ).numpy()
    design = np.hstack([hidden, np.ones((len(x), 1), np.float32)])
    solution, *_ = np.linalg.lstsq(
        design.astype(np.float64), target.astype(np.float64), rcond=None
    )
    weights, bias = solution[:-1], solution[-1]
    return {
        "knots": knots,
        "hidden": hidden,
        "weights": weights,
        "bias": bias,
        "output": hidden @ weights + bias,
    }


def hinges():
    """sin x on [-pi, pi] followed by HINGES ReLUs, and the largest error for every width
    in COUNTS."""
    x = np.linspace(
        -np.pi, np.pi, 601, dtype=np.float32
    )  # the hinges fall on points of it
    target = np.sin(x)
    fit = fit_hinges(HINGES, x, target)
    errors = [
        float(np.max(np.abs(fit_hinges(count, x, target)["output"] - target)))
        for count in COUNTS
    ]
    return {
        "x": x,
        "target": target,
        "fit": fit,
        "counts": list(COUNTS),
        "errors": errors,
    }


def draw_hinges(data):
    figure, (left, right) = plt.subplots(
        1, 2, figsize=(8.0, 3.4), gridspec_kw={"width_ratios": [1.5, 1]}
    )
    x, fit = data["x"], data["fit"]
    for index, weight in enumerate(fit["weights"]):
        left.plot(
            x,
            weight * fit["hidden"][:, index],
            color=COLORS[4],
            linewidth=1,
            alpha=0.7,
            label="one ReLU, times its output weight" if index == 0 else None,
        )
    left.plot(
        x, data["target"], color=ink(), linewidth=3, alpha=0.3, label="sin x"
    )
    left.plot(
        x,
        fit["output"],
        color=COLORS[5],
        linewidth=1.8,
        label=f"their sum plus a bias: {len(fit['weights'])} ReLUs",
    )
    left.scatter(
        fit["knots"],
        fit["output"][np.searchsorted(x, fit["knots"])],
        s=18,
        color=COLORS[5],
        zorder=3,
    )
    left.set_xlabel("x")
    left.set_ylim(-2.2, 2.6)
    left.legend(loc="upper left", fontsize=8.5)
    right.loglog(data["counts"], data["errors"], marker="o", color=COLORS[5])
    right.set_xlabel("ReLUs in the hidden layer")
    right.set_ylabel("largest error on [−π, π]")
    right.set_xticks(
        data["counts"][::2], [str(count) for count in data["counts"][::2]]
    )
    right.minorticks_off()
    right.grid(True, alpha=0.5)
    figure.tight_layout()
    return figure


FIGURES = [
    ("relu-function", function_and_derivative, draw_function_and_derivative),
    ("relu-hinges", hinges, draw_hinges),
]
