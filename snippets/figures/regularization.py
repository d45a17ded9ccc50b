"""Figures of "Regularization": a network overfitting a small slice with the epoch early
stopping keeps, and the weights with and without an L2 penalty."""

from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np

from snippets.data import load_dataset
from snippets.figures import COLORS, ink
from snippets.regularization import EarlyStopping
from snippets.train import TrainConfig, train

LIMIT = 500  # training images: few enough to overfit in a few epochs
EPOCHS = 16
PATIENCE = 3  # the early-stopping rule replayed on the curve
L2 = 1e-3  # the penalty compared with none (the notebook's)
CONFIG = TrainConfig(hidden=(256,), epochs=EPOCHS, patience=EPOCHS, learning_rate=3e-3)


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
    return {"epoch": [row["epoch"] for row in history],
            "train_loss": [row["train_loss"] for row in history],
            "valid_loss": [row["valid_loss"] for row in history],
            "valid_accuracy": [row["valid_accuracy"] for row in history],
            "best_epoch": int(stopper.best_epoch), "stop_epoch": stop_epoch}


def draw_overfitting_curves(data):
    figure, (loss_ax, accuracy_ax) = plt.subplots(1, 2, figsize=(8.4, 3.6), sharex=True)
    epochs = data["epoch"]
    loss_ax.plot(epochs, data["train_loss"], color=COLORS[0], marker="o", markersize=3,
                 label="training loss")
    loss_ax.plot(epochs, data["valid_loss"], color=COLORS[1], marker="o", markersize=3,
                 label="validation loss")
    loss_ax.set_ylabel("mean cross-entropy")
    pass
    accuracy_ax.plot(epochs, data["valid_accuracy"], color=COLORS[1], marker="o", markersize=3,
                     label="validation accuracy")
    accuracy_ax.set_ylabel("validation accuracy")
    for ax in (loss_ax, accuracy_ax):
        ax.axvline(data["best_epoch"], color=COLORS[2], linewidth=1.5)
        ax.axvline(data["stop_epoch"], color=ink(), linewidth=1, linestyle=":")
        ax.set_xlabel("epoch")
    marks = accuracy_ax.get_xaxis_transform()  # x in epochs, y in axes fractions
    accuracy_ax.text(data["best_epoch"], 1.02, "kept", transform=marks, ha="center",
                     va="bottom", color=COLORS[2], fontsize=9)
    accuracy_ax.text(data["stop_epoch"], 1.02, "stopped", transform=marks, ha="left",
                     va="bottom", fontsize=9)
    loss_ax.legend(loc="upper right", fontsize=9)
    figure.tight_layout()
    return figure


def weights_with_and_without_l2():
    """The first layer's weights of the same network trained without and with L2 = L2,
    both for the best epoch of EPOCHS, beside their starting values."""
    data = _data()
    runs = {}
    for l2 in (0.0, L2):
        result = train(replace(CONFIG, epochs=8, patience=8, l2=l2), data=data,
                       log=lambda message: None)
        weights = result.model.weights["hidden_1"].numpy().ravel()
        runs[l2] = {"weights": weights, "norm": float(np.linalg.norm(weights)),
                    "valid_accuracy": max(row["valid_accuracy"] for row in result.history)}
    from snippets.mlp import MLP

    initial = MLP(CONFIG.hidden, seed=CONFIG.seed).weights["hidden_1"].numpy().ravel()
    return {"initial": {"weights": initial, "norm": float(np.linalg.norm(initial))}, **runs}


def draw_weights_with_and_without_l2(runs):
    figure, ax = plt.subplots(figsize=(6.4, 3.8))
    edges = np.linspace(-0.25, 0.25, 101)
    labels = {"initial": "at the start (He initialisation)", 0.0: "trained, no penalty",
              L2: f"trained, L2 λ = {L2:g}"}
    styles = {"initial": dict(color=ink(), linestyle=":"), 0.0: dict(color=COLORS[0]),
              L2: dict(color=COLORS[1])}
    for key, run in runs.items():
        counts, _ = np.histogram(np.clip(run["weights"], edges[0], edges[-1]), bins=edges)
        ax.stairs(counts, edges, linewidth=1.6, **styles[key],
                  label=f"{labels[key]}: ||W|| = {run['norm']:.1f}")
    ax.set_yscale("log")
    ax.set_xlabel("value of a weight of the first layer (784 × 256)")
    ax.set_ylabel("number of weights")
    ax.legend(loc="upper left", bbox_to_anchor=(0, 1.25), fontsize=9)
    figure.tight_layout()
    return figure


FIGURES = [
    ("regularization-overfitting", overfitting_curves, draw_overfitting_curves),
    ("regularization-l2-weights", weights_with_and_without_l2, draw_weights_with_and_without_l2),
]
