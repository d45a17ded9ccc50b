# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Dropout, on and off
#
# Companion to the [Dropout](../../dropout/) chapter: what dropout does to a layer's
# activations, why the kept units are scaled by $1/p$ (with $p$ the keep probability), why it
# must be off at evaluation, and what it does to a wide network that would otherwise learn
# its few training images by heart.

# %%
from snippets.common import quiet_tensorflow

quiet_tensorflow()  # first: TensorFlow's start-up notes stay off the page

from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from snippets.data import load_dataset
from snippets.mlp import MLP, parameter_count
from snippets.regularization import dropout
from snippets.train import TrainConfig, evaluate, train
from snippets.uncertainty import accuracy_of, mcnemar

# %% [markdown]
# ## One layer of activations through dropout
#
# Ten activations, dropped with keep probability $p = 0.5$ under four different seeds: each
# unit is either zeroed or doubled. Averaged over many masks, every unit comes back to its
# original value, which is what the $1/p$ scaling is for.

# %%
activations = tf.constant([[0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0]])
for seed in range(4):
    print(
        f"seed {seed}:",
        dropout(activations, keep_prob=0.5, seed=[seed, 0])
        .numpy()
        .round(2)[0],
    )

# 5,000 copies of the row in one tensor: each row gets its own mask
masks = 5000
average = (
    dropout(tf.tile(activations, [masks, 1]), keep_prob=0.5, seed=[0, 1])
    .numpy()
    .mean(axis=0)
)
print(f"mean over {masks} masks:", average.round(2))
assert np.allclose(average, activations.numpy()[0], rtol=0.06)

# %% [markdown]
# ## Training mode and evaluation mode
#
# `MLP.__call__` applies dropout only when `training=True`. Called twice in training mode on
# the same images, a network with dropout answers differently; in evaluation mode it is a
# fixed function.

# %%
data = load_dataset(validation_size=1000, limit=1000)
model = MLP(hidden=(1024,), keep_prob=0.5)
images = data.valid_x[:5]
first = model(images, training=True, dropout_seed=(0, 1)).numpy()
second = model(images, training=True, dropout_seed=(0, 2)).numpy()
print(
    "training mode, two calls give the same logits:",
    np.allclose(first, second),
)
print(
    "evaluation mode, two calls give the same logits:",
    np.array_equal(model(images).numpy(), model(images).numpy()),
)
assert not np.allclose(first, second) and np.array_equal(
    model(images).numpy(), model(images).numpy()
)

# %% [markdown]
# ## A wide network on 1,000 images, with and without dropout
#
# 784-1024-10 has far more parameters than there are training images here (the cell prints
# both): plenty to memorize them. The same run twice, once with every unit kept and once with
# `keep_prob=0.5` on the hidden layer. As in the Regularization notebook, the step size is
# 0.003 so that overfitting shows within 20 epochs.

# %%
print(
    f"784-1024-10 has {parameter_count((1024,)):,} parameters for "
    f"{len(data.train_x):,} training images"
)
assert parameter_count((1024,)) > 500 * len(data.train_x)
config = TrainConfig(
    hidden=(1024,), epochs=20, patience=20, learning_rate=3e-3
)
runs = {
    "no dropout": train(config, data=data, log=lambda message: None),
    "keep_prob 0.5": train(
        replace(config, keep_prob=0.5), data=data, log=lambda message: None
    ),
}

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
for (label, run), color in zip(runs.items(), ["tab:blue", "tab:orange"]):
    epochs = [row["epoch"] for row in run.history]
    left.plot(
        epochs,
        [row["train_loss"] for row in run.history],
        color=color,
        linestyle="--",
        label=f"{label}: training",
    )
    left.plot(
        epochs,
        [row["valid_loss"] for row in run.history],
        color=color,
        label=f"{label}: validation",
    )
    right.plot(
        epochs,
        [row["valid_accuracy"] for row in run.history],
        color=color,
        label=label,
    )
left.set_yscale("log")
left.set_xlabel("epoch")
left.set_ylabel("cross-entropy")
left.legend(fontsize="small")
right.set_xlabel("epoch")
right.set_ylabel("validation accuracy")
right.legend()
fig.suptitle("784-1024-10 on 1,000 training images")
plt.tight_layout()
plt.show()

# %% [markdown]
# The training loss of the dropout run is measured with dropout on, on a thinned network, so
# it stays above the other; the fair comparison is the validation curves, where both
# networks are used whole.

# %%
summary = {}
n_valid = len(data.valid_x)  # accuracies come with their 95 % interval
for label, run in runs.items():
    valid_loss = [row["valid_loss"] for row in run.history]
    train_loss, train_accuracy = evaluate(
        run.model, data.train_x, data.train_y
    )
    summary[label] = {
        "final valid loss": valid_loss[-1],
        "lowest at epoch": int(np.argmin(valid_loss)) + 1,
        "best valid accuracy": max(
            row["valid_accuracy"] for row in run.history
        ),
        "train accuracy": train_accuracy,
    }
    print(
        f"{label:>14}: training accuracy {train_accuracy:.4f} (dropout off), "
        f"validation loss lowest {min(valid_loss):.3f} (epoch "
        f"{summary[label]['lowest at epoch']}) / final {valid_loss[-1]:.3f}, "
        "best validation accuracy "
        f"{accuracy_of(summary[label]['best valid accuracy'], n_valid)}"
    )
plain, dropped = summary["no dropout"], summary["keep_prob 0.5"]
# Both networks on the same validation digits (each run returns its best
# epoch's weights): McNemar's test looks only at the digits one of them reads
# and the other does not.
right = {
    label: np.argmax(run.model(data.valid_x).numpy(), axis=1)
    == np.argmax(data.valid_y, axis=1)
    for label, run in runs.items()
}
paired = mcnemar(right["keep_prob 0.5"], right["no dropout"])
print(paired.verdict("dropout", "no dropout"))
assert paired.p_value >= 0.05  # what the chapter says: no difference detected
assert plain["train accuracy"] == dropped["train accuracy"] == 1.0
assert (
    plain["lowest at epoch"] <= 10
    and plain["lowest at epoch"] < dropped["lowest at epoch"]
)
assert dropped["final valid loss"] < plain["final valid loss"]
assert dropped["best valid accuracy"] >= plain["best valid accuracy"]

# %% [markdown]
# Both networks classify every training image correctly. Without dropout the validation loss
# climbs after its first few epochs; with dropout it climbs later and ends lower. Their best
# validation accuracies are close: on these 1,000 validation digits, one run each, McNemar's
# test detects no difference. Any gain is modest on 1,000 images and one hidden layer.
# The `best` preset (`python -m snippets train --preset best`) applies dropout where it
# has more to work with: two hidden layers of 1,024 units, trained for more epochs.
