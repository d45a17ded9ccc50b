"""Exercises of "Regularization": write each function, then check them with

    python -m snippets check regularization

Each check compares your function with what the project's own code computes.
"""

import numpy as np
import tensorflow as tf

from snippets.config import TrainConfig
from snippets.train import train


def early_stopping(scores, patience):
    """Replay early stopping on ``scores``, the validation accuracy of each
    epoch (epoch 1 first). Return ``(best_epoch, stop_epoch)``: the epoch
    whose weights are kept, and the epoch after which training stops (the last
    epoch if the rule never fires). A score equal to the best is no
    improvement."""
    raise NotImplementedError


def l2_penalty_and_gradients(matrices, l2):
    """In NumPy: the penalty l2 * sum of ||W||^2 / 2 over the list of weight
    ``matrices``, and the list of its gradients, one per matrix. Return
    ``(penalty, gradients)``."""
    raise NotImplementedError


def l1_gradient(weights, l1):
    """In NumPy: the gradient of the L1 penalty l1 * sum(|w|) with respect to
    the array ``weights``, taking 0 where a weight is exactly 0."""
    raise NotImplementedError


def l2_sweep(data, strengths):
    """An experiment: for each L2 strength of ``strengths``, train a network
    with one hidden layer of 64 units on ``data`` with ``train`` for 5
    epochs and that ``l2`` (everything else as ``TrainConfig`` has it, seed
    0 included); return the list of the sums of the squares of the trained
    network's weight matrices (``model.weight_matrices()``), one for each
    strength."""
    raise NotImplementedError
