"""What rescues a deep MLP, over seeds: the measured claim of the section
*What rescues a deep MLP* of the chapter *Training deeper networks*
(docs/deeper.md).

    .venv/bin/python -m benchmarks.deep_rescue          # about five minutes alone
    .venv/bin/python -m benchmarks.deep_rescue --seeds 1 --output /tmp/r.json

For each seed, each depth (16 and 48 hidden layers of 64 units) and each
kind of block of ``snippets.residual.BLOCKS`` (plain, residual, layer norm,
batch norm, residual + layer norm): a fresh ``DeepMLP`` trained with the
chapter's settings (Adam at 1e-3, batches of 100) for 3 epochs on the first
10,000 training images, then its accuracy on the 10,000 test digits. Each
run is written to benchmarks/new/deep_rescue.json (or --output) atomically
as soon as it finishes; run the same command again and the runs already in
the file are kept, not run again (a file with other settings is refused).
The page reads the committed copy, benchmarks/deep_rescue.json.
"""

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.writing import check_writable, write_report
from snippets.common import (
    Parser,
    positive_int,
    processor,
    quiet_tensorflow,
)

FOLDER = Path(__file__).resolve().parent
PROG = "deep_rescue.py"
DEPTHS = (16, 48)
CONFIG = {
    "depths": list(DEPTHS),
    "width": 64,
    "training_images": 10000,
    "test_images": 10000,
    "epochs": 3,
    "batch_size": 100,
    "optimizer": "adam, learning rate 1e-3",
}


def earlier_runs(path, config):
    """The runs already in ``path``, or [] if there is no file; None (after
    one line on stderr) if it holds something else."""
    path = Path(path)
    if not path.exists():
        return []
    try:
        report = json.loads(path.read_text())
        same = report["config"] == config
        runs = report["runs"]
    except (OSError, ValueError, KeyError, TypeError):
        same = False
    if not same:
        print(
            f"{PROG}: error: {path} holds other results; move it away or "
            "choose another --output",
            file=sys.stderr,
        )
        return None
    return runs


def main(argv=None):
    parser = Parser(
        prog=PROG,
        description="Plain, residual and normalised deep MLPs, over seeds.",
    )
    parser.add_argument("--seeds", type=positive_int, default=5)
    parser.add_argument(
        "--output", type=Path, default=FOLDER / "new" / "deep_rescue.json"
    )
    args = parser.parse_args(argv)
    config = {**CONFIG, "blocks": None}
    runs = None
    if check_writable(args.output, PROG):
        quiet_tensorflow()
        from snippets.residual import BLOCKS

        config["blocks"] = list(BLOCKS)
        runs = earlier_runs(args.output, config)
    if runs is None:
        return 1

    from snippets.data import load_dataset
    from snippets.residual import DeepMLP, accuracy, train_deep

    data = load_dataset(limit=config["training_images"])
    done = {(run["seed"], run["depth"], run["block"]) for run in runs}
    for seed in range(args.seeds):
        for depth in DEPTHS:
            for block in config["blocks"]:
                if (seed, depth, block) in done:
                    continue
                started = time.perf_counter()
                model = DeepMLP(depth, config["width"], block, seed=seed)
                train_deep(model, data, epochs=config["epochs"], seed=seed)
                runs.append(
                    {
                        "seed": seed,
                        "depth": depth,
                        "block": block,
                        "test_accuracy": accuracy(
                            model, data.test_x, data.test_y
                        ),
                        "seconds": round(time.perf_counter() - started, 1),
                    }
                )
                print(
                    f"seed {seed}, {depth} layers, {block}: "
                    f"{runs[-1]['test_accuracy']:.4f}",
                    flush=True,
                )
                report = {
                    "config": config,
                    "runs": runs,
                    "date": datetime.now(UTC).date().isoformat(),
                    "processor": processor(),
                }
                if not write_report(args.output, report, PROG):
                    return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
