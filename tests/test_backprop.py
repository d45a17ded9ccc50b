"""docs/backprop.md and snippets/backprop.py: the chain rule by hand.
"""


import numpy as np
import pytest
import tensorflow as tf

from helpers import check_exercises, check_figures, page
from snippets.figures import backprop as backprop_figures
from snippets import backprop
from snippets.backprop import matmul_flops
from snippets.mlp import MLP


def make_problem(hidden=(12, 8), batch=6, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=(batch, 20))
    labels = np.eye(5)[rng.integers(0, 5, size=batch)]
    model = MLP(hidden=hidden, n_inputs=20, n_classes=5, dtype=tf.float64, seed=seed)
    return model, backprop.parameters_of(model), x, labels


def test_forward_matches_the_tensorflow_model():
    model, params, x, _ = make_problem()
    logits, _ = backprop.forward(params, x)
    assert np.allclose(logits, model(tf.constant(x)).numpy(), rtol=1e-12, atol=1e-12)


def test_backward_agrees_with_gradient_tape_to_1e_4_relative():
    model, params, x, labels = make_problem()
    logits, cache = backprop.forward(params, x)
    ours = backprop.backward(params, cache, logits, labels)
    theirs = backprop.tape_gradients(model, x, labels)
    for (dw, db), (tw, tb) in zip(ours, theirs):
        assert dw.shape == tw.shape and db.shape == tb.shape
        assert backprop.relative_error(dw, tw) < 1e-4 and backprop.relative_error(db, tb) < 1e-4


def test_backward_agrees_with_finite_differences_to_1e_4_relative():
    _, params, x, labels = make_problem(seed=3)
    assert backprop.check_against_finite_differences(params, x, labels, samples=10) < 1e-4


def test_a_wrong_gradient_is_caught_by_the_check():
    model, params, x, labels = make_problem()
    logits, cache = backprop.forward(params, x)
    ours = backprop.backward(params, cache, logits, labels)
    theirs = backprop.tape_gradients(model, x, labels)
    assert backprop.relative_error(ours[0][0] * 1.01, theirs[0][0]) > 1e-3


def test_backward_costs_about_twice_the_forward_for_hidden_layers():
    forward, backward = backprop.matmul_flops(128, [784, 256, 10])
    assert forward == 2 * 128 * (784 * 256 + 256 * 10)
    assert backward == 2 * forward - 2 * 128 * 784 * 256
    square_forward, square_backward = backprop.matmul_flops(1, [100, 100, 100, 100])
    assert abs(square_backward / square_forward - 5 / 3) < 1e-9


def test_finite_differences_need_two_forward_passes_per_parameter():
    passes = 2 * sum(int(tf.size(variable)) for variable in MLP().trainable_variables)
    assert f"{passes:,} forward passes" in page("backprop")


@pytest.mark.parametrize("sizes", [[784, 256, 10], [784, 10], [20, 500, 500, 500, 3], [784, 64, 64, 64, 64, 64, 10]])
def test_backward_costs_between_one_and_two_forward_passes(sizes):
    forward_flops, backward_flops = matmul_flops(32, sizes)
    assert forward_flops <= backward_flops < 2 * forward_flops


# Figures ------------------------------------------------------------------------------------

def test_training_memory_counts_what_forward_keeps_and_every_parameter_four_times():
    from snippets.mlp import parameter_count

    batch, sizes = 16, [20, 12, 8, 5]
    model, params, x, labels = make_problem(hidden=(12, 8), batch=batch)
    memory = backprop.training_memory(batch, sizes, bytes_per_number=8)
    logits, cache = backprop.forward(params, x)
    inputs, pre_activations = cache
    assert memory["activations kept"] == sum(a.nbytes for a in inputs + pre_activations)
    gradients = backprop.backward(params, cache, logits, labels)
    assert memory["their gradients"] == sum(dw.nbytes + db.nbytes for dw, db in gradients)
    assert memory["weights and biases"] == 8 * parameter_count((12, 8), 20, 5)
    assert memory["Adam's two moments"] == 2 * memory["weights and biases"]
    # dL/dz and dL/da of the widest step down: layer 2 (12 in, 8 out); none for the data
    assert memory["activation gradients"] == 8 * batch * (12 + 8)
    assert memory["inference activations"] == 8 * batch * (20 + 12)


def test_the_courses_factor_of_two_holds_for_plain_descent_at_batch_one():
    def ratios(batch):
        m = backprop.training_memory(batch, [784, 256, 10])
        inference = m["weights and biases"] + m["inference activations"]
        descent = sum(m.values()) - m["Adam's two moments"] - m["inference activations"]
        return descent / inference, (descent + m["Adam's two moments"]) / inference

    assert ratios(1) == pytest.approx((2.0, 4.0), abs=0.02)
    assert 1.7 < ratios(128)[0] < 1.9 and 2.95 < ratios(128)[1] < 3.05
    assert ratios(4096)[0] < 1.6
    # deeper, at a large batch: every layer's activations are kept, inference keeps one's
    deep = [784, *[256] * 8, 10]
    m = backprop.training_memory(4096, deep)
    assert m["activations kept"] > 4 * (m["inference activations"] + m["weights and biases"])
    assert "twice the memory" in page("backprop")


def test_figures_are_on_the_page_with_alt_text_and_captions():
    figures = check_figures("backprop", backprop_figures)
    _, caption = figures["backprop-gradient-check"]
    sizes = "-".join(map(str, (784, *backprop_figures.HIDDEN, 10)))
    assert caption.startswith(f"{backprop_figures.SAMPLES} random entries") and sizes in caption


def test_one_unit_graph_holds_the_pages_numbers_and_the_chain_rule(drawn):
    values = drawn("backprop-one-unit")
    x, w, b = backprop_figures.X, backprop_figures.W, backprop_figures.B
    text = " ".join(page("backprop").split())
    assert f"at $x = {x:g}$, $w = {w:g}$, $b = {b:g}$" in text
    u = w * x + b
    assert values["u"][0] == values["h"][0] == u == 5 and values["L"][0] == u ** 2 == 25
    # Backwards: dL/dh = 2h, the ReLU passes it (u > 0), the sum copies it to wx and b,
    # the product multiplies it by the other factor.
    assert values["h"][1] == values["u"][1] == values["wx"][1] == values["b"][1] == 2 * u == 10
    assert values["w"][1] == 2 * u * x == 20 and values["x"][1] == 2 * u * w == 30
    assert set(values) == set(backprop_figures.POSITIONS)
    assert {end for _, end, _ in backprop_figures.EDGES} | {"x", "w", "b"} == set(values)


def test_gradient_check_backprop_tape_and_finite_differences_agree(drawn):
    data = drawn("backprop-gradient-check")
    rows = data["rows"]
    assert len(rows) == backprop_figures.SAMPLES * len(data["layers"]) == 6 * backprop_figures.SAMPLES
    layers, ours, tape, numeric = rows[:, 0], rows[:, 2], rows[:, 3], rows[:, 4]
    assert set(layers) == {0, 1, 2}
    assert backprop.relative_error(ours, tape) < 1e-10
    assert backprop.relative_error(ours, numeric) < 1e-6
    assert np.abs(ours).max() > 0.05  # not a plot of zeros


def test_exercises_pass_with_the_worked_solutions_and_give_hints_on_the_starter():
    check_exercises("backprop")
