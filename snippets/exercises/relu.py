"""Checks of the exercises of "Rectified linear units" (docs/relu.md)."""

import numpy as np
import tensorflow as tf

from snippets.exercises import Exercise, Wrong, numbers
from snippets.exercises.linear import rerun, small_mnist
from snippets.relu import after_one_epoch, hidden_layer, relu


def as_array(value, what):
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise Wrong(f"{what} should be numbers, not {type(value).__name__}.")


def check_relu_gradient(relu_gradient):
    rng = np.random.default_rng(0)
    cases = [
        np.array([-2.0, -0.5, 0.0, 0.5, 2.0], np.float32),
        np.zeros(3, np.float32),
        rng.standard_normal((4, 5)).astype(np.float32),
    ]
    for x in cases:
        tensor = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(tensor)
            y = tf.nn.relu(tensor)
        expected = tape.gradient(y, tensor).numpy()
        got = as_array(relu_gradient(x.copy()), "the gradient")
        if got.shape != x.shape:
            raise Wrong(
                f"for x of shape {x.shape} the gradient has shape {got.shape}."
            )
        if not np.array_equal(got, expected):
            where = np.flatnonzero(got.ravel() != expected.ravel())[0]
            raise Wrong(
                f"at x = {x.ravel()[where]:g} it gives {got.ravel()[where]:g}, "
                f"tf.GradientTape gives {expected.ravel()[where]:g}."
            )


def pieces(w, b, v):
    """Linear pieces of f(x) = sum_i v_i relu(w_i x + b_i) on the whole line, counted
    from the slopes of f between its possible bends, computed with snippets.relu."""
    w, b, v = (np.asarray(a, np.float64) for a in (w, b, v))
    bends = np.unique(-b[w != 0] / w[w != 0])
    if len(bends) == 0:
        return 1
    # one point inside every interval between bends, and one beyond each end
    points = np.concatenate(
        [[bends[0] - 1.0], (bends[:-1] + bends[1:]) / 2, [bends[-1] + 1.0]]
    )

    def f(x):
        return relu(np.outer(x, w) + b) @ v

    slopes = (f(points + 1e-7) - f(points - 1e-7)) / 2e-7
    changes = np.abs(np.diff(slopes)) > 1e-6 * (1 + np.abs(slopes[1:]))
    return 1 + int(changes.sum())


def check_linear_pieces(linear_pieces):
    rng = np.random.default_rng(1)
    cases = [
        ("the hat", [1.0, 1.0, 1.0], [1.0, 0.0, -1.0], [1.0, -2.0, 1.0]),
        ("five random units", *rng.standard_normal((3, 5))),
        ("one unit", [2.0], [-1.0], [3.0]),
        ("a unit with zero input weight", [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]),
        (
            "a unit with zero output weight",
            [1.0, 1.0],
            [0.0, -1.0],
            [1.0, 0.0],
        ),
        (
            "two units bending at the same x",
            [1.0, 2.0],
            [-1.0, -2.0],
            [1.0, 1.0],
        ),
        (
            "relu(x) + relu(-x), which is |x|",
            [1.0, -1.0],
            [0.0, 0.0],
            [1.0, 1.0],
        ),
        (
            "relu(x) - relu(-x), which is x",
            [1.0, -1.0],
            [0.0, 0.0],
            [1.0, -1.0],
        ),
        ("no units bending", [0.0, 0.0], [1.0, -1.0], [1.0, 2.0]),
    ]
    for what, w, b, v in cases:
        w, b, v = (np.array(a, np.float64) for a in (w, b, v))
        expected = pieces(w, b, v)
        got = linear_pieces(w.copy(), b.copy(), v.copy())
        if got != expected:
            raise Wrong(
                f"for {what} (w={w}, b={b}, v={v}) it says {got}, not {expected}."
            )


CORNERS = np.array(
    [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], np.float32
)
XOR = np.array([0.0, 1.0, 1.0, 0.0])


def check_xor_network(xor_network):
    answer = xor_network()
    if not isinstance(answer, (tuple, list)) or len(answer) != 4:
        raise Wrong("it should return four arrays: w1, b1, w2, b2.")
    w1, b1, w2, b2 = (np.asarray(a, np.float32) for a in answer)
    shapes = [(2, 2), (2,), (2, 1), (1,)]
    for name, array, shape in zip(
        ("w1", "b1", "w2", "b2"), (w1, b1, w2, b2), shapes
    ):
        if array.shape != shape:
            raise Wrong(
                f"{name} should have shape {shape} (a 2-2-1 network), not {array.shape}."
            )
    outputs = (
        (tf.matmul(hidden_layer(CORNERS, w1, b1), w2) + b2).numpy().ravel()
    )
    if not np.allclose(outputs, XOR, atol=1e-5):
        raise Wrong(
            f"on the corners (0,0), (0,1), (1,0), (1,1) it outputs {np.round(outputs, 3)}, "
            f"not XOR's {XOR}."
        )


RELU_RATES = (0.1, 3.0)


def check_dead_units_sweep(dead_units_sweep):
    data = small_mnist(1000)
    n = len(data.test_y)
    got = numbers(
        dead_units_sweep(small_mnist(1000), RELU_RATES),
        np.zeros((len(RELU_RATES), 2)),
        "(dead share, test accuracy) for the rates 0.1 and 3",
    )
    dead, accuracy, _ = after_one_epoch(RELU_RATES[-1], data)
    rerun(
        "the share of dead units at the rate 3",
        got[-1, 0],
        dead,
        256,  # the hidden units the share counts
    )
    rerun("the test accuracy at the rate 3", got[-1, 1], accuracy, n)
    (dead_small, accuracy_small), (dead_large, accuracy_large) = got
    if not dead_large > dead_small + 0.5:
        raise Wrong(
            "one epoch at the rate 3 should leave most units dead, far more "
            f"than at 0.1 ({dead_small:.3f}): expected above "
            f"{dead_small + 0.5:.3f}, got {dead_large:.3f}."
        )
    if not accuracy_large < accuracy_small - 0.2:
        raise Wrong(
            "the network at the rate 3 should test far worse than at 0.1 "
            f"({accuracy_small:.3f}): expected below "
            f"{accuracy_small - 0.2:.3f}, got {accuracy_large:.3f}."
        )


EXERCISES = [
    Exercise(
        "relu_gradient",
        check_relu_gradient,
        "The slope of a ReLU is that of one of its two straight pieces.",
        "1 where x > 0, 0 where x < 0, and at exactly 0 the value TensorFlow "
        "uses: 0.",
    ),
    Exercise(
        "linear_pieces",
        check_linear_pieces,
        "Each unit bends the function at one point; bends at the same point "
        "can add up or cancel.",
        "unit i bends at x = -b_i / w_i (none if w_i = 0), and there the slope changes "
        "by |w_i| v_i; add up the changes at each distinct x, and count the x where the "
        "total is not zero. Pieces are one more than bends.",
    ),
    Exercise(
        "xor_network",
        check_xor_network,
        "XOR is the OR of the inputs minus what happens when both are on.",
        "let both hidden units add the two inputs, one of them shifted down by 1 so it "
        "only switches on at (1, 1); then subtract enough of it from the "
        "other.",
    ),
    Exercise(
        "dead_units_sweep",
        check_dead_units_sweep,
        "One run per rate, each from the same seed; a unit is dead when it "
        "outputs 0 for every training digit.",
        "after_one_epoch(rate, data) returns the dead share, the test "
        "accuracy and the number of test digits: keep the first two.",
    ),
]
