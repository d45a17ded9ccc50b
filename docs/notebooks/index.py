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
# # Start here: MNIST at a glance
#
# Every chapter trains on MNIST, so look at it once before building anything: how big it is,
# what a digit looks like as numbers, and how the pixels are prepared for a network.
# The data comes from `snippets.data`, which checks every file against the SHA-256 of the
# original release before using it.

# %%
import matplotlib.pyplot as plt
import numpy as np

from snippets.data import load_mnist, one_hot, scale_and_flatten

(train_images, train_labels), (test_images, test_labels) = load_mnist()
print(
    f"training images {train_images.shape} {train_images.dtype}, labels "
    f"{train_labels.shape}"
)
print(
    f"test images     {test_images.shape} {test_images.dtype}, labels "
    f"{test_labels.shape}"
)
print(f"pixel values from {train_images.min()} to {train_images.max()}")
assert train_images.shape == (60000, 28, 28) and test_images.shape == (
    10000,
    28,
    28,
)

# %% [markdown]
# ## The classes are nearly balanced
#
# Ten digits, each about a tenth of the data. A network that always answered with the most
# common digit would barely beat guessing at random, so an accuracy stuck at chance level, one
# in ten, means the network learned nothing (the Troubleshooting chapter shows why that happens).

# %%
counts = np.bincount(train_labels, minlength=10)
for digit, count in enumerate(counts):
    print(
        f"{digit}: {count:5d} training images "
        f"({count / len(train_labels):.1%})"
    )
most_common = counts.max() / len(train_labels)
print(f"always guessing the most common digit: {most_common:.1%} correct")
assert 0.10 < most_common < 0.12

# %% [markdown]
# ## What the network sees
#
# Each image is 28 by 28 grey levels, 0 for the background and 255 for full ink.

# %%
fig, axes = plt.subplots(2, 10, figsize=(10, 2.4))
for ax, image, label in zip(axes.flat, train_images, train_labels):
    ax.imshow(image, cmap="gray_r")
    ax.set_title(str(label))
    ax.axis("off")
fig.suptitle("The first 20 training images and their labels")
plt.tight_layout()
plt.show()

# %% [markdown]
# The average of all images of one digit shows the "typical" stroke, and also why a linear
# model can get surprisingly far on this data set: much of each class sits in its own region
# of the picture.

# %%
fig, axes = plt.subplots(1, 10, figsize=(10, 1.4))
for digit, ax in enumerate(axes):
    ax.imshow(train_images[train_labels == digit].mean(axis=0), cmap="gray_r")
    ax.set_title(str(digit))
    ax.axis("off")
fig.suptitle("Mean training image of each digit")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## From pixels to network inputs
#
# A multilayer perceptron takes a vector, not a picture: each image becomes a row of
# $28 \times 28 = 784$ numbers, and each pixel $p \in \{0, \dots, 255\}$ becomes
# $x = p / 255 \in [0, 1]$. Labels become one-hot rows: the digit $k$ is the vector with a
# 1 in position $k$ and 0 elsewhere, the form the softmax cross-entropy compares against.

# %%
x = scale_and_flatten(train_images[:3])
y = one_hot(train_labels[:3])
print(f"x: {x.shape} {x.dtype}, values from {x.min()} to {x.max()}")
print(f"labels {train_labels[:3]} one-hot:")
print(y)
assert x.shape == (3, 784) and 0.0 <= x.min() and x.max() <= 1.0
assert (y.argmax(axis=1) == train_labels[:3]).all()
