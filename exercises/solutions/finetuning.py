"""Worked solutions of the exercises of "Finetuning" (shown on the page)."""

import tensorflow as tf

from snippets.linear import softmax_cross_entropy


# --8<-- [start:restore_by_name]
def restore_by_name(prefix, variables):
    # A checkpoint stores each variable under the keyword it was saved with;
    # the same keywords find them again, in any order of creation.
    status = tf.train.Checkpoint(**variables).restore(prefix)
    status.assert_existing_objects_matched()  # every one was in the file


# --8<-- [end:restore_by_name]


# --8<-- [start:sort_variables]
def sort_variables(saved, wanted):
    report = {"restored": [], "new": [], "mismatched": []}
    for name, shape in wanted.items():
        if name not in saved:
            report["new"].append(name)  # an extra layer
        elif tuple(saved[name]) != tuple(shape):
            report["mismatched"].append(name)  # a layer that changed size
        else:
            report["restored"].append(name)
    return report


# --8<-- [end:sort_variables]


# --8<-- [start:sgd_step]
def sgd_step(model, x, y, frozen, learning_rate):
    # Freezing is choosing: the frozen layers are simply not in the list.
    trained = [
        variable
        for name, weights, bias in model.layers()
        if name not in frozen
        for variable in (weights, bias)
    ]
    with tf.GradientTape() as tape:
        loss = softmax_cross_entropy(model(x), y)
    gradients = tape.gradient(loss, trained)
    for variable, gradient in zip(trained, gradients):
        variable.assign_sub(learning_rate * gradient)


# --8<-- [end:sgd_step]
