"""Figures of "Finetuning": which variables load_matching_layers restores and which start
new, and a grown network trained from scratch, finetuned, and finetuned with its restored
layer frozen."""

import tempfile
from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.patches import FancyBboxPatch

from figures import COLORS, ink
from snippets.checkpoint import (
    latest_checkpoint,
    model_shapes,
    save_model,
    saved_shapes,
)
from snippets.data import load_dataset
from snippets.finetune import (
    fit_variables,
    load_matching_layers,
    variables_to_train,
)
from snippets.mlp import MLP, layer_names
from snippets.train import TrainConfig, train

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


LIMIT = 2000  # training images for the base network
FEW = 300  # of them, the only ones the grown network trains on
BASE_EPOCHS = 3
EPOCHS = 4
BASE, GROWN = (64,), (64, 32)


def finetuned_vs_scratch(seed=0):
    """A 784-64-10 trained for BASE_EPOCHS on LIMIT images, grown into 784-64-32-10 with a
    new head, then trained for EPOCHS on the first FEW images only in three ways: from
    scratch, finetuned with every layer training, and finetuned with the restored layer
    frozen. The same fit_variables loop, seed and batches for all three; validation accuracy
    before training (epoch 0) and after each epoch.

    ``seed`` draws the base network's start and batches and the grown network's new layers
    and batches; the figure is seed 0, benchmarks/finetuning_seeds.py runs more."""
    data = load_dataset(validation_size=1000, limit=LIMIT)
    few = replace(data, train_x=data.train_x[:FEW], train_y=data.train_y[:FEW])
    curves = {}
    with tempfile.TemporaryDirectory() as folder:
        base = train(
            TrainConfig(
                hidden=BASE,
                epochs=BASE_EPOCHS,
                patience=BASE_EPOCHS,
                seed=seed,
            ),
            data=data,
            checkpoint_dir=folder,
            log=lambda message: None,
        )
        for label, restore, freeze in (
            ("from scratch", False, False),
            ("finetuned, all layers train", True, False),
            ("finetuned, restored layer frozen", True, True),
        ):
            model = MLP(
                hidden=GROWN, seed=seed + 1
            )  # the same random start for the new layers
            report = (
                load_matching_layers(model, folder, new_head=True)
                if restore
                else {"restored": []}
            )
            if restore:
                restored, new = report["restored"], report["new"]
            frozen_value = model.weights["hidden_1"].numpy()
            curves[label] = fit_variables(
                model,
                variables_to_train(model, report, freeze),
                few,
                epochs=EPOCHS,
                seed=seed + 1,
            )
            if freeze:
                unchanged = bool(
                    np.array_equal(
                        model.weights["hidden_1"].numpy(), frozen_value
                    )
                )
    return {
        "curves": curves,
        "restored": restored,
        "new": new,
        "frozen_unchanged": unchanged,
        "base_accuracy": max(row["valid_accuracy"] for row in base.history),
    }


def draw_finetuned_vs_scratch(data):
    figure, ax = plt.subplots(figsize=(6.4, 3.8))
    styles = (
        (COLORS[0], "o", "-"),
        (COLORS[2], "o", "-"),
        (COLORS[1], "s", "--"),
    )
    for (color, marker, line), (label, curve) in zip(
        styles, data["curves"].items()
    ):
        ax.plot(
            np.arange(len(curve)),
            [100 * a for a in curve],
            color=color,
            marker=marker,
            linestyle=line,
            markersize=4,
            label=label,
        )
    ax.axhline(
        100 * data["base_accuracy"], color=ink(), linewidth=1, linestyle=":"
    )
    ax.text(
        0.02,
        100 * data["base_accuracy"],
        f"the saved 784-64-10, trained on {LIMIT:,} images",
        transform=ax.get_yaxis_transform(),
        va="bottom",
        fontsize=8,
    )
    ax.set_xlabel(
        f"epochs of training of the grown 784-64-32-10, on {FEW} images"
    )
    ax.set_ylabel("validation accuracy (%)")
    ax.set_xticks(range(EPOCHS + 1))
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, 0.92), fontsize=9)
    ax.grid(True, axis="y", linewidth=0.5)
    figure.tight_layout()
    return figure


FIGURES = [
    ("finetuning-restored-layers", restored_layers, draw_restored_layers),
    ("finetuning-vs-scratch", finetuned_vs_scratch, draw_finetuned_vs_scratch),
]
