"""Backpropagation by hand: the chain rule applied layer by layer, in plain NumPy.

We compute the gradient of the cross-entropy loss with respect to every weight and bias of
an MLP ourselves, then check it two ways: against TensorFlow's ``tf.GradientTape`` and
against finite differences, which need nothing but the forward pass.

Run it as a script to see the three agree and what the backward pass costs:

    python -m snippets.backprop
"""

import sys
import time

import numpy as np
import tensorflow as tf

from snippets.linear import log_softmax, softmax_cross_entropy
from snippets.mlp import MLP


def parameters_of(model):
    """The model's [(W, b), ...] as float64 NumPy arrays, first layer first."""
    return [
        (w.numpy().astype(np.float64), b.numpy().astype(np.float64))
        for _, w, b in model.layers()
    ]


# --8<-- [start:forward]
def softmax(logits):
    # same result, no overflow
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def forward(params, x):
    """Return the logits and what the backward pass needs: each layer's input
    and z = aW + b.
    """
    inputs, pre_activations = [], []
    a = x
    for index, (w, b) in enumerate(params):
        inputs.append(a)
        z = a @ w + b
        pre_activations.append(z)
        # no ReLU on the logits
        a = np.maximum(z, 0.0) if index < len(params) - 1 else z
    return a, (inputs, pre_activations)


def cross_entropy(logits, labels):
    """Mean over the batch of -sum_k y_k log softmax(z)_k.

    log_softmax is the linear chapter's log-sum-exp: np.log(softmax(z))
    would round a tiny probability to 0 and return -inf.
    """
    return -np.mean(np.sum(labels * log_softmax(logits), axis=1))


# --8<-- [end:forward]


# --8<-- [start:logit_gradient]
def logit_gradient(logits, labels):
    """dL/dz of the mean cross-entropy over a batch of B rows: (p - y) / B,
    where p = softmax(z). Each row's loss depends on its own logits only,
    and counts 1/B towards the mean.
    """
    return (softmax(logits) - labels) / len(labels)


# --8<-- [end:logit_gradient]


# --8<-- [start:batch_of_two]
def batch_of_two():
    """A layer z = aW + b with two inputs and three classes, and a batch of
    two examples: numbers small enough to follow by hand.
    """
    a = np.array([[1.0, 2.0], [3.0, -1.0]])  # one row per example
    w = np.array([[0.5, -0.5, 0.0], [0.25, 0.0, -0.25]])
    b = np.array([0.0, 0.1, -0.1])
    labels = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # classes 0 and 2
    return a, w, b, labels


# --8<-- [end:batch_of_two]


# --8<-- [start:weight_gradient]
def weight_gradient_by_element(a, delta):
    """dL/dW one entry at a time: W[i, j] reaches the loss only through
    z[n, j] = ... + a[n, i] W[i, j] + ..., once per example n, with
    dz[n, j]/dW[i, j] = a[n, i]. So dL/dW[i, j] = sum_n a[n, i] delta[n, j].
    """
    inputs, classes = a.shape[1], delta.shape[1]
    gradient = np.zeros((inputs, classes))
    for i in range(inputs):
        for j in range(classes):
            gradient[i, j] = sum(a[n, i] * delta[n, j] for n in range(len(a)))
    return gradient


# --8<-- [end:weight_gradient]


def tape_layer_gradients(a, w, b, labels):
    """dL/dz, dL/dW, dL/db and dL/da of one layer z = aW + b under the mean
    cross-entropy, from tf.GradientTape: what the hand-derived steps are
    checked against.
    """
    a, w, b = (tf.Variable(value, dtype=tf.float64) for value in (a, w, b))
    with tf.GradientTape() as tape:
        z = a @ w + b
        loss = softmax_cross_entropy(z, tf.constant(labels, tf.float64))
    gradients = tape.gradient(loss, {"z": z, "w": w, "b": b, "a": a})
    return {name: gradient.numpy() for name, gradient in gradients.items()}


# --8<-- [start:backward]
def backward(params, cache, logits, labels):
    """Gradients [(dL/dW, dL/db), ...] by the chain rule, from the last layer
    to the first.

    For softmax followed by cross-entropy the derivative with respect to the
    logits is simply (softmax(z) - y) / batch. Each layer z = a W + b then
    passes the gradient on: dL/dW = a^T dL/dz, dL/db = sum over the batch of
    dL/dz, dL/da = dL/dz W^T, and the ReLU before it lets the gradient through
    only where its input was positive.
    """
    inputs, pre_activations = cache
    grad_z = logit_gradient(logits, labels)
    gradients = []
    for index in reversed(range(len(params))):
        w, _ = params[index]
        gradients.append((inputs[index].T @ grad_z, grad_z.sum(axis=0)))
        if index > 0:
            grad_a = grad_z @ w.T
            # ReLU'(z) is 1 or 0
            grad_z = grad_a * (pre_activations[index - 1] > 0)
    return gradients[::-1]


# --8<-- [end:backward]


# --8<-- [start:checks]
def tape_gradients(model, x, labels):
    """The same gradients from TensorFlow's automatic differentiation."""
    variables = [(weights, bias) for _, weights, bias in model.layers()]
    with tf.GradientTape() as tape:
        logits = model(tf.constant(x, variables[0][0].dtype))
        loss = softmax_cross_entropy(logits, tf.constant(labels, logits.dtype))
    grads = tape.gradient(loss, variables)
    return [(dw.numpy(), db.numpy()) for dw, db in grads]


def numerical_gradient(params, x, labels, layer, which, index, eps=1e-6):
    """Central difference (L(p + eps) - L(p - eps)) / (2 eps) for one
    parameter.
    """
    original = params[layer][which][index]
    params[layer][which][index] = original + eps
    loss_plus = cross_entropy(forward(params, x)[0], labels)
    params[layer][which][index] = original - eps
    loss_minus = cross_entropy(forward(params, x)[0], labels)
    params[layer][which][index] = original
    return (loss_plus - loss_minus) / (2 * eps)


def relative_error(a, b):
    """max |a - b| relative to the size of the values: 0 when equal, about 1
    when unrelated.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(
        np.max(np.abs(a - b)) / max(np.max(np.abs(a) + np.abs(b)), 1e-12)
    )


# --8<-- [end:checks]


def check_against_finite_differences(params, x, labels, samples=20, seed=0):
    """Compare backprop with finite differences on ``samples`` random entries
    of each array.
    """
    logits, cache = forward(params, x)
    gradients = backward(params, cache, logits, labels)
    rng = np.random.default_rng(seed)
    analytic, numeric = [], []
    for layer in range(len(params)):
        for which in (0, 1):
            shape = params[layer][which].shape
            for _ in range(samples):
                index = tuple(rng.integers(0, size) for size in shape)
                analytic.append(gradients[layer][which][index])
                numeric.append(
                    numerical_gradient(params, x, labels, layer, which, index)
                )
    return relative_error(analytic, numeric)


# --8<-- [start:cost]
def matmul_flops(batch, sizes):
    """Multiply-adds (x2) of the forward and backward passes through layers of
    ``sizes``.

    Forward: one product a W per layer. Backward: two products per layer, a^T
    dz for the weights and dz W^T for the layer below (not needed for the first
    layer, whose input is the data). So a hidden layer costs twice its forward
    pass to backpropagate through, and the first layer, usually the largest,
    costs only once more.
    """
    layers = list(zip(sizes, sizes[1:]))
    forward_flops = sum(
        2 * batch * fan_in * fan_out for fan_in, fan_out in layers
    )
    backward_flops = 2 * forward_flops - 2 * batch * sizes[0] * sizes[1]
    return forward_flops, backward_flops


# --8<-- [end:cost]


# --8<-- [start:memory]
def training_memory(batch, sizes, bytes_per_number=4):
    """Bytes a step holds, by kind, for layers ``sizes`` in float32.

    The backward pass needs every layer's input a and its z = aW + b, the
    logits included, so training keeps them all; it then works down one
    layer at a time, with dL/dz and dL/da of that layer. Inference keeps
    one layer's input and output at a time.
    """
    layers = list(zip(sizes, sizes[1:]))
    params = sum((fan_in + 1) * fan_out for fan_in, fan_out in layers)
    counts = {
        "weights and biases": params,
        "their gradients": params,
        "Adam's two moments": 2 * params,
        "activations kept": batch * sum(n + m for n, m in layers),
        # no dL/da for the first layer: its input is the data
        "activation gradients": batch
        * max(m + (n if i else 0) for i, (n, m) in enumerate(layers)),
        "inference activations": batch * max(n + m for n, m in layers),
    }
    return {kind: count * bytes_per_number for kind, count in counts.items()}


# --8<-- [end:memory]


def best_time(function, repeats=5, calls=20):
    """Seconds per call, the fastest of several timings: other programs only
    ever add time.
    """
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            function()
        timings.append((time.perf_counter() - start) / calls)
    return min(timings)


def main():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(32, 784))
    labels = np.eye(10)[rng.integers(0, 10, size=32)]
    model = MLP(hidden=(64, 32), dtype=tf.float64, seed=0)
    params = parameters_of(model)

    logits, cache = forward(params, x)
    ours = backward(params, cache, logits, labels)
    theirs = tape_gradients(model, x, labels)
    vs_tape = max(
        relative_error(a, b)
        for mine, tape in zip(ours, theirs)
        for a, b in zip(mine, tape)
    )
    vs_numeric = check_against_finite_differences(params, x, labels)
    print(
        "network 784-64-32-10, batch of 32, loss "
        f"{cross_entropy(logits, labels):.4f}"
    )
    print(
        "largest relative difference, our backprop vs tf.GradientTape:     "
        f"{vs_tape:.2e}"
    )
    print(
        "largest relative difference, our backprop vs finite differences:  "
        f"{vs_numeric:.2e}"
    )

    sizes = [784, 256, 10]
    forward_flops, backward_flops = matmul_flops(128, sizes)
    print(
        f"784-256-10, batch 128: forward {forward_flops / 1e6:.1f} MFLOP, "
        f"backward {backward_flops / 1e6:.1f} MFLOP "
        f"({backward_flops / forward_flops:.2f}x the forward pass)"
    )
    big = parameters_of(MLP(hidden=(256,), dtype=tf.float64))
    x128, y128 = (
        rng.uniform(0, 1, size=(128, 784)),
        np.eye(10)[rng.integers(0, 10, size=128)],
    )
    # warm-up: the first call pays for memory allocation
    out, cache = forward(big, x128)
    backward(big, cache, out, y128)
    forward_seconds = best_time(lambda: forward(big, x128))
    backward_seconds = best_time(lambda: backward(big, cache, out, y128))
    print(
        "measured in NumPy (best of 5): backward takes "
        f"{backward_seconds / forward_seconds:.1f}x "
        "the time of forward"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
