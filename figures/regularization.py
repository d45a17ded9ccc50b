"""Figures of "Regularization": a network overfitting a small slice with the epoch early
stopping keeps, the weights with and without an L2 penalty, a sweep of the strength of
L1 and L2 penalties, and, read from benchmarks/learning_curve.json and
benchmarks/l2_sweep.json (`make bench-learning-curve`, `make bench-l2`), the learning curve on MNIST and
the L2 sweep over seeds."""

import json
from dataclasses import replace
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from figures import COLORS, ink, seed_band
from snippets.data import load_dataset
from snippets.regularization import EarlyStopping, l1_penalty, l2_penalty
from snippets.train import TrainConfig, train

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
LEARNING_CURVE = BENCHMARKS / "learning_curve.json"
L2_SWEEP = BENCHMARKS / "l2_sweep.json"
L2_SWEEP_SGD = BENCHMARKS / "l2_sweep_sgd.json"
# What the build redraws this page's figures for, besides code (docs/hooks/generated.py).
INPUTS = [
    "benchmarks/learning_curve.json",
    "benchmarks/l2_sweep.json",
    "benchmarks/l2_sweep_sgd.json",
]

LIMIT = 500  # training images: few enough to overfit in a few epochs
EPOCHS = 16
PATIENCE = 3  # the early-stopping rule replayed on the curve
L2 = 1e-3  # the penalty compared with none (the notebook's)
CONFIG = TrainConfig(
    hidden=(256,), epochs=EPOCHS, patience=EPOCHS, learning_rate=3e-3
)


def _data():
    return load_dataset(validation_size=1000, limit=LIMIT)


def overfitting_curves():
    """An uninterrupted run on LIMIT images, and where EarlyStopping(PATIENCE) would stop it
    (replayed on the history, which is what train() does: tests/test_regularization.py)."""
    result = train(CONFIG, data=_data(), log=lambda message: None)
    history = result.history
    stopper = EarlyStopping(PATIENCE)
    stop_epoch = None
    for row in history:
        stopper.update(row["valid_accuracy"], row["epoch"])
        if stopper.should_stop:
            stop_epoch = row["epoch"]
            break
    return {
        "epoch": [row["epoch"] for row in history],
        "train_loss": [row["train_loss"] for row in history],
        "valid_loss": [row["valid_loss"] for row in history],
        "valid_accuracy": [row["valid_accuracy"] for row in history],
        "best_epoch": int(stopper.best_epoch),
        "stop_epoch": stop_epoch,
    }


def draw_overfitting_curves(data):
    figure, (loss_ax, accuracy_ax) = plt.subplots(
        1, 2, figsize=(8.4, 3.6), sharex=True
    )
    epochs = data["epoch"]
    loss_ax.plot(
        epochs,
        data["train_loss"],
        color=COLORS[0],
        marker="o",
        markersize=3,
        label="training loss",
    )
    loss_ax.plot(
        epochs,
        data["valid_loss"],
        color=COLORS[1],
        marker="o",
        markersize=3,
        label="validation loss",
    )
    loss_ax.set_ylabel("mean cross-entropy")
    accuracy_ax.plot(
        epochs,
        data["valid_accuracy"],
        color=COLORS[1],
        marker="o",
        markersize=3,
        label="validation accuracy",
    )
    accuracy_ax.set_ylabel("validation accuracy")
    for ax in (loss_ax, accuracy_ax):
        ax.axvline(data["best_epoch"], color=COLORS[2], linewidth=1.5)
        ax.axvline(data["stop_epoch"], color=ink(), linewidth=1, linestyle=":")
        ax.set_xlabel("epoch")
    marks = (
        accuracy_ax.get_xaxis_transform()
    )  # x in epochs, y in axes fractions
    accuracy_ax.text(
        data["best_epoch"],
        1.02,
        "kept",
        transform=marks,
        ha="center",
        va="bottom",
        color=COLORS[2],
        fontsize=9,
    )
    accuracy_ax.text(
        data["stop_epoch"],
        1.02,
        "stopped",
        transform=marks,
        ha="left",
        va="bottom",
        fontsize=9,
    )
    loss_ax.legend(loc="upper right", fontsize=9)
    figure.tight_layout()
    return figure


L2_EPOCHS = 8  # the runs of the histogram, with Adam at CONFIG's learning rate


def weights_with_and_without_l2():
    """The first layer's weights of the same network trained with Adam without and with
    L2 = L2, both for the best epoch of L2_EPOCHS, beside their starting values.

    ``border`` marks the weights of the pixels that are blank in every training image: the
    data gives them no gradient, so what moves them is the penalty alone, and how far it
    moves them is Adam's doing (the page shows plain gradient descent's factor beside it)."""
    data = _data()
    runs = {}
    for l2 in (0.0, L2):
        result = train(
            replace(CONFIG, epochs=L2_EPOCHS, patience=L2_EPOCHS, l2=l2),
            data=data,
            log=lambda message: None,
        )
        weights = result.model.weights["hidden_1"].numpy()
        runs[l2] = {
            "weights": weights.ravel(),
            "norm": float(np.linalg.norm(weights)),
            "valid_accuracy": max(
                row["valid_accuracy"] for row in result.history
            ),
        }
    from snippets.mlp import MLP

    initial = (
        MLP(CONFIG.hidden, seed=CONFIG.seed)
        .weights["hidden_1"]
        .numpy()
        .ravel()
    )
    blank = np.all(
        data.train_x == 0, axis=0
    )  # one flag per pixel, as many as inputs
    border = np.repeat(
        blank, CONFIG.hidden[0]
    )  # the row of each pixel, raveled
    steps = L2_EPOCHS * -(-len(data.train_x) // CONFIG.batch_size)
    return {
        "initial": {
            "weights": initial,
            "norm": float(np.linalg.norm(initial)),
        },
        **runs,
        "border": border,
        "steps": steps,
        "learning_rate": CONFIG.learning_rate,
    }


def draw_weights_with_and_without_l2(runs):
    figure, ax = plt.subplots(figsize=(6.4, 3.8))
    edges = np.linspace(-0.25, 0.25, 101)
    labels = {
        "initial": "at the start (He initialisation)",
        0.0: "trained, no penalty",
        L2: f"trained, L2 λ = {L2:g}",
    }
    styles = {
        "initial": dict(color=ink(), linestyle=":"),
        0.0: dict(color=COLORS[0]),
        L2: dict(color=COLORS[1]),
    }
    for key, run in runs.items():
        if key not in labels:  # the border's flags and the run's settings
            continue
        counts, _ = np.histogram(
            np.clip(run["weights"], edges[0], edges[-1]), bins=edges
        )
        ax.stairs(
            counts,
            edges,
            linewidth=1.6,
            **styles[key],
            label=f"{labels[key]}: ||W|| = {run['norm']:.1f}",
        )
    ax.set_yscale("log")
    ax.set_xlabel("value of a weight of the first layer (784 × 256)")
    ax.set_ylabel("number of weights")
    ax.legend(loc="upper left", bbox_to_anchor=(0, 1.25), fontsize=9)
    figure.tight_layout()
    return figure


STRENGTHS = (1e-3, 1e-2, 1e-1)  # the λ of the sweep, for L1 and for L2
NEAR_ZERO = 1e-3  # a weight this close to zero counts as switched off
SWEEP_EPOCHS = 20
SWEEP_BATCH = 100
SWEEP_LEARNING_RATE = 0.1  # plain gradient descent, decayed to 0 over the run


def penalized_run(penalty, strength, data, seed=0):
    """CONFIG's network trained by plain gradient descent on ``data`` with ``penalty``
    (l1_penalty, l2_penalty or None) of ``strength`` added to the loss: its validation
    accuracy at the end, and the share of its weights within NEAR_ZERO of zero.

    A loop of its own, because train() knows L2 only. The step size decays to 0 (cosine),
    so a weight L1 has pulled to zero settles there instead of hopping across it."""
    import tensorflow as tf

    from snippets.data import batches
    from snippets.linear import softmax_cross_entropy
    from snippets.mlp import MLP
    from snippets.train import make_optimizer

    model = MLP(CONFIG.hidden, seed=seed)
    steps_per_epoch = -(-len(data.train_x) // SWEEP_BATCH)
    optimizer = make_optimizer(
        "sgd",
        SWEEP_LEARNING_RATE,
        "cosine",
        total_steps=SWEEP_EPOCHS * steps_per_epoch,
    )
    signature = [
        tf.TensorSpec([None, 784], tf.float32),
        tf.TensorSpec([None, 10], tf.float32),
    ]

    @tf.function(input_signature=signature, autograph=False)
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = softmax_cross_entropy(model(x), y)
            if penalty is not None:
                loss += penalty(model.weight_matrices(), strength)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))

    step = step.get_concrete_function()
    for epoch in range(SWEEP_EPOCHS):
        for x, y in batches(
            SWEEP_BATCH, data.train_x, data.train_y, seed=seed + epoch
        ):
            step(tf.constant(x), tf.constant(y))
    predicted = np.argmax(model(data.valid_x).numpy(), axis=1)
    weights = np.concatenate(
        [w.numpy().ravel() for w in model.weight_matrices()]
    )
    return {
        "valid_accuracy": float(
            np.mean(predicted == np.argmax(data.valid_y, axis=1))
        ),
        "near_zero": float(np.mean(np.abs(weights) < NEAR_ZERO)),
    }


def penalty_sweep():
    """penalized_run without a penalty, and with L1 and with L2 at each of STRENGTHS."""
    data = _data()
    sweep = {"none": penalized_run(None, 0.0, data)}
    for name, penalty in (("L1", l1_penalty), ("L2", l2_penalty)):
        sweep[name] = {
            strength: penalized_run(penalty, strength, data)
            for strength in STRENGTHS
        }
    return sweep


def draw_penalty_sweep(sweep):
    figure, axes = plt.subplots(1, 2, figsize=(8.4, 3.6), sharex=True)
    panels = (
        ("valid_accuracy", "validation accuracy"),
        ("near_zero", f"share of weights with |w| < {NEAR_ZERO:g}"),
    )
    for ax, (key, label) in zip(axes, panels):
        for color, name in zip(COLORS, ("L1", "L2")):
            runs = sweep[name]
            ax.plot(
                list(runs),
                [run[key] for run in runs.values()],
                color=color,
                marker="o",
                label=name,
            )
        ax.axhline(
            sweep["none"][key],
            color=ink(),
            linewidth=1,
            linestyle="--",
            label="no penalty",
        )
        ax.set_xscale("log")
        ax.set_xlabel("strength λ")
        ax.set_ylabel(label)
        ax.set_ylim(0, 1.02)
    axes[0].legend(loc="lower left", fontsize=9)
    figure.tight_layout()
    return figure


def by_setting(path):
    """A results file of benchmarks/generalisation.py, point by point grouped
    by the value its run sweeps: for each value, the seeds and their training,
    validation and test accuracies (the test set's size alongside)."""
    report = json.loads(Path(path).read_text())
    rows = []
    for value in report["config"]["values"]:
        points = [p for p in report["points"] if p["value"] == value]
        if not points:  # a run still going: the values it has done
            continue
        rows.append(
            {
                "value": value,
                "seeds": [p["seed"] for p in points],
                "train": [p["train_accuracy"] for p in points],
                "valid": [p["valid_accuracy"] for p in points],
                "test": [p["test_correct"] / p["test_digits"] for p in points],
                "test_digits": points[0]["test_digits"],
            }
        )
    return {"config": report["config"], "rows": rows}


def best_by_validation(rows):
    """The row with the highest mean validation accuracy: the setting a
    reader would choose without looking at the test set."""
    return max(rows, key=lambda row: np.mean(row["valid"]))


def draw_train_and_test(ax, xs, rows, markers=True):
    """The mean over seeds of the training and test accuracy, each with a
    band from the lowest seed to the highest."""
    for color, key, label in (
        (COLORS[0], "train", "training digits"),
        (COLORS[1], "test", "test digits (10,000)"),
    ):
        seed_band(
            ax,
            xs,
            [row[key] for row in rows],
            color,
            marker="o" if markers else None,
            label=label,
        )


def learning_curve():
    """benchmarks/learning_curve.json: 784-256-10, the same number of steps at
    every training-set size, over seeds."""
    return by_setting(LEARNING_CURVE)


def draw_learning_curve(curve):
    figure, (accuracy_ax, gap_ax) = plt.subplots(
        1, 2, figsize=(8.4, 3.6), sharex=True
    )
    rows = curve["rows"]
    sizes = [row["value"] for row in rows]
    draw_train_and_test(accuracy_ax, sizes, rows)
    accuracy_ax.set_ylabel("accuracy")
    accuracy_ax.legend(loc="lower right", fontsize=9)
    gaps = [np.asarray(row["train"]) - np.asarray(row["test"]) for row in rows]
    seed_band(gap_ax, sizes, gaps, COLORS[2])
    gap_ax.axhline(0, color=ink(), linewidth=0.8, linestyle=":")
    gap_ax.set_ylabel("training minus test accuracy")
    for ax in (accuracy_ax, gap_ax):
        ax.set_xscale("log")
        ax.minorticks_off()
        ax.set_xticks(
            sizes,
            [
                f"{size // 1000}k" if size >= 1000 else f"{size}"
                for size in sizes
            ],
        )
        ax.set_xlabel("training digits")
    figure.tight_layout()
    return figure


def l2_sweep():
    """benchmarks/l2_sweep.json and l2_sweep_sgd.json: 784-1024-10 on 1,000
    digits, L2 factors from none up, over seeds, with Adam and with plain
    gradient descent."""
    return {"adam": by_setting(L2_SWEEP), "sgd": by_setting(L2_SWEEP_SGD)}


def draw_sweep(rows, xs, xlabel, none=None, log=False):
    """Two panels over a swept setting: left, the test accuracy; right, the
    training accuracy (each the mean over seeds, in a band from the lowest
    seed to the highest), each on its own scale, with a dotted line at the
    setting with the best mean validation accuracy. ``none``: the row of the
    run without the regularizer, drawn dashed across both."""
    figure, axes = plt.subplots(1, 2, figsize=(8.4, 3.6), sharex=True)
    draw_sweep_on(axes, rows, xs, xlabel, none, log)
    figure.tight_layout()
    return figure


def draw_sweep_on(axes, rows, xs, xlabel, none=None, log=False):
    """draw_sweep's two panels on ``axes``."""
    best = best_by_validation(rows + ([none] if none else []))
    panels = (
        (COLORS[1], "test", "accuracy on the 10,000 test digits"),
        (COLORS[0], "train", "accuracy on the training digits"),
    )
    for ax, (color, key, label) in zip(axes, panels):
        seed_band(ax, xs, [row[key] for row in rows], color)
        if none is not None:
            ax.axhline(
                np.mean(none[key]),
                color=ink(),
                linewidth=1,
                linestyle="--",
                label="no penalty",
            )
        if best is not none:
            ax.axvline(best["value"], color=ink(), linewidth=1, linestyle=":")
            ax.text(
                best["value"],
                1.01,
                "best on validation",
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=9,
            )
        if key == "train":  # not a hundredth of a point blown up to fill it
            lowest = min(min(row[key]) for row in rows)
            ax.set_ylim(min(lowest - 0.005, 0.95), 1.003)
        if log:
            ax.set_xscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(label)
    if none is not None:
        axes[0].legend(loc="lower left", fontsize=9)


OPTIMIZERS = {"adam": "Adam", "sgd": "plain gradient descent"}


def draw_l2_sweep(sweeps):
    figure, axes = plt.subplots(
        len(sweeps), 2, figsize=(8.4, 3.3 * len(sweeps)), sharex=True
    )
    for row_axes, (optimizer, sweep) in zip(axes, sweeps.items()):
        none = next(row for row in sweep["rows"] if row["value"] == 0)
        rows = [row for row in sweep["rows"] if row["value"] > 0]
        draw_sweep_on(
            row_axes,
            rows,
            [row["value"] for row in rows],
            "L2 factor λ",
            none=none,
            log=True,
        )
        row_axes[0].set_title(OPTIMIZERS[optimizer], loc="left", fontsize=10)
    figure.tight_layout()
    return figure


FIGURES = [
    (
        "regularization-overfitting",
        overfitting_curves,
        draw_overfitting_curves,
    ),
    (
        "regularization-l2-weights",
        weights_with_and_without_l2,
        draw_weights_with_and_without_l2,
    ),
    ("regularization-penalty-sweep", penalty_sweep, draw_penalty_sweep),
    ("regularization-learning-curve", learning_curve, draw_learning_curve),
    ("regularization-l2-sweep", l2_sweep, draw_l2_sweep),
]
