"""Figures of "More than one device": data parallelism on a real batch, and what a step on
several devices costs, read from benchmarks/distributed.json (`make bench-distributed`)."""

import json
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch, Rectangle

from figures import COLORS, bare, ink

RESULTS = (
    Path(__file__).resolve().parent.parent / "benchmarks" / "distributed.json"
)
# What the build redraws this page's figures for, besides code (docs/hooks/generated.py).
INPUTS = ["benchmarks/distributed.json"]
REPLICAS = 2


def data_parallel_step():
    """One step of the course's network on a global batch of 64 MNIST images, split
    between two replicas as snippets.data_parallel splits it: the norm of each replica's
    gradient (its slice's losses divided by the global batch), of their sum, and of the
    gradient one device computes on the whole batch."""
    import numpy as np
    import tensorflow as tf

    from snippets.config import PRESETS
    from snippets.data import load_dataset
    from snippets.mlp import MLP

    batch = PRESETS["course"].batch_size
    data = load_dataset(limit=batch)
    model = MLP((256,), seed=0)

    def gradient(rows):
        with tf.GradientTape() as tape:
            per_example = tf.nn.softmax_cross_entropy_with_logits(
                data.train_y[rows], model(data.train_x[rows])
            )
            loss = tf.nn.compute_average_loss(
                per_example, global_batch_size=batch
            )
        return [
            g.numpy() for g in tape.gradient(loss, model.trainable_variables)
        ]

    bounds = [
        (r * batch // REPLICAS, (r + 1) * batch // REPLICAS)
        for r in range(REPLICAS)
    ]
    parts = [gradient(slice(start, stop)) for start, stop in bounds]
    summed = [sum(tensors) for tensors in zip(*parts)]
    whole = gradient(slice(0, batch))

    def norm(tensors):
        return float(
            np.sqrt(sum(np.sum(t.astype(np.float64) ** 2) for t in tensors))
        )

    difference = max(
        float(np.max(np.abs(a - b))) for a, b in zip(summed, whole)
    )
    return {
        "batch": batch,
        "bounds": bounds,
        "labels": data.train_y.argmax(1).tolist(),
        "replica_norms": [norm(p) for p in parts],
        "sum_norm": norm(summed),
        "whole_norm": norm(whole),
        "largest_difference": difference,
    }


def _box(ax, x, y, width, height, text, color, size=9):
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0.02",
            facecolor="none",
            edgecolor=color,
            linewidth=1.5,
        )
    )
    ax.text(
        x, y, text, ha="center", va="center", fontsize=size, linespacing=1.3
    )


def _arrow(ax, start, end):
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops=dict(
            arrowstyle="-|>", color=ink(), linewidth=1.0, shrinkA=0, shrinkB=0
        ),
    )


def draw_data_parallel_step(data):
    figure, ax = plt.subplots(figsize=(10.0, 4.6))
    batch, bounds = data["batch"], data["bounds"]
    # the global batch: one cell per image, its digit written in it; each replica's
    # slice as a block above it, in its colour
    centers = [2.2, 6.2]
    per_line = 16
    cell = 3.2 / per_line
    for replica, (start, stop) in enumerate(bounds):
        left = centers[replica] - 1.6
        for row in range(start, stop):
            column, line = (row - start) % per_line, (row - start) // per_line
            x, y = left + column * cell, 3.7 - line * cell * 1.2
            ax.add_patch(
                Rectangle(
                    (x, y),
                    cell * 0.9,
                    cell * 1.05,
                    facecolor=COLORS[replica],
                    alpha=0.85,
                    edgecolor="none",
                )
            )
            ax.text(
                x + cell * 0.45,
                y + cell * 0.52,
                str(data["labels"][row]),
                ha="center",
                va="center",
                fontsize=6.5,
                color="white",
            )
    ax.text(
        4.2,
        4.05,
        f"the global batch: {batch} images (--batch-size {batch}), "
        "one slice per replica",
        fontsize=10,
        va="bottom",
        ha="center",
    )
    for replica, ((start, stop), x) in enumerate(zip(bounds, centers)):
        _box(
            ax,
            x,
            2.1,
            3.2,
            0.8,
            f"replica {replica} on device {replica}: rows {start} to {stop - 1}\n"
            f"gradient of its {stop - start} losses / {batch}: norm "
            f"{data['replica_norms'][replica]:.3f}",
            COLORS[replica],
        )
        _arrow(ax, (x, 3.25), (x, 2.52))
        _arrow(ax, (x, 1.68), (4.2, 1.12))
    _box(
        ax,
        4.2,
        0.75,
        5.4,
        0.7,
        f"all-reduce: the two gradients summed, norm {data['sum_norm']:.3f}\n"
        f"one device, whole batch: norm {data['whole_norm']:.3f} "
        f"(largest difference {data['largest_difference']:.0e})",
        ink(),
    )
    for x in centers:
        _arrow(ax, (4.2, 0.38), (x, -0.18))
        _box(
            ax,
            x,
            -0.45,
            3.2,
            0.5,
            "the same update: the copies stay identical",
            COLORS[2],
            size=8.5,
        )
    ax.set_xlim(0, 8.6)
    ax.set_ylim(-0.8, 4.4)
    bare(ax)
    figure.tight_layout()
    return figure


def step_cost():
    """The benchmark's milliseconds per step on each number of devices, with the
    all-reduce's share, and the machine it ran on."""
    results = json.loads(RESULTS.read_text())
    return {
        "step_ms": {int(k): v for k, v in results["step_ms"].items()},
        "all_reduce_ms": {
            int(k): v for k, v in results["all_reduce_ms"].items()
        },
        "devices": results["devices"],
        "processor": results["processor"]["model_name"],
        "batch": results["global_batch"],
    }


def draw_step_cost(data):
    figure, ax = plt.subplots(figsize=(8.0, 3.6))
    counts = sorted(data["step_ms"])
    one = data["step_ms"][1]
    for y, count in enumerate(counts):
        total = data["step_ms"][count]
        reduce = data["all_reduce_ms"].get(count, 0.0)
        ax.barh(
            y,
            min(one, total),
            color=COLORS[0],
            label="the work of one device's step" if y == 0 else None,
        )
        if count > 1:
            ax.barh(
                y,
                reduce,
                left=one,
                color=COLORS[1],
                label="the all-reduce of the gradients" if y == 1 else None,
            )
            ax.barh(
                y,
                max(0.0, total - one - reduce),
                left=one + reduce,
                color=COLORS[4],
                label="the rest: a replica per device, on the same cores"
                if y == 1
                else None,
            )
        ax.text(total + 0.1, y, f"{total:.1f} ms", va="center", fontsize=9)
    ax.set_yticks(
        range(len(counts)),
        [f"{c} device{'s' if c > 1 else ''}" for c in counts],
    )
    ax.invert_yaxis()
    ax.set_xlabel(
        f"milliseconds per step, global batch {data['batch']} "
        f"({data['devices']}, {data['processor']})"
    )
    ax.set_xlim(0, max(data["step_ms"].values()) * 1.25)
    ax.legend(
        loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, fontsize=8.5
    )
    figure.tight_layout()
    return figure


FIGURES = [
    ("distributed-data-parallel", data_parallel_step, draw_data_parallel_step),
    ("distributed-step-cost", step_cost, draw_step_cost),
]
