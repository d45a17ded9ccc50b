"""Checks of the exercises of "Dropout" (docs/dropout.md)."""

import numpy as np
import tensorflow as tf

from snippets.config import TrainConfig
from snippets.exercises import Exercise, Wrong, numbers
from snippets.exercises.linear import rerun, small_mnist
from snippets.linear import accuracy
from snippets.regularization import dropout


def check_dropout_from_uniform(dropout_from_uniform):
    h = tf.random.stateless_uniform(
        [50, 40], seed=[1, 2], minval=-1.0, maxval=3.0
    )
    for keep_prob in (0.8, 0.5, 0.25):
        for seed in ([0, 0], [5, 7]):
            # The project's dropout draws the uniform numbers of stateless_uniform
            # with its seed, and keeps a unit where that number is >= 1 - keep_prob.
            uniform = tf.random.stateless_uniform(h.shape, seed=seed).numpy()
            expected = dropout(h, keep_prob, seed).numpy()
            got = np.asarray(
                dropout_from_uniform(h.numpy(), uniform, keep_prob)
            )
            if got.shape != h.shape:
                raise Wrong(
                    f"the output has the input's shape {h.shape}, not {got.shape}."
                )
            if not np.array_equal(got != 0, expected != 0):
                kept, ours = int(np.sum(got != 0)), int(np.sum(expected != 0))
                both = int(np.sum((got != 0) & (expected != 0)))
                raise Wrong(
                    f"with keep_prob {keep_prob}, {h.shape[0]}x{h.shape[1]} "
                    f"units: expected {ours} kept, got {kept}, {both} of them "
                    "the same units."
                )
            if not np.allclose(got, expected, rtol=1e-5, atol=1e-6):
                raise Wrong(
                    f"with keep_prob {keep_prob} the kept units should come out as "
                    f"h / keep_prob, {1 / keep_prob:g} times their value."
                )
    # The expectation: averaged over many masks, every unit is its own activation.
    h = np.array([0.0, 0.5, 1.0, 2.0, -1.5], dtype=np.float32)
    uniform = np.random.default_rng(0).random(
        (20000, h.size), dtype=np.float32
    )
    for keep_prob in (0.9, 0.3):
        mean = np.asarray(
            dropout_from_uniform(np.tile(h, (20000, 1)), uniform, keep_prob)
        ).mean(0)
        if not np.allclose(mean, h, atol=0.1):
            raise Wrong(
                f"with keep_prob {keep_prob} the mean over 20,000 masks is "
                f"{np.round(mean, 2).tolist()}, not h = {h.tolist()}."
            )
    ones = np.ones((3, 4), dtype=np.float32)
    if not np.array_equal(
        np.asarray(dropout_from_uniform(ones, ones * 0.0, 1.0)), ones
    ):
        raise Wrong("with keep_prob 1.0 every unit is kept as it is.")


def check_port_dropout(port_dropout):
    ones = tf.ones([400, 400])
    for keep_prob in (0.8, 0.5, 0.9, 1.0):
        got = port_dropout(keep_prob)
        try:
            rate, scale = (float(value) for value in got)
        except (TypeError, ValueError):
            raise Wrong(
                f"return two numbers, rate and scale, not {got!r}."
            ) from None
        if not 0 <= rate < 1:
            raise Wrong(f"tf.nn.dropout takes a rate in [0, 1), not {rate:g}.")
        dropped = tf.nn.dropout(ones, rate=rate, seed=1).numpy()
        kept = dropped > 0
        if abs(kept.mean() - keep_prob) > 0.01:
            raise Wrong(
                f"for keep_prob {keep_prob}, tf.nn.dropout(x, rate={rate:g}) keeps "
                f"{kept.mean():.2f} of the units, not {keep_prob}."
            )
        if not np.isclose(scale, float(dropped[kept][0]), rtol=1e-6):
            raise Wrong(
                f"for keep_prob {keep_prob}, tf.nn.dropout multiplies the kept units "
                f"by {float(dropped[kept][0]):g}, not {scale:g}."
            )


def check_dropout_variance(dropout_variance):
    h = np.array([0.0, 0.5, 1.0, 3.0, -2.0], dtype=np.float32)
    masks = 100_000
    for index, keep_prob in enumerate((0.8, 0.5, 0.2, 1.0)):
        # The variance over many masks of the project's dropout, unit by unit.
        dropped = dropout(
            tf.tile(h[None, :], [masks, 1]), keep_prob, seed=[9, index]
        )
        measured = dropped.numpy().astype(np.float64).var(axis=0)
        got = np.array(
            [float(dropout_variance(float(v), keep_prob)) for v in h]
        )
        if not np.allclose(got, measured, rtol=0.03, atol=1e-9):
            raise Wrong(
                f"with keep_prob {keep_prob} the variances of the units "
                f"h = {h.tolist()} measured over {masks:,} masks are "
                f"{np.round(measured, 3).tolist()}, not {np.round(got, 3).tolist()}."
            )


KEEP_PROBS = (1.0, 0.5, 0.2)


def check_keep_prob_sweep(keep_prob_sweep):
    from snippets.train import train

    data = small_mnist(500)
    got = numbers(
        keep_prob_sweep(small_mnist(500), KEEP_PROBS),
        np.zeros((len(KEEP_PROBS), 2)),
        "(training accuracy, test accuracy) for keep_prob = 1, 0.5 and 0.2",
    )
    config = TrainConfig(epochs=10, keep_prob=KEEP_PROBS[-1])
    result = train(config, data=data, log=lambda message: None)
    on_training = accuracy(result.model(data.train_x), data.train_y)
    rerun(
        f"the training accuracy at keep_prob = {KEEP_PROBS[-1]}",
        got[-1, 0],
        on_training,
        len(data.train_y),
    )
    rerun(
        f"the test accuracy at keep_prob = {KEEP_PROBS[-1]}",
        got[-1, 1],
        result.test_accuracy,
        len(data.test_y),
    )
    kept, dropped = got[0, 0], got[-1, 0]
    if not dropped < kept - 0.03:
        raise Wrong(
            "dropping 80 % of the units should hold the training accuracy "
            f"well below that without dropout ({kept:.3f}): expected below "
            f"{kept - 0.03:.3f}, got {dropped:.3f}."
        )


EXERCISES = [
    Exercise(
        "dropout_from_uniform",
        check_dropout_from_uniform,
        "Which units survive comes from the uniform numbers; the survivors "
        "are rescaled so the mean is unchanged.",
        "keep = uniform >= 1 - keep_prob; return np.where(keep, h / "
        "keep_prob, 0.0).",
    ),
    Exercise(
        "port_dropout",
        check_port_dropout,
        "TF1 and TF2 name the probability of opposite events.",
        "TF2's rate is the probability of dropping, 1 - keep_prob; the survivors are "
        "scaled by 1 / keep_prob so that the mean stays the same.",
    ),
    Exercise(
        "dropout_variance",
        check_dropout_variance,
        "The output takes one of two values; work out its mean square and its"
        " mean.",
        "the output is h / p with probability p and 0 otherwise; Var = E[x^2] - E[x]^2, "
        "and E[x] = h.",
    ),
    Exercise(
        "keep_prob_sweep",
        check_keep_prob_sweep,
        "One fresh network per keep_prob, trained the same way from the same "
        "seed; measure it without dropout, on the training digits and on the "
        "test digits.",
        "result = train(TrainConfig(epochs=10, keep_prob=p), data=data, "
        "log=lambda message: None); then accuracy(result.model(data.train_x)"
        ", data.train_y) and result.test_accuracy.",
    ),
]
