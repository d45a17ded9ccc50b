"""The report: the measured phases summed up as one Results, and its tables.

``summarize`` turns what bench.py measured (the peak, the Keras runs, ours, the
levers, the fresh processes) into the headline figures of ``Results``;
``print_tables`` prints them for a reader at the terminal.
"""

import statistics
from dataclasses import asdict, replace

from benchmarks.baseline import after_the_first, compiled_epochs
from benchmarks.peak import step_products
from benchmarks.results import Flops, Probe, Results
from snippets.fast import BFLOAT16_MUST_BE_FASTER_BY
from snippets.uncertainty import seed_spread

COUNTED = (
    "matrix products only: forward x W per layer, backward a^T dz per layer "
    "and dz W^T per layer but the first (the data needs no gradient); 2 FLOPs "
    "per multiply-add"
)


def fastest_seed(runs, seeds):
    """The seed of ``runs`` (KerasRuns) that reached the target soonest, or
    the first seed where none did."""
    reached = [s for s in seeds if runs[s].seconds_to_target is not None]
    if not reached:
        return seeds[0]
    return min(reached, key=lambda seed: runs[seed].seconds_to_target)


def ratio(ours, theirs):
    return ours / theirs if ours and theirs else None


def summarize(m):
    """A Results from ``m``, the namespace of what bench.py measured."""
    baselines, recipes, ours = m.baselines, m.recipes, m.ours
    fastest = fastest_seed(baselines, list(baselines))
    recipe_seed = fastest_seed(recipes, list(recipes))
    baseline = baselines[fastest]
    ours_epochs = [
        seconds
        for run in ours.values()
        for seconds in after_the_first(run.epoch_seconds)
    ]
    # Achieved FLOP/s: the median of every compiled epoch of our seeds' runs
    # (not the best one).
    ours_median_epoch = statistics.median(ours_epochs)
    ours_gflops = m.flops / ours_median_epoch / 1e9
    best_peak = max(m.peak, m.peak_bf16)
    best_at_shapes = max(m.at_shapes.values())

    # Per compiled epoch, the three trainers are compared by their best epoch
    # after the first, over all their seeds, as the lever table compares its
    # rows: other programs can only slow an epoch down, and a run of two
    # epochs has a single compiled epoch per seed.
    def best_epoch(runs):
        return min(
            seconds
            for run in runs.values()
            for seconds in compiled_epochs(run.history)
        )

    keras_epoch, recipe_epoch = best_epoch(baselines), best_epoch(recipes)
    ours_epoch = min(ours_epochs)
    reached = all(m.test_accuracy[s] >= m.target for s in ours)
    ours_seconds = max(m.seconds[s] for s in ours) if reached else None
    recipe_seconds = recipes[recipe_seed].seconds_to_target
    chosen = m.chosen
    return Results(
        generation=m.machine.generation,
        provenance="every number measured by this run, on this machine",
        target_accuracy=m.target,
        # the fastest of the Keras seeds
        baseline_seconds_to_98=baseline.seconds_to_target,
        baseline_epochs_to_98=baseline.epochs_to_target,
        baseline_seed=fastest,
        # the slowest of our seeds, each of which must reach the target
        ours_seconds_to_98=ours_seconds,
        ours_epochs_to_98=m.config.epochs if reached else None,
        ratio_vs_keras=ratio(ours_seconds, baseline.seconds_to_target),
        keras_same_recipe_seconds_to_98=recipe_seconds,
        keras_same_recipe_epochs_to_98=recipes[recipe_seed].epochs_to_target,
        keras_same_recipe_seed=recipe_seed,
        ratio_vs_keras_same_recipe=ratio(ours_seconds, recipe_seconds),
        # per compiled epoch: the best of all seeds' epochs after the first
        keras_seconds_per_epoch=keras_epoch,
        keras_same_recipe_seconds_per_epoch=recipe_epoch,
        ratio_vs_keras_per_epoch=ours_epoch / keras_epoch,
        ratio_vs_keras_same_recipe_per_epoch=ours_epoch / recipe_epoch,
        keras_same_recipe_policy="mixed_bfloat16"
        if chosen == "bfloat16"
        else "float32",
        compute_dtype_probe=Probe(
            chosen, m.reason, m.step_seconds, BFLOAT16_MUST_BE_FASTER_BY
        ),
        ours_gflops=ours_gflops,
        matmul_peak_gflops=m.peak,
        fraction_of_matmul_peak=ours_gflops / m.peak,
        bf16_matmul_peak_gflops=m.peak_bf16,
        fraction_of_bf16_matmul_peak=ours_gflops / m.peak_bf16,
        best_matmul_peak_gflops=best_peak,
        fraction_of_best_matmul_peak=ours_gflops / best_peak,
        matmul_gflops_at_epoch_shapes=m.at_shapes,
        best_matmul_gflops_at_epoch_shapes=best_at_shapes,
        fraction_of_matmul_peak_at_epoch_shapes=ours_gflops / best_at_shapes,
        epoch_shapes=[
            list(product)
            for product in step_products(m.config.batch_size, m.layer_sizes)
        ],
        matmul_gflops_by_size=m.peak_by_size,
        ours_test_accuracy_by_seed=by_seed(m.test_accuracy),
        ours_valid_accuracy_by_seed=by_seed(
            {s: run.valid_accuracy for s, run in ours.items()}
        ),
        ours_seconds_by_seed=by_seed(m.seconds),
        ours_epoch_seconds_by_seed=by_seed(
            {s: run.epoch_seconds for s, run in ours.items()}
        ),
        # the part of each seed's seconds before its first epoch
        ours_building_seconds_by_seed=by_seed(
            {s: run.building_seconds for s, run in ours.items()}
        ),
        ours_seconds_per_epoch=ours_epoch,
        # the median compiled epoch, which ours_gflops is computed from
        ours_median_seconds_per_epoch=ours_median_epoch,
        ours_compile_seconds=statistics.median(
            run.compile_seconds for run in ours.values()
        ),
        ours_config=m.config,
        baseline_by_seed=by_seed(baselines),
        keras_same_recipe_by_seed=by_seed(recipes),
        flops=Flops(m.flops, m.examples_per_epoch, COUNTED),
        arithmetic_limit_seconds_per_epoch={
            "float32": m.flops / m.peak / 1e9,
            "bfloat16": m.flops / m.peak_bf16 / 1e9,
        },
        levers=m.levers,
        lever_noise=m.noise,
        # the seeds whose spread it is: all of ours but the first
        lever_noise_seeds=[str(seed) for seed in list(ours)[1:]],
        # the configuration the kept levers add up to, and where it differs
        # from what the fast trainer runs (with the probe's choice)
        levers_final_config=m.final,
        # FAST's schedule at twice its batch, for its epochs and one more
        larger_batch=m.larger,
        levers_differ_from_fast_in=sorted(
            key
            for key, value in asdict(m.final).items()
            if value != asdict(replace(m.config, compute_dtype=chosen))[key]
        ),
        threads=m.threads,
        whole_process=m.whole,
        machine=m.machine,
        quick=m.quick,
        bench_seconds=m.bench_seconds,
        step_parts=m.step_parts,
        xla_cache=m.xla_cache,
    )


def by_seed(values):
    """{seed: value} with the seeds as strings, as the JSON file keys them."""
    return {str(seed): value for seed, value in values.items()}


def number(value, digits=2):
    return "-" if value is None else f"{value:.{digits}f}"


def print_tables(results):
    r = results
    print()
    print(f"{'':36} {'s to 98 %':>10} {'epochs':>7} {'s/epoch':>8}")
    for name, seconds, epochs, per_epoch in (
        (
            "Keras model.fit (baseline)",
            r.baseline_seconds_to_98,
            r.baseline_epochs_to_98,
            r.keras_seconds_per_epoch,
        ),
        (
            "Keras with our recipe",
            r.keras_same_recipe_seconds_to_98,
            r.keras_same_recipe_epochs_to_98,
            r.keras_same_recipe_seconds_per_epoch,
        ),
        (
            "snippets/fast.py (slowest seed)",
            r.ours_seconds_to_98,
            r.ours_epochs_to_98,
            r.ours_seconds_per_epoch,
        ),
    ):
        print(
            f"{name:36} {number(seconds):>10} {epochs or '-':>7} "
            f"{number(per_epoch, 3):>8}"
        )
    print(
        f"ratio_vs_keras {number(r.ratio_vs_keras, 3)} "
        f"(per epoch {number(r.ratio_vs_keras_per_epoch, 3)}); "
        "ratio_vs_keras_same_recipe "
        f"{number(r.ratio_vs_keras_same_recipe, 3)} (per epoch "
        f"{number(r.ratio_vs_keras_same_recipe_per_epoch, 3)})"
    )
    whole = r.whole_process
    if whole:
        print(
            f"whole process, start-up included: {whole.keras_script} "
            f"{whole.keras_script_seconds:.1f} s, {whole.ours} "
            f"{whole.ours_seconds:.1f} s, ratio {whole.ratio:.3f} (import "
            f"tensorflow alone {whole.import_tensorflow_seconds:.1f} s)"
        )
        if whole.ours_schedule_seconds is not None:
            print(
                f"ours, part by part: TensorFlow's start-up "
                f"{whole.tensorflow_start_up_seconds:.2f} s, the schedule "
                f"{whole.ours_schedule_seconds:.2f} s, the rest "
                f"{whole.rest_of_ours():.2f} s"
            )
    print(f"probe: {r.compute_dtype_probe.reason}")
    print(
        f"{r.ours_gflops:.1f} GFLOP/s in an epoch: "
        f"{r.fraction_of_best_matmul_peak:.2f} of the best matmul peak "
        f"({r.best_matmul_peak_gflops:.1f} GFLOP/s), "
        f"{r.fraction_of_matmul_peak_at_epoch_shapes:.2f} of the peak at "
        f"the epoch's shapes ({r.best_matmul_gflops_at_epoch_shapes:.1f} "
        "GFLOP/s)"
    )
    print()
    print_levers(r)
    if r.step_parts:
        print_step_parts(r.step_parts)


def print_levers(r):
    print(
        f"{'lever':36} {'s/epoch':>8} {'compile':>8} {'total':>7} "
        f"{'epochs':>7} {'valid acc':>10} kept"
    )
    rows = (
        [(row.name, row) for row in r.levers]
        + [
            (f"intra-op threads {row.intra_op_threads}", row)
            for row in r.threads
        ]
        + [
            (f"XLA, compilation cache {row.cache}", row)
            for row in r.xla_cache or []
        ]
    )
    for name, row in rows:
        kept = {True: "yes", False: "no", None: ""}[getattr(row, "kept", None)]
        print(
            f"{name:36} {number(row.seconds_per_epoch, 3):>8} "
            f"{number(row.compile_seconds):>8} "
            f"{number(row.total_seconds):>7} {row.epochs:>7} "
            f"{number(row.valid_accuracy, 4):>10} {kept}"
        )
    noise_seeds = r.lever_noise_seeds
    first_seed = next(iter(r.ours_seconds_by_seed))
    noise_from = (
        f"how far apart the runs of seeds {', '.join(noise_seeds)} ended; "
        f"seed {first_seed}, which also pays the start-up, left out"
        if noise_seeds
        else "the least noise: one seed, none after it to compare"
    )
    by_accuracy = [row.name for row in r.levers if row.judged_by == "accuracy"]
    print(
        "kept: the whole run was shorter than the last kept row's by more "
        f"than {r.lever_noise:.0%} (the noise of this run, {noise_from}), "
        f"or, for a lever judged by accuracy ({', '.join(by_accuracy)}), the "
        "validation accuracy over the seeds higher by more than two standard "
        "errors; inside that noise such a lever is kept only if its run is "
        "no longer by more than the noise"
    )
    for index, row in enumerate(r.levers):
        if row.judged_by != "accuracy":
            continue
        before = next(
            b for b in reversed(r.levers[2:index]) if b.kept is not False
        )
        new, old = (
            seed_spread(b.valid_accuracy_by_seed) for b in (row, before)
        )
        print(
            f"{row.name}: validation {new} against {old}: "
            f"{row.accuracy_verdict}"
        )
    for run in r.larger_batch.runs:
        spread = seed_spread(list(run.valid_accuracy_by_seed.values()))
        median = statistics.median(run.seconds_by_seed.values())
        print(
            f"batch {run.batch_size}, {run.epochs} epochs: "
            f"validation {spread}, median {median:.2f} s"
        )
    if r.levers_differ_from_fast_in:
        print(
            "the kept levers differ from what the fast trainer runs in: "
            + ", ".join(r.levers_differ_from_fast_in)
        )
    print()


def print_step_parts(parts):
    """Milliseconds per step of each part, a column per type of the products."""
    types = list(parts.milliseconds)
    print(f"{'part of a step (ms)':36} " + " ".join(f"{t:>9}" for t in types))
    for part in parts.milliseconds[types[0]]:
        row = " ".join(f"{parts.milliseconds[t][part]:>9.3f}" for t in types)
        print(f"{part:36} {row}")
