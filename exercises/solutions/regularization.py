"""Worked solutions of the exercises of "Regularization" (shown on the page)."""

import numpy as np
import tensorflow as tf

from snippets.config import TrainConfig
from snippets.train import train


# --8<-- [start:early_stopping]
def early_stopping(scores, patience):
    best_score, best_epoch, waited = -np.inf, 0, 0
    for epoch, score in enumerate(scores, start=1):
        if (
            score > best_score
        ):  # strictly better: a tie does not reset the wait
            best_score, best_epoch, waited = score, epoch, 0
        else:
            waited += 1
        if waited >= patience:
            break
    return best_epoch, epoch


# --8<-- [end:early_stopping]


# --8<-- [start:l2_penalty_and_gradients]
def l2_penalty_and_gradients(matrices, l2):
    penalty = l2 * sum((w**2).sum() / 2 for w in matrices)
    gradients = [l2 * w for w in matrices]  # d/dw of l2 * w**2 / 2 is l2 * w
    return penalty, gradients


# --8<-- [end:l2_penalty_and_gradients]


# --8<-- [start:l1_gradient]
def l1_gradient(weights, l1):
    # The same pull, l1, on every weight whatever its size: small weights
    # are pushed all the way to zero. np.sign(0) is 0.
    return l1 * np.sign(weights)


# --8<-- [end:l1_gradient]


# --8<-- [start:l2_sweep]
def l2_sweep(data, strengths):
    sums = []
    for l2 in strengths:
        config = TrainConfig(hidden=(64,), epochs=5, l2=l2)
        model = train(config, data=data, log=lambda message: None).model
        # the penalty's own measure of size: squares of the weights, biases
        # left out as the penalty leaves them
        sums.append(
            sum(
                float(tf.reduce_sum(tf.square(weights)))
                for weights in model.weight_matrices()
            )
        )
    return sums


# --8<-- [end:l2_sweep]
