"""Generalisation you can see: the measurements behind the regularization and
dropout pages' figures and the dropout page's table beside Srivastava et al.

    .venv/bin/python -m benchmarks.generalisation learning-curve   # minutes
    .venv/bin/python -m benchmarks.generalisation l2
    .venv/bin/python -m benchmarks.generalisation l2-sgd
    .venv/bin/python -m benchmarks.generalisation keep
    .venv/bin/python -m benchmarks.generalisation srivastava
    .venv/bin/python -m benchmarks.generalisation keep --seeds 1 --output /tmp/k.json

Every run trains the course's MLP with its compiled training step
(snippets/train.py ``make_train_step``: the loss, the L2 penalty, dropout) for
a fixed number of steps of Adam (plain gradient descent for ``l2-sgd``), the
learning rate decaying to zero, no early stopping: only the swept setting
changes. Each seed draws the training digits (a random subset of the 55,000),
the first weights, the order of the batches and the dropout masks.

- ``learning-curve``: 784-256-10 on 500 to 55,000 digits, the same steps each;
- ``l2``: 784-1024-10 on 1,000 digits, L2 factors from 0 to 0.03;
- ``l2-sgd``: the same with plain gradient descent (L2 is weight decay there);
- ``keep``: the same network and digits, keep probabilities from 1 to 0.05;
- ``srivastava``: 784-1024-1024-1024-10 on all 55,000 digits for a few epochs,
  without dropout, with dropout (0.8 on the pixels, 0.5 on the hidden units),
  and with dropout and a max-norm of 3: Srivastava et al.'s (2014, Table 2)
  networks, which they trained far longer.

Each point (one setting, one seed) is written to benchmarks/new/NAME.json (or
--output) atomically as it finishes, with the accuracy on its own training
digits, on the 5,000 validation digits and on the 10,000 test digits (and the
count right, for the Wilson interval). Started again with the same settings, a
run skips the points already there: a stopped run continues, and a sweep given
more values runs only the new ones.
"""

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from benchmarks.writing import check_writable, write_report
from snippets.common import Parser, positive_int, processor, quiet_tensorflow

FOLDER = Path(__file__).resolve().parent

# Srivastava, Hinton, Krizhevsky, Sutskever and Salakhutdinov (2014), "Dropout:
# a simple way to prevent neural networks from overfitting", JMLR 15,
# 1929-1958, Table 2 (MNIST, test error in %): the rows whose networks we
# train here, as the table names them.
SRIVASTAVA_TABLE_2 = {
    "without dropout": {
        "row": "Standard Neural Net (Simard et al., 2003), logistic, "
        "2 layers, 800 units",
        "error_percent": 1.60,
    },
    "dropout": {
        "row": "Dropout NN, ReLU, 3 layers, 1024 units",
        "error_percent": 1.25,
    },
    "dropout + max-norm": {
        "row": "Dropout NN + max-norm constraint, ReLU, 3 layers, 1024 units",
        "error_percent": 1.06,
    },
}

# One dictionary of settings per run; ``values`` are what it sweeps.
RUNS = {
    "learning-curve": {
        "file": "learning_curve.json",
        "hidden": [256],
        "sweeps": "training_digits",
        "values": [500, 1000, 2000, 5000, 10000, 20000, 55000],
        "training_digits": None,
        "steps": 3000,
        "seeds": 3,
    },
    "l2": {
        "file": "l2_sweep.json",
        "hidden": [1024],
        "sweeps": "l2",
        "values": [0.0, 1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2],
        "training_digits": 1000,
        "steps": 1500,
        "seeds": 3,
    },
    "keep": {
        "file": "keep_sweep.json",
        "hidden": [1024],
        "sweeps": "keep_prob",
        "values": [1.0, 0.9, 0.8, 0.65, 0.5, 0.35, 0.2, 0.1, 0.05],
        "training_digits": 1000,
        "steps": 1500,
        "seeds": 3,
    },
    "srivastava": {
        "file": "srivastava.json",
        "hidden": [1024, 1024, 1024],
        "sweeps": "network",
        "values": list(SRIVASTAVA_TABLE_2),
        "training_digits": 55000,
        "steps": 430 * 6,  # 6 epochs of 55,000 digits in batches of 128
        "seeds": 2,
    },
}
# the same with plain gradient descent, where L2 is the weight decay of the
# regularization page's formula (Adam rescales the penalty's pull)
RUNS["l2-sgd"] = dict(
    RUNS["l2"], file="l2_sweep_sgd.json", optimizer="sgd", learning_rate=0.1
)
COMMON = {"batch_size": 128, "learning_rate": 1e-3, "schedule": "cosine"}

# What each network of the srivastava run takes: dropout on the pixels and
# on the hidden units (keep probabilities), and the max-norm (0: none).
NETWORKS = {
    "without dropout": {
        "input_keep_prob": 1.0,
        "keep_prob": 1.0,
        "max_norm": 0,
    },
    "dropout": {"input_keep_prob": 0.8, "keep_prob": 0.5, "max_norm": 0},
    "dropout + max-norm": {
        "input_keep_prob": 0.8,
        "keep_prob": 0.5,
        "max_norm": 3.0,
    },
}


def settings_of(run, value):
    """The L2 factor, keep probabilities, max-norm and training digits of one
    point of ``run``."""
    point = {
        "l2": 0.0,
        "keep_prob": 1.0,
        "input_keep_prob": 1.0,
        "max_norm": 0,
        "training_digits": run["training_digits"],
    }
    if run["sweeps"] == "network":
        point.update(NETWORKS[value])
    else:
        point[run["sweeps"]] = value
    return point


def accuracy(model, features, labels):
    """How many of ``features`` the model reads right (no dropout), in
    slices of 10,000 digits."""
    slices, correct = range(10000, len(features), 10000), 0
    for x, y in zip(np.split(features, slices), np.split(labels, slices)):
        correct += int(np.sum(model(x).numpy().argmax(1) == y.argmax(1)))
    return correct


def train_point(
    data,
    hidden,
    steps,
    seed,
    point,
    batch_size,
    learning_rate,
    trained=None,
    optimizer="adam",
):
    """One run: train, then measure on the training, validation and test
    digits. Returns the point's results (and puts the model in
    ``trained["model"]`` when given a dictionary)."""
    import tensorflow as tf

    from snippets.data import batches_for_steps
    from snippets.mlp import MLP
    from snippets.regularization import max_norm
    from snippets.train import make_optimizer, make_train_step

    rng = np.random.default_rng(seed)
    chosen = rng.permutation(len(data.train_x))[: point["training_digits"]]
    train_x, train_y = data.train_x[chosen], data.train_y[chosen]
    model = MLP(
        hidden,
        keep_prob=point["keep_prob"],
        input_keep_prob=point["input_keep_prob"],
        seed=seed,
    )
    optimizer = make_optimizer(optimizer, learning_rate, "cosine", steps)
    optimizer.build(model.trainable_variables)
    train_step = make_train_step(model, optimizer, point["l2"])
    hidden_weights = model.weight_matrices()[:-1]

    @tf.function(autograph=False)
    def hold_max_norm():
        for weights in hidden_weights:
            weights.assign(max_norm(weights, point["max_norm"]))

    started = time.perf_counter()
    every_batch = batches_for_steps(
        batch_size, train_x, train_y, steps, seed=seed * 100003
    )
    for step, (x, y) in enumerate(every_batch):
        train_step(x, y, tf.constant([seed, step], tf.int64))
        if point["max_norm"]:
            hold_max_norm()
    seconds = time.perf_counter() - started
    if trained is not None:
        trained["model"] = model
    return {
        "seed": seed,
        "train_accuracy": accuracy(model, train_x, train_y) / len(train_x),
        "valid_accuracy": accuracy(model, data.valid_x, data.valid_y)
        / len(data.valid_x),
        "test_correct": accuracy(model, data.test_x, data.test_y),
        "test_digits": len(data.test_x),
        "epochs": round(steps * batch_size / len(train_x), 2),
        "seconds": round(seconds, 1),
    }


def same_run(earlier, config):
    """Whether a file's settings ``earlier`` are those of ``config`` but for
    the values swept and the seeds: its points can then be kept."""
    if not isinstance(earlier, dict):
        return False
    ignored = ("values", "seeds")
    return {k: v for k, v in earlier.items() if k not in ignored} == {
        k: v for k, v in config.items() if k not in ignored
    }


def run_settings(name, seeds):
    run = RUNS[name]
    config = {
        key: run[key]
        for key in ("hidden", "sweeps", "values", "training_digits", "steps")
    }
    # a run's own optimizer and learning rate, where it has them
    own = {
        key: run[key] for key in ("optimizer", "learning_rate") if key in run
    }
    return dict(config, **dict(COMMON, **own), seeds=list(range(seeds)))


def main(argv=None):
    parser = Parser(
        prog="generalisation.py",
        description="The learning curve, the L2 and keep-probability sweeps "
        "and the networks beside Srivastava et al. (2014).",
    )
    parser.add_argument("run", choices=list(RUNS))
    parser.add_argument(
        "--seeds", type=positive_int, help="how many (default: the run's)"
    )
    parser.add_argument("--output", type=Path, help="default: benchmarks/new/")
    args = parser.parse_args(argv)
    run = RUNS[args.run]
    output = args.output or FOLDER / "new" / run["file"]
    if not check_writable(output, "generalisation.py"):
        return 1
    config = run_settings(args.run, args.seeds or run["seeds"])
    report = {"run": args.run, "config": config, "points": []}
    if output.exists():
        try:
            earlier = json.loads(output.read_text())
        except (OSError, ValueError):
            earlier = {}
        if same_run(earlier.get("config"), config):
            # continue where it stopped: a point already done (a value
            # still swept, a seed still asked for) is not run again
            report = dict(earlier, config=config)
            report["points"] = [
                p
                for p in earlier["points"]
                if p["value"] in config["values"]
                and p["seed"] in config["seeds"]
            ]
    quiet_tensorflow()
    from snippets.data import load_dataset

    data = load_dataset(validation_size=5000)
    done = {(p["value"], p["seed"]) for p in report["points"]}
    for value in config["values"]:
        for seed in config["seeds"]:
            if (value, seed) in done:
                continue
            point = settings_of(run, value)
            result = train_point(
                data,
                config["hidden"],
                config["steps"],
                seed,
                point,
                config["batch_size"],
                config["learning_rate"],
                optimizer=config.get("optimizer", "adam"),
            )
            report["points"].append({"value": value, **point, **result})
            report["date"] = datetime.now(UTC).date().isoformat()
            report["processor"] = processor()
            if args.run == "srivastava":
                report["srivastava_table_2"] = SRIVASTAVA_TABLE_2
            print(
                f"{args.run} {value} seed {seed}: train "
                f"{result['train_accuracy']:.4f} test "
                f"{result['test_correct'] / result['test_digits']:.4f} "
                f"({result['seconds']} s)",
                flush=True,
            )
            if not write_report(output, report, "generalisation.py"):
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
