"""Figures of "From TensorFlow 1 to TensorFlow 2": what a line of TF1 code gives back (a
symbolic tensor of the graph, no value until a Session runs it) next to what the same line
gives in eager TF2 (the values), and how a TF1 Saver matches saved values by variable name
where a TF2 Checkpoint matches them by object path."""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from matplotlib.patches import FancyBboxPatch

from figures import COLORS, ink

v1 = tf.compat.v1
BATCH = 3  # images fed through both versions


def _shape(tensor):
    return (
        "("
        + ", ".join(
            "None" if d is None else str(d) for d in tensor.shape.as_list()
        )
        + ")"
    )


def graph_and_eager():
    """The course's network built by snippets.compat_v1.build_network (symbolic tensors of a
    graph: names and shapes, no values; the whole graph's op count; the logits that a Session
    run then returns) and the same forward pass run eagerly by snippets.mlp.MLP (values at
    once); BATCH seeded random images for both."""
    from snippets import compat_v1
    from snippets.mlp import MLP

    images = tf.random.stateless_uniform([BATCH, 784], seed=[1, 2]).numpy()
    graph = tf.Graph()
    with graph.as_default():
        net = compat_v1.build_network()
        eager_inside = tf.executing_eagerly()
        symbolic = [
            (tensor.name, _shape(tensor), type(tensor).__name__)
            for tensor in (net.features, net.hidden, net.logits)
        ]
        operations = len(graph.get_operations())
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            ran = sess.run(net.logits, {net.features: images})
    model = MLP(hidden=(256,), seed=0)
    x = tf.constant(images)
    hidden = tf.nn.relu(
        x @ model.weights["hidden_1"] + model.biases["hidden_1"]
    )
    logits = model(x)
    eager = [
        (
            name,
            tuple(value.shape),
            type(value).__name__,
            value.numpy()[0, :2].tolist(),
        )
        for name, value in (("x", x), ("hidden", hidden), ("logits", logits))
    ]
    traced = tf.function(model.__call__).get_concrete_function(
        tf.TensorSpec([None, 784], tf.float32)
    )
    return {
        "eager_inside_graph": eager_inside,
        "symbolic": symbolic,
        "operations": operations,
        "session_logits": ran,
        "eager": eager,
        "eager_logits": logits.numpy(),
        "hidden_check": (
            np.maximum(
                images @ model.weights["hidden_1"].numpy()
                + model.biases["hidden_1"].numpy(),
                0,
            )
        ),
        "hidden": hidden.numpy(),
        "traced_operations": len(traced.graph.get_operations()),
    }


def _panel_box(ax, x, y, width, height, color):
    ax.add_patch(
        FancyBboxPatch(
            (x, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0.02",
            facecolor="none",
            edgecolor=color,
            linewidth=1.4,
        )
    )


def _numbers(values):
    return "[" + ", ".join(f"{value:.2f}" for value in values) + ", ...]"


def draw_graph_and_eager(data):
    figure, (left, right) = plt.subplots(1, 2, figsize=(10.4, 4.4))
    lines = [
        "features = placeholder(...)",
        "hidden = dropout(relu(features @ W1 + b1))",
        "logits = hidden @ W2 + b2",
    ]
    left.set_title("TF1: each line adds a node to a graph", fontsize=11)
    right.set_title("TF2: each line runs at once", fontsize=11)
    ys = [3.3, 2.4, 1.5]
    for y, line, (name, shape, kind) in zip(ys, lines, data["symbolic"]):
        _panel_box(left, 0.0, y, 4.6, 0.62, COLORS[1])
        left.text(
            0.12, y + 0.12, line, family="monospace", fontsize=8.5, va="center"
        )
        left.text(
            0.12,
            y - 0.15,
            f"-> {kind} '{name}', shape {shape}, no value",
            fontsize=8.5,
            va="center",
            color=COLORS[5],
        )
    left.text(
        0.12,
        0.85,
        f"graph built: {data['operations']} ops (with loss and optimizer),\n"
        "none of them run yet",
        fontsize=8.5,
        va="center",
    )
    _panel_box(left, 0.0, 0.0, 4.6, 0.62, COLORS[0])
    left.text(
        0.12,
        0.12,
        "sess.run(logits, feed_dict={features: images})",
        family="monospace",
        fontsize=8.5,
        va="center",
    )
    first = data["session_logits"][0, :2]
    left.text(
        0.12,
        -0.15,
        f"-> ndarray {data['session_logits'].shape}: {_numbers(first)}",
        fontsize=8.5,
        va="center",
        color=COLORS[2],
    )
    right_lines = [
        "x = tf.constant(images)",
        "hidden = tf.nn.relu(x @ W1 + b1)",
        "logits = model(x)",
    ]
    for y, line, (name, shape, kind, values) in zip(
        ys, right_lines, data["eager"]
    ):
        _panel_box(right, 0.0, y, 4.6, 0.62, COLORS[0])
        right.text(
            0.12, y + 0.12, line, family="monospace", fontsize=8.5, va="center"
        )
        right.text(
            0.12,
            y - 0.15,
            f"-> {kind} {shape}: {_numbers(values)}",
            fontsize=8.5,
            va="center",
            color=COLORS[2],
        )
    right.text(
        0.12,
        0.85,
        "for speed, tf.function traces the model once\n"
        f"into a graph of {data['traced_operations']} ops, then runs that graph:",
        fontsize=8.5,
        va="center",
    )
    _panel_box(right, 0.0, 0.0, 4.6, 0.62, COLORS[0])
    right.text(
        0.12,
        0.12,
        "tf.function(model.__call__)(x)",
        family="monospace",
        fontsize=8.5,
        va="center",
    )
    right.text(
        0.12,
        -0.15,
        "-> the same values, no Session, no feed_dict",
        fontsize=8.5,
        va="center",
        color=COLORS[2],
    )
    for ax in (left, right):
        for y0, y1 in zip(ys, ys[1:]):
            ax.annotate(
                "",
                xy=(0.3, y1 + 0.33),
                xytext=(0.3, y0 - 0.33),
                arrowprops=dict(arrowstyle="-|>", color=ink(), lw=1),
            )
        ax.set_xlim(-0.1, 4.7)
        ax.set_ylim(-0.45, 3.75)
        ax.axis("off")
    figure.tight_layout(w_pad=2.0)
    return figure


def restore_matching():
    """The weights-then-bias pair of snippets.compat_v1 saved by a Saver with automatic
    names, and the keys a bias-first program looks them up by; then the same two variables
    saved by tf.train.Checkpoint as attributes of one object, and the keys of a bias-first
    object. Each key with its shape, read with tf.train.list_variables; whether each
    restore worked."""
    from snippets import compat_v1

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "automatic.ckpt"
        saved_names = compat_v1.save_weights_and_bias(path, use_resource=False)
        saved = dict(tf.train.list_variables(str(path)))
        # The names the restoring program's variables get: bias first, as in
        # compat_v1.restore_bias_then_weights.
        graph = tf.Graph()
        with graph.as_default():
            bias = v1.Variable(tf.zeros([3]), use_resource=False)
            weights = v1.Variable(tf.zeros([2, 3]), use_resource=False)
        wanted = [
            ("bias", bias.op.name, bias.shape.as_list()),
            ("weights", weights.op.name, weights.shape.as_list()),
        ]
        try:
            compat_v1.restore_bias_then_weights(path, use_resource=False)
            saver_restored = True
        except tf.errors.InvalidArgumentError:
            saver_restored = False

        module = tf.Module()
        module.weights = tf.Variable(tf.fill([2, 3], 1.0))
        module.bias = tf.Variable(tf.fill([3], 2.0))
        prefix = tf.train.Checkpoint(layer=module).save(f"{folder}/ckpt")
        paths = {
            name: shape
            for name, shape in tf.train.list_variables(prefix)
            if name.startswith("layer/")
        }
        rebuilt = tf.Module()
        rebuilt.bias = tf.Variable(tf.zeros([3]))
        rebuilt.weights = tf.Variable(tf.zeros([2, 3]))
        status = tf.train.Checkpoint(layer=rebuilt).restore(prefix)
        status.assert_consumed()
        checkpoint_wanted = [
            (
                attribute,
                f"layer/{attribute}/.ATTRIBUTES/VARIABLE_VALUE",
                getattr(rebuilt, attribute).shape.as_list(),
            )
            for attribute in ("bias", "weights")
        ]
        restored = {
            "weights": rebuilt.weights.numpy(),
            "bias": rebuilt.bias.numpy(),
        }
    return {
        "saver_saved": [
            (
                "weights",
                saved_names[0].split(":")[0],
                saved[saved_names[0].split(":")[0]],
            ),
            (
                "bias",
                saved_names[1].split(":")[0],
                saved[saved_names[1].split(":")[0]],
            ),
        ],
        "saver_wanted": wanted,
        "saver_restored": saver_restored,
        "checkpoint_saved": [
            (key.split("/")[1], key, shape)
            for key, shape in sorted(
                paths.items(),
                key=lambda item: item[0].split("/")[1] != "weights",
            )
        ],
        "checkpoint_wanted": checkpoint_wanted,
        "checkpoint_restored": restored,
    }


def _short(key):
    return key.replace("/.ATTRIBUTES/VARIABLE_VALUE", "/...")


def _pair_panel(ax, title, saved, wanted, note):
    ax.set_title(title, fontsize=11)
    ax.text(
        0.0,
        2.55,
        "saved: weights, then bias",
        fontsize=9,
        fontweight="bold",
        ha="center",
    )
    ax.text(
        3.5,
        2.55,
        "restoring: bias created first",
        fontsize=9,
        fontweight="bold",
        ha="center",
    )
    ys = [1.8, 0.8]
    saved_y = {}
    for y, (variable, key, shape) in zip(ys, saved):
        _panel_box(ax, -1.05, y, 2.1, 0.7, COLORS[1])
        ax.text(
            0.0,
            y + 0.13,
            _short(key),
            family="monospace",
            fontsize=8.5,
            ha="center",
            va="center",
        )
        ax.text(
            0.0,
            y - 0.15,
            f"{variable} {shape}",
            fontsize=8.5,
            ha="center",
            va="center",
        )
        saved_y[key] = (y, shape)
    for y, (variable, key, shape) in zip(ys, wanted):
        _panel_box(ax, 2.45, y, 2.1, 0.7, COLORS[0])
        ax.text(
            3.5,
            y + 0.13,
            _short(key),
            family="monospace",
            fontsize=8.5,
            ha="center",
            va="center",
        )
        ax.text(
            3.5,
            y - 0.15,
            f"{variable} {shape}",
            fontsize=8.5,
            ha="center",
            va="center",
        )
        target, saved_shape = saved_y[key]
        fits = saved_shape == shape
        color = COLORS[2] if fits else COLORS[5]
        ax.annotate(
            "",
            xy=(1.12, target),
            xytext=(2.38, y),
            arrowprops=dict(arrowstyle="-|>", color=color, lw=1.6),
        )
        above = (
            target <= y
        )  # each label on the side of its arrow away from the other
        ax.text(
            2.05,
            y + 0.22 * (target - y) + (0.08 if above else -0.08),
            "same shape" if fits else "shape differs",
            fontsize=8,
            color=color,
            ha="center",
            va="bottom" if above else "top",
        )
    ax.text(1.75, 0.05, note, fontsize=9, ha="center", va="center")
    ax.set_xlim(-1.15, 4.65)
    ax.set_ylim(-0.2, 2.8)
    ax.axis("off")


def draw_restore_matching(data):
    figure, (left, right) = plt.subplots(1, 2, figsize=(11.0, 3.6))
    _pair_panel(
        left,
        "tf.compat.v1 Saver: by variable name",
        data["saver_saved"],
        data["saver_wanted"],
        "automatic names follow creation order: restore "
        + ("works" if data["saver_restored"] else "fails"),
    )
    _pair_panel(
        right,
        "tf.train.Checkpoint: by object path",
        data["checkpoint_saved"],
        data["checkpoint_wanted"],
        "paths follow attributes: order does not matter",
    )
    figure.tight_layout(w_pad=2.5)
    return figure


FIGURES = [
    ("tf1-to-tf2-graph-and-eager", graph_and_eager, draw_graph_and_eager),
    ("tf1-to-tf2-restore-matching", restore_matching, draw_restore_matching),
]
