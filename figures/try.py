"""Figures of "Try it: draw a digit": what storing the hidden layer's weights in 8 bits costs,
for a small network trained quickly (the page's own networks train for longer), first in
the weights themselves, then in the probabilities the exported network gives.

This module is named after its page, try.md; ``try`` being a Python keyword, it is loaded with
``importlib.import_module("figures.try")``.
"""

import matplotlib.pyplot as plt
import numpy as np

from figures import COLORS, ink
from figures._preprocessing import FIGURE as PREPROCESSING
from figures._runs import short_run
from snippets.export import SHIPPED_DIGITS, tensorflow_probabilities
from snippets.int8 import dequantise, forward, model_layers, quantise

LIMIT = 2000  # training images of the quick run
VALIDATION = 500  # held out of them
EPOCHS = 1  # epochs of the quick run


def quick_run():
    """784-256-10 trained for EPOCHS epoch on the first LIMIT training images, seed 0."""
    return short_run(EPOCHS, LIMIT, VALIDATION)


def weight_errors():
    """The quick run's hidden-layer weights, their int8 round trip's errors (in the weights'
    units, and in steps of each column's own scale), and the scales."""
    _, result = quick_run()
    weights = result.model.weights["hidden_1"].numpy()
    q, scales = quantise(weights)
    errors = dequantise(q, scales) - weights
    return {
        "weights": weights,
        "errors": errors,
        "steps": errors / scales,
        "scales": scales,
        "levels": int(np.unique(q).size),
    }


def draw_weight_errors(data):
    figure, (left, right) = plt.subplots(1, 2, figsize=(9.6, 3.4))
    bins = np.linspace(-0.5, 0.5, 41)
    left.hist(data["steps"].ravel(), bins=bins, color=COLORS[0], alpha=0.85)
    for edge in (-0.5, 0.5):
        left.axvline(edge, color=ink(), linestyle="--", linewidth=1)
    left.set_xlabel("rounding error, in steps of its column's scale")
    left.set_ylabel("weights")
    left.set_title("never more than half a step", fontsize=10)
    largest = np.abs(data["weights"]).max()
    bins = np.linspace(-largest, largest, 81)
    right.hist(
        data["weights"].ravel(),
        bins=bins,
        color=COLORS[1],
        alpha=0.75,
        label="the weights",
    )
    right.hist(
        data["errors"].ravel(),
        bins=bins,
        color=COLORS[0],
        alpha=0.9,
        label="their rounding errors",
    )
    right.set_yscale("log")
    right.set_xlabel("value")
    right.set_ylabel("weights (log scale)")
    right.set_title(
        f"{data['weights'].size:,} hidden-layer weights", fontsize=10
    )
    right.legend(fontsize=9, loc="upper right")
    figure.tight_layout(w_pad=2.0)
    return figure


def probabilities():
    """Probabilities of the quick run's float32 TensorFlow model and of its export (int8
    hidden layer, snippets.int8.forward) on the first SHIPPED_DIGITS test digits, the
    digits the page ships for its test-digit button."""
    data, result = quick_run()
    images = data.test_x[:SHIPPED_DIGITS]
    exported = forward(model_layers(result.model), images)
    original = tensorflow_probabilities(result.model, images)
    return {
        "exported": exported,
        "original": original,
        "labels": data.test_y[:SHIPPED_DIGITS].argmax(axis=1),
    }


def draw_probabilities(data):
    exported, original = data["exported"], data["original"]
    figure, (left, right) = plt.subplots(1, 2, figsize=(9.6, 3.6))
    chosen = original.argmax(axis=1)
    rows = np.arange(len(chosen))
    left.plot([0, 1], [0, 1], color=ink(), linewidth=0.8, alpha=0.6)
    left.scatter(
        original[rows, chosen],
        exported[rows, chosen],
        s=12,
        color=COLORS[0],
        alpha=0.8,
        linewidths=0,
    )
    left.set_xlabel("TensorFlow (float32)")
    left.set_ylabel("export (int8 hidden layer)")
    left.set_title("probability of TensorFlow's answer", fontsize=10)
    left.set_aspect("equal")
    left.set_xlim(0, 1.02)
    left.set_ylim(0, 1.02)
    differences = (exported - original).ravel()
    largest = np.abs(differences).max()
    right.hist(
        differences, bins=np.linspace(-largest, largest, 41), color=COLORS[2]
    )
    right.set_yscale("log")
    right.set_xlabel("export minus TensorFlow")
    right.set_ylabel("probabilities (log scale)")
    agree = np.mean(exported.argmax(axis=1) == chosen)
    right.set_title(
        f"all {differences.size:,} probabilities; same digit for {agree:.0%}",
        fontsize=10,
    )
    right.ticklabel_format(axis="x", style="sci", scilimits=(-2, 2))
    figure.tight_layout(w_pad=2.5)
    return figure


FIGURES = [
    ("try-weight-errors", weight_errors, draw_weight_errors),
    ("try-probabilities", probabilities, draw_probabilities),
    PREPROCESSING,
]
