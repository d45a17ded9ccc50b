"""The site's export: the networks the "Try it" page runs, trained, checked and written.

The page runs three networks: the course's 784-256-10 trained for a few epochs, once plainly
and once with dropout, and the best network the project trains, which takes minutes and is
therefore trained once and committed (``snippets/best_network/``). All three are written in
the int8 format of ``snippets.int8``, and every one is compared with the float32 TensorFlow
model it came from, on the whole test set, before the page may show it.

Run it as a script to train a small model on a slice of MNIST, export it to a temporary
folder and compare the export with TensorFlow; ``--save-best DIR`` makes the run in DIR the
committed best network. The command line exports the site's models:

    python -m snippets.export
    python -m snippets.export --save-best runs/best
    python -m snippets export --output docs/generated/try
"""

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from snippets.int8 import (
    WEIGHTS_FILE,
    ExportError,
    float_layers,
    forward,
    model_layers,
    read_export,
    write_export,
)
from snippets.mnist_files import IMAGE_SIZE

# the first 200 MNIST test digits go into the export for the page
SHIPPED_DIGITS = 200


def tensorflow_probabilities(model, images):
    """The float32 TensorFlow model's probabilities, in batches."""
    import tensorflow as tf

    x = np.reshape(images, (len(images), -1)).astype(np.float32)
    return np.concatenate(
        [
            tf.nn.softmax(model(x[start : start + 5000])).numpy()
            for start in range(0, len(x), 5000)
        ]
    )


def compare(layers, model, test_x, test_y):
    """How the export does on a test set, and how closely it follows the
    TensorFlow model.
    """
    exported, original = (
        forward(layers, test_x),
        tensorflow_probabilities(model, test_x),
    )
    labels = np.argmax(test_y, axis=1)
    return {
        "test_accuracy": float(np.mean(np.argmax(exported, 1) == labels)),
        "tensorflow_test_accuracy": float(
            np.mean(np.argmax(original, 1) == labels)
        ),
        "agreement_with_tensorflow": float(
            np.mean(np.argmax(exported, 1) == np.argmax(original, 1))
        ),
        "max_probability_difference": float(np.abs(exported - original).max()),
        "test_images": len(test_x),
    }


# The models of the "Try it" page: the course's network, and the same network
# trained with dropout for the dropout chapter's comparison. Four epochs on all
# of MNIST keep the site build to about a minute; the page shows the test
# accuracy each model reached.
SITE_MODELS = {"plain": {"keep_prob": 1.0}, "dropout": {"keep_prob": 0.5}}


# The best network the project trains (`--preset best`, seed 0), exported by
# `make best-network` and committed: it takes minutes to train, and the site's
# build only reads it, checks it and measures it.
BEST_NETWORK = Path(__file__).with_name("best_network")
BEST_SEED = 0


def best_network():
    """``(architecture, training)``: what a committed best network must be,
    and the settings it must have been trained with: today's best preset,
    seed BEST_SEED (as model.json records them).
    """
    from dataclasses import replace

    from snippets.config import PRESETS, Architecture, training_settings

    best = replace(PRESETS["best"], seed=BEST_SEED)
    return Architecture(best.hidden), training_settings(best)


def save_best_network(checkpoint_dir, directory=BEST_NETWORK):
    """Export the network of a `train --preset best` run into ``directory``,
    after checking that it was trained with today's best preset.
    """
    from snippets.checkpoint import read_run, restore_model

    model = restore_model(checkpoint_dir)  # checks the folder and its files
    architecture, training = read_run(checkpoint_dir)
    if (architecture, training) != best_network():
        raise ExportError(
            f"{checkpoint_dir} was not trained with today's best preset "
            f"and seed {BEST_SEED}, so it is not the best network"
        )
    best = {
        "title": f"{title_of(model)}, the best preset",
        "architecture": architecture.record(),
        "training": training,
    }
    no_digits = np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    return write_export(
        directory,
        {"best": dict(best, layers=model_layers(model))},
        no_digits,
        np.zeros(0, np.uint8),
    )


def read_best_network(directory=BEST_NETWORK):
    """``(header entry, layers, model)`` of the committed best network; the
    model is an MLP holding the export's own (dequantised) weights.
    """
    from snippets.config import Architecture, ArchitectureError
    from snippets.mlp import MLP

    header, models, _, _ = read_export(directory)
    entry = header["models"].get("best", {})
    try:
        architecture = Architecture(**entry["architecture"])
    except (KeyError, TypeError, ArchitectureError) as error:
        raise ExportError(
            f"{directory} records no architecture of its best network that "
            f"this project builds ({error!r})"
        ) from None
    if (architecture, entry.get("training")) != best_network():
        raise ExportError(
            f"{directory} holds a network trained with other settings than "
            f"today's best preset and seed {BEST_SEED}; it must be trained "
            "and saved again"
        )
    layers = models["best"]
    model = MLP(architecture.hidden, seed=0)
    for (_, weights, bias), (_, w, b) in zip(
        model.layers(), float_layers(layers)
    ):
        weights.assign(w)
        bias.assign(b)
    return entry, layers, model


def title_of(model):
    """ "784-256-10", or "784-256-10 with dropout (keep_prob 0.5)": what the
    page calls a model.
    """
    sizes = "-".join(
        str(size) for size in (model.n_inputs, *model.hidden, model.n_classes)
    )
    return (
        sizes
        if model.keep_prob == 1.0
        else f"{sizes} with dropout (keep_prob {model.keep_prob:g})"
    )


def export(
    output,
    epochs=4,
    source=None,
    models=("plain", "dropout"),
    limit=None,
    log=print,
):
    """Train the site's models (or take the plain one from the checkpoint in
    ``source``), export them to ``output``, and compare the export with
    TensorFlow on the test set.
    """
    from dataclasses import replace

    from snippets.config import TrainConfig, record_of, training_settings
    from snippets.data import load_dataset
    from snippets.mnist_files import load_mnist
    from snippets.other_digits import load_other_digits
    from snippets.predict import mnist_style
    from snippets.train import train

    # fail now, not after loading or training, if it cannot be made
    Path(output).mkdir(parents=True, exist_ok=True)
    restored = None
    if source is not None and "plain" in models:
        from snippets.checkpoint import restore_model

        restored = restore_model(source)  # refuses a network not for MNIST
    data = load_dataset(limit=limit)
    _, (test_images, test_labels) = load_mnist()
    digits, labels = test_images[:SHIPPED_DIGITS], test_labels[:SHIPPED_DIGITS]
    styled = np.stack(
        [mnist_style(digit.astype(np.float32) / 255) for digit in digits]
    )
    other_x, other_y, _ = load_other_digits()
    exported, reference = (
        {},
        {"digits": "the shipped digits after mnist_style", "models": {}},
    )
    for key in models:
        started = time.perf_counter()
        if key == "best":
            entry, layers, model = read_best_network()
            training = dict(
                entry["training"], read_from="snippets/best_network"
            )
        elif key == "plain" and restored is not None:
            model, training = restored, {"restored_from": str(source)}
        else:
            config = replace(
                TrainConfig(),
                epochs=epochs,
                patience=epochs,
                limit=limit,
                keep_prob=SITE_MODELS[key]["keep_prob"],
            )
            model = train(config, data=data, log=lambda message: None).model
            training = {
                field: value
                for field, value in training_settings(config).items()
                if value is not None
            }
        if key != "best":
            layers = model_layers(model)
        scores = compare(layers, model, data.test_x, data.test_y)
        # the same network on the font digits, as the page runs it
        scores["other_digits_accuracy"] = float(
            np.mean(forward(layers, other_x).argmax(1) == other_y)
        )
        scores["other_digits"] = len(other_y)
        exported[key] = {
            "title": entry["title"] if key == "best" else title_of(model),
            "architecture": record_of(
                model.hidden, model.n_inputs, model.n_classes
            ),
            "training": training,
            **scores,
            "layers": layers,
        }
        reference["models"][key] = np.round(
            tensorflow_probabilities(model, styled), 6
        ).tolist()
        log(
            f"{key:<8} {title_of(model)}: export accuracy "
            f"{scores['test_accuracy']:.4f} "
            f"(TensorFlow {scores['tensorflow_test_accuracy']:.4f}); same "
            "digit as TensorFlow on "
            f"{scores['agreement_with_tensorflow']:.2%} of "
            f"{scores['test_images']:,} test images, "
            f"probabilities within {scores['max_probability_difference']:.4f}; "
            f"{scores['other_digits_accuracy']:.2%} of the digits from other "
            "hands "
            f"({time.perf_counter() - started:.0f} s)"
        )
    return write_export(output, exported, digits, labels, reference)


def summary(header):
    """The figures a reader (or a script) wants from an export, as one dict."""
    return {
        "format": header["format"],
        "version": header["version"],
        "files": {
            name: entry["bytes"] for name, entry in header["files"].items()
        },
        "models": {
            key: {
                field: model[field]
                for field in (
                    "title",
                    "sizes",
                    "test_accuracy",
                    "tensorflow_test_accuracy",
                    "agreement_with_tensorflow",
                    "max_probability_difference",
                )
            }
            for key, model in header["models"].items()
        },
    }


def save_best_network_command(argv):
    """``--save-best DIR``: the run in DIR becomes the committed best
    network.
    """
    from snippets.checkpoint import CheckpointError
    from snippets.common import Parser

    parser = Parser(prog="python -m snippets.export")
    parser.add_argument(
        "--save-best",
        type=Path,
        required=True,
        metavar="DIR",
        help=f"export the `train --preset best --seed {BEST_SEED}` run in "
        f"DIR into {BEST_NETWORK.parent.name}/{BEST_NETWORK.name}",
    )
    args = parser.parse_args(argv)
    try:
        header = save_best_network(args.save_best)
    except (ExportError, CheckpointError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    sizes = {name: entry["bytes"] for name, entry in header["files"].items()}
    print(f"wrote {BEST_NETWORK}: {json.dumps(sizes)}")
    return 0


def main(argv=None):
    """A quick demo: a small model trained briefly, exported, read back, and
    measured. With ``--save-best DIR``: save the committed best network.
    """
    from snippets.checkpoint import CheckpointError
    from snippets.data import DataError

    argv = sys.argv[1:] if argv is None else argv
    if argv:
        return save_best_network_command(argv)

    print(
        "demo: 784-256-10 trained for 1 epoch on 10,000 images, exported with "
        "8-bit "
        "hidden-layer weights"
    )
    try:
        with tempfile.TemporaryDirectory() as folder:
            header = export(folder, epochs=1, models=("plain",), limit=10000)
            # read back: checks every SHA-256
            _, layers, _, _ = read_export(folder)
    except (ExportError, CheckpointError, DataError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    as_float32 = sum(
        4 * (weights.size + bias.size)
        for _, weights, _, bias in layers["plain"]
    )
    print(
        f"{WEIGHTS_FILE}: {header['files'][WEIGHTS_FILE]['bytes']:,} bytes "
        f"(the same weights in float32: {as_float32:,} bytes)"
    )
    print(json.dumps(summary(header)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
