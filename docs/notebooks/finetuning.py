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
# # Finetuning: the notebook
#
# Companion to the chapter [Finetuning](../../finetuning/). We train the course's network,
# grow it by one hidden layer, and compare two ways of training the bigger network: from the
# trained first layer, and from scratch. Everything printed was computed when this page was
# built.

# %%
from snippets.common import quiet_tensorflow

quiet_tensorflow()  # first: TensorFlow's start-up notes stay off the page

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from snippets.data import load_dataset
from snippets.finetune import finetune_model
from snippets.train import TrainConfig, evaluate, train
from snippets.uncertainty import accuracy_of

data = load_dataset(validation_size=2000, limit=10000)
work = Path(tempfile.mkdtemp())
quiet = lambda message: None

# %% [markdown]
# ## The trained network
#
# 784-256-10, three epochs on 10,000 images.

# %%
base = train(
    TrainConfig(epochs=3, limit=10000, validation_size=2000),
    data=data,
    checkpoint_dir=work / "base",
    log=quiet,
)
n_test = len(data.test_x)  # each test accuracy comes with its 95 % interval
print(
    f"784-256-10 after 3 epochs: test accuracy "
    f"{accuracy_of(base.test_accuracy, n_test)}"
)

# %% [markdown]
# ## Grow it: 784-256-128-10
#
# The first layer is restored; the second hidden layer and the output layer are new.

# %%
grown, report = finetune_model(
    work / "base", hidden=(256, 128), new_head=True, seed=1
)
print("restored:", ", ".join(report["restored"]))
print("new:     ", ", ".join(report["new"]))
print(
    "before any training, the grown network scores "
    f"{accuracy_of(evaluate(grown, data.test_x, data.test_y)[1], n_test)}: "
    "its new layers are random"
)

# %% [markdown]
# ## Finetuned vs from scratch
#
# Both train the same 784-256-128-10 network for three epochs with the same data and seed;
# only the starting point of the first layer differs.

# %%
config = TrainConfig(
    hidden=(256, 128), epochs=3, limit=10000, validation_size=2000, seed=1
)
finetuned = train(config, data=data, init_from=grown, log=quiet)
scratch = train(config, data=data, log=quiet)
for name, run in (("finetuned", finetuned), ("from scratch", scratch)):
    curve = ", ".join(f"{row['valid_accuracy']:.4f}" for row in run.history)
    print(
        f"{name:<13} validation accuracy by epoch: {curve}; test "
        f"{accuracy_of(run.test_accuracy, n_test)}"
    )
assert (
    finetuned.history[0]["valid_accuracy"]
    > scratch.history[0]["valid_accuracy"]
)

epochs = [row["epoch"] for row in finetuned.history]
plt.plot(
    epochs,
    [row["valid_accuracy"] for row in finetuned.history],
    "o-",
    label="finetuned from 784-256-10",
)
plt.plot(
    epochs,
    [row["valid_accuracy"] for row in scratch.history],
    "s--",
    label="from scratch",
)
plt.xlabel("epoch")
plt.ylabel("validation accuracy")
plt.xticks(epochs)
plt.legend()
plt.title("784-256-128-10 on 10,000 MNIST images")
plt.show()
