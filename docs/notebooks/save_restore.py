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
# # Save and restore: the notebook
#
# Companion to the chapter [Save and restore](../../save-restore/). We train a small network
# with checkpoints, look inside them, restore into a fresh model, resume an interrupted run,
# and damage a file on purpose. Everything printed was computed when this page was built.

# %%
from snippets.common import quiet_tensorflow

quiet_tensorflow()  # first: TensorFlow's start-up notes stay off the page

import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import tensorflow as tf

from snippets.checkpoint import restore_model
from snippets.data import load_dataset
from snippets.train import TrainConfig, train

data = load_dataset(validation_size=2000, limit=10000)
work = Path(tempfile.mkdtemp())
quiet = lambda message: None

# %% [markdown]
# ## Train with checkpoints
#
# Three epochs of the course's 784-256-10 network on 10,000 images, one checkpoint per epoch.

# %%
config = TrainConfig(epochs=3, limit=10000, validation_size=2000)
result = train(config, data=data, checkpoint_dir=work / "run", log=print)
print(sorted(path.name for path in (work / "run").iterdir()))

# %% [markdown]
# ## What one checkpoint holds
#
# The current weights (`model/`), the weights of the best epoch (`best/`), Adam's two moment
# estimates per variable and its step counter (`optimizer/`), and the training state.

# %%
prefix = tf.train.latest_checkpoint(str(work / "run"))
for name, shape in tf.train.list_variables(prefix):
    print(f"{name:<60} {shape}")

# %% [markdown]
# ## Restore into a fresh model
#
# `restore_model` rebuilds the network from `model.json` and loads the best epoch's weights.
# Its test accuracy is the one training reported.

# %%
from snippets.train import evaluate
from snippets.uncertainty import accuracy_of

restored = restore_model(work / "run")
_, accuracy = evaluate(restored, data.test_x, data.test_y)
print(
    f"reported by training: {result.test_accuracy:.4f}; restored model: "
    f"{accuracy:.4f}, that is {accuracy_of(accuracy, len(data.test_y))} "
    "with its 95 % interval"
)
assert accuracy == result.test_accuracy

# %% [markdown]
# ## Resume an interrupted run
#
# One epoch, a "crash", then the same command with three epochs: it picks up after epoch 1
# and ends exactly where the uninterrupted run above ended.

# %%
train(
    replace(config, epochs=1),
    data=data,
    checkpoint_dir=work / "resumed",
    log=quiet,
)
resumed = train(config, data=data, checkpoint_dir=work / "resumed", log=print)
same = all(
    np.array_equal(a.numpy(), b.numpy())
    for a, b in zip(
        result.model.trainable_variables, resumed.model.trainable_variables
    )
)
print(
    f"resumed from epoch {resumed.resumed_from_epoch}; weights identical to "
    f"the uninterrupted run: {same}"
)
assert same and resumed.resumed_from_epoch == 1

# %% [markdown]
# ## A damaged checkpoint
#
# Cut the newest data file to a quarter of its length, as an interrupted copy to another disk
# would. Reading the best epoch's weights now fails, the restore says so and uses the
# checkpoint of the epoch before. (Damage to a part of the file that `restore_model` does not
# read, such as the optimizer's state, does not stop it: the weights it needs are intact. A
# resumed training run reads everything and falls back the same way.)

# %%
newest = Path(prefix + ".data-00000-of-00001")
newest.write_bytes(newest.read_bytes()[: newest.stat().st_size // 4])
notes = []
fallback = restore_model(work / "run", log=notes.append)
print(notes[0])
assert "using ckpt-2" in notes[0]
