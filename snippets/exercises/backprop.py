"""Checks of the exercises of "The chain rule and backpropagation" (docs/backprop.md)."""

import numpy as np
import tensorflow as tf

from snippets import backprop
from snippets.exercises import Exercise, Wrong, differs, explain, numbers
from snippets.linear import softmax_cross_entropy
from snippets.mlp import MLP


def same(got, expected, what, tolerance=1e-6, batch=None):
    got = numbers(got, expected, what)
    if backprop.relative_error(got, expected) > tolerance:
        explain(got, expected, what, batch)


def tape_gradient_of_the_loss(logits, labels):
    z = tf.constant(logits)
    with tf.GradientTape() as tape:
        tape.watch(z)
        loss = softmax_cross_entropy(z, tf.constant(labels))
    return tape.gradient(loss, z).numpy()


def check_logits_gradient(logits_gradient):
    rng = np.random.default_rng(0)
    for batch, scale in ((1, 1.0), (4, 1.0), (6, 3.0), (3, 500.0)):
        logits = scale * rng.standard_normal((batch, 5))
        labels = np.eye(5)[rng.integers(0, 5, batch)]
        what = f"for a batch of {batch}" + (
            " with logits in the hundreds" if scale > 100 else ""
        )
        same(
            logits_gradient(logits.copy(), labels.copy()),
            tape_gradient_of_the_loss(logits, labels),
            f"dL/dz {what}",
            batch=batch,
        )


def network_222(seed, batch):
    rng = np.random.default_rng(seed)
    w1, b1 = rng.standard_normal((2, 2)), rng.standard_normal(2)
    w2, b2 = rng.standard_normal((2, 2)), rng.standard_normal(2)
    x = rng.standard_normal((batch, 2))
    labels = np.eye(2)[rng.integers(0, 2, batch)]
    return x, labels, w1, b1, w2, b2


def tape_gradients_222(x, labels, w1, b1, w2, b2):
    variables = [tf.Variable(a) for a in (w1, b1, w2, b2)]
    with tf.GradientTape() as tape:
        hidden = tf.nn.relu(tf.constant(x) @ variables[0] + variables[1])
        loss = softmax_cross_entropy(
            hidden @ variables[2] + variables[3], tf.constant(labels)
        )
    return [g.numpy() for g in tape.gradient(loss, variables)]


def check_backprop_222(backprop_222):
    cases = [
        network_222(seed, batch) for seed, batch in ((0, 1), (1, 3), (2, 5))
    ]
    # one hidden unit off for every example: no gradient may reach its weights
    x, labels, w1, b1, w2, b2 = network_222(3, 4)
    b1[1] = -100.0
    cases.append((x, labels, w1, b1, w2, b2))
    for number, case in enumerate(cases, start=1):
        got = backprop_222(*(a.copy() for a in case))
        if not isinstance(got, (tuple, list)) or len(got) != 4:
            raise Wrong("it should return four arrays: dw1, db1, dw2, db2.")
        expected = tape_gradients_222(*case)
        for name, mine, theirs in zip(
            ("dw1", "db1", "dw2", "db2"), got, expected
        ):
            off = (
                " (where the second hidden unit is always off)"
                if number == 4
                else ""
            )
            same(
                mine,
                theirs,
                f"{name} in case {number}{off}",
                batch=len(case[0]),
            )


def check_numerical_gradient(numerical_gradient):
    rng = np.random.default_rng(0)
    theta = rng.uniform(-1, 1, size=(3, 4))
    before = theta.copy()
    # a curved function: a one-sided difference is off by about eps, a central one by eps**2
    got = numerical_gradient(
        lambda t: float(np.sum(np.exp(3 * t))), theta, 1e-3
    )
    if not np.array_equal(theta, before):
        raise Wrong(
            "theta is not the same after the call: put every entry back."
        )
    expected = 3 * np.exp(3 * before)
    what = "the gradient of sum(exp(3 theta)) with eps 1e-3"
    got = numbers(got, expected, what)
    if backprop.relative_error(got, expected) > 1e-5:
        # a difference on one side only is off by about eps, not eps**2
        forward = (np.exp(3 * (before + 1e-3)) - np.exp(3 * before)) / 1e-3
        backward = (np.exp(3 * before) - np.exp(3 * (before - 1e-3))) / 1e-3
        for one_sided in (forward, backward):
            if backprop.relative_error(got, one_sided) < 1e-6:
                raise Wrong(
                    f"{what}: relative error "
                    f"{backprop.relative_error(got, expected):.1e}, as a "
                    "difference on one side of theta gives: which way does "
                    "your difference look?"
                )
        explain(got, expected, what)
    # the loss of a small network, against our backward pass
    x, labels, w1, b1, w2, b2 = network_222(4, 6)
    params = [(w1, b1), (w2, b2)]

    def loss(weights):
        return backprop.cross_entropy(
            backprop.forward([(weights, b1), (w2, b2)], x)[0], labels
        )

    logits, cache = backprop.forward(params, x)
    expected = backprop.backward(params, cache, logits, labels)[0][0]
    same(
        numerical_gradient(loss, w1.copy(), 1e-6),
        expected,
        "the gradient of the loss by w1",
        1e-6,
    )


EPSILONS = (1e-1, 1e-5, 1e-11)


def finite_difference_case(seed=0):
    """A 5-8-3 network in float64, a batch of 4, and the exact gradient of
    its first weight matrix by the project's backward pass."""
    params = backprop.parameters_of(
        MLP((8,), n_inputs=5, n_classes=3, seed=seed)
    )
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((4, 5))
    labels = np.eye(3)[rng.integers(0, 3, 4)]
    return params, x, labels


def finite_difference_error(params, x, labels, eps):
    logits, cache = backprop.forward(params, x)
    exact = backprop.backward(params, cache, logits, labels)[0][0]
    estimate = np.zeros_like(exact)
    for index in np.ndindex(exact.shape):
        estimate[index] = backprop.numerical_gradient(
            params, x, labels, 0, 0, index, eps
        )
    return backprop.relative_error(estimate, exact)


def check_finite_difference_errors(finite_difference_errors):
    params, x, labels = finite_difference_case()
    got = numbers(
        finite_difference_errors(params, x, labels, EPSILONS),
        np.zeros(len(EPSILONS)),
        "the relative errors for eps = 1e-1, 1e-5 and 1e-11",
    )
    if np.any(got <= 0):
        raise Wrong(
            "expected relative errors above 0 (no difference quotient is "
            f"exact), got {got.tolist()}."
        )
    params, x, labels = finite_difference_case()
    for eps, value in zip(EPSILONS, got):
        expected = finite_difference_error(params, x, labels, eps)
        # errors this small are compared by their order of magnitude
        if abs(np.log10(value) - np.log10(expected)) > 0.3:
            raise Wrong(
                f"the relative error at eps = {eps:g}: expected "
                f"{expected:.2g}, got {value:.2g}."
            )
    large, middle, small = got
    for eps, other in ((EPSILONS[0], large), (EPSILONS[2], small)):
        if not middle < 1e-4 * other:
            raise Wrong(
                f"eps = 1e-05 should be far more accurate than eps = {eps:g} "
                f"({other:.2g}): expected below {1e-4 * other:.2g}, got "
                f"{middle:.2g}."
            )


def tape_relu_layer(x, weights, bias, upstream):
    variables = [tf.Variable(a) for a in (x, weights, bias)]
    with tf.GradientTape() as tape:
        h = tf.nn.relu(variables[0] @ variables[1] + variables[2])
        # a loss whose gradient with respect to h is `upstream`
        loss = tf.reduce_sum(h * upstream)
    return [g.numpy() for g in tape.gradient(loss, variables)]


def check_relu_layer_backward(relu_layer_backward):
    for seed in (6, 7):
        rng = np.random.default_rng(seed)
        x, weights = rng.standard_normal((5, 4)), rng.standard_normal((4, 3))
        bias, upstream = rng.standard_normal(3), rng.standard_normal((5, 3))
        expected = tape_relu_layer(x, weights, bias, upstream)
        got = relu_layer_backward(x, weights, bias, upstream)
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            raise Wrong(
                "expected three arrays (dL/dx, dL/dweights, dL/dbias), got "
                f"{type(got).__name__}"
                + (f" of {len(got)}" if isinstance(got, (tuple, list)) else "")
                + "."
            )
        for value, wanted, what in zip(
            got,
            expected,
            ("dL/dx (5, 4)", "dL/dweights (4, 3)", "dL/dbias (3,)"),
        ):
            differs(value, wanted, f"{what}, against GradientTape", 1e-6)


EXERCISES = [
    Exercise(
        "logits_gradient",
        check_logits_gradient,
        "Think of how the mean over the batch and the softmax enter the loss "
        "of one logit.",
        "for the mean softmax cross-entropy, dL/dz = (softmax(z) - y) / batch; take each "
        "row's largest logit out before exp().",
    ),
    Exercise(
        "backprop_222",
        check_backprop_222,
        "Go backward one step at a time through what the forward pass "
        "computed, reusing the forward values.",
        "forward: z1 = x w1 + b1, h = relu(z1), z2 = h w2 + b2. Backward: dz2 = (softmax(z2) "
        "- y) / batch, dw2 = h.T dz2, db2 = dz2 summed over the batch, dh = dz2 w2.T, "
        "dz1 = dh where z1 > 0 else 0, then dw1 and db1 as for layer 2.",
    ),
    Exercise(
        "numerical_gradient",
        check_numerical_gradient,
        "Nudge one entry at a time, and measure on both sides of it.",
        "for every entry i: (f(theta + eps e_i) - f(theta - eps e_i)) / (2 eps), changing "
        "a copy of theta or putting the entry back afterwards.",
    ),
    Exercise(
        "finite_difference_errors",
        check_finite_difference_errors,
        "For each eps, estimate every entry of the first weight matrix by a "
        "central difference and compare the whole matrix with backprop's.",
        "snippets.backprop has forward, backward (the exact gradient is "
        "backward(...)[0][0]), numerical_gradient(params, x, labels, 0, 0, "
        "index, eps) and relative_error.",
    ),
    Exercise(
        "relu_layer_backward",
        check_relu_layer_backward,
        "Go back through the ReLU first, then through the product and the "
        "bias.",
        "dz = upstream where z = x W + b is positive, else 0; then dx = dz "
        "W.T, dW = x.T dz, db = dz summed over the rows.",
    ),
]
