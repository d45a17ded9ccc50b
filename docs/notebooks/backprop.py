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
# # The chain rule and backpropagation: the notebook
#
# Companion to the chapter [The chain rule and backpropagation](../../backprop/). We run the
# NumPy forward and backward passes of `snippets/backprop.py` on real MNIST images, check
# them two ways, and count and time what the backward pass costs.

# %%
from snippets.common import quiet_tensorflow

quiet_tensorflow()  # first: TensorFlow's start-up notes stay off the page

import time

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from snippets import backprop
from snippets.data import load_dataset
from snippets.linear import softmax_cross_entropy
from snippets.mlp import MLP, layer_names

# %% [markdown]
# ## Forward and backward, made visible
#
# A network 784-64-32-10 in float64 (so the finite differences below are accurate), on a
# batch of 32 training images.

# %%
data = load_dataset(validation_size=1000, limit=1000)
x, labels = (
    data.train_x[:32].astype(np.float64),
    data.train_y[:32].astype(np.float64),
)
model = MLP(hidden=(64, 32), dtype=tf.float64, seed=0)
params = backprop.parameters_of(model)

logits, (inputs, pre_activations) = backprop.forward(params, x)
gradients = backprop.backward(
    params, (inputs, pre_activations), logits, labels
)
print(
    f"loss {backprop.cross_entropy(logits, labels):.4f} (log 10 = "
    f"{np.log(10):.4f})\n"
)
print(
    f"{'layer':<10}{'input a':<12}{'z = aW + b':<13}"
    f"{'W':<12}{'dL/dW':<12}{'dL/db'}"
)
for name, a, z, (w, _), (dw, db) in zip(
    layer_names(2), inputs, pre_activations, params, gradients
):
    print(
        f"{name:<10}{a.shape!s:<12}{z.shape!s:<13}"
        f"{w.shape!s:<12}{dw.shape!s:<12}{db.shape}"
    )
    assert dw.shape == w.shape
assert np.allclose(logits, model(x).numpy())

# %% [markdown]
# The forward pass keeps every layer's input $a$ and pre-activation $z$: that cache is what
# the backward pass reads, and what training holds in memory that inference could throw
# away. Each gradient has the shape of the array it belongs to.
#
# ## Check 1: against `tf.GradientTape`

# %%
ours = gradients
theirs = backprop.tape_gradients(model, x, labels)
for name, (dw, db), (tw, tb) in zip(layer_names(2), ours, theirs):
    print(
        f"{name:<10} relative difference: weights "
        f"{backprop.relative_error(dw, tw):.1e}, "
        f"biases {backprop.relative_error(db, tb):.1e}"
    )
largest = max(
    backprop.relative_error(a, b)
    for mine, tape in zip(ours, theirs)
    for a, b in zip(mine, tape)
)
assert largest < 1e-10

# %% [markdown]
# ## Check 2: against finite differences
#
# The central difference $\bigl(L(\theta + \varepsilon) - L(\theta - \varepsilon)\bigr) / 2\varepsilon$
# needs nothing but the forward pass. We compare it with backprop on 20 random entries of
# every weight matrix and bias vector.

# %%
error = backprop.check_against_finite_differences(
    params, x, labels, samples=20
)
print(f"largest relative difference over 120 entries: {error:.1e}")
assert error < 1e-6

rng = np.random.default_rng(1)
analytic, numeric = [], []
for layer in range(len(params)):
    for _ in range(30):
        index = tuple(rng.integers(0, size) for size in params[layer][0].shape)
        analytic.append(gradients[layer][0][index])
        numeric.append(
            backprop.numerical_gradient(params, x, labels, layer, 0, index)
        )
plt.figure(figsize=(4.2, 4))
plt.plot(analytic, numeric, "o", markersize=4)
limit = max(np.abs(analytic).max(), np.abs(numeric).max()) * 1.1
plt.plot([-limit, limit], [-limit, limit], "k-", linewidth=0.8)
plt.xlabel("backprop")
plt.ylabel("finite difference")
plt.title("90 weight gradients, two ways")
plt.tight_layout()
plt.show()

# %% [markdown]
# ### How small should $\varepsilon$ be?
#
# The central difference is off by a term proportional to $\varepsilon^2$, so a smaller
# $\varepsilon$ is better, until the two losses agree in so many digits that rounding
# (about $10^{-16}$ relative in float64) dominates, with an error proportional to
# $1/\varepsilon$. Between the two lies a sweet spot.

# %%
layer, index = 0, (350, 3)
exact = gradients[layer][0][index]
epsilons = np.logspace(-13, -1, 25)
errors = [
    abs(
        backprop.numerical_gradient(
            params, x, labels, layer, 0, index, eps=eps
        )
        - exact
    )
    / abs(exact)
    for eps in epsilons
]
best = epsilons[int(np.argmin(errors))]
print(f"smallest error {min(errors):.1e} at eps = {best:.0e}")
assert 1e-8 <= best <= 1e-3 and min(errors) < 1e-6
# worse on both sides
assert errors[0] > 100 * min(errors) and errors[-1] > 100 * min(errors)

plt.figure(figsize=(5, 3.5))
plt.loglog(epsilons, errors, "o-")
plt.xlabel(r"$\varepsilon$")
plt.ylabel("relative error of the finite difference")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## What the backward pass costs
#
# Counting the floating-point operations of the matrix products (everything else is small
# beside them), for a batch of 128:

# %%
shapes = [[784, 256, 10], [784, 1024, 1024, 10], [784, 256, 256, 256, 256, 10]]
print(
    f"{'network':<26}{'forward MFLOP':>15}{'backward MFLOP':>16}{'ratio':>8}"
)
for sizes in shapes:
    forward_flops, backward_flops = backprop.matmul_flops(128, sizes)
    print(
        f"{'-'.join(map(str, sizes)):<26}"
        f"{forward_flops / 1e6:>15.1f}{backward_flops / 1e6:>16.1f}"
        f"{backward_flops / forward_flops:>8.2f}"
    )
    assert forward_flops <= backward_flops < 2 * forward_flops

# %% [markdown]
# Every layer costs two matrix products backwards for one forwards, except the first,
# which needs no gradient with respect to its input (the pixels are not trained). The more
# of the work sits above the first layer, the closer the ratio gets to 2.
#
# Now the clock. We time TensorFlow's compiled forward pass and forward-plus-backward pass,
# keeping the fastest of several repeats because other programs share this processor.


# %%
def seconds_per_call(function, *args, repeats=3, calls=5):
    function(*args)  # the first call traces and compiles: not timed
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            result = function(*args)
        # wait until the work is done
        tf.nest.map_structure(lambda t: t.numpy(), result)
        best = min(best, (time.perf_counter() - start) / calls)
    return best


TIMED_BATCH = 512
timings = []
for sizes in shapes[:2]:
    net = MLP(hidden=sizes[1:-1])
    # A large batch, so that arithmetic rather than launching each operation
    # dominates. images only to time with: 10,000 to choose from
    batch_x = tf.constant(data.test_x[:TIMED_BATCH])
    batch_y = tf.constant(data.test_y[:TIMED_BATCH])

    # Each function is timed at once, in the same pass of the loop, so it
    # sees this pass's network.
    @tf.function
    def forward_only(x, y):
        return softmax_cross_entropy(net(x), y)

    @tf.function
    def forward_and_backward(x, y):
        with tf.GradientTape() as tape:
            loss = softmax_cross_entropy(net(x), y)
        return tape.gradient(loss, net.trainable_variables)

    forward_seconds = seconds_per_call(forward_only, batch_x, batch_y)
    both_seconds = seconds_per_call(forward_and_backward, batch_x, batch_y)
    timings.append((sizes, forward_seconds, both_seconds))
    print(
        f"{'-'.join(map(str, sizes)):<22} forward "
        f"{forward_seconds * 1e3:6.2f} ms, forward + backward "
        f"{both_seconds * 1e3:6.2f} ms: backward measured at "
        f"{(both_seconds - forward_seconds) / forward_seconds:.1f}x the "
        "forward pass"
    )
    # Wall-clock times depend on what else the machine is doing, so they are
    # shown, not asserted; the FLOP count above is the claim, and it is exact.
    assert forward_seconds > 0 and both_seconds > 0

# %%
fig, ax = plt.subplots(figsize=(6, 3.2))
names = ["-".join(map(str, sizes)) for sizes, _, _ in timings]
positions = np.arange(len(timings))
ax.bar(
    positions - 0.2,
    [f * 1e3 for _, f, _ in timings],
    width=0.4,
    label="forward",
)
ax.bar(
    positions + 0.2,
    [(b - f) * 1e3 for _, f, b in timings],
    width=0.4,
    label="backward",
)
ax.set_xticks(positions, names)
ax.set_ylabel(f"milliseconds per batch of {TIMED_BATCH}")
ax.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# Measured times agree with the count only roughly. At these sizes a CPU also spends time
# on things the count ignores (launching each operation, the element-wise ReLU masks,
# reading the saved activations back from memory), and other programs on the same machine
# make any single measurement noisy. The count is the dependable guide: the backward pass
# costs between one and two forward passes of arithmetic.
