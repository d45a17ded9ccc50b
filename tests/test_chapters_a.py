"""The quiz answers and the claims of the chapters linear, relu, mlp, backprop and deeper.

Each quiz answer is read from the page and compared with a value computed here, so a page
that states a wrong answer fails. Claims that depend on a training run are checked where
they are made, in the companion notebooks, which the site build executes.
"""

import re
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from snippets.backprop import matmul_flops
from snippets.deeper import count_pieces, sawtooth, same_budget_shapes, width_for_budget
from snippets.linear import LinearClassifier, parameter_count, xor_data
from snippets.mlp import MLP
from snippets.mlp import parameter_count as mlp_parameter_count
from snippets.relu import relu, relu_derivative
from snippets.train import PRESETS, TrainConfig

DOCS = Path(__file__).resolve().parent.parent / "docs"
CHAPTERS = ["linear", "relu", "mlp", "backprop", "deeper"]


def page(name):
    return (DOCS / f"{name}.md").read_text(encoding="utf-8")


def quiz(name, title):
    """The text of the collapsible quiz whose title contains ``title``."""
    text = page(name)
    match = re.search(r'^\?\?\? question "Quiz: ' + re.escape(title) + r'[^"]*"\n((?:    .*\n|\n)+)', text, re.M)
    assert match, f"no quiz {title!r} on {name}.md"
    return match.group(1)


def number(text):
    return int(text.replace(",", "").replace("{", "").replace("}", ""))


def pmatrix(latex):
    """A LaTeX pmatrix body as a NumPy array."""
    rows = [row for row in latex.split("\\\\")]
    return np.array([[float(entry) for entry in row.split("&")] for row in rows])


# Quizzes ---------------------------------------------------------------------------------

def test_linear_quiz_number_of_parameters():
    answer = number(re.search(r"\*\*Answer: ([\d,]+)\.\*\*", quiz("linear", "how many parameters")).group(1))
    n_inputs = 28 * 28
    assert answer == parameter_count(n_inputs, 10) == n_inputs * 10 + 10
    model = LinearClassifier(n_inputs, 10)
    assert sum(int(np.prod(v.shape)) for v in model.trainable_variables) == answer


def test_mlp_quiz_number_of_parameters():
    text = quiz("mlp", "how many parameters does 784-256-10")
    answer = number(re.search(r"\*\*Answer: ([\d,]+)\.\*\*", text).group(1))
    assert answer == mlp_parameter_count((256,)) == sum(int(np.prod(v.shape)) for v in MLP().trainable_variables)
    hidden, output = [number(n) for n in re.findall(r"= ([\d{},]+)\$", text)[:2]]
    assert (hidden, output) == ((784 + 1) * 256, (256 + 1) * 10)
    assert "7,850" in text and parameter_count(784, 10) == 7850


def test_relu_quiz_derivative_is_a_step():
    text = quiz("relu", "what is the derivative of a ReLU")
    assert "0 for every negative $x$" in text and "1\n    for every positive $x$" in text
    x = tf.constant(np.linspace(-2, 2, 41), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.relu(x)
    derivative = tape.gradient(y, x).numpy()
    assert np.all(derivative[x.numpy() < 0] == 0) and np.all(derivative[x.numpy() > 0] == 1)
    assert derivative[20] == 0 == relu_derivative(0.0)  # x = 0 exactly: TensorFlow uses 0
    assert np.array_equal(relu_derivative(x.numpy()), derivative)


def test_relu_quiz_network_of_relus_is_computed_right():
    text = quiz("relu", "a linear model, turned into a network of ReLUs")
    given = dict(re.findall(r"(X|W_1|b_1|W_2|b_2) = \\begin\{pmatrix\}(.*?)\\end\{pmatrix\}", text, re.S))
    x, w1, b1, w2, b2 = (pmatrix(given[k]) for k in ("X", "W_1", "b_1", "W_2", "b_2"))
    answer = text[text.index("**Answer:**"):]
    pre_activation, with_relu, without_relu = (pmatrix(m) for m in
                                               re.findall(r"\\begin\{pmatrix\}(.*?)\\end\{pmatrix\}", answer, re.S))
    assert np.allclose(x @ w1 + b1, pre_activation)
    assert np.allclose(np.maximum(0, x @ w1 + b1) @ w2 + b2, with_relu)
    assert np.allclose((x @ w1 + b1) @ w2 + b2, without_relu)
    # "each example lost a different unit"
    assert [list(np.flatnonzero(row <= 0)) for row in pre_activation] == [[1], [0]]


def test_deeper_quiz_the_best_preset():
    text = quiz("deeper", "how many parameters")
    assert "784-1024-1024-10" in text and PRESETS["best"].hidden == (1024, 1024)
    parameters = number(re.search(r"=\s*([\d{},]+)\$ parameters", text).group(1))
    width = number(re.search(r"\$w = ([\d{},]+)\$", text).group(1))
    assert parameters == mlp_parameter_count((1024, 1024))
    assert "795w + 10" in text and mlp_parameter_count((7,)) == 795 * 7 + 10
    assert width == width_for_budget(1, parameters)


# Claims ----------------------------------------------------------------------------------

def test_no_straight_line_gets_three_in_four_of_the_xor_points():
    points, labels = xor_data()
    classes = labels.argmax(axis=1)
    best = 0.0
    for angle in np.linspace(0, np.pi, 180, endpoint=False):
        side = points @ np.array([np.cos(angle), np.sin(angle)])
        for offset in np.linspace(-1.5, 1.5, 301):
            right = np.mean((side > offset) == classes)
            best = max(best, right, 1 - right)
    assert 0.5 < best < 0.75
    assert "fewer than three points in\nfour right" in page("linear")


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


def test_the_sigmoid_slope_is_at_most_a_quarter():
    x = np.linspace(-10, 10, 20001)
    sigmoid = 1 / (1 + np.exp(-x))
    assert np.max(sigmoid * (1 - sigmoid)) == pytest.approx(0.25, abs=1e-12)
    assert 4.0**-10 < 1e-6 and "less than one millionth" in page("relu")


def test_about_half_the_units_of_a_fresh_layer_are_off(small_data):
    model = MLP(hidden=(256,))
    hidden = tf.nn.relu(small_data.train_x[:500] @ model.weights["hidden_1"] + model.biases["hidden_1"])
    assert 0.35 < float(tf.reduce_mean(tf.cast(hidden == 0, tf.float32))) < 0.65


def test_sums_of_hats_join_the_points_with_straight_lines():
    def hat(x):
        return relu(x + 1) - 2 * relu(x) + relu(x - 1)

    centres = np.linspace(0, 2 * np.pi, 9)
    width = centres[1] - centres[0]
    x = np.linspace(0, 2 * np.pi, 1001)
    joined = sum(np.sin(c) * hat((x - c) / width) for c in centres)
    assert np.allclose(joined, np.interp(x, centres, np.sin(centres)))


def test_relu_keeps_half_the_second_moment_of_a_symmetric_input():
    z = np.random.default_rng(2).normal(0, 3.0, size=2_000_000)
    assert np.mean(relu(z) ** 2) == pytest.approx(np.var(z) / 2, rel=0.01)


def test_he_initialisation_scale_and_the_training_defaults():
    assert "hidden_1_weights:0" in page("mlp")
    config = TrainConfig()
    assert (config.hidden, config.batch_size, config.learning_rate, config.epochs) == ((256,), 128, 1e-3, 20)
    assert config.validation_size == 5000 and "5,000 training images" in page("mlp")
    assert 60000 - config.validation_size == 55000 and "55,000 training images" in page("mlp")


def test_finite_differences_need_two_forward_passes_per_parameter():
    assert 2 * mlp_parameter_count((256,)) == 407060 and "407,060 forward passes" in page("backprop")


@pytest.mark.parametrize("sizes", [[784, 256, 10], [784, 10], [20, 500, 500, 500, 3], [784, 64, 64, 64, 64, 64, 10]])
def test_backward_costs_between_one_and_two_forward_passes(sizes):
    forward_flops, backward_flops = matmul_flops(32, sizes)
    assert forward_flops <= backward_flops < 2 * forward_flops


def test_depth_makes_the_sawtooth_cheap():
    x = np.linspace(0.0, 1.0, 2**12 + 1)
    pieces = count_pieces(x, sawtooth(x, 8))
    assert pieces == 256 and pieces - 1 == 255 and 2 * 8 == 16
    assert "16 ReLUs in 8 layers do the work of\n255 in one" in page("deeper")


def test_the_first_layer_holds_most_of_the_budget():
    shapes = same_budget_shapes(203530, depths=(1, 2))
    assert shapes[0][0] - shapes[1][0] == 52 and "taking only 52 units" in page("deeper")
    assert 784 * 256 == 200704 and "784 \\times 256 = 200{,}704$ of the course's 203,530" in page("deeper")
    assert 784 * 256 / mlp_parameter_count((256,)) > 0.98


# The pages and their notebooks -----------------------------------------------------------

@pytest.mark.parametrize("name", CHAPTERS)
def test_each_chapter_links_its_companion_notebook(name):
    assert f"](notebooks/{name}.py)" in page(name)
    notebook = (DOCS / "notebooks" / f"{name}.py").read_text(encoding="utf-8")
    first_code = notebook.split("# %%\n", 1)[1]
    assert first_code.startswith("import snippets")
    assert "%matplotlib" not in notebook and "urlopen" not in notebook and "requests" not in notebook


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_fence_is_python_or_checked_output(name):
    lines = page(name).splitlines()
    fences = [(i, line.strip()) for i, line in enumerate(lines) if line.strip().startswith("```")]
    openings = fences[::2]
    assert len(fences) % 2 == 0
    for index, fence in openings:
        assert fence in ("```python", "```text"), f"{name}.md line {index + 1}: {fence}"
        if fence == "```text":
            previous = next(line.strip() for line in reversed(lines[:index]) if line.strip())
            assert previous == "<!--pytest-codeblocks:expected-output-->", f"{name}.md line {index + 1}"
