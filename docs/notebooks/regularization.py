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
# # Regularization: early stopping and L2
#
# Companion to the [Regularization](../../regularization/) chapter. The course's network
# has some two hundred thousand weights; given only 1,000 training images, it can learn them by
# heart. This notebook makes that happen on purpose, watches it in the validation curves, and
# then applies the two remedies of the chapter: stopping at the right epoch, and an L2 penalty
# on the weights.
#
# To make overfitting show within 30 epochs on a small slice, the step size is three times
# the project's default (Adam at 0.003 instead of 0.001). Everything else is `snippets.train`
# as the command line runs it.

# %%
from snippets.common import quiet_tensorflow

quiet_tensorflow()  # first: TensorFlow's start-up notes stay off the page

from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np

from snippets.data import load_dataset
from snippets.mlp import MLP
from snippets.regularization import EarlyStopping
from snippets.train import TrainConfig, train
from snippets.uncertainty import accuracy_of

data = load_dataset(validation_size=2000, limit=1000)
n_valid = len(data.valid_x)  # each accuracy below comes with its 95 % interval
print(
    f"{len(data.train_x)} training images, {len(data.valid_x)} validation "
    f"images, {len(data.test_x)} test images"
)

# patience=30 with 30 epochs: never stop early, so we see the whole curve.
config = TrainConfig(hidden=(256,), epochs=30, patience=30, learning_rate=3e-3)
plain = train(config, data=data, log=lambda message: None)
epochs = [row["epoch"] for row in plain.history]

# %% [markdown]
# ## Training loss keeps falling; validation loss turns
#
# The training loss is the mean over each epoch's mini-batches; the validation loss is measured
# after the epoch on the 2,000 held-out images.

# %%
train_loss = np.array([row["train_loss"] for row in plain.history])
valid_loss = np.array([row["valid_loss"] for row in plain.history])
valid_accuracy = np.array([row["valid_accuracy"] for row in plain.history])
lowest = int(np.argmin(valid_loss))

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
left.plot(epochs, train_loss, label="training loss")
left.plot(epochs, valid_loss, label="validation loss")
left.axvline(
    epochs[lowest],
    color="grey",
    linestyle=":",
    label=f"lowest validation loss (epoch {epochs[lowest]})",
)
left.set_xlabel("epoch")
left.set_ylabel("cross-entropy")
left.set_yscale("log")
left.legend()
right.plot(epochs, valid_accuracy, color="tab:orange")
right.set_xlabel("epoch")
right.set_ylabel("validation accuracy")
fig.suptitle("784-256-10 on 1,000 training images, no regularization")
plt.tight_layout()
plt.show()

print(
    f"training loss: {train_loss[0]:.3f} after epoch 1, {train_loss[-1]:.4f} "
    f"after epoch {epochs[-1]}"
)
print(
    f"validation loss: lowest {valid_loss[lowest]:.3f} at epoch "
    f"{epochs[lowest]}, {valid_loss[-1]:.3f} at the end"
)
print(
    f"validation accuracy: best {accuracy_of(valid_accuracy.max(), n_valid)}, "
    f"{accuracy_of(valid_accuracy[-1], n_valid)} at the end"
)
# the training images are learned almost perfectly
assert train_loss[-1] < 0.02 < valid_loss[lowest]
# validation loss turned up
assert lowest < len(epochs) - 5 and valid_loss[-1] > 1.05 * valid_loss[lowest]

# %% [markdown]
# The validation loss rises while the validation accuracy barely moves: on the validation
# images it already gets wrong, the network grows ever more confident, which cross-entropy
# punishes. The loss notices overfitting before the accuracy does.
#
# ## Early stopping
#
# `train()` checks the validation accuracy after every epoch with `EarlyStopping` and keeps a
# copy of the weights of the best epoch. Replaying the same class on the history above shows
# where the default patience of 5 epochs would have stopped, and which epoch it would keep.

# %%
stopper = EarlyStopping(patience=5)
for row in plain.history:
    stopper.update(row["valid_accuracy"], row["epoch"])
    if stopper.should_stop:
        break
stopped_at, kept_epoch = row["epoch"], int(stopper.best_epoch)
print(
    f"with patience 5, training stops after epoch {stopped_at} of "
    f"{epochs[-1]} "
    f"and keeps epoch {kept_epoch} (validation accuracy "
    f"{accuracy_of(float(stopper.best_score), n_valid)})"
)
print(
    f"the full run's best epoch is {plain.best_epoch}; its returned model "
    "holds that epoch's weights"
)
assert kept_epoch <= stopped_at < epochs[-1]
assert plain.best_epoch == epochs[int(np.argmax(valid_accuracy))]
# the validation loss turned before the accuracy peaked
assert epochs[lowest] < plain.best_epoch

# %%
fig, ax = plt.subplots(figsize=(6, 3.4))
ax.plot(epochs, valid_accuracy, label="validation accuracy")
ax.axvspan(
    stopped_at,
    epochs[-1],
    color="grey",
    alpha=0.15,
    label="epochs early stopping skips",
)
ax.axvline(
    kept_epoch,
    color="tab:green",
    linestyle="--",
    label=f"epoch kept (epoch {kept_epoch})",
)
ax.set_xlabel("epoch")
ax.set_ylabel("validation accuracy")
ax.legend(loc="lower right")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## L2: the same run with a penalty on the weights
#
# Now the same 30 epochs with $\lambda = 0.001$: the loss becomes the cross-entropy plus
# $\frac{\lambda}{2} \sum \lVert W \rVert^2$ over both weight matrices (not the biases).

# %%
penalized = train(
    replace(config, l2=1e-3), data=data, log=lambda message: None
)


def squared_norm(model):
    return sum(float(np.sum(w.numpy() ** 2)) for w in model.weight_matrices())


penalized_loss = np.array([row["valid_loss"] for row in penalized.history])
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
left.plot(epochs, valid_loss, label="no penalty")
left.plot(epochs, penalized_loss, label="L2, $\\lambda = 0.001$")
left.set_xlabel("epoch")
left.set_ylabel("validation loss")
left.legend()
for model, label in [
    (plain.model, "no penalty"),
    (penalized.model, "L2, $\\lambda = 0.001$"),
]:
    right.hist(
        model.weights["hidden_1"].numpy().ravel(),
        bins=100,
        histtype="step",
        label=label,
    )
right.set_yscale("log")
right.set_xlabel("weight value (hidden layer)")
right.set_ylabel("count")
right.legend()
plt.tight_layout()
plt.show()

ratio = squared_norm(penalized.model) / squared_norm(plain.model)
print(
    f"sum of squared weights: {squared_norm(plain.model):.0f} without the "
    "penalty, "
    f"{squared_norm(penalized.model):.0f} with it ({ratio:.0%})"
)
print(
    f"validation loss at the end: {valid_loss[-1]:.3f} without, "
    f"{penalized_loss[-1]:.3f} with the penalty"
)
best_plain, best_penalized = (
    accuracy_of(run.history[run.best_epoch - 1]["valid_accuracy"], n_valid)
    for run in (plain, penalized)
)
print(
    f"best validation accuracy: {best_plain} without, "
    f"{best_penalized} with the penalty"
)
assert ratio < 0.6
assert penalized_loss[-1] < valid_loss[-1]
best_accuracies = [
    run.history[run.best_epoch - 1]["valid_accuracy"]
    for run in (plain, penalized)
]
assert abs(best_accuracies[0] - best_accuracies[1]) < 0.02

# %% [markdown]
# The spike at zero in the penalized histogram comes from the pixels that are blank in every
# training image, near the borders. Their weights get no gradient from the data at all, so
# without the penalty they keep their random starting values forever. With it their only
# gradient is the tiny pull of the penalty, and Adam, which divides every gradient by its
# own recent size, turns that pull into steps as large as any other weight's: Adam takes
# them to zero. Plain gradient descent would only shrink them by $1 - \eta\lambda$ a step
# (the chapter's page replays one such weight under both).

# %%
blank = data.train_x.max(axis=0) == 0
for model, label in [
    (plain.model, "no penalty"),
    (penalized.model, "with L2"),
]:
    weights = np.abs(model.weights["hidden_1"].numpy()[blank])
    print(
        f"{label:>10}: {blank.sum()} always-blank pixels, mean |weight| from "
        f"them {weights.mean():.4f}"
    )
initial = np.abs(
    MLP(hidden=(256,), seed=config.seed).weights["hidden_1"].numpy()[blank]
)
# untouched
assert np.allclose(
    np.abs(plain.model.weights["hidden_1"].numpy()[blank]), initial
)
assert (
    np.abs(penalized.model.weights["hidden_1"].numpy()[blank]).mean()
    < 0.1 * initial.mean()
)

# %% [markdown]
# The penalty shrinks the weights and holds the validation loss down. Whether it also buys
# accuracy depends on the data and on $\lambda$: compare the best validation accuracies
# above, and try other values with `python -m snippets train --l2 ...`, always judging by the
# validation set, never the test set.
