"""Finetuning: load the layers a trained network already learned into a changed network.

The course met this as a naming problem: TensorFlow 1 named variables by creation order, so
a model built in another order tried to load a 2x3 matrix into a 3-vector and failed with
"Assign requires shapes of both tensors to match". Our variables are named by layer
(``weights/hidden_1``), so we can match layers by name, check shapes, and say exactly which
layers were restored and which start fresh.

Run it as a script to grow a trained 784-64-10 network into 784-64-32-10:

    python -m snippets.finetune
"""

import sys
import tempfile

import tensorflow as tf

from snippets.checkpoint import (
    CheckpointError,
    latest_checkpoint,
    model_shapes,
    read_architecture,
    saved_shapes,
)
from snippets.mlp import MLP


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
        hint = (
            " (pass --new-head to start the output layer afresh)"
            if all("/out:" in m for m in mismatched)
            else ""
        )
        raise CheckpointError(
            "refusing a partial restore, these saved variables do not fit: "
            + "; ".join(mismatched)
            + hint
            + "; pass --allow-partial to start them from scratch"
        )
    return report


# --8<-- [end:load_layers]


def finetune_model(
    checkpoint_dir, hidden=None, new_head=False, allow_partial=False, seed=0
):
    """A model with ``hidden`` widths (default: the saved ones) holding the
    trained layers.
    """
    saved = read_architecture(checkpoint_dir)
    model = MLP(
        hidden=hidden or saved["hidden"],
        n_inputs=saved["n_inputs"],
        n_classes=saved["n_classes"],
        keep_prob=saved["keep_prob"],
        input_keep_prob=saved["input_keep_prob"],
        seed=seed,
    )
    report = load_matching_layers(
        model, checkpoint_dir, new_head=new_head, allow_partial=allow_partial
    )
    return model, report


def main():
    from snippets.data import load_dataset
    from snippets.train import TrainConfig, evaluate, train

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
            print(f"without --new-head: {error}")
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
