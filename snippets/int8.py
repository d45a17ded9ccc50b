"""The int8 format: a trained network as a few hundred kilobytes that a web page can run.

A float32 weight takes 4 bytes. Stored as an 8-bit integer with one float32 scale per output
column it takes 1, and the network's answers barely change: ``w ~= q * scale`` with ``q`` in
-127..127, so each weight is off by at most half a step. The hidden layers, about 99 % of
the weights of 784-256-10, are stored that way; the small output layer stays float32. The
"Try it" page downloads such an export and runs ``forward`` in plain JavaScript.

An export is a folder of files, written by ``write_export`` and read back by ``read_export``:

- ``export.json``  the header: format and version, every model's layers (name, activation and
  where each tensor lies in which binary file, with its dtype and shape), whatever else the
  writer records about each model, and the size and SHA-256 of each binary file. Readers
  refuse a binary whose SHA-256 differs, so a damaged or half-written export is never used.
- ``weights.bin``  the tensors of every model, little-endian, each starting at a multiple of 4
  bytes: per layer its weights (``fan_in x fan_out``, row-major; int8, or float32 for the
  output layer), float32 scales (one per output unit) and float32 biases.
- ``digits.bin``   a few real MNIST test digits (uint8, 28x28, row-major) and their labels,
  for the page's "show me a test digit" button.
- ``reference.json``  the float32 network's probabilities for those digits, for the browser
  test; the page does not load it.

This module is the format alone: NumPy, no training. Which networks the site exports, and
how they are trained, is ``snippets.export``. Run it as a script to write a random
784-256-10 network in this format, read it back and compare it with the float32 weights:

    python -m snippets.int8
"""

import hashlib
import json
import sys
import tempfile
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
        (name, *quantise(weights), np.asarray(bias, np.float32))
        for name, weights, bias in hidden_layers
    ]
    out_weights = np.asarray(out_weights, np.float32)
    scales = np.ones(out_weights.shape[1], np.float32)
    out_bias = np.asarray(out_bias, np.float32)
    return layers + [(out_name, out_weights, scales, out_bias)]


# --8<-- [end:layers]


def float_layers(layers):
    """``(name, weights, bias)`` in float32 for each layer of an export: the
    weights it stands for, as ``snippets.mlp.MLP.layers()`` lists them.
    """
    return [
        (name, dequantise(weights, scales), bias)
        for name, weights, scales, bias in layers
    ]


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
            f"{directory} holds no {HEADER_FILE}, so no exported model"
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
                    f"{directory / name} is missing, so the export is "
                    "incomplete"
                ) from None
            if (
                len(data) != expected["bytes"]
                or hashlib.sha256(data).hexdigest() != expected["sha256"]
            ):
                raise ExportError(
                    f"{directory / name} is damaged: its size or SHA-256 is "
                    f"not the one {HEADER_FILE} records"
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


class RandomNetwork:
    """784-256-10 with He-initialised NumPy weights: enough of an MLP for
    ``model_layers``, without TensorFlow.
    """

    def __init__(self, seed=0):
        rng = np.random.default_rng(seed)
        self.hidden_1 = rng.normal(0, np.sqrt(2 / 784), (784, 256))
        self.out = rng.normal(0, np.sqrt(2 / 256), (256, 10))

    def layers(self):
        return [
            ("hidden_1", self.hidden_1, np.zeros(256, np.float32)),
            ("out", self.out, np.zeros(10, np.float32)),
        ]


def main():
    network = RandomNetwork()
    images = np.random.default_rng(1).uniform(0, 1, (100, 784))
    no_digits = np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    with tempfile.TemporaryDirectory() as folder:
        header = write_export(
            folder,
            {"random": {"layers": model_layers(network)}},
            no_digits,
            np.zeros(0, np.uint8),
        )
        _, models, _, _ = read_export(folder)  # checks every SHA-256
    as_float32 = sum(4 * (w.size + b.size) for _, w, b in network.layers())
    print(
        f"a random 784-256-10 network: {WEIGHTS_FILE} holds "
        f"{header['files'][WEIGHTS_FILE]['bytes']:,} bytes (the same weights "
        f"in float32: {as_float32:,} bytes)"
    )
    float32 = [
        (name, np.asarray(w, np.float32), np.ones(w.shape[1], np.float32), b)
        for name, w, b in network.layers()
    ]
    read_back = forward(models["random"], images)
    difference = np.abs(read_back - forward(float32, images)).max()
    print(
        "read back, its probabilities on 100 random images are within "
        f"{difference:.1e} of the float32 network's"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
