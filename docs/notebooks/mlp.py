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
# # The multilayer perceptron on MNIST: the notebook
#
# Companion to the chapter [The multilayer perceptron on MNIST](../../mlp/). Every number
# below was computed when this page was built; each cell checks its numbers before printing
# them. A test accuracy comes with its 95 % Wilson interval over the 10,000 test digits
# ([how sure is a number?](../../system/#how-sure-is-a-number)).

# %%
from snippets.common import quiet_tensorflow

quiet_tensorflow()  # first: TensorFlow's start-up notes stay off the page

from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from snippets.data import load_dataset
from snippets.linear import softmax_cross_entropy
from snippets.mlp import MLP, layer_names, parameter_count
from snippets.train import TrainConfig, evaluate, train
from snippets.uncertainty import accuracy_of

# %% [markdown]
# ## The course's network, 784-256-10

# %%
model = MLP(hidden=(256,))
for name in layer_names(1):
    w, b = model.weights[name], model.biases[name]
    print(f"{w.name:<20} {w.shape!s:<11} {b.name:<16} {b.shape}")
counted = sum(int(np.prod(v.shape)) for v in model.trainable_variables)
print(f"{counted:,} parameters")
assert counted == parameter_count((256,)) == (784 + 1) * 256 + (256 + 1) * 10

# %% [markdown]
# ## Starting values
#
# The same 1,000 training images go through two untrained networks: one set up as in the
# course (every weight and bias drawn from a normal distribution with standard deviation 1,
# pixels left at 0..255), one as on this site (He initialisation, zero biases, pixels
# scaled to [0, 1]).

# %%
data = load_dataset(validation_size=2000, limit=10000)
x, labels = data.train_x[:1000], data.train_y[:1000]


def course_network(seed=0):
    """784-256-10 with the course's tf.random_normal starting values (standard
    deviation 1).
    """
    network = MLP(hidden=(256,), seed=seed)
    for index, name in enumerate(layer_names(1)):
        network.weights[name].assign(
            tf.random.stateless_normal(
                network.weights[name].shape, seed=[seed, index]
            )
        )
        network.biases[name].assign(
            tf.random.stateless_normal(
                network.biases[name].shape, seed=[seed + 1, index]
            )
        )
    return network


rows = []
for setup, network, inputs in [
    ("course: N(0, 1), pixels 0..255", course_network(), x * 255),
    ("site: He, pixels in [0, 1]", MLP(hidden=(256,)), x),
]:
    logits = network(inputs)
    confidence = float(
        tf.reduce_mean(tf.reduce_max(tf.nn.softmax(logits), axis=1))
    )
    rows.append(
        (
            setup,
            float(tf.math.reduce_std(logits)),
            float(softmax_cross_entropy(logits, labels)),
            confidence,
        )
    )
    print(
        f"{setup:<32} logits' standard deviation {rows[-1][1]:>9,.2f}   loss "
        f"{rows[-1][2]:>9,.2f}   "
        f"mean top probability {confidence:.3f}"
    )
course_row, site_row = rows
assert (
    1e4 < course_row[1] < 1e5
    and 1e4 < course_row[2] < 1e5
    and course_row[3] > 0.99
)
assert site_row[1] < 1 and abs(site_row[2] - np.log(10)) < 0.2

# %% [markdown]
# The course's network starts with logits in the tens of thousands: its softmax is
# saturated, it is all but certain of every answer, and its loss is enormous. Ours starts
# near $\log 10 \approx 2.30$, the loss of a model that knows nothing yet and says so.
#
# Does the course's start stop the network from learning? We give our training loop the
# course's starting values (`init_from`), unscaled pixels and the course's optimiser, plain
# gradient descent at a learning rate of 0.001, for one epoch on 10,000 images.

# %%
unscaled = replace(
    data,
    train_x=data.train_x * 255,
    valid_x=data.valid_x * 255,
    test_x=data.test_x * 255,
)
course_config = TrainConfig(epochs=1, optimizer="sgd", learning_rate=0.001)
course_run = train(
    course_config,
    data=unscaled,
    init_from=course_network(),
    log=lambda message: None,
)
print(
    "the course's setup after one epoch: test accuracy "
    f"{accuracy_of(course_run.test_accuracy, len(data.test_x), digits=1)}"
)
assert course_run.test_accuracy > 0.5

# %% [markdown]
# It learns, so the constant 10.84 % that a learner's notebook built on the course printed at
# every epoch cannot have come from this network: it came from evaluating a different, untrained model (see the
# chapter).
#
# ## Training with the site's settings
#
# He initialisation, scaled pixels, Adam at 0.001, batches of 128: five epochs on the first
# 10,000 training images, validated on 2,000 held-out training images after every epoch.

# %%
result = train(TrainConfig(epochs=5), data=data, log=print)
print(
    "\ntest accuracy (all 10,000 test images): "
    f"{accuracy_of(result.test_accuracy, len(data.test_x))}"
)
assert 0.91 < result.test_accuracy < 0.99
history = result.history
assert history[0]["train_loss"] > history[0]["valid_loss"]
assert (
    history[-1]["train_loss"] < history[-2]["train_loss"]
    and history[-1]["valid_loss"] < history[-2]["valid_loss"]
)

# %%
epochs = [row["epoch"] for row in result.history]
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
left.plot(
    epochs,
    [row["train_loss"] for row in result.history],
    "o-",
    label="training (mean over the epoch)",
)
left.plot(
    epochs,
    [row["valid_loss"] for row in result.history],
    "s-",
    label="validation (end of the epoch)",
)
left.set_xlabel("epoch")
left.set_ylabel("cross-entropy")
left.set_xticks(epochs)
left.legend()
right.plot(
    epochs,
    [100 * row["valid_accuracy"] for row in result.history],
    "s-",
    color="C1",
)
right.set_xlabel("epoch")
right.set_ylabel("validation accuracy (%)")
right.set_xticks(epochs)
plt.tight_layout()
plt.show()

# %% [markdown]
# The training loss is the mean over an epoch while the weights were still changing, so in
# the first epoch it is higher than the validation loss measured at the end of it. After
# five epochs on 10,000 images both are still falling: this run stopped early.
# `python -m snippets train` trains on all 55,000 training images for up to 20 epochs; how
# accurate that gets, and how sure that number is: the system page.
#
# ## Which digits does it get wrong?

# %%
logits = result.model(data.test_x)
predicted = np.argmax(logits, axis=1)
true = np.argmax(data.test_y, axis=1)
wrong = np.flatnonzero(predicted != true)
loss, accuracy = evaluate(result.model, data.test_x, data.test_y)
assert len(wrong) == round((1 - accuracy) * len(true))
print(
    f"{len(wrong)} of {len(true):,} test digits are misclassified; the first "
    "ten:"
)
fig, axes = plt.subplots(1, 10, figsize=(12, 1.8))
for ax, index in zip(axes, wrong[:10]):
    ax.imshow(data.test_x[index].reshape(28, 28), cmap="gray_r")
    ax.set_title(f"{true[index]} → {predicted[index]}")
    ax.axis("off")
plt.tight_layout()
plt.show()
