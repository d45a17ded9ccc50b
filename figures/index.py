"""Figures of the home page: the course's network as a diagram, read from a real ``MLP``,
and what that network, briefly trained, says about a few test digits."""

import matplotlib.pyplot as plt
import numpy as np

from figures import COLORS, bare, ink
from figures.mlp import course_run, digit_map, test_predictions
from snippets.mlp import MLP, parameter_count

HIDDEN = (256,)  # the course's network, 784-256-10
SHOWN = 12  # test digits shown with their predictions


def network():
    """The sizes of the course's network and the name and shape of each of its variables,
    read from the model ``MLP(hidden=HIDDEN)`` builds."""
    model = MLP(hidden=HIDDEN)
    layers = [
        {
            "name": name,
            "weights": (weights.name.split(":")[0], tuple(weights.shape)),
            "bias": (bias.name.split(":")[0], tuple(bias.shape)),
        }
        for name, weights, bias in model.layers()
    ]
    sizes = [model.n_inputs, *model.hidden, model.n_classes]
    return {
        "sizes": sizes,
        "layers": layers,
        "parameters": parameter_count(model.hidden),
    }


def column(count, shown, height=4.0):
    """y positions of the nodes drawn for a layer of ``count`` units, and where the gap is
    (None if every unit is drawn)."""
    if count <= shown:
        return np.linspace(height / 2, -height / 2, count), None
    half = shown // 2
    ys = np.linspace(height / 2, -height / 2, shown + 1)
    return np.concatenate([ys[:half], ys[half + 1 :]]), ys[half]


def draw_network(data):
    sizes, layers = data["sizes"], data["layers"]
    figure, ax = plt.subplots(figsize=(7.6, 4.4))
    xs = [0.0, 2.6, 5.2]
    columns = [column(size, shown) for size, shown in zip(sizes, (9, 9, 10))]
    for (x0, (ys0, _)), (x1, (ys1, _)) in zip(
        zip(xs, columns), zip(xs[1:], columns[1:])
    ):
        for y0 in ys0:
            for y1 in ys1:
                ax.plot(
                    [x0, x1],
                    [y0, y1],
                    color=ink(),
                    alpha=0.13,
                    linewidth=0.6,
                    zorder=1,
                )
    kinds = ["pixel", "ReLU", "logit"]
    for index, (x, (ys, gap), kind) in enumerate(zip(xs, columns, kinds)):
        ax.scatter(
            [x] * len(ys),
            ys,
            s=110,
            color=COLORS[index],
            zorder=2,
            edgecolors="none",
        )
        if gap is not None:
            ax.text(x, gap, "⋮", ha="center", va="center", fontsize=16)
        if kind == "logit":
            for digit, y in enumerate(ys):
                ax.text(x + 0.28, y, str(digit), va="center", fontsize=9)
    captions = [
        f"{sizes[0]} pixels\n(a 28 × 28 image)",
        f"{sizes[1]} ReLUs\n(the hidden layer)",
        f"{sizes[2]} logits, one per digit\n→ softmax → probabilities",
    ]
    for x, caption in zip(xs, captions):
        ax.text(x, -2.55, caption, ha="center", va="top", fontsize=10)
    for x0, x1, layer in zip(xs, xs[1:], layers):
        (weights, w_shape), (bias, b_shape) = layer["weights"], layer["bias"]
        shape = " × ".join(map(str, w_shape))
        ax.text(
            (x0 + x1) / 2,
            2.45,
            f"{weights}\n{shape}\n{bias}  ({b_shape[0]})",
            ha="center",
            va="bottom",
            fontsize=9,
            family="monospace",
        )
    ax.set_title(
        f"{data['parameters']:,} weights and biases",
        fontsize=10,
        pad=2,
        loc="right",
    )
    ax.set_xlim(-0.6, 6.0)
    ax.set_ylim(-3.5, 3.6)
    ax.axis("off")
    figure.tight_layout()
    return figure


def predictions(count=SHOWN):
    """The first ``count`` test digits, the short run's probability for every digit, and
    the true labels (the model of figures/mlp.py: 784-256-10, a few epochs on a
    slice of the training set)."""
    data, result = course_run()
    probabilities, labels = test_predictions()
    return {
        "images": data.test_x[:count].reshape(count, 28, 28),
        "probabilities": probabilities[:count],
        "labels": labels[:count],
        "test_accuracy": result.test_accuracy,
    }


def draw_predictions(data):
    count = len(data["images"])
    figure, axes = plt.subplots(2, count // 2, figsize=(7.6, 3.3))
    for ax, image, probabilities, label in zip(
        axes.flat, data["images"], data["probabilities"], data["labels"]
    ):
        ax.imshow(
            image, cmap=digit_map(), vmin=0, vmax=1, interpolation="none"
        )
        guess = int(probabilities.argmax())
        right = guess == label
        ax.set_xlabel(
            f"{guess}  ({probabilities[guess]:.0%})"
            + ("" if right else f"\nreally {label}"),
            color=COLORS[2] if right else COLORS[5],
            fontsize=10,
        )
        bare(ax)
    figure.tight_layout(h_pad=0.8)
    return figure


FIGURES = [
    ("index-network", network, draw_network),
    ("index-predictions", predictions, draw_predictions),
]
