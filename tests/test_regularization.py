"""docs/regularization.md and snippets/regularization.py: L2 and early stopping."""

from dataclasses import replace

import numpy as np
import tensorflow as tf

from helpers import check_exercises, check_keras_twin, keras_tabs, page, quiz
from snippets.regularization import EarlyStopping, l1_penalty, l2_penalty
from snippets.train import TrainConfig, make_train_step, train


def test_l2_gradient_equals_lambda_times_w():
    w = tf.Variable(
        np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    )
    with tf.GradientTape() as tape:
        penalty = l2_penalty([w], 0.01)
    assert np.allclose(
        tape.gradient(penalty, w).numpy(), 0.01 * w.numpy(), rtol=1e-6
    )
    assert np.isclose(
        float(penalty), 0.01 * np.sum(w.numpy() ** 2) / 2, rtol=1e-6
    )


def test_l1_gradient_is_lambda_times_the_sign_and_zero_at_zero():
    w = tf.Variable([[0.003, -2.0, 0.0], [1.5, 0.0, -0.0001]])
    with tf.GradientTape() as tape:
        penalty = l1_penalty([w, tf.ones([2, 2])], 0.1)
    assert np.isclose(
        float(penalty), 0.1 * (np.abs(w.numpy()).sum() + 4), rtol=1e-6
    )
    gradient = tape.gradient(penalty, w)
    assert np.allclose(gradient.numpy(), 0.1 * np.sign(w.numpy()))
    assert float(l1_penalty([], 0.1)) == 0.0
    # One plain gradient step moves every weight by learning rate * l1 towards zero, however
    # small: the tiny weights cross zero (and a later step brings them back), none grows.
    tf.keras.optimizers.SGD(0.5).apply_gradients([(gradient, w)])
    assert np.allclose(w.numpy(), [[-0.047, -1.95, 0.0], [1.45, 0.0, 0.0499]])


def test_early_stopping_waits_patience_epochs_and_remembers_the_best():
    stopper = EarlyStopping(patience=2)
    for epoch, score in enumerate([0.5, 0.7, 0.6, 0.65], start=1):
        improved = stopper.update(score, epoch)
        assert improved == (epoch in (1, 2))
        assert stopper.should_stop == (epoch == 4)
    assert (float(stopper.best_score), int(stopper.best_epoch)) == (0.7, 2)
    assert (
        stopper.update(0.9, 5)
        and not stopper.should_stop
        and int(stopper.best_epoch) == 5
    )


def test_l2_quiz_the_derivative_of_half_the_squared_norm_is_w():
    w = tf.Variable([3.0, -2.0, 0.5])
    with tf.GradientTape() as tape:
        half_squared_norm = 0.5 * tf.reduce_sum(w**2)
    gradient = tape.gradient(half_squared_norm, w).numpy()
    assert np.array_equal(gradient, w.numpy())
    # The same through the project's penalty: the gradient of l2 * ||w||^2 / 2 is l2 * w.
    with tf.GradientTape() as tape:
        penalty = l2_penalty([w], l2=0.1)
    assert np.allclose(tape.gradient(penalty, w).numpy(), 0.1 * w.numpy())
    answer = quiz("regularization.md", r"\frac{1}{2}\lVert w \rVert^2")
    assert "**Answer: $w$ itself.**" in answer
    assert "$\\lambda w$" in answer
    assert (
        str(gradient.tolist()) in answer
    )  # the printed check shows the computed gradient


def test_early_stopping_replayed_on_a_full_history_is_what_train_does(
    small_data,
):
    """The notebook replays EarlyStopping on an uninterrupted run; train() must agree."""
    full_config = TrainConfig(epochs=8, patience=8, learning_rate=3e-3)
    full = train(full_config, data=small_data, log=lambda message: None)
    stopper = EarlyStopping(patience=2)
    for row in full.history:
        stopper.update(row["valid_accuracy"], row["epoch"])
        if stopper.should_stop:
            break
    stop_epoch = row["epoch"]
    stopped = train(
        replace(full_config, patience=2),
        data=small_data,
        log=lambda message: None,
    )

    def without_time(history):
        return [
            {
                key: value
                for key, value in entry.items()
                if "seconds" not in key
            }
            for entry in history
        ]

    assert without_time(stopped.history) == without_time(
        full.history[:stop_epoch]
    )
    assert stopped.best_epoch == int(stopper.best_epoch)


def test_l2_is_weight_decay_on_weights_only_with_plain_gradient_descent():
    """One SGD step with the penalty = the step without it, then W shrinks by lr * l2 * W; biases untouched."""
    from snippets.mlp import MLP

    rng = np.random.default_rng(0)
    x = rng.uniform(size=(16, 784)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 16)]
    learning_rate, l2 = 0.1, 0.5
    after = {}
    for strength in (0.0, l2):
        model = MLP(hidden=(32,), seed=4)
        model.biases["hidden_1"].assign(tf.fill([32], 0.1))
        before = {v.name: v.numpy() for v in model.trainable_variables}
        step = make_train_step(
            model, tf.keras.optimizers.SGD(learning_rate), strength
        )
        step(x, y, tf.constant([0, 0], tf.int64))
        after[strength] = {
            v.name: v.numpy() for v in model.trainable_variables
        }
    for name, value in before.items():
        decay = learning_rate * l2 * value if "weights" in name else 0.0
        assert np.allclose(
            after[l2][name], after[0.0][name] - decay, atol=1e-6
        ), name


# Figures ------------------------------------------------------------------------------------

from figures import regularization as regularization_figures
from helpers import check_figures


def test_figures_are_on_the_page_with_alt_text_and_captions():
    figures = check_figures("regularization", regularization_figures)
    _, caption = figures["regularization-overfitting"]
    assert f"{regularization_figures.LIMIT:,} training images" in caption
    assert f"patience of {regularization_figures.PATIENCE}" in caption
    assert (
        f"stops {regularization_figures.PATIENCE} epochs after it" in caption
    )
    _, caption = figures["regularization-l2-weights"]
    assert f"$\\lambda = {regularization_figures.L2:g}$" in caption
    _, caption = figures["regularization-penalty-sweep"]
    strengths = [
        f"{strength:g}" for strength in regularization_figures.STRENGTHS
    ]
    assert f"{', '.join(strengths[:-1])} and {strengths[-1]};" in caption
    assert f"within {regularization_figures.NEAR_ZERO:g} of zero" in caption
    assert f"after {regularization_figures.SWEEP_EPOCHS} epochs" in caption
    assert f"on {regularization_figures.LIMIT:,} images" in caption


def test_overfitting_figure_validation_loss_turns_while_training_loss_falls(
    drawn,
):
    data = drawn("regularization-overfitting")
    train_loss, valid_loss = data["train_loss"], data["valid_loss"]
    assert len(train_loss) == regularization_figures.EPOCHS
    assert all(
        later < earlier for earlier, later in zip(train_loss, train_loss[1:])
    )
    lowest = int(np.argmin(valid_loss))
    assert (
        0 < lowest < len(valid_loss) - 2
        and valid_loss[-1] > 1.1 * valid_loss[lowest]
    )
    # The marks are EarlyStopping's: the best epoch is the best validation accuracy up to the
    # stop, and the stop comes PATIENCE epochs after it, before the end of the run drawn.
    accuracy = data["valid_accuracy"]
    stop = data["stop_epoch"]
    assert (
        stop
        == data["best_epoch"] + regularization_figures.PATIENCE
        < regularization_figures.EPOCHS
    )
    assert accuracy[data["best_epoch"] - 1] == max(accuracy[:stop])


def test_l2_weights_figure_the_penalty_shrinks_the_first_layer(drawn):
    runs = drawn("regularization-l2-weights")
    plain, penalized = runs[0.0], runs[regularization_figures.L2]
    assert (
        penalized["norm"] < 0.8 * plain["norm"]
        and penalized["norm"] < runs["initial"]["norm"]
    )
    trained = (
        "initial",
        0.0,
        regularization_figures.L2,
    )  # the other keys: the border, the run
    near_zero = {
        key: np.mean(np.abs(runs[key]["weights"]) < 0.005) for key in trained
    }
    assert near_zero[regularization_figures.L2] > 2 * near_zero[0.0]
    assert near_zero[regularization_figures.L2] > 2 * near_zero["initial"]
    assert all(runs[key]["weights"].shape == (784 * 256,) for key in trained)


def test_l2_weights_figure_the_spike_at_zero_is_adams_not_the_decay_factor(
    drawn,
):
    """The caption: the border weights get no gradient from the data, so without the penalty
    they stay where they started; with it, Adam moves them to zero, where plain gradient
    descent's factor 1 - lr * l2 would have left them almost where they were."""
    runs = drawn("regularization-l2-weights")
    border, steps, learning_rate = (
        runs["border"],
        runs["steps"],
        runs["learning_rate"],
    )
    l2 = regularization_figures.L2
    assert (
        0.05 < border.mean() < 0.5
    )  # some of the image's pixels are blank in all 500
    initial, plain, penalized = (
        runs[key]["weights"][border] for key in ("initial", 0.0, l2)
    )
    np.testing.assert_array_equal(
        plain, initial
    )  # no gradient from the data at all
    assert np.linalg.norm(penalized) < 0.5 * np.linalg.norm(initial)
    near_zero = np.mean(np.abs(penalized) < 0.005)
    assert near_zero > 5 * np.mean(np.abs(initial) < 0.005)
    # plain gradient descent on the same run: every border weight times (1 - lr l2)^steps
    assert (1 - learning_rate * l2) ** steps > 0.9999
    # the page's block replays one border weight for exactly this run
    text = page("regularization")
    assert (
        f"start, learning_rate, l2, steps = 0.05, {learning_rate!r}, {l2!r}, {steps}"
        in text
    )


def test_penalty_sweep_figure_l1_switches_weights_off_where_l2_of_the_same_strength_does_not(
    drawn,
):
    sweep = drawn("regularization-penalty-sweep")
    weakest, middle, strongest = regularization_figures.STRENGTHS
    none, l1, l2 = sweep["none"], sweep["L1"], sweep["L2"]
    assert list(l1) == list(l2) == [weakest, middle, strongest]
    assert none["valid_accuracy"] > 0.7 and none["near_zero"] < 0.05
    # L1: more weights switched off the stronger it is; most at the middle strength for some
    # accuracy, all at the strongest, where the network only guesses.
    assert (
        none["near_zero"]
        < l1[weakest]["near_zero"]
        < l1[middle]["near_zero"]
        < l1[strongest]["near_zero"]
    )
    assert abs(l1[weakest]["valid_accuracy"] - none["valid_accuracy"]) < 0.03
    assert (
        l1[middle]["near_zero"] > 0.5
        and 0 < none["valid_accuracy"] - l1[middle]["valid_accuracy"] < 0.15
    )
    assert (
        l1[strongest]["near_zero"] > 0.95
        and l1[strongest]["valid_accuracy"] < 0.3
    )
    # L2 of the same strengths: almost every weight stays away from zero, accuracy as without.
    for run in l2.values():
        assert (
            run["near_zero"] < 0.1
            and abs(run["valid_accuracy"] - none["valid_accuracy"]) < 0.05
        )


# Exercises ----------------------------------------------------------------------------------


def test_exercises_pass_with_the_worked_solutions_and_give_hints_on_the_starter():
    check_exercises("regularization")


# Same in Keras ------------------------------------------------------------------------------


def test_the_keras_tabs_are_early_stopping_and_l2():
    assert keras_tabs("regularization") == ["keras_early_stopping", "keras_l2"]


def test_keras_l2_with_half_the_factor_is_the_hand_written_penalty():
    from snippets.in_keras import mlp_with_l2
    from snippets.mlp import MLP

    l2 = 0.05  # large, so a wrong factor would show far beyond float noise
    scratch = MLP(hidden=(32,), seed=6)
    matrices = scratch.weight_matrices()
    penalised = check_keras_twin(
        scratch,
        mlp_with_l2(l2, hidden=(32,)),
        [v for _, w, b in scratch.layers() for v in (w, b)],
        penalty=lambda: l2_penalty(matrices, l2),
    )
    assert penalised > 1.1 * check_keras_twin(
        scratch,
        mlp_with_l2(0.0, hidden=(32,)),
        [v for _, w, b in scratch.layers() for v in (w, b)],
    )


def test_keras_early_stopping_picks_and_restores_the_epoch_the_hand_written_one_picks():
    import keras

    from snippets.in_keras import early_stopping

    # A tie (0.86 again) is no improvement for either; epoch 8's 0.90 comes too late.
    scores = [0.80, 0.85, 0.84, 0.86, 0.86, 0.85, 0.83, 0.90]
    for patience in (1, 2, 3):
        ours = EarlyStopping(patience)
        for epoch, score in enumerate(scores, start=1):
            ours.update(score, epoch)
            if ours.should_stop:
                break
        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        callback = early_stopping(patience)
        callback.set_model(model)
        model.stop_training = False  # as fit sets it
        callback.on_train_begin()
        for keras_epoch, score in enumerate(
            scores
        ):  # Keras counts epochs from 0
            model.layers[0].bias.assign(
                [keras_epoch + 1.0]
            )  # marks whose weights these are
            callback.on_epoch_end(keras_epoch, {"val_accuracy": score})
            if model.stop_training:
                break
        callback.on_train_end()
        assert keras_epoch + 1 == epoch, patience
        assert callback.best_epoch + 1 == int(ours.best_epoch), patience
        assert float(model.layers[0].bias[0]) == int(ours.best_epoch), (
            patience
        )  # the best epoch's weights


# The learning curve and the L2 sweep: benchmarks/generalisation.py ---------------------

import json

import pytest

from helpers import ROOT, Claim, load_benchmark_script, run_snippets
from snippets.uncertainty import seed_spread, separated, wilson_interval


def generalisation():
    return load_benchmark_script("generalisation")


def committed(run):
    return json.loads((ROOT / "benchmarks" / run["file"]).read_text())


def check_committed_run(name):
    """A committed results file holds the script's settings and every point of
    them, each with accuracies that are fractions and the whole test set."""
    script = generalisation()
    run = script.RUNS[name]
    report = committed(run)
    assert report["run"] == name
    assert report["config"] == script.run_settings(name, run["seeds"])
    assert sorted((p["value"], p["seed"]) for p in report["points"]) == sorted(
        (value, seed)
        for value in run["values"]
        for seed in range(run["seeds"])
    )
    for point in report["points"]:
        assert point == {**point, **script.settings_of(run, point["value"])}
        assert 0.1 < point["valid_accuracy"] <= 1
        assert 0.1 < point["train_accuracy"] <= 1
        assert point["test_digits"] == 10_000
        assert 1_000 < point["test_correct"] <= 10_000
    assert isinstance(report["processor"]["avx512f"], bool)
    return report


def test_the_committed_learning_curve_and_l2_sweeps_are_complete_runs():
    check_committed_run("learning-curve")
    check_committed_run("l2")
    check_committed_run("l2-sgd")


def test_learning_curve_figure_draws_the_committed_run(drawn):
    curve = drawn("regularization-learning-curve")
    assert curve == regularization_figures.by_setting(
        regularization_figures.LEARNING_CURVE
    )
    sizes = [row["value"] for row in curve["rows"]]
    assert sizes[0] == 500 and sizes[-1] == 55_000 and sizes == sorted(sizes)
    assert all(len(row["seeds"]) >= 3 for row in curve["rows"])


def test_learning_curve_more_digits_raise_the_test_accuracy_and_close_the_gap():
    """What the page says the curve shows."""
    rows = regularization_figures.learning_curve()["rows"]
    # "lifts every seed's test accuracy above every seed's at the size below"
    for smaller, larger in zip(rows, rows[1:]):
        assert min(larger["test"]) > max(smaller["test"])
    # "the gap shrinks at every step"
    gap = [np.mean(row["train"]) - np.mean(row["test"]) for row in rows]
    assert all(later < earlier for earlier, later in zip(gap, gap[1:]))
    # "up to 10,000 digits every seed reads nearly all of its training digits
    # right", "where this budget ... no longer fits every training digit"
    for row in rows:
        if row["value"] <= 10_000:
            assert min(row["train"]) > 0.999
    assert max(rows[-1]["train"]) < 0.995
    # "their range is narrower than the 95 % interval of one run"
    for row in rows:
        low, high = wilson_interval(
            round(row["test"][0] * row["test_digits"]), row["test_digits"]
        )
        assert max(row["test"]) - min(row["test"]) < high - low


def still_better_on_its_own_digits_on_every_seed():
    largest = regularization_figures.learning_curve()["rows"][-1]
    assert largest["value"] == 55_000
    assert all(
        train > test for train, test in zip(largest["train"], largest["test"])
    )


def test_l2_sweep_figure_draws_the_committed_runs(drawn):
    sweeps = drawn("regularization-l2-sweep")
    assert sweeps == {
        "adam": regularization_figures.by_setting(
            regularization_figures.L2_SWEEP
        ),
        "sgd": regularization_figures.by_setting(
            regularization_figures.L2_SWEEP_SGD
        ),
    }
    for sweep in sweeps.values():
        strengths = [row["value"] for row in sweep["rows"]]
        assert strengths[0] == 0 and strengths == sorted(strengths)
        assert all(len(row["seeds"]) >= 3 for row in sweep["rows"])


def test_the_generalisation_script_writes_each_point_and_continues_a_stopped_or_widened_run(
    tmp_path, monkeypatch
):
    """The script end to end on made-up runs: a run stopped after two points
    has written them, and started again it does only the others; a sweep
    given more values later does only those."""
    script = generalisation()
    asked = []

    def made_up(
        data,
        hidden,
        steps,
        seed,
        point,
        batch_size,
        learning_rate,
        optimizer="adam",
    ):
        optimizers.append((optimizer, learning_rate))
        if len(asked) == 2 and stop:
            raise KeyboardInterrupt
        asked.append((point["l2"], seed))
        return {
            "seed": seed,
            "train_accuracy": 1.0,
            "valid_accuracy": 0.9,
            "test_correct": 9000,
            "test_digits": 10000,
            "epochs": 1.0,
            "seconds": 0.1,
        }

    optimizers = []
    monkeypatch.setattr(script, "train_point", made_up)
    output = tmp_path / "l2.json"
    stop = True
    with pytest.raises(KeyboardInterrupt):
        script.main(["l2", "--seeds", "1", "--output", str(output)])
    values = script.RUNS["l2"]["values"]
    written = json.loads(output.read_text())
    assert [(p["value"], p["seed"]) for p in written["points"]] == [
        (values[0], 0),
        (values[1], 0),
    ]
    stop, asked[:] = False, []
    assert script.main(["l2", "--seeds", "1", "--output", str(output)]) == 0
    assert asked == [(value, 0) for value in values[2:]]
    written = json.loads(output.read_text())
    assert [p["value"] for p in written["points"]] == values
    assert written["config"] == script.run_settings("l2", 1)
    # a sweep widened later runs only its new values
    asked[:] = []
    monkeypatch.setitem(script.RUNS["l2"], "values", [*values, 0.1])
    assert script.main(["l2", "--seeds", "1", "--output", str(output)]) == 0
    assert asked == [(0.1, 0)]
    written = json.loads(output.read_text())
    assert [p["value"] for p in written["points"]] == [*values, 0.1]
    # other settings are another run: nothing of the old one is kept
    asked[:] = []
    monkeypatch.setitem(script.RUNS["l2"], "steps", 7)
    assert script.main(["l2", "--seeds", "1", "--output", str(output)]) == 0
    assert len(asked) == len(values) + 1
    assert set(optimizers) == {("adam", 1e-3)}
    # the sweep with plain gradient descent passes its own optimizer and rate
    optimizers[:] = []
    output = tmp_path / "l2_sgd.json"
    assert (
        script.main(["l2-sgd", "--seeds", "1", "--output", str(output)]) == 0
    )
    assert set(optimizers) == {("sgd", 0.1)}


@pytest.mark.parametrize(
    "arguments", [["nope"], ["l2", "--seeds", "0"], ["keep", "--seeds", "x"]]
)
def test_the_generalisation_script_refuses_bad_input_in_one_line(arguments):
    # as `make bench-l2` runs it
    finished = run_snippets(
        "benchmarks.generalisation", *arguments, timeout=120
    )
    assert finished.returncode != 0 and "Traceback" not in finished.stderr
    assert finished.stderr.strip().count("\n") == 0


def l2_rows(sweep):
    return {row["value"]: row for row in sweep["rows"]}


def test_l2_sweep_with_adam_what_the_page_says_of_it():
    rows = l2_rows(regularization_figures.l2_sweep()["adam"])
    # "the validation digits choose no penalty at all"
    best = regularization_figures.best_by_validation(list(rows.values()))
    assert best["value"] == 0
    # "at the largest factors the network no longer fits all of its training
    # digits either" (and below them it does)
    for l2, row in rows.items():
        assert (min(row["train"]) < 1.0) == (l2 >= 0.01), l2


def l2_with_adam_no_difference_up_to_a_thousandth_then_worse():
    rows = l2_rows(regularization_figures.l2_sweep()["adam"])
    none = seed_spread(rows[0.0]["test"])
    for l2, row in rows.items():
        spread = seed_spread(row["test"])
        if 0 < l2 <= 0.001:  # "no difference detected"
            assert not separated(spread, none), l2
            assert none.low <= spread.mean <= none.high  # "within the spread"
        elif l2 >= 0.003:  # "worse than without a penalty, apart"
            assert spread.mean < none.mean and separated(spread, none), l2


def test_l2_sweep_with_plain_gradient_descent_what_the_page_says_of_it():
    sweeps = regularization_figures.l2_sweep()
    rows = l2_rows(sweeps["sgd"])
    # "From λ = 0.003 up it holds the fit back, and the network no longer
    # reads all of its training digits right"
    for l2, row in rows.items():
        assert (min(row["train"]) < 1.0) == (l2 >= 0.003), l2
    # "the validation digits choose λ = 0.01, the step before the accuracy
    # falls at 0.03"
    best = regularization_figures.best_by_validation(list(rows.values()))
    assert best["value"] == 0.01
    test = {l2: np.mean(row["test"]) for l2, row in rows.items()}
    assert test[0.03] < min(test[l2] for l2 in rows if l2 < 0.03)
    # "plain gradient descent also ends below Adam at every factor"
    adam = l2_rows(sweeps["adam"])
    for l2, row in rows.items():
        assert np.mean(row["test"]) < np.mean(adam[l2]["test"]), l2


def l2_with_sgd_chosen_factor_no_difference():
    rows = l2_rows(regularization_figures.l2_sweep()["sgd"])
    chosen, none = (seed_spread(rows[l2]["test"]) for l2 in (0.01, 0.0))
    assert not separated(chosen, none)
    assert none.low <= chosen.mean <= none.high


CLAIMS = [
    Claim(
        "the chosen factor's test accuracy is within the seeds' spread of the "
        "runs without a penalty, **no difference detected at this size** "
        "either",
        l2_with_sgd_chosen_factor_no_difference,
    ),
    Claim(
        "the test accuracy stays within the seeds' spread of the runs without "
        "one, **no difference detected at this size**; from "
        "$\\lambda = 0.003$ up it is worse than without a penalty",
        l2_with_adam_no_difference_up_to_a_thousandth_then_worse,
    ),
    Claim(
        "at 55,000 digits the network still reads its own digits better than "
        "new ones, on every seed",
        still_better_on_its_own_digits_on_every_seed,
    ),
]


def test_the_comparisons_on_the_page_hold():
    from helpers import check_claims

    check_claims("regularization", CLAIMS)
