"""Checks of the exercises of "Regularization" (docs/regularization.md)."""

import numpy as np
import tensorflow as tf

from snippets.config import TrainConfig
from snippets.exercises import Exercise, Wrong, differs, explain, numbers
from snippets.exercises.linear import small_mnist
from snippets.regularization import EarlyStopping, l1_penalty, l2_penalty


def replay(scores, patience):
    """The epoch EarlyStopping keeps and the epoch after which it stops (the
    last one if it never fires), epochs counted from 1."""
    stopper = EarlyStopping(patience)
    for epoch, score in enumerate(scores, start=1):
        stopper.update(score, epoch)
        if stopper.should_stop:
            break
    return int(stopper.best_epoch), epoch


def check_early_stopping(early_stopping):
    rng = np.random.default_rng(0)
    cases = [
        ([0.91, 0.94, 0.95, 0.947, 0.949, 0.946, 0.96], 3),  # the page's
        ([0.80, 0.85, 0.84, 0.86, 0.86, 0.85, 0.83, 0.90], 1),  # a tie
        ([0.80, 0.85, 0.84, 0.86, 0.86, 0.85, 0.83, 0.90], 3),
        ([0.90, 0.80, 0.80, 0.80, 0.80], 2),  # the first epoch is the best
        ([0.50, 0.60, 0.70, 0.80], 1),  # never stops
        ([0.50, 0.60, 0.55], 5),  # runs out of epochs first
    ]
    # Scores rounded to two digits, so that ties come up.
    cases += [
        (list(np.round(rng.uniform(0.8, 0.9, 12), 2)), p) for p in (1, 2, 4)
    ]
    for scores, patience in cases:
        expected = replay(scores, patience)
        got = early_stopping(list(scores), patience)
        try:
            got = tuple(int(value) for value in got)
        except (TypeError, ValueError):
            raise Wrong(f"return two epoch numbers, not {got!r}.") from None
        if got != expected:
            raise Wrong(
                f"for scores {[float(s) for s in scores]} and patience {patience} "
                f"EarlyStopping keeps epoch {expected[0]} and stops after epoch "
                f"{expected[1]}, not {got[0]} and {got[1]}."
            )


def check_l2_penalty_and_gradients(l2_penalty_and_gradients):
    rng = np.random.default_rng(1)
    for shapes, l2 in (
        ([(4, 3), (3, 2)], 0.01),
        ([(5, 5)], 0.5),
        ([(2, 6), (6, 6)], 1.0),
    ):
        matrices = [
            rng.standard_normal(shape).astype(np.float32) for shape in shapes
        ]
        variables = [tf.Variable(m) for m in matrices]
        with tf.GradientTape() as tape:
            penalty = l2_penalty(variables, l2)
        gradients = tape.gradient(penalty, variables)
        answer = l2_penalty_and_gradients([m.copy() for m in matrices], l2)
        if not isinstance(answer, (tuple, list)) or len(answer) != 2:
            raise Wrong(
                "expected two things, the penalty and the list of gradients, "
                f"got {type(answer).__name__}."
            )
        got_penalty, got_gradients = answer
        if np.size(got_penalty) != 1:
            raise Wrong(
                f"with {len(matrices)} matrices the penalty should be one "
                f"number, their total; got {np.size(got_penalty)} numbers."
            )
        differs(
            np.reshape(np.asarray(got_penalty, dtype=np.float64), ()),
            float(penalty),
            f"the penalty with l2 = {l2} (l2_penalty)",
        )
        got_gradients = list(got_gradients)
        if len(got_gradients) != len(matrices):
            raise Wrong(
                f"expected one gradient per matrix, {len(matrices)}, got "
                f"{len(got_gradients)}."
            )
        for number, (got, expected) in enumerate(
            zip(got_gradients, gradients), start=1
        ):
            differs(
                got,
                expected.numpy(),
                f"with l2 = {l2}, the gradient of matrix {number} "
                "(GradientTape on l2_penalty)",
            )


def check_l1_gradient(l1_gradient):
    rng = np.random.default_rng(2)
    weights = rng.standard_normal((6, 4)).astype(np.float32)
    weights[rng.random((6, 4)) < 0.3] = 0.0  # some weights exactly at zero
    weights[0, :2] = 0.0
    for l1 in (0.001, 0.1, 2.0):
        variable = tf.Variable(weights)
        with tf.GradientTape() as tape:
            penalty = l1_penalty([variable], l1)
        expected = tape.gradient(penalty, variable).numpy()
        what = f"with l1 = {l1}, the gradient (GradientTape on l1_penalty)"
        got = numbers(l1_gradient(weights.copy(), l1), expected, what)
        zero = weights == 0
        if not np.allclose(got[zero], 0.0):
            raise Wrong(
                f"{what}: where a weight is exactly 0, expected 0 (as "
                f"TensorFlow takes it), got {got[zero][got[zero] != 0][0]:g}."
            )
        if np.allclose(got, expected, rtol=1e-5, atol=1e-8):
            continue
        if np.allclose(got * l1, expected, rtol=1e-5, atol=1e-8):
            raise Wrong(
                f"{what}: got 1/l1 = {1 / l1:g} times the expected value: "
                "where does l1 come in?"
            )
        explain(got, expected, what)


STRENGTHS = (0.0, 0.01, 0.1)


def check_l2_sweep(l2_sweep):
    from snippets.train import train

    data = small_mnist(500)
    got = numbers(
        l2_sweep(small_mnist(500), STRENGTHS),
        np.zeros(len(STRENGTHS)),
        "the sums of squared weights for l2 = 0, 0.01 and 0.1",
    )
    config = TrainConfig(hidden=(64,), epochs=5, l2=STRENGTHS[-1])
    model = train(config, data=data, log=lambda message: None).model
    expected = sum(
        float(tf.reduce_sum(tf.square(weights)))
        for weights in model.weight_matrices()
    )
    differs(
        got[-1],
        expected,
        f"the sum of squared weights at l2 = {STRENGTHS[-1]}",
        1e-3,
    )
    for (weak, before), (strong, after) in zip(
        zip(STRENGTHS, got), zip(STRENGTHS[1:], got[1:])
    ):
        if not after < 0.9 * before:
            raise Wrong(
                f"l2 = {strong:g} should leave the weights clearly smaller "
                f"than l2 = {weak:g} ({before:.4g}): expected below "
                f"{0.9 * before:.4g}, got {after:.4g}."
            )


EXERCISES = [
    Exercise(
        "early_stopping",
        check_early_stopping,
        "Keep the best score so far, and count the epochs since it.",
        "keep the best score so far and the epochs since it; only a strictly higher "
        "score is a new best, and the run stops once `patience` epochs in a "
        "row bring none.",
    ),
    Exercise(
        "l2_penalty_and_gradients",
        check_l2_penalty_and_gradients,
        "The penalty adds up the squares of every matrix; differentiate it "
        "one matrix at a time.",
        "the penalty is l2 * sum(W**2) / 2 over all matrices, and its gradient with "
        "respect to each W is l2 * W.",
    ),
    Exercise(
        "l1_gradient",
        check_l1_gradient,
        "The derivative of |w| depends only on the sign of w.",
        "the derivative of |w| is +1 for w > 0 and -1 for w < 0; take 0 at w = 0, "
        "which is what np.sign gives.",
    ),
    Exercise(
        "l2_sweep",
        check_l2_sweep,
        "One fresh network per strength, trained the same way from the same "
        "seed; then add up the squares of its weight matrices (not the "
        "biases).",
        "train(TrainConfig(hidden=(64,), epochs=5, l2=l2), data=data, "
        "log=lambda message: None).model, then the sum of "
        "tf.reduce_sum(tf.square(w)) over model.weight_matrices().",
    ),
]
