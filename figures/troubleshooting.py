"""Figures of "Troubleshooting": the raw pixels of a learner's notebook built on the course, with
the course's large starting weights, and a learning rate far too high."""

import math

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from figures import COLORS, ink
from snippets.data import batches, load_dataset
from snippets.mlp import MLP
from snippets.relu import dead_fraction
from snippets.train import make_optimizer, make_train_step

LIMIT = 2000  # training images
EPOCHS = 3  # of batch 128: 16 steps each
RATE = 0.1  # plain gradient descent's learning rate for the raw-pixel runs (the page's)
RATES = (0.01, 0.1, 1.0, 10.0)  # the learning rates compared


def _data():
    return load_dataset(validation_size=1000, limit=LIMIT)


def course_start(model):
    """The course's tf.random_normal start: weights and biases of standard deviation 1."""
    for index, name in enumerate(model.weights):
        for table in (model.weights, model.biases):
            variable = table[name]
            variable.assign(
                tf.random.stateless_normal(
                    variable.shape, seed=[index, len(variable.shape)]
                )
            )
    return model


def run_steps(model, train_x, train_y, valid_x, valid_y, learning_rate):
    """Plain gradient descent for EPOCHS epochs, as train() steps: the loss of every step
    (NaN from the first step that overflows on) and, after each epoch, the share of dead
    ReLUs and the validation accuracy."""
    step = make_train_step(model, make_optimizer("sgd", learning_rate), l2=0.0)
    losses, epochs = [], []
    for epoch in range(1, EPOCHS + 1):
        for x, y in batches(128, train_x, train_y, seed=epoch):
            loss, norm = (
                float(t) for t in step(x, y, tf.constant([0, 0], tf.int64))
            )
            losses.append(
                loss
                if math.isfinite(loss) and math.isfinite(norm)
                else math.nan
            )
        accuracy = float(
            np.mean(
                np.argmax(model(valid_x), axis=1) == np.argmax(valid_y, axis=1)
            )
        )
        epochs.append(
            {"dead": dead_fraction(model, valid_x), "valid_accuracy": accuracy}
        )
    return {"losses": np.array(losses), "epochs": epochs}


RAW_RUNS = {  # label: (pixel scale, the course's standard-deviation-1 start)
    "pixels / 255, He initialization": (1.0, False),
    "raw pixels, He initialization": (255.0, False),
    "raw pixels, standard deviation 1 (the course)": (255.0, True),
}


def raw_pixels():
    """784-256-10 trained with plain gradient descent at RATE: scaled pixels and He
    initialization, raw pixels, and raw pixels from the course's large starting weights."""
    data = _data()
    runs = {}
    for label, (scale, course) in RAW_RUNS.items():
        model = MLP(hidden=(256,))
        if course:
            course_start(model)
        runs[label] = run_steps(
            model,
            data.train_x * scale,
            data.train_y,
            data.valid_x * scale,
            data.valid_y,
            RATE,
        )
        runs[label]["start_logit_std"] = float(
            tf.math.reduce_std(
                (
                    course_start(MLP(hidden=(256,)))
                    if course
                    else MLP(hidden=(256,))
                )(data.valid_x * scale)
            )
        )
    return runs


def _loss_panel(ax, runs, labels):
    for color, (label, run) in zip(COLORS, runs.items()):
        steps = np.arange(1, len(run["losses"]) + 1)
        ax.plot(
            steps,
            run["losses"],
            color=color,
            linewidth=1.4,
            label=labels(label, run),
        )
    ax.set_yscale("log")
    ax.set_xlabel("step of plain gradient descent (batch 128)")
    ax.set_ylabel("training loss (log scale)")
    ax.axhline(math.log(10), color=ink(), linewidth=0.8, linestyle=":")
    ax.annotate(
        "log 10: guessing",
        (1, math.log(10)),
        xytext=(0, 3),
        textcoords="offset points",
        fontsize=8,
        va="bottom",
    )


def _bars(ax, runs, key, xlabel):
    labels = list(runs)
    values = [run["epochs"][-1][key] for run in runs.values()]
    ax.barh(range(len(labels)), values, color=COLORS[: len(labels)])
    for y, value in enumerate(values):
        ax.text(value, y, f" {value:.0%}", va="center", fontsize=9)
    ax.set_yticks([])
    ax.invert_yaxis()
    ax.set_xlim(0, 1.25)
    ax.set_xlabel(xlabel)


def draw_raw_pixels(runs):
    figure, (loss_ax, dead_ax, accuracy_ax) = plt.subplots(
        1, 3, figsize=(10.4, 3.8), gridspec_kw={"width_ratios": [2.4, 1, 1]}
    )
    _loss_panel(loss_ax, runs, lambda label, run: label)
    loss_ax.legend(loc="upper left", bbox_to_anchor=(0, 1.3), fontsize=9)
    _bars(dead_ax, runs, "dead", "dead ReLUs at the end")
    _bars(accuracy_ax, runs, "valid_accuracy", "validation accuracy")
    figure.tight_layout()
    return figure


def learning_rates():
    """784-256-10 on scaled pixels, He initialization, plain gradient descent at each of RATES."""
    data = _data()
    return {
        f"learning rate {rate:g}": run_steps(
            MLP(hidden=(256,)),
            data.train_x,
            data.train_y,
            data.valid_x,
            data.valid_y,
            rate,
        )
        for rate in RATES
    }


def draw_learning_rates(runs):
    figure, (loss_ax, dead_ax, accuracy_ax) = plt.subplots(
        1, 3, figsize=(10.4, 3.8), gridspec_kw={"width_ratios": [2.4, 1, 1]}
    )
    _loss_panel(loss_ax, runs, lambda label, run: label)
    loss_ax.legend(
        loc="upper left", bbox_to_anchor=(0, 1.3), fontsize=9, ncol=2
    )
    _bars(dead_ax, runs, "dead", "dead ReLUs at the end")
    _bars(accuracy_ax, runs, "valid_accuracy", "validation accuracy")
    figure.tight_layout()
    return figure


FIGURES = [
    ("troubleshooting-raw-pixels", raw_pixels, draw_raw_pixels),
    ("troubleshooting-learning-rate", learning_rates, draw_learning_rates),
]
