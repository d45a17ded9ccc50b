"""Figures of "Reading other hands": MNIST digits bent by each augmentation of the best
preset, the held-out digits drawn from handwriting fonts as a scan gives them and as the
network reads them, and what each augmentation is worth, read from benchmarks/augmentation.json and
benchmarks/augmentation_full_size.json (`make bench-augmentation`)."""

import json
from dataclasses import fields
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from figures import COLORS, bare, ink
from snippets.uncertainty import wilson_interval

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
# What the build redraws this page's figures for, besides code (docs/hooks/generated.py).
INPUTS = [
    "benchmarks/augmentation.json",
    "benchmarks/augmentation_full_size.json",
]
DIGITS = 8  # the first eight training digits
STEP = 3  # the training step whose random numbers the figure shows
MNIST_TEST, FONT_DIGITS = 10_000, 1_500  # the sizes of the two test sets


def bent_digits():
    """The first DIGITS training digits, bent by each part of the best preset's
    augmentation alone and by all of it, with the random numbers of training step STEP,
    seed 0: what the fast trainer feeds the network at that step."""
    import tensorflow as tf

    from snippets.augment import augment, one_at_a_time
    from snippets.config import PRESETS
    from snippets.mnist_files import load_mnist

    (images, labels), _ = load_mnist()
    rows = tf.constant(images[:DIGITS].reshape(DIGITS, -1) / 255, tf.float32)
    seed = tf.constant(
        [0, STEP], tf.int64
    )  # (config.seed, step), as train_step draws it
    augmentation = PRESETS["best"].augmentation
    return {
        "labels": labels[:DIGITS].tolist(),
        "augmentation": {
            f.name: getattr(augmentation, f.name) for f in fields(augmentation)
        },
        "rows": {
            name: augment(rows, seed, part).numpy().reshape(DIGITS, 28, 28)
            for name, part in one_at_a_time(augmentation).items()
        },
    }


ROW_TITLES = {
    "none": "as MNIST has it",
    "shift": "shifted",
    "rotation": "turned",
    "scale": "scaled",
    "thickness": "thicker or thinner",
    "elastic": "elastic",
    "all": "all at once",
}


def draw_bent_digits(data):
    rows = data["rows"]
    figure, axes = plt.subplots(
        len(rows), 1, figsize=(7.2, 0.95 * len(rows) + 0.2)
    )
    for ax, (name, images) in zip(axes, rows.items()):
        strip = np.concatenate(
            [np.pad(image, 1, constant_values=0.35) for image in images],
            axis=1,
        )
        ax.imshow(strip, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        bare(ax)
        ax.set_ylabel(
            ROW_TITLES[name], rotation=0, ha="right", va="center", fontsize=9
        )
    figure.subplots_adjust(
        left=0.2, right=0.99, top=0.99, bottom=0.01, hspace=0.12
    )
    return figure


def other_hands():
    """Two held-out digits of every class, from different fonts: the page as the scan
    gives it, and the 28x28 network input predict's mnist_style makes of it."""
    from snippets.other_digits import read_raw, to_network_input

    arrays = read_raw()
    raw, labels, sources = arrays["images"], arrays["labels"], arrays["source"]
    names = [str(name) for name in arrays["sources"]]
    picked = []
    for digit in range(10):
        of_digit = np.flatnonzero(labels == digit)
        # two drawings of this digit in two different fonts, spread over the set
        first = of_digit[(digit * 7) % len(of_digit)]
        second = next(
            i for i in of_digit[::-1] if sources[i] != sources[first]
        )
        picked += [first, second]
    return {
        "labels": labels[picked].tolist(),
        "fonts": [names[sources[i]] for i in picked],
        "raw": raw[picked],
        "inputs": np.stack([to_network_input(raw[i]) for i in picked]),
        "size": len(labels),
        "font_count": len(names),
    }


def draw_other_hands(data):
    count = len(data["labels"])
    figure, axes = plt.subplots(2, count, figsize=(9.6, 1.45))
    for column in range(count):
        axes[0, column].imshow(
            data["raw"][column], cmap="gray", vmin=0, vmax=255
        )
        axes[1, column].imshow(
            data["inputs"][column],
            cmap="gray",
            vmin=0,
            vmax=1,
            interpolation="nearest",
        )
        bare(axes[0, column])
        bare(axes[1, column])
        for side in axes[
            0, column
        ].spines.values():  # the edge of the white page
            side.set(visible=True, color="#999999", linewidth=0.6)
    axes[0, 0].set_ylabel(
        "scan", rotation=0, ha="right", va="center", fontsize=9
    )
    axes[1, 0].set_ylabel(
        "input", rotation=0, ha="right", va="center", fontsize=9
    )
    figure.subplots_adjust(
        left=0.06, right=0.995, top=0.98, bottom=0.02, wspace=0.08, hspace=0.08
    )
    return figure


def worth():
    """benchmarks/augmentation.json (short runs: each part of the augmentation alone, none
    and all) and benchmarks/augmentation_full_size.json (the best preset with none and all):
    test accuracy on MNIST and on the held-out digits."""
    return {
        name: json.loads(
            (BENCHMARKS / f"{file}.json").read_text(encoding="utf-8")
        )
        for name, file in [
            ("short", "augmentation"),
            ("full_size", "augmentation_full_size"),
        ]
    }


def draw_worth(data):
    # one bar per run: the short runs, a gap, then the best preset's two runs
    rows = [
        (ROW_TITLES[name], name, run)
        for name, run in data["short"]["runs"].items()
    ]
    rows += [
        (f"best preset, {ROW_TITLES[name]}", name, run)
        for name, run in data["full_size"]["runs"].items()
    ]
    gap = len(data["short"]["runs"])
    places = [row if row < gap else row + 1 for row in range(len(rows))]
    colors = [
        COLORS[5]
        if name == "all"
        else COLORS[4]
        if name == "none"
        else COLORS[0]
        for _, name, _ in rows
    ]
    figure, axes = plt.subplots(1, 2, figsize=(9.6, 4.2), sharey=True)
    sets = [
        ("test_accuracy", "MNIST's test set", MNIST_TEST),
        (
            "other_digits_accuracy",
            "digits from handwriting fonts",
            FONT_DIGITS,
        ),
    ]
    for ax, (key, title, n) in zip(axes, sets):
        values = np.array([run[key] for _, _, run in rows]) * 100
        # each bar's 95 % interval (Wilson) on the n digits of its test set
        intervals = np.array(
            [wilson_interval(round(run[key] * n), n) for _, _, run in rows]
        )
        errors = np.abs(intervals.T * 100 - values)
        bars = ax.barh(
            places,
            values,
            color=colors,
            xerr=errors,
            error_kw={"ecolor": ink(), "elinewidth": 1, "capsize": 2},
        )
        ax.bar_label(
            bars,
            [f"{value:.1f} %" for value in values],
            padding=14,
            fontsize=9,
        )
        ax.set_xlim(min(values) - 2, 100.6)
        ax.axhline(gap, color="gray", linewidth=0.8, linestyle="--")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("test accuracy (%)")
    axes[0].invert_yaxis()  # the axes share y: inverting both would undo it
    axes[0].set_yticks(places, [title for title, _, _ in rows], fontsize=9)
    figure.tight_layout()
    return figure


FIGURES = [
    ("augmentation-bent-digits", bent_digits, draw_bent_digits),
    ("augmentation-other-hands", other_hands, draw_other_hands),
    ("augmentation-worth", worth, draw_worth),
]
