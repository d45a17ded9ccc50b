"""docs/dropout.md and dropout in snippets/regularization.py and snippets/mlp.py."""

import numpy as np
import pytest
import tensorflow as tf

from helpers import (
    check_exercises,
    check_keras_twin,
    keras_tabs,
    page,
    quiz,
    tab_sets,
)
from snippets.regularization import dropout


@pytest.mark.parametrize("keep_prob", [0.5, 0.8])
def test_dropout_keeps_the_expected_activation(keep_prob):
    out = dropout(tf.ones([400, 500]), keep_prob, seed=[1, 2]).numpy()
    kept = out > 0
    assert abs(kept.mean() - keep_prob) < 0.01
    assert np.allclose(out[kept], 1.0 / keep_prob)
    assert abs(out.mean() - 1.0) < 0.01


def test_dropout_matches_tf_nn_dropout_semantics():
    x = tf.ones([200, 200])
    ours = dropout(x, 0.8, seed=[0, 0]).numpy()
    theirs = tf.nn.dropout(x, rate=0.2, seed=0).numpy()
    assert set(np.unique(ours)) == set(np.unique(theirs)) == {0.0, 1.25}


def test_dropout_is_repeatable_from_its_seed_and_off_at_keep_prob_one():
    x = tf.ones([50, 50])
    assert np.array_equal(
        dropout(x, 0.5, [3, 4]).numpy(), dropout(x, 0.5, [3, 4]).numpy()
    )
    assert not np.array_equal(
        dropout(x, 0.5, [3, 4]).numpy(), dropout(x, 0.5, [3, 5]).numpy()
    )
    assert dropout(x, 1.0, [0, 0]) is x
    with pytest.raises(ValueError):
        dropout(x, 0.0, [0, 0])


v1 = tf.compat.v1


def test_dropout_quiz_keep_prob_half_in_training_one_at_test():
    from snippets.compat_v1 import build_network

    images = np.random.default_rng(1).uniform(size=(6, 784)).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default():
        net = build_network()
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            full = sess.run(
                net.hidden, {net.features: images, net.keep_prob: 1.0}
            )
            assert np.array_equal(
                full, sess.run(net.hidden, {net.features: images})
            )  # 1.0: every unit, unscaled
            half = sess.run(
                net.hidden, {net.features: images, net.keep_prob: 0.5}
            )
    kept = half != 0
    assert np.allclose(
        half[kept], full[kept] / 0.5, rtol=1e-5
    )  # training: survivors scaled by 1/0.5
    answer = quiz("dropout.md", "during training")
    assert "**Answer: 0.5 during training, 1.0 at test time.**" in answer
    assert "$1/1.0 = 1$" in answer


def test_rate_quiz_keep_prob_point_eight_is_rate_point_two_and_scale_one_point_two_five():
    keep_prob = 0.8
    rate, scale = 1 - keep_prob, 1 / keep_prob
    values = sorted(
        set(
            tf.nn.dropout(tf.ones([200, 200]), rate=rate, seed=2)
            .numpy()
            .ravel()
            .tolist()
        )
    )
    assert values == pytest.approx([0.0, scale])
    answer = quiz("dropout.md", "which `rate`")
    assert (
        f"`rate={rate:.1f}`" in answer
        and f"$1/{keep_prob} = {scale:g}$" in answer
    )


def test_the_second_positional_argument_of_dropout_changed_meaning():
    ones = tf.ones([200, 200])
    graph = tf.Graph()
    with graph.as_default():
        tf1_dropped = v1.nn.dropout(
            tf.ones([200, 200]), 0.8, seed=1
        )  # TF1: keep_prob
        with v1.Session(graph=graph) as sess:
            tf1_kept = float(np.mean(sess.run(tf1_dropped) > 0))
    tf2_kept = float(
        np.mean(tf.nn.dropout(ones, 0.8, seed=1).numpy() > 0)
    )  # TF2: rate
    assert abs(tf1_kept - 0.8) < 0.02 and abs(tf2_kept - 0.2) < 0.02


def test_dropout_variance_grows_as_keep_prob_shrinks():
    from snippets.regularization import dropout

    h = 3.0
    for keep_prob in (0.8, 0.5, 0.2):
        samples = dropout(
            tf.fill([1000, 1000], h), keep_prob, seed=[5, 6]
        ).numpy()
        assert abs(samples.mean() - h) < 0.02 * h
        assert samples.var() == pytest.approx(
            h**2 * (1 - keep_prob) / keep_prob, rel=0.02
        )


def test_content_tabs_pair_tf2_with_compat_v1_under_linked_labels():
    sets = tab_sets(page("dropout"))
    assert sets.count(["TF2", "tf.compat.v1"]) == 2
    # dropout, and max-norm beside Srivastava et al.'s table
    assert sets.count(["From scratch", "Keras"]) == 2
    assert len(sets) == 4, sets


def test_the_keras_tab_drops_by_the_same_rule_and_evaluates_the_same():
    import keras

    from snippets.in_keras import mlp_with_dropout
    from snippets.mlp import MLP

    assert keras_tabs("dropout") == ["keras_dropout"]
    # The rule: every output is 0 or the input / keep_prob, and about keep_prob of them are kept.
    activations = tf.random.stateless_uniform(
        [1000, 100], seed=[1, 2], minval=0.5, maxval=1.5
    )
    for keep_prob in (0.5, 0.8):
        ours = dropout(activations, keep_prob, seed=[3, 4]).numpy()
        theirs = keras.layers.Dropout(rate=1 - keep_prob, seed=5)(
            activations, training=True
        ).numpy()
        for out in (ours, theirs):
            kept = out != 0
            np.testing.assert_allclose(
                out[kept], activations.numpy()[kept] / keep_prob, rtol=1e-6
            )
            assert kept.mean() == pytest.approx(keep_prob, abs=0.01)
    # Evaluation: no dropout in either, so the same network computes the same thing.
    scratch = MLP(hidden=(32, 16), keep_prob=0.5, input_keep_prob=0.8, seed=2)
    model = mlp_with_dropout(0.5, 0.8, hidden=(32, 16))
    assert [
        layer.rate
        for layer in model.layers
        if isinstance(layer, keras.layers.Dropout)
    ] == [pytest.approx(0.2), 0.5, 0.5]
    check_keras_twin(
        scratch, model, [v for _, w, b in scratch.layers() for v in (w, b)]
    )


# Figures ------------------------------------------------------------------------------------

from figures import dropout as dropout_figures
from helpers import check_figures


def test_figures_are_on_the_page_with_alt_text_and_captions():
    figures = check_figures("dropout", dropout_figures)
    _, caption = figures["dropout-thinned-networks"]
    assert f"`keep_prob={dropout_figures.KEEP_PROB}`" in caption
    _, caption = figures["dropout-expectation"]
    assert f"{dropout_figures.UNITS} ReLU outputs" in caption
    assert f"{dropout_figures.MASKS:,} different masks" in caption


def test_thinned_networks_figure_shows_the_masks_the_model_really_used(drawn):
    data = drawn("dropout-thinned-networks")
    panels = data["panels"]
    evaluation = panels["evaluation"]["activations"]
    scale = 1 / dropout_figures.KEEP_PROB
    masks_seen = []
    for title in ("training step 1", "training step 2"):
        masks, activations = (
            panels[title]["masks"],
            panels[title]["activations"],
        )
        masks_seen.append(np.concatenate(masks))
        assert all(set(np.unique(mask)) <= {0.0, 1.0} for mask in masks)
        # The first hidden layer in training is the evaluation layer masked and scaled: the
        # masks drawn are the ones MLP.activations applied.
        np.testing.assert_allclose(
            activations[0],
            evaluation[0] * masks[0] * scale,
            rtol=1e-5,
            atol=1e-6,
        )
        assert np.all(activations[1][masks[1] == 0] == 0)
        assert (
            0
            < sum(int(np.sum(mask == 0)) for mask in masks)
            < sum(len(mask) for mask in masks)
        )
    assert not np.array_equal(
        *masks_seen
    )  # each step thins the network differently
    assert all(np.all(mask == 1) for mask in panels["evaluation"]["masks"])


def test_expectation_figure_mean_over_masks_is_the_activation(drawn):
    data = drawn("dropout-expectation")
    h = data["h"]
    assert h.shape == (dropout_figures.UNITS,) and np.count_nonzero(h) > 10
    for keep_prob, run in data["runs"].items():
        # Within four standard errors of h, unit by unit; a mask-free mean would be exact.
        error = np.abs(run["mean"] - h)
        bound = (
            4
            * h
            * np.sqrt((1 - keep_prob) / keep_prob / dropout_figures.MASKS)
            + 1e-6
        )
        assert np.all(error <= bound), keep_prob
        assert abs(run["running"][-1] - h[run["unit"]]) <= bound[run["unit"]]
    # Fewer units kept, a noisier single mask: the running mean's early spread is larger.
    early = {p: np.std(run["running"][:20]) for p, run in data["runs"].items()}
    assert early[0.2] > early[0.8]


def test_exercises_pass_with_the_worked_solutions_and_give_hints_on_the_starter():
    check_exercises("dropout")


# Comparisons the page states ----------------------------------------------------------------

from helpers import Claim, notebook_of


def the_notebook_tests_the_two_runs_on_the_same_digits():
    """The evidence is the notebook's run, which the build executes: it prints McNemar's verdict
    on the validation digits and fails the build if the test detects a difference."""
    source = notebook_of("dropout")
    assert (
        'paired = mcnemar(right["keep_prob 0.5"], right["no dropout"])'
        in source
    )
    assert "assert paired.p_value >= 0.05" in source
    assert "validation_size=1000" in source


CLAIMS = [
    Claim(
        "After 6 epochs their error is higher than without dropout, apart by "
        "the rule of two standard errors, the reverse of the paper's order",
        lambda: dropout_error_higher_than_without_after_a_few_epochs(),
    ),
    Claim(
        "Over three seeds the best setting's test accuracy is apart from that "
        "without dropout",
        lambda: best_keep_prob_apart_from_no_dropout(),
    ),
    Claim(
        "McNemar's test (the notebook runs it) gives **no difference detected at this size**",
        the_notebook_tests_the_two_runs_on_the_same_digits,
    ),
]


def test_the_comparisons_on_the_page_hold():
    from helpers import check_claims

    check_claims("dropout", CLAIMS)


# Max-norm, the keep-probability sweep and the networks beside Srivastava et al. --------


from helpers import load_benchmark_script
from snippets.regularization import max_norm
from snippets.uncertainty import seed_spread, separated, wilson_interval


def generalisation():
    return load_benchmark_script("generalisation")


def test_max_norm_shortens_only_the_long_columns_as_keras_max_norm_does():
    import keras

    rng = np.random.default_rng(0)
    # columns of lengths from about 0.3 to about 9: some inside, some outside
    weights = rng.normal(size=(50, 40)) * np.linspace(0.05, 1.3, 40)
    weights = tf.constant(weights, tf.float32)
    held = max_norm(weights, 3.0).numpy()
    lengths = np.linalg.norm(weights.numpy(), axis=0)
    inside = lengths <= 3.0
    assert 0 < inside.sum() < len(lengths)
    assert np.array_equal(held[:, inside], weights.numpy()[:, inside])
    assert np.allclose(np.linalg.norm(held[:, ~inside], axis=0), 3.0)
    # each long column keeps its direction
    assert np.allclose(
        held[:, ~inside] * lengths[~inside] / 3.0,
        weights.numpy()[:, ~inside],
        rtol=1e-5,
        atol=1e-6,
    )
    keras_way = keras.constraints.MaxNorm(3.0, axis=0)(weights)
    assert np.allclose(held, keras_way, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="positive"):
        max_norm(weights, 0)


def test_a_benchmark_run_holds_every_hidden_unit_within_the_max_norm():
    """benchmarks/generalisation.py's run, short: with max-norm 1 (He's
    start is longer), every hidden unit's incoming weights end within it, and
    the run measures all three sets."""
    from snippets.data import load_dataset

    script = generalisation()
    point = dict(
        script.settings_of(script.RUNS["srivastava"], "dropout + max-norm"),
        training_digits=300,
        max_norm=1.0,
    )
    captured = {}
    result = script.train_point(
        load_dataset(), [32, 32], 6, 0, point, 64, 1e-3, trained=captured
    )
    for weights in captured["model"].weight_matrices()[:-1]:
        assert np.linalg.norm(weights.numpy(), axis=0).max() <= 1.0 + 1e-5
    out = captured["model"].weight_matrices()[-1]
    assert np.linalg.norm(out.numpy(), axis=0).max() > 0  # not constrained
    assert result["test_digits"] == 10_000
    assert 0 < result["test_correct"] < 10_000
    assert result["epochs"] == pytest.approx(6 * 64 / 300, abs=0.01)


def test_the_committed_keep_sweep_and_srivastava_runs_are_complete():
    from test_regularization import check_committed_run

    check_committed_run("keep")
    report = check_committed_run("srivastava")
    script = generalisation()
    # the paper's numbers come with the run, from the script's cited constant
    assert report["srivastava_table_2"] == script.SRIVASTAVA_TABLE_2
    assert [
        row["error_percent"] for row in script.SRIVASTAVA_TABLE_2.values()
    ] == [
        1.60,
        1.25,
        1.06,
    ]
    assert list(script.SRIVASTAVA_TABLE_2) == list(script.NETWORKS)
    assert [p["epochs"] for p in report["points"]] == [
        pytest.approx(
            script.RUNS["srivastava"]["steps"] * 128 / 55_000, abs=0.01
        )
    ] * len(report["points"])


def test_keep_sweep_figure_draws_the_committed_run(drawn):
    sweep = drawn("dropout-keep-sweep")
    assert sweep == dropout_figures.by_setting(dropout_figures.KEEP_SWEEP)
    keep_probs = [row["value"] for row in sweep["rows"]]
    assert keep_probs == generalisation().RUNS["keep"]["values"]
    assert keep_probs[0] == 1.0 and keep_probs == sorted(keep_probs)[::-1]
    assert all(len(row["seeds"]) >= 3 for row in sweep["rows"])


def keep_sweep_rows():
    return {row["value"]: row for row in dropout_figures.keep_sweep()["rows"]}


def test_keep_sweep_what_the_page_says_of_it():
    rows = keep_sweep_rows()
    test = {keep: np.mean(row["test"]) for keep, row in rows.items()}
    # "barely moves at 0.9, then rises at every step as keep_prob falls from
    # 0.8 to 0.2 ... stays there at 0.1, and drops at 0.05"
    assert abs(test[0.9] - test[1.0]) < 0.001
    falling = [1.0, 0.8, 0.65, 0.5, 0.35, 0.2]
    assert all(test[b] > test[a] for a, b in zip(falling, falling[1:]))
    assert abs(test[0.1] - test[0.2]) < 0.001
    assert test[0.05] < test[0.2] - 0.002
    # "where the validation digits put the best setting"
    assert (
        dropout_figures.best_by_validation(list(rows.values()))["value"] == 0.2
    )
    # "no longer fits every training digit" at 0.05; "down to 0.1, every
    # seed still reads all of its 1,000 training digits right"
    assert max(rows[0.05]["train"]) < 1.0
    for keep in (1.0, 0.9, 0.8, 0.65, 0.5, 0.35, 0.2, 0.1):
        assert min(rows[keep]["train"]) == 1.0
    # "by less than a point; one run's 95 % interval on the 10,000 test
    # digits is wider than the whole gain"
    gain = test[0.2] - test[1.0]
    assert 0 < gain < 0.01
    low, high = wilson_interval(
        round(rows[0.2]["test"][0] * 10_000), rows[0.2]["test_digits"]
    )
    assert high - low > gain


def best_keep_prob_apart_from_no_dropout():
    rows = keep_sweep_rows()
    best, none = (seed_spread(rows[keep]["test"]) for keep in (0.2, 1.0))
    assert best.mean > none.mean and separated(best, none)


def srivastava_points():
    from test_regularization import committed

    report = committed(generalisation().RUNS["srivastava"])
    by_network = {}
    for point in report["points"]:
        by_network.setdefault(point["value"], []).append(point)
    return report, by_network


def errors_of(points):
    return seed_spread(
        [1 - p["test_correct"] / p["test_digits"] for p in points]
    )


def test_srivastava_table_what_the_page_says_of_it():
    report, networks = srivastava_points()
    table = report["srivastava_table_2"]
    # "Our network without dropout lands near the table's standard network"
    ours = errors_of(networks["without dropout"])
    assert (
        abs(ours.mean * 100 - table["without dropout"]["error_percent"]) < 0.3
    )
    # "the paper's error lies outside the 95 % interval of every one of our
    # runs" (of the two dropout networks)
    for network in ("dropout", "dropout + max-norm"):
        for point in networks[network]:
            low, _ = wilson_interval(
                point["test_digits"] - point["test_correct"],
                point["test_digits"],
            )
            assert table[network]["error_percent"] < low * 100, network
    # "they read fewer of their own training digits right than the network
    # without dropout reads of its own"
    without = min(p["train_accuracy"] for p in networks["without dropout"])
    for network in ("dropout", "dropout + max-norm"):
        assert max(p["train_accuracy"] for p in networks[network]) < without
    # "Max-norm changed nothing here: with and without it, each seed ends with
    # exactly as many test digits right, and as many training digits"
    pairs = zip(networks["dropout"], networks["dropout + max-norm"])
    for dropout_only, with_max_norm in pairs:
        assert dropout_only["seed"] == with_max_norm["seed"]
        assert dropout_only["test_correct"] == with_max_norm["test_correct"]
        assert (
            dropout_only["train_accuracy"] == with_max_norm["train_accuracy"]
        )


def dropout_error_higher_than_without_after_a_few_epochs():
    _, networks = srivastava_points()
    without = errors_of(networks["without dropout"])
    for network in ("dropout", "dropout + max-norm"):
        spread = errors_of(networks[network])
        assert spread.mean > without.mean and separated(spread, without)
