"""The whole process: runs in fresh processes, start-up included.

The thread probes (TensorFlow fixes its thread pools at start-up, so each
thread count needs a process of its own), XLA with its compilation cached
between processes, cold and warm (``xla_cache_probe``), and ``whole_process``: a plain Keras
script against ``python -m snippets train --fast``, and ``import tensorflow``
alone.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

import tensorflow as tf

from benchmarks.levers import measure_fast
from benchmarks.results import (
    ROOT,
    ThreadRow,
    WholeProcess,
    XlaCacheRow,
    build,
)
from snippets.data import load_dataset
from snippets.fast import FAST

BENCH = Path(__file__).resolve().with_name("bench.py")


def probe(arguments, limit, validation_size, epochs, environment=None):
    """One run of FAST (with ``arguments``: see ``run_probe``) timed in a
    fresh process by bench.py itself, as the JSON object it prints."""
    command = [
        sys.executable,
        str(BENCH),
        *arguments,
        "--validation-size",
        str(validation_size),
        "--epochs",
        str(epochs),
    ]
    if limit:
        command += ["--limit", str(limit)]
    finished = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=environment,
    )
    if finished.returncode != 0:
        raise RuntimeError(
            f"probe {' '.join(arguments)} failed: "
            f"{finished.stderr.strip().splitlines()[-1:]}"
        )
    return json.loads(finished.stdout.splitlines()[-1])


def thread_probe(
    threads, limit=None, validation_size=5000, epochs=FAST.epochs
):
    """Seconds per epoch of FAST in a fresh process whose TensorFlow uses
    ``threads`` threads.
    """
    row = probe(
        ["--probe-threads", str(threads)], limit, validation_size, epochs
    )
    return build(ThreadRow, row)


def xla_cache_probe(limit=None, validation_size=5000, epochs=FAST.epochs):
    """FAST under XLA in two fresh processes that share a new persistent
    compilation cache (TF_XLA_FLAGS' --tf_xla_persistent_cache_directory): the
    first compiles the epoch and stores it there (cold), the second finds it
    (warm). Both clocks start before the model is built, as in the race."""
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        flag = f"--tf_xla_persistent_cache_directory={cache}"
        environment = dict(os.environ, TF_XLA_FLAGS=flag)
        for state in ("cold", "warm"):
            row = probe(
                ["--probe-xla"], limit, validation_size, epochs, environment
            )
            rows.append(build(XlaCacheRow, dict(row, cache=state)))
    return rows


def run_timed(command, timeout=600):
    """Wall-clock seconds of ``command`` in a fresh process started in the
    project's root, start-up included, and the JSON object on the last line
    of its output (or None).
    """
    started = time.perf_counter()
    finished = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    seconds = time.perf_counter() - started
    if finished.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command[1:3])} failed: "
            f"{finished.stderr.strip().splitlines()[-1:]}"
        )
    last = finished.stdout.strip().splitlines()[-1:]
    return seconds, json.loads(last[0]) if last else None


# Ours and the imports run this many times each, and the median run counts:
# a single run here varied by up to a second, with the machine's memory.
WHOLE_PROCESS_RUNS = 3


def median_run(runs):
    """The (seconds, line) of ``run_timed`` whose seconds are the median."""
    return sorted(runs, key=lambda run: run[0])[len(runs) // 2]


def whole_process(keras_seed, keras_epochs):
    """The whole process, start-up included, each in a fresh process: a
    plain Keras script (benchmarks/plain_keras.py) trained for the epochs
    Keras' fastest seed needed, ``python -m snippets train --fast``, and
    ``import tensorflow`` alone, the start-up every TensorFlow program pays
    (once as a program of its own, and once ending as ours ends).
    """
    python = sys.executable
    # run from the project's root, so the commands read as a reader types them
    keras_arguments = [
        "benchmarks/plain_keras.py",
        "--seed",
        str(keras_seed),
        "--epochs",
        str(keras_epochs),
    ]
    keras_seconds, keras_line = run_timed([python, *keras_arguments])
    ours_arguments = ["-m", "snippets", "train", "--fast"]
    ours_runs = []
    for _ in range(WHOLE_PROCESS_RUNS):
        with tempfile.TemporaryDirectory() as folder:
            ours_runs.append(
                run_timed(
                    [python, *ours_arguments, "--checkpoint-dir", folder]
                )
            )
    ours_seconds, ours_line = median_run(ours_runs)
    import_seconds, _ = median_run(
        [
            run_timed([python, "-c", "import tensorflow"])
            for _ in range(WHOLE_PROCESS_RUNS)
        ]
    )
    # ours skips Python's teardown (snippets/__main__.py); so does this
    start_up_seconds, _ = median_run(
        [
            run_timed([python, "-c", "import os, tensorflow; os._exit(0)"])
            for _ in range(WHOLE_PROCESS_RUNS)
        ]
    )
    return WholeProcess(
        keras_script=" ".join(["python", *keras_arguments]),
        keras_script_seconds=keras_seconds,
        keras_script_test_accuracy=keras_line["test_accuracy"],
        ours=" ".join(["python", *ours_arguments]),
        ours_seconds=ours_seconds,
        ours_test_accuracy=ours_line["test_accuracy"],
        ratio=ours_seconds / keras_seconds,
        import_tensorflow_seconds=import_seconds,
        ours_schedule_seconds=ours_line["seconds"],
        tensorflow_start_up_seconds=start_up_seconds,
    )


def run_probe(args):
    """bench.py --probe-threads N or --probe-xla: one run of FAST, in this
    fresh process, printed as a JSON line."""
    config = replace(FAST, epochs=args.epochs)
    if args.probe_threads:
        tf.config.threading.set_intra_op_parallelism_threads(
            args.probe_threads
        )
        tf.config.threading.set_inter_op_parallelism_threads(1)
    if args.probe_xla:
        config = replace(config, jit_compile=True)
    data = load_dataset(validation_size=args.validation_size, limit=args.limit)
    measured, _ = measure_fast(config, data)
    row = asdict(measured)
    if args.probe_threads:
        row["intra_op_threads"] = args.probe_threads
    print(json.dumps(row))
