"""docs/linear.md and snippets/linear.py: the linear classifier and its limits.
"""

import re

import numpy as np
import pytest

from helpers import check_exercises, check_figures, check_keras_twin, keras_tabs, number, page, quiz
from snippets.figures import linear as linear_figures
from snippets.linear import LinearClassifier, accuracy, fit, parameter_count, softmax_cross_entropy, xor_data


def test_parameter_count_is_n_plus_one_times_k():
    assert parameter_count(784, 10) == 7850
    model = LinearClassifier(784, 10)
    assert sum(int(np.prod(v.shape)) for v in model.trainable_variables) == 7850


def test_cross_entropy_of_uniform_logits_is_log_k():
    loss = softmax_cross_entropy(np.zeros((4, 10), np.float32), np.eye(10, dtype=np.float32)[:4])
    assert abs(float(loss) - np.log(10)) < 1e-6


def test_linear_model_learns_mnist_but_cannot_learn_xor(small_data):
    model = fit(LinearClassifier(784, 10), small_data.train_x, small_data.train_y, epochs=3, batch_size=100)
    assert accuracy(model(small_data.test_x), small_data.test_y) > 0.85
    points, labels = xor_data()
    xor_model = fit(LinearClassifier(2, 2), points, labels, epochs=300)
    assert accuracy(xor_model(points), labels) < 0.65


def test_linear_quiz_number_of_parameters():
    answer = number(re.search(r"\*\*Answer: ([\d,]+)\.\*\*", quiz("linear", "how many parameters")).group(1))
    n_inputs = 28 * 28
    assert answer == parameter_count(n_inputs, 10) == n_inputs * 10 + 10
    model = LinearClassifier(n_inputs, 10)
    assert sum(int(np.prod(v.shape)) for v in model.trainable_variables) == answer


def test_a_linear_models_output_moves_at_most_norm_w_times_the_input():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(784, 10))
    bound = np.linalg.norm(w, 2)
    for _ in range(20):
        delta = rng.normal(size=784) * rng.uniform(1e-3, 10)
        assert np.linalg.norm(delta @ w) <= bound * np.linalg.norm(delta) * (1 + 1e-12)


def test_stacked_linear_layers_are_one_layer_of_limited_rank():
    rng = np.random.default_rng(1)
    w1, b1, w2, b2 = rng.normal(size=(6, 2)), rng.normal(size=2), rng.normal(size=(2, 5)), rng.normal(size=5)
    x = rng.normal(size=(7, 6))
    assert np.allclose((x @ w1 + b1) @ w2 + b2, x @ (w1 @ w2) + (b1 @ w2 + b2))
    assert np.linalg.matrix_rank(w1 @ w2) == 2  # at most the width of h, here 2 < 5


# Figures ------------------------------------------------------------------------------------

def test_figures_are_on_the_page_with_alt_text_and_captions():
    figures = check_figures("linear", linear_figures)
    _, caption = figures["linear-decision-regions"]
    assert f"after {linear_figures.STEPS} steps" in caption
    alt, _ = figures["linear-decision-regions"]
    assert f"{linear_figures.HIDDEN} ReLUs" in alt


def test_decision_regions_a_line_fails_where_a_relu_network_succeeds(drawn):
    results = drawn("linear-decision-regions")
    assert results[("XOR", "linear")]["accuracy"] < 0.65  # close to chance, 0.5
    assert results[("circles", "linear")]["accuracy"] < 0.8
    for problem in ("XOR", "circles"):
        assert results[(problem, "ReLU network")]["accuracy"] > 0.95
        probability = results[(problem, "ReLU network")]["probability"]
        assert probability.shape == (len(linear_figures.GRID),) * 2
        assert probability.min() >= 0 and probability.max() <= 1
    # The linear model's border is one straight line: where it predicts class 1 is a half-plane,
    # so along every row of the grid the prediction changes at most once.
    linear = results[("XOR", "linear")]["probability"] > 0.5
    assert all(np.count_nonzero(np.diff(row.astype(int))) <= 1 for row in linear)


def test_output_change_meets_its_bound_in_the_worst_direction_only(drawn):
    runs = drawn("linear-output-change")
    assert runs[10]["norm"] == pytest.approx(10 * runs[1]["norm"], rel=1e-5)
    for run in runs.values():
        sizes, changes = run["random"]
        assert np.all(changes <= sizes * run["norm"] * (1 + 1e-5))
        assert np.median(changes / (sizes * run["norm"])) < 0.5  # random directions stay well below
        sizes, changes = run["worst"]
        np.testing.assert_allclose(changes, sizes * run["norm"], rtol=1e-4)


def test_the_keras_tab_computes_what_the_hand_written_classifier_does():
    from snippets.in_keras import linear_classifier

    assert keras_tabs("linear") == ["keras_linear"]
    scratch = LinearClassifier(784, 10, seed=3)
    check_keras_twin(scratch, linear_classifier(784, 10), [scratch.weights, scratch.bias])


def test_exercises_pass_with_the_worked_solutions_and_give_hints_on_the_starter():
    check_exercises("linear")


def test_the_check_command_reports_a_broken_answer_in_one_line(tmp_path):
    from helpers import run_command

    answers = tmp_path / "answers.py"
    answers.write_text("import numpy as np\n\ndef logits(x, weights, bias):\n    return x @ weights\n\n"
                       "def cross_entropy(logits, labels):\n    return 1 / 0\n")
    completed = run_command("check", "linear", "--file", answers)
    assert completed.returncode == 1 and "Traceback" not in completed.stdout + completed.stderr
    assert completed.stdout.splitlines() == [
        "WRONG   logits: the logits differ from what TensorFlow computes. Hint: one matrix product and one "
        "addition: x @ weights + bias.",
        "ERROR   cross_entropy raised ZeroDivisionError: division by zero (line 7 of answers.py). Hint: "
        "log softmax(z) = z - log(sum(exp(z))); subtract each row's largest logit from the row first, "
        "which changes nothing but keeps exp() finite.",
        f"MISSING largest_change: {answers} has no function of that name",
        "0 of 3 exercises of linear pass",
    ]
    answers.write_text("def logits(x, weights, bias)\n")
    completed = run_command("check", "linear", "--file", answers)
    assert completed.returncode == 1
    assert completed.stdout == f"error: {answers} does not run: SyntaxError: expected ':' (line 1 of answers.py)\n"


def test_the_best_line_separates_two_points_in_three_of_xor_and_all_of_a_separable_set():
    from snippets.linear import best_line_accuracy

    points, labels = xor_data(n=20_000, seed=1)
    assert abs(best_line_accuracy(points, labels, 360) - 2 / 3) < 0.01
    split = np.eye(2, dtype=np.float32)[(points[:, 0] + 0.5 * points[:, 1] > 0.2).astype(int)]
    assert best_line_accuracy(points, split, 360) > 0.998  # a line exists: found, up to the angle grid
    assert best_line_accuracy(points, 1 - split, 360) > 0.998  # and with the classes swapped
    assert "the best line gets two points in three right" in " ".join(page("linear").split())
