"""The multilayer perceptron: layers of xW + b with ReLUs between them, every variable named.

The course's network is 784-256-10: one hidden layer of 256 ReLUs, then 10 logits. This
module builds that network, or any other list of hidden widths.

Run it as a script to see each variable's name and shape and one forward pass:

    python -m snippets.mlp
"""

import math
import sys

import tensorflow as tf

from snippets.config import widths
from snippets.regularization import dropout


# --8<-- [start:layer_names]
def layer_names(num_hidden):
    """hidden_1, hidden_2, ..., then out: the names the variables and
    checkpoints use.
    """
    return [f"hidden_{i}" for i in range(1, num_hidden + 1)] + ["out"]


# --8<-- [end:layer_names]


def parameter_count(hidden, n_inputs=784, n_classes=10):
    """Weights and biases of every layer: sum of (fan_in + 1) * fan_out."""
    sizes = [n_inputs, *hidden, n_classes]
    return sum(
        (fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes, sizes[1:])
    )


# --8<-- [start:model]
class MLP(tf.Module):
    """A multilayer perceptron whose variables have explicit, stable names.

    ``weights["hidden_1"]`` is the 784x256 matrix of the course's network,
    ``biases["out"]`` the 10 output biases, and so on. The names, not the order
    of creation, are what a checkpoint records, so a changed model can still
    find its trained layers.
    """

    def __init__(
        self,
        hidden=(256,),
        n_inputs=784,
        n_classes=10,
        keep_prob=1.0,
        input_keep_prob=1.0,
        seed=0,
        dtype=tf.float32,
    ):
        super().__init__(name="mlp")
        self.hidden = widths(hidden)  # whole numbers; not a string
        self.n_inputs, self.n_classes = n_inputs, n_classes
        self.keep_prob, self.input_keep_prob = keep_prob, input_keep_prob
        self.weights, self.biases = {}, {}
        sizes = [n_inputs, *self.hidden, n_classes]
        for index, name in enumerate(layer_names(len(self.hidden))):
            fan_in, fan_out = sizes[index], sizes[index + 1]
            # He initialisation: a scale of sqrt(2 / fan_in) keeps the size of
            # the activations steady from layer to layer when half the ReLUs
            # are off. The course's tf.random_normal (standard deviation 1)
            # makes logits in the hundreds. (Truncating at two standard
            # deviations narrows the actual spread to 0.88 of the scale; Keras'
            # HeNormal divides by 0.8796 to undo that. Either trains well.)
            initial = tf.random.stateless_truncated_normal(
                [fan_in, fan_out],
                seed=[seed, index],
                stddev=math.sqrt(2.0 / fan_in),
                dtype=dtype,
            )
            self.weights[name] = tf.Variable(initial, name=f"{name}_weights")
            self.biases[name] = tf.Variable(
                tf.zeros([fan_out], dtype=dtype), name=f"{name}_bias"
            )

    def layers(self):
        """``(name, weights, bias)`` of every layer, from the input side to the
        logits.
        """
        names = layer_names(len(self.hidden))
        return [
            (name, self.weights[name], self.biases[name]) for name in names
        ]

    def activations(self, x, training=False, dropout_seed=(0, 0)):
        """The output of every layer: each hidden layer's ReLUs, then the
        logits.

        Dropout is applied only when ``training``; each layer's mask has its
        own seed, folded from ``dropout_seed``, so a step can be repeated
        exactly.
        """
        # dropping pixels: cheap noise
        if training and self.input_keep_prob < 1.0:
            pixel_seed = tf.random.experimental.stateless_fold_in(
                dropout_seed, 999
            )
            x = dropout(x, self.input_keep_prob, seed=pixel_seed)
        outputs = []
        *hidden_layers, (_, out_weights, out_bias) = self.layers()
        for index, (_, weights, bias) in enumerate(hidden_layers):
            x = tf.nn.relu(tf.matmul(x, weights) + bias)
            if training and self.keep_prob < 1.0:
                layer_seed = tf.random.experimental.stateless_fold_in(
                    dropout_seed, index
                )
                x = dropout(x, self.keep_prob, seed=layer_seed)
            outputs.append(x)
        outputs.append(tf.matmul(x, out_weights) + out_bias)  # logits: no ReLU
        return outputs

    def __call__(self, x, training=False, dropout_seed=(0, 0)):
        """The logits for the rows of ``x``."""
        return self.activations(x, training, dropout_seed)[-1]

    # --8<-- [end:model]

    def weight_matrices(self):
        """The weight matrices, in layer order (what an L2 penalty applies to)."""
        return [weights for _, weights, _ in self.layers()]

    def architecture(self):
        """What is needed to rebuild this model: saved beside every checkpoint."""
        return {
            "hidden": list(self.hidden),
            "n_inputs": self.n_inputs,
            "n_classes": self.n_classes,
            "keep_prob": self.keep_prob,
            "input_keep_prob": self.input_keep_prob,
        }


def main():
    model = MLP(hidden=(256,))
    print("The course's network, 784-256-10:")
    for _, w, b in model.layers():
        print(f"  {w.name:<20} {w.shape!s:<12} {b.name:<16} {b.shape}")
    print(f"  parameters: {parameter_count((256,)):,}")
    images = tf.random.stateless_uniform([3, 784], seed=[1, 2])
    probabilities = tf.nn.softmax(model(images))
    print(
        "softmax of an untrained network on 3 random images (each row sums to "
        "1):"
    )
    print(tf.round(probabilities * 100).numpy() / 100)
    deeper = MLP(hidden=(256, 128, 64))
    names = [name for name, _, _ in deeper.layers()]
    print(
        f"784-256-128-64-10 has layers {names} and "
        f"{parameter_count((256, 128, 64)):,} parameters"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
