"""Figures of "The chain rule and backpropagation": the one-unit example as a computational
graph with its forward values and backward gradients, and our backprop against
tf.GradientTape and finite differences."""

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from matplotlib.patches import FancyBboxPatch

from snippets.backprop import (
    backward,
    forward,
    numerical_gradient,
    parameters_of,
    tape_gradients,
)
from snippets.figures import COLORS, ink
from snippets.mlp import MLP

X, W, B = 2.0, 3.0, -1.0  # the page's example: u = wx + b, h = relu(u), L = h**2


def one_unit():
    """Forward value and dL/d(node) of every node of the graph, by tf.GradientTape."""
    x, w, b = tf.Variable(X), tf.Variable(W), tf.Variable(B)
    with tf.GradientTape(persistent=True) as tape:
        wx = w * x
        u = wx + b
        h = tf.nn.relu(u)
        loss = h ** 2
    nodes = {"x": x, "w": w, "b": b, "wx": wx, "u": u, "h": h, "L": loss}
    gradients = tape.gradient(loss, nodes)
    return {name: (float(node.numpy()), float(gradients[name]) if name != "L" else 1.0)
            for name, node in nodes.items()}


# Where each node sits, and the edges of the graph: (from, to, the local derivative's name).
POSITIONS = {"x": (0, 1.2), "w": (0, 0), "b": (1.6, -1.2), "wx": (1.6, 0.6), "u": (3.2, 0.0),
             "h": (4.8, 0.0), "L": (6.4, 0.0)}
EDGES = [("x", "wx", "×"), ("w", "wx", "×"), ("wx", "u", "+"), ("b", "u", "+"),
         ("u", "h", "relu"), ("h", "L", "( )²")]


def draw_one_unit(values):
    figure, ax = plt.subplots(figsize=(8.0, 3.6))
    for start, end, operation in EDGES:
        (x0, y0), (x1, y1) = POSITIONS[start], POSITIONS[end]
        ax.annotate("", (x1, y1), (x0, y0), arrowprops=dict(arrowstyle="-|>", color=ink(), lw=1,
                                                             shrinkA=26, shrinkB=26, alpha=0.6))
    for name, (x, y) in POSITIONS.items():
        value, gradient = values[name]
        leaf = name in ("x", "w", "b")
        ax.add_patch(FancyBboxPatch((x - 0.45, y - 0.3), 0.9, 0.6, boxstyle="round,pad=0.04",
                                    facecolor="none", edgecolor=COLORS[2] if leaf else ink(),
                                    linewidth=1.2))
        ax.text(x, y + 0.1, f"{name} = {value:g}", ha="center", va="center", fontsize=10,
                color=COLORS[4], fontweight="bold")
        ax.text(x, y - 0.14, f"∂L/∂{name} = {gradient:g}", ha="center", va="center",
                fontsize=8.5, color=COLORS[5])
    labels = {"wx": "w · x", "u": "wx + b", "h": "relu(u)", "L": "h²"}
    for name, label in labels.items():
        x, y = POSITIONS[name]
        ax.text(x, y + 0.42, label, ha="center", va="bottom", fontsize=9, alpha=0.8)
    ax.text(0.0, -1.2, "forward value", color=COLORS[4], fontweight="bold", fontsize=9, ha="center")
    ax.text(0.0, -1.5, "gradient, going backwards", color=COLORS[5], fontsize=9, ha="center")
    ax.set_xlim(-0.7, 7.0)
    ax.set_ylim(-1.7, 1.8)
    ax.set_aspect("equal")
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
                rows.append((layer, which, ours[layer][which][index], tape[layer][which][index],
                             numerical_gradient(params, x, labels, layer, which, index)))
    return {"layers": [f"{name} {'weights' if which == 0 else 'bias'}"
                       for name in ("hidden_1", "hidden_2", "out") for which in (0, 1)],
            "rows": np.array(rows)}


def draw_gradient_check(data):
    rows = data["rows"]
    figure, ax = plt.subplots(figsize=(5.4, 4.6))
    limit = np.abs(rows[:, 2]).max() * 1.1
    ax.plot([-limit, limit], [-limit, limit], color=ink(), linewidth=0.8, alpha=0.5,
            label="equal")
    for index, name in enumerate(data["layers"]):
        chosen = rows[:, 0] * 2 + rows[:, 1] == index
        ax.scatter(rows[chosen, 2], rows[chosen, 4], s=22, color=COLORS[index], label=name,
                   marker="o" if index % 2 == 0 else "s")
    ax.set_xlabel("our backward pass")
    ax.set_ylabel("finite difference")
    ax.ticklabel_format(style="sci", scilimits=(-2, 2))
    ax.legend(fontsize=8.5, loc="upper left")
    figure.tight_layout()
    return figure


FIGURES = [
    ("backprop-one-unit", one_unit, draw_one_unit),
    ("backprop-gradient-check", gradient_check, draw_gradient_check),
]
