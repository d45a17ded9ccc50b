"""Finetuning against training from scratch, over seeds: the figure of the
chapter *Finetuning* (docs/finetuning.md) is one seed; this runs it for more.

    .venv/bin/python -m benchmarks.finetuning_seeds          # a few minutes
    .venv/bin/python -m benchmarks.finetuning_seeds --seeds 2 --output /tmp/f.json

(a module run from the project root: it runs the figure's function, in figures/, which is
not installed)

For each seed, ``figures.finetuning.finetuned_vs_scratch(seed)``: a
784-64-10 trained on 2,000 images, grown into 784-64-32-10 with a new head,
then trained on 300 images for 4 epochs from scratch, finetuned with every
layer training, and finetuned with the restored layer frozen. The seed draws
the base network's start and batches and the grown network's new layers and
batches. Writes benchmarks/new/finetuning_seeds.json (or --output) atomically: the
settings, the seeds, per way the final validation accuracy (on 1,000 images)
of every seed, the saved base networks' accuracies, the date and the processor.
The page reads the file.
"""

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.writing import write_report
from snippets.common import (
    Parser,
    positive_int,
    processor,
    quiet_tensorflow,
)

FOLDER = Path(__file__).resolve().parent


def main(argv=None):
    parser = Parser(
        prog="finetuning_seeds.py",
        description="Finetuned against from scratch, several seeds.",
    )
    parser.add_argument("--seeds", type=positive_int, default=10)
    parser.add_argument(
        "--output", type=Path, default=FOLDER / "new" / "finetuning_seeds.json"
    )
    args = parser.parse_args(argv)
    quiet_tensorflow()

    from figures import finetuning as figure

    seeds = list(range(args.seeds))
    started = time.perf_counter()
    final, base = {}, []
    for seed in seeds:
        run = figure.finetuned_vs_scratch(seed)
        for way, curve in run["curves"].items():
            final.setdefault(way, []).append(curve[-1])
        base.append(run["base_accuracy"])
        print(
            f"seed {seed}: "
            + ", ".join(
                f"{way} {curve[-1]:.3f}"
                for way, curve in run["curves"].items()
            ),
            flush=True,
        )
    result = {
        "config": {
            "base": list(figure.BASE),
            "grown": list(figure.GROWN),
            "base_training_images": figure.LIMIT,
            "base_epochs": figure.BASE_EPOCHS,
            "training_images": figure.FEW,
            "epochs": figure.EPOCHS,
            "validation_images": 1000,
        },
        "seeds": seeds,
        "final_valid_accuracy": final,
        "base_valid_accuracy": base,
        "seconds": round(time.perf_counter() - started),
        "date": datetime.now(UTC).date().isoformat(),
        "processor": processor(),
    }
    return 0 if write_report(args.output, result, "finetuning_seeds.py") else 1


if __name__ == "__main__":
    sys.exit(main())
