"""Worked solutions of the exercises of "How training moves the weights"
(shown on the page)."""

import numpy as np


# --8<-- [start:momentum_step]
def momentum_step(w, gradient, velocity, learning_rate, momentum):
    # the velocity holds the learning rate already, as in Keras' SGD
    velocity = momentum * velocity - learning_rate * gradient
    return w + velocity, velocity


# --8<-- [end:momentum_step]


# --8<-- [start:adam_first_step]
def adam_first_step(gradient, learning_rate):
    beta_1, beta_2, epsilon = 0.9, 0.999, 1e-7
    m = (1 - beta_1) * gradient  # the means start at zero
    v = (1 - beta_2) * gradient**2
    alpha = learning_rate * np.sqrt(1 - beta_2) / (1 - beta_1)
    # = -learning_rate * g / (|g| + epsilon / sqrt(1 - beta_2)): about
    # the learning rate against the gradient's sign, whatever its size
    return -alpha * m / (np.sqrt(v) + epsilon)


# --8<-- [end:adam_first_step]


# --8<-- [start:final_losses]
def final_losses(learning_rates, steps):
    curvature = np.array([1.0, 20.0])  # the valley's two axes
    losses = []
    for rate in learning_rates:
        w = np.array([-2.5, 1.0])
        for _ in range(steps):
            w = w - rate * curvature * w  # the gradient is curvature * w
        losses.append(float(np.sum(curvature * w**2) / 2))
    return losses


# --8<-- [end:final_losses]
