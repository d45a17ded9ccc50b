import numpy as np
import tensorflow as tf

from snippets.mlp import MLP, layer_names, parameter_count


def test_the_course_network_has_named_variables_of_the_right_shapes():
    model = MLP(hidden=(256,))
    assert model.weights["hidden_1"].shape == (784, 256) and model.weights["out"].shape == (256, 10)
    assert model.biases["hidden_1"].shape == (256,) and model.biases["out"].shape == (10,)
    assert model.weights["hidden_1"].name == "hidden_1_weights:0"
    assert sum(int(np.prod(v.shape)) for v in model.trainable_variables) == parameter_count((256,)) == 203530


def test_any_list_of_hidden_widths():
    model = MLP(hidden=(32, 16, 8))
    assert layer_names(3) == ["hidden_1", "hidden_2", "hidden_3", "out"]
    assert model(tf.zeros([5, 784])).shape == (5, 10)
    assert [model.weights[n].shape[1] for n in layer_names(3)] == [32, 16, 8, 10]


def test_same_seed_same_weights_other_seed_other_weights():
    a, b, c = MLP(seed=1), MLP(seed=1), MLP(seed=2)
    assert np.array_equal(a.weights["hidden_1"].numpy(), b.weights["hidden_1"].numpy())
    assert not np.array_equal(a.weights["hidden_1"].numpy(), c.weights["hidden_1"].numpy())


def test_he_initialisation_keeps_activations_of_scaled_inputs_moderate():
    x = tf.random.stateless_uniform([256, 784], seed=[0, 1])
    logits = MLP(hidden=(256, 256))(x)
    assert float(tf.math.reduce_std(logits)) < 10.0  # random_normal(stddev=1) gives hundreds


def test_dropout_only_when_training():
    model = MLP(hidden=(64,), keep_prob=0.5)
    x = tf.random.stateless_uniform([8, 784], seed=[0, 2])
    assert np.array_equal(model(x).numpy(), model(x).numpy())
    trained = model(x, training=True, dropout_seed=[0, 1]).numpy()
    assert not np.allclose(trained, model(x).numpy())
    assert np.array_equal(trained, model(x, training=True, dropout_seed=[0, 1]).numpy())
