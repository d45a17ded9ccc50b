"""Worked solutions of the exercises of "The chain rule and backpropagation" (shown on
the page)."""

import numpy as np

from snippets import backprop


# --8<-- [start:logits_gradient]
def logits_gradient(logits, labels):
    shifted = logits - logits.max(axis=1, keepdims=True)  # exp() <= 1
    softmax = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    # the mean over the batch divides every example's share by n
    return (softmax - labels) / len(logits)


# --8<-- [end:logits_gradient]


# --8<-- [start:backprop_222]
def backprop_222(x, labels, w1, b1, w2, b2):
    # forward, keeping what the backward pass needs
    z1 = x @ w1 + b1
    h = np.maximum(0.0, z1)
    z2 = h @ w2 + b2
    # backward, from the loss down
    dz2 = logits_gradient(z2, labels)
    dw2, db2 = h.T @ dz2, dz2.sum(axis=0)
    dh = dz2 @ w2.T
    dz1 = dh * (z1 > 0)  # the ReLU passes the gradient only where it was on
    dw1, db1 = x.T @ dz1, dz1.sum(axis=0)
    return dw1, db1, dw2, db2


# --8<-- [end:backprop_222]


# --8<-- [start:numerical_gradient]
def numerical_gradient(f, theta, eps):
    gradient = np.zeros_like(theta, dtype=np.float64)
    for index in np.ndindex(theta.shape):
        original = theta[index]
        theta[index] = original + eps
        above = f(theta)
        theta[index] = original - eps
        below = f(theta)
        theta[index] = original  # put it back
        gradient[index] = (above - below) / (2 * eps)
    return gradient


# --8<-- [end:numerical_gradient]


# --8<-- [start:finite_difference_errors]
def finite_difference_errors(params, x, labels, epsilons):
    # the project's code, not the numerical_gradient of exercise 3
    logits, cache = backprop.forward(params, x)
    exact = backprop.backward(params, cache, logits, labels)[0][0]
    errors = []
    for eps in epsilons:
        estimate = np.zeros_like(exact)
        for index in np.ndindex(exact.shape):
            estimate[index] = backprop.numerical_gradient(
                params, x, labels, 0, 0, index, eps
            )
        errors.append(backprop.relative_error(estimate, exact))
    return errors


# --8<-- [end:finite_difference_errors]


# --8<-- [start:relu_layer_backward]
def relu_layer_backward(x, weights, bias, upstream):
    z = x @ weights + bias
    # the ReLU passes the gradient where z > 0 and stops it elsewhere
    dz = upstream * (z > 0)
    # z = x W + b: the same three rules as any linear layer
    return dz @ weights.T, x.T @ dz, dz.sum(axis=0)


# --8<-- [end:relu_layer_backward]
