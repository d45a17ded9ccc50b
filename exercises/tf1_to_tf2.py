"""Exercises of "From TensorFlow 1 to TensorFlow 2": write each function, then
check them with

    python -m snippets check tf1-to-tf2

Each check compares your function with what the project's own code computes.
"""

import tensorflow as tf


def dropout(x, keep_prob, seed):
    """TF1's ``tf.nn.dropout(x, keep_prob, seed=seed)`` written with TensorFlow
    2's ``tf.nn.dropout``, which takes ``rate`` instead of ``keep_prob``."""
    raise NotImplementedError


def checkpoint_key(tf1_name):
    """The TF2 checkpoint key, such as ``"model/weights/hidden_1"``, of the
    variable a TF1 graph calls ``tf1_name``: ``"hidden_1_weights:0"``,
    ``"out_bias:0"``, or the course's ``"hidden_layer_weights:0"`` for its one
    hidden layer."""
    raise NotImplementedError


def traced_once(model):
    """A ``tf.function`` returning ``model(images)`` for a float32 batch of any
    size, array or tensor, that TensorFlow traces only once."""
    raise NotImplementedError
