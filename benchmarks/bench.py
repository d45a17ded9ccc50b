"""Time to 98 % test accuracy: a plain Keras ``model.fit`` against snippets/fast.py, side by side.

    python benchmarks/bench.py          # or: make bench   (a few minutes)
    python benchmarks/bench.py --quick --output /tmp/r.json   # a tiny smoke run

One process measures, on identical data (the 55,000 training images of ``load_dataset()``):

1. the machine: float32 and bfloat16 matrix-product throughput (the best of 1024-, 2048- and
   4096-square products, each timed several times), the same at the epoch's own shapes
   (a batch by 784 times 784x256, and the step's other products), and the fast trainer's
   probe, which chooses float32 or bfloat16 products for this machine;
2. the baseline: Keras ``Sequential([Dense(256, relu), Dense(10)])``, Adam 1e-3, batch 128,
   data in memory; after every epoch the test accuracy is measured (with the clock paused)
   and the clock is read at the end of the first epoch that reaches 98.0 %;
3. the second baseline, Keras with our recipe: the same ``model.fit`` with FAST's batch,
   warm-up and decay, label smoothing and epochs, and mixed bfloat16 only where the probe
   chose bfloat16; measured like the first;
4. ours: ``train_fast`` with its fixed schedule for five seeds, 0 to 4 (``OUR_SEEDS``); the
   clock covers the whole schedule, the test accuracy is measured once, at the end, and the
   slowest seed is ours (every one of the five must reach 98.0 %); the Keras baselines run
   seeds 0, 1 and 2 (``KERAS_SEEDS``), as a Keras run takes many times longer;
5. the levers, one at a time: each row adds one change to the last kept row and reports the
   seconds per epoch, the compilation time and the validation accuracy it ends with; a
   lever is kept only if it helped in this run (``helped``): by more than the run's noise
   in time, or, for a lever judged by accuracy, by more than two standard errors of the
   validation accuracy over five seeds (inside that noise it is kept only if it costs no
   time); then the fast schedule beside the next larger batch, for its epochs and one
   more, over the same seeds (``larger_batch``); then one epoch under TensorFlow's
   profiler, its kernels summed by part, in float32 and bfloat16 products (parts.py);
6. the thread setting, and XLA with a compilation cache (cold, then warm), in fresh processes;
7. the whole process, start-up included, in fresh processes: a plain Keras script
   (benchmarks/plain_keras.py, the baseline's fastest seed for the epochs it needed) against
   ``python -m snippets train --fast``, and ``import tensorflow`` alone (``whole_process``;
   a quick run skips it).

``--rejudge RESULTS`` judges an earlier full run's levers by today's rule, measuring
accuracies only (``rejudge``): timings need a quiet machine, accuracies do not.

Both trainers' clocks start before their models are built (so they include compilation) and
after the data is loaded. The results are printed as a table, written (atomically) to
``benchmarks/new/speed/GENERATION.json``, where GENERATION names this CPU's kind
(benchmarks/results.py: ``cpu_generation``), and printed again as one JSON object on the last
line of standard output. Nothing on the site reads benchmarks/new/: ``make promote``
(benchmarks/promote.py) moves the run to ``benchmarks/speed/GENERATION.json``, which the
speed page shows beside the committed runs of the other generations.

The phases live in modules of their own: peak.py (the machine's matrix-product peak),
baseline.py (plain Keras and Keras with our recipe), levers.py (the lever table and the
larger batch), process.py (the thread probes and the whole process in fresh processes),
parts.py (the parts of one step), rejudge.py, and report.py (the Results of results.py,
and the tables).
"""

import argparse
import importlib.machinery
import importlib.util
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

if __package__ != "benchmarks":  # run as a file, not with python -m
    # benchmarks/ is a folder of scripts, not an installed package: make
    # benchmarks.* importable from this folder (without touching sys.path)
    package = importlib.machinery.ModuleSpec(
        "benchmarks", None, is_package=True
    )
    package.submodule_search_locations.append(str(Path(__file__).parent))
    sys.modules.setdefault(
        "benchmarks", importlib.util.module_from_spec(package)
    )

from snippets.common import quiet_tensorflow

# first: keeps TensorFlow's start-up notes out of the report
tf = quiet_tensorflow()

from benchmarks import process
from benchmarks import results as schema
from benchmarks.baseline import TARGET, measure_keras, measure_recipe
from benchmarks.levers import (
    OUR_SEEDS,
    larger_batch,
    lever_noise,
    lever_rows,
    measure_fast,
)
from benchmarks.machine import machine, say
from benchmarks.parts import measure_step_parts
from benchmarks.peak import measure_peak, training_flops_per_epoch
from benchmarks.rejudge import rejudge
from benchmarks.report import fastest_seed, print_tables, summarize
from snippets.common import (
    Parser,
    describe_os_error,
    positive_int,
)
from snippets.data import load_dataset
from snippets.fast import (
    FAST,
    decide_compute_dtype,
    time_one_step,
)
from snippets.mnist_files import DataError

# Seeds: the Keras baselines run three (each Keras run takes tens of seconds);
# ours runs five (OUR_SEEDS, in levers.py), and its slowest seed counts.
KERAS_SEEDS = (0, 1, 2)


def measure_ours(m, data, seeds):
    """Ours: the whole fixed schedule for each seed; its SLOWEST is ours. The
    first seed decides the products' type, as train_fast does once in every
    process, and any probe that takes is on that seed's clock."""
    time_one_step.cache_clear()
    m.ours, m.seconds, m.test_accuracy = {}, {}, {}
    for seed in seeds:
        run, result = measure_fast(m.config, data, seed=seed)
        m.ours[seed] = run
        m.seconds[seed] = run.building_seconds + run.total_seconds
        m.test_accuracy[seed] = result.test_accuracy
        say(
            f"ours seed {seed}: test accuracy {result.test_accuracy:.4f} "
            f"after {m.config.epochs} epochs in {m.seconds[seed]:.2f} s"
        )
    # What was chosen, and why, for Keras with our recipe too; and what the
    # probe measures here, also where the CPU's flags made the choice.
    m.chosen, m.reason = decide_compute_dtype(
        m.config.batch_size, m.layer_sizes
    )
    m.step_seconds = time_one_step(m.config.batch_size, m.layer_sizes)
    say(f"probe: {m.reason}")


def run_benchmark(args):
    started = time.perf_counter()
    m = SimpleNamespace(
        machine=machine(), target=args.target, quick=args.quick
    )
    data = load_dataset(validation_size=args.validation_size, limit=args.limit)
    # The training images as one tensor, made before any clock starts, for
    # both trainers: neither then copies them into TensorFlow on its clock
    # (Keras' fit copies a NumPy array on every call; on a machine slow to
    # hand out fresh memory that copy alone can take seconds).
    data = replace(data, train_x=tf.constant(data.train_x))
    m.config = replace(FAST, epochs=args.epochs)
    m.layer_sizes = (
        data.train_x.shape[1],
        *m.config.hidden,
        data.train_y.shape[1],
    )
    measure_peak(m, args.quick)
    # A quick run checks the machinery, not the numbers: one seed each.
    keras_seeds = KERAS_SEEDS[:1] if args.quick else KERAS_SEEDS
    measure_keras(m, data, args, keras_seeds)
    measure_ours(m, data, OUR_SEEDS[:1] if args.quick else OUR_SEEDS)
    measure_recipe(m, data, args, keras_seeds)
    # The noise of this run: the spread of our seeds' whole schedules
    # (building left out, as in the lever rows), the first seed left out.
    m.noise = lever_noise([run.total_seconds for run in m.ours.values()])
    # A lever judged by accuracy is judged over seeds; a quick run takes two.
    lever_seeds = OUR_SEEDS[:2] if args.quick else OUR_SEEDS
    baseline = m.baselines[fastest_seed(m.baselines, keras_seeds)]
    m.levers, m.final = lever_rows(
        data, args.epochs, baseline, m.noise, lever_seeds
    )
    m.larger = larger_batch(data, m.config, lever_seeds)
    m.step_parts = measure_step_parts(m.config, data, log=say)
    m.threads = [
        process.thread_probe(
            count, args.limit, args.validation_size, args.epochs
        )
        for count in ((1,) if args.quick else (1, 2))
    ]
    # start-up included; a quick run skips it (it times full trainings)
    epochs = baseline.epochs_to_target or args.max_epochs
    fastest = fastest_seed(m.baselines, keras_seeds)
    m.whole = None if args.quick else process.whole_process(fastest, epochs)
    m.xla_cache = None if args.quick else process.xla_cache_probe()
    m.flops = training_flops_per_epoch(m.config, len(data.train_x))
    batch = m.config.batch_size
    m.examples_per_epoch = len(data.train_x) // batch * batch
    m.machine.load_average_at_end = [round(x, 2) for x in os.getloadavg()]
    m.bench_seconds = time.perf_counter() - started
    results = schema.from_json(schema.to_json(summarize(m)))  # rounded
    print_tables(results)
    output = output_of(args, results.generation)
    if output:
        schema.save(results, output)
        print(f"wrote {output}")
        if not args.output:
            print(
                "the site still shows the committed results; to show this "
                "run instead: make promote"
            )
    print(schema.to_json(results, indent=None))
    return 0 if results.ratio_vs_keras is not None else 1


def output_of(args, generation):
    """Where a run's results go: --output if given; else a full run's to
    benchmarks/new/speed/GENERATION.json, which no page reads until promoted,
    and a quick run's nowhere."""
    if args.output or args.quick:
        return args.output
    return schema.measured_path(generation)


def accuracy_target(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number, got {text!r}"
        ) from None
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text}")
    return value


def build_parser():
    parser = Parser(
        prog="bench.py",
        description="Keras model.fit against snippets/fast.py, side by side.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a tiny smoke run: 2,048 training images, 2 epochs each, one "
        "seed, target 50 %%, no file written unless --output is given",
    )
    new = schema.measured_path("GENERATION").relative_to(schema.ROOT)
    parser.add_argument(
        "--output",
        type=Path,
        help=f"where to write the results (default {new}, which "
        "benchmarks/promote.py commits)",
    )
    parser.add_argument(
        "--limit",
        type=positive_int,
        help="train on the first LIMIT images only",
    )
    parser.add_argument("--validation-size", type=positive_int, default=5000)
    parser.add_argument(
        "--epochs",
        type=positive_int,
        default=FAST.epochs,
        help="epochs of the fast schedule",
    )
    parser.add_argument(
        "--max-epochs",
        type=positive_int,
        default=30,
        help="give the baseline at most this many",
    )
    parser.add_argument("--target", type=accuracy_target, default=TARGET)
    parser.add_argument(
        "--probe-threads", type=positive_int, help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--probe-xla", action="store_true", help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--rejudge",
        type=Path,
        metavar="RESULTS",
        help="judge the levers of an earlier full run's RESULTS by today's "
        "rule, measuring accuracies only (see rejudge.py); writes --output, "
        f"by default {new} of RESULTS' generation",
    )
    return parser


def run_rejudge(args):
    # a quick run's accuracies come from a slice of MNIST: they may never
    # be written into a full run's file
    earlier = schema.load(args.rejudge)
    size = "quick" if earlier.quick else "full"
    if size != ("quick" if args.quick else "full"):
        raise ValueError(
            f"{args.rejudge} is a {size} run: rejudge it with the same size "
            "(--quick or not)"
        )
    data = load_dataset(validation_size=args.validation_size, limit=args.limit)
    seeds = OUR_SEEDS[:2] if args.quick else OUR_SEEDS
    output = args.output or schema.measured_path(earlier.generation)
    return rejudge(args.rejudge, data, seeds, output)


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.quick:
        args.limit = args.limit or 2048
        args.validation_size = min(args.validation_size, 512)
        args.epochs, args.max_epochs = 2, min(args.max_epochs, 2)
        args.target = 0.5
    try:
        if args.probe_threads or args.probe_xla:
            process.run_probe(args)
            return 0
        if args.rejudge:
            return run_rejudge(args)
        return run_benchmark(args)
    except (DataError, ValueError, RuntimeError) as error:
        print(f"bench.py: error: {error}", file=sys.stderr)
        return 1
    # a results file could not be read or written: a full disk, say
    except OSError as error:
        print(f"bench.py: error: {describe_os_error(error)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench.py: interrupted; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
