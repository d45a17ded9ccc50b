"""Every forward pass of the project computes the same network.

The network's forward pass is written six times, each where a chapter or a
product needs it: the lesson's MLP (snippets/mlp.py), the fast trainer's loss
and gradients (snippets/fast.py), the int8 format's NumPy pass
(snippets/int8.py), the browser's JavaScript (docs/assets/try/try.js, run here
under Node), the Keras twin (snippets/in_keras.py) and the course's TensorFlow
1 graph (snippets/compat_v1.py). Here all six get the same weights and the
same 64 MNIST test digits, and must give the same probabilities.

The weights are the course's 784-256-10 (one hidden layer, the one shape the
TensorFlow 1 graph builds), trained for one quick epoch, after the int8 round
trip: the int8 pass and the JavaScript read the int8 weights and scales, every
other pass the float32 weights they stand for. So the six may differ only by
float32 rounding (TOLERANCE). What rounding to int8 itself costs is checked
apart, against the weights before rounding (QUANTISATION_TOLERANCE).
"""

from dataclasses import replace

import numpy as np
import pytest
import tensorflow as tf

from helpers import ROOT, run_under_node
from snippets import compat_v1, fast, in_keras
from snippets.config import FAST
from snippets.data import load_dataset
from snippets.fast import train_fast
from snippets.int8 import float_layers, forward, model_layers
from snippets.mlp import MLP

HIDDEN = (256,)
DIGITS = 64
# float32 rounding: the passes add the same products in other orders, and
# the int8 ones apply each column's scale after the sum instead of to every
# weight (measured: at most 3.4e-07, by the JavaScript)
TOLERANCE = 1e-5
# rounding the hidden weights to int8 moves no probability further than this
# (measured: 1.5e-03 on these digits and weights; the export of a trained
# network is held to 0.02 on all 10,000 test digits in tests/test_try.py)
QUANTISATION_TOLERANCE = 0.01
TRY_JS = ROOT / "docs" / "assets" / "try" / "try.js"

# Loads try.js as the page does, with no page around it (no #try-app element,
# and a fetch that fails: its models stay unloaded), then runs its forward()
# on the request's layers.
RUNNER = r"""
globalThis.window = {};
globalThis.document = {
  currentScript: { src: "http://localhost/assets/try/try.js" },
  getElementById: () => null,
};
globalThis.fetch = () => Promise.reject(new Error("no network here"));
require(process.argv[1]);
const api = window.DeepNetsTry;
api.ready.catch(() => {});  // no export to load: only forward() is used
const request = JSON.parse(require("fs").readFileSync(0, "utf8"));
const ARRAYS = { int8: Int8Array, float32: Float32Array };
const model = { layers: request.layers.map((layer) => ({
  name: layer.name, activation: layer.activation, shape: layer.shape,
  weights: ARRAYS[layer.dtype].from(layer.weights),
  scales: Float32Array.from(layer.scales), bias: Float32Array.from(layer.bias),
})) };
const answer = request.images.map(
  (image) => Array.from(api.forward(model, image)));
process.stdout.write(JSON.stringify(answer));
"""


@pytest.fixture(scope="module")
def shared():
    """The trained model, its int8 layers, the float32 weights they stand
    for, and 64 test digits.
    """
    data = load_dataset(limit=5000, validation_size=1000)
    # one quick epoch of the fast trainer, 89 % on the test set: a trained
    # network's probabilities (a random one gives about 0.1 to every digit)
    config = replace(
        FAST, hidden=HIDDEN, epochs=1, limit=5000, compute_dtype="float32"
    )
    original = train_fast(config, data=data, log=lambda message: None).model
    layers = model_layers(original)  # int8 hidden layer, float32 output layer
    weights = float_layers(layers)
    images = data.test_x[:DIGITS]  # the first test digits, scaled to [0, 1]
    return original, layers, weights, images


def mlp_with(weights):
    model = MLP(hidden=HIDDEN, seed=1)
    for (_, w, b), (_, value, bias) in zip(model.layers(), weights):
        w.assign(value)
        b.assign(bias)
    return model


def lesson_mlp(layers, weights, images):
    logits = mlp_with(weights).activations(tf.constant(images))[-1]
    return tf.nn.softmax(logits).numpy()


def fast_trainer(layers, weights, images):
    """fast.loss_and_gradients returns no logits, but for one example the
    gradient of the loss by the output bias is softmax(logits) -
    one_hot(label): the probabilities, less 1 at the label.
    """
    w = [tf.constant(value) for _, value, _ in weights]
    b = [tf.constant(bias) for _, _, bias in weights]
    rows = []
    for image in images:
        _, gradients = fast.loss_and_gradients(
            w, b, tf.constant(image[None]), tf.constant([0]), tf.float32
        )
        rows.append(gradients[-1].numpy() + np.eye(10, dtype=np.float32)[0])
    return np.array(rows)


def int8_numpy(layers, weights, images):
    return forward(layers, images)


def browser(layers, weights, images):
    request = {
        "layers": [
            {
                "name": name,
                "activation": "relu" if index < len(layers) - 1 else "softmax",
                "shape": list(q.shape),
                "dtype": str(q.dtype),
                "weights": q.ravel().tolist(),
                "scales": scales.tolist(),
                "bias": bias.tolist(),
            }
            for index, (name, q, scales, bias) in enumerate(layers)
        ],
        "images": images.tolist(),
    }
    return np.array(run_under_node(RUNNER, TRY_JS, request))


def keras_twin(layers, weights, images):
    model = in_keras.set_weights_from(mlp_with(weights), in_keras.mlp(HIDDEN))
    return tf.nn.softmax(model(images)).numpy()


def tensorflow_1(layers, weights, images):
    graph = tf.Graph()
    with graph.as_default():
        net = compat_v1.build_network(n_hidden=HIDDEN[0])
        assignments = [
            table[name].assign(value)
            for name, value, bias in weights
            for table, value in ((net.weights, value), (net.biases, bias))
        ]
        probabilities = tf.nn.softmax(net.logits)
        with compat_v1.v1.Session(graph=graph) as session:
            session.run(assignments)
            return session.run(probabilities, feed_dict={net.features: images})


PASSES = [
    lesson_mlp,
    fast_trainer,
    int8_numpy,
    browser,
    keras_twin,
    tensorflow_1,
]


@pytest.fixture(scope="module")
def probabilities(shared):
    _, layers, weights, images = shared
    return {run.__name__: run(layers, weights, images) for run in PASSES}


@pytest.mark.parametrize(
    "name", [run.__name__ for run in PASSES if run is not lesson_mlp]
)
def test_every_forward_pass_gives_the_lesson_mlps_probabilities(
    probabilities, name
):
    reference, result = probabilities["lesson_mlp"], probabilities[name]
    assert result.shape == reference.shape == (DIGITS, 10)
    print(f"{name}: largest difference {np.abs(result - reference).max():.1e}")
    np.testing.assert_allclose(result, reference, rtol=0, atol=TOLERANCE)
    assert np.array_equal(result.argmax(axis=1), reference.argmax(axis=1))


def test_the_digits_are_not_a_trivial_case(probabilities):
    """All six could agree on a network that says the same for every digit;
    this one does not.
    """
    reference = probabilities["lesson_mlp"]
    assert len(set(reference.argmax(axis=1))) == 10
    assert np.allclose(reference.sum(axis=1), 1, atol=1e-6)
    assert (
        np.median(reference.max(axis=1)) > 0.5
        and reference.max(axis=1).min() < 0.99
    )


def test_rounding_to_int8_moves_the_probabilities_only_a_little(
    shared, probabilities
):
    original, _, weights, images = shared
    before = tf.nn.softmax(original(tf.constant(images))).numpy()
    difference = np.abs(probabilities["int8_numpy"] - before).max()
    print(f"int8 against float32 weights: largest difference {difference:.1e}")
    # not zero: the weights were really rounded
    assert 0 < difference < QUANTISATION_TOLERANCE
    assert not np.array_equal(
        weights[0][1], original.weights["hidden_1"].numpy()
    )
