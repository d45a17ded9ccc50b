"""Exercises of "More than one device": write each function, then check them with

    python -m snippets check distributed

Each check compares your function with what tf.distribute and the project's code compute.
"""

import numpy as np


def replica_rows(batch, replicas):
    """The rows each replica gets of a global batch of ``batch`` rows, as
    ``snippets.data_parallel.split_batch`` cuts it: a list of ``(start, stop)``
    pairs, one per replica, in order."""
    raise NotImplementedError


def replica_loss(losses, global_batch):
    """The loss one replica minimises, from the per-example ``losses`` of its
    slice, so that the replicas' gradients add up to the gradient of the mean
    loss over the whole batch of ``global_batch`` examples."""
    raise NotImplementedError


def step_size_factor(replicas):
    """How many times too large the summed gradient is when every one of
    ``replicas`` replicas (with equal slices) divides its losses by its own
    slice's size instead of the global batch."""
    raise NotImplementedError
