"""Worked solutions of the exercises of "Dropout" (shown on the page)."""

import numpy as np

from snippets.config import TrainConfig
from snippets.linear import accuracy
from snippets.train import train


# --8<-- [start:dropout_from_uniform]
def dropout_from_uniform(h, uniform, keep_prob):
    keep = uniform >= 1 - keep_prob  # true with probability keep_prob
    return np.where(keep, h / keep_prob, 0.0)


# --8<-- [end:dropout_from_uniform]


# --8<-- [start:port_dropout]
def port_dropout(keep_prob):
    rate = 1 - keep_prob  # TF2 names the probability of dropping
    return rate, 1 / keep_prob  # = 1 / (1 - rate)


# --8<-- [end:port_dropout]


# --8<-- [start:dropout_variance]
def dropout_variance(h, keep_prob):
    # E[x] = h, and E[x^2] = keep_prob * (h / keep_prob)^2 = h^2 / keep_prob.
    return h**2 / keep_prob - h**2  # = h^2 (1 - keep_prob) / keep_prob


# --8<-- [end:dropout_variance]


# --8<-- [start:keep_prob_sweep]
def keep_prob_sweep(data, keep_probs):
    results = []
    for keep_prob in keep_probs:
        config = TrainConfig(epochs=10, keep_prob=keep_prob)
        result = train(config, data=data, log=lambda message: None)
        # a model called without training=True drops nothing
        on_training = accuracy(result.model(data.train_x), data.train_y)
        results.append((on_training, result.test_accuracy))
    return results


# --8<-- [end:keep_prob_sweep]
