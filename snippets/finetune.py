"""Finetuning: load the layers a trained network already learned into a changed network.

The course met this as a naming problem: TensorFlow 1 named variables by creation order, so
a model built in another order tried to load a 2x3 matrix into a 3-vector and failed with
"Assign requires shapes of both tensors to match". Our variables are named by layer
(``weights/hidden_1``), so we can match layers by name, check shapes, and say exactly which
layers were restored and which start fresh.

``variables_to_train`` and ``train_steps`` finetune with the restored layers
frozen: only the new layers learn, the trained ones keep what they learned.

``keep_digits`` and ``few_per_class`` make a task that is really new: a
network trained on the digits 0-4 adapts to the digits 5-9 from a few
labelled examples of each, and ``adapt`` trains it one of three ways (from
scratch, finetuned, finetuned with its first layer frozen).

Run it as a script to grow a trained 784-64-10 network into 784-64-32-10:

    python -m snippets.finetune
"""

import sys
import tempfile

import numpy as np
import tensorflow as tf

from snippets.checkpoint import (
    CheckpointError,
    latest_checkpoint,
    model_arguments,
    model_shapes,
    read_run,
    saved_shapes,
)
from snippets.data import batches_for_steps, one_hot
from snippets.linear import softmax_cross_entropy
from snippets.mlp import MLP
from snippets.train import evaluate


# --8<-- [start:load_layers]
def load_matching_layers(
    model, checkpoint_dir, new_head=False, allow_partial=False
):
    """Copy every saved variable whose name and shape fit ``model``; report
    what happened.

    Returns ``{"restored": [...], "new": [...]}``. A variable the checkpoint
    does not have (an extra layer) is new. The output layer is new when
    ``new_head`` is set. A saved variable of another shape is an error unless
    ``allow_partial`` is set, because quietly starting it from scratch would
    waste what was trained without anyone noticing.
    """
    prefix = latest_checkpoint(checkpoint_dir)
    key = "best" if saved_shapes(prefix, "best") else "model"
    saved = saved_shapes(prefix, key)
    reader = tf.train.load_checkpoint(prefix)
    report = {"restored": [], "new": []}
    mismatched = []
    for name, shape in model_shapes(model).items():
        table, layer = name.split("/")
        if new_head and layer == "out":
            report["new"].append(f"{name} (new head)")
        elif name not in saved:
            report["new"].append(f"{name} (not in the checkpoint)")
        elif saved[name] != shape:
            mismatched.append(
                f"{name}: saved {list(saved[name])}, model expects "
                f"{list(shape)}"
            )
            report["new"].append(
                f"{name} (shape changed from {list(saved[name])})"
            )
        else:
            value = reader.get_tensor(
                f"{key}/{name}/.ATTRIBUTES/VARIABLE_VALUE"
            )
            getattr(model, table)[layer].assign(value)
            report["restored"].append(name)
    if mismatched and not allow_partial:
        head = all("/out:" in m for m in mismatched)
        hint = " (pass new_head=True to start the output layer afresh)"
        raise CheckpointError(
            "refusing a partial restore, these saved variables do not fit: "
            + "; ".join(mismatched)
            + (hint if head else "")
            + "; pass allow_partial=True to start them from scratch",
            settings=("new_head", "allow_partial"),
        )
    return report


# --8<-- [end:load_layers]


# --8<-- [start:freeze]
def variables_to_train(model, report, freeze=False):
    """The variables a finetune updates: all of them, or with ``freeze`` only
    the ones ``load_matching_layers`` reported as new.
    """
    restored = set(report["restored"]) if freeze else set()
    variables = []
    for name in model_shapes(model):  # "weights/hidden_1", ...
        table, layer = name.split("/")
        if name not in restored:
            variables.append(getattr(model, table)[layer])
    return variables


def train_steps(
    model, variables, x, y, steps, batch_size=50, learning_rate=1e-3, seed=0
):
    """``steps`` steps of Adam on ``variables`` only: every other variable of
    ``model`` keeps its value, because no step ever changes it. The batches
    go over (x, y) epoch after epoch, shuffled anew each time: fewer examples
    means more epochs, not fewer steps.
    """
    optimizer = tf.keras.optimizers.Adam(learning_rate)
    signature = [
        tf.TensorSpec([None, model.n_inputs], tf.float32),
        tf.TensorSpec([None, model.n_classes], tf.float32),
    ]

    @tf.function(input_signature=signature, autograph=False)
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = softmax_cross_entropy(model(x), y)
        gradients = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(gradients, variables))

    for batch_x, batch_y in batches_for_steps(
        batch_size, x, y, steps, seed=seed * 1000
    ):
        step(batch_x, batch_y)


# --8<-- [end:freeze]


# --8<-- [start:digits]
def keep_digits(x, y, digits):
    """The rows of ``x`` whose label is one of ``digits``, relabelled by their
    place in ``digits`` (with 5-9, a 5 becomes 0 and a 9 becomes 4), one-hot
    over ``len(digits)`` classes.
    """
    digits = list(digits)
    labels = np.argmax(y, axis=1)
    keep = np.isin(labels, digits)
    place = {digit: index for index, digit in enumerate(digits)}
    relabelled = np.array([place[label] for label in labels[keep]], int)
    return x[keep], one_hot(relabelled, len(digits))


def few_per_class(x, y, per_class, seed=0):
    """``per_class`` examples of every class, drawn by ``seed``, in the order
    they came. With the same seed, a larger ``per_class`` keeps every example
    of a smaller one and adds more.
    """
    order = np.random.default_rng(seed).permutation(len(x))
    labels = np.argmax(y[order], axis=1)
    chosen = []
    for label in range(y.shape[1]):
        of_label = order[labels == label]
        if len(of_label) < per_class:
            raise ValueError(
                f"per_class={per_class}, but class {label} has only "
                f"{len(of_label)} examples"
            )
        chosen.append(of_label[:per_class])
    chosen = np.sort(np.concatenate(chosen))
    return x[chosen], y[chosen]


# --8<-- [end:digits]


# --8<-- [start:adapt]
WAYS = ("from scratch", "finetuned", "finetuned, first layer frozen")


def adapt(
    way, checkpoint_dir, x, y, steps, hidden=(256,), batch_size=50, seed=0
):
    """A network with ``hidden`` widths and a new output layer for ``y``'s
    classes, trained ``way`` for ``steps`` steps of Adam on (x, y).

    From scratch, every layer starts random. Finetuned, the hidden layers
    start from the network saved in ``checkpoint_dir`` and all train.
    Frozen, they keep the saved values and only the output layer trains.
    """
    model = MLP(hidden=hidden, n_classes=y.shape[1], seed=seed)
    report = {"restored": []}  # from scratch: nothing restored
    if way != "from scratch":
        report = load_matching_layers(model, checkpoint_dir, new_head=True)
    frozen = way == "finetuned, first layer frozen"
    variables = variables_to_train(model, report, freeze=frozen)
    train_steps(model, variables, x, y, steps, batch_size, seed=seed)
    return model


# --8<-- [end:adapt]


def finetune_model(
    checkpoint_dir,
    hidden=None,
    new_head=False,
    allow_partial=False,
    seed=0,
    log=None,
):
    """A model with ``hidden`` widths (default: the saved ones) holding the
    trained layers. The folder's model.json and checkpoint are checked before
    any model is built (``read_run``; ``log`` hears its notes).
    """
    arguments = model_arguments(*read_run(checkpoint_dir, log))
    model = MLP(
        **dict(arguments, hidden=hidden or arguments["hidden"]), seed=seed
    )
    report = load_matching_layers(
        model, checkpoint_dir, new_head=new_head, allow_partial=allow_partial
    )
    return model, report


def main():
    from snippets.data import load_dataset
    from snippets.train import TrainConfig, train

    data = load_dataset(limit=10000)
    with tempfile.TemporaryDirectory() as folder:
        first = train(
            TrainConfig(hidden=(64,), epochs=3, limit=10000),
            data=data,
            checkpoint_dir=folder,
            log=lambda message: None,
        )
        print(
            "trained 784-64-10 for 3 epochs: test accuracy "
            f"{first.test_accuracy:.4f}"
        )
        try:
            finetune_model(folder, hidden=(64, 32))
        except CheckpointError as error:
            print(f"without new_head=True: {error}")
        model, report = finetune_model(folder, hidden=(64, 32), new_head=True)
        print("784-64-32-10 with the trained first layer:")
        print("  restored:", ", ".join(report["restored"]))
        print("  new:     ", ", ".join(report["new"]))
        print(
            "  before any training its test accuracy is "
            f"{evaluate(model, data.test_x, data.test_y)[1]:.4f}"
        )
        second = train(
            TrainConfig(hidden=(64, 32), epochs=2, limit=10000),
            data=data,
            init_from=model,
            log=lambda message: None,
        )
        print(f"  after 2 epochs of finetuning: {second.test_accuracy:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
