"""Worked solutions of the exercises of "Linear models are limited"."""

import numpy as np

from snippets.linear import LinearClassifier, accuracy, fit


# --8<-- [start:logits]
def logits(x, weights, bias):
    # (n, d) @ (d, k) + (k,): the bias is added to every row
    return x @ weights + bias


# --8<-- [end:logits]


# --8<-- [start:cross_entropy]
def cross_entropy(logits, labels):
    # Subtracting each row's largest logit changes no softmax, and keeps
    # every exp() at most 1.
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -(labels * log_softmax).sum(axis=1).mean()


# --8<-- [end:cross_entropy]


# --8<-- [start:largest_change]
def largest_change(weights, size):
    # ||dx @ W|| <= ||W||_2 ||dx||, with equality along the top singular
    # vector: a large W turns a small change of the input into a large change
    # of the logits.
    return np.linalg.norm(weights, 2) * size


# --8<-- [end:largest_change]


# --8<-- [start:weight_gradients]
def weight_gradients(x, weights, bias, labels):
    z = x @ weights + bias
    # softmax of each row, with its largest logit taken out first
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    # the loss is a mean over the batch, so each row's share is 1 / n
    dz = (p - labels) / len(x)
    # z = x W + b: weight (i, j) meets input i of every row; the bias
    # meets every row once
    return x.T @ dz, dz.sum(axis=0)


# --8<-- [end:weight_gradients]


# --8<-- [start:learning_rate_sweep]
def learning_rate_sweep(data, learning_rates):
    accuracies = []
    for rate in learning_rates:
        # the same seed for every rate: only the rate differs
        model = fit(
            LinearClassifier(784, 10, seed=0),
            data.train_x,
            data.train_y,
            epochs=20,
            learning_rate=rate,
        )
        accuracies.append(accuracy(model(data.test_x), data.test_y))
    return accuracies


# --8<-- [end:learning_rate_sweep]
