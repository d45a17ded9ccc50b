"""Exercises of "Making it fast": write each function, then check them with

    python -m snippets check speed

Each check compares your function with what the project's own code computes.
"""

import math


def step_flops(batch, sizes):
    """The FLOPs of the matrix products of one training step (forward and
    backward) of a batch through layers of ``sizes``, such as [784, 256, 10]."""
    raise NotImplementedError


def epoch_floor(examples, batch, sizes, gflops):
    """The fewest seconds an epoch of ``examples`` can take in full batches of
    ``batch`` (the leftover examples are skipped) when the products run at
    ``gflops`` GFLOP/s."""
    raise NotImplementedError


def significant_digits(bits):
    """How many decimal digits a float format with ``bits`` significand bits
    (the implicit leading one included) holds: 24 for float32, 8 for
    bfloat16."""
    raise NotImplementedError
