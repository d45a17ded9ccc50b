"""What more than one device costs: a training step of 784-256-10 on 1, 2 and 4 devices,
and the all-reduce of its gradients alone, in milliseconds.

    make bench-distributed      # about a minute; writes benchmarks/new/distributed.json

The chapter "More than one device" (docs/distributed.md) shows the file. On a machine
without GPUs the devices are logical CPU devices: they share the same cores, so more of
them cannot make a step faster. What the numbers show there is the price of the
machinery, the split of the batch, a replica's step on each device, and the all-reduce,
which a machine with several GPUs pays too and wins back by computing in parallel. On a
machine with GPUs, the same command measures them.
"""

import argparse
import datetime
import json
import statistics
import sys
import time
from pathlib import Path

from snippets.common import processor, quiet_tensorflow, write_atomically

# make promote commits it to benchmarks/distributed.json
OUTPUT = Path(__file__).resolve().parent / "new" / "distributed.json"
COUNTS = (1, 2, 4)
GLOBAL_BATCH = 128


def milliseconds_per_call(function, calls, repeats=5):
    """The median over ``repeats`` of the mean time of ``calls`` calls, in ms.
    ``function`` waits for its result, as the training loop does every step."""
    function()  # the first call traces and compiles
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(calls):
            function()
        times.append((time.perf_counter() - started) / calls * 1000)
    return statistics.median(times)


def make_all_reduce(strategy, variables):
    """A compiled all-reduce, on every replica, of tensors shaped like ``variables``."""
    import tensorflow as tf

    gradients = [tf.ones(v.shape) for v in variables]

    @tf.function
    def all_reduce():
        def replica_sum():
            context = tf.distribute.get_replica_context()
            return tf.reshape(context.all_reduce("SUM", gradients)[0], [-1])[0]

        return strategy.reduce("SUM", strategy.run(replica_sum), axis=None)

    return all_reduce


def measure(calls):
    import numpy as np
    import tensorflow as tf

    from snippets.data_parallel import make_replicated_train_step, split_batch
    from snippets.distributed import mirrored, use_devices
    from snippets.mlp import MLP
    from snippets.train import make_train_step

    devices = use_devices(max(COUNTS))
    rng = np.random.default_rng(0)
    x = rng.random((GLOBAL_BATCH, 784), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, GLOBAL_BATCH)]
    seed = tf.constant([0, 0], tf.int64)
    step_ms, all_reduce_ms, split_ms = {}, {}, {}
    for count in COUNTS:
        strategy = mirrored(devices[:count]) if count > 1 else None
        with (strategy or tf.distribute.get_strategy()).scope():
            model = MLP((256,))
            optimizer = tf.keras.optimizers.Adam(1e-3)
            optimizer.build(model.trainable_variables)
        if strategy is None:
            step = make_train_step(model, optimizer, 0.0)
        else:
            step = make_replicated_train_step(strategy, model, optimizer, 0.0)
        step_ms[count] = milliseconds_per_call(
            lambda step=step: float(step(x, y, seed)[0]), calls
        )
        if strategy is None:
            continue
        # cutting the global batch into slices, one per device (in Python, every step)
        split_ms[count] = milliseconds_per_call(
            lambda strategy=strategy: split_batch(strategy, x, y), calls
        )
        # the all-reduce alone: each replica holds gradients shaped like the model's
        all_reduce = make_all_reduce(strategy, model.trainable_variables)
        all_reduce_ms[count] = milliseconds_per_call(
            lambda all_reduce=all_reduce: float(all_reduce()), calls
        )
    return step_ms, all_reduce_ms, split_ms


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--calls", type=int, default=50, help="calls per timing (default 50)"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    if args.calls < 1:
        parser.error(f"--calls must be at least 1, got {args.calls}")
    tf = quiet_tensorflow()
    step_ms, all_reduce_ms, split_ms = measure(args.calls)
    gpus = len(tf.config.list_physical_devices("GPU"))
    report = {
        "date": datetime.date.today().isoformat(),
        "processor": processor(),
        "devices": f"{gpus} GPUs"
        if gpus
        else "logical CPU devices sharing the same cores",
        "global_batch": GLOBAL_BATCH,
        "step_ms": {str(count): round(ms, 3) for count, ms in step_ms.items()},
        "all_reduce_ms": {
            str(count): round(ms, 3) for count, ms in all_reduce_ms.items()
        },
        "split_ms": {
            str(count): round(ms, 3) for count, ms in split_ms.items()
        },
    }
    try:
        write_atomically(
            args.output, (json.dumps(report, indent=2) + "\n").encode()
        )
    except OSError as error:
        print(
            f"error: cannot write {args.output}: {error.strerror}",
            file=sys.stderr,
        )
        return 1
    for count in COUNTS:
        extra = (
            f", of which the split {split_ms[count]:.2f} ms and the all-reduce "
            f"{all_reduce_ms[count]:.2f} ms"
            if count > 1
            else ""
        )
        print(
            f"{count} device{'s' if count > 1 else ''}: {step_ms[count]:.2f} ms a step{extra}"
        )
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
