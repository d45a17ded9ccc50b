"""Figures of "How training moves the weights": a 2-D slice of a real loss,
gradient descent on the narrow valley at three learning rates, SGD, momentum
and Adam on the tilted one, and three real runs with a schedule and label
smoothing."""

import functools

import matplotlib.pyplot as plt
import numpy as np

from figures import COLORS, ink
from snippets.optimisers import (
    EXTENT,
    Setting,
    from_scratch,
    loss,
    loss_slice,
    losses_along,
    smoothed_floor,
    train_small_mlp,
    with_keras,
)

RATES = (0.01, 0.09, 0.101)  # too small, about right, just past 2 / L
COMPARED = (
    Setting(surface="tilted", opt="sgd", lr=0.02),
    Setting(surface="tilted", opt="momentum", lr=0.02, momentum=0.9),
    Setting(surface="tilted", opt="adam", lr=0.3),
)
NAMES = {"sgd": "SGD", "momentum": "momentum 0.9", "adam": "Adam"}


def grid(surface):
    axis = np.linspace(-EXTENT, EXTENT, 161)
    x, y = np.meshgrid(axis, axis)
    return x, y, loss(surface, np.stack([x, y]))


def contours(ax, surface):
    x, y, z = grid(surface)
    levels = np.geomspace(1e-3, z.max(), 14)
    ax.contour(x, y, z, levels=levels, colors=[ink()], linewidths=0.5)
    ax.plot([0], [0], "+", color=ink(), markersize=8)
    ax.set_xlim(-EXTENT, EXTENT)
    ax.set_ylim(-EXTENT, EXTENT)
    ax.set_aspect("equal")
    ax.set_xlabel("x")


def rates():
    """Gradient descent's path on the valley at each rate of RATES."""
    paths = [from_scratch(Setting(surface="valley", lr=r)) for r in RATES]
    return {"rates": RATES, "paths": paths}


def draw_rates(data):
    figure, axes = plt.subplots(1, 3, figsize=(9.0, 3.3), sharey=True)
    titles = ("too small", "about right", "just past 2/L")
    for ax, rate, path, title in zip(
        axes, data["rates"], data["paths"], titles
    ):
        contours(ax, "valley")
        shown = np.clip(path, -1.5 * EXTENT, 1.5 * EXTENT)
        ax.plot(shown[:, 0], shown[:, 1], ".-", color=COLORS[0], lw=1, ms=3)
        steps = len(path) - 1
        ax.set_title(f"rate {rate}: {title}\n{steps} steps", fontsize=10)
    axes[0].set_ylabel("y")
    figure.tight_layout()
    return figure


def paths():
    """SGD, momentum and Adam on the tilted valley: Keras' paths and losses."""
    runs = [with_keras(s) for s in COMPARED]
    return {
        "settings": COMPARED,
        "paths": runs,
        "losses": [losses_along(s.surface, p) for s, p in zip(COMPARED, runs)],
        "from_scratch": [from_scratch(s) for s in COMPARED],
    }


def draw_paths(data):
    figure, (left, right) = plt.subplots(1, 2, figsize=(8.4, 3.6))
    contours(left, "tilted")
    left.set_ylabel("y")
    for k, (s, path, losses) in enumerate(
        zip(data["settings"], data["paths"], data["losses"])
    ):
        label = f"{NAMES[s.opt]}, rate {s.lr}"
        left.plot(path[:, 0], path[:, 1], ".-", color=COLORS[k], lw=1, ms=2)
        right.semilogy(losses, color=COLORS[k], label=label)
    right.set_xlabel("step")
    right.set_ylabel("loss")
    right.legend(fontsize=8)
    figure.tight_layout()
    return figure


PEAK = 0.03  # Adam's peak rate in the schedule runs
SCHEDULE_RUNS = (
    ("constant rate", "constant", 0.0),
    ("warm-up and decay", "warmup-decay", 0.0),
    ("warm-up and decay, smoothing 0.1", "warmup-decay", 0.1),
)


@functools.cache  # the slice below reuses the warm-up and decay run
def schedule_run(schedule, smoothing):
    """A 784-64-10 MLP trained on 3,000 MNIST digits with Adam, and the
    digits: (rates, losses, model), data."""
    from snippets.data import load_dataset

    data = load_dataset(validation_size=1000, limit=3000)
    return train_small_mlp(data, PEAK, schedule, smoothing), data


def schedules():
    """Three real runs of a 784-64-10 MLP on 3,000 MNIST digits with Adam:
    the rate and the training loss at every step."""
    runs = []
    for label, schedule, smoothing in SCHEDULE_RUNS:
        (rates, losses, _), _ = schedule_run(schedule, smoothing)
        runs.append(
            {
                "label": label,
                "schedule": schedule,
                "smoothing": smoothing,
                "rates": rates,
                "losses": losses,
            }
        )
    return {"peak": PEAK, "runs": runs, "floor": smoothed_floor(0.1)}


def draw_schedules(data):
    figure, (left, right) = plt.subplots(1, 2, figsize=(8.4, 3.3))
    for k, run in enumerate(data["runs"]):
        style = "--" if run["smoothing"] else "-"
        left.plot(run["rates"], style, color=COLORS[k], label=run["label"])
        right.semilogy(run["losses"], style, color=COLORS[k], lw=1)
    right.axhline(data["floor"], color=ink(), lw=0.8, ls=":")
    right.annotate(
        "least loss smoothing 0.1 allows",
        (0, data["floor"]),
        xytext=(4, 4),
        textcoords="offset points",
        fontsize=8,
    )
    left.set_xlabel("step")
    left.set_ylabel("learning rate")
    left.legend(fontsize=8)
    right.set_xlabel("step")
    right.set_ylabel("training loss (per batch)")
    figure.tight_layout()
    return figure


def real_slice():
    """The training loss of the trained 784-64-10 MLP (warm-up and decay, no
    smoothing) on a plane through its weights, along two random directions."""
    (_, _, model), data = schedule_run("warmup-decay", 0.0)
    steps, surface = loss_slice(model, data.train_x, data.train_y)
    return {"steps": steps, "loss": surface}


def draw_real_slice(data):
    figure, ax = plt.subplots(figsize=(4.4, 3.8))
    a, b = np.meshgrid(data["steps"], data["steps"])
    levels = np.geomspace(data["loss"].min(), data["loss"].max(), 12)
    shown = ax.contour(
        a, b, data["loss"], levels=levels, colors=[COLORS[0]], linewidths=1
    )
    ax.clabel(shown, fontsize=7, fmt="%.2g")
    ax.plot([0], [0], "+", color=ink(), markersize=10)
    ax.set_xlabel("along direction 1")
    ax.set_ylabel("along direction 2")
    ax.set_aspect("equal")
    figure.tight_layout()
    return figure


FIGURES = [
    ("optimisers-rates", rates, draw_rates),
    ("optimisers-paths", paths, draw_paths),
    ("optimisers-schedules", schedules, draw_schedules),
    ("optimisers-slice", real_slice, draw_real_slice),
]
