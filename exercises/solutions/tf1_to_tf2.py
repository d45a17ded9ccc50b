"""Worked solutions of the exercises of "From TensorFlow 1 to TensorFlow 2"
(shown on the page)."""

import tensorflow as tf


# --8<-- [start:dropout]
def dropout(x, keep_prob, seed):
    # Keeping 80 % is dropping 20 %; both scale the survivors by 1 / keep_prob.
    return tf.nn.dropout(x, rate=1 - keep_prob, seed=seed)


# --8<-- [end:dropout]


# --8<-- [start:checkpoint_key]
def checkpoint_key(tf1_name):
    layer, kind = tf1_name.removesuffix(":0").rsplit("_", 1)
    layer = {"hidden_layer": "hidden_1"}.get(layer, layer)
    table = {"weights": "weights", "bias": "biases"}[kind]
    return f"model/{table}/{layer}"


# --8<-- [end:checkpoint_key]


# --8<-- [start:traced_once]
def traced_once(model):
    # None: any batch size; float32 arrays are converted to this one signature.
    @tf.function(input_signature=[tf.TensorSpec([None, 784], tf.float32)])
    def logits(images):
        return model(images)

    return logits


# --8<-- [end:traced_once]
