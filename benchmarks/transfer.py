"""Finetuning as transfer, over seeds: a network trained on the digits 0-4
adapts to the digits 5-9 from 10, 100 and 1,000 labelled examples of each.

    .venv/bin/python -m benchmarks.transfer          # about 10 minutes
    .venv/bin/python -m benchmarks.transfer --steps 8000 --per-class 1000 \
        --seeds 3 --output benchmarks/new/transfer_longer.json  # 5 minutes
    .venv/bin/python -m benchmarks.transfer --seeds 1 --steps 20 \\
        --pretrain-images 2000 --output /tmp/t.json  # a smoke run

(a module run from the project root, as ``make bench-finetuning`` runs it)

For each seed: a 784-256-5 trained on the training set's digits 0-4 (three
epochs), saved; then, for each number of examples a class drawn from the
training set's digits 5-9 (relabelled 0-4), ``snippets.finetune.adapt``
trains a 784-256-5 with a new output layer three ways (from scratch,
finetuned, finetuned with the first layer frozen) for the same number of
steps, and each is scored on the test set's 4,861 digits 5-9. The seed draws
the pretrained network's start and batches, the labelled examples, the new
layers' start and the batches.

Writes benchmarks/new/transfer.json (or --output) atomically after every
seed: the settings, and per seed the digits each way reads right, the McNemar
counts of every pair of ways (the digits only one of the two reads right),
and the pretrained network's accuracy on the test set's digits 0-4. A file
that already holds some seeds with the same settings is continued: its
seeds are not run again. The chapter *Finetuning* (docs/finetuning.md) and
its figure read the promoted copy, benchmarks/transfer.json.
"""

import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path

from benchmarks.writing import check_writable, write_report
from snippets.common import Parser, positive_int, processor, quiet_tensorflow

FOLDER = Path(__file__).resolve().parent
PROG = "transfer.py"
OLD, NEW = tuple(range(5)), tuple(range(5, 10))


def settings(args):
    return {
        "hidden": [256],
        "pretrain_digits": list(OLD),
        "new_digits": list(NEW),
        "pretrain_images": args.pretrain_images,
        "pretrain_epochs": 3,
        "per_class": list(args.per_class),
        "steps": args.steps,
        "batch_size": 50,
        "learning_rate": 1e-3,
    }


def tasks(pretrain_images=None):
    """The old task (digits 0-4: train, validation, test) and the new one's
    pool of labelled examples and test digits (5-9, relabelled 0-4)."""
    from snippets.data import Mnist, load_dataset
    from snippets.finetune import keep_digits

    data = load_dataset(validation_size=5000)
    old = Mnist(
        *keep_digits(data.train_x, data.train_y, OLD),
        *keep_digits(data.valid_x, data.valid_y, OLD),
        *keep_digits(data.test_x, data.test_y, OLD),
    )
    if pretrain_images is not None:
        old.train_x = old.train_x[:pretrain_images]
        old.train_y = old.train_y[:pretrain_images]
    pool = keep_digits(data.train_x, data.train_y, NEW)
    test = keep_digits(data.test_x, data.test_y, NEW)
    return old, pool, test


def run_seed(seed, config, old, pool, test):
    """One seed: pretrain on ``old``, then every size and way on the new
    task. The digits each way reads right and the McNemar counts."""
    import numpy as np

    from snippets.checkpoint import save_model
    from snippets.config import TrainConfig
    from snippets.finetune import WAYS, adapt, few_per_class
    from snippets.train import train
    from snippets.uncertainty import mcnemar

    epochs = config["pretrain_epochs"]
    hidden = tuple(config["hidden"])
    pretrained = train(
        TrainConfig(
            hidden=hidden,
            epochs=epochs,
            patience=epochs,
            batch_size=100,
            seed=seed,
        ),
        data=old,
        log=lambda message: None,
    )
    test_x, test_y = test
    truth = np.argmax(test_y, axis=1)
    record = {
        "seed": seed,
        "pretrained_test_accuracy": pretrained.test_accuracy,
        "pretrained_test_digits": len(old.test_x),
        "per_class": {},
    }
    with tempfile.TemporaryDirectory() as folder:
        save_model(pretrained.model, folder)
        for per_class in config["per_class"]:
            x, y = few_per_class(*pool, per_class, seed=seed)
            right = {}
            for way in WAYS:
                model = adapt(
                    way,
                    folder,
                    x,
                    y,
                    config["steps"],
                    hidden=hidden,
                    batch_size=config["batch_size"],
                    seed=seed,
                )
                right[way] = np.argmax(model(test_x), axis=1) == truth
            record["per_class"][str(per_class)] = {
                "correct": {way: int(right[way].sum()) for way in WAYS},
                "only_one_right": {
                    f"{a} | {b}": [
                        mcnemar(right[a], right[b]).only_a,
                        mcnemar(right[a], right[b]).only_b,
                    ]
                    for a, b in combinations(WAYS, 2)
                },
            }
    return record


def parse_arguments(argv=None):
    parser = Parser(
        prog=PROG,
        description="Pretrained on the digits 0-4, adapted to 5-9: from "
        "scratch, finetuned and frozen, over seeds.",
    )
    parser.add_argument("--seeds", type=positive_int, default=10)
    parser.add_argument("--steps", type=positive_int, default=2000)
    parser.add_argument(
        "--per-class", type=positive_int, nargs="+", default=[10, 100, 1000]
    )
    parser.add_argument("--pretrain-images", type=positive_int, default=None)
    parser.add_argument(
        "--output", type=Path, default=FOLDER / "new" / "transfer.json"
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_arguments(argv)
    config = settings(args)
    runs = []
    if args.output.is_file():
        try:
            earlier = json.loads(args.output.read_text())
            same = earlier["config"] == config
            runs = earlier["runs"] if same else []
        except (ValueError, KeyError, TypeError):
            same = False
        if not same:
            print(
                f"{PROG}: error: {args.output} holds a run with other "
                "settings (or is not one); move it away or pick --output",
                file=sys.stderr,
            )
            return 1
    if not check_writable(args.output, PROG):
        return 1
    quiet_tensorflow()
    old, pool, test = tasks(args.pretrain_images)
    done = {run["seed"] for run in runs}
    for seed in range(args.seeds):
        if seed in done:
            print(f"seed {seed}: already in {args.output}", flush=True)
            continue
        started = time.perf_counter()
        record = run_seed(seed, config, old, pool, test)
        record["seconds"] = round(time.perf_counter() - started)
        runs = sorted([*runs, record], key=lambda run: run["seed"])
        report = {
            "config": config,
            "test_digits": len(test[0]),
            "runs": runs,
            "date": datetime.now(UTC).date().isoformat(),
            "processor": processor(),
        }
        if not write_report(args.output, report, PROG):
            return 1
        print(
            f"seed {seed} ({record['seconds']} s): "
            + "; ".join(
                f"{n} a class "
                + ", ".join(
                    f"{way} {count}" for way, count in sizes["correct"].items()
                )
                for n, sizes in record["per_class"].items()
            ),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
