"""Figures of "Dropout": the thinned networks of two training steps beside the whole network
used at evaluation, the expectation that the 1/keep_prob scaling keeps, and the
keep-probability sweep over seeds read from benchmarks/keep_sweep.json
(`make bench-keep`)."""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from matplotlib.colors import to_rgba

from figures import COLORS, ink
from figures.regularization import (  # noqa: F401 (the tests use them)
    best_by_validation,
    by_setting,
    draw_sweep,
)
from snippets.mlp import MLP
from snippets.regularization import dropout

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
KEEP_SWEEP = BENCHMARKS / "keep_sweep.json"
# What the build redraws this page's figures for, besides code (docs/hooks/generated.py).
INPUTS = ["benchmarks/keep_sweep.json"]

KEEP_PROB = 0.5
SIZES = (
    6,
    8,
    8,
    3,
)  # a network small enough to draw every unit: inputs, two hidden, outputs
STEPS = (1, 2)  # the training steps drawn (dropout_seed = (0, step))


def dropout_masks(model, x, dropout_seed):
    """The mask each hidden layer of ``model`` used in the training step with
    ``dropout_seed``: the stateless op's mask depends on its seed and shape only, so dropout
    of ones with the layer's folded seed (as MLP.activations folds it) reproduces it."""
    masks = []
    for index, width in enumerate(model.hidden):
        layer_seed = tf.random.experimental.stateless_fold_in(
            tf.constant(dropout_seed, tf.int64), index
        )
        ones = tf.ones([x.shape[0], width])
        masks.append(
            dropout(ones, model.keep_prob, seed=layer_seed).numpy()
            * model.keep_prob
        )
    return masks


def thinned_networks():
    """One input through a 6-8-8-3 MLP with keep_prob KEEP_PROB: the masks and hidden
    activations of training steps STEPS, and the activations at evaluation."""
    inputs, *hidden, outputs = SIZES
    model = MLP(
        hidden=hidden,
        n_inputs=inputs,
        n_classes=outputs,
        keep_prob=KEEP_PROB,
        seed=3,
    )
    x = tf.random.stateless_uniform([1, inputs], seed=[5, 6])
    panels = {}
    for step in STEPS:
        seed = (0, step)
        activations = [
            a.numpy()[0]
            for a in model.activations(x, training=True, dropout_seed=seed)
        ]
        panels[f"training step {step}"] = {
            "masks": [m[0] for m in dropout_masks(model, x, seed)],
            "activations": activations,
        }
    activations = [a.numpy()[0] for a in model.activations(x)]
    panels["evaluation"] = {
        "masks": [np.ones(width) for width in hidden],
        "activations": activations,
    }
    return {"sizes": SIZES, "keep_prob": KEEP_PROB, "panels": panels}


def draw_thinned_networks(data):
    sizes, scale = data["sizes"], 1 / data["keep_prob"]
    figure, axes = plt.subplots(1, len(data["panels"]), figsize=(9.6, 3.9))
    faint = to_rgba(ink(), 0.12)
    for ax, (title, panel) in zip(axes, data["panels"].items()):
        # Every layer's units as a column; a dropped unit loses its incoming and outgoing lines.
        kept = [
            np.ones(sizes[0], bool),
            *(m > 0 for m in panel["masks"]),
            np.ones(sizes[-1], bool),
        ]
        ys = [np.linspace(-(n - 1) / 2, (n - 1) / 2, n) for n in sizes]
        for layer in range(len(sizes) - 1):
            for i, y0 in enumerate(ys[layer]):
                for j, y1 in enumerate(ys[layer + 1]):
                    live = kept[layer][i] and kept[layer + 1][j]
                    ax.plot(
                        [layer, layer + 1],
                        [y0, y1],
                        color=COLORS[0] if live else faint,
                        linewidth=0.8 if live else 0.5,
                        zorder=1,
                    )
        for layer, (n, y) in enumerate(zip(sizes, ys)):
            hidden = 0 < layer < len(sizes) - 1
            for i in range(n):
                if kept[layer][i]:
                    ax.scatter(
                        layer,
                        y[i],
                        s=190,
                        color=COLORS[1] if hidden else COLORS[4],
                        edgecolors=ink(),
                        linewidths=0.6,
                        zorder=2,
                    )
                    if hidden and title != "evaluation":
                        ax.text(
                            layer,
                            y[i],
                            f"×{scale:g}",
                            fontsize=7,
                            ha="center",
                            va="center",
                            color="#222222",
                            zorder=3,
                        )
                else:
                    ax.scatter(
                        layer,
                        y[i],
                        s=190,
                        facecolors="none",
                        edgecolors=ink(),
                        linewidths=0.8,
                        linestyle=(0, (2, 2)),
                        zorder=2,
                    )
        dropped = sum(int(np.sum(m == 0)) for m in panel["masks"])
        total = sum(len(m) for m in panel["masks"])
        ax.set_title(
            f"{title}\n{dropped} of {total} hidden units dropped", fontsize=10
        )
        ax.set_xticks(
            range(len(sizes)),
            ["input", "hidden 1", "hidden 2", "logits"],
            fontsize=9,
        )
        ax.set_yticks([])
        ax.spines[["left", "bottom"]].set_visible(False)
        ax.tick_params(length=0)
        ax.set_xlim(-0.3, len(sizes) - 0.6)
    figure.tight_layout()
    return figure


MASKS = 2000  # masks averaged per unit
UNITS = 64  # hidden activations checked


def expectation_check():
    """The mean of dropout's output over MASKS masks, for UNITS activations of a hidden layer
    (a 784-64-10 MLP on a uniform random image), against the activations themselves; and the
    running mean of one unit as more masks are averaged."""
    model = MLP(hidden=(UNITS,), seed=0)
    image = tf.random.stateless_uniform([1, 784], seed=[1, 1])
    h = model.activations(image)[0].numpy()[0]
    runs = {}
    for index, keep_prob in enumerate((0.8, 0.5, 0.2)):
        # Each row of the batch gets its own mask: MASKS independent masks in one call.
        dropped = dropout(
            tf.tile(h[None, :], [MASKS, 1]), keep_prob, seed=[7, index]
        ).numpy()
        unit = int(np.argmax(h))
        runs[keep_prob] = {
            "mean": dropped.mean(axis=0),
            "running": np.cumsum(dropped[:, unit]) / np.arange(1, MASKS + 1),
            "unit": unit,
        }
    return {"h": h, "runs": runs}


def draw_expectation_check(data):
    h = data["h"]
    figure, (scatter_ax, running_ax) = plt.subplots(1, 2, figsize=(9.2, 3.9))
    top = float(h.max()) * 1.1
    scatter_ax.plot(
        [0, top],
        [0, top],
        color=ink(),
        linewidth=1,
        linestyle="--",
        label="mean = activation",
    )
    for color, (keep_prob, run) in zip(COLORS, data["runs"].items()):
        scatter_ax.scatter(
            h, run["mean"], s=12, color=color, label=f"keep_prob {keep_prob}"
        )
        unit = run["unit"]
        n = np.arange(1, MASKS + 1)
        running_ax.plot(
            n,
            run["running"],
            color=color,
            linewidth=1.2,
            label=f"keep_prob {keep_prob}",
        )
        spread = h[unit] * np.sqrt(
            (1 - keep_prob) / keep_prob / n
        )  # one standard error
        running_ax.plot(
            n, h[unit] + spread, color=color, linewidth=0.8, linestyle=":"
        )
        running_ax.plot(
            n, h[unit] - spread, color=color, linewidth=0.8, linestyle=":"
        )
    running_ax.axhline(
        h[data["runs"][0.5]["unit"]], color=ink(), linewidth=1, linestyle="--"
    )
    scatter_ax.set_xlabel("activation h of a hidden unit (no dropout)")
    scatter_ax.set_ylabel(f"mean of dropout(h) over {MASKS:,} masks")
    scatter_ax.set_title(f"{UNITS} units of a hidden layer", fontsize=10)
    scatter_ax.legend(fontsize=9, loc="upper left")
    running_ax.set_xscale("log")
    running_ax.set_ylim(bottom=0)
    running_ax.set_xlabel("number of masks averaged")
    running_ax.set_ylabel("running mean of the largest unit")
    running_ax.set_title(
        "the running mean settles on h (dotted: ± one standard error)",
        fontsize=10,
    )
    figure.tight_layout()
    return figure


def keep_sweep():
    """benchmarks/keep_sweep.json: 784-1024-10 on 1,000 digits, dropout on the
    hidden units at keep probabilities from 1 (none) down, over seeds."""
    return by_setting(KEEP_SWEEP)


def draw_keep_sweep(sweep):
    rows = sweep["rows"]
    return draw_sweep(
        rows,
        [row["value"] for row in rows],
        "keep_prob of the hidden units (1: no dropout)",
    )


FIGURES = [
    ("dropout-thinned-networks", thinned_networks, draw_thinned_networks),
    ("dropout-expectation", expectation_check, draw_expectation_check),
    ("dropout-keep-sweep", keep_sweep, draw_keep_sweep),
]
