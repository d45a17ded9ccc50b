"""Finetuning: load the layers a trained network already learned into a changed network.

The course met this as a naming problem: TensorFlow 1 named variables by creation order, so
a model built in another order tried to load a 2x3 matrix into a 3-vector and failed with
"Assign requires shapes of both tensors to match". Our variables are named by layer
(``weights/hidden_1``), so we can match layers by name, check shapes, and say exactly which
layers were restored and which start fresh.

``variables_to_train`` and ``fit_variables`` finetune with the restored layers
frozen: only the new layers learn, the trained ones keep what they learned.

Run it as a script to grow a trained 784-64-10 network into 784-64-32-10:

    python -m snippets.finetune
"""

import sys
import tempfile

import tensorflow as tf

from snippets.checkpoint import (
    CheckpointError,
    latest_checkpoint,
    model_arguments,
    model_shapes,
    read_run,
    saved_shapes,
)
from snippets.data import batches
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


def fit_variables(
    model, variables, data, epochs, batch_size=100, learning_rate=1e-3, seed=0
):
    """Adam on ``variables`` only: every other variable of ``model`` keeps its
    value, because no step ever changes it.

    Returns the validation accuracy before training and after each epoch.
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

    curve = [evaluate(model, data.valid_x, data.valid_y)[1]]
    for epoch in range(1, epochs + 1):
        shuffled = batches(
            batch_size, data.train_x, data.train_y, seed=seed * 1000 + epoch
        )
        for x, y in shuffled:
            step(x, y)
        curve.append(evaluate(model, data.valid_x, data.valid_y)[1])
    return curve


# --8<-- [end:freeze]


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
