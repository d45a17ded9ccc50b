"""A plain Keras script for MNIST, as a reader would first write one: the yardstick
for the whole process, start-up included (bench.py times it in a fresh process).

    .venv/bin/python benchmarks/plain_keras.py --seed 1 --epochs 10

784-256-10 with a ReLU, Adam 1e-3, batch 128 (bench.py's plain baseline), trained for
``--epochs`` epochs and evaluated once on MNIST's test set at the end. The digits come
from the project's verified files (snippets/mnist_files.py), as keras.datasets would give
them. The last line of standard output is one JSON object with the test accuracy.
"""

import json
import sys

from snippets.common import Parser, positive_int


def parse_arguments(argv):
    parser = Parser(
        prog="plain_keras.py",
        description="Train 784-256-10 the plain Keras way and print the "
        "test accuracy as JSON.",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=positive_int, default=10)
    parser.add_argument(
        "--limit",
        type=positive_int,
        help="train on the first LIMIT images only (a smoke test)",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_arguments(argv)
    from snippets.common import quiet_tensorflow

    keras = quiet_tensorflow().keras
    from snippets.mnist_files import load_mnist

    (images, labels), (test_images, test_labels) = load_mnist()
    images, labels = images[:55000][: args.limit], labels[:55000][: args.limit]
    keras.utils.set_random_seed(args.seed)
    model = keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(
        images.reshape(-1, 784).astype("float32") / 255,
        labels,
        batch_size=128,
        epochs=args.epochs,
        verbose=0,
    )
    _, accuracy = model.evaluate(
        test_images.reshape(-1, 784).astype("float32") / 255,
        test_labels,
        verbose=0,
    )
    print(json.dumps({"test_accuracy": round(float(accuracy), 4)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
