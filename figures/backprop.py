"""Figures of "The chain rule and backpropagation": the one-unit example as a computational
graph with its forward values and backward gradients, and our backprop against
tf.GradientTape and finite differences."""

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from matplotlib.patches import FancyBboxPatch

from figures import COLORS, ink
from snippets.backprop import (
    backward,
    batch_of_two,
    forward,
    logit_gradient,
    numerical_gradient,
    parameters_of,
    tape_gradients,
    tape_layer_gradients,
)
from snippets.mlp import MLP

X, W, B = (
    2.0,
    3.0,
    -1.0,
)  # the page's example: u = wx + b, h = relu(u), L = h**2


def one_unit():
    """Forward value and dL/d(node) of every node of the graph, by tf.GradientTape."""
    x, w, b = tf.Variable(X), tf.Variable(W), tf.Variable(B)
    with tf.GradientTape(persistent=True) as tape:
        wx = w * x
        u = wx + b
        h = tf.nn.relu(u)
        loss = h**2
    nodes = {"x": x, "w": w, "b": b, "wx": wx, "u": u, "h": h, "L": loss}
    gradients = tape.gradient(loss, nodes)
    return {
        name: (
            float(node.numpy()),
            float(gradients[name]) if name != "L" else 1.0,
        )
        for name, node in nodes.items()
    }


# Where each node sits, and the edges of the graph: (from, to, the local derivative's name).
POSITIONS = {
    "x": (0, 1.2),
    "w": (0, 0),
    "b": (1.6, -1.2),
    "wx": (1.6, 0.6),
    "u": (3.2, 0.0),
    "h": (4.8, 0.0),
    "L": (6.4, 0.0),
}
EDGES = [
    ("x", "wx", "×"),
    ("w", "wx", "×"),
    ("wx", "u", "+"),
    ("b", "u", "+"),
    ("u", "h", "relu"),
    ("h", "L", "( )²"),
]


def draw_one_unit(values):
    figure, ax = plt.subplots(figsize=(8.0, 3.6))
    for start, end, operation in EDGES:
        (x0, y0), (x1, y1) = POSITIONS[start], POSITIONS[end]
        ax.annotate(
            "",
            (x1, y1),
            (x0, y0),
            arrowprops=dict(
                arrowstyle="-|>",
                color=ink(),
                lw=1,
                shrinkA=26,
                shrinkB=26,
                alpha=0.6,
            ),
        )
    for name, (x, y) in POSITIONS.items():
        value, gradient = values[name]
        leaf = name in ("x", "w", "b")
        ax.add_patch(
            FancyBboxPatch(
                (x - 0.45, y - 0.3),
                0.9,
                0.6,
                boxstyle="round,pad=0.04",
                facecolor="none",
                edgecolor=COLORS[2] if leaf else ink(),
                linewidth=1.2,
            )
        )
        ax.text(
            x,
            y + 0.1,
            f"{name} = {value:g}",
            ha="center",
            va="center",
            fontsize=10,
            color=COLORS[4],
            fontweight="bold",
        )
        ax.text(
            x,
            y - 0.14,
            f"∂L/∂{name} = {gradient:g}",
            ha="center",
            va="center",
            fontsize=8.5,
            color=COLORS[5],
        )
    labels = {"wx": "w · x", "u": "wx + b", "h": "relu(u)", "L": "h²"}
    for name, label in labels.items():
        x, y = POSITIONS[name]
        ax.text(
            x, y + 0.42, label, ha="center", va="bottom", fontsize=9, alpha=0.8
        )
    ax.text(
        0.0,
        -1.2,
        "forward value",
        color=COLORS[4],
        fontweight="bold",
        fontsize=9,
        ha="center",
    )
    ax.text(
        0.0,
        -1.5,
        "gradient, going backwards",
        color=COLORS[5],
        fontsize=9,
        ha="center",
    )
    ax.set_xlim(-0.7, 7.0)
    ax.set_ylim(-1.7, 1.8)
    ax.set_aspect("equal")
    ax.axis("off")
    figure.tight_layout()
    return figure


def one_layer():
    """The page's batch of two through one layer z = aW + b: every array of the forward
    and the backward pass, the backward ones by the formulas the figure names, and
    tf.GradientTape's gradients to hold them to."""
    a, w, b, labels = batch_of_two()
    z = a @ w + b
    delta = logit_gradient(z, labels)
    return {
        "forward": {"a": a, "W": w, "b": b, "z": z},
        "backward": {
            "z": delta,
            "W": a.T @ delta,
            "b": delta.sum(axis=0),
            "a": delta @ w.T,
        },
        "tape": tape_layer_gradients(a, w, b, labels),
    }


# Where each box sits: the forward pass on the top row, left to right; the backward pass
# below it, right to left. (name, x, y, text, forward?)
LAYER_BOXES = [
    ("a", 0.0, 1.0, "a", True),
    ("W", 1.5, 2.2, "W", True),
    ("b", 4.5, 2.2, "b", True),
    ("z", 3.0, 1.0, "z = aW + b", True),
    ("L", 6.2, 1.0, "L: softmax, then\nthe cross-entropy with y", True),
    ("dL", 6.2, -0.3, "∂L/∂L = 1", False),
    ("dz", 3.0, -0.3, "δ = ∂L/∂z = (p − y) / B", False),
    ("da", 0.0, -0.3, "∂L/∂a = δ Wᵀ", False),
    ("dW", 1.5, -1.6, "∂L/∂W = aᵀ δ", False),
    ("db", 4.5, -1.6, "∂L/∂b = Σₙ δₙ", False),
]
LAYER_ARROWS = [
    ("a", "z"),
    ("W", "z"),
    ("b", "z"),
    ("z", "L"),
    ("L", "dL"),
    ("dL", "dz"),
    ("dz", "da"),
    ("dz", "dW"),
    ("dz", "db"),
]


def draw_one_layer(data):
    shapes = {
        "a": data["forward"]["a"].shape,
        "W": data["forward"]["W"].shape,
        "b": data["forward"]["b"].shape,
        "z": data["forward"]["z"].shape,
        "dz": data["backward"]["z"].shape,
        "da": data["backward"]["a"].shape,
        "dW": data["backward"]["W"].shape,
        "db": data["backward"]["b"].shape,
    }
    # sky blue and vermilion, as in the one-unit graph: both read on both backgrounds
    figure, ax = plt.subplots(figsize=(9.0, 4.4))
    boxes = {}
    for name, x, y, text, forwards in LAYER_BOXES:
        colour = COLORS[4] if forwards else COLORS[5]
        shape = shapes.get(name)
        label = (
            text if shape is None else f"{text}\n{' × '.join(map(str, shape))}"
        )
        boxes[name] = ax.text(
            x,
            y,
            label,
            ha="center",
            va="center",
            fontsize=10,
            color=colour,
            linespacing=1.5,
            bbox=dict(
                boxstyle="round,pad=0.45",
                facecolor="none",
                edgecolor=colour,
                linewidth=1.2,
            ),
        )
    for start, end in LAYER_ARROWS:
        backwards = start.startswith("d") or end == "dL"
        # patchA and patchB: the arrow runs from edge to edge of the two boxes
        ax.annotate(
            "",
            boxes[end].get_position(),
            boxes[start].get_position(),
            arrowprops=dict(
                arrowstyle="-|>",
                lw=1.3,
                shrinkA=3,
                shrinkB=3,
                patchA=boxes[start].get_bbox_patch(),
                patchB=boxes[end].get_bbox_patch(),
                color=COLORS[5] if backwards else COLORS[4],
            ),
        )
    ax.text(
        -0.9, 1.75, "forward", color=COLORS[4], fontsize=10, fontweight="bold"
    )
    ax.text(
        -0.9,
        -1.15,
        "backward",
        color=COLORS[5],
        fontsize=10,
        fontweight="bold",
    )
    # in the palette's own text colour, so each palette's file reads on its background
    ax.text(
        3.3,
        -2.05,
        f"shapes for a batch of {shapes['a'][0]} examples",
        color=ink(),
        ha="center",
        fontsize=9,
    )
    ax.set_xlim(-1.0, 7.6)
    ax.set_ylim(-2.2, 2.7)
    ax.axis("off")
    figure.tight_layout()
    return figure


HIDDEN = (64, 32)  # the network of snippets/backprop.py's script
SAMPLES = 12  # random entries of each weight matrix and bias vector


def gradient_check(seed=0):
    """For SAMPLES random entries of every array of a 784-64-32-10 network (float64, a
    batch of 32): our backward pass, tf.GradientTape and a central difference."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=(32, 784))
    labels = np.eye(10)[rng.integers(0, 10, size=32)]
    model = MLP(hidden=HIDDEN, dtype=tf.float64, seed=seed)
    params = parameters_of(model)
    logits, cache = forward(params, x)
    ours = backward(params, cache, logits, labels)
    tape = tape_gradients(model, x, labels)
    rows = []
    for layer in range(len(params)):
        for which in (0, 1):
            shape = params[layer][which].shape
            for _ in range(SAMPLES):
                index = tuple(int(rng.integers(0, size)) for size in shape)
                rows.append(
                    (
                        layer,
                        which,
                        ours[layer][which][index],
                        tape[layer][which][index],
                        numerical_gradient(
                            params, x, labels, layer, which, index
                        ),
                    )
                )
    return {
        "layers": [
            f"{name} {'weights' if which == 0 else 'bias'}"
            for name in ("hidden_1", "hidden_2", "out")
            for which in (0, 1)
        ],
        "rows": np.array(rows),
    }


def draw_gradient_check(data):
    rows = data["rows"]
    figure, ax = plt.subplots(figsize=(5.4, 4.6))
    limit = np.abs(rows[:, 2]).max() * 1.1
    ax.plot(
        [-limit, limit],
        [-limit, limit],
        color=ink(),
        linewidth=0.8,
        alpha=0.5,
        label="equal",
    )
    for index, name in enumerate(data["layers"]):
        chosen = rows[:, 0] * 2 + rows[:, 1] == index
        ax.scatter(
            rows[chosen, 2],
            rows[chosen, 4],
            s=22,
            color=COLORS[index],
            label=name,
            marker="o" if index % 2 == 0 else "s",
        )
    ax.set_xlabel("our backward pass")
    ax.set_ylabel("finite difference")
    ax.ticklabel_format(style="sci", scilimits=(-2, 2))
    ax.legend(fontsize=8.5, loc="upper left")
    figure.tight_layout()
    return figure


FIGURES = [
    ("backprop-one-unit", one_unit, draw_one_unit),
    ("backprop-one-layer", one_layer, draw_one_layer),
    ("backprop-gradient-check", gradient_check, draw_gradient_check),
]
