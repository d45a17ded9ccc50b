"""A gradient 100 times too large, for plain SGD and for Adam, over seeds: the
measured claim of the chapter *How training moves the weights*
(docs/optimisers.md).

    .venv/bin/python -m benchmarks.optimisers_scale          # under a minute
    .venv/bin/python -m benchmarks.optimisers_scale --seeds 2 --output /tmp/o.json

For each seed, each optimiser (SGD at 0.1, Adam at 0.003, both constant) and
each loss scale (1 and 100), ``snippets.optimisers.scaled_gradient_accuracy``:
a 784-64-10 MLP trained for 4 epochs on the first 3,000 training images, its
loss multiplied by the scale, then its accuracy on the 1,000 validation
images. Writes benchmarks/new/optimisers_scale.json (or --output) atomically:
the settings, the seeds, the accuracy of every run, the date and the
processor. The page reads the committed copy, benchmarks/optimisers_scale.json.
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
RATES = {"sgd": 0.1, "adam": 0.003}
SCALES = (1.0, 100.0)


def main(argv=None):
    parser = Parser(
        prog="optimisers_scale.py",
        description="SGD and Adam with a gradient 100 times too large.",
    )
    parser.add_argument("--seeds", type=positive_int, default=5)
    parser.add_argument(
        "--output", type=Path, default=FOLDER / "new" / "optimisers_scale.json"
    )
    args = parser.parse_args(argv)
    quiet_tensorflow()

    from snippets.data import load_dataset
    from snippets.optimisers import scaled_gradient_accuracy

    data = load_dataset(validation_size=1000, limit=3000)
    seeds = list(range(args.seeds))
    started = time.perf_counter()
    accuracy = {}
    for optimizer, rate in RATES.items():
        for scale in SCALES:
            key = f"{optimizer} x{scale:g}"
            accuracy[key] = [
                scaled_gradient_accuracy(data, optimizer, rate, scale, seed)
                for seed in seeds
            ]
            print(key, accuracy[key], flush=True)
    result = {
        "config": {
            "network": [784, 64, 10],
            "training_images": 3000,
            "validation_images": 1000,
            "epochs": 4,
            "batch_size": 100,
            "rates": RATES,
            "scales": list(SCALES),
        },
        "seeds": seeds,
        "valid_accuracy": accuracy,
        "seconds": round(time.perf_counter() - started),
        "date": datetime.now(UTC).date().isoformat(),
        "processor": processor(),
    }
    return 0 if write_report(args.output, result, "optimisers_scale.py") else 1


if __name__ == "__main__":
    sys.exit(main())
