"""Checks of the exercises of "More than one device" (docs/distributed.md)."""

import numpy as np
import tensorflow as tf

from snippets.exercises import Exercise, Wrong


def check_replica_rows(replica_rows):
    for batch, replicas in ((64, 2), (10, 3), (128, 4), (5, 8), (7, 1)):
        # what split_batch gives replica r of R
        expected = [
            (r * batch // replicas, (r + 1) * batch // replicas)
            for r in range(replicas)
        ]
        got = [
            tuple(int(n) for n in pair)
            for pair in replica_rows(batch, replicas)
        ]
        if got != expected:
            raise Wrong(
                f"a batch of {batch} on {replicas} replicas is cut into {expected}, "
                f"not {got}."
            )


def check_replica_loss(replica_loss):
    losses = tf.random.stateless_uniform([12], seed=[3, 4], maxval=3.0).numpy()
    for replicas in (1, 2, 3, 4):
        slices = np.array_split(losses, replicas)
        parts = [float(replica_loss(part, len(losses))) for part in slices]
        for part, got in zip(slices, parts):
            expected = float(
                tf.nn.compute_average_loss(part, global_batch_size=len(losses))
            )
            if not np.isclose(got, expected, rtol=1e-5):
                raise Wrong(
                    f"a slice of {len(part)} losses of a batch of {len(losses)} gives "
                    f"{got:.4f}; tf.nn.compute_average_loss gives {expected:.4f}."
                )
        if not np.isclose(sum(parts), losses.mean(), rtol=1e-5):
            raise Wrong(
                f"on {replicas} replicas the losses sum to {sum(parts):.4f}, not the "
                f"batch's mean {losses.mean():.4f}."
            )


def check_step_size_factor(step_size_factor):
    losses = tf.random.stateless_uniform([24], seed=[5, 6], maxval=3.0).numpy()
    for replicas in (1, 2, 3, 4, 8):
        # each replica's mean over its own slice, summed: the wrong way
        summed = sum(part.mean() for part in np.array_split(losses, replicas))
        factor = summed / losses.mean()
        got = float(step_size_factor(replicas))
        if not np.isclose(got, factor, rtol=1e-4):
            raise Wrong(
                f"with {replicas} replicas the summed per-slice means are "
                f"{factor:.3g} times the batch's mean, not {got:g}."
            )


EXERCISES = [
    Exercise(
        "replica_rows",
        check_replica_rows,
        "The replicas split the batch into consecutive slices that cover it "
        "exactly once.",
        "replica r of R starts at r * batch // R and stops where replica r + "
        "1 starts.",
    ),
    Exercise(
        "replica_loss",
        check_replica_loss,
        "The replicas' losses are added up; each must be its share of the "
        "global mean.",
        "sum the slice's losses and divide by the global batch, not by "
        "len(losses).",
    ),
    Exercise(
        "step_size_factor",
        check_step_size_factor,
        "Compare the gradient each replica computes with its share of the "
        "global one.",
        "a slice of B/R losses divided by B/R is R times the same sum divided"
        " by B.",
    ),
]
