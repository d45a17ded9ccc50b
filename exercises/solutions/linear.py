"""Worked solutions of the exercises of "Linear models are limited"."""

import numpy as np


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
