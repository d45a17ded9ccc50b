"""docs/backprop.md and snippets/backprop.py: the chain rule by hand."""

import numpy as np
import pytest
import tensorflow as tf

from figures import backprop as backprop_figures
from helpers import check_exercises, check_figures, page, page_figures
from snippets import backprop
from snippets.backprop import matmul_flops
from snippets.mlp import MLP


def make_problem(hidden=(12, 8), batch=6, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=(batch, 20))
    labels = np.eye(5)[rng.integers(0, 5, size=batch)]
    model = MLP(
        hidden=hidden, n_inputs=20, n_classes=5, dtype=tf.float64, seed=seed
    )
    return model, backprop.parameters_of(model), x, labels


def test_forward_matches_the_tensorflow_model():
    model, params, x, _ = make_problem()
    logits, _ = backprop.forward(params, x)
    assert np.allclose(
        logits, model(tf.constant(x)).numpy(), rtol=1e-12, atol=1e-12
    )


def test_backward_agrees_with_gradient_tape_to_1e_4_relative():
    model, params, x, labels = make_problem()
    logits, cache = backprop.forward(params, x)
    ours = backprop.backward(params, cache, logits, labels)
    theirs = backprop.tape_gradients(model, x, labels)
    for (dw, db), (tw, tb) in zip(ours, theirs):
        assert dw.shape == tw.shape and db.shape == tb.shape
        assert (
            backprop.relative_error(dw, tw) < 1e-4
            and backprop.relative_error(db, tb) < 1e-4
        )


def test_backward_agrees_with_finite_differences_to_1e_4_relative():
    _, params, x, labels = make_problem(seed=3)
    assert (
        backprop.check_against_finite_differences(
            params, x, labels, samples=10
        )
        < 1e-4
    )


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
    square_forward, square_backward = backprop.matmul_flops(
        1, [100, 100, 100, 100]
    )
    assert abs(square_backward / square_forward - 5 / 3) < 1e-9


def test_finite_differences_need_two_forward_passes_per_parameter():
    passes = 2 * sum(
        int(tf.size(variable)) for variable in MLP().trainable_variables
    )
    assert f"{passes:,} forward passes" in page("backprop")


@pytest.mark.parametrize(
    "sizes",
    [
        [784, 256, 10],
        [784, 10],
        [20, 500, 500, 500, 3],
        [784, 64, 64, 64, 64, 64, 10],
    ],
)
def test_backward_costs_between_one_and_two_forward_passes(sizes):
    forward_flops, backward_flops = matmul_flops(32, sizes)
    assert forward_flops <= backward_flops < 2 * forward_flops


# Figures ------------------------------------------------------------------------------------


def test_training_memory_counts_what_forward_keeps_and_every_parameter_four_times():
    from snippets.mlp import parameter_count

    batch, sizes = 16, [20, 12, 8, 5]
    _model, params, x, labels = make_problem(hidden=(12, 8), batch=batch)
    memory = backprop.training_memory(batch, sizes, bytes_per_number=8)
    logits, cache = backprop.forward(params, x)
    inputs, pre_activations = cache
    assert memory["activations kept"] == sum(
        a.nbytes for a in inputs + pre_activations
    )
    gradients = backprop.backward(params, cache, logits, labels)
    assert memory["their gradients"] == sum(
        dw.nbytes + db.nbytes for dw, db in gradients
    )
    assert memory["weights and biases"] == 8 * parameter_count((12, 8), 20, 5)
    assert memory["Adam's two moments"] == 2 * memory["weights and biases"]
    # dL/dz and dL/da of the widest step down: layer 2 (12 in, 8 out); none for the data
    assert memory["activation gradients"] == 8 * batch * (12 + 8)
    assert memory["inference activations"] == 8 * batch * (20 + 12)


def test_the_courses_factor_of_two_holds_for_plain_descent_at_batch_one():
    def ratios(batch):
        m = backprop.training_memory(batch, [784, 256, 10])
        inference = m["weights and biases"] + m["inference activations"]
        descent = (
            sum(m.values())
            - m["Adam's two moments"]
            - m["inference activations"]
        )
        return descent / inference, (
            descent + m["Adam's two moments"]
        ) / inference

    assert ratios(1) == pytest.approx((2.0, 4.0), abs=0.02)
    assert 1.7 < ratios(128)[0] < 1.9 and 2.95 < ratios(128)[1] < 3.05
    assert ratios(4096)[0] < 1.6
    # deeper, at a large batch: every layer's activations are kept, inference keeps one's
    deep = [784, *[256] * 8, 10]
    m = backprop.training_memory(4096, deep)
    assert m["activations kept"] > 4 * (
        m["inference activations"] + m["weights and biases"]
    )
    assert "twice the memory" in page("backprop")


def test_figures_are_on_the_page_with_alt_text_and_captions():
    figures = check_figures("backprop", backprop_figures)
    _, caption = figures["backprop-gradient-check"]
    sizes = "-".join(map(str, (784, *backprop_figures.HIDDEN, 10)))
    assert (
        caption.startswith(f"{backprop_figures.SAMPLES} random entries")
        and sizes in caption
    )


def test_one_unit_graph_holds_the_pages_numbers_and_the_chain_rule(drawn):
    values = drawn("backprop-one-unit")
    x, w, b = backprop_figures.X, backprop_figures.W, backprop_figures.B
    text = " ".join(page("backprop").split())
    assert f"at $x = {x:g}$, $w = {w:g}$, $b = {b:g}$" in text
    u = w * x + b
    assert (
        values["u"][0] == values["h"][0] == u == 5
        and values["L"][0] == u**2 == 25
    )
    # Backwards: dL/dh = 2h, the ReLU passes it (u > 0), the sum copies it to wx and b,
    # the product multiplies it by the other factor.
    assert (
        values["h"][1]
        == values["u"][1]
        == values["wx"][1]
        == values["b"][1]
        == 2 * u
        == 10
    )
    assert (
        values["w"][1] == 2 * u * x == 20 and values["x"][1] == 2 * u * w == 30
    )
    assert set(values) == set(backprop_figures.POSITIONS)
    assert {end for _, end, _ in backprop_figures.EDGES} | {
        "x",
        "w",
        "b",
    } == set(values)


def test_gradient_check_backprop_tape_and_finite_differences_agree(drawn):
    data = drawn("backprop-gradient-check")
    rows = data["rows"]
    assert (
        len(rows)
        == backprop_figures.SAMPLES * len(data["layers"])
        == 6 * backprop_figures.SAMPLES
    )
    layers, ours, tape, numeric = (
        rows[:, 0],
        rows[:, 2],
        rows[:, 3],
        rows[:, 4],
    )
    assert set(layers) == {0, 1, 2}
    assert backprop.relative_error(ours, tape) < 1e-10
    assert backprop.relative_error(ours, numeric) < 1e-6
    assert np.abs(ours).max() > 0.05  # not a plot of zeros


def test_exercises_pass_with_the_worked_solutions_and_give_hints_on_the_starter():
    check_exercises("backprop")


# The loss and the derivation ----------------------------------------------------------------


def test_the_loss_stays_finite_for_huge_logits_where_log_of_softmax_does_not():
    logits = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0]])
    labels = np.array(
        [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    )  # both far from their true class
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        naive = -np.mean(
            np.sum(labels * np.log(backprop.softmax(logits)), axis=1)
        )
    assert not np.isfinite(naive)  # what the old form gave: log(0) = -inf
    loss = backprop.cross_entropy(logits, labels)
    assert np.isfinite(loss) and loss == pytest.approx((2000.0 + 1000.0) / 2)
    expected = backprop.softmax_cross_entropy(
        tf.constant(logits), tf.constant(labels)
    )
    assert loss == pytest.approx(float(expected), rel=1e-12)
    # and the gradient that starts the backward pass is finite there too
    assert np.all(np.isfinite(backprop.logit_gradient(logits, labels)))


def test_the_loss_is_the_same_as_tensorflows_for_ordinary_logits():
    _model, params, x, labels = make_problem(seed=2)
    logits, _ = backprop.forward(params, x)
    expected = backprop.softmax_cross_entropy(
        tf.constant(logits), tf.constant(labels)
    )
    assert backprop.cross_entropy(logits, labels) == pytest.approx(
        float(expected), rel=1e-12
    )


@pytest.mark.parametrize("scale", [1.0, 300.0])
def test_the_gradient_of_the_logits_is_p_minus_y_over_b(scale):
    rng = np.random.default_rng(4)
    logits = scale * rng.normal(size=(5, 7))
    labels = np.eye(7)[rng.integers(0, 7, size=5)]
    z = tf.constant(logits)
    with tf.GradientTape() as tape:
        tape.watch(z)
        loss = backprop.softmax_cross_entropy(z, tf.constant(labels))
    np.testing.assert_allclose(
        backprop.logit_gradient(logits, labels),
        tape.gradient(loss, z).numpy(),
        rtol=1e-10,
        atol=1e-14,
    )


def test_each_entry_of_the_weight_gradient_is_a_sum_over_the_batch():
    rng = np.random.default_rng(5)
    a, delta = rng.normal(size=(4, 3)), rng.normal(size=(4, 6))
    by_element = backprop.weight_gradient_by_element(a, delta)
    np.testing.assert_allclose(by_element, a.T @ delta, rtol=1e-12)
    # one entry by hand: input 2 of every example times the gradient at output 5
    assert by_element[2, 5] == pytest.approx(
        sum(a[n, 2] * delta[n, 5] for n in range(4))
    )


def test_the_batch_of_two_worked_on_the_page_matches_the_tape_at_every_step():
    a, w, b, labels = backprop.batch_of_two()
    assert (
        a.shape == (2, 2)
        and w.shape == (2, 3)
        and labels.sum(axis=1).tolist() == [1, 1]
    )
    tape = backprop.tape_layer_gradients(a, w, b, labels)
    delta = backprop.logit_gradient(a @ w + b, labels)
    np.testing.assert_allclose(delta, tape["z"], rtol=1e-12)
    np.testing.assert_allclose(
        backprop.weight_gradient_by_element(a, delta), tape["w"], rtol=1e-12
    )
    np.testing.assert_allclose(delta.sum(axis=0), tape["b"], rtol=1e-12)
    np.testing.assert_allclose(delta @ w.T, tape["a"], rtol=1e-12)
    # every entry of dL/dW is printed on the page as its two products
    text = page("backprop")
    for i in range(2):
        for j in range(3):
            products = " + ".join(
                f"({a[n, i]:g})({delta[n, j]:.4f})" for n in range(2)
            )
            assert (
                f"dL/dW[{i}, {j}] = {products} = {a[:, i] @ delta[:, j]:.3f}"
                in text
            )


def test_the_page_derives_the_logit_gradient_before_it_uses_it():
    text = page("backprop")
    derivation = text.index("### Where the backward pass starts: one logit")
    assert (
        derivation
        < text.index("### One layer, element by element")
        < text.index("### Every layer")
    )
    assert derivation < text.index('--8<-- "snippets/backprop.py:backward"')
    for step in (
        "**The log-sum-exp.**",
        "**One log-probability.**",
        "**The loss.**",
    ):
        assert (
            derivation
            < text.index(step)
            < text.index("### One layer, element by element")
        )


def test_one_layer_figure_shows_the_shapes_and_the_gradients_of_the_tape(
    drawn,
):
    data = drawn("backprop-one-layer")
    forward, backward, tape = data["forward"], data["backward"], data["tape"]
    a, w, _b, _labels = backprop.batch_of_two()
    np.testing.assert_array_equal(forward["a"], a)
    np.testing.assert_array_equal(forward["W"], w)
    for name in ("z", "W", "b", "a"):
        # a gradient has the shape of what it is the gradient of, and is what the tape finds
        assert backward[name].shape == forward[name].shape
        np.testing.assert_allclose(
            backward[name],
            tape[name.lower() if name == "W" else name],
            rtol=1e-12,
        )
    boxes = {name for name, *_ in backprop_figures.LAYER_BOXES}
    assert {end for _, end in backprop_figures.LAYER_ARROWS} <= boxes
    _, caption = page_figures("backprop")["backprop-one-layer"]
    assert "batch of two" in caption


def test_the_layer_derivation_check_names_a_forgotten_relu():
    from snippets.exercises import Wrong
    from snippets.exercises.backprop import check_relu_layer_backward

    def without_the_relu(x, weights, bias, upstream):
        return upstream @ weights.T, x.T @ upstream, upstream.sum(axis=0)

    with pytest.raises(
        Wrong, match=r"^dL/dx \(5, 4\), against GradientTape: at \[\d, \d\] "
    ):
        check_relu_layer_backward(without_the_relu)
