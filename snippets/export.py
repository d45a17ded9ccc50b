"""Export: the trained network as a few hundred kilobytes that a web page can run without TensorFlow.

A float32 weight takes 4 bytes. Stored as an 8-bit integer with one float32 scale per output
column it takes 1, and the network's answers barely change: ``w ~= q * scale`` with ``q`` in
-127..127, so each weight is off by at most half a step. The hidden layers, about 99 % of
the weights of 784-256-10, are stored that way; the small output layer stays float32. The "Try it"
page downloads such an export and runs the forward pass in plain JavaScript.

An export is a folder of files, written by ``write_export`` and read back by ``read_export``:

- ``export.json``  the header: format and version, every model's layers (name, activation and
  where each tensor lies in which binary file, with its dtype and shape), the scores of every
  model, and the size and SHA-256 of each binary file. Readers refuse a binary whose SHA-256
  differs, so a damaged or half-written export is never used.
- ``weights.bin``  the tensors of every model, little-endian, each starting at a multiple of 4
  bytes: per layer its weights (``fan_in x fan_out``, row-major; int8, or float32 for the
  output layer), float32 scales (one per output unit) and float32 biases.
- ``digits.bin``   a few real MNIST test digits (uint8, 28x28, row-major) and their labels,
  for the page's "show me a test digit" button.
- ``reference.json``  TensorFlow's float32 probabilities for those digits after ``mnist_style``,
  for the browser test; the page does not load it.

Run it as a script to train a small model on a slice of MNIST, export it to a temporary folder
and compare the export with TensorFlow; the command line exports the site's models:

    python -m snippets.export
    python -m snippets export --output docs/generated/try
    python -m snippets.export --save-best runs/best   # make best-network
"""

import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from snippets.backprop import softmax
from snippets.common import ExplainedError, write_atomically
from snippets.mnist_files import IMAGE_SIZE

FORMAT = "deep-nets-tested/mlp-int8"
VERSION = 1
HEADER_FILE, WEIGHTS_FILE, DIGITS_FILE, REFERENCE_FILE = (
    "export.json",
    "weights.bin",
    "digits.bin",
    "reference.json",
)
# the first 200 MNIST test digits go into the export for the page
SHIPPED_DIGITS = 200
DTYPES = {
    "int8": np.dtype("i1"),
    "uint8": np.dtype("u1"),
    "float32": np.dtype("<f4"),
}


class ExportError(ExplainedError):
    """An export is missing, damaged or of another format; the message says
    which.
    """


# --8<-- [start:quantise]
def quantise(weights):
    """Int8 weights and one float32 scale per output column, with ``weights ~=
    q * scales``.

    Each column (the weights into one unit) gets its own scale, so a unit with
    small weights keeps all 255 levels instead of sharing the range of the
    largest weight in the layer. The range is symmetric, -127..127: the largest
    weight of either sign becomes +-127, and a zero weight stays exactly zero.
    """
    weights = np.asarray(weights, np.float32)
    largest = np.abs(weights).max(axis=0)
    scales = np.where(largest > 0, largest / 127, 1).astype(np.float32)
    q = np.clip(np.round(weights / scales), -127, 127).astype(np.int8)
    return q, scales


def dequantise(q, scales):
    """The float32 weights that ``q`` and ``scales`` stand for: off by at most
    ``scales / 2``.
    """
    return q.astype(np.float32) * scales


# --8<-- [end:quantise]


# --8<-- [start:forward]
def forward(layers, images):
    """Probabilities from an exported model, in NumPy: what the page does in
    JavaScript.

    ``layers`` is a list of ``(name, weights, scales, bias)``. A column's scale
    multiplies the whole dot product, ``x . (q * s) = (x . q) * s``, so the
    page needs one multiply per unit, not one per weight.
    """
    x = np.reshape(images, (len(images), -1)).astype(np.float32)
    for index, (name, weights, scales, bias) in enumerate(layers):
        x = (x @ weights.astype(np.float32)) * scales + bias
        if index < len(layers) - 1:
            # ReLU on every layer but the last, as in snippets.mlp
            x = np.maximum(x, 0)
    return softmax(x)  # the same NumPy softmax as the backprop chapter's


# --8<-- [end:forward]


# --8<-- [start:layers]
def model_layers(model):
    """``(name, weights, scales, bias)`` for each layer of a trained
    ``snippets.mlp.MLP``.

    Hidden layers get int8 weights. The output layer keeps float32 weights (and
    scales of 1): it holds about 1 % of the weights, but its rounding errors go
    straight into the logits, and in trials it caused most of the difference
    between the export's probabilities and TensorFlow's.
    """
    *hidden_layers, (out_name, out_weights, out_bias) = model.layers()
    layers = [
        (name, *quantise(weights.numpy()), bias.numpy())
        for name, weights, bias in hidden_layers
    ]
    scales = np.ones(out_weights.shape[1], np.float32)
    return layers + [(out_name, out_weights.numpy(), scales, out_bias.numpy())]


# --8<-- [end:layers]


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


class _Blob:
    """Bytes of one binary file, and where each tensor lies in it."""

    def __init__(self, name):
        self.name, self.data = name, bytearray()

    def add(self, array, dtype):
        array = np.ascontiguousarray(array, DTYPES[dtype])
        # every tensor starts 4-byte aligned
        self.data.extend(b"\0" * (-len(self.data) % 4))
        entry = {
            "file": self.name,
            "dtype": dtype,
            "shape": list(array.shape),
            "offset": len(self.data),
        }
        self.data.extend(array.tobytes())
        return entry


def write_export(directory, models, digits, labels, reference=None):
    """Write ``models`` ({key: {"layers": [(name, weights, scales, bias)],
    ...header fields}}), the test ``digits`` (uint8, N x 28 x 28) and their
    ``labels`` into ``directory``.

    Each file is written atomically, binaries first and the header last: the
    header holds their SHA-256, so a reader never takes a half-written export
    for a whole one.
    """
    directory = Path(directory)
    weights, shipped = _Blob(WEIGHTS_FILE), _Blob(DIGITS_FILE)
    header = {
        "format": FORMAT,
        "version": VERSION,
        "byte_order": "little",
        "models": {},
    }
    for key, model in models.items():
        layers = model["layers"]
        entry = {
            field: value for field, value in model.items() if field != "layers"
        }
        entry["sizes"] = [int(layers[0][1].shape[0])] + [
            int(q.shape[1]) for _, q, _, _ in layers
        ]
        entry["layers"] = [
            {
                "name": name,
                "activation": "relu" if index < len(layers) - 1 else "softmax",
                "weights": weights.add(
                    q, "int8" if q.dtype == np.int8 else "float32"
                ),
                "scales": weights.add(scales, "float32"),
                "bias": weights.add(bias, "float32"),
            }
            for index, (name, q, scales, bias) in enumerate(layers)
        ]
        header["models"][key] = entry
    header["digits"] = {
        "count": len(digits),
        "source": f"the first {len(digits)} images of the MNIST test set",
        "images": shipped.add(
            np.reshape(digits, (len(digits), IMAGE_SIZE, IMAGE_SIZE)), "uint8"
        ),
        "labels": shipped.add(labels, "uint8"),
    }
    header["files"] = {}
    for blob in (weights, shipped):
        data = bytes(blob.data)
        write_atomically(directory / blob.name, data)
        header["files"][blob.name] = {
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
    if reference is not None:
        write_atomically(
            directory / REFERENCE_FILE, json.dumps(reference).encode()
        )
    write_atomically(
        directory / HEADER_FILE, json.dumps(header, indent=1).encode()
    )
    return header


def read_export(directory):
    """Return ``(header, models, digits, labels)``; ``models[key]`` is a list
    of layers.

    Raises ``ExportError`` for a missing file, a format this code does not
    know, or a binary file whose size or SHA-256 is not the one the header
    records.
    """
    directory = Path(directory)
    try:
        header = json.loads((directory / HEADER_FILE).read_text())
    except FileNotFoundError:
        raise ExportError(
            f"{directory} holds no {HEADER_FILE}; export a model first with: "
            f"python -m snippets export --output {directory}"
        ) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ExportError(
            f"{directory / HEADER_FILE} is not valid JSON ({error})"
        ) from None
    if (
        not isinstance(header, dict)
        or header.get("format") != FORMAT
        or header.get("version") != VERSION
    ):
        raise ExportError(
            f"{directory / HEADER_FILE} is not a {FORMAT} export of version "
            f"{VERSION}"
        )
    try:
        files = {}
        for name, expected in header["files"].items():
            try:
                data = (directory / name).read_bytes()
            except FileNotFoundError:
                raise ExportError(
                    f"{directory / name} is missing; export again"
                ) from None
            if (
                len(data) != expected["bytes"]
                or hashlib.sha256(data).hexdigest() != expected["sha256"]
            ):
                raise ExportError(
                    f"{directory / name} is damaged: its size or SHA-256 is "
                    "not the one "
                    f"{HEADER_FILE} records; export again"
                )
            files[name] = data

        def tensor(entry):
            dtype = DTYPES[entry["dtype"]]
            count = int(np.prod(entry["shape"]))
            return np.frombuffer(
                files[entry["file"]], dtype, count, entry["offset"]
            ).reshape(entry["shape"])

        models = {
            key: [
                (
                    layer["name"],
                    tensor(layer["weights"]),
                    tensor(layer["scales"]),
                    tensor(layer["bias"]),
                )
                for layer in model["layers"]
            ]
            for key, model in header["models"].items()
        }
        return (
            header,
            models,
            tensor(header["digits"]["images"]),
            tensor(header["digits"]["labels"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ExportError(
            f"{directory / HEADER_FILE} does not describe its tensors "
            f"properly ({error!r})"
        ) from None


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


def best_network_training():
    """The settings a committed best network must have been trained with:
    today's best preset, seed BEST_SEED (as model.json records them).
    """
    from dataclasses import asdict, replace

    from snippets.config import PRESETS

    settings = asdict(replace(PRESETS["best"], seed=BEST_SEED))
    return json.loads(json.dumps(settings))


def save_best_network(checkpoint_dir, directory=BEST_NETWORK):
    """Export the network of a `train --preset best` run into ``directory``,
    after checking that it was trained with today's best preset.
    """
    from snippets.checkpoint import read_training, restore_model

    model = restore_model(checkpoint_dir)  # checks the folder and its files
    training = read_training(checkpoint_dir)
    if training != best_network_training():
        raise ExportError(
            f"{checkpoint_dir} was not trained with today's --preset best "
            f"and --seed {BEST_SEED}; train it with: python -m snippets "
            f"train --preset best --seed {BEST_SEED} --checkpoint-dir "
            f"{checkpoint_dir}"
        )
    best = {
        "title": f"{title_of(model)}, the best preset",
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
    from snippets.mlp import MLP

    header, models, _, _ = read_export(directory)
    entry = header["models"].get("best", {})
    if entry.get("training") != best_network_training():
        raise ExportError(
            f"{directory} holds a network trained with other settings than "
            "today's --preset best; train and export it again with: make "
            "best-network"
        )
    layers = models["best"]
    model = MLP(tuple(entry["sizes"][1:-1]), seed=0)
    for (_, weights, bias), (_, q, scales, b) in zip(model.layers(), layers):
        weights.assign(dequantise(q, scales))
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
    from dataclasses import asdict, replace

    from snippets.config import TrainConfig
    from snippets.data import load_dataset
    from snippets.mnist_files import NUM_CLASSES, NUM_PIXELS, load_mnist
    from snippets.other_digits import load_other_digits
    from snippets.predict import mnist_style
    from snippets.train import train

    # fail now, not after training, if it cannot be made
    Path(output).mkdir(parents=True, exist_ok=True)
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
        elif key == "plain" and source is not None:
            from snippets.checkpoint import restore_model

            model, training = (
                restore_model(source),
                {"restored_from": str(source)},
            )
            if (model.n_inputs, model.n_classes) != (NUM_PIXELS, NUM_CLASSES):
                raise ExportError(
                    f"{source} holds a {title_of(model)} network; the page "
                    "needs "
                    f"{NUM_PIXELS} inputs and {NUM_CLASSES} outputs"
                )
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
                for field, value in asdict(config).items()
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
