"""Checks of the exercises of "From TensorFlow 1 to TensorFlow 2" (docs/tf1-to-tf2.md)."""

import tempfile

import numpy as np
import tensorflow as tf

from snippets.checkpoint import save_model
from snippets.compat_v1 import build_network, v1
from snippets.exercises import Exercise, Wrong
from snippets.mlp import MLP


def check_dropout(dropout):
    x = tf.ones([200, 200])
    for keep_prob in (0.8, 0.3):
        out = np.asarray(dropout(x, keep_prob, 1))
        if out.shape != (200, 200):
            raise Wrong(
                f"the result should have shape (200, 200), not {out.shape}."
            )
        kept = np.mean(out != 0)
        if abs(kept - keep_prob) > 0.02:
            raise Wrong(
                f"with keep_prob={keep_prob} a share of {kept:.2f} of the units was "
                "kept: rate is the share dropped."
            )
        survivors = out[out != 0]
        if not np.allclose(survivors, 1 / keep_prob, rtol=1e-5):
            raise Wrong(
                f"the survivors should be scaled by 1 / keep_prob = {1 / keep_prob:.4g}."
            )
    if not np.array_equal(np.asarray(dropout(x, 1.0, 1)), x.numpy()):
        raise Wrong(
            "keep_prob=1.0, as at evaluation, should return x unchanged."
        )


def check_checkpoint_key(checkpoint_key):
    # The names the TF1 graph of snippets/compat_v1.py gives its variables...
    graph = tf.Graph()
    with graph.as_default():
        build_network(n_hidden=32)
        tf1 = {v.name: v.shape.as_list() for v in v1.global_variables()}
    # ...and the keys a TF2 checkpoint of the same network has.
    with tempfile.TemporaryDirectory() as folder:
        prefix = save_model(MLP(hidden=(32,)), folder)
        suffix = "/.ATTRIBUTES/VARIABLE_VALUE"
        tf2 = {
            key[: -len(suffix)]: shape
            for key, shape in tf.train.list_variables(prefix)
            if key.startswith("model/")
        }
    # The course's own name for its one hidden layer.
    tf1["hidden_layer_weights:0"] = [784, 32]
    tf1["hidden_layer_bias:0"] = [32]
    for name, shape in tf1.items():
        key = checkpoint_key(name)
        if key not in tf2:
            raise Wrong(
                f"{name!r} became {key!r}, which is not a key of the TF2 checkpoint "
                f"(its keys: {', '.join(sorted(tf2))})."
            )
        if tf2[key] != shape:
            raise Wrong(
                f"{name!r} has shape {shape}, but {key!r} has shape {tf2[key]}."
            )


def check_traced_once(traced_once):
    model = MLP(hidden=(16,), seed=2)
    function = traced_once(model)
    if not hasattr(function, "experimental_get_tracing_count"):
        raise Wrong(
            "return a tf.function (decorate or wrap with tf.function)."
        )
    rng = np.random.default_rng(3)
    for batch in (1, 7, 32):
        x = rng.random((batch, 784), dtype=np.float32)
        for images in (x, tf.constant(x)):
            logits = np.asarray(function(images))
            if not np.allclose(logits, model(x).numpy(), atol=1e-5):
                raise Wrong("the function should return the model's logits.")
    traces = function.experimental_get_tracing_count()
    if traces != 1:
        raise Wrong(
            f"batches of 1, 7 and 32, as arrays and tensors, traced the function "
            f"{traces} times, not once."
        )


EXERCISES = [
    Exercise(
        "dropout",
        check_dropout,
        "TF1 and TF2 name the probability of opposite events.",
        "TF1's keep_prob is the probability of keeping a unit; tf.nn.dropout's "
        "rate is that of dropping it: rate = 1 - keep_prob.",
    ),
    Exercise(
        "checkpoint_key",
        check_checkpoint_key,
        "The TF1 name and the TF2 key say the same things in another order "
        "and other words.",
        "drop the ':0', split off the last part (weights or bias: the table is "
        "'weights' or 'biases'), rename 'hidden_layer' to 'hidden_1', and join "
        "'model', the table and the layer with '/'.",
    ),
    Exercise(
        "traced_once",
        check_traced_once,
        "A trace is reused only for inputs that match its signature; leave "
        "the batch size open.",
        "tf.function(..., input_signature=[tf.TensorSpec([None, 784], "
        "tf.float32)]): None leaves the batch size open, so one trace serves "
        "all.",
    ),
]
