"""The peak: how fast this machine multiplies matrices, the ceiling of an epoch.

The best of a few square products (``matmul_peak``) and one training step's own
products at their exact shapes (``matmul_gflops_at_shapes``), in float32 and
bfloat16; and how many FLOPs an epoch's products take
(``training_flops_per_epoch``), so that an epoch's time can be set against
them.
"""

import itertools
import time

import tensorflow as tf

from benchmarks.machine import say
from snippets.backprop import matmul_flops

PEAK_SIZES = ((1024, 20), (2048, 10), (4096, 4))  # (n, repeats)


# --8<-- [start:peak]
def matmul_gflops(n=2048, dtype=tf.float32, repeats=10):
    """Best-of-``repeats`` throughput of one n x n by n x n matrix product, in
    GFLOP/s.
    """
    a = tf.cast(tf.random.stateless_uniform([n, n], seed=[1, 2]), dtype)
    b = tf.cast(tf.random.stateless_uniform([n, n], seed=[3, 4]), dtype)
    # one number back, not n^2
    product = tf.function(lambda a, b: tf.matmul(a, b)[0, 0], autograph=False)
    product(a, b).numpy()  # the first call builds the graph
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        product(a, b).numpy()
        best = min(best, time.perf_counter() - started)
    return 2 * n**3 / best / 1e9


def matmul_peak(dtype, sizes=PEAK_SIZES):
    """The machine's peak: the best throughput over a few square sizes (the
    best size varies).
    """
    by_size = {
        str(n): matmul_gflops(n, dtype, repeats) for n, repeats in sizes
    }
    return max(by_size.values()), by_size


# --8<-- [end:peak]


def step_products(batch, sizes):
    """The matrix products of one training step, as loss_and_gradients does
    them: (rows, inner, columns, transpose_a, transpose_b) of each.
    """
    products = []
    for index, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        products.append((batch, n_in, n_out, False, False))  # a W
        products.append((n_in, batch, n_out, True, False))  # a^T dz
        if index > 0:  # dz W^T; the data needs no gradient
            products.append((batch, n_out, n_in, False, True))
    return products


def matmul_gflops_at_shapes(batch, sizes, dtype=tf.float32, repeats=20):
    """Best-of-``repeats`` throughput of one step's products at their exact
    shapes (all of them in one call), in GFLOP/s.
    """
    pairs, flops = [], 0
    for seed, (rows, inner, columns, t_a, t_b) in enumerate(
        step_products(batch, sizes)
    ):
        a_shape = [inner, rows] if t_a else [rows, inner]
        b_shape = [columns, inner] if t_b else [inner, columns]
        pairs.append(
            [
                tf.cast(
                    tf.random.stateless_uniform(shape, seed=[seed, side]),
                    dtype,
                )
                for side, shape in enumerate((a_shape, b_shape))
            ]
        )
        flops += 2 * rows * inner * columns

    def products(pairs):
        return tf.add_n(
            [
                tf.cast(
                    tf.matmul(a, b, transpose_a=t_a, transpose_b=t_b)[0, 0],
                    tf.float32,
                )
                for (a, b), (*_, t_a, t_b) in zip(
                    pairs, step_products(batch, sizes)
                )
            ]
        )

    run = tf.function(products, autograph=False)
    run(pairs).numpy()  # the first call builds the graph
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        run(pairs).numpy()
        best = min(best, time.perf_counter() - started)
    return flops / best / 1e9


def training_flops_per_epoch(config, n_examples, n_inputs=784, n_classes=10):
    """Matrix-product FLOPs of one epoch of ``config``: full batches only,
    forward + backward.
    """
    forward, backward = matmul_flops(
        config.batch_size, [n_inputs, *config.hidden, n_classes]
    )
    return (n_examples // config.batch_size) * (forward + backward)


def measure_peak(m, quick):
    """The machine's matrix-product peak, square and at the epoch's shapes."""
    sizes = ((128, 2), (256, 2)) if quick else PEAK_SIZES
    m.peak, float32_sizes = matmul_peak(tf.float32, sizes)
    m.peak_bf16, bfloat16_sizes = matmul_peak(tf.bfloat16, sizes)
    m.peak_by_size = {"float32": float32_sizes, "bfloat16": bfloat16_sizes}
    say(
        f"matmul peak: float32 {m.peak:.1f} GFLOP/s, bfloat16 "
        f"{m.peak_bf16:.1f} GFLOP/s (best of sizes "
        f"{', '.join(float32_sizes)})"
    )
    repeats = 3 if quick else 20
    m.at_shapes = {
        name: matmul_gflops_at_shapes(
            m.config.batch_size, m.layer_sizes, dtype, repeats
        )
        for name, dtype in (("float32", tf.float32), ("bfloat16", tf.bfloat16))
    }
    say(
        f"at the epoch's shapes: float32 {m.at_shapes['float32']:.1f} "
        f"GFLOP/s, bfloat16 {m.at_shapes['bfloat16']:.1f} GFLOP/s"
    )
