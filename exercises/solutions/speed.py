"""Worked solutions of the exercises of "Making it fast" (shown on the page)."""

import math


# --8<-- [start:step_flops]
def step_flops(batch, sizes):
    layers = list(zip(sizes, sizes[1:]))
    forward = sum(2 * batch * n_in * n_out for n_in, n_out in layers)
    # Backward: a^T dz for every layer's weights, dz W^T for every layer but
    # the first, whose input is the data.
    n_in, n_out = layers[0]
    return forward + 2 * forward - 2 * batch * n_in * n_out


# --8<-- [end:step_flops]


# --8<-- [start:epoch_floor]
def epoch_floor(examples, batch, sizes, gflops):
    steps = examples // batch
    return steps * step_flops(batch, sizes) / (gflops * 1e9)


# --8<-- [end:epoch_floor]


# --8<-- [start:significant_digits]
def significant_digits(bits):
    # 2**bits distinct significands span bits * log10(2) decimal digits.
    return bits * math.log10(2)


# --8<-- [end:significant_digits]
