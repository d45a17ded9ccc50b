"""Worked solutions of the exercises of "More than one device" (shown on the page)."""

import numpy as np


# --8<-- [start:replica_rows]
def replica_rows(batch, replicas):
    # replica r of R starts where r/R of the batch ends: slices in order, sizes
    # differing by at most one
    return [
        (r * batch // replicas, (r + 1) * batch // replicas)
        for r in range(replicas)
    ]


# --8<-- [end:replica_rows]


# --8<-- [start:replica_loss]
def replica_loss(losses, global_batch):
    # divided by the GLOBAL batch: summed over the replicas, this is the mean
    return np.sum(losses) / global_batch


# --8<-- [end:replica_loss]


# --8<-- [start:step_size_factor]
def step_size_factor(replicas):
    # each replica's loss is its slice's mean, sum/(B/R) = R * sum/B, so the
    # sum over replicas is R times the batch's mean, and so is its gradient
    return replicas


# --8<-- [end:step_size_factor]
