"""Figures of "Linear models are limited": what a line cannot separate, and how far a
linear model's output can move."""

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from matplotlib.colors import LinearSegmentedColormap, to_rgba

from figures import COLORS, ink
from snippets.linear import LinearClassifier, accuracy, fit, xor_data
from snippets.mlp import MLP


def circles_data(n=400, seed=0):
    """Class 1 inside a circle of radius 0.6, class 0 in the ring around it (one-hot)."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(-1.0, 1.0, size=(n, 2)).astype(np.float32)
    labels = (np.hypot(points[:, 0], points[:, 1]) < 0.6).astype(np.int64)
    return points, np.eye(2, dtype=np.float32)[labels]


GRID = np.linspace(-1.0, 1.0, 121, dtype=np.float32)
HIDDEN = 16  # ReLUs in the network's one hidden layer
STEPS = 300  # full-batch gradient-descent steps for every model


def decision_regions():
    """The linear model and a 2-HIDDEN-2 ReLU network, each trained on XOR and on circles:
    their accuracy and their probability of class 1 over a grid of the square."""
    grid = np.stack(np.meshgrid(GRID, GRID), axis=-1).reshape(-1, 2)
    results = {}
    for problem, make in (("XOR", xor_data), ("circles", circles_data)):
        points, labels = make()
        for kind in ("linear", "ReLU network"):
            model = (
                LinearClassifier(2, 2)
                if kind == "linear"
                else MLP(hidden=(HIDDEN,), n_inputs=2, n_classes=2, seed=0)
            )
            fit(model, points, labels, epochs=STEPS, learning_rate=0.5)
            probability = tf.nn.softmax(model(grid))[:, 1].numpy()
            results[(problem, kind)] = {
                "points": points,
                "labels": labels.argmax(axis=1),
                "accuracy": accuracy(model(points), labels),
                "probability": probability.reshape(len(GRID), len(GRID)),
            }
    return results


# Probability of class 1, from class 0's colour through see-through (0.5) to class 1's.
CLASS_MAP = LinearSegmentedColormap.from_list(
    "classes",
    [
        to_rgba(COLORS[0], 0.45),
        to_rgba(COLORS[0], 0.0),
        to_rgba(COLORS[1], 0.0),
        to_rgba(COLORS[1], 0.45),
    ],
    N=256,
)


def draw_decision_regions(results):
    figure, axes = plt.subplots(
        2, 2, figsize=(7.2, 7.0), sharex=True, sharey=True
    )
    for ax, ((problem, kind), run) in zip(axes.flat, results.items()):
        # The map goes into the SVG as its own small picture, which the browser scales.
        ax.imshow(
            run["probability"],
            extent=(-1, 1, -1, 1),
            origin="lower",
            cmap=CLASS_MAP,
            vmin=0,
            vmax=1,
            interpolation="none",
        )
        ax.contour(
            GRID,
            GRID,
            run["probability"],
            levels=[0.5],
            colors=[ink()],
            linewidths=1.5,
        )
        shown = slice(
            0, 160
        )  # enough points to see the pattern, few enough for a light file
        for label, marker in ((0, "o"), (1, "^")):
            chosen = run["labels"][shown] == label
            ax.scatter(
                *run["points"][shown][chosen].T,
                s=12,
                marker=marker,
                color=COLORS[label],
                label=f"class {label}",
            )
        ax.set_title(
            f"{kind} on {problem}: {run['accuracy']:.0%} right", fontsize=11
        )
        ax.set_aspect("equal")
    axes[0, 0].legend(loc="upper left", bbox_to_anchor=(0, 1.22), ncol=2)
    figure.tight_layout()
    return figure


def output_change_bound(count=150, seed=0):
    """How far the logits of a 784-10 linear model move, ||delta W||, when its input moves
    by delta: for random directions, and for the worst direction (W's top singular vector),
    where the bound ||delta|| ||W|| is met exactly. For W and for 10 W."""
    rng = np.random.default_rng(seed)
    weights = rng.normal(0, 0.05, size=(784, 10)).astype(np.float32)
    sizes = rng.uniform(0.0, 1.0, size=count).astype(np.float32)
    random = rng.normal(size=(count, 784)).astype(np.float32)
    random *= (sizes / np.linalg.norm(random, axis=1))[:, None]
    worst_direction = np.linalg.svd(weights)[0][
        :, 0
    ]  # the input direction W stretches most
    worst = sizes[:30, None] * worst_direction
    runs = {}
    for scale in (1, 10):
        scaled = weights * scale
        runs[scale] = {
            "norm": float(
                np.linalg.norm(scaled, ord=2)
            ),  # largest singular value
            "random": (sizes, np.linalg.norm(random @ scaled, axis=1)),
            "worst": (sizes[:30], np.linalg.norm(worst @ scaled, axis=1)),
        }
    return runs


def draw_output_change_bound(runs):
    figure, ax = plt.subplots(figsize=(6.4, 4.2))
    for color, (scale, run) in zip(COLORS, runs.items()):
        weights = "W" if scale == 1 else f"{scale} W"
        ax.plot(
            [0, 1], [0, run["norm"]], color=color, linewidth=1, linestyle="--"
        )
        ax.scatter(
            *run["worst"],
            s=22,
            marker="^",
            color=color,
            label=f"{weights}, worst direction (on the bound, slope ||{weights}|| = {run['norm']:.1f})",
        )
        ax.scatter(
            *run["random"],
            s=10,
            color=color,
            alpha=0.6,
            label=f"{weights}, random directions",
        )
    ax.set_xlabel("||δ||, the size of the change to the input")
    ax.set_ylabel("||z(x + δ) − z(x)||, the change of the logits")
    ax.legend(loc="upper left", fontsize=9)
    figure.tight_layout()
    return figure


FIGURES = [
    ("linear-decision-regions", decision_regions, draw_decision_regions),
    ("linear-output-change", output_change_bound, draw_output_change_bound),
]
