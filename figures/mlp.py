"""Figures of "The multilayer perceptron on MNIST": a short, seeded run of the course's
784-256-10 (its curves, its confusion matrix, the digits it gets wrong) and what its hidden
units look at."""

import functools

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from matplotlib.colors import LinearSegmentedColormap, to_rgba

from figures import COLORS, bare, ink
from figures._runs import short_run
from snippets.uncertainty import accuracy_of

LIMIT = 3000  # training images of the short run
VALIDATION = 1000  # validation images held out of training
EPOCHS = 5  # epochs of the short run
UNITS = 12  # hidden units whose weights are shown


def course_run():
    """The short run this chapter's figures show, and the home page's: EPOCHS epochs on
    LIMIT images, VALIDATION held out."""
    return short_run(EPOCHS, LIMIT, VALIDATION)


@functools.cache
def test_predictions():
    """Softmax probabilities of the short run's model on the whole test set, and the labels."""
    data, result = course_run()
    probabilities = tf.nn.softmax(result.model(data.test_x)).numpy()
    return probabilities, data.test_y.argmax(axis=1)


def curves():
    """Per epoch: mean training loss, validation loss and validation accuracy; the test
    accuracy, and on how many digits it was measured (for its interval)."""
    data, result = course_run()
    rows = result.history
    return {
        "epoch": [row["epoch"] for row in rows],
        "train_loss": [row["train_loss"] for row in rows],
        "valid_loss": [row["valid_loss"] for row in rows],
        "valid_accuracy": [row["valid_accuracy"] for row in rows],
        "test_accuracy": result.test_accuracy,
        "test_digits": len(data.test_x),
    }


def draw_curves(data):
    figure, (left, right) = plt.subplots(1, 2, figsize=(8.0, 3.4))
    left.plot(
        data["epoch"],
        data["train_loss"],
        marker="o",
        color=COLORS[0],
        label="training",
    )
    left.plot(
        data["epoch"],
        data["valid_loss"],
        marker="s",
        color=COLORS[1],
        label="validation",
    )
    left.set_xlabel("epoch")
    left.set_ylabel("cross-entropy loss")
    left.set_ylim(bottom=0)
    left.legend()
    right.plot(
        data["epoch"],
        np.array(data["valid_accuracy"]) * 100,
        marker="s",
        color=COLORS[1],
        label="validation",
    )
    right.axhline(
        data["test_accuracy"] * 100, color=ink(), linestyle="--", linewidth=1
    )
    measured = accuracy_of(
        data["test_accuracy"], data["test_digits"], digits=1
    )
    right.annotate(
        f"test, once at the end: {measured}",
        (data["epoch"][0], data["test_accuracy"] * 100),
        xytext=(0, 5),
        textcoords="offset points",
        fontsize=9,
    )
    right.set_xlabel("epoch")
    right.set_ylabel("validation accuracy (%)")
    for ax in (left, right):
        ax.set_xticks(data["epoch"])
        ax.grid(True, axis="y")
    figure.tight_layout()
    return figure


def confusion():
    """counts[true, predicted] over the 10,000 test digits."""
    probabilities, labels = test_predictions()
    counts = np.zeros((10, 10), dtype=np.int64)
    np.add.at(counts, (labels, probabilities.argmax(axis=1)), 1)
    return counts


def draw_confusion(counts):
    figure, ax = plt.subplots(figsize=(5.6, 5.0))
    # Off the diagonal only: the diagonal (about a thousand each) would wash the errors out.
    errors = counts.astype(float)
    np.fill_diagonal(errors, np.nan)
    cmap = LinearSegmentedColormap.from_list(
        "errors", [to_rgba(COLORS[5], 0.0), to_rgba(COLORS[5], 1.0)]
    )
    ax.imshow(
        errors, cmap=cmap, vmin=0, vmax=np.nanmax(errors), interpolation="none"
    )
    for true in range(10):
        for predicted in range(10):
            count = counts[true, predicted]
            if count:
                diagonal = true == predicted
                ax.text(
                    predicted,
                    true,
                    str(count),
                    ha="center",
                    va="center",
                    fontsize=7 if diagonal else 8,
                    fontweight="normal" if diagonal else "bold",
                    color=ink(),
                    alpha=0.55 if diagonal else 1.0,
                )
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.xaxis.set_label_position("top")
    ax.xaxis.tick_top()
    for side in ax.spines.values():
        side.set_visible(False)
    ax.tick_params(length=0)
    figure.tight_layout()
    return figure


def mistakes(count=12):
    """The first ``count`` test digits the short run gets wrong: image, true digit, and the
    two most probable digits with their probabilities."""
    data, _ = course_run()
    probabilities, labels = test_predictions()
    wrong = np.flatnonzero(probabilities.argmax(axis=1) != labels)[:count]
    return [
        {
            "index": int(i),
            "image": data.test_x[i].reshape(28, 28),
            "label": int(labels[i]),
            "top": [
                (int(k), float(probabilities[i, k]))
                for k in np.argsort(-probabilities[i])[:2]
            ],
        }
        for i in wrong
    ]


def digit_map():
    """Ink on a see-through background, in the palette's text colour."""
    return LinearSegmentedColormap.from_list(
        "ink", [to_rgba(ink(), 0.0), to_rgba(ink(), 1.0)]
    )


def draw_mistakes(rows):
    columns = 6
    figure, axes = plt.subplots(
        -(-len(rows) // columns), columns, figsize=(7.6, 4.0)
    )
    for ax, row in zip(axes.flat, rows):
        ax.imshow(
            row["image"],
            cmap=digit_map(),
            vmin=0,
            vmax=1,
            interpolation="none",
        )
        (first, p_first), (second, p_second) = row["top"]
        ax.set_title(
            f"{first}: {p_first:.0%}, {second}: {p_second:.0%}",
            fontsize=9,
            color=COLORS[5],
        )
        ax.set_xlabel(f"really a {row['label']}", fontsize=9)
        bare(ax)
    figure.tight_layout(h_pad=1.2)
    return figure


def hidden_weights(units=UNITS):
    """The first layer's weights into ``units`` hidden units, before and after the short
    run, each as a 28x28 image (a unit's column of hidden_1's 784x256 matrix)."""
    from snippets.mlp import MLP

    _, result = course_run()
    initial = MLP(hidden=(256,), seed=0).weights["hidden_1"].numpy()
    trained = result.model.weights["hidden_1"].numpy()
    return {
        "initial": initial[:, :units].T.reshape(units, 28, 28),
        "trained": trained[:, :units].T.reshape(units, 28, 28),
        "shape": trained.shape,
    }


# Negative weights blue, positive orange, zero see-through.
SIGNED_MAP = LinearSegmentedColormap.from_list(
    "signed",
    [
        to_rgba(COLORS[0], 1.0),
        to_rgba(COLORS[0], 0.0),
        to_rgba(COLORS[1], 0.0),
        to_rgba(COLORS[1], 1.0),
    ],
    N=256,
)


def draw_hidden_weights(data):
    units = len(data["trained"])
    figure, axes = plt.subplots(2, units // 2, figsize=(7.6, 2.9))
    change = data["trained"] - data["initial"]
    for ax, image in zip(axes.flat, change):
        limit = np.abs(image).max()
        ax.imshow(
            image,
            cmap=SIGNED_MAP,
            vmin=-limit,
            vmax=limit,
            interpolation="none",
        )
        ax.set_xticks([])
        ax.set_yticks([])
        for (
            side
        ) in ax.spines.values():  # a thin frame: the image's 28 x 28 extent
            side.set_visible(True)
            side.set_color(ink())
            side.set_alpha(0.3)
            side.set_linewidth(0.6)
    figure.tight_layout(w_pad=0.2, h_pad=0.2)
    return figure


FIGURES = [
    ("mlp-curves", curves, draw_curves),
    ("mlp-confusion", confusion, draw_confusion),
    ("mlp-mistakes", mistakes, draw_mistakes),
    ("mlp-hidden-weights", hidden_weights, draw_hidden_weights),
]
