"""TensorBoard logs (`--logdir`, snippets/summaries.py): what the event files hold, read back
the way TensorBoard reads them, for the chapter trainer, the fast trainer and finetune; a
folder that cannot hold them; and the screenshot on the system page.
"""

import json
import math
import struct
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing.event_accumulator import (
    EventAccumulator,
)

from helpers import ROOT, one_line_error, page, quiet, run_command
from snippets.checkpoint import latest_checkpoint
from snippets.config import FAST, TrainConfig
from snippets.fast import learning_rate_at, train_fast
from snippets.train import evaluate, train

SCREENSHOT = ROOT / "docs" / "assets" / "tensorboard-scalars.png"


def read_logs(logdir):
    """{run: {tag: {epoch: value}}} of a --logdir, read as TensorBoard's backend reads it."""
    logs = {}
    for run in ("train", "validation"):
        accumulator = EventAccumulator(
            str(Path(logdir) / run), size_guidance={"tensors": 0}
        )
        accumulator.Reload()
        logs[run] = {
            tag: {
                event.step: tf.make_ndarray(event.tensor_proto)
                for event in accumulator.Tensors(tag)
            }
            for tag in accumulator.Tags()["tensors"]
        }
    return logs


def assert_logs_hold_history(logs, history):
    """Each epoch's losses and validation accuracy are the history's (as float32, as stored)."""
    epochs = [row["epoch"] for row in history]
    for run, tag, key in [
        ("train", "epoch_loss", "train_loss"),
        ("validation", "epoch_loss", "valid_loss"),
        ("validation", "epoch_accuracy", "valid_accuracy"),
    ]:
        assert sorted(logs[run][tag]) == epochs, (run, tag)
        for row in history:
            assert logs[run][tag][row["epoch"]] == np.float32(row[key]), (
                run,
                tag,
                row["epoch"],
            )
    assert (
        sorted(logs["train"]["epoch_accuracy"])
        == sorted(logs["train"]["epoch_learning_rate"])
        == epochs
    )


def assert_histograms_of_every_layer(logs, model, epochs):
    """Weights and biases of every layer, every epoch; the last one counts each number once."""
    for layer, weights, bias in model.layers():
        for name, variable in [
            (f"weights/{layer}", weights),
            (f"biases/{layer}", bias),
        ]:
            assert sorted(logs["train"][name]) == epochs, name
            buckets = logs["train"][name][
                epochs[-1]
            ]  # rows of (left edge, right edge, count)
            assert buckets.shape[1] == 3 and buckets[:, 2].sum() == np.prod(
                variable.shape
            ), name


def test_the_chapter_trainer_logs_its_history_learning_rate_and_layers(
    tmp_path, small_data
):
    # a cosine schedule, so that the logged rate changes from epoch to epoch
    config = TrainConfig(
        hidden=(32, 16),
        epochs=3,
        batch_size=100,
        schedule="cosine",
        limit=3000,
        validation_size=1000,
    )
    result = train(config, small_data, log=quiet, logdir=tmp_path)
    logs = read_logs(tmp_path)
    assert_logs_hold_history(logs, result.history)
    steps = math.ceil(len(small_data.train_x) / config.batch_size)
    total = config.epochs * steps
    for epoch, rate in logs["train"]["epoch_learning_rate"].items():
        expected = (
            config.learning_rate
            * 0.5
            * (1 + math.cos(math.pi * epoch * steps / total))
        )
        assert rate == pytest.approx(expected, rel=1e-5, abs=1e-9)
    # the returned model is the best epoch's: its training accuracy is the one logged then
    trained = evaluate(result.model, small_data.train_x, small_data.train_y)[1]
    assert logs["train"]["epoch_accuracy"][result.best_epoch] == np.float32(
        trained
    )
    assert_histograms_of_every_layer(logs, result.model, [1, 2, 3])


def test_the_fast_trainer_logs_through_the_same_loop(tmp_path, small_data):
    config = replace(FAST, epochs=2, batch_size=128, learning_rate=5e-3)
    result = train_fast(config, small_data, log=quiet, logdir=tmp_path)
    logs = read_logs(tmp_path)
    assert_logs_hold_history(logs, result.history)
    steps = len(small_data.train_x) // config.batch_size
    for epoch, rate in logs["train"]["epoch_learning_rate"].items():
        expected = learning_rate_at(
            epoch * steps,
            config.epochs * steps,
            config.learning_rate,
            config.warmup_fraction,
            config.schedule,
        )
        assert rate == np.float32(expected)
    assert (
        logs["train"]["epoch_learning_rate"][1] > 0
        and logs["train"]["epoch_learning_rate"][2] == 0
    )  # decayed
    last = evaluate(result.model, small_data.train_x, small_data.train_y)[
        1
    ]  # the last epoch's model
    assert logs["train"]["epoch_accuracy"][2] == np.float32(last)
    assert_histograms_of_every_layer(logs, result.model, [1, 2])


def checkpoint_history(checkpoint_dir):
    """The history rows a run's newest checkpoint holds (snippets.train.History)."""
    reader = tf.train.load_checkpoint(latest_checkpoint(checkpoint_dir))
    return json.loads(reader.get_tensor("history/.ATTRIBUTES/py_state"))


def test_train_and_finetune_log_from_the_command_line_and_logdir_is_no_setting(
    tmp_path,
):
    source = tmp_path / "source"
    first = run_command(
        "train",
        "--hidden",
        "32",
        "--limit",
        "600",
        "--epochs",
        "1",
        "--checkpoint-dir",
        source,
        "--logdir",
        tmp_path / "logs-a",
    )
    assert first.returncode == 0, first.stderr
    # resumed with another log folder: the same run, one more epoch, logged in the new folder
    resumed = run_command(
        "train",
        "--hidden",
        "32",
        "--limit",
        "600",
        "--epochs",
        "2",
        "--checkpoint-dir",
        source,
        "--logdir",
        tmp_path / "logs-b",
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from ckpt-1" in resumed.stdout
    assert (
        "logdir" not in json.loads(resumed.stdout.splitlines()[-1])["config"]
    )
    assert "logdir" not in (source / "model.json").read_text(encoding="utf-8")
    history = checkpoint_history(source)
    assert_logs_hold_history(read_logs(tmp_path / "logs-a"), history[:1])
    assert_logs_hold_history(read_logs(tmp_path / "logs-b"), history[1:])

    tuned = tmp_path / "tuned"
    finetuned = run_command(
        "finetune",
        "--from",
        source,
        "--checkpoint-dir",
        tuned,
        "--hidden",
        "32",
        "16",
        "--new-head",
        "--limit",
        "600",
        "--epochs",
        "2",
        "--logdir",
        tmp_path / "logs-tuned",
    )
    assert finetuned.returncode == 0, finetuned.stderr
    logs = read_logs(tmp_path / "logs-tuned")
    assert_logs_hold_history(logs, checkpoint_history(tuned))
    assert sorted(
        name for name in logs["train"] if name.startswith("weights/")
    ) == ["weights/hidden_1", "weights/hidden_2", "weights/out"]


def test_the_best_preset_logs_from_the_command_line(tmp_path):
    """`--preset best` runs the fast trainer from the command line, as `--fast` does."""
    completed = run_command(
        "train",
        "--preset",
        "best",
        "--epochs",
        "1",
        "--limit",
        "600",
        "--checkpoint-dir",
        tmp_path / "run",
        "--logdir",
        tmp_path / "logs",
    )
    assert completed.returncode == 0, completed.stderr
    logs = read_logs(tmp_path / "logs")
    assert_logs_hold_history(logs, checkpoint_history(tmp_path / "run"))
    assert sorted(
        name for name in logs["train"] if name.startswith("weights/")
    ) == ["weights/hidden_1", "weights/hidden_2", "weights/out"]


@pytest.mark.parametrize(
    "command",
    [
        ["train", "--limit", "600", "--epochs", "1"],
        ["train", "--fast"],
        ["finetune", "--from", "runs/none", "--limit", "600", "--epochs", "1"],
    ],
)
def test_a_logdir_that_cannot_be_written_is_one_line_and_nothing_trains(
    tmp_path, command
):
    (tmp_path / "taken").write_text("a file, not a folder")
    for logdir, words in [
        (tmp_path / "taken", "a file stands where a folder should be"),
        (
            tmp_path / "taken" / "logs",
            "a file stands where a folder should be",
        ),
        (Path("/sys"), "cannot use /sys:"),
    ]:  # no one may write there, root included
        completed = run_command(
            *command, "--checkpoint-dir", tmp_path / "run", "--logdir", logdir
        )
        assert completed.returncode == 1 and one_line_error(
            completed.stderr
        ), completed.stderr
        assert (
            completed.stderr.startswith("error: TensorBoard logs: cannot use")
            and words in completed.stderr
        )
        assert (
            completed.stdout == "" and not (tmp_path / "run").exists()
        )  # nothing started


def test_the_system_page_shows_a_screenshot_of_tensorboard():
    text = page("system")
    assert "tensorboard --logdir" in text
    assert "](assets/tensorboard-scalars.png)" in text
    data = SCREENSHOT.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) < 300_000
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 800 and height >= 400


def test_the_built_system_page_shows_the_screenshot(built_site):
    html = (built_site / "system" / "index.html").read_text(encoding="utf-8")
    assert 'src="../assets/tensorboard-scalars.png"' in html
    assert (
        built_site / "assets" / "tensorboard-scalars.png"
    ).read_bytes() == SCREENSHOT.read_bytes()
