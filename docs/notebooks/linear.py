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
# # Linear models are limited: the notebook
#
# Companion to the chapter [Linear models are limited](../../linear/). Everything printed
# here was computed when this page was built, and each cell checks its numbers before
# printing them.

# %%
from snippets.common import quiet_tensorflow

quiet_tensorflow()  # first: TensorFlow's start-up notes stay off the page

import time

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from snippets.data import load_dataset
from snippets.linear import (
    LinearClassifier,
    accuracy,
    fit,
    parameter_count,
    xor_data,
)
from snippets.mlp import MLP
from snippets.uncertainty import accuracy_of

# %% [markdown]
# ## Parameters
#
# $(N + 1)K$ from the formula, and the same number counted from the model's variables.

# %%
model = LinearClassifier(784, 10)
counted = sum(int(np.prod(v.shape)) for v in model.trainable_variables)
print(
    f"formula (784 + 1) * 10 = {parameter_count(784, 10):,}; counted from the "
    f"variables: {counted:,}"
)
assert counted == parameter_count(784, 10) == 7850

# %% [markdown]
# ## Cheap: how fast this machine multiplies matrices
#
# A product of two $n \times n$ matrices takes $2n^3$ floating-point operations. We time one
# (after a first, untimed call that lets TensorFlow pick its kernel) and keep the fastest of a
# few runs, since other programs share the processor.

# %%
n = 1024
a = tf.random.stateless_uniform([n, n], seed=[0, 1])
b = tf.random.stateless_uniform([n, n], seed=[0, 2])
tf.matmul(a, b).numpy()  # warm-up
times = []
for _ in range(5):
    start = time.perf_counter()
    tf.matmul(a, b).numpy()
    times.append(time.perf_counter() - start)
gflops = 2 * n**3 / min(times) / 1e9
print(
    f"{n}x{n} matmul: {min(times) * 1000:.1f} ms, {gflops:.0f} GFLOP/s on "
    "this machine"
)
print(
    f"so the linear model's forward pass over all 10,000 test images "
    f"({2 * 10000 * 784 * 10 / 1e6:.0f} MFLOP) needs about "
    f"{2 * 10000 * 784 * 10 / (gflops * 1e9) * 1000:.1f} ms of arithmetic"
)
assert 0.1 < gflops < 1e6  # a sanity check, not a benchmark

# %% [markdown]
# ## Stable: a small change in, a small change out
#
# For $z = xW + b$, $\lVert z(x + \delta) - z(x) \rVert = \lVert \delta W \rVert \le
# \lVert \delta \rVert \, \lVert W \rVert_2$, where $\lVert W \rVert_2$ is the largest singular
# value. We perturb one image by random noise of growing size and plot how far the logits move.

# %%
model = LinearClassifier(784, 10, seed=0)
model.weights.assign(
    tf.random.stateless_normal([784, 10], seed=[3, 4], stddev=0.05)
)
x = tf.random.stateless_uniform([1, 784], seed=[5, 6])
spectral_norm = float(tf.linalg.svd(model.weights, compute_uv=False)[0])
sizes = np.logspace(-4, 1, 20)
moved = []
for i, size in enumerate(sizes):
    direction = tf.random.stateless_normal([1, 784], seed=[7, i])
    delta = size * direction / tf.norm(direction)
    moved.append(float(tf.norm(model(x + delta) - model(x))))
moved = np.array(moved)
assert np.all(moved <= spectral_norm * sizes * (1 + 1e-4) + 1e-6)

plt.figure(figsize=(5, 3.5))
plt.loglog(sizes, moved, "o", label="measured")
plt.loglog(
    sizes, spectral_norm * sizes, "-", label=r"bound $\|\delta\|\,\|W\|_2$"
)
plt.xlabel(r"size of the change to the input $\|\delta\|$")
plt.ylabel("change of the logits")
plt.legend()
plt.tight_layout()
plt.show()
print(
    f"every change of the logits stayed below ||W||_2 = {spectral_norm:.2f} "
    "times the change of the input"
)

# %% [markdown]
# ## What a line cannot separate
#
# The XOR-like data: class 1 (orange) where both coordinates have the same sign. First, how
# well can ANY straight line do? We try 360 directions and 301 offsets for each.

# %%
points, labels = xor_data()
classes = labels.argmax(axis=1)


def best_line_accuracy(points, classes):
    best = 0.0
    for angle in np.linspace(0, np.pi, 180, endpoint=False):
        side = points @ np.array([np.cos(angle), np.sin(angle)])
        for offset in np.linspace(-1.5, 1.5, 301):
            right = np.mean((side > offset) == classes)
            best = max(best, right, 1 - right)  # either side may be class 1
    return best


best = best_line_accuracy(points, classes)
print(
    "the best of 54,180 lines classifies "
    f"{accuracy_of(best, len(points), digits=1)} of the points correctly"
)
assert 0.5 < best < 0.75

# %% [markdown]
# Now train the linear model, and a network with one hidden layer of 16 ReLUs, with the same
# plain gradient descent on the same points.

# %%
linear = fit(
    LinearClassifier(2, 2), points, labels, epochs=100, learning_rate=0.5
)
network = fit(
    MLP(hidden=(16,), n_inputs=2, n_classes=2),
    points,
    labels,
    epochs=100,
    learning_rate=0.5,
)
linear_accuracy = accuracy(linear(points), labels)
network_accuracy = accuracy(network(points), labels)
linear_confidence = float(
    tf.reduce_mean(tf.reduce_max(tf.nn.softmax(linear(points)), axis=1))
)
print(
    f"linear model: {accuracy_of(linear_accuracy, len(points), digits=1)} "
    f"correct, and on average only {linear_confidence:.0%} sure of its answer"
)
print(
    f"16 ReLUs:     {accuracy_of(network_accuracy, len(points), digits=1)} "
    "correct"
)
assert linear_accuracy < 0.65 and linear_confidence < 0.6
assert network_accuracy > 0.95

# %%
grid = np.linspace(-1, 1, 201, dtype=np.float32)
gx, gy = np.meshgrid(grid, grid)
grid_points = np.stack([gx.ravel(), gy.ravel()], axis=1)

fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), sharey=True)
for ax, model, title in [
    (axes[0], linear, "linear model"),
    (axes[1], network, "one hidden layer of 16 ReLUs"),
]:
    probability = (
        tf.nn.softmax(model(grid_points))[:, 1].numpy().reshape(gx.shape)
    )
    ax.contourf(
        gx,
        gy,
        probability,
        levels=np.linspace(0, 1, 11),
        cmap="PuOr_r",
        alpha=0.6,
    )
    ax.contour(
        gx, gy, probability, levels=[0.5], colors="black", linewidths=1.5
    )
    ax.scatter(
        points[:, 0],
        points[:, 1],
        c=classes,
        cmap="PuOr_r",
        edgecolors="black",
        linewidths=0.4,
        s=14,
    )
    ax.set_title(title)
    ax.set_xlabel("$x_1$")
    ax.set_aspect("equal")
axes[0].set_ylabel("$x_2$")
plt.tight_layout()
plt.show()

# %% [markdown]
# The colour is the model's probability of class 1, the black line where it is 50 %. The
# linear model's boundary is a straight line and its colours stay pale: it is unsure
# everywhere. The ReLU network bends its boundary around the corners.
#
# ## A linear model on MNIST
#
# Two epochs of plain stochastic gradient descent (batches of 100, learning rate 0.5) on
# the first 10,000 training images; the test set is the full 10,000, and the accuracy comes
# with its 95 % interval.

# %%
data = load_dataset(limit=10000)
mnist_model = fit(
    LinearClassifier(784, 10),
    data.train_x,
    data.train_y,
    epochs=2,
    learning_rate=0.5,
    batch_size=100,
)
test_accuracy = accuracy(mnist_model(data.test_x), data.test_y)
print(
    "linear model, test accuracy: "
    f"{accuracy_of(test_accuracy, len(data.test_y))}"
)
assert 0.85 < test_accuracy < 0.95

# %% [markdown]
# Each column of $W$ is a template: the weights of one class, one per pixel. Shown as
# images, blue pixels vote for the class, red ones against it.

# %%
fig, axes = plt.subplots(1, 10, figsize=(12, 1.6))
limit = float(tf.reduce_max(tf.abs(mnist_model.weights)))
for digit, ax in enumerate(axes):
    ax.imshow(
        mnist_model.weights[:, digit].numpy().reshape(28, 28),
        cmap="RdBu",
        vmin=-limit,
        vmax=limit,
    )
    ax.set_title(str(digit))
    ax.axis("off")
plt.tight_layout()
plt.show()
