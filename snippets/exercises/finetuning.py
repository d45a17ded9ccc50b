"""Checks of the exercises of "Finetuning" (docs/finetuning.md)."""

import tempfile

import numpy as np
import tensorflow as tf

from snippets.checkpoint import latest_checkpoint, model_shapes, save_model
from snippets.checkpoint import saved_shapes as checkpoint_shapes
from snippets.exercises import Exercise, Wrong
from snippets.finetune import variables_to_train
from snippets.linear import softmax_cross_entropy
from snippets.mlp import MLP


def check_restore_by_name(function):
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        # Saved: weights (2x3) created first, then bias (3).
        weights = tf.Variable(rng.standard_normal((2, 3)), dtype=tf.float32)
        bias = tf.Variable(rng.standard_normal(3), dtype=tf.float32)
        prefix = tf.train.Checkpoint(weights=weights, bias=bias).save(
            f"{folder}/ckpt"
        )
        # Built in the other order, with other values.
        new_bias = tf.Variable(tf.zeros([3]))
        new_weights = tf.Variable(tf.zeros([2, 3]))
        function(prefix, {"bias": new_bias, "weights": new_weights})
        for name, saved, new in (
            ("weights", weights, new_weights),
            ("bias", bias, new_bias),
        ):
            if not np.array_equal(new.numpy(), saved.numpy()):
                raise Wrong(f"{name} does not hold the value saved as {name}.")
        # Same shapes: restoring by position would swap them silently.
        first = tf.Variable([1.0, 2.0, 3.0])
        second = tf.Variable([4.0, 5.0, 6.0])
        prefix = tf.train.Checkpoint(first=first, second=second).save(
            f"{folder}/same"
        )
        new_second, new_first = (
            tf.Variable(tf.zeros([3])),
            tf.Variable(tf.zeros([3])),
        )
        function(prefix, {"second": new_second, "first": new_first})
        if not (
            np.array_equal(new_first.numpy(), first.numpy())
            and np.array_equal(new_second.numpy(), second.numpy())
        ):
            raise Wrong(
                "two variables of the same shape came back swapped or wrong: "
                "match them by name, not by order."
            )


def sort_expected(saved, wanted):
    """The three lists, as load_matching_layers(allow_partial=True) sorts the
    variables (the tests check that they agree).
    """
    report = {"restored": [], "new": [], "mismatched": []}
    for name, shape in wanted.items():
        if name not in saved:
            report["new"].append(name)
        elif tuple(saved[name]) != tuple(shape):
            report["mismatched"].append(name)
        else:
            report["restored"].append(name)
    return report


def check_sort_variables(function):
    # Grown from 5-4-2, and shrunk from 5-4-3-2: a name that only the
    # checkpoint has is none of the model's, so it is in no list.
    grown = [(4,), (4, 3), (6,), (6, 3), (4, 3, 2)]
    cases = [((4,), wanted) for wanted in grown]
    cases.append(((4, 3), (4,)))
    for saved_hidden, hidden in cases:
        with tempfile.TemporaryDirectory() as folder:
            save_model(
                MLP(hidden=saved_hidden, n_inputs=5, n_classes=2), folder
            )
            saved = checkpoint_shapes(latest_checkpoint(folder), "model")
        model = MLP(hidden=hidden, n_inputs=5, n_classes=2)
        wanted = model_shapes(model)
        expected = sort_expected(saved, wanted)
        got = function(dict(saved), dict(wanted))
        if not isinstance(got, dict):
            raise Wrong(
                "expected a dict with the keys 'restored', 'new' and "
                f"'mismatched', got {type(got).__name__}."
            )
        got = {key: list(got.get(key, [])) for key in expected}
        for key in expected:
            if sorted(got[key]) != sorted(expected[key]):
                before = "-".join(map(str, (5, *saved_hidden, 2)))
                after = "-".join(map(str, (5, *hidden, 2)))
                extra = sorted(set(got[key]) - set(wanted))
                why = (
                    f" ({', '.join(extra)}: only in the checkpoint, not a "
                    "name of the model)"
                    if extra
                    else ""
                )
                raise Wrong(
                    f"from {before} saved to {after} wanted, {key} should be "
                    f"{sorted(expected[key])}, got {sorted(got[key])}{why}."
                )


def reference_step(model, x, y, frozen, learning_rate):
    # The project's own choice of what a finetune trains, with the frozen
    # layers reported as restored.
    restored = [
        f"{table}/{name}" for name in frozen for table in ("weights", "biases")
    ]
    trained = variables_to_train(model, {"restored": restored}, freeze=True)
    with tf.GradientTape() as tape:
        loss = softmax_cross_entropy(model(x), y)
    for variable, gradient in zip(trained, tape.gradient(loss, trained)):
        variable.assign_sub(learning_rate * gradient)


def check_sgd_step(function):
    rng = np.random.default_rng(1)
    x = rng.random((16, 6), dtype=np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 16)]
    for frozen in ((), ("hidden_1",), ("hidden_1", "hidden_2"), ("out",)):
        ours = MLP(hidden=(5, 4), n_inputs=6, n_classes=3, seed=3)
        theirs = MLP(hidden=(5, 4), n_inputs=6, n_classes=3, seed=3)
        reference_step(ours, x, y, frozen, 0.5)
        function(theirs, x, y, frozen, 0.5)
        for (name, w, b), (_, w2, b2) in zip(ours.layers(), theirs.layers()):
            for what, expected, got in (("weights", w, w2), ("biases", b, b2)):
                if np.allclose(got.numpy(), expected.numpy(), atol=1e-6):
                    continue
                if name in frozen:
                    raise Wrong(
                        f"with {list(frozen)} frozen, {what} of {name} "
                        "changed: a frozen layer must keep its values."
                    )
                raise Wrong(
                    f"with {list(frozen)} frozen, {what} of {name} should "
                    "move by -learning_rate times its gradient."
                )


EXERCISES = [
    Exercise(
        "restore_by_name",
        check_restore_by_name,
        "A checkpoint finds each variable by the name it was saved under, not"
        " by its position.",
        "tf.train.Checkpoint(**variables).restore(prefix) matches every "
        "variable by its keyword; or read each one with "
        "tf.train.load_checkpoint(prefix).get_tensor(name + "
        "'/.ATTRIBUTES/VARIABLE_VALUE').",
    ),
    Exercise(
        "sort_variables",
        check_sort_variables,
        "Go through what the model wants, and look each name up in what was "
        "saved.",
        "for every name the model wants: not in the checkpoint means new; "
        "there with the same shape means restored; there with another shape "
        "means mismatched.",
    ),
    Exercise(
        "sgd_step",
        check_sgd_step,
        "Freezing a layer means leaving it out of what the gradient step "
        "changes.",
        "collect the weights and biases of the layers not in frozen "
        "(model.layers() gives name, weights, bias), take the gradient of "
        "the loss with respect to those only, and assign_sub "
        "learning_rate * gradient to each.",
    ),
]
