"""The rectified linear unit, max(0, x): the non-linearity that makes depth worth having.

Run it as a script to see ReLU and its derivative, and a small network of ReLUs classify
the XOR-like data that defeats every linear model:

    python -m snippets.relu
"""

import sys

import numpy as np
import tensorflow as tf


# --8<-- [start:relu]
def relu(x):
    """max(0, x), element by element."""
    return np.maximum(0.0, x)


def relu_derivative(x):
    """1 where x > 0, else 0. At exactly 0 the derivative is undefined; like
    TensorFlow, we use 0 there.
    """
    return (np.asarray(x) > 0).astype(np.float32)


# --8<-- [end:relu]


# --8<-- [start:hidden_layer]
def hidden_layer(features, weights, bias):
    """One layer of a network of ReLUs: a linear map, then the rectifier."""
    return tf.nn.relu(tf.matmul(features, weights) + bias)


# --8<-- [end:hidden_layer]


def dead_fraction(model, images):
    """The share of the first hidden layer's ReLUs that output 0 for every
    one of ``images``: no gradient reaches their weights."""
    hidden = model.activations(images)[0]
    dead = tf.reduce_max(hidden, axis=0) == 0
    return float(tf.reduce_mean(tf.cast(dead, tf.float32)))


def after_one_epoch(learning_rate, data):
    """The course's 784-256-10 after one epoch of plain gradient descent at
    ``learning_rate``: the fraction of its hidden units that are dead (0 for
    every training image, so no gradient reaches their weights), and its test
    accuracy with the number of test images it was measured on.
    """
    from snippets.train import TrainConfig, train

    config = TrainConfig(
        epochs=1, optimizer="sgd", learning_rate=learning_rate
    )
    result = train(config, data=data, log=lambda message: None)
    dead = dead_fraction(result.model, data.train_x)
    return dead, result.test_accuracy, len(data.test_y)


def main():
    from snippets.linear import LinearClassifier, accuracy, fit, xor_data
    from snippets.mlp import MLP

    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    print("x              ", x)
    print("relu(x)        ", relu(x))
    print("relu'(x)       ", relu_derivative(x))
    print("tf.nn.relu(x)  ", tf.nn.relu(x).numpy())

    points, labels = xor_data()
    linear = fit(
        LinearClassifier(2, 2), points, labels, epochs=300, learning_rate=0.5
    )
    network = fit(
        MLP(hidden=(16,), n_inputs=2, n_classes=2),
        points,
        labels,
        epochs=300,
        learning_rate=0.5,
    )
    print(
        f"XOR-like data: linear model {accuracy(linear(points), labels):.3f}, "
        f"one hidden layer of 16 ReLUs {accuracy(network(points), labels):.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
