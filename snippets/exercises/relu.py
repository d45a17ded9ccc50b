"""Checks of the exercises of "Rectified linear units" (docs/relu.md)."""

import numpy as np
import tensorflow as tf

from snippets.exercises import Exercise, Wrong
from snippets.relu import hidden_layer, relu


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
]
