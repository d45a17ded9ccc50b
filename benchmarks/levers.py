"""The levers: each row adds one change to the fast trainer's configuration.

``lever_rows`` measures them one at a time, from the chapter's recipe made into a
compiled step to the fast trainer, and keeps a lever only where it helped in
this run (``helped``); ``larger_batch`` sets the fast schedule beside the next
larger batch over the same seeds.
"""

import time
from dataclasses import replace

import numpy as np

from benchmarks.baseline import epoch_times
from benchmarks.results import (
    FastRun,
    LargerBatch,
    LargerBatchRun,
    LeverRow,
)
from snippets.fast import FAST, train_fast
from snippets.train import TrainConfig, train
from snippets.uncertainty import seed_spread, separated

# Seeds: ours runs five, and its slowest seed is the one that counts.
OUR_SEEDS = (0, 1, 2, 3, 4)

# Each lever adds one change to the configuration of the last kept row. The first
# row is the chapter's recipe (batch 128, Adam at a constant 1e-3, float32) made
# into a compiled step fed from tensors in memory: the starting point. The last
# entry of each lever says what it is for, and so how ``helped`` judges it:
# "time" (the whole run, compilation included, is what the race times) or
# "accuracy" (the validation accuracy it ends with, over our seeds; it is not
# meant to cost time, and is kept only if it does not where it does not raise
# the accuracy beyond the seeds' noise).
LEVERS = [
    (
        "compiled step, tensors in memory",
        (
            "one tf.function call per mini-batch from a Python loop; batch 128, "
            "Adam 1e-3 written as tensor ops, float32"
        ),
        {
            "batch_size": 128,
            "schedule": "constant",
            "learning_rate": 1e-3,
            "label_smoothing": 0.0,
            "adam_beta2": 0.999,
            "compute_dtype": "float32",
            "fused_adam": False,
            "whole_epoch": False,
            "jit_compile": False,
        },
        None,
    ),
    (
        "whole epoch in one call",
        "a tf.while_loop over the batches inside one graph",
        {"whole_epoch": True},
        "time",
    ),
    (
        "fused Adam",
        "tf.raw_ops.ResourceApplyAdam: one kernel per variable",
        {"fused_adam": True},
        "time",
    ),
    (
        "XLA",
        "jit_compile=True on the epoch's graph",
        {"jit_compile": True},
        "time",
    ),
    (
        "batch 256, warm-up and decay",
        "2x fewer steps; Adam's rate rises to 1e-2, then falls to 0",
        {"batch_size": 256, "schedule": "warmup-decay", "learning_rate": 1e-2},
        "time",
    ),
    (
        "label smoothing",
        "targets 0.91 / 0.01 instead of 1 / 0",
        {"label_smoothing": 0.1},
        "accuracy",
    ),
    (
        "Adam's beta2 0.95",
        "squared gradients averaged over about 20 steps, not 1,000",
        {"adam_beta2": 0.95},
        "accuracy",
    ),
    (
        "bfloat16 products",
        "matrix products in bfloat16, float32 weights and loss",
        {"compute_dtype": "bfloat16"},
        "time",
    ),
    (
        "XLA, again",
        "jit_compile=True on the final configuration",
        {"jit_compile": True},
        "time",
    ),
]
# Timings on a shared machine wobble by a few percent between identical runs;
# a lever must beat the row before by more than that to count as a help.
LEAST_NOISE = 0.02


def lever_noise(seconds):
    """The noise of this run, a fraction: how far apart our seeds' whole runs
    ended (seeds change the order of the data, not the arithmetic), at least
    LEAST_NOISE. ``seconds``: each seed's run, in the order they ran.

    The first seed is left out. It is the process's first fast run and also
    pays one-off start-up (kernel set-up, the first tracing), which the other
    seeds and the lever rows do not; counting it would inflate the margin and
    turn down levers that clearly helped. Its time is still reported, and
    still counts for ours_seconds_to_98.
    """
    later = list(seconds)[1:]
    if not later:  # a quick run: one seed
        return LEAST_NOISE
    return max(LEAST_NOISE, (max(later) - min(later)) / min(later))


# --8<-- [start:helped]
def accuracy_verdict(row, before):
    """How the validation accuracy of a lever's row compares with the row it
    changed, over the same seeds: "higher" or "lower" where the means differ
    by more than two standard errors of their difference, else "no
    difference detected"."""
    new, old = (seed_spread(r.valid_accuracy_by_seed) for r in (row, before))
    if not separated(new, old):
        return "no difference detected"
    return "higher" if new.mean > old.mean else "lower"


def helped(row, before, judged_by, noise):
    """Did this lever's row beat the row it changed, in this run?

    "time": its whole run was shorter by more than ``noise`` (a fraction);
    "accuracy": its validation accuracy over the seeds was higher beyond
    their noise; a lever inside that noise is kept only if it costs no
    time: its whole run no longer than the row before's by more than
    ``noise``.
    """
    if judged_by == "time":
        return row.total_seconds < (1 - noise) * before.total_seconds
    if judged_by == "accuracy":
        verdict = accuracy_verdict(row, before)
        if verdict == "no difference detected":
            limit = (1 + noise) * before.total_seconds
            return row.total_seconds <= limit
        return verdict == "higher"
    raise ValueError(f"unknown judgement {judged_by!r}")


# --8<-- [end:helped]


def quiet(message):
    pass


def measure_fast(config, data, seed=0):
    """One run of train_fast: its timings and the validation accuracy it ends
    with (a FastRun), and train_fast's result.
    """
    started = time.perf_counter()
    result = train_fast(replace(config, seed=seed), data, log=quiet)
    # train_fast's own clock starts once its trainer is built (the data as
    # tensors, the model, the probe) and stops after the test accuracy, which
    # Keras' clock pauses for. The race's clock is Keras': building plus the
    # schedule up to the end of the last epoch. The lever rows compare the
    # schedules alone: building is the same for every row, and on a machine
    # that is slow to hand out fresh memory it only adds noise.
    building = time.perf_counter() - started - result.seconds
    durations = [row["epoch_seconds"] for row in result.history]
    run = FastRun(
        **epoch_times(durations),
        epoch_seconds=durations,
        building_seconds=building,
        total_seconds=result.history[-1]["seconds"],
        epochs=len(durations),
        valid_accuracy=result.history[-1].get("valid_accuracy"),
    )
    return run, result


def valid_accuracy_by_seed(row, config, data, seeds):
    """The validation accuracy of ``row``'s configuration for every seed of
    ``seeds``: the first is the row's own run, the others are run here (once:
    a row compared twice keeps its list)."""
    if row.valid_accuracy_by_seed is None:
        row.valid_accuracy_by_seed = [row.valid_accuracy] + [
            measure_fast(config, data, seed=seed)[0].valid_accuracy
            for seed in seeds[1:]
        ]


def judge(row, before, config, candidate, data, seeds, noise):
    """Whether ``row`` (``candidate``) is kept against ``before`` (the row of
    ``config``), over ``seeds`` where it is judged by accuracy."""
    if row.judged_by == "accuracy":
        valid_accuracy_by_seed(before, config, data, seeds)
        valid_accuracy_by_seed(row, candidate, data, seeds)
        row.accuracy_verdict = accuracy_verdict(row, before)
    return (
        None if before is None else helped(row, before, row.judged_by, noise)
    )


def lever_rows(data, epochs, baseline, noise, seeds=OUR_SEEDS):
    """The lever table: the Keras and chapter references, then one change per
    row. Every row's time is its run with seeds[0]; a lever judged by
    accuracy, and the row it changes, also run the other seeds.
    ``baseline``: the fastest Keras seed's KerasRun.
    """
    rows = [
        LeverRow(
            name="Keras model.fit (baseline)",
            change="Sequential, Adam 1e-3, batch 128",
            kept=None,
            seconds_per_epoch=baseline.seconds_per_epoch,
            compile_seconds=baseline.compile_seconds,
            total_seconds=baseline.history[-1].seconds,
            epochs=len(baseline.history),
            valid_accuracy=None,
        )
    ]
    chapter = train(
        TrainConfig(epochs=2, validation_size=len(data.valid_x)),
        # its batches are NumPy arrays, sliced on the Python side
        data=replace(data, train_x=np.asarray(data.train_x)),
        log=quiet,
    )
    seconds = [row["seconds"] for row in chapter.history]
    rows.append(
        LeverRow(
            name="the chapter's trainer",
            change="snippets/train.py: NumPy batches, a tf.function step, "
            "Keras Adam",
            kept=None,
            epochs=2,
            valid_accuracy=chapter.history[-1]["valid_accuracy"],
            total_seconds=chapter.seconds,
            **epoch_times(np.diff([0.0, *seconds])),
        )
    )
    config = replace(FAST, epochs=epochs)
    before = None  # the row of the configuration each lever changes
    for name, change, changes, judged_by in LEVERS:
        candidate = replace(config, **changes)
        measured, _ = measure_fast(candidate, data, seed=seeds[0])
        row = LeverRow(
            name=name,
            change=change,
            judged_by=judged_by,
            kept=None,
            **vars(measured),
        )
        row.kept = judge(row, before, config, candidate, data, seeds, noise)
        rows.append(row)
        if row.kept is not False:  # the starting point, or a help
            config, before = candidate, row
    return rows, config


def larger_batch(data, config, seeds):
    """``config`` beside the next larger batch, twice its batch, for its
    epochs and for one more, over ``seeds``: each run's validation accuracy
    and its seconds (building and schedule, as ours are timed). The three run
    one seed each in turn, so that a machine busy with other work slows them
    alike."""
    runs = [
        LargerBatchRun(batch, epochs, {}, {})
        for batch, epochs in (
            (config.batch_size, config.epochs),
            (2 * config.batch_size, config.epochs),
            (2 * config.batch_size, config.epochs + 1),
        )
    ]
    for seed in seeds:
        for run in runs:
            candidate = replace(
                config, batch_size=run.batch_size, epochs=run.epochs
            )
            measured, _ = measure_fast(candidate, data, seed=seed)
            run.valid_accuracy_by_seed[str(seed)] = measured.valid_accuracy
            run.seconds_by_seed[str(seed)] = (
                measured.building_seconds + measured.total_seconds
            )
    return LargerBatch(runs)
