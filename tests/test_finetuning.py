"""docs/finetuning.md and snippets/finetune.py: trained layers in a changed network."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import keras_tabs, random_batch, run_command
from snippets.checkpoint import CheckpointError, save_model
from snippets.finetune import (
    finetune_model,
    load_matching_layers,
    train_steps,
    variables_to_train,
)
from snippets.in_keras import (
    load_matching_layers as load_matching_layers_keras,
)
from snippets.in_keras import mlp, set_weights_from
from snippets.linear import softmax_cross_entropy
from snippets.mlp import MLP


@pytest.fixture
def trained(tmp_path):
    model = MLP(hidden=(64,), seed=7)
    save_model(model, tmp_path)
    return model, tmp_path


def test_same_architecture_restores_everything(trained):
    model, folder = trained
    new, report = finetune_model(folder)
    assert sorted(report["restored"]) == [
        "biases/hidden_1",
        "biases/out",
        "weights/hidden_1",
        "weights/out",
    ]
    assert report["new"] == []
    assert np.array_equal(
        new.weights["out"].numpy(), model.weights["out"].numpy()
    )


def test_extra_layer_with_new_head_keeps_the_trained_first_layer(trained):
    model, folder = trained
    new, report = finetune_model(
        folder, hidden=(64, 32), new_head=True, seed=1
    )
    assert report["restored"] == ["weights/hidden_1", "biases/hidden_1"]
    assert (
        "weights/hidden_2 (not in the checkpoint)" in report["new"]
        and "weights/out (new head)" in report["new"]
    )
    assert np.array_equal(
        new.weights["hidden_1"].numpy(), model.weights["hidden_1"].numpy()
    )
    assert new.weights["out"].shape == (32, 10)


def test_a_silent_partial_restore_is_refused_unless_allowed(trained):
    _, folder = trained
    with pytest.raises(CheckpointError) as caught:
        finetune_model(folder, hidden=(128,))
    message = str(caught.value)
    assert (
        "weights/hidden_1: saved [784, 64], model expects [784, 128]"
        in message
    )
    assert (
        "pass allow_partial=True to start them from scratch" in message
    )  # its own argument, not a flag
    _model, report = finetune_model(folder, hidden=(128,), allow_partial=True)
    assert "weights/hidden_1 (shape changed from [784, 64])" in report["new"]
    assert report["restored"] == ["biases/out"]


def test_a_wider_head_is_new_and_the_hidden_layer_restored(trained):
    model, folder = trained
    wider = MLP(hidden=(64,), n_classes=12)
    with pytest.raises(
        CheckpointError,
        match=r"pass new_head=True to start the output layer afresh",
    ):
        load_matching_layers(wider, folder)
    report = load_matching_layers(wider, folder, new_head=True)
    assert report["restored"] == ["weights/hidden_1", "biases/hidden_1"]
    assert np.array_equal(
        wider.weights["hidden_1"].numpy(), model.weights["hidden_1"].numpy()
    )


def test_finetune_command_trains_the_changed_model(tmp_path):
    source = tmp_path / "source"
    trained = run_command(
        "train",
        "--limit",
        "2000",
        "--epochs",
        "1",
        "--hidden",
        "64",
        "--checkpoint-dir",
        str(source),
    )
    assert trained.returncode == 0, trained.stderr
    refused = run_command(
        "finetune",
        "--from",
        str(source),
        "--checkpoint-dir",
        str(tmp_path / "f"),
        "--hidden",
        "64",
        "32",
        "--limit",
        "2000",
        "--epochs",
        "1",
    )
    assert (
        refused.returncode == 1
        and "--new-head" in refused.stderr
        and refused.stderr.count("\n") == 1
    )
    assert (
        "(pass --new-head to start the output layer afresh)" in refused.stderr
        and "=True" not in refused.stderr
    )
    completed = run_command(
        "finetune",
        "--from",
        str(source),
        "--checkpoint-dir",
        str(tmp_path / "f"),
        "--hidden",
        "64",
        "32",
        "--new-head",
        "--limit",
        "2000",
        "--epochs",
        "3",
    )
    assert completed.returncode == 0, completed.stderr
    assert (
        "restored from" in completed.stdout
        and "weights/hidden_1" in completed.stdout
    )
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["restored"] == [
        "weights/hidden_1",
        "biases/hidden_1",
    ] and result["config"]["hidden"] == [64, 32]
    assert (
        result["epochs"] == 3 and result["test_accuracy"] > 0.7
    )  # it learns (10 % is chance)


def test_quiz_which_layers_can_be_reused(tmp_path):
    """The finetuning chapter's quiz, computed."""
    save_model(MLP(hidden=(256,)), tmp_path)
    deeper = load_matching_layers(
        MLP(hidden=(256, 64)), tmp_path, new_head=True
    )
    assert deeper["restored"] == ["weights/hidden_1", "biases/hidden_1"]
    with pytest.raises(CheckpointError):
        load_matching_layers(MLP(hidden=(256, 64)), tmp_path)
    wider = load_matching_layers(
        MLP(hidden=(512,)), tmp_path, allow_partial=True
    )
    assert wider["restored"] == ["biases/out"]


# Figures ------------------------------------------------------------------------------------

from figures import finetuning as finetuning_figures
from helpers import check_figures


def test_figures_are_on_the_page_with_alt_text_and_captions():
    figures = check_figures("finetuning", finetuning_figures)
    _, caption = figures["finetuning-learning-curve"]
    config = json.loads(TRANSFER_RUN.read_text())["config"]
    assert config["hidden"] == [256] and "784-256-5" in caption
    assert f"{config['steps']:,} steps of Adam" in caption
    assert f"batches of {config['batch_size']}" in caption
    assert "lowest to highest seed" in caption  # the band
    runs = json.loads(TRANSFER_RUN.read_text())["runs"]
    assert "means over ten seeds" in caption and len(runs) == 10


def test_restored_layers_figure_is_what_load_matching_layers_reports(drawn):
    data = drawn("finetuning-restored-layers")
    assert data["saved"]["shapes"] == {
        "weights/hidden_1": [784, 256],
        "biases/hidden_1": [256],
        "weights/out": [256, 10],
        "biases/out": [10],
    }
    deeper, wider = data["networks"].values()
    assert deeper["status"] == {
        "weights/hidden_1": "restored",
        "biases/hidden_1": "restored",
        "weights/hidden_2": "not in the checkpoint",
        "biases/hidden_2": "not in the checkpoint",
        "weights/out": "new head",
        "biases/out": "new head",
    }
    assert deeper["shapes"]["weights/hidden_2"] == [256, 128]
    assert wider["status"]["biases/out"] == "restored"
    assert (
        wider["status"]["weights/hidden_1"] == "shape changed from [784, 256]"
    )
    assert wider["status"]["weights/out"] == "shape changed from [256, 10]"


def test_learning_curve_figure_is_the_committed_transfer_run(drawn):
    """The figure draws benchmarks/transfer.json: per way and size, every
    seed's accuracy on the test digits 5-9, their mean, lowest and highest."""
    data = drawn("finetuning-learning-curve")
    run = json.loads(TRANSFER_RUN.read_text())
    assert data["per_class"] == [10, 100, 1000] == run["config"]["per_class"]
    assert list(data["ways"]) == list(WAYS)
    assert data["seeds"] == len(run["runs"]) >= 5
    assert data["test_digits"] == run["test_digits"] == 4861
    for way, curve in data["ways"].items():
        for index, size in enumerate(data["per_class"]):
            seeds = [
                seed["per_class"][str(size)]["correct"][way] / 4861
                for seed in run["runs"]
            ]
            assert curve["seeds"][index] == seeds
            spread = seed_spread(seeds)
            assert curve["mean"][index] == pytest.approx(spread.mean)
            assert (curve["low"][index], curve["high"][index]) == (
                spread.low,
                spread.high,
            )


def test_variables_to_train_leaves_out_the_restored_ones_when_frozen(trained):
    _, folder = trained
    grown = MLP(hidden=(64, 32), seed=1)
    report = load_matching_layers(grown, folder, new_head=True)
    everything = variables_to_train(grown, report)
    assert len(everything) == 6 and {v.ref() for v in everything} == {
        v.ref() for v in grown.trainable_variables
    }
    frozen = {v.ref() for v in variables_to_train(grown, report, freeze=True)}
    assert frozen == {
        v.ref()
        for name in ("hidden_2", "out")
        for v in (grown.weights[name], grown.biases[name])
    }


def test_train_steps_changes_only_the_variables_it_is_given(trained):
    _, folder = trained
    grown = MLP(hidden=(64, 32), seed=1)
    report = load_matching_layers(grown, folder, new_head=True)
    before = {
        name: v.numpy().copy()
        for name, v in (
            ("w1", grown.weights["hidden_1"]),
            ("b1", grown.biases["hidden_1"]),
            ("w2", grown.weights["hidden_2"]),
            ("wo", grown.weights["out"]),
        )
    }
    x, y = random_batch(rows=64, seed=5)
    frozen = variables_to_train(grown, report, freeze=True)
    train_steps(grown, frozen, x, y, steps=5, batch_size=16)
    assert np.array_equal(grown.weights["hidden_1"].numpy(), before["w1"])
    assert np.array_equal(grown.biases["hidden_1"].numpy(), before["b1"])
    assert not np.array_equal(grown.weights["hidden_2"].numpy(), before["w2"])
    assert not np.array_equal(grown.weights["out"].numpy(), before["wo"])
    train_steps(grown, variables_to_train(grown, report), x, y, steps=1)
    assert not np.array_equal(
        grown.weights["hidden_1"].numpy(), before["w1"]
    )  # unfrozen, it trains


def test_train_steps_takes_that_many_steps_over_more_epochs_if_need_be():
    """7 steps in batches of 4 over 10 examples: the batches of epoch 1
    (4, 4, 2), of epoch 2, shuffled anew, and the first of epoch 3; the same
    as those steps taken one by one."""
    from snippets.data import batches

    rng = np.random.default_rng(0)
    x = rng.random((10, 4), dtype=np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, size=10)]
    model = MLP(hidden=(8,), n_inputs=4, n_classes=3, seed=0)
    train_steps(model, model.trainable_variables, x, y, 7, batch_size=4)
    by_hand = MLP(hidden=(8,), n_inputs=4, n_classes=3, seed=0)
    optimizer = keras.optimizers.Adam(1e-3)
    planned = [
        batch for epoch in (1, 2, 3) for batch in batches(4, x, y, seed=epoch)
    ][:7]
    assert [len(bx) for bx, _ in planned] == [4, 4, 2, 4, 4, 2, 4]
    for batch_x, batch_y in planned:
        with tf.GradientTape() as tape:
            loss = softmax_cross_entropy(by_hand(batch_x), batch_y)
        variables = by_hand.trainable_variables
        optimizer.apply_gradients(
            zip(tape.gradient(loss, variables), variables)
        )
    for mine, theirs in zip(
        model.trainable_variables, by_hand.trainable_variables
    ):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)
    assert not np.array_equal(
        model.weights["out"].numpy(),
        MLP(hidden=(8,), n_inputs=4, n_classes=3, seed=0).weights["out"],
    )


# Same in Keras ------------------------------------------------------------------------------


def test_keras_finetuning_restores_the_same_layers_and_computes_the_same(
    tmp_path,
):
    """A saved 784-32-10 grown into 784-32-16-10 with a new head, both ways: the same layers
    restored, the same logits, and, with the restored layer frozen in Keras, the same gradient
    for every layer that still trains."""
    assert keras_tabs("finetuning") == ["keras_finetune"]
    trained = MLP(hidden=(32,), seed=8)
    save_model(trained, tmp_path)
    saved = set_weights_from(trained, mlp((32,)))
    grown = MLP(hidden=(32, 16), seed=9)
    model = set_weights_from(
        grown, mlp((32, 16))
    )  # the same fresh weights for the new layers
    report = load_matching_layers(grown, tmp_path, new_head=True)
    restored = load_matching_layers_keras(model, saved, new_head=True)
    assert restored == ["hidden_1"]
    assert sorted(report["restored"]) == [
        "biases/hidden_1",
        "weights/hidden_1",
    ]
    assert [layer.name for layer in model.layers if not layer.trainable] == [
        "hidden_1"
    ]
    x, y = random_batch(rows=32, seed=3)
    np.testing.assert_allclose(
        model(x).numpy(), grown(x).numpy(), rtol=1e-5, atol=1e-5
    )
    cross_entropy = keras.losses.CategoricalCrossentropy(from_logits=True)
    with tf.GradientTape(persistent=True) as tape:
        ours = softmax_cross_entropy(grown(x), y)
        theirs = cross_entropy(y, model(x))
    still_training = [
        v
        for name, w, b in grown.layers()
        if name != "hidden_1"
        for v in (w, b)
    ]
    assert (
        len(model.trainable_variables) == len(still_training) == 4
    )  # hidden_1 is frozen
    for mine, keras_gradient in zip(
        tape.gradient(ours, still_training),
        tape.gradient(theirs, model.trainable_variables),
    ):
        np.testing.assert_allclose(keras_gradient, mine, rtol=1e-4, atol=1e-6)


# Exercises ----------------------------------------------------------------------------------


def test_exercises_pass_with_the_worked_solutions_and_give_hints_on_the_starter():
    from helpers import check_exercises

    check_exercises("finetuning")


def test_the_sort_variables_reference_agrees_with_load_matching_layers(
    tmp_path,
):
    from snippets.checkpoint import (
        latest_checkpoint,
        model_shapes,
        saved_shapes,
    )
    from snippets.exercises.finetuning import sort_expected

    save_model(MLP(hidden=(4,), n_inputs=5, n_classes=2), tmp_path)
    saved = saved_shapes(latest_checkpoint(tmp_path), "model")
    for hidden in [(4,), (4, 3), (6,), (6, 3)]:
        model = MLP(hidden=hidden, n_inputs=5, n_classes=2)
        expected = sort_expected(saved, model_shapes(model))
        report = load_matching_layers(model, tmp_path, allow_partial=True)
        assert report["restored"] == expected["restored"]
        assert [
            entry.split(" ")[0]
            for entry in report["new"]
            if "shape changed" in entry
        ] == expected["mismatched"]
        assert [
            entry.split(" ")[0]
            for entry in report["new"]
            if "not in the checkpoint" in entry
        ] == expected["new"]


def test_the_finetuning_checks_catch_wrong_answers():
    from snippets.exercises import Wrong
    from snippets.exercises import finetuning as checks

    def by_position(
        prefix, variables
    ):  # the saved values in the file's order, not by name
        reader = tf.train.load_checkpoint(prefix)
        names = [
            name
            for name, _ in tf.train.list_variables(prefix)
            if name.endswith("VARIABLE_VALUE")
            and not name.startswith("save_counter")
        ]
        for variable, name in zip(variables.values(), names):
            variable.assign(reader.get_tensor(name))

    def shapes_ignored(saved, wanted):
        return {
            "restored": [n for n in wanted if n in saved],
            "new": [n for n in wanted if n not in saved],
            "mismatched": [],
        }

    def trains_everything(model, x, y, frozen, learning_rate):
        with tf.GradientTape() as tape:
            loss = softmax_cross_entropy(model(x), y)
        for variable, gradient in zip(
            model.trainable_variables,
            tape.gradient(loss, model.trainable_variables),
        ):
            variable.assign_sub(learning_rate * gradient)

    for check, answer in [
        (checks.check_restore_by_name, by_position),
        (checks.check_sort_variables, shapes_ignored),
        (checks.check_sgd_step, trains_everything),
    ]:
        with pytest.raises(Wrong):
            check(answer)


def test_the_key_layout_the_page_explains_is_what_save_model_writes(tmp_path):
    """The page: save_model's keys are model/<table>/<layer>/.ATTRIBUTES/VARIABLE_VALUE, and
    the chapter's names are those paths without the model/ and the marker."""
    from helpers import page
    from snippets.checkpoint import latest_checkpoint, save_model, saved_shapes
    from snippets.mlp import MLP

    save_model(MLP(hidden=(4,), n_inputs=5, n_classes=2), tmp_path)
    prefix = latest_checkpoint(tmp_path)
    keys = [key for key, _ in tf.train.list_variables(prefix)]
    assert "model/weights/hidden_1/.ATTRIBUTES/VARIABLE_VALUE" in keys
    assert "model/weights/hidden_1/.ATTRIBUTES/VARIABLE_VALUE" in page(
        "finetuning"
    )
    assert sorted(saved_shapes(prefix, "model")) == [
        "biases/hidden_1",
        "biases/out",
        "weights/hidden_1",
        "weights/out",
    ]


# A new task: benchmarks/transfer.py and what the page says of it --------------------------

import re
from itertools import combinations

from helpers import ROOT, Claim, load_benchmark_script, run_snippets
from snippets.finetune import WAYS, adapt, few_per_class, keep_digits
from snippets.uncertainty import binomial_two_sided, seed_spread, separated

TRANSFER_RUN = ROOT / "benchmarks" / "transfer.json"


def test_keep_digits_keeps_those_digits_and_numbers_them_from_zero():
    labels = np.array([5, 0, 9, 3, 7, 5])
    x = np.arange(6, dtype=np.float32)[:, None] * np.ones((1, 4), np.float32)
    y = np.eye(10, dtype=np.float32)[labels]
    kept_x, kept_y = keep_digits(x, y, range(5, 10))
    assert kept_x[:, 0].tolist() == [0, 2, 4, 5]  # the rows of 5, 9, 7, 5
    assert kept_y.shape == (4, 5)
    assert np.argmax(kept_y, axis=1).tolist() == [0, 4, 2, 0]
    old_x, old_y = keep_digits(x, y, range(5))
    assert old_x[:, 0].tolist() == [1, 3] and old_y.shape == (2, 5)
    assert np.argmax(old_y, axis=1).tolist() == [0, 3]


def test_few_per_class_draws_that_many_of_each_and_more_keeps_the_fewer():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 5, size=400)
    x = np.arange(400, dtype=np.float32)[:, None]
    y = np.eye(5, dtype=np.float32)[labels]
    small_x, small_y = few_per_class(x, y, 3, seed=4)
    assert np.bincount(np.argmax(small_y, axis=1)).tolist() == [3] * 5
    large_x, _ = few_per_class(x, y, 30, seed=4)
    assert len(large_x) == 150
    assert set(small_x[:, 0]) < set(large_x[:, 0])  # nested, as the page says
    other_x, _ = few_per_class(x, y, 3, seed=5)
    assert set(other_x[:, 0]) != set(small_x[:, 0])  # the seed draws them
    with pytest.raises(ValueError, match="per_class=500, but class 0"):
        few_per_class(x, y, 500)


def test_adapt_trains_the_three_ways_from_the_saved_network(tmp_path):
    saved = MLP(hidden=(16,), n_classes=5, seed=3)
    save_model(saved, tmp_path)
    x, y = random_batch(rows=40, seed=2)
    y = np.eye(5, dtype=np.float32)[np.argmax(y, axis=1) % 5]
    hidden = saved.weights["hidden_1"].numpy()
    models = {
        way: adapt(way, tmp_path, x, y, steps=3, hidden=(16,), seed=1)
        for way in WAYS
    }
    untrained = MLP(hidden=(16,), n_classes=5, seed=1)
    scratch, finetuned, frozen = models.values()
    # from scratch: nothing saved, trained from its own start
    assert not np.array_equal(scratch.weights["hidden_1"].numpy(), hidden)
    assert not np.array_equal(
        scratch.weights["hidden_1"].numpy(),
        untrained.weights["hidden_1"].numpy(),
    )
    # finetuned: started from the saved layer, and trained it
    change = finetuned.weights["hidden_1"].numpy() - hidden
    assert 0 < np.abs(change).max() < 0.05  # 3 steps of Adam at 1e-3
    # frozen: exactly the saved layer
    assert np.array_equal(frozen.weights["hidden_1"].numpy(), hidden)
    assert np.array_equal(frozen.biases["hidden_1"].numpy(), np.zeros(16))
    for model in models.values():  # a new head, trained, in every way
        assert model.weights["out"].shape == (16, 5)
        assert not np.array_equal(
            model.weights["out"].numpy(), saved.weights["out"].numpy()
        )
        assert not np.array_equal(
            model.weights["out"].numpy(), untrained.weights["out"].numpy()
        )


def transfer_script():
    return load_benchmark_script("transfer")


def made_up_seed(asked):
    def run_seed(seed, config, old, pool, test):
        asked.append(seed)
        return {
            "seed": seed,
            "pretrained_test_accuracy": 0.98,
            "pretrained_test_digits": 5139,
            "per_class": {
                str(size): {
                    "correct": {
                        way: 3000 + 100 * index + seed
                        for index, way in enumerate(WAYS)
                    },
                    "only_one_right": {},
                }
                for size in config["per_class"]
            },
        }

    return run_seed


def test_the_transfer_script_writes_each_seed_and_continues_a_partial_file(
    tmp_path, monkeypatch
):
    """The script end to end, with a seed's run (tested above, piece by
    piece) made up: each seed is written as it ends, and a second call
    runs only the seeds the file does not hold."""
    script = transfer_script()
    asked = []
    monkeypatch.setattr(script, "run_seed", made_up_seed(asked))
    monkeypatch.setattr(
        script, "tasks", lambda images: (None, None, [[0] * 7])
    )
    output = tmp_path / "transfer.json"
    flags = ["--steps", "5", "--per-class", "2", "4", "--output", str(output)]
    assert script.main(["--seeds", "2", *flags]) == 0
    first = json.loads(output.read_text())
    assert [run["seed"] for run in first["runs"]] == [0, 1] == asked
    assert first["config"]["per_class"] == [2, 4]
    assert first["test_digits"] == 7
    assert script.main(["--seeds", "3", *flags]) == 0
    assert asked == [0, 1, 2]  # seeds 0 and 1 were not run again
    second = json.loads(output.read_text())
    assert second["runs"][:2] == first["runs"]
    committed = json.loads(TRANSFER_RUN.read_text())
    assert set(second) == set(committed)
    assert set(second["config"]) == set(committed["config"])


def test_the_transfer_script_refuses_a_file_of_other_settings(
    tmp_path, monkeypatch, capsys
):
    script = transfer_script()
    asked = []
    monkeypatch.setattr(script, "run_seed", made_up_seed(asked))
    monkeypatch.setattr(script, "tasks", lambda images: (None, None, [[0]]))
    output = tmp_path / "transfer.json"
    assert script.main(["--seeds", "1", "--output", str(output)]) == 0
    capsys.readouterr()
    assert script.main(["--steps", "7", "--output", str(output)]) == 1
    error = capsys.readouterr().err
    assert "holds a run with other settings" in error
    assert error.count("\n") == 1 and asked == [0]


@pytest.mark.parametrize(
    "flags",
    [["--seeds", "0"], ["--per-class", "ten"], ["--steps", "-3"]],
)
def test_the_transfer_script_refuses_bad_input_in_one_line(flags):
    # as `make bench-finetuning` runs it
    finished = run_snippets("benchmarks.transfer", *flags, timeout=120)
    assert finished.returncode == 2 and "Traceback" not in finished.stderr
    assert finished.stderr.startswith("transfer.py: error:")
    assert finished.stderr.strip().count("\n") == 0


def test_the_committed_transfer_run_is_whole_and_adds_up():
    """benchmarks/transfer.json: the script's own settings, at least five
    seeds, every size and way, and McNemar counts that agree with the
    accuracies (A right and B wrong, less the reverse, is A's lead)."""
    run = json.loads(TRANSFER_RUN.read_text())
    script = transfer_script()
    defaults = script.settings(script.parse_arguments([]))
    assert run["config"] == defaults
    assert [seed["seed"] for seed in run["runs"]] == list(
        range(len(run["runs"]))
    )
    assert len(run["runs"]) >= 5 and run["test_digits"] == 4861
    for seed in run["runs"]:
        assert seed["pretrained_test_digits"] == 5139
        assert 0.9 < seed["pretrained_test_accuracy"] <= 1
        assert list(seed["per_class"]) == ["10", "100", "1000"]
        for size in seed["per_class"].values():
            correct = size["correct"]
            assert list(correct) == list(WAYS)
            assert all(0 < count <= 4861 for count in correct.values())
            for pair, (only_a, only_b) in size["only_one_right"].items():
                a, b = pair.split(" | ")
                assert only_a - only_b == correct[a] - correct[b]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", run["date"])
    assert isinstance(run["processor"]["avx512f"], bool)


def spreads_at(per_class):
    """Per way, its accuracies over the seeds at ``per_class`` examples."""
    run = json.loads(TRANSFER_RUN.read_text())
    accuracies = finetuning_figures.transfer_accuracies(run)[per_class]
    return {way: seed_spread(accuracies[way]) for way in WAYS}


def mcnemar_tally(per_class, a, b, alpha=0.05):
    """Over the seeds: on how many McNemar's test finds ``a`` better, ``b``
    better, or neither, on the same test digits."""
    run = json.loads(TRANSFER_RUN.read_text())
    tally = {a: 0, b: 0, "neither": 0}
    for seed in run["runs"]:
        pairs = seed["per_class"][str(per_class)]["only_one_right"]
        if f"{a} | {b}" in pairs:
            only_a, only_b = pairs[f"{a} | {b}"]
        else:
            only_b, only_a = pairs[f"{b} | {a}"]
        p = binomial_two_sided(min(only_a, only_b), only_a + only_b)
        if p >= alpha:
            tally["neither"] += 1
        else:
            tally[a if only_a > only_b else b] += 1
    return tally


def leads(per_class, way, over="from scratch"):
    """``way``'s accuracy less ``over``'s, seed by seed."""
    run = json.loads(TRANSFER_RUN.read_text())
    accuracies = finetuning_figures.transfer_accuracies(run)[per_class]
    return [a - b for a, b in zip(accuracies[way], accuracies[over])]


SCRATCH, FINETUNED, FROZEN = WAYS

LONGER_RUN = ROOT / "benchmarks" / "transfer_longer.json"


def test_the_committed_longer_run_is_the_largest_size_with_more_steps():
    run, longer = (
        json.loads(TRANSFER_RUN.read_text()),
        json.loads(LONGER_RUN.read_text()),
    )
    assert longer["config"] == dict(
        run["config"], steps=4 * run["config"]["steps"], per_class=[1000]
    )
    assert [seed["seed"] for seed in longer["runs"]] == [0, 1, 2]
    assert longer["test_digits"] == 4861


def ten_seeds_as_the_page_says():
    assert len(json.loads(TRANSFER_RUN.read_text())["runs"]) == 10


def nothing_apart_at_ten_a_class():
    spreads = spreads_at(10)
    for a, b in combinations(WAYS, 2):
        assert not separated(spreads[a], spreads[b])
        tally = mcnemar_tally(10, a, b)
        assert tally[a] > 0 and tally[b] > 0  # each found better somewhere
    # "The seeds spread far more than the ways differ"
    means = [spread.mean for spread in spreads.values()]
    assert min(s.sd for s in spreads.values()) > 2 * (max(means) - min(means))


def leaning_against_the_finetuned_at_ten():
    nothing_apart_at_ten_a_class()
    against_scratch = mcnemar_tally(10, FINETUNED, SCRATCH)
    against_frozen = mcnemar_tally(10, FINETUNED, FROZEN)
    assert against_scratch[SCRATCH] > against_scratch[FINETUNED]
    assert against_frozen[FROZEN] > against_frozen[FINETUNED]


def finetuned_ahead_at_a_hundred():
    spreads = spreads_at(100)
    assert spreads[FINETUNED].mean > spreads[SCRATCH].mean
    assert separated(spreads[FINETUNED], spreads[SCRATCH])
    tally = mcnemar_tally(100, FINETUNED, SCRATCH)
    assert tally[FINETUNED] > len(leads(100, FINETUNED)) / 2  # "most seeds"
    assert tally[SCRATCH] == 0  # "never the other way"


def frozen_like_scratch_at_a_hundred():
    spreads = spreads_at(100)
    assert not separated(spreads[FROZEN], spreads[SCRATCH])
    tally = mcnemar_tally(100, FROZEN, SCRATCH)
    assert tally["neither"] > len(leads(100, FROZEN)) / 2


def frozen_behind_finetuned_at_a_hundred():
    spreads = spreads_at(100)
    assert spreads[FROZEN].mean < spreads[FINETUNED].mean
    assert separated(spreads[FROZEN], spreads[FINETUNED])


def frozen_behind_on_every_seed_at_a_thousand():
    assert all(lead < 0 for lead in leads(1000, FROZEN))
    tally = mcnemar_tally(1000, FROZEN, SCRATCH)
    assert tally[SCRATCH] == len(leads(1000, FROZEN))


def finetuned_a_little_ahead_at_a_thousand():
    spreads = spreads_at(1000)
    assert spreads[FINETUNED].mean > spreads[SCRATCH].mean
    assert separated(spreads[FINETUNED], spreads[SCRATCH])
    tally = mcnemar_tally(1000, FINETUNED, SCRATCH)
    seeds = len(leads(1000, FINETUNED))
    assert 0 < tally[FINETUNED] < seeds / 2 and tally[SCRATCH] == 0


def frozen_still_learning_and_still_behind_with_more_steps():
    run = json.loads(TRANSFER_RUN.read_text())
    longer = json.loads(LONGER_RUN.read_text())
    for short, long in zip(run["runs"], longer["runs"]):
        assert short["seed"] == long["seed"]
        before = short["per_class"]["1000"]["correct"]
        after = long["per_class"]["1000"]["correct"]
        assert after[FROZEN] > before[FROZEN]  # "still learning"
        # "catches up part of the way"
        assert (
            after[SCRATCH] - after[FROZEN] < before[SCRATCH] - before[FROZEN]
        )
        only_scratch, only_frozen = long["per_class"]["1000"][
            "only_one_right"
        ][f"{SCRATCH} | {FROZEN}"]
        assert only_scratch > only_frozen
        assert (
            binomial_two_sided(only_frozen, only_scratch + only_frozen) < 0.05
        )  # behind on every seed, by McNemar's test


def freezing_never_ahead_and_worst_with_most_examples():
    gaps = {}
    for size in (10, 100, 1000):
        spreads = spreads_at(size)
        assert not (
            spreads[FROZEN].mean > spreads[SCRATCH].mean
            and separated(spreads[FROZEN], spreads[SCRATCH])
        )
        gaps[size] = spreads[FROZEN].mean - spreads[SCRATCH].mean
    assert gaps[1000] == min(gaps.values()) and gaps[1000] < 0


def finetuning_never_worse_and_a_little_ahead_from_a_hundred():
    for size in (10, 100, 1000):
        spreads = spreads_at(size)
        assert not (
            spreads[FINETUNED].mean < spreads[SCRATCH].mean
            and separated(spreads[FINETUNED], spreads[SCRATCH])
        )
    for size in (100, 1000):
        spreads = spreads_at(size)
        lead = spreads[FINETUNED].mean - spreads[SCRATCH].mean
        assert 0 < lead < 0.01 and separated(
            spreads[FINETUNED], spreads[SCRATCH]
        )  # "a little": under a point


def the_summary():
    nothing_apart_at_ten_a_class()
    finetuning_never_worse_and_a_little_ahead_from_a_hundred()
    freezing_never_ahead_and_worst_with_most_examples()
    spreads = spreads_at(1000)
    assert separated(spreads[FROZEN], spreads[SCRATCH])


CLAIMS = [
    Claim(
        "runs the whole comparison for ten seeds", ten_seeds_as_the_page_says
    ),
    Claim(
        "The seeds spread far more than the ways differ",
        nothing_apart_at_ten_a_class,
    ),
    Claim(
        "**no difference detected at this size** between the three",
        nothing_apart_at_ten_a_class,
    ),
    Claim(
        "for every pair McNemar's test finds one way better on some seeds",
        nothing_apart_at_ten_a_class,
    ),
    Claim(
        "it is the one found worse more often than better",
        leaning_against_the_finetuned_at_ten,
    ),
    Claim(
        "McNemar's test finds it better on most seeds and never the other way",
        finetuned_ahead_at_a_hundred,
    ),
    Claim(
        "Finetuning every layer is ahead of training from scratch: apart over "
        "the seeds",
        finetuned_ahead_at_a_hundred,
    ),
    Claim(
        "test finds no difference on most seeds: no difference detected at "
        "this size",
        frozen_like_scratch_at_a_hundred,
    ),
    Claim(
        "The frozen network is behind the finetuned one, apart over the seeds",
        frozen_behind_finetuned_at_a_hundred,
    ),
    Claim(
        "the frozen network is behind the one from scratch on every seed, and "
        "McNemar's test finds it worse on each one",
        frozen_behind_on_every_seed_at_a_thousand,
    ),
    Claim(
        "McNemar's test sees the lead on only a few seeds (and never the "
        "reverse)",
        finetuned_a_little_ahead_at_a_thousand,
    ),
    Claim(
        "was still learning at the end of them with 1,000 examples a class",
        frozen_still_learning_and_still_behind_with_more_steps,
    ),
    Claim(
        "it catches up part of the way, but it is still behind the one from "
        "scratch on every seed, by McNemar's test",
        frozen_still_learning_and_still_behind_with_more_steps,
    ),
    Claim(
        "freezing the pretrained layer was never ahead over the seeds, and it "
        "cost the most where there were the most examples",
        freezing_never_ahead_and_worst_with_most_examples,
    ),
    Claim(
        "Finetuning every layer was never detectably worse than training from "
        "scratch, and a little ahead from 100 examples a class",
        finetuning_never_worse_and_a_little_ahead_from_a_hundred,
    ),
    Claim(
        "At 10 examples a class the seed-by-seed verdicts lean that way, but "
        "over the seeds no difference was detected",
        leaning_against_the_finetuned_at_ten,
    ),
    Claim(
        "with 10 examples a class no difference was detected between the ways",
        the_summary,
    ),
    Claim(
        "finetuning every layer was a little ahead of training from scratch, "
        "and freezing was never ahead, and behind at 1,000",
        the_summary,
    ),
]


def test_the_comparisons_on_the_page_hold():
    from helpers import check_claims

    check_claims("finetuning", CLAIMS)
