"""Figures of "Finetuning": which variables load_matching_layers restores and which start
new, and a network trained on the digits 0-4 adapted to the digits 5-9 from scratch,
finetuned, and finetuned with its first layer frozen, read from benchmarks/transfer.json
(`make bench-finetuning`)."""

import json
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.patches import FancyBboxPatch

from figures import COLORS
from snippets.checkpoint import (
    latest_checkpoint,
    model_shapes,
    save_model,
    saved_shapes,
)
from snippets.finetune import WAYS, load_matching_layers
from snippets.mlp import MLP, layer_names
from snippets.uncertainty import seed_spread

SAVED = (256,)  # the course's 784-256-10, saved
CHANGES = {  # the changed networks, and how each is loaded
    "784-256-128-10, new_head=True": ((256, 128), {"new_head": True}),
    "784-512-10, allow_partial=True": ((512,), {"allow_partial": True}),
}


def restored_layers():
    """The saved network's variables with their shapes, and for each changed network, every
    variable with its shape and what load_matching_layers reported for it."""
    with tempfile.TemporaryDirectory() as folder:
        save_model(MLP(hidden=SAVED), folder)
        prefix = latest_checkpoint(folder)
        saved = {
            name: list(shape)
            for name, shape in saved_shapes(prefix, "model").items()
        }
        networks = {}
        for title, (hidden, flags) in CHANGES.items():
            model = MLP(hidden=hidden, seed=1)
            report = load_matching_layers(model, folder, **flags)
            status = {name: "restored" for name in report["restored"]}
            status.update(
                {
                    entry.split(" ")[0]: entry.split(" ", 1)[1].strip("()")
                    for entry in report["new"]
                }
            )
            networks[title] = {
                "layers": layer_names(len(hidden)),
                "hidden": hidden,
                "shapes": {
                    name: list(shape)
                    for name, shape in model_shapes(model).items()
                },
                "status": status,
            }
    return {
        "saved": {"layers": layer_names(len(SAVED)), "shapes": saved},
        "networks": networks,
    }


def _variable_box(ax, x, y, text, color, filled):
    ax.add_patch(
        FancyBboxPatch(
            (x - 0.44, y - 0.17),
            0.88,
            0.34,
            boxstyle="round,pad=0.02",
            facecolor=to_rgba(color, 0.4) if filled else "none",
            edgecolor=color,
            linewidth=1.4,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=8.5)


def draw_restored_layers(data):
    rows = [
        (
            "saved checkpoint: 784-256-10",
            data["saved"]["layers"],
            data["saved"]["shapes"],
            None,
        )
    ]
    rows += [
        (title, net["layers"], net["shapes"], net["status"])
        for title, net in data["networks"].items()
    ]
    figure, ax = plt.subplots(figsize=(8.8, 5.4))
    for row, (title, layers, shapes, status) in enumerate(rows):
        y0 = -row * 1.8
        ax.text(-0.5, y0 + 0.42, title, fontsize=10, ha="left", va="bottom")
        for column, layer in enumerate(layers):
            for offset, table in ((0.0, "weights"), (-0.62, "biases")):
                name = f"{table}/{layer}"
                state = "saved" if status is None else status[name]
                color = {"saved": COLORS[4], "restored": COLORS[2]}.get(
                    state, COLORS[5]
                )
                label = f"{name} {shapes[name]}"
                _variable_box(
                    ax,
                    column * 1.0 + 0.1,
                    y0 + offset,
                    label,
                    color,
                    state == "restored",
                )
                if state not in ("saved", "restored"):
                    ax.text(
                        column * 1.0 + 0.1,
                        y0 + offset - 0.19,
                        state,
                        ha="center",
                        va="top",
                        fontsize=7,
                        color=COLORS[5],
                    )
    ax.scatter(
        [],
        [],
        marker="s",
        s=60,
        color=to_rgba(COLORS[2], 0.4),
        edgecolors=COLORS[2],
        label="restored from the checkpoint",
    )
    ax.scatter(
        [],
        [],
        marker="s",
        s=60,
        facecolors="none",
        edgecolors=COLORS[5],
        label="new: keeps its random start",
    )
    ax.legend(
        loc="upper right", bbox_to_anchor=(1.0, 1.12), fontsize=9, ncol=2
    )
    ax.set_xlim(-0.6, 2.6)
    ax.set_ylim(-1.8 * (len(rows) - 1) - 0.95, 0.85)
    ax.axis("off")
    figure.tight_layout()
    return figure


RESULTS = (
    Path(__file__).resolve().parent.parent / "benchmarks" / "transfer.json"
)
# What the build redraws this page's figures for, besides code (docs/hooks/generated.py).
INPUTS = ["benchmarks/transfer.json"]


def transfer_accuracies(run):
    """From a transfer run (benchmarks/transfer.py): per number of examples a class, per
    way, the test accuracy on the digits 5-9 of every seed, in the seeds' order."""
    n = run["test_digits"]
    return {
        int(per_class): {
            way: [
                seed_run["per_class"][per_class]["correct"][way] / n
                for seed_run in run["runs"]
            ]
            for way in WAYS
        }
        for per_class in map(str, run["config"]["per_class"])
    }


def learning_curve():
    """benchmarks/transfer.json (`make bench-finetuning`), read, not trained: per way, the
    accuracy on the test set's digits 5-9 of every seed at each number of labelled
    examples a class, their mean, and the lowest and highest seed."""
    run = json.loads(RESULTS.read_text(encoding="utf-8"))
    accuracies = transfer_accuracies(run)
    sizes = sorted(accuracies)
    ways = {}
    for way in WAYS:
        spreads = [seed_spread(accuracies[size][way]) for size in sizes]
        ways[way] = {
            "seeds": [accuracies[size][way] for size in sizes],
            "mean": [spread.mean for spread in spreads],
            "low": [spread.low for spread in spreads],
            "high": [spread.high for spread in spreads],
        }
    return {
        "per_class": sizes,
        "ways": ways,
        "seeds": len(run["runs"]),
        "steps": run["config"]["steps"],
        "test_digits": run["test_digits"],
    }


def draw_learning_curve(data):
    figure, (ax, gap) = plt.subplots(
        1, 2, figsize=(10.0, 4.2), gridspec_kw={"width_ratios": [1.25, 1]}
    )
    sizes = np.array(data["per_class"], dtype=float)
    styles = {
        WAYS[0]: (COLORS[0], "o", "-"),
        WAYS[1]: (COLORS[2], "D", "-"),
        WAYS[2]: (COLORS[1], "s", "--"),
    }
    scratch = np.array(data["ways"][WAYS[0]]["seeds"])
    for index, (way, curve) in enumerate(data["ways"].items()):
        color, marker, line = styles[way]
        nudge = 1.07 ** (index - 1)  # side by side, not on top of each other
        seeds = np.array(curve["seeds"])  # one row per size
        ax.fill_between(
            sizes,
            100 * np.array(curve["low"]),
            100 * np.array(curve["high"]),
            color=color,
            alpha=0.15,
            linewidth=0,
        )
        for size, row in zip(sizes, seeds):
            ax.scatter(
                [size * nudge] * len(row),
                100 * row,
                s=9,
                color=color,
                alpha=0.6,
                linewidths=0,
            )
        ax.plot(
            sizes,
            100 * np.array(curve["mean"]),
            color=color,
            marker=marker,
            linestyle=line,
            markersize=5,
            label=way,
        )
        if way == WAYS[0]:
            continue
        lead = 100 * (seeds - scratch)  # the same seed's from scratch
        for size, row in zip(sizes, lead):
            gap.scatter(
                [size * nudge] * len(row),
                row,
                s=12,
                color=color,
                alpha=0.6,
                linewidths=0,
            )
        gap.plot(
            sizes,
            lead.mean(axis=1),
            color=color,
            marker=marker,
            linestyle=line,
            markersize=5,
            label=way,
        )
    gap.axhline(0, color=COLORS[0], linewidth=1.2, label=WAYS[0])
    for axes in (ax, gap):
        axes.set_xscale("log")
        axes.set_xticks(sizes, [f"{int(size):,}" for size in sizes])
        axes.minorticks_off()
        axes.set_xlabel("labelled examples of each digit 5-9 (log scale)")
        axes.grid(True, linewidth=0.5)
    ax.set_ylabel(
        f"accuracy on the {data['test_digits']:,} test digits 5-9 (%)"
    )
    ax.legend(loc="lower right", fontsize=9)
    gap.set_ylabel("ahead of from scratch, same seed (points)")
    gap.legend(loc="upper right", fontsize=9)
    figure.tight_layout()
    return figure


FIGURES = [
    ("finetuning-restored-layers", restored_layers, draw_restored_layers),
    ("finetuning-learning-curve", learning_curve, draw_learning_curve),
]
