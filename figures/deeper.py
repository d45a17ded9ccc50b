"""Figures of "Training deeper networks": the sawtooth whose pieces double with every
layer of two ReLUs, the size of the signal and of the gradient through ten hidden
layers for three starting scales of the weights, and the same through 48 layers for
the plain, residual and normalised blocks of snippets/residual.py."""

import matplotlib.pyplot as plt
import numpy as np

from figures import COLORS
from snippets.data import load_dataset
from snippets.deeper import (
    count_pieces,
    sawtooth,
    set_initial_scale,
    signal_sizes,
)
from snippets.mlp import MLP
from snippets.residual import BLOCKS, sizes_at_start

DEPTHS = (1, 2, 3, 4)  # the sawtooths drawn on the left
COUNTED = tuple(range(1, 9))  # depths whose pieces are counted on the right
LAYERS, WIDTH = 10, 64  # the deep network whose signals are measured
IMAGES = 256  # training images the signals are measured on
SCALES = (
    ("stddev 0.01", 0.01),
    ("He, $\\sqrt{2/n}$", None),
    ("stddev 1", 1.0),
)


def pieces():
    """The sawtooth of every depth in DEPTHS on [0, 1], and for every depth in COUNTED the
    ReLUs it uses (2 per layer), the pieces it has, and the pieces one hidden layer of as
    many ReLUs can have at most (one more than its units)."""
    x = np.linspace(0.0, 1.0, 2**12 + 1)  # a grid that holds every corner
    counted = [count_pieces(x, sawtooth(x, depth)) for depth in COUNTED]
    relus = [2 * depth for depth in COUNTED]
    return {
        "x": x[::4],
        "curves": {depth: sawtooth(x, depth)[::4] for depth in DEPTHS},
        "relus": relus,
        "deep": counted,
        "wide": [count + 1 for count in relus],
    }


def draw_pieces(data):
    figure, (left, right) = plt.subplots(
        1, 2, figsize=(8.0, 3.4), gridspec_kw={"width_ratios": [1.3, 1]}
    )
    for row, (depth, curve) in enumerate(data["curves"].items()):
        offset = 1.35 * (len(data["curves"]) - 1 - row)
        left.plot(data["x"], curve + offset, color=COLORS[row], linewidth=1.6)
        left.text(
            1.03,
            offset + 0.5,
            f"{depth} layer{'s' if depth > 1 else ''}",
            va="center",
            fontsize=9,
            color=COLORS[row],
        )
    left.set_yticks([])
    left.spines["left"].set_visible(False)
    left.set_xlabel("x")
    left.set_xlim(0, 1)
    left.set_title(
        f"the tent applied {min(data['curves'])} to {max(data['curves'])} times",
        fontsize=10,
    )
    right.semilogy(
        data["relus"],
        data["deep"],
        marker="o",
        color=COLORS[5],
        label="layers of 2 ReLUs",
    )
    right.semilogy(
        data["relus"],
        data["wide"],
        marker="s",
        color=COLORS[4],
        label="one hidden layer, at most",
    )
    right.set_xlabel("ReLUs in the network")
    right.set_ylabel("straight pieces")
    right.set_xticks(data["relus"][1::2])
    right.minorticks_off()
    right.grid(True, alpha=0.5)
    right.legend(loc="upper left", fontsize=8.5)
    figure.tight_layout()
    return figure


def signals():
    """RMS of every hidden layer's output h and of the gradient dL/dh, in a fresh
    784-(WIDTH x LAYERS)-10 network on IMAGES training images, for every scale in SCALES."""
    data = load_dataset(validation_size=1000, limit=2000)
    x, labels = data.train_x[:IMAGES], data.train_y[:IMAGES]
    sizes = {}
    for label, stddev in SCALES:
        model = set_initial_scale(MLP(hidden=(WIDTH,) * LAYERS), stddev)
        forward, backward = signal_sizes(model, x, labels)
        sizes[label] = {"h": forward, "gradient": backward}
    return {"layers": list(range(1, LAYERS + 1)), "sizes": sizes}


def label_sizes(figure, axes, layers, legend_title):
    """The two panels of sizes per layer: the signal going up, the gradient
    coming down, one line per kind of network, the legend beside them."""
    axes[0].set_title("output of the layer, h", fontsize=10)
    axes[1].set_title("gradient arriving at it, ∂L/∂h", fontsize=10)
    for ax in axes:
        ax.set_xlabel("hidden layer")
        ax.set_xticks(layers)
        ax.grid(True, alpha=0.5)
        ax.minorticks_off()
    axes[0].set_ylabel("size (root mean square)")
    axes[1].legend(
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        fontsize=9,
        title=legend_title,
        title_fontsize=9,
    )
    figure.tight_layout()
    return figure


def draw_signals(data):
    figure, axes = plt.subplots(1, 2, figsize=(8.0, 3.4), sharex=True)
    for (label, sizes), color in zip(
        data["sizes"].items(), (COLORS[0], COLORS[2], COLORS[5])
    ):
        for ax, key in zip(axes, ("h", "gradient")):
            ax.semilogy(
                data["layers"],
                sizes[key],
                marker="o",
                markersize=4,
                color=color,
                label=label,
            )
    return label_sizes(figure, axes, data["layers"], "initial weights")


RESCUE_LAYERS = 48  # the deep network of the rescue section, at its start


def rescue():
    """RMS of every hidden layer's output h and of the gradient dL/dh in a fresh
    784-(WIDTH x RESCUE_LAYERS)-10 network of every kind of block in
    snippets.residual.BLOCKS, on IMAGES training images (batch norm with the
    batch's statistics, as in training)."""
    data = load_dataset(validation_size=1000, limit=2000)
    x, labels = data.train_x[:IMAGES], data.train_y[:IMAGES]
    sizes = sizes_at_start(RESCUE_LAYERS, x, labels, width=WIDTH)
    return {
        "layers": list(range(1, RESCUE_LAYERS + 1)),
        "sizes": {
            block: {"h": forward, "gradient": backward}
            for block, (forward, backward) in sizes.items()
        },
    }


def draw_rescue(data):
    figure, axes = plt.subplots(1, 2, figsize=(8.0, 3.6), sharex=True)
    styles = dict(zip(BLOCKS, ("o", "s", "^", "v", "D")))
    for index, (block, sizes) in enumerate(data["sizes"].items()):
        for ax, key in zip(axes, ("h", "gradient")):
            ax.semilogy(
                data["layers"],
                sizes[key],
                marker=styles[block],
                markevery=6,
                markersize=4,
                color=COLORS[index],
                label=block,
            )
    return label_sizes(figure, axes, [1, 8, 16, 24, 32, 40, 48], "block")


FIGURES = [
    ("deeper-pieces", pieces, draw_pieces),
    ("deeper-signals", signals, draw_signals),
    ("deeper-rescue", rescue, draw_rescue),
]
