"""The course's TensorFlow 1 code, fixed, running on ``tensorflow.compat.v1``.

A TensorFlow 1 program first describes a graph (placeholders for the inputs, variables, the
ops between them) and then runs parts of it in a ``Session``, feeding NumPy arrays into the
placeholders. TensorFlow 2 still ships that API as ``tf.compat.v1``, which is how old
course code keeps running. Every function here builds a ``tf.Graph`` of its own and runs it
in a ``Session`` of its own, so it can sit beside eager TensorFlow 2 code in one process
without changing any global setting.

Run it as a script to do it the TF1 way throughout: TensorFlow 2 behavior is switched off
for the whole (separate) process, then the course's network is trained with ``keep_prob``
dropout, saved with a ``Saver``, restored into a rebuilt graph, and two mistakes are reproduced next to their
fixes: the course's restore by automatic names, and the wrong accuracy printed by a
learner's notebook built on the course:

    python -m snippets.compat_v1
"""

import math
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import tensorflow as tf

from snippets.data import batches

v1 = tf.compat.v1


# --8<-- [start:network]
def build_network(n_hidden=256, learning_rate=0.1, seed=0):
    """The course's 784-256-10 network as a TF1 graph. Call it inside
    ``graph.as_default()``.
    """
    # graph-level seed: the same weights and dropout masks every run
    v1.set_random_seed(seed)
    # pixels scaled to [0, 1]
    features = v1.placeholder(tf.float32, [None, 784], name="features")
    labels = v1.placeholder(tf.float32, [None, 10], name="labels")  # one-hot
    # TF1 dropout takes the probability of KEEPING a unit. Defaulting to 1.0
    # means that evaluation, which feeds nothing, runs the whole network; only
    # training feeds 0.5.
    keep_prob = v1.placeholder_with_default(1.0, shape=[], name="keep_prob")

    weights, biases = {}, {}
    for name, fan_in, fan_out in [
        ("hidden_1", 784, n_hidden),
        ("out", n_hidden, 10),
    ]:
        # Small weights (He initialization), not random_normal's standard
        # deviation of 1, and explicit names: a Saver stores each variable
        # under its name.
        initial = v1.truncated_normal(
            [fan_in, fan_out], stddev=math.sqrt(2.0 / fan_in)
        )
        weights[name] = v1.Variable(initial, name=f"{name}_weights")
        biases[name] = v1.Variable(tf.zeros([fan_out]), name=f"{name}_bias")

    hidden = tf.nn.relu(
        tf.matmul(features, weights["hidden_1"]) + biases["hidden_1"]
    )
    hidden = v1.nn.dropout(hidden, keep_prob=keep_prob)
    logits = tf.matmul(hidden, weights["out"]) + biases["out"]

    loss = tf.reduce_mean(
        tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    )
    train_op = v1.train.GradientDescentOptimizer(learning_rate).minimize(loss)
    correct = tf.equal(tf.argmax(logits, axis=1), tf.argmax(labels, axis=1))
    # of THIS network's logits
    accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
    return SimpleNamespace(
        features=features,
        labels=labels,
        keep_prob=keep_prob,
        weights=weights,
        biases=biases,
        hidden=hidden,
        logits=logits,
        loss=loss,
        train_op=train_op,
        accuracy=accuracy,
    )


# --8<-- [end:network]


# --8<-- [start:session]
def train_and_save(
    data,
    save_path,
    epochs=2,
    batch_size=128,
    keep_prob=0.5,
    learning_rate=0.1,
    seed=0,
):
    """Train in a Session, feeding batches into the placeholders; save with a
    Saver.

    Returns the validation accuracy after each epoch.
    """
    graph = tf.Graph()
    with graph.as_default():
        net = build_network(learning_rate=learning_rate, seed=seed)
        saver = v1.train.Saver()  # every variable of the graph, by name
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            history = []
            for epoch in range(epochs):
                for x, y in batches(
                    batch_size, data.train_x, data.train_y, seed=seed + epoch
                ):
                    feed = {
                        net.features: x,
                        net.labels: y,
                        net.keep_prob: keep_prob,
                    }
                    sess.run(net.train_op, feed_dict=feed)
                # No keep_prob in the feed: it defaults to 1.0, no dropout at
                # evaluation.
                valid = {net.features: data.valid_x, net.labels: data.valid_y}
                history.append(float(sess.run(net.accuracy, feed_dict=valid)))
            saver.save(sess, str(save_path))
    return history


# --8<-- [end:session]


# --8<-- [start:restore]
def restore_and_evaluate(save_path, features, labels):
    """Rebuild the same graph in a fresh tf.Graph, restore the saved values,
    measure accuracy.
    """
    graph = tf.Graph()
    with graph.as_default():
        net = build_network()
        saver = v1.train.Saver()
        with v1.Session(graph=graph) as sess:
            # assigns every variable: no initializer to run
            saver.restore(sess, str(save_path))
            return float(
                sess.run(
                    net.accuracy,
                    feed_dict={net.features: features, net.labels: labels},
                )
            )


# --8<-- [end:restore]


# --8<-- [start:names]
def save_weights_and_bias(save_path, names=(None, None), use_resource=None):
    """Create a [2, 3] weights and a [3] bias variable, in that order, and save
    them.

    ``names=(None, None)`` lets TensorFlow name them ("Variable", "Variable_1")
    by creation order. Returns the names the Saver stored them under.
    """
    graph = tf.Graph()
    with graph.as_default():
        weights = v1.Variable(
            v1.truncated_normal([2, 3]),
            name=names[0],
            use_resource=use_resource,
        )
        bias = v1.Variable(
            v1.truncated_normal([3]), name=names[1], use_resource=use_resource
        )
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            v1.train.Saver().save(sess, str(save_path))
    return weights.name, bias.name


def restore_bias_then_weights(
    save_path, names=(None, None), use_resource=None
):
    """Create the same two variables in the OTHER order, then restore them by
    name.

    With automatic names the bias is now called "Variable", the name the [2, 3]
    weights were saved under. Returns the restored values as ``(weights,
    bias)``.
    """
    graph = tf.Graph()
    with graph.as_default():
        bias = v1.Variable(
            v1.truncated_normal([3]), name=names[1], use_resource=use_resource
        )
        weights = v1.Variable(
            v1.truncated_normal([2, 3]),
            name=names[0],
            use_resource=use_resource,
        )
        with v1.Session(graph=graph) as sess:
            v1.train.Saver().restore(sess, str(save_path))
            return sess.run(weights), sess.run(bias)


# --8<-- [end:names]


# --8<-- [start:wrong_accuracy]
def course_accuracy_bug(
    data, epochs=3, batch_size=128, learning_rate=0.001, seed=0
):
    """The stuck accuracy of a learner's notebook built on the course,
    reproduced: the op it printed measured a model nobody trained.

    The notebook first built the course's linear model (placeholder
    ``features``, its own ``accuracy``), then built the MLP on new placeholders
    and trained that, but kept printing the linear model's ``accuracy``. Raw
    0..255 pixels (Keras' loader) and the course's unit-variance weights, as in
    the notebook. Returns ``{"printed": [...],
    "trained": [...]}``: both accuracies after each epoch.
    """

    def accuracy_of(logits, labels):
        correct = tf.equal(
            tf.argmax(logits, axis=1), tf.argmax(labels, axis=1)
        )
        return tf.reduce_mean(tf.cast(correct, tf.float32))

    # the course's tf.random_normal: standard deviation 1
    def unit_normal(shape):
        return v1.Variable(v1.random_normal(shape))

    graph = tf.Graph()
    with graph.as_default():
        v1.set_random_seed(seed)
        # The first model: linear, and never trained.
        features = v1.placeholder(tf.float32, [None, 784])
        labels = v1.placeholder(tf.float32, [None, 10])
        linear_logits = tf.matmul(
            features, unit_normal([784, 10])
        ) + unit_normal([10])
        printed_accuracy = accuracy_of(linear_logits, labels)
        # The second model: the MLP that the optimizer trains, on new
        # placeholders x and y.
        x = v1.placeholder(tf.float32, [None, 784])
        y = v1.placeholder(tf.float32, [None, 10])
        hidden = tf.nn.relu(
            tf.matmul(x, unit_normal([784, 256])) + unit_normal([256])
        )
        logits = tf.matmul(hidden, unit_normal([256, 10])) + unit_normal([10])
        cost = tf.reduce_mean(
            tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits)
        )
        optimizer = v1.train.GradientDescentOptimizer(learning_rate).minimize(
            cost
        )
        trained_accuracy = accuracy_of(logits, y)

        # unscaled, as in the notebook
        raw_train, raw_valid = data.train_x * 255.0, data.valid_x * 255.0
        result = {"printed": [], "trained": []}
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            for epoch in range(epochs):
                for batch_x, batch_y in batches(
                    batch_size, raw_train, data.train_y, seed=seed + epoch
                ):
                    sess.run(optimizer, feed_dict={x: batch_x, y: batch_y})
                printed = sess.run(
                    printed_accuracy,
                    {features: raw_valid, labels: data.valid_y},
                )
                trained = sess.run(
                    trained_accuracy, {x: raw_valid, y: data.valid_y}
                )
                result["printed"].append(float(printed))
                result["trained"].append(float(trained))
    return result


# --8<-- [end:wrong_accuracy]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        print(
            "python -m snippets.compat_v1: error: it takes no arguments, got "
            f"{' '.join(argv)!r}",
            file=sys.stderr,
        )
        return 2
    # A TF1 program, in a process of its own: graph mode everywhere, TF1
    # variables.
    v1.disable_v2_behavior()
    # hide the deprecation notes about keep_prob and friends
    tf.get_logger().setLevel("ERROR")
    from snippets.data import load_dataset
    from snippets.mnist_files import DataError

    try:
        data = load_dataset(validation_size=1000, limit=5000)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        f"TensorFlow {tf.__version__}, eager execution: "
        f"{tf.executing_eagerly()}"
    )
    with tempfile.TemporaryDirectory() as folder:
        save_path = Path(folder) / "model.ckpt"
        history = train_and_save(data, save_path, epochs=2)
        print(
            "validation accuracy after each epoch (keep_prob 0.5 in "
            "training): "
            + ", ".join(f"{accuracy:.4f}" for accuracy in history)
        )
        restored = restore_and_evaluate(save_path, data.valid_x, data.valid_y)
        print(
            "restored into a rebuilt graph: validation accuracy "
            f"{restored:.4f}, the same: {restored == history[-1]}"
        )
        print(
            "saved variables:",
            ", ".join(
                f"{name} {shape}"
                for name, shape in tf.train.list_variables(str(save_path))
            ),
        )

        names = save_weights_and_bias(Path(folder) / "auto.ckpt")
        print(f"automatic names when saving weights then bias: {names}")
        try:
            restore_bias_then_weights(Path(folder) / "auto.ckpt")
        except tf.errors.InvalidArgumentError as error:
            reason = next(
                line
                for line in str(error).splitlines()
                if "Assign requires" in line
            )
            print(
                f"restoring after creating bias first fails: {reason.strip()}"
            )
        save_weights_and_bias(
            Path(folder) / "named.ckpt", names=("weights_0", "bias_0")
        )
        weights, bias = restore_bias_then_weights(
            Path(folder) / "named.ckpt", names=("weights_0", "bias_0")
        )
        print(
            "with explicit names the same order restores: weights "
            f"{weights.shape}, bias {bias.shape}"
        )

    bug = course_accuracy_bug(data, epochs=2)
    print(
        "the notebook's printed accuracy: "
        + ", ".join(f"{value:.4f}" for value in bug["printed"])
        + "; the network it trained: "
        + ", ".join(f"{value:.4f}" for value in bug["trained"])
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
