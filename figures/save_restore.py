"""Figures of "Save and restore": what a save of the course's network writes to disk, and
what a training checkpoint holds beside the weights so that a run can resume.

Both read real checkpoints, written into a temporary folder by the code the chapter
teaches, back with ``tf.train.list_variables``."""

import math
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import tensorflow as tf

from figures import COLORS, ink
from snippets.checkpoint import latest_checkpoint, save_model
from snippets.data import load_dataset
from snippets.mlp import MLP
from snippets.train import TrainConfig, train

HIDDEN = (256,)  # the course's network, saved by save_model
TRAINED = (16,)  # the small network trained with checkpoints
LIMIT, EPOCHS, BATCH = (
    1000,
    1,
    100,
)  # its short run: 500 training images after validation
MARKER = "/.ATTRIBUTES/VARIABLE_VALUE"


def entries(prefix):
    """(name, shape, number of values) for every entry of the checkpoint at ``prefix``
    but the object graph (a string that says how the entries hang together), with
    TensorFlow's attribute suffix removed from the names. Python state, saved as a
    string, counts no values."""
    return [
        (
            name.replace(MARKER, ""),
            tuple(shape),
            0 if name.endswith("/py_state") else math.prod(shape),
        )
        for name, shape in tf.train.list_variables(prefix)
        if not name.startswith("_CHECKPOINTABLE")
    ]  # the object graph, not a variable


def contents():
    """Save the course's 784-256-10 with save_model into a temporary folder; return its
    files with their sizes in bytes and the checkpoint's entries."""
    with tempfile.TemporaryDirectory() as folder:
        prefix = save_model(MLP(hidden=HIDDEN, seed=1), folder)
        files = sorted(
            (path.name, path.stat().st_size) for path in Path(folder).iterdir()
        )
        return {
            "files": files,
            "entries": entries(prefix),
            "prefix": Path(prefix).name,
        }


def draw_contents(data):
    files = sorted(data["files"], key=lambda item: item[1])
    variables = data["entries"]
    figure, (top, bottom) = plt.subplots(
        2,
        1,
        figsize=(7.6, 4.6),
        gridspec_kw={"height_ratios": [len(files), len(variables)]},
    )
    names = [name for name, _ in files]
    top.barh(names, [size for _, size in files], color=COLORS[4])
    for row, (_, size) in enumerate(files):
        top.text(size * 1.15, row, f"{size:,} bytes", va="center", fontsize=9)
    top.set_title(
        "the files in the folder (bar length: log scale)",
        fontsize=10,
        loc="left",
    )
    labels = [f"{name}  {list(shape)}" for name, shape, _ in variables]
    bottom.barh(labels, [count for _, _, count in variables], color=COLORS[0])
    for row, (_, _, count) in enumerate(variables):
        bottom.text(count * 1.15, row, f"{count:,}", va="center", fontsize=9)
    bottom.set_title(
        f"the variables in {data['prefix']}, by path and shape (values, log scale)",
        fontsize=10,
        loc="left",
    )
    for ax in (top, bottom):
        ax.set_xscale("log")
        ax.set_xlim(0.7, 5e7)
        ax.invert_yaxis()
        ax.tick_params(axis="y", length=0, labelsize=9)
        ax.spines["left"].set_visible(False)
        ax.minorticks_off()
        ax.xaxis.set_visible(False)
        ax.spines["bottom"].set_visible(False)
    figure.tight_layout()
    return figure


def training_checkpoint():
    """Train a 784-16-10 for EPOCHS epoch(s) with checkpoints into a temporary folder; return
    the newest checkpoint's entries grouped by the object they belong to, and the values
    of the counters a resumed run continues from."""
    data = load_dataset(validation_size=LIMIT // 2, limit=LIMIT)
    config = TrainConfig(
        hidden=TRAINED, epochs=EPOCHS, batch_size=BATCH, seed=0
    )
    with tempfile.TemporaryDirectory() as folder:
        train(
            config, data=data, checkpoint_dir=folder, log=lambda message: None
        )
        prefix = latest_checkpoint(folder)
        reader = tf.train.load_checkpoint(prefix)
        counters = {
            name: int(reader.get_tensor(name + MARKER))
            for name in ("epoch", "optimizer/_iterations", "save_counter")
        }
        found = entries(prefix)
    groups = {}
    for name, shape, count in found:
        group = name.split("/", 1)[0]
        groups.setdefault(group, []).append((name, shape, count))
    return {
        "groups": groups,
        "counters": counters,
        "steps": len(data.train_x) // BATCH,
        "train_images": len(data.train_x),
    }


DESCRIPTIONS = {
    "model": "the weights and biases now",
    "best": "the weights of the best epoch",
    "optimizer": "Adam: two averages per weight, step, rate",
    "early_stopping": "best epoch, best score, epochs without gain",
    "history": "the table of past epochs",
    "epoch": "finished epochs",
    "save_counter": "saves so far",
}


def draw_training_checkpoint(data):
    order = list(DESCRIPTIONS)
    groups = sorted(
        data["groups"].items(),
        key=lambda item: (
            order.index(item[0]) if item[0] in order else len(order)
        ),
    )
    figure, ax = plt.subplots(figsize=(7.8, 3.6))
    for row, (group, items) in enumerate(groups):
        values = sum(count for _, _, count in items)
        color = (
            COLORS[0]
            if group in ("model", "best")
            else COLORS[1]
            if group == "optimizer"
            else COLORS[2]
        )
        ax.barh(
            row, max(values, 1), color=color, alpha=1.0 if values else 0.35
        )
        what = DESCRIPTIONS.get(group, "")
        amount = (
            f"{values:,} value{'s' if values != 1 else ''}"
            if values
            else "Python state"
        )
        ax.text(
            max(values, 1) * 1.25,
            row,
            f"{amount} in {len(items)} entr{'ies' if len(items) > 1 else 'y'}: {what}",
            va="center",
            fontsize=9,
        )
    ax.set_yticks(range(len(groups)), [group for group, _ in groups])
    ax.set_xscale("log")
    ax.set_xlim(0.7, 1e9)
    ax.invert_yaxis()
    ax.tick_params(axis="y", length=0, labelsize=10)
    ax.spines["left"].set_visible(False)
    ax.spines["bottom"].set_visible(False)
    ax.xaxis.set_visible(False)
    counters = data["counters"]
    ax.set_title(
        f"a training checkpoint after {data['steps']} steps: epoch = {counters['epoch']}, "
        f"optimizer step = {counters['optimizer/_iterations']}, "
        f"save_counter = {counters['save_counter']}",
        fontsize=10,
        loc="left",
        color=ink(),
    )
    figure.tight_layout()
    return figure


FIGURES = [
    ("save-restore-files", contents, draw_contents),
    ("save-restore-training", training_checkpoint, draw_training_checkpoint),
]
