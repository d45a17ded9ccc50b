"""Checks of the exercises of "Training deeper networks" (docs/deeper.md)."""

import numpy as np

from snippets.deeper import (
    count_pieces,
    sawtooth,
    set_initial_scale,
    signal_sizes,
    width_for_budget,
)
from snippets.exercises import Exercise, Wrong, numbers
from snippets.exercises.linear import small_mnist
from snippets.mlp import MLP, parameter_count


def distance(width, depth, budget, n_inputs, n_classes):
    """How far ``depth`` layers of ``width`` units land from the budget."""
    count = parameter_count((int(width),) * depth, n_inputs, n_classes)
    return abs(count - budget)


def check_width_for_budget(function):
    cases = [
        (1, 203530, 784, 10),
        (2, 203530, 784, 10),
        (3, 203530, 784, 10),
        (4, 1000000, 784, 10),
        (2, 5000, 784, 10),
        (3, 500, 2, 2),  # few inputs: the hidden layers hold the budget
        (1, 24, 2, 2),  # a budget that fits only one unit
    ]
    for case in cases:
        depth, budget, n_inputs, n_classes = case
        expected = width_for_budget(*case)
        got = function(*case)
        if not isinstance(got, (int, np.integer)):
            raise Wrong(f"return a whole number of units, not {got!r}.")
        if got < 1 or distance(got, *case) != distance(expected, *case):
            count = parameter_count((int(got),) * depth, n_inputs, n_classes)
            raise Wrong(
                f"{depth} hidden layers of {got} units with {n_inputs} inputs "
                f"and {n_classes} classes have {count:,} parameters; "
                f"{expected} units come closer to {budget:,}."
            )


def check_sawtooth_pieces(function):
    x = np.linspace(0.0, 1.0, 2**12 + 1)
    for depth in range(9):
        pieces = count_pieces(x, sawtooth(x, depth))
        expected = (pieces, pieces - 1)
        got = function(depth)
        try:
            got = tuple(int(v) for v in got)
        except TypeError:
            raise Wrong("return two whole numbers: (pieces, units).") from None
        if got != expected:
            raise Wrong(
                f"for depth {depth} you said {got}; the sawtooth has "
                f"{expected[0]} straight piece(s) and one hidden layer needs "
                f"{expected[1]} ReLU(s) for it."
            )


def measured_rms(rms_in, stddev, width, layers, seeds=(1, 2)):
    """The RMS of the last hidden layer's output of fresh networks, as
    ``signal_sizes`` measures it: the geometric mean over a few seeds, since
    every layer's random weights move it by a few percent.
    """
    rng = np.random.default_rng(0)
    sizes = []
    for seed in seeds:
        x = rng.standard_normal((64, width)).astype(np.float32)
        x *= rms_in / np.sqrt(np.mean(x**2))
        labels = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 64)]
        model = set_initial_scale(
            MLP(hidden=(width,) * layers, n_inputs=width), stddev, seed=seed
        )
        sizes.append(signal_sizes(model, x, labels)[0][-1])
    return float(np.exp(np.mean(np.log(sizes))))


def check_rms_after(function):
    for rms_in, stddev, width, layers in [
        (1.0, np.sqrt(2.0 / 256), 256, 8),
        (0.5, 0.01, 256, 5),
        (2.0, 0.2, 256, 3),
        (1.0, 1.0, 512, 1),
        (0.3, 0.05, 128, 3),
    ]:
        measured = measured_rms(rms_in, stddev, width, layers)
        got = float(function(rms_in, stddev, width, layers))
        # Each random layer moves the RMS by a few percent; a factor of
        # sqrt(2) off in a layer is a log-ratio of 0.35 per layer.
        allowed = 0.1 + 0.03 * layers
        if (
            not np.isfinite(got)
            or got <= 0
            or abs(np.log(got / measured)) > allowed
        ):
            raise Wrong(
                f"after {layers} ReLU layers of {width} units with weights of "
                f"standard deviation {stddev:.4g}, starting from an RMS of "
                f"{rms_in}, you predict {got:.3g}; networks measure "
                f"{measured:.3g}."
            )
    if abs(function(0.5, np.sqrt(2.0 / 64), 64, 20) - 0.5) > 1e-6:
        raise Wrong(
            "He's scale, sqrt(2 / width), should keep the RMS exactly."
        )


DEPTHS = (2, 20)


def last_rms(x, labels, depth, stddev):
    model = set_initial_scale(MLP((64,) * depth), stddev)
    return signal_sizes(model, x, labels)[0][-1]


def check_rms_by_depth(rms_by_depth):
    data = small_mnist(100)
    x, labels = data.test_x[:100], data.test_y[:100]
    got = {}
    for stddev, name in ((None, "He's"), (0.05, "0.05")):
        got[stddev] = numbers(
            rms_by_depth(x.copy(), labels.copy(), DEPTHS, stddev),
            np.zeros(len(DEPTHS)),
            f"the RMS at depths 2 and 20 with {name} standard deviation",
        )
        if np.any(got[stddev] <= 0):
            raise Wrong(
                f"with {name} standard deviation, expected sizes above 0, "
                f"got {got[stddev].tolist()}."
            )
        expected = last_rms(x, labels, DEPTHS[-1], stddev)
        # sizes this small are compared by their order of magnitude
        if abs(np.log10(got[stddev][-1] / expected)) > 0.01:
            raise Wrong(
                f"the RMS at depth 20 with {name} standard deviation: "
                f"expected {expected:.4g}, got {got[stddev][-1]:.4g}."
            )
    he_ratio = got[None][1] / got[None][0]
    if not he_ratio > 0.05:
        raise Wrong(
            "with He's standard deviation the signal should keep its size "
            "from depth 2 to 20: expected a ratio above 0.05, got "
            f"{he_ratio:.3g}."
        )
    small_ratio = got[0.05][1] / got[0.05][0]
    if not small_ratio < 1e-6:
        raise Wrong(
            "with a standard deviation of 0.05 the signal should all but "
            "vanish from depth 2 to 20: expected a ratio below 1e-06, got "
            f"{small_ratio:.3g}."
        )


def check_layer_norm_gradient(function):
    import tensorflow as tf

    rng = np.random.default_rng(7)
    for shape in ((4, 8), (3, 64)):
        x = rng.normal(2.0, 3.0, size=shape)
        upstream = rng.normal(size=shape)
        # LayerNorm of snippets/residual.py with gamma 1 and beta 0, in
        # float64 so that rounding cannot hide a missing term
        variable = tf.Variable(x)
        with tf.GradientTape() as tape:
            mean, variance = tf.nn.moments(variable, axes=[1], keepdims=True)
            y = (variable - mean) / tf.sqrt(variance + 1e-3)
            loss = tf.reduce_sum(y * upstream)
        expected = tape.gradient(loss, variable).numpy()
        got = numbers(
            function(x.copy(), upstream.copy()),
            expected,
            f"dL/dx for x of shape {shape}",
        )
        error = np.max(np.abs(got - expected))
        if error > 1e-8 * max(1.0, np.max(np.abs(expected))):
            raise Wrong(
                f"dL/dx for x of shape {shape} differs from tf.GradientTape's"
                f" by up to {error:.3g} (largest expected "
                f"{np.max(np.abs(expected)):.3g}); each row of the expected "
                f"sums to 0, yours to up to "
                f"{np.abs(got.sum(axis=1)).max():.2g}."
            )


EXERCISES = [
    Exercise(
        "width_for_budget",
        check_width_for_budget,
        "Count every weight and bias of the network as a function of the "
        "width, then search the width.",
        "depth layers of w units have (n_inputs + 1) w + (depth - 1)(w + 1) w "
        "+ (w + 1) n_classes parameters; try widths upward until one more "
        "unit passes the budget, then keep whichever of w and w + 1 is "
        "closer.",
    ),
    Exercise(
        "sawtooth_pieces",
        check_sawtooth_pieces,
        "Follow how one tent folds the pieces that come in, and what one unit"
        " can add.",
        "each tent doubles the number of pieces, and a unit of one hidden "
        "layer adds one corner, so one piece fewer than the pieces.",
    ),
    Exercise(
        "rms_after",
        check_rms_after,
        "Follow the mean square through one product and one ReLU, then repeat"
        " it per layer.",
        "z = h W has E[z^2] = width * stddev^2 * E[h^2], and a ReLU keeps "
        "half of E[z^2]: each layer multiplies the RMS by "
        "stddev * sqrt(width / 2).",
    ),
    Exercise(
        "rms_by_depth",
        check_rms_by_depth,
        "One fresh network per depth, its weights redrawn at the given scale, "
        "and the size of its last hidden layer's output on the digits.",
        "model = set_initial_scale(MLP((64,) * depth), stddev); then "
        "signal_sizes(model, x, labels)[0][-1] for each depth.",
    ),
    Exercise(
        "layer_norm_gradient",
        check_layer_norm_gradient,
        "y_j depends on x_i directly and through the row's mean and spread: "
        "add the three paths.",
        "with s = sqrt(variance + epsilon), y = (x - mean) / s and g = dL/dy: "
        "dL/dx = (g - mean(g) - y * mean(g * y)) / s, each mean over the "
        "row.",
    ),
]
