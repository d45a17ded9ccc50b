"""The site's hand-written pieces as a reader will write them next: idiomatic Keras 3.

Each chapter builds its piece from scratch, with `tf.Module`, `tf.GradientTape` and our own
dropout and checkpoints, because that is how to see what happens. Beside it, in a "Keras"
tab, the page shows the section of this module that does the same with Keras' layers,
`compile` and `fit`, callbacks and `.keras` files. The tests prove each pair computes the
same thing: given the same weights, the same logits, loss and gradient come out.

Run it as a script to build the course's network both ways, give both the same weights,
compare their logits, and train the Keras one for an epoch on a slice of MNIST:

    python -m snippets.in_keras
"""

import sys
from pathlib import Path

import keras
from keras import layers

from snippets.mlp import layer_names


# --8<-- [start:keras_linear]
def linear_classifier(n_inputs=784, n_classes=10):
    """logits = x @ W + b: a single Dense layer, with no activation."""
    return keras.Sequential(
        [keras.Input((n_inputs,)), layers.Dense(n_classes, name="linear")]
    )


# --8<-- [end:keras_linear]


# --8<-- [start:keras_mlp]
def mlp(hidden=(256,), n_inputs=784, n_classes=10):
    """Dense + ReLU for each hidden width, then a Dense layer of logits.

    The layers carry the names of the hand-written MLP's variables (hidden_1,
    ..., out), and He initialisation, as the MLP draws its weights.
    """
    names = layer_names(len(hidden))
    model = keras.Sequential([keras.Input((n_inputs,))], name="mlp")
    for name, width in zip(names, hidden):
        model.add(
            layers.Dense(
                width,
                activation="relu",
                kernel_initializer="he_normal",
                name=name,
            )
        )
    model.add(layers.Dense(n_classes, name=names[-1]))  # logits: no ReLU
    return model


# --8<-- [end:keras_mlp]


# --8<-- [start:keras_fit]
def compile_and_fit(
    model,
    data,
    epochs=2,
    batch_size=100,
    learning_rate=0.001,
    callbacks=(),
    verbose=0,
):
    """The training loop, Keras' way: name the optimiser and the loss, then
    call fit.

    The loss takes logits (``from_logits=True``), as the hand-written loop's
    softmax_cross_entropy does: the softmax is folded into the loss, where it
    is computed stably. ``fit`` shuffles every epoch and measures the
    validation set after each one.
    """
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model.fit(
        data.train_x,
        data.train_y,
        batch_size=batch_size,
        epochs=epochs,
        validation_data=(data.valid_x, data.valid_y),
        callbacks=list(callbacks),
        verbose=verbose,
    )


# --8<-- [end:keras_fit]


# --8<-- [start:keras_l2]
def mlp_with_l2(l2, hidden=(256,), n_inputs=784, n_classes=10):
    """The MLP with an L2 penalty on every weight matrix, none on the biases.

    keras.regularizers.L2(factor) adds factor * sum(W**2) to the loss; the
    hand-written penalty is l2 * sum(W**2) / 2. So the factor is l2 / 2.
    """
    penalty = keras.regularizers.L2(l2 / 2)
    names = layer_names(len(hidden))
    model = keras.Sequential([keras.Input((n_inputs,))], name="mlp_l2")
    for name, width in zip(names, hidden):
        model.add(
            layers.Dense(
                width, activation="relu", kernel_regularizer=penalty, name=name
            )
        )
    model.add(layers.Dense(n_classes, kernel_regularizer=penalty, name="out"))
    return model


# --8<-- [end:keras_l2]


# --8<-- [start:keras_dropout]
def mlp_with_dropout(
    keep_prob, input_keep_prob=1.0, hidden=(256,), n_inputs=784, n_classes=10
):
    """The MLP with dropout after the pixels and after every hidden layer.

    layers.Dropout takes the probability of dropping a unit, rate = 1 -
    keep_prob, and scales the kept units by 1 / keep_prob. It is active only
    when the model is called with training=True, which fit does and
    evaluate and predict do not.
    """
    names = layer_names(len(hidden))
    model = keras.Sequential([keras.Input((n_inputs,))], name="mlp_dropout")
    if input_keep_prob < 1.0:
        model.add(layers.Dropout(rate=1.0 - input_keep_prob))
    for name, width in zip(names, hidden):
        model.add(layers.Dense(width, activation="relu", name=name))
        model.add(layers.Dropout(rate=1.0 - keep_prob))
    model.add(layers.Dense(n_classes, name="out"))
    return model


# --8<-- [end:keras_dropout]


# --8<-- [start:keras_augmented]
def augmented_mlp(
    augmentation,
    keep_prob=0.6,
    max_norm=3.5,
    hidden=(1024, 1024),
    n_classes=10,
):
    """The best preset's network: Keras' augmentation layers in front of the
    MLP with dropout, every layer's weights held within a max-norm.

    Like Dropout, the Random* layers change the batch only when the model is
    called with training=True (in fit). Their factors are fractions: of the
    image's side for the shift, of a full turn for the rotation. Keras has
    no layer for stroke thickness or elastic distortion.
    """
    side = 28
    shift = augmentation.shift / side

    def within_max_norm():  # each unit's incoming weights: a column
        return keras.constraints.MaxNorm(max_norm, axis=0)

    model = keras.Sequential(
        [
            keras.Input((side * side,)),
            layers.Reshape((side, side, 1)),
            layers.RandomTranslation(shift, shift, fill_mode="constant"),
            layers.RandomRotation(
                augmentation.rotation / 360, fill_mode="constant"
            ),
            layers.RandomZoom(augmentation.scale, fill_mode="constant"),
            layers.Flatten(),
        ],
        name="mlp_augmented",
    )
    for name, width in zip(layer_names(len(hidden)), hidden):
        model.add(
            layers.Dense(
                width,
                activation="relu",
                kernel_constraint=within_max_norm(),
                name=name,
            )
        )
        model.add(layers.Dropout(rate=1.0 - keep_prob))
    model.add(
        layers.Dense(
            n_classes, kernel_constraint=within_max_norm(), name="out"
        )
    )
    return model


# --8<-- [end:keras_augmented]


# --8<-- [start:keras_early_stopping]
def early_stopping(patience):
    """Stop after ``patience`` epochs without a better validation accuracy,
    and end with the weights of the best epoch, not the last.
    """
    return keras.callbacks.EarlyStopping(
        monitor="val_accuracy",
        mode="max",
        patience=patience,
        restore_best_weights=True,
    )


# --8<-- [end:keras_early_stopping]


# --8<-- [start:keras_checkpoints]
def checkpoint_every_epoch(directory):
    """A callback for fit: after every epoch, the whole model in one file."""
    return keras.callbacks.ModelCheckpoint(
        str(Path(directory) / "epoch-{epoch:02d}.keras")
    )


def save_and_load(model, path):
    """A .keras file is a zip of the architecture (as JSON), the weights and
    the optimizer's state: load_model rebuilds the model from it alone.
    """
    model.save(path)
    return keras.models.load_model(path)


def export_for_serving(model, directory):
    """A TensorFlow SavedModel with one `serve` function, for TF Serving or
    LiteRT; it needs no Python code of ours to run.
    """
    model.export(str(directory), format="tf_saved_model", verbose=False)


# --8<-- [end:keras_checkpoints]


# --8<-- [start:keras_finetune]
def load_matching_layers(model, saved, new_head=True, freeze=True):
    """Copy each layer of ``saved`` into the layer of ``model`` with the same
    name and the same weight shapes; freeze the copies unless told otherwise.

    With ``new_head`` the output layer keeps its fresh weights. Returns the
    names of the layers copied.
    """
    saved_layers = {layer.name: layer for layer in saved.layers}
    restored = []
    for layer in model.layers:
        source = saved_layers.get(layer.name)
        if source is None or (new_head and layer.name == "out"):
            continue  # a new layer, or the new head
        if [w.shape for w in source.weights] != [
            w.shape for w in layer.weights
        ]:
            continue  # a layer whose shape changed
        layer.set_weights(source.get_weights())
        layer.trainable = not freeze  # frozen: fit leaves its weights alone
        restored.append(layer.name)
    return restored


# --8<-- [end:keras_finetune]


# --8<-- [start:keras_on_devices]
def fit_on_devices(strategy, data, epochs=1, batch_size=128, hidden=(256,)):
    """``model.fit`` on every device of a tf.distribute ``strategy``.

    Only two things change: the model is built and compiled in the strategy's
    scope, so that each of its variables has a copy on every device, and
    ``batch_size`` is the global batch, which fit splits among the replicas.
    Keras scales the loss by the global batch and sums the gradients itself.
    """
    with strategy.scope():
        model = mlp(hidden)
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss=keras.losses.CategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
    model.fit(
        data.train_x,
        data.train_y,
        batch_size=batch_size,
        epochs=epochs,
        verbose=0,
    )
    return model


# --8<-- [end:keras_on_devices]


def set_weights_from(module, model):
    """Give the Keras ``model`` the weights of a hand-written MLP or
    LinearClassifier, layer by layer: the "same weights in" of every
    comparison.
    """
    if hasattr(module, "layers"):  # an MLP: (name, weights, bias) per layer
        pairs = [(name, [w, b]) for name, w, b in module.layers()]
    else:
        pairs = [("linear", [module.weights, module.bias])]
    for name, weights in pairs:
        model.get_layer(name).set_weights([w.numpy() for w in weights])
    return model


def main():
    import numpy as np

    from snippets.data import load_dataset
    from snippets.mlp import MLP

    keras.utils.set_random_seed(0)  # the initial weights and the shuffling
    scratch, model = MLP(hidden=(256,)), mlp((256,))
    set_weights_from(scratch, model)
    images = np.random.default_rng(0).random((5, 784), dtype=np.float32)
    difference = np.max(
        np.abs(scratch(images).numpy() - model(images).numpy())
    )
    print("The course's network in Keras:")
    for layer in model.layers:
        shapes = ", ".join(str(tuple(w.shape)) for w in layer.weights)
        print(
            f"  {layer.name:<9} {layer.count_params():>7,} parameters: "
            f"{shapes}"
        )
    print(f"same weights, 5 images: logits differ by at most {difference:.1e}")
    data = load_dataset(validation_size=1000, limit=3000)
    history = compile_and_fit(model, data, epochs=1)
    print(
        f"one epoch of fit on 3,000 images: validation accuracy "
        f"{history.history['val_accuracy'][-1]:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
