"""docs/linear.md and snippets/linear.py: the linear classifier and its limits."""

import re

import numpy as np
import pytest

from figures import linear as linear_figures
from helpers import (
    check_exercises,
    check_figures,
    check_keras_twin,
    keras_tabs,
    number,
    page,
    quiz,
)
from snippets.linear import (
    LinearClassifier,
    accuracy,
    fit,
    parameter_count,
    softmax_cross_entropy,
    xor_data,
)


def test_parameter_count_is_n_plus_one_times_k():
    assert parameter_count(784, 10) == 7850
    model = LinearClassifier(784, 10)
    assert (
        sum(int(np.prod(v.shape)) for v in model.trainable_variables) == 7850
    )


def test_cross_entropy_of_uniform_logits_is_log_k():
    loss = softmax_cross_entropy(
        np.zeros((4, 10), np.float32), np.eye(10, dtype=np.float32)[:4]
    )
    assert abs(float(loss) - np.log(10)) < 1e-6


def test_linear_model_learns_mnist_but_cannot_learn_xor(small_data):
    model = fit(
        LinearClassifier(784, 10),
        small_data.train_x,
        small_data.train_y,
        epochs=3,
        batch_size=100,
    )
    assert accuracy(model(small_data.test_x), small_data.test_y) > 0.85
    points, labels = xor_data()
    xor_model = fit(LinearClassifier(2, 2), points, labels, epochs=300)
    assert accuracy(xor_model(points), labels) < 0.65


def test_linear_quiz_number_of_parameters():
    answer = number(
        re.search(
            r"\*\*Answer: ([\d,]+)\.\*\*",
            quiz("linear", "how many parameters"),
        ).group(1)
    )
    n_inputs = 28 * 28
    assert answer == parameter_count(n_inputs, 10) == n_inputs * 10 + 10
    model = LinearClassifier(n_inputs, 10)
    assert (
        sum(int(np.prod(v.shape)) for v in model.trainable_variables) == answer
    )


def test_a_linear_models_output_moves_at_most_norm_w_times_the_input():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(784, 10))
    bound = np.linalg.norm(w, 2)
    for _ in range(20):
        delta = rng.normal(size=784) * rng.uniform(1e-3, 10)
        assert np.linalg.norm(delta @ w) <= bound * np.linalg.norm(delta) * (
            1 + 1e-12
        )


def test_stacked_linear_layers_are_one_layer_of_limited_rank():
    rng = np.random.default_rng(1)
    w1, b1, w2, b2 = (
        rng.normal(size=(6, 2)),
        rng.normal(size=2),
        rng.normal(size=(2, 5)),
        rng.normal(size=5),
    )
    x = rng.normal(size=(7, 6))
    assert np.allclose((x @ w1 + b1) @ w2 + b2, x @ (w1 @ w2) + (b1 @ w2 + b2))
    assert (
        np.linalg.matrix_rank(w1 @ w2) == 2
    )  # at most the width of h, here 2 < 5


# Figures ------------------------------------------------------------------------------------


def test_figures_are_on_the_page_with_alt_text_and_captions():
    figures = check_figures("linear", linear_figures)
    _, caption = figures["linear-decision-regions"]
    assert f"after {linear_figures.STEPS} steps" in caption
    alt, _ = figures["linear-decision-regions"]
    assert f"{linear_figures.HIDDEN} ReLUs" in alt


def test_decision_regions_a_line_fails_where_a_relu_network_succeeds(drawn):
    results = drawn("linear-decision-regions")
    assert (
        results[("XOR", "linear")]["accuracy"] < 0.65
    )  # close to chance, 0.5
    assert results[("circles", "linear")]["accuracy"] < 0.8
    for problem in ("XOR", "circles"):
        assert results[(problem, "ReLU network")]["accuracy"] > 0.95
        probability = results[(problem, "ReLU network")]["probability"]
        assert probability.shape == (len(linear_figures.GRID),) * 2
        assert probability.min() >= 0 and probability.max() <= 1
    # The linear model's border is one straight line: where it predicts class 1 is a half-plane,
    # so along every row of the grid the prediction changes at most once.
    linear = results[("XOR", "linear")]["probability"] > 0.5
    assert all(
        np.count_nonzero(np.diff(row.astype(int))) <= 1 for row in linear
    )


def test_output_change_meets_its_bound_in_the_worst_direction_only(drawn):
    runs = drawn("linear-output-change")
    assert runs[10]["norm"] == pytest.approx(10 * runs[1]["norm"], rel=1e-5)
    for run in runs.values():
        sizes, changes = run["random"]
        assert np.all(changes <= sizes * run["norm"] * (1 + 1e-5))
        assert (
            np.median(changes / (sizes * run["norm"])) < 0.5
        )  # random directions stay well below
        sizes, changes = run["worst"]
        np.testing.assert_allclose(changes, sizes * run["norm"], rtol=1e-4)


def test_the_keras_tab_computes_what_the_hand_written_classifier_does():
    from snippets.in_keras import linear_classifier

    assert keras_tabs("linear") == ["keras_linear"]
    scratch = LinearClassifier(784, 10, seed=3)
    check_keras_twin(
        scratch, linear_classifier(784, 10), [scratch.weights, scratch.bias]
    )


def test_exercises_pass_with_the_worked_solutions_and_give_hints_on_the_starter():
    check_exercises("linear")


def test_the_gradient_exercise_names_a_sum_where_the_mean_is_wanted():
    from snippets.exercises import Wrong
    from snippets.exercises.linear import check_weight_gradients

    def summed(x, weights, bias, labels):
        z = x @ weights + bias
        p = np.exp(z - z.max(axis=1, keepdims=True))
        dz = p / p.sum(axis=1, keepdims=True) - labels  # no / len(x)
        return x.T @ dz, dz.sum(axis=0)

    with pytest.raises(
        Wrong,
        match=r"^dL/dweights \(5, 3\), against GradientTape on a batch of 6: "
        r"got 6 times the expected value: the batch size, a sum where a mean "
        r"is wanted\?$",
    ):
        check_weight_gradients(summed)


def test_the_check_command_reports_a_broken_answer_in_one_line(tmp_path):
    from helpers import run_command

    answers = tmp_path / "answers.py"
    answers.write_text(
        "import numpy as np\n\ndef logits(x, weights, bias):\n    return x @ weights\n\n"
        "def cross_entropy(logits, labels):\n    return 1 / 0\n"
    )
    completed = run_command("check", "linear", "--file", answers)
    assert (
        completed.returncode == 1
        and "Traceback" not in completed.stdout + completed.stderr
    )
    lines = completed.stdout.splitlines()
    assert lines[0].startswith(
        "WRONG   logits: the logits (6, 10): every row is off by the same 10 numbers"
    )
    assert (
        "x @ weights + bias" not in completed.stdout
    )  # the formula only with --hint
    assert lines[1:] == [
        "ERROR   cross_entropy: raised ZeroDivisionError: division by zero (line 7 of answers.py). The loss "
        "is the mean over the batch of minus the log of the right class's softmax; keep exp() finite.",
        f"MISSING largest_change: {answers} has no function of that name",
        f"MISSING weight_gradients: {answers} has no function of that name",
        f"MISSING learning_rate_sweep: {answers} has no function of that name",
        "0 of 5 exercises of linear pass",
        "(python -m snippets check linear --hint shows a hint for each)",
    ]
    answers.write_text("def logits(x, weights, bias)\n")
    completed = run_command("check", "linear", "--file", answers)
    assert completed.returncode == 1
    assert completed.stdout.splitlines()[0] == (
        f"error: {answers} does not run: SyntaxError: expected ':' (line 1 of answers.py)"
    )
    assert completed.stdout.splitlines()[1:] == [
        "NOT RUN logits: answers.py did not load",
        "NOT RUN cross_entropy: answers.py did not load",
        "NOT RUN largest_change: answers.py did not load",
        "NOT RUN weight_gradients: answers.py did not load",
        "NOT RUN learning_rate_sweep: answers.py did not load",
        "0 of 5 exercises of linear pass",
    ]


def test_the_best_line_separates_two_points_in_three_of_xor_and_all_of_a_separable_set():
    from snippets.linear import best_line_accuracy

    points, labels = xor_data(n=20_000, seed=1)
    assert abs(best_line_accuracy(points, labels, 360) - 2 / 3) < 0.01
    split = np.eye(2, dtype=np.float32)[
        (points[:, 0] + 0.5 * points[:, 1] > 0.2).astype(int)
    ]
    assert (
        best_line_accuracy(points, split, 360) > 0.998
    )  # a line exists: found, up to the angle grid
    assert (
        best_line_accuracy(points, 1 - split, 360) > 0.998
    )  # and with the classes swapped
    assert "the best line gets two points in three right" in " ".join(
        page("linear").split()
    )


# Log-sum-exp, stacked layers, intervals -----------------------------------------------------


def test_log_softmax_is_tensorflows_and_stays_finite_where_the_naive_form_fails():
    import tensorflow as tf

    from snippets.linear import log_softmax

    rng = np.random.default_rng(2)
    for logits in (
        rng.normal(size=(6, 10)),
        500 * rng.normal(size=(6, 10)),
        np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1001.0, -1002.0]]),
    ):
        ours = log_softmax(logits)
        assert np.all(np.isfinite(ours))
        np.testing.assert_allclose(
            ours, tf.nn.log_softmax(logits).numpy(), rtol=1e-12, atol=1e-12
        )
    huge = np.array([[1000.0, 0.0, -1000.0]])
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        naive = np.log(np.exp(huge) / np.exp(huge).sum(axis=1, keepdims=True))
    assert not np.any(
        np.isfinite(naive)
    )  # nan, -inf, -inf: what the page shows
    assert np.array_equal(log_softmax(huge), [[0.0, -1000.0, -2000.0]])


def test_log_sum_exp_is_taught_before_the_exercise_that_needs_it():
    text = page("linear")
    taught = text.index("### Log-sum-exp: a softmax that does not overflow")
    assert (
        taught
        < text.index('--8<-- "snippets/linear.py:log_softmax"')
        < text.index("## Exercises")
    )
    assert (
        "(#log-sum-exp-a-softmax-that-does-not-overflow)"
        in text.split("## Exercises")[1]
    )


def test_a_stack_of_linear_layers_can_make_a_gradient_vanish_or_explode():
    # The page qualifies "nothing can make a gradient explode or vanish" to one layer.
    # Through 30 linear layers the gradient is multiplied by 30 matrices: orthogonal ones
    # scaled by 0.8 shrink it by 0.8**30, by 1.25 stretch it by 1.25**30.
    rng = np.random.default_rng(3)
    gradient = rng.normal(size=16)
    for scale in (0.8, 1.25):
        arriving = gradient
        for _ in range(30):
            orthogonal, _ = np.linalg.qr(rng.normal(size=(16, 16)))
            arriving = arriving @ (scale * orthogonal).T
        ratio = np.linalg.norm(arriving) / np.linalg.norm(gradient)
        assert ratio == pytest.approx(scale**30, rel=1e-9)
    assert 0.8**30 < 1e-2 and 1.25**30 > 1e2
    text = " ".join(page("linear").split())
    assert (
        "In one layer, nothing can make a gradient explode or vanish" in text
    )
    link = "(deeper.md#why-deeper-networks-are-harder-to-train)"
    assert (
        link in text
        and "\n## Why deeper networks are harder to train\n" in page("deeper")
    )


def test_the_best_line_on_400_points_is_within_the_noise_of_two_in_three():
    from snippets.linear import best_line_accuracy
    from snippets.uncertainty import wilson_interval

    points, labels = xor_data()
    few = wilson_interval(
        round(best_line_accuracy(points, labels) * len(points)), len(points)
    )
    many_points, many_labels = xor_data(n=20_000, seed=1)
    best = best_line_accuracy(many_points, many_labels, directions=360)
    many = wilson_interval(round(best * len(many_points)), len(many_points))
    assert (
        few[0] < 2 / 3 < few[1] and many[0] < 2 / 3 < many[1]
    )  # "still holds two in three"
    assert many[1] - many[0] < (few[1] - few[0]) / 5
    assert "still holds two in three" in " ".join(page("linear").split())


def test_the_playground_xor_run_is_within_the_noise_of_guessing():
    from snippets.playground import run_preset
    from snippets.uncertainty import wilson_interval

    run = run_preset("linear-xor")
    _, test_labels = run.test
    low, high = wilson_interval(
        round(run.accuracy() * len(test_labels)), len(test_labels)
    )
    assert len(test_labels) == 200 and low < 0.5 < high
