import numpy as np
import tensorflow as tf

from snippets.linear import accuracy, fit, xor_data
from snippets.mlp import MLP
from snippets.relu import hidden_layer, relu, relu_derivative


def test_relu_and_its_derivative():
    x = np.array([-3.0, -0.1, 0.0, 0.1, 3.0])
    assert relu(x).tolist() == [0.0, 0.0, 0.0, 0.1, 3.0]
    assert relu_derivative(x).tolist() == [0, 0, 0, 1, 1]
    assert np.array_equal(relu(x), tf.nn.relu(x).numpy())


def test_relu_derivative_matches_tensorflow_gradient():
    x = tf.constant([-2.0, -0.5, 0.0, 0.5, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.nn.relu(x))
    assert np.array_equal(tape.gradient(y, x).numpy(), relu_derivative(x.numpy()))


def test_hidden_layer_is_linear_then_rectified():
    out = hidden_layer(tf.constant([[1.0, -1.0]]), tf.constant([[1.0, -1.0], [1.0, 1.0]]), tf.constant([0.5, 0.0]))
    assert out.numpy().tolist() == [[0.5, 0.0]]


def test_a_network_of_relus_learns_xor():
    points, labels = xor_data()
    model = fit(MLP(hidden=(16,), n_inputs=2, n_classes=2), points, labels, epochs=300)
    assert accuracy(model(points), labels) > 0.95
