"""Final test accuracy of a preset: `python -m snippets train` run for real, one
fresh process per seed, with the accuracies recorded beside the processor.

    .venv/bin/python benchmarks/accuracy.py                   # make accuracy
    .venv/bin/python benchmarks/accuracy.py --preset best
                                                              # make accuracy-best

It writes benchmarks/new/PRESET_accuracy.json (or --output; `make promote` commits it
to benchmarks/PRESET_accuracy.json): the command, the seeds,
the preset's config, per seed the test accuracy, the best epoch, the epochs run
and the seconds (process start included), the date and the processor. Float
results differ slightly between CPU generations (other oneDNN kernels), hence
the processor, and how the network reads 1,500 digits from other hands
(snippets/other_digits.py). Both presets are also acceptance runs: every seed
must reach TARGETS[preset] (98.2 % for course, 99.0 % for best), or the script
exits with status 1. About 5 minutes for the course's three seeds on two cores,
about 10 minutes for each seed of `best`; the system page shows both files.
"""

import contextlib
import importlib.machinery
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

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

from benchmarks.writing import check_writable, write_report
from snippets.common import (
    Parser,
    non_negative_int,
    processor,
    quiet_tensorflow,
)
from snippets.config import PRESETS

FOLDER = Path(__file__).resolve().parent
SEEDS = (0, 1, 2)
# the lowest test accuracy a seed may reach; presets without one only record
TARGETS = {"course": 0.982, "best": 0.990}


def parse_arguments(argv):
    parser = Parser(
        prog="accuracy.py",
        description="Train a preset for real, one process per seed, and "
        "record its test accuracies.",
    )
    parser.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="course",
        help="the preset of `python -m snippets train` (default: course)",
    )
    parser.add_argument(
        "--seeds",
        nargs="+",
        type=non_negative_int,
        default=list(SEEDS),
        metavar="SEED",
        help="the seeds to train, one run each (default: 0 1 2)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="where to write the results "
        "(default: benchmarks/new/PRESET_accuracy.json, which make promote commits)",
    )
    parser.add_argument(
        "--keep-checkpoints",
        type=Path,
        metavar="FOLDER",
        help="keep each seed's checkpoints in FOLDER/seed-SEED "
        "(default: a temporary folder, removed at the end)",
    )
    args = parser.parse_args(argv)
    if len(set(args.seeds)) != len(args.seeds):
        parser.error(f"argument --seeds: each seed once, got {args.seeds}")
    if args.output is None:
        args.output = FOLDER / "new" / f"{args.preset}_accuracy.json"
    return args


def command(preset):
    """The command line one seed runs, as the results file shows it."""
    given = [] if preset == "course" else ["--preset", preset]
    return ["-m", "snippets", "train", *given]


def other_digits_accuracy(checkpoint_dir):
    """The trained network on the held-out digits (snippets/other_digits).
    TensorFlow is loaded only now, quietly: argument mistakes are answered
    before, in one line.
    """
    quiet_tensorflow()
    from snippets.checkpoint import restore_model
    from snippets.other_digits import accuracy_on_other_digits

    return accuracy_on_other_digits(restore_model(checkpoint_dir))


def train_seed(preset, seed, checkpoint_dir):
    """One fresh `python -m snippets train` process; its log is echoed as it
    goes, its last line (JSON) is the result. Raises RuntimeError on failure.
    """
    started = time.perf_counter()
    argv = [sys.executable, *command(preset), "--seed", str(seed)]
    argv += ["--checkpoint-dir", str(checkpoint_dir)]
    with tempfile.TemporaryFile("w+") as errors:
        with subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=errors, text=True
        ) as process:
            lines = []
            for line in process.stdout:
                lines.append(line.rstrip("\n"))
                print(f"  seed {seed}: {lines[-1]}", flush=True)
        errors.seek(0)
        if process.returncode != 0 or not lines:
            message = errors.read().strip().splitlines()
            raise RuntimeError(
                f"seed {seed} failed with exit status {process.returncode}"
                f": {message[-1] if message else 'no output'}"
            )
    seconds = time.perf_counter() - started
    result = json.loads(lines[-1])
    return result, {
        "test_accuracy": result["test_accuracy"],
        # the same network on digits from other hands (snippets/other_digits)
        "other_digits_accuracy": round(
            other_digits_accuracy(checkpoint_dir), 4
        ),
        "best_epoch": result["best_epoch"],
        "epochs": result["epochs"],
        "seconds": round(seconds, 1),
    }


def main(argv=None):
    args = parse_arguments(argv)
    if not check_writable(args.output, "accuracy.py"):
        return 1
    date = datetime.now(UTC).date().isoformat()  # the day the runs began
    runs = {}
    with (
        contextlib.nullcontext(args.keep_checkpoints)
        if args.keep_checkpoints
        else tempfile.TemporaryDirectory()
    ) as folder:
        for seed in args.seeds:
            try:
                result, run = train_seed(
                    args.preset, seed, Path(folder) / f"seed-{seed}"
                )
            except (RuntimeError, ValueError, KeyError) as error:
                print(f"accuracy.py: error: {error}", file=sys.stderr)
                return 1
            runs[str(seed)] = run
            print(
                f"seed {seed}: test accuracy {run['test_accuracy']:.4f} "
                f"(epoch {run['best_epoch']} of {run['epochs']}), "
                f"{run['seconds']:.0f} s",
                flush=True,
            )
    target = TARGETS.get(args.preset)
    report = {
        "preset": args.preset,
        "command": " ".join(["python", *command(args.preset)])
        + " --seed SEED",
        "seeds": args.seeds,
        "config": result["config"],
        "target": target,
        "runs": runs,
        "lowest": min(run["test_accuracy"] for run in runs.values()),
        "date": date,
        "processor": processor(),
    }
    if not write_report(args.output, report, "accuracy.py"):
        return 1
    print(f"lowest {report['lowest']:.4f}; wrote {args.output}")
    if target is not None and report["lowest"] < target:
        print(
            f"accuracy.py: error: lowest {report['lowest']:.4f} is below "
            f"the target {target}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
