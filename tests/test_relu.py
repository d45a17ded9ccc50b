"""docs/relu.md and snippets/relu.py: the rectified linear unit."""

import functools
import re

import numpy as np
import pytest
import tensorflow as tf

from figures import relu as relu_figures
from helpers import (
    Claim,
    check_claims,
    check_exercises,
    check_figures,
    page,
    pmatrix,
    quiz,
)
from snippets.linear import accuracy, fit, xor_data
from snippets.mlp import MLP
from snippets.relu import hidden_layer, relu, relu_derivative


def test_relu_and_its_derivative():
    x = np.array([-3.0, -0.1, 0.0, 0.1, 3.0])
    assert relu(x).tolist() == [0.0, 0.0, 0.0, 0.1, 3.0]
    assert relu_derivative(x).tolist() == [0, 0, 0, 1, 1]
    assert np.array_equal(relu(x), tf.nn.relu(x).numpy())


def test_relu_derivative_matches_tensorflow_gradient():
    x = tf.constant([-2.0, -0.5, 0.0, 0.5, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.nn.relu(x))
    assert np.array_equal(
        tape.gradient(y, x).numpy(), relu_derivative(x.numpy())
    )


def test_hidden_layer_is_linear_then_rectified():
    out = hidden_layer(
        tf.constant([[1.0, -1.0]]),
        tf.constant([[1.0, -1.0], [1.0, 1.0]]),
        tf.constant([0.5, 0.0]),
    )
    assert out.numpy().tolist() == [[0.5, 0.0]]


def test_a_network_of_relus_learns_xor():
    points, labels = xor_data()
    model = fit(
        MLP(hidden=(16,), n_inputs=2, n_classes=2), points, labels, epochs=300
    )
    assert accuracy(model(points), labels) > 0.95


def test_relu_quiz_derivative_is_a_step():
    text = quiz("relu", "what is the derivative of a ReLU")
    assert (
        "0 for every negative $x$" in text
        and "1\n    for every positive $x$" in text
    )
    x = tf.constant(np.linspace(-2, 2, 41), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.relu(x)
    derivative = tape.gradient(y, x).numpy()
    assert np.all(derivative[x.numpy() < 0] == 0) and np.all(
        derivative[x.numpy() > 0] == 1
    )
    assert (
        derivative[20] == 0 == relu_derivative(0.0)
    )  # x = 0 exactly: TensorFlow uses 0
    assert np.array_equal(relu_derivative(x.numpy()), derivative)


def test_relu_quiz_network_of_relus_is_computed_right():
    text = quiz("relu", "a linear model, turned into a network of ReLUs")
    given = dict(
        re.findall(
            r"(X|W_1|b_1|W_2|b_2) = \\begin\{pmatrix\}(.*?)\\end\{pmatrix\}",
            text,
            re.DOTALL,
        )
    )
    x, w1, b1, w2, b2 = (
        pmatrix(given[k]) for k in ("X", "W_1", "b_1", "W_2", "b_2")
    )
    answer = text[text.index("**Answer:**") :]
    pre_activation, with_relu, without_relu = (
        pmatrix(m)
        for m in re.findall(
            r"\\begin\{pmatrix\}(.*?)\\end\{pmatrix\}", answer, re.DOTALL
        )
    )
    assert np.allclose(x @ w1 + b1, pre_activation)
    assert np.allclose(np.maximum(0, x @ w1 + b1) @ w2 + b2, with_relu)
    assert np.allclose((x @ w1 + b1) @ w2 + b2, without_relu)
    # "each example lost a different unit"
    assert [list(np.flatnonzero(row <= 0)) for row in pre_activation] == [
        [1],
        [0],
    ]


def test_the_sigmoid_slope_is_at_most_a_quarter():
    x = np.linspace(-10, 10, 20001)
    sigmoid = 1 / (1 + np.exp(-x))
    assert np.max(sigmoid * (1 - sigmoid)) == pytest.approx(0.25, abs=1e-12)
    slope = np.max(sigmoid * (1 - sigmoid))
    assert slope**10 < 1e-6 and "less than one millionth" in page(
        "relu"
    )  # ten sigmoid layers


def test_about_half_the_units_of_a_fresh_layer_are_off(small_data):
    model = MLP(hidden=(256,))
    hidden = tf.nn.relu(
        small_data.train_x[:500] @ model.weights["hidden_1"]
        + model.biases["hidden_1"]
    )
    assert (
        0.35 < float(tf.reduce_mean(tf.cast(hidden == 0, tf.float32))) < 0.65
    )


def test_sums_of_hats_join_the_points_with_straight_lines():
    def hat(x):
        return relu(x + 1) - 2 * relu(x) + relu(x - 1)

    centres = np.linspace(0, 2 * np.pi, 9)
    width = centres[1] - centres[0]
    x = np.linspace(0, 2 * np.pi, 1001)
    joined = sum(np.sin(c) * hat((x - c) / width) for c in centres)
    assert np.allclose(joined, np.interp(x, centres, np.sin(centres)))


# Figures ------------------------------------------------------------------------------------


def test_figures_are_on_the_page_with_alt_text_and_captions():
    figures = check_figures("relu", relu_figures)
    alt, caption = figures["relu-hinges"]
    assert f"{relu_figures.HINGES} ReLUs" in caption
    assert alt.startswith(
        "On the left, the sine curve over one period, the output of a hidden "
        f"layer of { {5: 'five'}[relu_figures.HINGES] } ReLUs"
    )


def test_function_figure_is_relu_and_a_step_that_matches_the_tape(drawn):
    data = drawn("relu-function")
    x = data["x"]
    np.testing.assert_array_equal(data["relu"], np.where(x > 0, x, 0))
    np.testing.assert_array_equal(data["derivative"], data["tape"])
    assert set(np.unique(data["derivative"])) == {0.0, 1.0}
    assert (
        data["derivative"][x == 0] == 0
    )  # the filled dot: TensorFlow's value at 0


def test_hinges_sum_to_the_fit_and_doubling_them_quarters_the_error(drawn):
    data = drawn("relu-hinges")
    fit = data["fit"]
    assert len(fit["knots"]) == fit["hidden"].shape[1] == relu_figures.HINGES
    np.testing.assert_allclose(
        fit["hidden"], relu(data["x"][:, None] - fit["knots"]), atol=1e-6
    )
    np.testing.assert_allclose(
        fit["hidden"] @ fit["weights"] + fit["bias"], fit["output"]
    )
    # Each weighted hinge bends once; the sum bends at every hinge inside the interval.
    slopes = np.diff(fit["output"]) / np.diff(data["x"])
    bends = np.count_nonzero(~np.isclose(slopes[1:], slopes[:-1], atol=1e-3))
    assert bends == relu_figures.HINGES - 1
    errors = dict(zip(data["counts"], data["errors"]))
    assert all(np.diff(data["errors"]) < 0)
    for count in (2, 4, 8, 16):
        assert 3 < errors[count] / errors[2 * count] < 5.5  # "about fourfold"


def test_exercises_pass_with_the_worked_solutions_and_give_hints_on_the_starter():
    check_exercises("relu")


# Claims ----------------------------------------------------------------------------------------


@functools.cache
def one_epoch_at(learning_rate):
    from snippets.data import load_dataset
    from snippets.relu import after_one_epoch

    return after_one_epoch(
        learning_rate, load_dataset(validation_size=1000, limit=3000)
    )


def dead_units_leave_the_network_no_better_than_guessing():
    """The notebook's run: at a learning rate of 3, most hidden units dead and a test accuracy
    whose interval reaches down to the share of the commonest digit; at 0.1, the units
    alive."""
    from snippets.data import load_dataset
    from snippets.uncertainty import wilson_interval

    dead, accuracy, n = one_epoch_at(3.0)
    test_classes = load_dataset(
        validation_size=1000, limit=3000
    ).test_y.argmax(axis=1)
    commonest = np.bincount(test_classes).max() / n
    low, high = wilson_interval(round(accuracy * n), n)
    assert dead > 0.5 and low <= commonest and high < 0.2
    alive_dead, alive_accuracy, _ = one_epoch_at(0.1)
    assert alive_dead < 0.05 and alive_accuracy > 0.6


CLAIMS = [
    Claim(
        "the network no better than guessing (the confidence interval of its test accuracy reaches "
        "the share of the commonest digit), where a rate of 0.1 leaves the units alive",
        dead_units_leave_the_network_no_better_than_guessing,
    ),
]


def test_the_claims_on_the_page_hold():
    check_claims("relu", CLAIMS)


def test_four_relus_beat_one_and_two_on_the_same_test_points():
    """The playground fragment: one or two units leave the network well short of four,
    by McNemar's test on the same 200 test points."""
    from snippets.playground import run_preset
    from snippets.uncertainty import mcnemar

    def right(name):
        run = run_preset(name)
        x, y = run.test
        return np.argmax(run.logits(x), axis=1) == y

    four = right("relu4-xor")
    for fewer in ("relu1-xor", "relu2-xor"):
        test = mcnemar(right(fewer), four)
        assert test.p_value < 0.001 and test.only_b > test.only_a
