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
# # Training deeper networks: the notebook
#
# Companion to the chapter [Training deeper networks](../../deeper/). It builds the
# sawtooth that depth makes cheap, trains networks of one, two and three hidden layers on
# the same parameter budget, and looks at the signals inside a deep network at the start of
# training. Every number was computed when this page was built.

# %%
from snippets.common import quiet_tensorflow

quiet_tensorflow()  # first: TensorFlow's start-up notes stay off the page

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

from snippets.data import load_dataset
from snippets.deeper import (
    COURSE_BUDGET,
    compare,
    count_pieces,
    same_budget_shapes,
    sawtooth,
    set_initial_scale,
    signal_sizes,
    table,
)
from snippets.mlp import MLP, parameter_count

# %% [markdown]
# ## What depth can do with few units
#
# Each layer of two ReLUs folds $[0, 1]$ onto itself once more, doubling the number of
# straight pieces.

# %%
x = np.linspace(0.0, 1.0, 2**12 + 1)  # a grid that contains every corner below
fig, axes = plt.subplots(1, 4, figsize=(12, 2.4), sharey=True)
for ax, depth in zip(axes, (1, 2, 3, 5)):
    pieces = count_pieces(x, sawtooth(x, depth))
    assert pieces == 2**depth
    ax.plot(x, sawtooth(x, depth))
    ax.set_title(
        f"{depth} layer{'s' if depth > 1 else ''}, {2 * depth} ReLUs: "
        f"{pieces} pieces"
    )
    ax.set_xlabel("x")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Deeper or wider, on the same budget
#
# The course's network 784-256-10 has 203,530 parameters. For two and three hidden layers we
# pick the width that comes closest to the same number.

# %%
shapes = same_budget_shapes(COURSE_BUDGET, depths=(1, 2, 3))
for hidden in shapes:
    count = parameter_count(hidden)
    print(
        f"{'-'.join(map(str, (784, *hidden, 10))):<18} {count:>8,} parameters "
        f"({count / COURSE_BUDGET - 1:+.2%})"
    )
    assert abs(count / COURSE_BUDGET - 1) < 0.005

# %% [markdown]
# Each shape is trained with the same settings (Adam at 0.001, batches of 100, three
# epochs on the first 4,000 training images) once for each of two seeds, and tested on all
# 10,000 test images.

# %%
data = load_dataset(validation_size=2000, limit=4000)
rows = compare(shapes, data, epochs=3, seeds=(0, 1))
display(Markdown(table(rows)))

# %%
means = [row["mean_test_accuracy"] for row in rows]
spread_between_shapes = max(means) - min(means)
spread_between_seeds = max(
    max(row["test_accuracies"]) - min(row["test_accuracies"]) for row in rows
)
print(
    f"best minus worst mean: {100 * spread_between_shapes:.2f} points; "
    "largest difference between the two seeds of one shape: "
    f"{100 * spread_between_seeds:.2f} points"
)
print(f"deepest minus widest: {100 * (means[-1] - means[0]):+.2f} points")
if spread_between_shapes <= spread_between_seeds:
    print(
        "The shapes differ by no more than two seeds of one shape do: this "
        "run cannot tell them apart."
    )
else:
    print(
        "The shapes differ by more than two seeds of one shape do; with two "
        "seeds per shape, "
        "that is a hint, not a result."
    )
assert all(0.85 < a < 0.99 for row in rows for a in row["test_accuracies"])
# the chapter says: within a few points of each other
assert spread_between_shapes < 0.03

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
for row, color in zip(rows, ("C0", "C1", "C2")):
    name = "-".join(map(str, row["hidden"]))
    for seed, curve in enumerate(row["valid_curves"]):
        left.plot(
            range(1, len(curve) + 1),
            [100 * a for a in curve],
            "o-" if seed == 0 else "s--",
            color=color,
            label=f"{name}, seed {seed}",
        )
    right.plot(
        [row["depth"]] * len(row["test_accuracies"]),
        [100 * a for a in row["test_accuracies"]],
        "o",
        color=color,
        markersize=8,
    )
    right.plot(
        [row["depth"] - 0.2, row["depth"] + 0.2],
        [100 * row["mean_test_accuracy"]] * 2,
        "-",
        color=color,
    )
left.set_xlabel("epoch")
left.set_ylabel("validation accuracy (%)")
left.set_xticks([1, 2, 3])
left.legend(fontsize=8)
right.set_xlabel("hidden layers (same number of parameters)")
right.set_ylabel("test accuracy (%)")
right.set_xticks([1, 2, 3])
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Why depth is harder to train
#
# A network of ten hidden layers of 64 units, untrained, on 256 training images. For each
# hidden layer we measure the size (root mean square) of its output $h$ on the way up, and
# of the gradient $\partial L / \partial h$ that backpropagation brings down to it. Three
# starting scales for the weights: a small fixed standard deviation of 0.01, He
# initialisation $\sqrt{2/n}$, and the course's 1.0.

# %%
inputs, labels = data.train_x[:256], data.train_y[:256]
measured = {}
for name, stddev in [("stddev 0.01", 0.01), ("He", None), ("stddev 1.0", 1.0)]:
    measured[name] = signal_sizes(
        set_initial_scale(MLP(hidden=(64,) * 10), stddev), inputs, labels
    )

fig, (up, down) = plt.subplots(1, 2, figsize=(11, 3.6))
layers = np.arange(1, 11)
for name, (forward_sizes, backward_sizes) in measured.items():
    up.semilogy(layers, forward_sizes, "o-", label=name)
    down.semilogy(layers, backward_sizes, "o-", label=name)
up.set_title("forward: size of each layer's output h")
down.set_title("backward: size of the gradient dL/dh")
for ax in (up, down):
    ax.set_xlabel("hidden layer")
    ax.set_xticks(layers)
    ax.legend()
plt.tight_layout()
plt.show()

for name, (forward_sizes, backward_sizes) in measured.items():
    print(
        f"{name:<12} h: layer 10 / layer 1 = "
        f"{forward_sizes[-1] / forward_sizes[0]:.1e}    "
        "dL/dh: layer 1 / layer 10 = "
        f"{backward_sizes[0] / backward_sizes[-1]:.1e}"
    )
small_up, small_down = measured["stddev 0.01"]
he_up, he_down = measured["He"]
large_up, large_down = measured["stddev 1.0"]
# vanishing
assert (
    small_up[-1] / small_up[0] < 1e-6 and small_down[0] / small_down[-1] < 1e-6
)
# steady
assert 0.25 < he_up[-1] / he_up[0] < 4 and 0.25 < he_down[0] / he_down[-1] < 4
# exploding
assert (
    large_up[-1] / large_up[0] > 1e4 and large_down[0] / large_down[-1] > 1e4
)
