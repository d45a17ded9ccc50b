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
# # Rectified linear units: the notebook
#
# Companion to the chapter [Rectified linear units](../../relu/). Every number below was
# computed when this page was built; each cell checks its numbers before printing them.

# %%
from snippets.common import quiet_tensorflow

quiet_tensorflow()  # first: TensorFlow's start-up notes stay off the page

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from snippets.data import load_dataset
from snippets.mlp import MLP
from snippets.relu import after_one_epoch, relu, relu_derivative
from snippets.uncertainty import accuracy_of, wilson_interval

# %% [markdown]
# ## The ReLU and its derivative
#
# Our NumPy functions, with TensorFlow's own `tf.nn.relu` and its gradient from
# `tf.GradientTape` checked against them at 401 points.

# %%
x = np.linspace(-2, 2, 401).astype(np.float32)
xt = tf.constant(x)
with tf.GradientTape() as tape:
    tape.watch(xt)
    yt = tf.nn.relu(xt)
tf_derivative = tape.gradient(yt, xt).numpy()
assert np.array_equal(relu(x), yt.numpy()) and np.array_equal(
    relu_derivative(x), tf_derivative
)

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
left.plot(x, relu(x))
left.set_title("relu(x) = max(0, x)")
right.plot(x[x < 0], relu_derivative(x[x < 0]), color="C1")
right.plot(x[x > 0], relu_derivative(x[x > 0]), color="C1")
right.plot([0], [0], "o", color="C1")  # TensorFlow's value at exactly 0
right.plot([0], [1], "o", color="C1", fillstyle="none")
right.set_title("relu'(x): 0, then 1")
right.set_ylim(-0.1, 1.1)
for ax in (left, right):
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.axvline(0, color="grey", linewidth=0.5)
    ax.set_xlabel("x")
plt.tight_layout()
plt.show()

# %% [markdown]
# Compare the sigmoid $\sigma(x) = 1/(1 + e^{-x})$, whose derivative $\sigma(x)(1 - \sigma(x))$
# is never more than $\tfrac14$:

# %%
sigmoid = 1 / (1 + np.exp(-np.linspace(-6, 6, 1201)))
largest_slope = float(np.max(sigmoid * (1 - sigmoid)))
print(
    f"largest slope of the sigmoid: {largest_slope:.4f}; through ten sigmoid "
    "layers at most "
    f"{largest_slope**10:.1e} of the gradient is left"
)
assert abs(largest_slope - 0.25) < 1e-12 and largest_slope**10 < 1e-6

# %% [markdown]
# ## Two linear layers collapse into one; a ReLU between them does not
#
# A network with one input, a hidden layer of 8 units, and one output, drawn over
# $x \in [-3, 3]$: first without and then with the ReLU. Without it, the two layers are the
# single line $x(W_1W_2) + (b_1W_2 + b_2)$.

# %%
rng = np.random.default_rng(3)
w1, b1 = rng.normal(size=(1, 8)), rng.normal(size=8)
w2, b2 = rng.normal(size=(8, 1)), rng.normal(size=1)
inputs = np.linspace(-3, 3, 601).reshape(-1, 1)

two_linear_layers = (inputs @ w1 + b1) @ w2 + b2
one_layer = inputs @ (w1 @ w2) + (b1 @ w2 + b2)
assert np.allclose(two_linear_layers, one_layer)
with_relu = relu(inputs @ w1 + b1) @ w2 + b2

plt.figure(figsize=(5.5, 3.4))
plt.plot(inputs, two_linear_layers, label="two linear layers = one line")
plt.plot(inputs, with_relu, label="with a ReLU between them")
for corner in -b1 / w1[0]:
    if -3 < corner < 3:
        plt.axvline(corner, color="grey", linewidth=0.5, linestyle=":")
plt.xlabel("x")
plt.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# The dotted lines mark where one of the eight hidden units switches on or off: the only
# places the ReLU network can bend.
#
# ## About half the units are off
#
# For a batch of real MNIST images, what fraction of the hidden layer of a freshly
# initialised 784-256-10 network outputs exactly 0?

# %%
data = load_dataset(validation_size=1000, limit=1000)
model = MLP(hidden=(256,))
hidden = tf.nn.relu(
    data.train_x @ model.weights["hidden_1"] + model.biases["hidden_1"]
).numpy()
off = float(np.mean(hidden == 0))
patterns = len({tuple(row > 0) for row in hidden})
print(
    f"{off:.0%} of the hidden outputs are 0; the 1,000 images switch on "
    f"{patterns:,} different sets of units"
)
assert 0.35 < off < 0.65 and patterns == 1000

# %% [markdown]
# Each image switches on its own set of units, so the network applies a different linear
# function to each: that is where its flexibility comes from.
#
# ## Dead units
#
# One epoch of plain gradient descent on 3,000 images, at a sensible learning rate and at
# far too large a one. A unit is dead when it outputs 0 for every one of the images.

# %%
small_data = load_dataset(validation_size=1000, limit=3000)
dead, accuracy = {}, {}
for learning_rate in (0.1, 3.0):
    dead[learning_rate], accuracy[learning_rate], n = after_one_epoch(
        learning_rate, small_data
    )
    print(
        f"learning rate {learning_rate}: {dead[learning_rate]:.0%} of the 256 "
        "hidden units dead, test accuracy "
        f"{accuracy_of(accuracy[learning_rate], n, digits=1)}"
    )
commonest = np.bincount(small_data.test_y.argmax(axis=1)).max() / n
print(
    f"answering the commonest digit for every image: {100 * commonest:.2f} %"
)
assert dead[0.1] < 0.05 and dead[3.0] > 0.5
assert accuracy[3.0] < 0.3 and accuracy[0.1] > 0.6
# "no better than guessing": its interval reaches the commonest digit's share
assert wilson_interval(round(accuracy[3.0] * n), n)[0] <= commonest

# %% [markdown]
# The accuracies carry their 95 % interval over the 10,000 test images. At a learning rate
# of 3 the network is no better than always answering the commonest digit.
#
# A dead unit of the first hidden layer gets a zero gradient for every image, and since its
# inputs are the pixels, which training never changes, no later update can revive it.
#
# ## Building functions from ReLUs
#
# Three ReLUs make a hat; hats at evenly spaced points, scaled to the value of a function
# there, join those values with straight lines.


# %%
def hat(x):
    return relu(x + 1) - 2 * relu(x) + relu(x - 1)


def sum_of_hats(f, x, n, start, stop):
    """n hats of width (stop - start) / (n - 1), one at each of n evenly spaced
    points.
    """
    centres = np.linspace(start, stop, n)
    width = centres[1] - centres[0]
    return sum(f(c) * hat((x - c) / width) for c in centres)


x = np.linspace(-2, 2, 401)
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.4))
left.plot(x, relu(x + 1), ":", label="relu(x + 1)")
left.plot(x, -2 * relu(x), ":", label="-2 relu(x)")
left.plot(x, relu(x - 1), ":", label="relu(x - 1)")
left.plot(x, hat(x), "k-", linewidth=2, label="their sum: a hat")
left.set_ylim(-2.2, 2.2)
left.legend(fontsize=8)

x = np.linspace(0, 2 * np.pi, 2001)
right.plot(x, np.sin(x), "k-", linewidth=2, label="sin x")
errors = {}
for n in (4, 8, 16, 32):
    approximation = sum_of_hats(np.sin, x, n, 0, 2 * np.pi)
    errors[n] = float(np.max(np.abs(approximation - np.sin(x))))
    if n in (4, 8):
        right.plot(x, approximation, label=f"{n} hats")
right.legend(fontsize=8)
plt.tight_layout()
plt.show()

for n, error in errors.items():
    print(f"{n:>2} hats: largest error {error:.4f}")
counts = list(errors)
# doubling n cuts the error about 4x
assert all(errors[a] > 3 * errors[b] for a, b in zip(counts, counts[1:]))

# %% [markdown]
# Doubling the number of hats cuts the largest error by about four: the error of joining
# points with straight lines shrinks with the square of their spacing.
