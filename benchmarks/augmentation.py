"""What each augmentation is worth: the best preset's recipe on a smaller network, trained
with each part of its augmentation alone, with none and with all, and measured on MNIST's
test set and on the 1,500 digits drawn from handwriting fonts
(snippets/other_digits.py).

    .venv/bin/python benchmarks/augmentation.py              # seven short runs
    .venv/bin/python benchmarks/augmentation.py --full-size  # the preset, none and all

By default a smaller, shorter run than the preset (784-512-512-10, EPOCHS epochs), so that
the seven runs take about six minutes on two cores; writes benchmarks/new/augmentation.json.
With --full-size, the preset itself (784-1024-1024-10, 40 epochs) is trained twice, with
none of its augmentation and with all of it (about a quarter of an hour); writes
benchmarks/new/augmentation_full_size.json (`make promote` commits both beside this script). A short run can hide what augmentation is worth:
bent digits are a harder task, and a network that sees them needs longer to learn it.
The held-out digits are read once per run, after training, and decide nothing. `make
bench-augmentation` runs both; the page "Reading other hands" (docs/augmentation.md)
renders both files.
"""

import importlib.machinery
import importlib.util
import json
import sys
import time
from dataclasses import asdict, replace
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
    processor,
)
from snippets.config import PRESETS

FOLDER = Path(__file__).resolve().parent
HIDDEN = (512, 512)
EPOCHS = 10


def parse_arguments(argv):
    parser = Parser(
        prog="augmentation.py",
        description="Train with each augmentation alone, none and all; "
        "record test accuracy on MNIST and on the font digits.",
    )
    parser.add_argument(
        "--full-size",
        action="store_true",
        help="train the best preset itself with none and all of its "
        "augmentation, instead of the seven short runs",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="where to write the results (default: benchmarks/new/augmentation.json, "
        "or benchmarks/new/augmentation_full_size.json with --full-size; "
        "make promote commits them)",
    )
    args = parser.parse_args(argv)
    if args.output is None:
        name = "augmentation_full_size" if args.full_size else "augmentation"
        args.output = FOLDER / "new" / f"{name}.json"
    return args


def main(argv=None):
    args = parse_arguments(argv)
    if not check_writable(args.output, "augmentation.py"):
        return 1
    from snippets.common import quiet_tensorflow

    quiet_tensorflow()
    from snippets.augment import one_at_a_time
    from snippets.data import load_dataset
    from snippets.fast import train_fast
    from snippets.other_digits import accuracy_on_other_digits

    best = PRESETS["best"]
    parts = one_at_a_time(best.augmentation)
    if args.full_size:
        base = best
        parts = {name: parts[name] for name in ("none", "all")}
    else:
        base = replace(best, hidden=HIDDEN, epochs=EPOCHS)
    data = load_dataset()
    runs = {}
    for name, augmentation in parts.items():
        started = time.perf_counter()
        result = train_fast(
            replace(base, augmentation=augmentation),
            data=data,
            log=lambda message: None,
        )
        runs[name] = {
            "test_accuracy": round(result.test_accuracy, 4),
            "other_digits_accuracy": round(
                accuracy_on_other_digits(result.model), 4
            ),
            "seconds": round(time.perf_counter() - started, 1),
        }
        print(f"{name:<10} {json.dumps(runs[name])}", flush=True)
    report = {
        "command": "python benchmarks/augmentation.py"
        + (" --full-size" if args.full_size else ""),
        "config": asdict(base),
        "runs": runs,
        "date": datetime.now(UTC).date().isoformat(),
        "processor": processor(),
    }
    if not write_report(args.output, report, "augmentation.py"):
        return 1
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
