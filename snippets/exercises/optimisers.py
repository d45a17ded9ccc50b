"""Checks of the exercises of "How training moves the weights"
(docs/optimisers.md)."""

import numpy as np

from snippets.exercises import Exercise, Wrong, differs


def keras_steps(optimizer, w, gradients):
    """``w`` after Keras' ``optimizer`` applied each gradient, in float64."""
    import tensorflow as tf

    variable = tf.Variable(np.asarray(w, np.float64))
    for gradient in gradients:
        optimizer.apply_gradients([(tf.constant(gradient), variable)])
    return variable.numpy()


def check_momentum_step(momentum_step):
    import keras

    rng = np.random.default_rng(0)
    # Keras rounds the rate and the momentum through float32: so do the cases
    learning_rate, momentum = 0.125, 0.875
    w = rng.standard_normal(4)
    gradients = rng.standard_normal((3, 4))
    expected = keras_steps(
        keras.optimizers.SGD(learning_rate, momentum=momentum), w, gradients
    )
    got, velocity = w.copy(), np.zeros(4)
    for step, gradient in enumerate(gradients, 1):
        answer = momentum_step(
            got, gradient.copy(), velocity, learning_rate, momentum
        )
        if not isinstance(answer, (tuple, list)) or len(answer) != 2:
            raise Wrong(
                "it should return two arrays: the weights and the velocity."
            )
        got, velocity = (np.asarray(a, np.float64) for a in answer)
    differs(got, expected, "the weights after three steps", tolerance=1e-9)


def check_adam_first_step(adam_first_step):
    import keras

    for scale in (1e-3, 1.0, 1e3):
        gradient = scale * np.array([0.5, -2.0, 1.0])
        start = np.zeros(3)
        expected = (
            keras_steps(keras.optimizers.Adam(0.125), start, [gradient])
            - start
        )
        got = adam_first_step(gradient.copy(), 0.125)
        differs(
            got,
            expected,
            f"the first step for the gradient {gradient}",
            tolerance=1e-6,
        )


def reference_losses(learning_rates, steps):
    curvature = np.array([1.0, 20.0])
    losses = []
    for rate in learning_rates:
        w = np.array([-2.5, 1.0])
        for _ in range(steps):
            w = w - rate * curvature * w
        losses.append(float(np.sum(curvature * w**2) / 2))
    return losses


def check_final_losses(final_losses):
    rates = [0.01, 0.05, 0.09, 0.11, 0.15]
    start = reference_losses([0.0], 0)[0]
    got = final_losses(list(rates), 30)
    try:
        got = [float(v) for v in got]
    except (TypeError, ValueError):
        raise Wrong("it should return one number, the final loss, per rate.")
    if len(got) != len(rates):
        raise Wrong(f"{len(rates)} rates gave {len(got)} losses.")
    differs(
        got,
        reference_losses(rates, 30),
        "the losses after 30 steps",
        tolerance=1e-6,
    )
    # what the experiment shows: below 2 / L = 0.1 the loss falls, past it
    # it grows without end
    falls = [v < start for r, v in zip(rates, got) if r < 0.1]
    grows = [v > start for r, v in zip(rates, got) if r > 0.1]
    if not (all(falls) and all(grows)):
        raise Wrong(
            "the losses should fall below the start's for rates under 0.1 "
            "and grow past it for rates over 0.1."
        )


EXERCISES = [
    Exercise(
        "momentum_step",
        check_momentum_step,
        "Keras' velocity already holds the learning rate.",
        "velocity = momentum * velocity - learning_rate * gradient; then "
        "w + velocity.",
    ),
    Exercise(
        "adam_first_step",
        check_adam_first_step,
        "On the first step m and v hold one gradient each; most of the "
        "gradient's size cancels.",
        "m = (1 - beta_1) g, v = (1 - beta_2) g^2, alpha = lr * sqrt(1 - "
        "beta_2) / (1 - beta_1); the step is -alpha m / (sqrt(v) + 1e-7).",
    ),
    Exercise(
        "final_losses",
        check_final_losses,
        "The valley's gradient is (x, 20 y); step against it, then take the "
        "loss at the end.",
        "w = w - rate * (x, 20 y), steps times, from (-2.5, 1); the loss is "
        "(x^2 + 20 y^2) / 2.",
    ),
]
