"""Tests of snippets/distributed.py, shown on the page "More than one device"
(docs/distributed.md).

The pytest workers split the CPU into four logical devices before any op runs
(tests/conftest.py), so MirroredStrategy runs here in the test's own process. A cluster of
workers needs processes of its own: those tests start them from the warm Python, each with
a bounded wait, and kill them whatever happens.
"""

import hashlib
import json
import socket
from dataclasses import replace

import numpy as np
import pytest

from helpers import ROOT, one_line_error, quiet, run_command
from snippets.config import TrainConfig

# 20 steps of 100 examples, no dropout: the same arithmetic on any number of devices, up to
# the order in which the replicas' gradients are summed.
TWENTY_STEPS = TrainConfig(epochs=1, batch_size=100, limit=2000, keep_prob=1.0,
                           validation_size=1000)
TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def twenty_steps_data():
    from snippets.data import load_dataset

    return load_dataset(TWENTY_STEPS.validation_size, TWENTY_STEPS.limit)


def flat_weights(model):
    return np.concatenate([v.numpy().ravel() for v in model.trainable_variables])


@pytest.mark.parametrize("config", [
    TWENTY_STEPS,
    # plain gradient descent with an L2 penalty: the penalty must count once, not once per
    # replica, and a batch that does not split evenly (the last, 50 rows on 3 devices)
    replace(TWENTY_STEPS, optimizer="sgd", learning_rate=0.1, l2=1e-3, limit=1950,
            batch_size=99),
], ids=["adam", "sgd-l2-uneven"])
def test_one_two_and_four_devices_train_the_same_weights(config, twenty_steps_data):
    from snippets.distributed import weights_after_training

    data = twenty_steps_data
    if config.limit != TWENTY_STEPS.limit:
        from snippets.data import load_dataset

        data = load_dataset(config.validation_size, config.limit)
    weights = weights_after_training(config, data, [1, 2, 3, 4])
    start = flat_weights(__import__("snippets.mlp", fromlist=["MLP"]).MLP(config.hidden))
    assert np.max(np.abs(weights[1] - start)) > 0.01  # it trained
    for count in (2, 3, 4):
        assert np.max(np.abs(weights[count] - weights[1])) < TOLERANCE, count


def test_the_batch_is_split_in_order_among_the_replicas():
    from snippets.data_parallel import split_batch
    from snippets.distributed import mirrored, use_devices

    strategy = mirrored(use_devices(3))
    (parts,) = split_batch(strategy, np.arange(10))
    slices = [np.asarray(part).tolist() for part in strategy.experimental_local_results(parts)]
    assert slices == [[0, 1, 2], [3, 4, 5], [6, 7, 8, 9]]


def test_dropout_draws_other_masks_on_each_replica(twenty_steps_data):
    """With dropout each replica drops its own units: the run differs from one device's,
    and is repeatable."""
    from snippets.distributed import weights_after_training

    config = replace(TWENTY_STEPS, keep_prob=0.5)
    first = weights_after_training(config, twenty_steps_data, [1, 2])
    again = weights_after_training(config, twenty_steps_data, [2])
    assert np.max(np.abs(first[2] - first[1])) > 1e-3
    np.testing.assert_array_equal(again[2], first[2])


@pytest.mark.parametrize("first, then", [(2, 1), (1, 4)])
def test_a_checkpoint_from_n_devices_resumes_on_m(first, then, tmp_path, twenty_steps_data):
    from snippets.distributed import mirrored, use_devices
    from snippets.train import train

    devices = use_devices(4)

    def on(count):
        return mirrored(devices[:count]) if count > 1 else None

    config = replace(TWENTY_STEPS, epochs=2)
    whole = train(config, twenty_steps_data, log=quiet)
    train(replace(config, epochs=1), twenty_steps_data, tmp_path, log=quiet, strategy=on(first))
    resumed = train(config, twenty_steps_data, tmp_path, log=quiet, strategy=on(then))
    assert resumed.resumed_from_epoch == 1 and len(resumed.history) == 2
    assert np.max(np.abs(flat_weights(resumed.model) - flat_weights(whole.model))) < TOLERANCE


def test_train_on_two_devices_then_evaluate_on_one(tmp_path):
    folder = tmp_path / "run"
    trained = run_command("train", "--devices", "2", "--epochs", "1", "--limit", "5000",
                          "--checkpoint-dir", folder)
    assert trained.returncode == 0, trained.stderr
    assert "on 2 replicas, 32 examples each per step" in trained.stdout
    report = json.loads(trained.stdout.splitlines()[-1])
    assert report["test_accuracy"] > 0.8
    evaluated = run_command("evaluate", "--checkpoint-dir", folder)
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout.splitlines()[-1])["test_accuracy"] == report["test_accuracy"]


def folder_digest(folder):
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def trained_folder(tmp_path_factory):
    """A checkpoint folder with one finished epoch, for the mistakes to leave alone."""
    folder = tmp_path_factory.mktemp("distributed") / "run"
    finished = run_command("train", "--epochs", "1", "--limit", "500", "--checkpoint-dir", folder)
    assert finished.returncode == 0, finished.stderr
    return folder


@pytest.mark.parametrize("arguments, status, words", [
    (["--devices", "9"], 1, "at most 8 logical devices"),
    (["--devices", "0"], 2, "must be at least 1"),
    (["--devices", "two"], 2, "--devices"),
    (["--devices", "3"], 2, "--batch-size 64 does not split evenly among 3 replicas"),
    (["--workers", "localhost", "--worker-index", "0"], 2, "is not host:port"),
    (["--workers", "a:1,b:99999", "--worker-index", "0"], 2, "is not host:port"),
    (["--workers", "a:1,a:1", "--worker-index", "0"], 2, "named twice"),
    (["--workers", "a:1,b:2"], 2, "needs this machine's --worker-index"),
    (["--worker-index", "1"], 2, "--worker-index goes with --workers"),
    (["--workers", "a:1,b:2", "--worker-index", "2"], 2, "not a place in --workers"),
    (["--workers", "a:1,b:2", "--worker-index", "0", "--devices", "2"], 2, "--devices goes without"),
    (["--fast", "--devices", "2"], 2, "--fast trains on one device"),
])
def test_device_mistakes_get_one_line_and_damage_nothing(arguments, status, words,
                                                        trained_folder):
    before = folder_digest(trained_folder)
    finished = run_command("train", "--epochs", "2", "--limit", "500",
                           "--checkpoint-dir", trained_folder, *arguments)
    assert finished.returncode == status
    assert words in finished.stderr and one_line_error(finished.stderr), finished.stderr
    assert folder_digest(trained_folder) == before


def free_ports(count):
    """Ports that nothing listens on now (the system picks them)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


WORKER_ARGUMENTS = ["--epochs", "1", "--limit", "2000", "--batch-size", "100", "--keep-prob", "1"]


def test_an_unreachable_worker_ends_the_run_in_one_line(warm_python, trained_folder):
    ports = free_ports(2)
    before = folder_digest(trained_folder)
    process = warm_python.popen(
        ["-m", "snippets", "train", "--workers", f"127.0.0.1:{ports[0]},127.0.0.1:{ports[1]}",
         "--worker-index", "0", "--worker-timeout", "2", "--epochs", "2", "--limit", "500",
         "--checkpoint-dir", trained_folder], cwd=ROOT)
    try:
        _, stderr = process.communicate(120)
    finally:
        process.kill()
    assert process.returncode == 1
    assert f"worker 127.0.0.1:{ports[1]} did not answer within 2 s" in stderr
    assert one_line_error(stderr), stderr
    assert folder_digest(trained_folder) == before


def test_two_workers_train_what_one_device_trains_and_only_the_chief_writes(
        warm_python, tmp_path, twenty_steps_data):
    from snippets.checkpoint import restore_model
    from snippets.train import train

    workers = ",".join(f"127.0.0.1:{port}" for port in free_ports(2))
    processes = [
        warm_python.popen(["-m", "snippets", "train", "--workers", workers, "--worker-index",
                           str(index), "--worker-timeout", "60", *WORKER_ARGUMENTS,
                           "--checkpoint-dir", tmp_path / f"worker{index}"], cwd=ROOT)
        for index in (0, 1)]
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
    single = train(replace(TWENTY_STEPS, keep_prob=1.0, schedule="cosine", patience=20),
                   twenty_steps_data, log=quiet)
    chief = restore_model(tmp_path / "worker0")
    assert np.max(np.abs(flat_weights(chief) - flat_weights(single.model))) < TOLERANCE


