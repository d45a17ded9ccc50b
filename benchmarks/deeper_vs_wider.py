"""Deeper or wider, run large enough to judge: the same-budget shapes of
``snippets.deeper`` trained for longer, on more images, with more seeds.

    .venv/bin/python benchmarks/deeper_vs_wider.py        # about 15 minutes
    .venv/bin/python benchmarks/deeper_vs_wider.py --limit 2000 --epochs 1 \
        --seeds 1 --output /tmp/d.json                    # a smoke run

The chapter's own run (three epochs, 4,000 images, two seeds) is too small to
tell the shapes apart. This one trains each shape of ``same_budget_shapes()``
(784-256-10, 784-204-204-10, 784-177-177-177-10, all about 203,530
parameters) once per seed with ``snippets.deeper.compare`` and writes
benchmarks/new/deeper_vs_wider.json (or --output) atomically: the config, the
seeds, per shape the test accuracy of every seed with their mean and sample
standard deviation, the date and the processor. The chapter *Training deeper
networks* (docs/deeper.md) reads the file.
"""

import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from snippets.common import Parser, positive_int, processor, write_atomically

FOLDER = Path(__file__).resolve().parent


def summary(rows):
    """Per shape: widths, parameters, per-seed test accuracies, mean and sd."""
    shapes = []
    for row in rows:
        accuracies = row["test_accuracies"]
        shapes.append(
            {
                "hidden": list(row["hidden"]),
                "parameters": row["parameters"],
                "test_accuracies": accuracies,
                "mean": statistics.fmean(accuracies),
                "sd": (
                    statistics.stdev(accuracies)
                    if len(accuracies) > 1
                    else 0.0
                ),
            }
        )
    return shapes


def main(argv=None):
    parser = Parser(
        prog="deeper_vs_wider.py",
        description="Deeper vs wider at the course's parameter budget, "
        "several seeds per shape.",
    )
    parser.add_argument("--limit", type=positive_int, default=30000)
    parser.add_argument("--epochs", type=positive_int, default=10)
    parser.add_argument("--seeds", type=positive_int, default=5)
    parser.add_argument("--batch-size", type=positive_int, default=100)
    parser.add_argument(
        "--output", type=Path, default=FOLDER / "new" / "deeper_vs_wider.json"
    )
    args = parser.parse_args(argv)

    from snippets.data import load_dataset
    from snippets.deeper import COURSE_BUDGET, compare, same_budget_shapes

    date = datetime.now(UTC).date().isoformat()
    validation_size = 5000
    data = load_dataset(validation_size=validation_size, limit=args.limit)
    seeds = list(range(args.seeds))
    started = time.perf_counter()
    rows = compare(
        same_budget_shapes(),
        data,
        epochs=args.epochs,
        seeds=tuple(seeds),
        batch_size=args.batch_size,
    )
    result = {
        "config": {
            "budget": COURSE_BUDGET,
            "training_images": len(data.train_x),
            "validation_images": validation_size,
            "test_images": len(data.test_x),
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "optimizer": "adam, learning rate 1e-3",
        },
        "seeds": seeds,
        "shapes": summary(rows),
        "seconds": round(time.perf_counter() - started),
        "date": date,
        "processor": processor(),
    }
    write_atomically(
        args.output, (json.dumps(result, indent=2) + "\n").encode()
    )
    for shape in result["shapes"]:
        print(
            "-".join(map(str, shape["hidden"])),
            f"{100 * shape['mean']:.2f} ± {100 * shape['sd']:.2f}",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
