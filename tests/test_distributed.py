"""Tests of snippets/distributed.py, shown on the page "More than one device"
(docs/distributed.md).

The pytest workers split the CPU into four logical devices before any op runs
(tests/conftest.py), so MirroredStrategy runs here in the test's own process. A cluster of
workers needs processes of its own: those tests start them from the warm Python, each with
a bounded wait, and kill them whatever happens.
"""

import hashlib
import json
from dataclasses import replace

import numpy as np
import pytest

from helpers import (
    ROOT,
    check_exercises,
    check_figures,
    free_ports,
    one_line_error,
    quiet,
    run_command,
)
from snippets.config import TrainConfig

# 20 steps of 100 examples, no dropout: the same arithmetic on any number of devices, up to
# the order in which the replicas' gradients are summed.
TWENTY_STEPS = TrainConfig(
    epochs=1, batch_size=100, limit=2000, keep_prob=1.0, validation_size=1000
)
TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def twenty_steps_data():
    from snippets.data import load_dataset

    return load_dataset(TWENTY_STEPS.validation_size, TWENTY_STEPS.limit)


def flat_weights(model):
    return np.concatenate(
        [v.numpy().ravel() for v in model.trainable_variables]
    )


def test_sgd_with_l2_and_an_uneven_batch_trains_the_same_weights_on_one_and_four_devices():
    """The page shows Adam on one, two and four devices. Here: plain gradient descent with
    an L2 penalty, which must count once, not once per replica, and batches that do not
    split evenly on four devices (99 rows, and a last batch of 74)."""
    from snippets.data import load_dataset
    from snippets.distributed import weights_after_training

    config = replace(
        TWENTY_STEPS,
        optimizer="sgd",
        learning_rate=0.1,
        l2=1e-3,
        limit=470,
        batch_size=99,
    )
    data = load_dataset(config.validation_size, config.limit)
    weights = weights_after_training(config, data, [1, 4])
    from snippets.mlp import MLP

    start = flat_weights(MLP(config.hidden))
    assert np.max(np.abs(weights[1] - start)) > 0.01  # it trained
    assert np.max(np.abs(weights[4] - weights[1])) < TOLERANCE


def test_the_batch_is_split_in_order_among_the_replicas():
    from snippets.data_parallel import split_batch
    from snippets.distributed import mirrored, use_devices

    strategy = mirrored(use_devices(3))
    (parts,) = split_batch(strategy, np.arange(10))
    slices = [
        np.asarray(part).tolist()
        for part in strategy.experimental_local_results(parts)
    ]
    assert slices == [[0, 1, 2], [3, 4, 5], [6, 7, 8, 9]]


def test_checkpoints_move_between_device_counts(tmp_path, twenty_steps_data):
    """Written on two devices, resumed on one; written on one, resumed on two: each ends
    where an uninterrupted run on one device ends (two epochs of five steps)."""
    from snippets.distributed import mirrored, train_on_devices, use_devices
    from snippets.train import train

    devices = use_devices(2)
    config = replace(TWENTY_STEPS, epochs=2, limit=500)
    data = replace(
        twenty_steps_data,
        train_x=twenty_steps_data.train_x[:500],
        train_y=twenty_steps_data.train_y[:500],
    )
    whole = flat_weights(train(config, data, log=quiet).model)
    for first, then in ((2, 1), (1, 2)):
        folder = tmp_path / f"{first}-then-{then}"
        strategies = {
            count: mirrored(devices[:count]) if count > 1 else None
            for count in (first, then)
        }
        train_on_devices(
            strategies[first],
            replace(config, epochs=1),
            data,
            folder,
            log=quiet,
        )
        resumed = train_on_devices(
            strategies[then], config, data, folder, log=quiet
        )
        assert resumed.resumed_from_epoch == 1 and len(resumed.history) == 2
        assert (
            np.max(np.abs(flat_weights(resumed.model) - whole)) < TOLERANCE
        ), (first, then)


def test_the_lessons_train_knows_no_strategy_and_the_wrapper_without_one_is_train(
    twenty_steps_data,
):
    """snippets/train.py trains on one device; train_on_devices wraps it, and with no
    strategy it is train itself, weight for weight."""
    import inspect

    from snippets.distributed import train_on_devices
    from snippets.train import train

    assert "strategy" not in inspect.signature(train).parameters
    plain = train(TWENTY_STEPS, twenty_steps_data, log=quiet)
    wrapped = train_on_devices(
        None, TWENTY_STEPS, twenty_steps_data, log=quiet
    )
    np.testing.assert_array_equal(
        flat_weights(plain.model), flat_weights(wrapped.model)
    )
    assert [row["valid_accuracy"] for row in wrapped.history] == [
        row["valid_accuracy"] for row in plain.history
    ]


def folder_digest(folder):
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.iterdir())
    }


@pytest.fixture(scope="module")
def trained_folder(tmp_path_factory):
    """A checkpoint folder with one finished epoch, for the mistakes to leave alone."""
    folder = tmp_path_factory.mktemp("distributed") / "run"
    finished = run_command(
        "train", "--epochs", "1", "--limit", "500", "--checkpoint-dir", folder
    )
    assert finished.returncode == 0, finished.stderr
    return folder


@pytest.mark.parametrize(
    "arguments, status, words",
    [
        (["--devices", "9"], 1, "at most 8 logical devices"),
        (["--devices", "0"], 2, "must be at least 1"),
        (["--devices", "two"], 2, "--devices"),
        (
            ["--devices", "3"],
            2,
            "--batch-size 64 does not split evenly among 3 replicas",
        ),
        (
            ["--workers", "localhost", "--worker-index", "0"],
            2,
            "is not host:port",
        ),
        (
            ["--workers", "a:1,b:99999", "--worker-index", "0"],
            2,
            "is not host:port",
        ),
        (["--workers", "a:1,a:1", "--worker-index", "0"], 2, "named twice"),
        (["--workers", "a:1,b:2"], 2, "needs this machine's --worker-index"),
        (["--worker-index", "1"], 2, "--worker-index goes with --workers"),
        (
            ["--workers", "a:1,b:2", "--worker-index", "2"],
            2,
            "not a place in --workers",
        ),
        (
            ["--workers", "a:1,b:2", "--worker-index", "0", "--devices", "2"],
            2,
            "--devices goes without",
        ),
        (["--fast", "--devices", "2"], 2, "--fast trains on one device"),
    ],
)
def test_device_mistakes_get_one_line_and_damage_nothing(
    arguments, status, words, trained_folder
):
    before = folder_digest(trained_folder)
    finished = run_command(
        "train",
        "--epochs",
        "2",
        "--limit",
        "500",
        "--checkpoint-dir",
        trained_folder,
        *arguments,
    )
    assert finished.returncode == status
    assert words in finished.stderr and one_line_error(finished.stderr), (
        finished.stderr
    )
    assert folder_digest(trained_folder) == before


WORKER_ARGUMENTS = [
    "--epochs",
    "1",
    "--limit",
    "2000",
    "--batch-size",
    "100",
    "--keep-prob",
    "1",
]


def test_an_unreachable_worker_ends_the_run_in_one_line(
    warm_python, trained_folder
):
    ports = free_ports(2)
    before = folder_digest(trained_folder)
    process = warm_python.popen(
        [
            "-m",
            "snippets",
            "train",
            "--workers",
            f"127.0.0.1:{ports[0]},127.0.0.1:{ports[1]}",
            "--worker-index",
            "0",
            "--worker-timeout",
            "2",
            "--epochs",
            "2",
            "--limit",
            "500",
            "--checkpoint-dir",
            trained_folder,
        ],
        cwd=ROOT,
    )
    try:
        _, stderr = process.communicate(120)
    finally:
        process.kill()
    assert process.returncode == 1
    assert f"worker 127.0.0.1:{ports[1]} did not answer within 2 s" in stderr
    assert (
        "start the same command there with its own --worker-index" in stderr
    )  # the library's worker_index
    assert one_line_error(stderr), stderr
    assert folder_digest(trained_folder) == before


def test_two_workers_train_what_one_device_trains_and_only_the_chief_writes(
    warm_python, tmp_path, twenty_steps_data
):
    from snippets.checkpoint import restore_model
    from snippets.train import train

    workers = ",".join(f"127.0.0.1:{port}" for port in free_ports(2))
    processes = [
        warm_python.popen(
            [
                "-m",
                "snippets",
                "train",
                "--workers",
                workers,
                "--worker-index",
                str(index),
                "--worker-timeout",
                "60",
                *WORKER_ARGUMENTS,
                "--checkpoint-dir",
                tmp_path / f"worker{index}",
            ],
            cwd=ROOT,
        )
        for index in (0, 1)
    ]
    try:
        outputs = [process.communicate(180) for process in processes]
    finally:
        for process in processes:
            process.kill()
    for process, (stdout, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr
    reports = [json.loads(stdout.splitlines()[-1]) for stdout, _ in outputs]
    assert reports[0]["test_accuracy"] == reports[1]["test_accuracy"]
    assert "worker 0 saves them" in outputs[1][0]
    assert (tmp_path / "worker0" / "ckpt-1.index").is_file()
    assert not (tmp_path / "worker1").exists()
    single = train(
        replace(TWENTY_STEPS, keep_prob=1.0, schedule="cosine", patience=20),
        twenty_steps_data,
        log=quiet,
    )
    chief = restore_model(tmp_path / "worker0")
    assert (
        np.max(np.abs(flat_weights(chief) - flat_weights(single.model)))
        < TOLERANCE
    )


def test_keras_fit_on_one_and_two_devices_gives_the_same_weights(
    twenty_steps_data,
):
    import keras
    import tensorflow as tf

    from snippets.distributed import mirrored, use_devices
    from snippets.in_keras import fit_on_devices

    devices = use_devices(4)
    keras.utils.set_random_seed(0)
    from snippets.in_keras import mlp

    start = np.concatenate([w.ravel() for w in mlp().get_weights()])
    weights = {}
    for count in (1, 2):
        keras.utils.set_random_seed(
            0
        )  # the same initial weights and order each time
        strategy = (
            mirrored(devices[:count])
            if count > 1
            else tf.distribute.get_strategy()
        )
        model = fit_on_devices(strategy, twenty_steps_data, batch_size=100)
        weights[count] = np.concatenate(
            [w.ravel() for w in model.get_weights()]
        )
    assert (
        np.max(np.abs(weights[1] - start)) > 0.01
    )  # it trained, from the same start
    assert np.max(np.abs(weights[2] - weights[1])) < TOLERANCE


def test_exercises_pass_with_the_worked_solutions_and_give_hints_on_the_starter():
    check_exercises("distributed")


# Figures ------------------------------------------------------------------------------------

from figures import distributed as distributed_figures


def test_figures_are_on_the_page_with_alt_text_and_captions():
    check_figures("distributed", distributed_figures)


def test_the_replicas_gradients_add_up_to_one_devices(drawn):
    data = drawn("distributed-data-parallel")
    assert data["bounds"] == [
        (0, data["batch"] // 2),
        (data["batch"] // 2, data["batch"]),
    ]
    assert data["largest_difference"] < 1e-6
    assert data["sum_norm"] == pytest.approx(data["whole_norm"], rel=1e-5)
    # two halves of one gradient: each is smaller than the whole, and they differ
    assert all(norm < data["sum_norm"] for norm in data["replica_norms"])
    assert data["replica_norms"][0] != pytest.approx(
        data["replica_norms"][1], rel=1e-3
    )


def test_the_cost_figure_shows_the_committed_benchmark(drawn):
    data = drawn("distributed-step-cost")
    report = json.loads((ROOT / "benchmarks" / "distributed.json").read_text())
    assert data["step_ms"] == {int(k): v for k, v in report["step_ms"].items()}
    assert sorted(data["all_reduce_ms"]) == [2, 4]
    assert all(
        0 < data["all_reduce_ms"][n] < data["step_ms"][n] for n in (2, 4)
    )
