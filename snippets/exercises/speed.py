"""Checks of the exercises of "Making it fast" (docs/speed.md)."""

import math

import ml_dtypes
import numpy as np

from snippets.backprop import matmul_flops
from snippets.exercises import Exercise, Wrong

NETWORKS = ([784, 10], [784, 256, 10], [784, 512, 512, 10], [3, 1])


def check_step_flops(step_flops):
    for sizes in NETWORKS:
        for batch in (1, 128, 512):
            expected = sum(matmul_flops(batch, sizes))
            got = step_flops(batch, sizes)
            if got != expected:
                raise Wrong(
                    f"for batch {batch} through {sizes} got {got} FLOPs, expected "
                    f"{expected}."
                )


def check_epoch_floor(epoch_floor):
    for examples, batch, sizes, gflops in (
        (55_000, 128, [784, 256, 10], 50.0),
        (55_000, 512, [784, 256, 10], 200.0),
        (1000, 300, [784, 10], 1.0),
        (100, 128, [784, 10], 1.0),
    ):
        steps = (
            examples // batch
        )  # full batches only, as the fast trainer takes
        expected = steps * sum(matmul_flops(batch, sizes)) / (gflops * 1e9)
        got = epoch_floor(examples, batch, sizes, gflops)
        if not math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12):
            raise Wrong(
                f"{examples} examples in batches of {batch} through {sizes} at "
                f"{gflops} GFLOP/s: got {got} s, expected {expected} s."
            )


def check_significant_digits(significant_digits):
    # The significand bits of each format, the implicit leading one included.
    formats = {
        "bfloat16": ml_dtypes.finfo(ml_dtypes.bfloat16).nmant + 1,
        "float16": np.finfo(np.float16).nmant + 1,
        "float32": np.finfo(np.float32).nmant + 1,
        "float64": np.finfo(np.float64).nmant + 1,
    }
    for name, bits in formats.items():
        expected = bits * math.log10(2)
        got = significant_digits(bits)
        if not math.isclose(got, expected, rel_tol=1e-9):
            raise Wrong(
                f"{name} has {bits} significand bits: got {got} digits, expected {expected:.4f}."
            )


EXERCISES = [
    Exercise(
        "step_flops",
        check_step_flops,
        "Count the matrix products of one step, forward and backward, and "
        "what each costs.",
        "2 * batch * fan_in * fan_out per product; forward one product per layer, "
        "backward two, except the first layer, which needs no gradient of the"
        " data.",
    ),
    Exercise(
        "epoch_floor",
        check_epoch_floor,
        "An epoch is a number of steps, and a step is a number of operations "
        "at a given rate.",
        "examples // batch full steps, each of step_flops FLOPs, divided by the "
        "rate in FLOP/s (1 GFLOP/s is 1e9 FLOP/s).",
    ),
    Exercise(
        "significant_digits",
        check_significant_digits,
        "Compare how many values the binary digits tell apart with what "
        "decimal digits do.",
        "b binary digits tell 2**b values apart, as many as log10(2**b) = b * "
        "log10(2) decimal digits.",
    ),
]
