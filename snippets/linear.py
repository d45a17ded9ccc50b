"""A linear (logistic) classifier: logits = xW + b, trained with softmax cross-entropy.

Run it as a script to see its parameter count, how well it does on MNIST, and the kind of
data no linear model can classify:

    python -m snippets.linear
"""

import sys

import numpy as np
import tensorflow as tf


# --8<-- [start:parameter_count]
def parameter_count(n_inputs, n_classes):
    """Weights plus biases of a linear classifier: N*K weights and K biases =
    (N + 1) * K.
    """
    return (n_inputs + 1) * n_classes


# --8<-- [end:parameter_count]


# --8<-- [start:model]
class LinearClassifier(tf.Module):
    """logits = x @ weights + bias. Softmax of the logits gives class
    probabilities.
    """

    def __init__(self, n_inputs, n_classes, seed=0):
        super().__init__(name="linear")
        # Small random weights break the symmetry between classes; zeros would
        # also work here because there is no hidden layer, but small noise is
        # the habit to keep.
        init = tf.random.stateless_truncated_normal(
            [n_inputs, n_classes], seed=[seed, 0], stddev=0.01
        )
        self.weights = tf.Variable(init, name="weights")
        self.bias = tf.Variable(tf.zeros([n_classes]), name="bias")

    def __call__(self, x):
        return tf.matmul(x, self.weights) + self.bias


def softmax_cross_entropy(logits, labels):
    """Mean over the batch of -sum_k y_k log softmax(logits)_k, for one-hot
    ``labels``.
    """
    return tf.reduce_mean(
        tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    )


def accuracy(logits, labels):
    """Fraction of rows whose largest logit is at the true class."""
    correct = tf.equal(tf.argmax(logits, axis=1), tf.argmax(labels, axis=1))
    return float(tf.reduce_mean(tf.cast(correct, tf.float32)))


# --8<-- [end:model]


# --8<-- [start:log_softmax]
def log_softmax(logits):
    """log softmax(z)_k = z_k - log sum_j exp(z_j), row by row, in NumPy,
    without overflow: the log-sum-exp trick.

    Subtracting the row's largest logit m first changes nothing, because
    log sum_j exp(z_j) = m + log sum_j exp(z_j - m). But now the largest
    exp() is exp(0) = 1: no term overflows, and the sum is at least 1, so
    its logarithm is finite.
    """
    logits = np.asarray(logits)
    largest = logits.max(axis=-1, keepdims=True)
    shifted = logits - largest
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


# --8<-- [end:log_softmax]


# --8<-- [start:fit]
def fit(model, x, y, epochs=100, learning_rate=0.5, batch_size=None, seed=0):
    """Plain gradient descent on the cross-entropy; full batch unless
    ``batch_size`` is set.
    """
    x = tf.constant(x, tf.float32)
    y = tf.constant(y, tf.float32)
    optimizer = tf.keras.optimizers.SGD(learning_rate)

    # compiled once: each step then runs as one TensorFlow graph call
    @tf.function
    def step(x_batch, y_batch):
        with tf.GradientTape() as tape:
            loss = softmax_cross_entropy(model(x_batch), y_batch)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))

    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(x)) if batch_size else np.arange(len(x))
        size = batch_size or len(x)
        for start in range(0, len(x), size):
            index = order[start : start + size]
            step(tf.gather(x, index), tf.gather(y, index))
    return model


# --8<-- [end:fit]


# --8<-- [start:xor]
def xor_data(n=400, seed=0):
    """Points in the square [-1, 1]^2, class 1 when x and y have the same sign.

    The classes sit in opposite corners, so no single straight line separates
    them.
    """
    rng = np.random.default_rng(seed)
    points = rng.uniform(-1.0, 1.0, size=(n, 2)).astype(np.float32)
    labels = (points[:, 0] * points[:, 1] > 0).astype(np.int64)
    return points, np.eye(2, dtype=np.float32)[labels]


# --8<-- [end:xor]


# --8<-- [start:best_line]
def best_line_accuracy(points, labels, directions=720):
    """The best accuracy any straight line reaches on 2-D ``points``.

    Tries directions half a degree apart and, for each, every threshold
    between two neighbouring points: one side of the line says class 1, the
    other class 0, in both orientations.
    """
    classes = labels.argmax(axis=1)
    n, best = len(classes), 0.0
    for angle in np.linspace(0.0, np.pi, directions, endpoint=False):
        along = points @ np.array([np.cos(angle), np.sin(angle)])
        ordered = classes[np.argsort(along)]
        # Cut after the first k points: below the cut say 0, above it say 1.
        ones_below = np.concatenate([[0], np.cumsum(ordered)])
        below = np.arange(n + 1)
        correct = (below - ones_below) + (ordered.sum() - ones_below)
        # n - correct: the same cut with the two sides' answers swapped
        best = max(best, correct.max() / n, (n - correct.min()) / n)
    return best


# --8<-- [end:best_line]


def main():
    from snippets.data import load_dataset

    print(
        "parameters of a linear MNIST classifier: (784 + 1) * 10 = "
        f"{parameter_count(784, 10)}"
    )

    points, labels = xor_data()
    model = fit(
        LinearClassifier(2, 2), points, labels, epochs=300, learning_rate=0.5
    )
    print(
        "linear model on XOR-like data: accuracy "
        f"{accuracy(model(points), labels):.3f} (chance is 0.5)"
    )

    data = load_dataset(limit=10000)
    model = fit(
        LinearClassifier(784, 10),
        data.train_x,
        data.train_y,
        epochs=5,
        learning_rate=0.5,
        batch_size=100,
    )
    print(
        f"linear model on MNIST (10,000 training images, 5 epochs): "
        f"test accuracy {accuracy(model(data.test_x), data.test_y):.4f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
