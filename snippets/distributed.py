"""More than one device: which devices, which machines, and the tf.distribute strategy
that trains on them. ``train_on_devices`` wraps the lesson's training loop
(snippets/train.py) for them; each replica's step is in snippets/data_parallel.py.

``MirroredStrategy`` trains on the devices of one machine, ``MultiWorkerMirroredStrategy``
on several machines. On a machine without GPUs, the CPU can be split into logical devices:
they share the same cores, so they prove the code correct, not fast.

Several machines only on a private, trusted network: TensorFlow's server for
``MultiWorkerMirroredStrategy`` listens on every network the machine is on, whatever
address ``--workers`` gives, and has no authentication, so anyone who can reach its port
can run code there. On one machine, ``--devices`` needs no server at all.

Run it as a script to train 20 steps on 1, 2 and 4 logical CPUs and compare the weights:

    python -m snippets.distributed
"""

import contextlib
import ipaddress
import json
import os
import socket
import sys
import time

import numpy as np
import tensorflow as tf

from snippets.common import ExplainedError
from snippets.data import load_dataset
from snippets.data_parallel import is_chief, make_replicated_train_step
from snippets.train import build, train, train_with

# Splitting a CPU into more logical devices than this proves nothing more, and each one
# costs memory and start-up time.
MAX_LOGICAL_CPUS = 8
# How long a worker waits for the others to answer before it gives up (seconds).
WORKER_TIMEOUT = 60.0


class DeviceError(ExplainedError):
    """The devices or workers asked for are not there."""


# --8<-- [start:devices]
def use_devices(count):
    """The names of ``count`` devices to train on: GPUs where the machine has
    them, else the CPU split into ``count`` logical devices.

    TensorFlow fixes its devices when it first runs an op, so this must come
    before any training; after that, it uses the logical CPUs already there.
    """
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        if count > len(gpus):
            raise DeviceError(
                f"{count} devices asked for, but this machine has "
                f"{len(gpus)} GPU{'s' if len(gpus) > 1 else ''}"
            )
        return [f"/gpu:{index}" for index in range(count)]
    if count > MAX_LOGICAL_CPUS:
        raise DeviceError(
            f"{count} devices asked for, but this machine has no GPU, and its "
            f"CPU is split into at most {MAX_LOGICAL_CPUS} logical devices"
        )
    cpu = tf.config.list_physical_devices("CPU")[0]
    split = tf.config.get_logical_device_configuration(cpu) or [None]
    if count <= len(split):  # split already, into enough devices
        return [f"/cpu:{index}" for index in range(count)]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * count
        )
    except RuntimeError:  # TensorFlow has started: use what it has
        available = len(tf.config.list_logical_devices("CPU"))
        if count > available:
            raise DeviceError(
                f"{count} devices asked for, but TensorFlow started with "
                f"{available} CPU device{'s' if available > 1 else ''}; ask "
                "for them before anything else runs"
            ) from None
    return [f"/cpu:{index}" for index in range(count)]


# --8<-- [end:devices]


@contextlib.contextmanager
def lost_workers_reported():
    """A worker that dies mid-run makes the others' next all-reduce fail after
    the collective timeout: say so in one line instead of a traceback."""
    try:
        yield
    except (
        tf.errors.UnavailableError,
        tf.errors.DeadlineExceededError,
        tf.errors.CancelledError,
    ) as error:
        raise DeviceError(
            "a worker stopped answering during training "
            f"({type(error).__name__}); the last complete epoch's "
            "checkpoint is kept: start every worker again with the same command "
            "to resume"
        ) from None


def all_devices():
    """Every GPU; on a machine without one, the CPU, which already uses every
    core as one device."""
    return max(1, len(tf.config.list_physical_devices("GPU")))


# --8<-- [start:tf_config]
def tf_config(workers, index):
    """The ``TF_CONFIG`` that tells worker ``index`` of the cluster ``workers``
    (``host:port`` strings) who its peers are. Worker 0 is the chief: it alone
    writes checkpoints."""
    return {
        "cluster": {"worker": list(workers)},
        "task": {"type": "worker", "index": index},
    }


# --8<-- [end:tf_config]


def handshake_socket(workers, index):
    """The socket worker ``index`` meets the others on: on its own address
    and port from ``workers`` only, not on every network the machine is on.
    """
    hosts = [worker.rpartition(":")[0].strip("[]") for worker in workers]
    host, port = hosts[index], workers[index].rpartition(":")[2]
    # Debian's /etc/hosts names the machine 127.0.1.1: a name that means the
    # loopback here, and the network to the others, would shut them out.
    if loopback(host) and not all(map(loopback, hosts)):
        raise DeviceError(
            f"{workers[index]} is a loopback address on this machine, which "
            "the other workers cannot reach; give its network address in "
            "workers",
            settings=("workers",),
        )
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # [::1]
    try:
        return socket.create_server(
            (host, int(port)), family=family, reuse_port=False
        )
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else error
        raise DeviceError(
            f"cannot listen on {workers[index]} ({reason}); workers must "
            "give this machine's own address and a free port at "
            f"worker_index={index}",
            settings=("workers", "worker_index"),
        ) from None


def loopback(host):
    """True if ``host`` is this machine's loopback address (127.x, ::1)."""
    try:
        address = socket.getaddrinfo(host, None)[0][4][0]
        return ipaddress.ip_address(address).is_loopback
    except (OSError, ValueError):
        return False


def wait_for_workers(workers, index, timeout=WORKER_TIMEOUT):
    """Return once every worker of the cluster is up; a DeviceError naming the
    missing ones after ``timeout`` seconds.

    TensorFlow's MultiWorkerMirroredStrategy waits for its peers without a
    time limit, so the workers meet here first. Each listens on its own port
    and calls every other one; it goes on once it has reached them all and
    all have reached it. The port is then free for TensorFlow's server.
    """
    peers = {i: w for i, w in enumerate(workers) if i != index}
    reached, reached_by = set(), set()
    deadline = time.monotonic() + timeout
    with handshake_socket(workers, index) as server:
        server.settimeout(0.2)
        while reached != set(peers) or reached_by != set(peers):
            if time.monotonic() > deadline:
                missing = sorted(set(peers) - (reached & reached_by))
                raise DeviceError(
                    f"worker {', '.join(peers[i] for i in missing)} did not "
                    f"answer within {timeout:g} s; start the same command "
                    "there with its own worker_index, or check the host and "
                    "port",
                    settings=("worker_index",),
                )
            for i in set(peers) - reached:
                peer_host, _, peer_port = peers[i].rpartition(":")
                try:
                    with socket.create_connection(
                        (peer_host, int(peer_port)), timeout=0.5
                    ) as connection:
                        connection.sendall(f"{index}\n".encode())
                    reached.add(i)
                except OSError:
                    pass  # not listening yet
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(1.0)
                try:
                    text = connection.recv(16).decode().strip()
                except OSError:
                    continue
                if text.isdigit() and int(text) in peers:
                    reached_by.add(int(text))


# --8<-- [start:strategy]
def mirrored(devices):
    """A MirroredStrategy over ``devices``. GPUs sum their gradients with NCCL,
    TensorFlow's default; logical CPUs send them to the first one, which sums
    them and sends the sum back (they share one memory, so this is cheap)."""
    if devices[0].startswith("/cpu"):
        return tf.distribute.MirroredStrategy(
            devices, cross_device_ops=tf.distribute.ReductionToOneDevice()
        )
    return tf.distribute.MirroredStrategy(devices)


def make_strategy(
    devices=None, workers=None, worker_index=0, timeout=WORKER_TIMEOUT
):
    """The tf.distribute strategy for a run, or None for one device.

    ``devices``: a count, or "all". ``workers``: ``host:port`` strings, one per
    machine; this process is worker ``worker_index`` among them.
    """
    if workers:
        wait_for_workers(workers, worker_index, timeout)
        os.environ["TF_CONFIG"] = json.dumps(tf_config(workers, worker_index))
        # Collectives that wait longer than this fail instead of hanging.
        options = tf.distribute.experimental.CommunicationOptions(
            timeout_seconds=timeout
        )
        return tf.distribute.MultiWorkerMirroredStrategy(
            communication_options=options
        )
    count = all_devices() if devices == "all" else devices
    if count is None or count == 1:
        return None  # TensorFlow's default: the GPU if there is one
    return mirrored(use_devices(count))


def train_on_devices(
    strategy,
    config,
    data=None,
    checkpoint_dir=None,
    log=print,
    init_from=None,
    logdir=None,
):
    """``train.train`` on every device of ``strategy``; with None, ``train``
    itself, on one device.

    Two things change, and the epochs, checkpoints and early stopping stay as
    they are: the model and the optimizer are made in the strategy's scope,
    which gives every device a copy of each variable, and each step runs on
    every replica. Only the chief of a cluster writes checkpoints.
    """
    if strategy is None:
        return train(config, data, checkpoint_dir, log, init_from, logdir)
    if data is None:
        data = load_dataset(config.validation_size, config.limit)
    with strategy.scope():
        model, optimizer = build(config, data, init_from)
    train_step = make_replicated_train_step(
        strategy, model, optimizer, config.l2
    )
    return train_with(
        train_step,
        model,
        optimizer,
        data,
        config,
        checkpoint_dir,
        log,
        write_checkpoints=is_chief(strategy),
        logdir=logdir,
    )


# --8<-- [end:strategy]


# --8<-- [start:compare]
def weights_after_training(config, data, device_counts):
    """{count: the trained weights, as one flat array} for training ``config``
    on each number of devices, from the same seed and the same batches."""
    devices = use_devices(max(device_counts))
    weights = {}
    for count in device_counts:
        strategy = mirrored(devices[:count]) if count > 1 else None
        result = train_on_devices(
            strategy, config, data, log=lambda message: None
        )
        weights[count] = np.concatenate(
            [v.numpy().ravel() for v in result.model.trainable_variables]
        )
    return weights


# --8<-- [end:compare]


def main():
    from snippets.config import TrainConfig

    # 20 steps of 100 examples, no dropout: the steps are the same on any count
    config = TrainConfig(epochs=1, batch_size=100, limit=2000)
    data = load_dataset(config.validation_size, config.limit)
    weights = weights_after_training(config, data, [1, 2, 4])
    for count in (2, 4):
        difference = np.max(np.abs(weights[count] - weights[1]))
        print(
            f"{count} devices: largest difference from 1 device "
            f"{difference:.1e}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
