"""Deeper or wider? Networks of one, two and three hidden layers on the same parameter budget.

The course claims that, for a given number of parameters, adding layers buys more than
widening the one hidden layer. This module sets up that comparison fairly and small enough
to run in seconds: it picks the hidden width for each depth so that every network has about
as many parameters as the course's 784-256-10, trains each one briefly on a slice of MNIST
with fixed seeds (several seeds, so the table shows how much a seed alone moves the result),
and returns a table.

Two more pieces complete the picture. A sawtooth shows what depth can do that width
cannot do cheaply: each layer of two ReLUs doubles the number of straight pieces, where one
hidden layer needs a unit per corner. And the signal sizes show why depth is harder to
train: the gradient that reaches the first layer of a deep network is a product of one
factor per layer above it, so it shrinks or grows geometrically unless the weights start at
the right scale.

Run it as a script (under a minute on two cores; pass smaller numbers for a quicker look):

    python -m snippets.deeper
    python -m snippets.deeper --limit 2000 --epochs 1 --seeds 1
"""

import math
import sys
import time

import numpy as np
import tensorflow as tf

from snippets.linear import softmax_cross_entropy
from snippets.mlp import MLP, parameter_count
from snippets.relu import relu
from snippets.train import TrainConfig, train

COURSE_BUDGET = parameter_count((256,))  # 203,530: the course's 784-256-10


# --8<-- [start:budget]
def width_for_budget(depth, budget, n_inputs=784, n_classes=10):
    """The width w for which ``depth`` hidden layers of w units come closest to
    ``budget``.

    The parameter count grows with w, so walk up until one more unit would pass
    the budget, then keep whichever of w and w + 1 lands nearer.
    """
    if depth < 1 or budget < parameter_count(
        (1,) * depth, n_inputs, n_classes
    ):
        raise ValueError(
            f"no network of {depth} hidden layers fits in {budget} parameters"
        )
    width = 1
    while parameter_count((width + 1,) * depth, n_inputs, n_classes) <= budget:
        width += 1
    below = budget - parameter_count((width,) * depth, n_inputs, n_classes)
    above = parameter_count((width + 1,) * depth, n_inputs, n_classes) - budget
    return width if below <= above else width + 1


def same_budget_shapes(
    budget=COURSE_BUDGET, depths=(1, 2, 3), n_inputs=784, n_classes=10
):
    """One tuple of hidden widths per depth, all with about ``budget``
    parameters.
    """
    return [
        (width_for_budget(depth, budget, n_inputs, n_classes),) * depth
        for depth in depths
    ]


# --8<-- [end:budget]


# --8<-- [start:sawtooth]
def tent(x):
    """Two ReLUs make a tent on [0, 1]: up from 0 to 1 over the first half,
    back down over the second.
    """
    return 2 * relu(x) - 4 * relu(x - 0.5)


def sawtooth(x, depth):
    """The tent applied ``depth`` times: ``depth`` layers of 2 ReLUs each,
    2**depth straight pieces.
    """
    for _ in range(depth):
        x = tent(x)
    return x


def count_pieces(x, y):
    """How many straight pieces the sampled function y(x) is made of: slope
    changes + 1.
    """
    slopes = np.diff(y) / np.diff(x)
    return 1 + int(np.sum(~np.isclose(slopes[1:], slopes[:-1])))


# --8<-- [end:sawtooth]


# --8<-- [start:compare]
def compare(shapes, data, epochs=3, seeds=(0, 1), batch_size=100):
    """Train every shape once per seed with the same settings; return one row
    per shape.

    Everything but the shape is held fixed: the data, the optimizer (Adam at
    1e-3), the number of epochs, the batch size and the seeds. Each row holds
    the test accuracy of every seed, their mean, and the validation accuracy
    after each epoch (for plotting).
    """
    rows = []
    for hidden in shapes:
        runs = []
        for seed in seeds:
            config = TrainConfig(
                hidden=tuple(hidden),
                epochs=epochs,
                batch_size=batch_size,
                seed=seed,
                # no early stopping in so short a run
                patience=epochs,
            )
            runs.append(train(config, data=data, log=lambda message: None))
        accuracies = [run.test_accuracy for run in runs]
        rows.append(
            {
                "hidden": tuple(hidden),
                "depth": len(hidden),
                "parameters": parameter_count(
                    hidden, data.train_x.shape[1], data.train_y.shape[1]
                ),
                "test_accuracies": accuracies,
                "mean_test_accuracy": float(np.mean(accuracies)),
                "valid_curves": [
                    [row["valid_accuracy"] for row in run.history]
                    for run in runs
                ],
            }
        )
    return rows


def table(rows):
    """The rows as a Markdown table, test accuracies in percent."""
    lines = [
        "| hidden layers | widths | parameters | test accuracy per seed (%) | "
        "mean (%) |",
        "| ---: | --- | ---: | --- | ---: |",
    ]
    for row in rows:
        per_seed = ", ".join(f"{100 * a:.2f}" for a in row["test_accuracies"])
        widths = "-".join(str(w) for w in row["hidden"])
        lines.append(
            f"| {row['depth']} | {widths} | {row['parameters']:,} | "
            f"{per_seed} | "
            f"{100 * row['mean_test_accuracy']:.2f} |"
        )
    return "\n".join(lines)


# --8<-- [end:compare]


# --8<-- [start:gradients]
def set_initial_scale(model, stddev, seed=0):
    """Redraw every weight matrix from a normal distribution with a fixed
    ``stddev``.

    ``stddev=None`` uses He's standard deviation, sqrt(2 / fan_in), layer by
    layer.
    """
    for index, weights in enumerate(model.weight_matrices()):
        scale = math.sqrt(2.0 / weights.shape[0]) if stddev is None else stddev
        weights.assign(
            tf.random.stateless_normal(
                weights.shape, seed=[seed, index], stddev=scale
            )
        )
    return model


def signal_sizes(model, x, labels, training=False):
    """Root-mean-square size of each hidden layer's output h and of the
    gradient dL/dh.

    ``model.activations`` gives every layer's output on the way to the logits,
    so the tape can differentiate the loss with respect to each hidden layer's
    output. ``training`` is passed on (batch normalisation uses the batch's
    statistics in training).
    """
    with tf.GradientTape() as tape:
        *hidden_outputs, logits = model.activations(x, training=training)
        loss = softmax_cross_entropy(logits, labels)
    gradients = tape.gradient(loss, hidden_outputs)

    def rms(t):
        return float(tf.sqrt(tf.reduce_mean(tf.square(t))))

    return [rms(h) for h in hidden_outputs], [rms(g) for g in gradients]


# --8<-- [end:gradients]


def main(argv=None):
    from snippets.common import Parser, positive_int
    from snippets.data import load_dataset

    parser = Parser(
        prog="python -m snippets.deeper",
        description="Deeper vs wider at the parameter budget of the course's 784-256-10.",
    )
    parser.add_argument(
        "--limit",
        type=positive_int,
        default=10000,
        help="training images to use",
    )
    parser.add_argument("--epochs", type=positive_int, default=3)
    parser.add_argument(
        "--seeds",
        type=positive_int,
        default=2,
        help="how many seeds per shape",
    )
    args = parser.parse_args(argv)

    x = np.linspace(0.0, 1.0, 2**12 + 1)
    print(
        "a sawtooth of depth d: d layers of 2 ReLUs; one hidden layer needs a "
        "ReLU per corner"
    )
    for depth in (2, 4, 8):
        pieces = count_pieces(x, sawtooth(x, depth))
        print(
            f"  depth {depth}: {2 * depth:>2} ReLUs, {pieces:>3} straight "
            f"pieces (one hidden layer: {pieces - 1} ReLUs)"
        )

    shapes = same_budget_shapes()
    print(f"\nbudget: {COURSE_BUDGET:,} parameters, the course's 784-256-10")
    data = load_dataset(validation_size=2000, limit=args.limit)
    started = time.perf_counter()
    rows = compare(
        shapes, data, epochs=args.epochs, seeds=tuple(range(args.seeds))
    )
    print(
        f"trained on {len(data.train_x):,} images for {args.epochs} epochs "
        f"({time.perf_counter() - started:.0f} s):"
    )
    print(table(rows))

    x, labels = data.train_x[:256], data.train_y[:256]
    print(
        "\nA fresh 784-(64 x 10)-10 network, hidden layers 1 to 10: size "
        "(RMS) of each layer's "
        "output h and of the gradient dL/dh that backprop brings to it"
    )
    for name, stddev in [
        ("stddev 0.01", 0.01),
        ("He", None),
        ("stddev 1.0", 1.0),
    ]:
        model = set_initial_scale(MLP(hidden=(64,) * 10), stddev)
        forward_sizes, backward_sizes = signal_sizes(model, x, labels)
        print(
            f"  {name:<12} h     "
            + " ".join(f"{v:8.1e}" for v in forward_sizes)
        )
        print(
            f"  {'':<12} dL/dh "
            + " ".join(f"{v:8.1e}" for v in backward_sizes)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
