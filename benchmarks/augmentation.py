"""What each augmentation is worth: the best preset's recipe on a smaller network, trained
with each part of its augmentation alone, with none and with all, and measured on MNIST's
test set and on the 1,500 digits from other hands (snippets/other_digits.py).

    .venv/bin/python benchmarks/augmentation.py        # make bench-augmentation

A smaller, shorter run than the preset (784-512-512-10, EPOCHS epochs) so that the seven
runs take about ten minutes on two cores; the held-out digits are read once per run, after
training, and decide nothing. Writes benchmarks/augmentation.json (or --output), which the
page "Reading other hands" (docs/augmentation.md) renders.
"""

import json
import sys
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path

from snippets.common import (
    Parser,
    check_writable,
    describe_os_error,
    processor,
    write_report,
)
from snippets.config import PRESETS

FOLDER = Path(__file__).resolve().parent
HIDDEN = (512, 512)
EPOCHS = 10


def parse_arguments(argv):
    parser = Parser(
        prog="augmentation.py",
        description="Train with each augmentation alone, none and all; "
        "record test accuracy on MNIST and on digits from other hands.",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=FOLDER / "augmentation.json",
        help="where to write the results "
        "(default: benchmarks/augmentation.json)",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_arguments(argv)
    try:
        check_writable(args.output)
    except OSError as error:
        print(
            f"augmentation.py: error: {describe_os_error(error)}",
            file=sys.stderr,
        )
        return 1
    from snippets.common import quiet_tensorflow

    quiet_tensorflow()
    from snippets.augment import one_at_a_time
    from snippets.data import load_dataset
    from snippets.fast import train_fast
    from snippets.other_digits import accuracy_on_other_digits

    best = PRESETS["best"]
    base = replace(best, hidden=HIDDEN, epochs=EPOCHS)
    data = load_dataset()
    runs = {}
    for name, augmentation in one_at_a_time(best.augmentation).items():
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
        "command": "python benchmarks/augmentation.py",
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
