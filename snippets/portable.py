"""The trained network in formats other programs load: a Keras 3 model file
and a TensorFlow SavedModel. Reading either back needs Keras or TensorFlow,
not this project.

Both hold the network of a checkpoint as Keras layers: each hidden layer a
``Dense`` with ReLU, the output layer a ``Dense`` with softmax. So 784 pixel
values go in (scaled to [0, 1], as snippets.data scales them) and 10
probabilities come out. Dropout is left out: it only acts in training.

    python -m snippets export --format keras --output mnist.keras
    python -m snippets export --format saved-model --output mnist_saved_model

Shown on the system page; tested by tests/test_system.py, which loads both in
a fresh process that never imports ``snippets``. Run it as a script to export
an untrained network to a temporary folder and read it back:

    python -m snippets.portable
"""

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import keras
import numpy as np

from snippets.common import ExplainedError

FORMATS = ("keras", "saved-model")


class ExportError(ExplainedError):
    """The network could not be written where it was asked for."""


# --8<-- [start:as_keras]
def as_keras(model):
    """A Keras model that computes what ``model`` (an MLP) computes, with
    softmax at the end: the same weights, copied into Dense layers."""
    names = [name for name, _, _ in model.layers()]
    hidden = [
        keras.layers.Dense(width, activation="relu", name=name)
        for name, width in zip(names, model.hidden)
    ]
    output = keras.layers.Dense(
        model.n_classes, activation="softmax", name="out"
    )
    pixels = keras.Input(shape=(model.n_inputs,), name="pixels")
    portable = keras.Sequential([pixels, *hidden, output], name="mnist_mlp")
    for layer, (_, weights, bias) in zip(portable.layers, model.layers()):
        layer.set_weights([weights.numpy(), bias.numpy()])
    return portable


# --8<-- [end:as_keras]


def write_portable(model, output, format, overwrite=False):
    """Write ``model`` to ``output`` as a ``.keras`` file or a SavedModel.

    Written under a temporary name beside ``output`` and renamed into place
    only when complete, so a failure leaves no half-written model; an
    existing ``output`` is replaced only with ``overwrite``."""
    output = Path(output)
    if format not in FORMATS:
        raise ExportError(f"unknown format {format!r}: one of {FORMATS}")
    if format == "keras" and output.suffix != ".keras":
        raise ExportError(f"{output}: a Keras model file ends in .keras")
    if output.exists() and not overwrite:
        raise ExportError(
            f"{output} exists; pass overwrite=True to replace it",
            settings=("overwrite",),
        )
    portable = as_keras(model)
    suffix = f".{uuid.uuid4().hex[:8]}.tmp{output.suffix}"
    temporary = output.with_name(f".{output.name}{suffix}")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        if format == "keras":
            portable.save(temporary)
        else:
            # A SavedModel whose "serve" and "serving_default" signatures
            # take a batch of 784 floats and return 10 probabilities.
            portable.export(
                str(temporary), format="tf_saved_model", verbose=False
            )
        replace(temporary, output)
    except OSError as error:
        reason = error.strerror or error
        raise ExportError(f"cannot write {output}: {reason}") from None
    finally:
        remove(temporary)
    return output


def replace(temporary, output):
    """Move a finished file or folder into place; a folder already there is
    removed only after the new one has its name."""
    if temporary.is_dir() and output.exists():
        old = output.with_name(f".{output.name}.{uuid.uuid4().hex[:8]}.old")
        os.replace(output, old)
        os.replace(temporary, output)
        remove(old)
    elif output.is_dir():
        shutil.rmtree(output)
        os.replace(temporary, output)
    else:
        os.replace(temporary, output)


def remove(path):
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.unlink()


def main():
    import tensorflow as tf

    from snippets.mlp import MLP

    model = MLP(hidden=(32,), seed=0)
    pixels = np.random.default_rng(0).random((5, 784), dtype=np.float32)
    ours = tf.nn.softmax(model(pixels)).numpy()
    with tempfile.TemporaryDirectory() as folder:
        path = write_portable(model, Path(folder) / "mlp.keras", "keras")
        loaded = keras.saving.load_model(path)
        names = [layer.name for layer in loaded.layers]
        print(
            f"wrote {path.name}: {loaded.count_params():,} parameters, "
            f"layers {names}"
        )
        theirs = loaded.predict(pixels, verbose=0)
        print(
            "same probabilities as the checkpoint's model:",
            np.allclose(theirs, ours, atol=1e-6),
        )
        saved = Path(folder) / "saved_model"
        write_portable(model, saved, "saved-model")
        serve = tf.saved_model.load(str(saved)).signatures["serving_default"]
        (output,) = serve(tf.constant(pixels)).values()
        print(
            "the SavedModel's serving signature agrees:",
            np.allclose(output, ours, atol=1e-6),
        )


if __name__ == "__main__":
    main()
