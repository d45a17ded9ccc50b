"""docs/save-restore.md and snippets/checkpoint.py: checkpoints you can trust."""

import json
import shutil
from dataclasses import replace
from types import SimpleNamespace

import keras
import numpy as np
import pytest
import tensorflow as tf

from figures import save_restore as save_restore_figures
from helpers import (
    check_figures,
    keras_tabs,
    one_line_error,
    quiet,
    random_batch,
    run_command,
)
from snippets.checkpoint import (
    CheckpointError,
    all_checkpoints,
    check_shapes,
    restore_model,
    save_model,
    trained_epochs,
)
from snippets.in_keras import (
    checkpoint_every_epoch,
    compile_and_fit,
    export_for_serving,
    mlp,
    save_and_load,
    set_weights_from,
)
from snippets.mlp import MLP, parameter_count
from snippets.train import TrainConfig, train

IMAGES = tf.random.stateless_uniform([16, 784], seed=[5, 6])


def test_save_then_restore_reproduces_predictions_exactly(tmp_path):
    model = MLP(hidden=(64, 32), seed=3)
    save_model(model, tmp_path)
    restored = restore_model(tmp_path)
    assert restored.hidden == (64, 32)
    assert np.array_equal(model(IMAGES).numpy(), restored(IMAGES).numpy())
    record = json.loads((tmp_path / "model.json").read_text())
    assert record["architecture"] == {
        "hidden": [64, 32],
        "n_inputs": 784,
        "n_classes": 10,
    }


def test_each_save_is_a_new_numbered_checkpoint_and_old_ones_are_kept(
    tmp_path,
):
    first, second = MLP(hidden=(8,), seed=1), MLP(hidden=(8,), seed=2)
    save_model(first, tmp_path)
    save_model(second, tmp_path)
    assert [p.rsplit("/", 1)[1] for p in all_checkpoints(tmp_path)] == [
        "ckpt-1",
        "ckpt-2",
    ]
    assert np.array_equal(
        restore_model(tmp_path)(IMAGES).numpy(), second(IMAGES).numpy()
    )


def test_shape_mismatch_names_every_variable_with_both_shapes(tmp_path):
    prefix = save_model(MLP(hidden=(256,)), tmp_path)
    with pytest.raises(CheckpointError) as caught:
        check_shapes(MLP(hidden=(512,)), prefix)
    message = str(caught.value)
    assert (
        "weights/hidden_1: saved [784, 256], model expects [784, 512]"
        in message
    )
    assert "weights/out: saved [256, 10], model expects [512, 10]" in message
    assert "biases/hidden_1: saved [256], model expects [512]" in message
    assert "biases/out" not in message  # same shape: not a problem


def test_missing_and_empty_directories_are_explained(tmp_path):
    with pytest.raises(
        CheckpointError, match="does not exist; train a model first"
    ):
        restore_model(tmp_path / "nowhere")
    with pytest.raises(CheckpointError, match="holds no model.json"):
        restore_model(tmp_path)
    (tmp_path / "model.json").write_text(
        json.dumps(MLP(hidden=(8,)).architecture())
    )
    with pytest.raises(CheckpointError, match="holds no checkpoint"):
        restore_model(tmp_path)
    (tmp_path / "model.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="damaged"):
        restore_model(tmp_path)


def damage(path, how):
    content = path.read_bytes()
    if how == "truncate":
        path.write_bytes(content[: len(content) // 2])
    elif how == "flip":
        altered = bytearray(content)
        altered[len(altered) // 2] ^= 0xFF
        path.write_bytes(bytes(altered))
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "delete":
        path.unlink()


@pytest.mark.parametrize("suffix", ["data-00000-of-00001", "index"])
@pytest.mark.parametrize("how", ["truncate", "flip", "empty", "delete"])
def test_a_damaged_newest_checkpoint_is_reported_and_the_previous_one_used(
    tmp_path, suffix, how
):
    good, newer = MLP(hidden=(32,), seed=1), MLP(hidden=(32,), seed=2)
    save_model(good, tmp_path)
    save_model(newer, tmp_path)
    damage(tmp_path / f"ckpt-2.{suffix}", how)
    notes = []
    restored = restore_model(tmp_path, log=notes.append)
    assert np.array_equal(restored(IMAGES).numpy(), good(IMAGES).numpy())
    assert (
        len(notes) == 1 and "ckpt-2" in notes[0] and "using ckpt-1" in notes[0]
    )


def test_when_every_checkpoint_is_damaged_the_user_is_told_what_to_do(
    tmp_path,
):
    save_model(MLP(hidden=(8,)), tmp_path)
    damage(tmp_path / "ckpt-1.data-00000-of-00001", "flip")
    with pytest.raises(
        CheckpointError, match="every checkpoint .* is damaged.*train again"
    ):
        restore_model(tmp_path)


def test_resumed_training_ends_exactly_where_an_uninterrupted_run_ends(
    tmp_path, small_data
):
    config = TrainConfig(
        hidden=(64,), epochs=3, keep_prob=0.8, limit=3000, validation_size=1000
    )
    straight = train(
        config,
        data=small_data,
        checkpoint_dir=tmp_path / "straight",
        log=quiet,
    )
    # Stop after one epoch (as a crash would), then run again with the same directory.
    train(
        replace(config, epochs=1),
        data=small_data,
        checkpoint_dir=tmp_path / "resumed",
        log=quiet,
    )
    messages = []
    resumed = train(
        config,
        data=small_data,
        checkpoint_dir=tmp_path / "resumed",
        log=messages.append,
    )
    assert resumed.resumed_from_epoch == 1
    assert any("resuming from ckpt-1" in m for m in messages)
    assert [row["valid_accuracy"] for row in resumed.history] == [
        row["valid_accuracy"] for row in straight.history
    ]
    for a, b in zip(
        straight.model.trainable_variables, resumed.model.trainable_variables
    ):
        assert np.array_equal(a.numpy(), b.numpy())
    assert resumed.test_loss == straight.test_loss
    assert trained_epochs(tmp_path / "resumed") == 3


def test_resuming_with_other_settings_is_refused_without_touching_the_run(
    tmp_path, small_data
):
    config = TrainConfig(
        hidden=(16,), epochs=1, limit=3000, validation_size=1000
    )
    train(config, data=small_data, checkpoint_dir=tmp_path, log=quiet)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(CheckpointError, match="learning_rate 0.001 -> 0.01"):
        train(
            replace(config, learning_rate=0.01),
            data=small_data,
            checkpoint_dir=tmp_path,
            log=quiet,
        )
    with pytest.raises(
        CheckpointError, match="holds a 784-16-10 model, not 784-32-10"
    ):
        train(
            replace(config, hidden=(32,)),
            data=small_data,
            checkpoint_dir=tmp_path,
            log=quiet,
        )
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_damaged_training_checkpoint_resumes_from_the_one_before(
    tmp_path, small_data
):
    config = TrainConfig(
        hidden=(16,), epochs=2, limit=3000, validation_size=1000
    )
    train(config, data=small_data, checkpoint_dir=tmp_path, log=quiet)
    damage(tmp_path / "ckpt-2.data-00000-of-00001", "flip")
    messages = []
    result = train(
        config, data=small_data, checkpoint_dir=tmp_path, log=messages.append
    )
    assert any("ckpt-2 is damaged" in m for m in messages)
    assert result.resumed_from_epoch == 1 and len(result.history) == 2
    shutil.rmtree(tmp_path)


def test_divergence_stops_training_and_keeps_the_last_good_checkpoint(
    tmp_path, small_data
):
    from snippets.train import TrainingDiverged

    config = TrainConfig(
        hidden=(16,), epochs=2, limit=3000, validation_size=1000
    )
    train(config, data=small_data, checkpoint_dir=tmp_path, log=quiet)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    poisoned = small_data.train_x.copy()
    poisoned[5, 5] = np.nan  # one bad pixel is enough to make the loss NaN
    with pytest.raises(TrainingDiverged, match="diverged at epoch 3"):
        train(
            replace(config, epochs=4),
            data=replace(small_data, train_x=poisoned),
            checkpoint_dir=tmp_path,
            log=quiet,
        )
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert {k: v for k, v in after.items() if k != "model.json"} == {
        k: v for k, v in before.items() if k != "model.json"
    }
    assert trained_epochs(tmp_path) == 2


def test_the_command_line_reports_divergence_in_one_line(tmp_path):
    completed = run_command(
        "train",
        "--optimizer",
        "sgd",
        "--learning-rate",
        "1e30",
        "--limit",
        "500",
        "--epochs",
        "1",
        "--checkpoint-dir",
        tmp_path,
    )
    assert completed.returncode == 1 and completed.stderr.startswith(
        "error: training diverged"
    )
    assert "lower --learning-rate" in completed.stderr and one_line_error(
        completed.stderr
    )


def test_quiz_a_checkpoint_holds_only_variable_values(tmp_path):
    """The save-and-restore chapter's quiz: widths, activation and dropout are not in it."""
    import tensorflow as tf

    prefix = save_model(MLP(hidden=(256,), keep_prob=0.5), tmp_path)
    names = [name for name, _ in tf.train.list_variables(prefix)]
    assert sorted(n for n in names if n.startswith("model/")) == [
        "model/biases/hidden_1/.ATTRIBUTES/VARIABLE_VALUE",
        "model/biases/out/.ATTRIBUTES/VARIABLE_VALUE",
        "model/weights/hidden_1/.ATTRIBUTES/VARIABLE_VALUE",
        "model/weights/out/.ATTRIBUTES/VARIABLE_VALUE",
    ]
    assert set(names) - {n for n in names if n.startswith("model/")} == {
        "_CHECKPOINTABLE_OBJECT_GRAPH",
        "save_counter/.ATTRIBUTES/VARIABLE_VALUE",
    }
    assert (
        json.loads((tmp_path / "model.json").read_text())["training"][
            "keep_prob"
        ]
        == 0.5
    )  # kept beside it


def test_a_relative_checkpoint_directory_works(
    tmp_path, monkeypatch, small_data
):
    monkeypatch.chdir(tmp_path)
    config = TrainConfig(
        hidden=(16,), epochs=2, limit=3000, validation_size=1000
    )
    trained = train(
        config, data=small_data, checkpoint_dir="runs/relative", log=quiet
    )
    assert all_checkpoints("runs/relative")[-1] == "runs/relative/ckpt-2"
    restored = restore_model("runs/relative")
    assert np.array_equal(
        restored(IMAGES).numpy(), trained.model(IMAGES).numpy()
    )
    resumed = train(
        replace(config, epochs=3),
        data=small_data,
        checkpoint_dir="runs/relative",
        log=quiet,
    )
    assert resumed.resumed_from_epoch == 2


# Figures ------------------------------------------------------------------------------------


def test_figures_are_on_the_page_with_alt_text_and_captions():
    figures = check_figures("save-restore", save_restore_figures)
    alt, caption = figures["save-restore-files"]
    assert f"the course's 784-{save_restore_figures.HIDDEN[0]}-10" in caption
    assert len(save_restore_figures.HIDDEN) == 1 and "four files" in alt
    alt, caption = figures["save-restore-training"]
    assert (
        f"a one-epoch run of a 784-{save_restore_figures.TRAINED[0]}-10"
        in caption
    )
    assert (
        save_restore_figures.EPOCHS == 1
        and len(save_restore_figures.TRAINED) == 1
    )


def test_files_figure_lists_the_real_files_and_variables_of_a_save(drawn):
    data = drawn("save-restore-files")
    files = dict(data["files"])
    assert sorted(files) == [
        "checkpoint",
        "ckpt-1.data-00000-of-00001",
        "ckpt-1.index",
        "model.json",
    ]
    entries = {name: (shape, count) for name, shape, count in data["entries"]}
    assert entries == {
        "model/weights/hidden_1": ((784, 256), 200704),
        "model/weights/out": ((256, 10), 2560),
        "model/biases/hidden_1": ((256,), 256),
        "model/biases/out": ((10,), 10),
        "save_counter": ((), 1),
    }
    # The data file is the values, 4 bytes each, and "nearly all" are the first layer's.
    values = parameter_count(save_restore_figures.HIDDEN) + 1
    assert sum(count for _, count in entries.values()) == values
    assert (
        4 * values <= files["ckpt-1.data-00000-of-00001"] < 4 * values + 1000
    )
    assert entries["model/weights/hidden_1"][1] / values > 0.98
    assert max(files, key=files.get) == "ckpt-1.data-00000-of-00001"


def test_training_figure_holds_everything_a_resumed_run_needs(drawn):
    data = drawn("save-restore-training")
    groups = data["groups"]
    assert sorted(groups) == sorted(save_restore_figures.DESCRIPTIONS)
    shapes = {
        group: sorted(shape for _, shape, _ in items)
        for group, items in groups.items()
    }
    model_shapes = sorted([(784, 16), (16, 10), (16,), (10,)])
    assert shapes["model"] == shapes["best"] == model_shapes
    # Adam: two averages of every weight's shape, plus the step counter and the rate.
    assert shapes["optimizer"] == sorted(model_shapes * 2 + [(), ()])
    values = {
        group: sum(count for _, _, count in items)
        for group, items in groups.items()
    }
    assert values["optimizer"] == 2 * values["model"] + 2
    assert values["history"] == 0  # Python state, not a tensor
    assert data["counters"] == {
        "epoch": save_restore_figures.EPOCHS,
        "optimizer/_iterations": data["steps"] * save_restore_figures.EPOCHS,
        "save_counter": save_restore_figures.EPOCHS,
    }
    assert data["steps"] == data["train_images"] // save_restore_figures.BATCH


# Same in Keras ------------------------------------------------------------------------------


def test_keras_files_bring_back_the_network_that_was_saved(tmp_path):
    """A hand-written MLP saved and restored, then through each Keras format: the same logits."""
    assert keras_tabs("save-restore") == ["keras_checkpoints"]
    x, y = random_batch(rows=32, seed=2)
    scratch = MLP(hidden=(32,), seed=7)
    save_model(scratch, tmp_path / "ours")
    restored = restore_model(tmp_path / "ours")
    model = set_weights_from(restored, mlp((32,)))
    loaded = save_and_load(model, tmp_path / "mlp.keras")
    assert [layer.name for layer in loaded.layers] == [
        "hidden_1",
        "out",
    ]  # rebuilt from the file alone
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), scratch(x).numpy(), rtol=1e-6, atol=1e-6
    )
    export_for_serving(loaded, tmp_path / "served")
    served = tf.saved_model.load(str(tmp_path / "served"))
    np.testing.assert_allclose(
        served.serve(x).numpy(), scratch(x).numpy(), rtol=1e-6, atol=1e-6
    )
    # During fit: one whole model per epoch, the last one the model fit ended with.
    batch = SimpleNamespace(train_x=x, train_y=y, valid_x=x, valid_y=y)
    compile_and_fit(
        model,
        batch,
        epochs=2,
        batch_size=16,
        callbacks=[checkpoint_every_epoch(tmp_path / "fit")],
    )
    assert sorted(path.name for path in (tmp_path / "fit").iterdir()) == [
        "epoch-01.keras",
        "epoch-02.keras",
    ]
    last = keras.models.load_model(tmp_path / "fit" / "epoch-02.keras")
    assert (
        int(last.optimizer.iterations) == 4
    )  # the optimizer's state came back too
    np.testing.assert_allclose(
        last.predict(x, verbose=0),
        model.predict(x, verbose=0),
        rtol=1e-6,
        atol=1e-6,
    )


# Exercises ----------------------------------------------------------------------------------


def test_exercises_pass_with_the_worked_solutions_and_give_hints_on_the_starter():
    from helpers import check_exercises

    check_exercises("save-restore")


def test_the_save_restore_checks_catch_wrong_answers():
    from snippets.exercises import Wrong
    from snippets.exercises import save_restore as checks

    def direct_write(
        path, chunks
    ):  # truncates the old file before the failure
        with open(path, "wb") as file:
            file.writelines(chunks)

    def sorted_as_text(names):
        indexes = sorted(
            name[: -len(".index")] for name in names if name.endswith(".index")
        )
        return indexes[-1] if indexes else None

    for check, answer in [
        (checks.check_write_atomically, direct_write),
        (checks.check_newest_complete, sorted_as_text),
    ]:
        with pytest.raises(Wrong):
            check(answer)


def test_the_newest_complete_reference_on_the_cases():
    from snippets.exercises.save_restore import CASES, newest_complete

    assert [newest_complete(names) for names in CASES] == [
        "ckpt-1",
        "ckpt-2",
        "ckpt-10",
        "ckpt-3",
        "ckpt-5",
        "ckpt-7",
        "ckpt-2",
        None,
        None,
    ]


def test_the_page_names_each_file_one_way():
    # ckpt-N.index is "the index"; the small `checkpoint` file is "the state file", never
    # the index, so that a reader who meets either word knows which file is meant.
    import re

    from helpers import page

    text = " ".join(page("save-restore").split())
    assert "| `ckpt-1.index` | the *index*:" in text
    assert "| `checkpoint` | the *state file*:" in text
    assert not re.search(r"\bindex (?:names?|naming|file)\b", text)
    assert (
        "`checkpoint` index" not in text
        and "the `checkpoint` state file" in text
    )
    # How long training takes is read from the acceptance runs, not typed.
    assert "takes a minute" not in text and '"seconds"' in text
