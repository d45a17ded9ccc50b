"""What rescues a deep MLP: residual connections and normalisation, from scratch.

A deep stack of ReLU layers started with He initialisation keeps the size of
its signal level, yet it trains worse the deeper it gets. This module builds
such a stack, ``DeepMLP``, with five kinds of hidden block:

- ``plain``: h <- relu(h W + b), the course's layer;
- ``residual``: h <- h + relu(h W + b), the layer added to its input;
- ``layer norm``: h <- relu(LN(h W)), each example's features normalised;
- ``batch norm``: h <- relu(BN(h W)), each feature normalised over the batch;
- ``residual + layer norm``: h <- h + relu(LN(h) W + b), both together.

Layer and batch normalisation are written here from scratch, as variables and
arithmetic; the tests prove they compute what ``keras.layers.LayerNormalization``
and ``keras.layers.BatchNormalization`` compute, and ``keras_deep_mlp`` below
builds the same networks from Keras layers. The chapter *Training deeper
networks* (docs/deeper.md) shows the pieces; tests/test_deeper.py tests them.

Run it as a script to see the signal and gradient sizes of each kind at
initialisation (a few seconds; training them is benchmarks/deep_rescue.py):

    python -m snippets.residual
"""

import math
import sys

import numpy as np
import tensorflow as tf

from snippets.data import batches
from snippets.deeper import signal_sizes
from snippets.linear import softmax_cross_entropy

BLOCKS = (
    "plain",
    "residual",
    "layer norm",
    "batch norm",
    "residual + layer norm",
)


# --8<-- [start:layer_norm]
class LayerNorm(tf.Module):
    """Each example's features rescaled to mean 0 and variance 1, then
    stretched by ``gamma`` and shifted by ``beta`` (one of each per feature).

    The statistics are those of the row itself, so training and inference
    compute the same thing and the batch size does not matter.
    """

    def __init__(self, width, epsilon=1e-3, name=None):
        super().__init__(name=name)
        self.epsilon = epsilon  # Keras' default: keeps 1/sqrt finite
        self.gamma = tf.Variable(tf.ones([width]), name="gamma")
        self.beta = tf.Variable(tf.zeros([width]), name="beta")

    def __call__(self, x, training=False):
        mean, variance = tf.nn.moments(x, axes=[-1], keepdims=True)
        normalised = (x - mean) / tf.sqrt(variance + self.epsilon)
        return normalised * self.gamma + self.beta


# --8<-- [end:layer_norm]


# --8<-- [start:batch_norm]
class BatchNorm(tf.Module):
    """Each feature rescaled to mean 0 and variance 1 over the batch, then
    stretched by ``gamma`` and shifted by ``beta``.

    Training uses the batch's own mean and variance and moves the running
    averages a step towards them; inference, which may see one example at a
    time, uses the running averages instead.
    """

    def __init__(self, width, momentum=0.99, epsilon=1e-3, name=None):
        super().__init__(name=name)
        self.momentum, self.epsilon = momentum, epsilon  # Keras' defaults
        self.gamma = tf.Variable(tf.ones([width]), name="gamma")
        self.beta = tf.Variable(tf.zeros([width]), name="beta")
        # statistics, not parameters: the optimizer never touches them
        self.moving_mean = tf.Variable(
            tf.zeros([width]), trainable=False, name="moving_mean"
        )
        self.moving_variance = tf.Variable(
            tf.ones([width]), trainable=False, name="moving_variance"
        )

    def __call__(self, x, training=False):
        if training:
            mean, variance = tf.nn.moments(x, axes=[0])
            keep = self.momentum
            self.moving_mean.assign(
                keep * self.moving_mean + (1 - keep) * mean
            )
            self.moving_variance.assign(
                keep * self.moving_variance + (1 - keep) * variance
            )
        else:
            mean, variance = self.moving_mean, self.moving_variance
        normalised = (x - mean) / tf.sqrt(variance + self.epsilon)
        return normalised * self.gamma + self.beta


# --8<-- [end:batch_norm]


def he_normal(shape, seed):
    """Weights of standard deviation sqrt(2 / fan_in), not truncated, as
    ``snippets.deeper.set_initial_scale`` draws them."""
    return tf.random.stateless_normal(
        shape, seed=seed, stddev=math.sqrt(2.0 / shape[0])
    )


class DeepMLP(tf.Module):
    """``depth`` hidden layers of ``width`` units: a first ReLU layer from the
    inputs, then ``depth - 1`` blocks of one kind (see ``BLOCKS``), then the
    logits. Every weight matrix starts with He initialisation.
    """

    def __init__(
        self,
        depth=16,
        width=64,
        block="plain",
        n_inputs=784,
        n_classes=10,
        seed=0,
    ):
        super().__init__(name="deep_mlp")
        if block not in BLOCKS:
            raise ValueError(
                f"unknown block {block!r}; choose one of {', '.join(BLOCKS)}"
            )
        if depth < 1 or width < 1:
            raise ValueError(
                f"depth and width must be at least 1, got {depth} and {width}"
            )
        self.depth, self.width, self.block = depth, width, block
        self.n_inputs, self.n_classes = n_inputs, n_classes
        self.first = tf.Variable(he_normal([n_inputs, width], [seed, 0]))
        self.first_bias = tf.Variable(tf.zeros([width]))
        self.weights, self.biases, self.norms = [], [], []
        for index in range(1, depth):
            self.weights.append(
                tf.Variable(he_normal([width, width], [seed, index]))
            )
            if block == "batch norm":
                self.norms.append(BatchNorm(width))
            elif "layer norm" in block:
                self.norms.append(LayerNorm(width))
            # a norm before the ReLU has its own shift, beta: no bias there
            normalised_sum = block in ("layer norm", "batch norm")
            self.biases.append(
                None if normalised_sum else tf.Variable(tf.zeros([width]))
            )
        self.out = tf.Variable(he_normal([width, n_classes], [seed, depth]))
        self.out_bias = tf.Variable(tf.zeros([n_classes]))

    # --8<-- [start:blocks]
    def step(self, index, h, training=False):
        """Hidden block ``index`` (from 0) applied to h, as ``self.block``
        says."""
        weights, bias = self.weights[index], self.biases[index]
        if self.block == "plain":
            return tf.nn.relu(h @ weights + bias)
        if self.block == "residual":
            return h + tf.nn.relu(h @ weights + bias)
        if self.block == "residual + layer norm":
            # normalise what enters the branch; the path past it stays as is
            normalised = self.norms[index](h, training)
            return h + tf.nn.relu(normalised @ weights + bias)
        # layer norm or batch norm: normalise h W before the ReLU
        return tf.nn.relu(self.norms[index](h @ weights, training))

    # --8<-- [end:blocks]

    def activations(self, x, training=False):
        """Every hidden layer's output, then the logits."""
        h = tf.nn.relu(x @ self.first + self.first_bias)
        outputs = [h]
        for index in range(self.depth - 1):
            h = self.step(index, h, training)
            outputs.append(h)
        outputs.append(h @ self.out + self.out_bias)
        return outputs

    def __call__(self, x, training=False):
        return self.activations(x, training)[-1]

    def dense_layers(self):
        """(weights, bias) of every matrix product, first to last, for
        copying into the Keras twin."""
        return [
            (self.first, self.first_bias),
            *zip(self.weights, self.biases),
            (self.out, self.out_bias),
        ]


def train_deep(
    model, data, epochs=3, batch_size=100, learning_rate=1e-3, seed=0
):
    """The chapter's usual training: Adam at 1e-3, batches of 100, shuffled
    from ``seed``. Returns the model."""
    optimizer = tf.keras.optimizers.Adam(learning_rate)
    variables = model.trainable_variables

    @tf.function(autograph=False)
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = softmax_cross_entropy(model(x, training=True), y)
        gradients = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(gradients, variables))
        return loss

    for epoch in range(epochs):
        shuffled = batches(
            batch_size, data.train_x, data.train_y, seed=1000 * seed + epoch
        )
        for x, y in shuffled:
            train_step(tf.constant(x), tf.constant(y))
    return model


def accuracy(model, features, labels):
    """The share of ``features`` classified right, in inference mode (batch
    norm uses its running averages)."""
    logits = model(tf.constant(features), training=False)
    return float(
        np.mean(np.argmax(logits, axis=1) == np.argmax(labels, axis=1))
    )


def sizes_at_start(depth, x, labels, blocks=BLOCKS, width=64, seed=0):
    """For each kind of block, a fresh network's signal and gradient sizes
    per hidden layer (``snippets.deeper.signal_sizes``), with batch norm
    using the batch's statistics, as it does in training."""
    return {
        block: signal_sizes(
            DeepMLP(depth, width, block, seed=seed), x, labels, training=True
        )
        for block in blocks
    }


# --8<-- [start:keras_blocks]
def keras_deep_mlp(
    depth=16, width=64, block="plain", n_inputs=784, n_classes=10
):
    """The same network from Keras layers: Add for the residual sum,
    LayerNormalization and BatchNormalization for the norms."""
    import keras
    from keras import layers

    def dense(**options):
        return layers.Dense(width, kernel_initializer="he_normal", **options)

    inputs = keras.Input((n_inputs,))
    h = dense(activation="relu")(inputs)
    for _ in range(depth - 1):
        if block == "plain":
            h = dense(activation="relu")(h)
        elif block == "residual":
            h = layers.Add()([h, dense(activation="relu")(h)])
        elif block == "residual + layer norm":
            branch = dense(activation="relu")(layers.LayerNormalization()(h))
            h = layers.Add()([h, branch])
        else:
            norm = (
                layers.LayerNormalization()
                if block == "layer norm"
                else layers.BatchNormalization()
            )
            h = layers.ReLU()(norm(dense(use_bias=False)(h)))
    logits = layers.Dense(n_classes, kernel_initializer="he_normal")(h)
    return keras.Model(inputs, logits)


# --8<-- [end:keras_blocks]


def main():
    from snippets.data import load_dataset

    data = load_dataset(validation_size=1000, limit=2000)
    x, labels = data.train_x[:256], data.train_y[:256]
    print(
        "Fresh networks of 48 hidden layers of 64 units, on 256 images: the "
        "size (RMS) of the output h of hidden layers 1 and 48, and of the "
        "gradient dL/dh arriving at them"
    )
    for block, (signal, gradient) in sizes_at_start(48, x, labels).items():
        print(
            f"  {block:<22} h {signal[0]:8.1e} -> {signal[-1]:8.1e}   "
            f"dL/dh {gradient[0]:8.1e} <- {gradient[-1]:8.1e}"
        )
    print(
        "Training them takes minutes: python -m benchmarks.deep_rescue "
        "(from the project's folder)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
