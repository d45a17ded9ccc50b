"""How training moves the weights: gradient descent, momentum and Adam on small
loss surfaces of two weights, written out in TensorFlow and checked against
Keras' optimizers. docs/assets/optimisers/paths.js computes the same paths in
the browser (the widget); tests/test_optimisers.py proves the two agree."""

import math
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

EXTENT = 3.0  # the widget's plot: [-EXTENT, EXTENT] on both axes

# --8<-- [start:surfaces]
SURFACES = {
    # name: (a, b, c) of the loss f(x, y) = (a x^2 + 2 b x y + c y^2) / 2
    "bowl": (1.0, 0.0, 1.0),
    "valley": (1.0, 0.0, 20.0),  # 20 times as steep across as along
    "tilted": (10.5, -9.5, 10.5),  # the same valley turned by 45 degrees
}


def loss(surface, w):
    a, b, c = SURFACES[surface]
    x, y = w[0], w[1]
    return (a * x * x + 2 * b * x * y + c * y * y) / 2


# --8<-- [end:surfaces]


def steepest(surface):
    """The largest curvature L of a surface: the largest eigenvalue of its
    Hessian [[a, b], [b, c]]. Gradient descent diverges for rates past 2 / L."""
    a, b, c = SURFACES[surface]
    return float(np.linalg.eigvalsh([[a, b], [b, c]]).max())


# --8<-- [start:sgd]
def sgd_step(w, gradient, velocity, learning_rate, momentum=0.0):
    # Keras' SGD: the velocity remembers past steps; momentum=0 forgets
    # them at once, and this is plain gradient descent
    velocity.assign(momentum * velocity - learning_rate * gradient)
    w.assign_add(velocity)


# --8<-- [end:sgd]


# --8<-- [start:adam]
def adam_step(w, gradient, m, v, t, learning_rate, beta_1, beta_2):
    epsilon = 1e-7  # Keras' default
    m.assign_add((gradient - m) * (1 - beta_1))  # mean of the gradients
    v.assign_add((gradient**2 - v) * (1 - beta_2))  # mean of their squares
    # step t's bias corrections, folded into the learning rate as Keras
    # does (and, as Keras does, with the betas' powers taken in float32)
    power_1, power_2 = (float(np.float32(b)) ** t for b in (beta_1, beta_2))
    alpha = learning_rate * math.sqrt(1 - power_2) / (1 - power_1)
    w.assign_sub(m * alpha / (tf.sqrt(v) + epsilon))


# --8<-- [end:adam]


@dataclass(frozen=True)
class Setting:
    """One path of the widget; the fields are its link's keys."""

    surface: str = "valley"
    opt: str = "sgd"  # sgd, momentum or adam
    lr: float = 0.09
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    x: float = -2.5
    y: float = 1.0
    steps: int = 100


def query(setting):
    """The widget's link for a setting (paths.js's toQuery writes the same)."""

    def number(v):  # as JavaScript writes it: 1, not 1.0
        return str(v).removesuffix(".0")

    return "&".join(f"{k}={number(v)}" for k, v in setting.__dict__.items())


def left_the_plot(w):
    return not np.all(np.abs(w) <= EXTENT)  # NaN and inf leave it too


def from_scratch(setting):
    """The path of the hand-written optimiser: the start, then each step's
    weights, up to the first point off the plot."""
    s = setting
    # Keras holds the learning rate in a float32 variable and makes the
    # momentum a float32 constant before it casts both to float64: so do we
    # (and paths.js), or the paths would part in the eighth digit
    learning_rate, momentum = (
        float(np.float32(v)) for v in (s.lr, s.momentum)
    )
    w = tf.Variable([s.x, s.y], dtype=tf.float64)
    first, second = (tf.Variable(tf.zeros(2, tf.float64)) for _ in range(2))
    path = [w.numpy()]
    for t in range(1, s.steps + 1):
        with tf.GradientTape() as tape:
            value = loss(s.surface, w)
        gradient = tape.gradient(value, w)
        if s.opt == "adam":
            adam_step(
                w, gradient, first, second, t, learning_rate, s.beta1, s.beta2
            )
        else:
            momentum = momentum if s.opt == "momentum" else 0.0
            sgd_step(w, gradient, first, learning_rate, momentum)
        path.append(w.numpy())
        if left_the_plot(path[-1]):
            break
    return np.array(path)


# --8<-- [start:keras]
def keras_optimizer(setting):
    import keras

    s = setting
    if s.opt == "adam":
        return keras.optimizers.Adam(s.lr, beta_1=s.beta1, beta_2=s.beta2)
    momentum = s.momentum if s.opt == "momentum" else 0.0
    return keras.optimizers.SGD(s.lr, momentum=momentum)


# --8<-- [end:keras]


def with_keras(setting):
    """The same path, stepped by keras.optimizers.SGD or Adam: the start, then
    each step's weights, up to the first point off the plot."""
    s = setting
    optimizer = keras_optimizer(s)
    w = tf.Variable([s.x, s.y], dtype=tf.float64)
    optimizer.build([w])
    start = w.numpy()

    # One graph for every step (eight times faster than stepping eagerly, and
    # the same kernels): a path that leaves the plot early runs on to the end
    # harmlessly (inf, then NaN) and is cut below.
    @tf.function
    def steps():
        path = tf.TensorArray(tf.float64, size=s.steps)
        for t in tf.range(s.steps):
            with tf.GradientTape() as tape:
                value = loss(s.surface, w)
            optimizer.apply_gradients([(tape.gradient(value, w), w)])
            path = path.write(t, w.read_value())
        return path.stack()

    path = np.concatenate([[start], steps().numpy()])
    left = [i for i, point in enumerate(path) if left_the_plot(point)]
    return path[: left[0] + 1] if left else path


def losses_along(surface, path):
    return np.array([float(loss(surface, w)) for w in path])


# --8<-- [start:smoothed_floor]
def smoothed_floor(smoothing, n_classes=10):
    """The least cross-entropy a smoothed target allows: its own entropy,
    reached only when the softmax equals the target."""
    target = np.full(n_classes, smoothing / n_classes)
    target[0] += 1 - smoothing
    target = target[target > 0]  # 0 log 0 is 0
    return float(np.sum(target * np.log(1 / target)))


# --8<-- [end:smoothed_floor]


def train_small_mlp(
    data,
    peak,
    schedule,
    smoothing,
    epochs=4,
    batch_size=100,
    seed=0,
    optimizer="adam",
    loss_scale=1.0,
):
    """A 784-64-10 MLP trained with Keras' Adam (or plain SGD) on ``data``,
    its rate following snippets.fast's schedule ("constant" or
    "warmup-decay", with the speed page's 15 % of warm-up), its loss
    multiplied by ``loss_scale`` (a gradient that many times too large).
    Returns the rate and the (smoothed, unscaled) training loss at every
    step, and the model: a few seconds on a CPU."""
    import keras

    from snippets.fast import learning_rate_at

    keras.utils.set_random_seed(seed)
    n = len(data.train_x)
    total = epochs * (n // batch_size)
    model = keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    optimizer = (
        keras.optimizers.Adam(peak)
        if optimizer == "adam"
        else keras.optimizers.SGD(peak)
    )
    loss_of = keras.losses.CategoricalCrossentropy(
        from_logits=True, label_smoothing=smoothing
    )

    @tf.function
    def step(x, y, learning_rate):
        optimizer.learning_rate.assign(learning_rate)
        with tf.GradientTape() as tape:
            value = loss_of(y, model(x, training=True))
            scaled = loss_scale * value
        grads = tape.gradient(scaled, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return value

    order = np.random.default_rng(seed)
    rates, losses = [], []
    for _ in range(epochs):
        shuffled = order.permutation(n)
        for start in range(0, n - batch_size + 1, batch_size):
            batch = shuffled[start : start + batch_size]
            learning_rate = learning_rate_at(
                len(rates), total, peak, 0.15, schedule
            )
            losses.append(
                float(
                    step(
                        data.train_x[batch], data.train_y[batch], learning_rate
                    )
                )
            )
            rates.append(float(learning_rate))
    return np.array(rates), np.array(losses), model


def loss_slice(model, x, y, span=1.0, points=21, seed=0):
    """The loss of ``model`` on (x, y) over a plane through its weights: at
    w + a d1 + b d2 for a, b in [-span, span], with d1 and d2 random
    directions scaled to the norm of each weight tensor (so that a step of 1
    changes every layer by about its own size, as Li et al. 2018 do)."""
    import keras

    rng = np.random.default_rng(seed)
    weights = model.get_weights()

    def direction():
        out = []
        for w in weights:
            d = rng.standard_normal(w.shape)
            out.append(
                (d * np.linalg.norm(w) / np.linalg.norm(d)).astype(w.dtype)
            )
        return out

    d1, d2 = direction(), direction()
    loss_of = keras.losses.CategoricalCrossentropy(from_logits=True)
    x, y = tf.constant(x), tf.constant(y)

    @tf.function  # one graph for all the points: the model's weights stay
    def loss_at(a, b):
        moved = [w + a * u + b * v for w, u, v in zip(weights, d1, d2)]
        logits, _ = model.stateless_call(moved, [], x)
        return loss_of(y, logits)

    steps = np.linspace(-span, span, points)
    surface = np.zeros((points, points))
    for i, b in enumerate(steps):
        for j, a in enumerate(steps):
            surface[i, j] = float(loss_at(np.float32(a), np.float32(b)))
    return steps, surface


def scaled_gradient_accuracy(data, optimizer, peak, loss_scale, seed):
    """Validation accuracy of the small MLP trained at a constant rate with
    its gradient multiplied by ``loss_scale``."""
    _, _, model = train_small_mlp(
        data,
        peak,
        "constant",
        0.0,
        seed=seed,
        optimizer=optimizer,
        loss_scale=loss_scale,
    )
    predicted = np.argmax(model(data.valid_x).numpy(), axis=1)
    return float(np.mean(predicted == data.valid_y.argmax(axis=1)))


def main():
    for opt in ("sgd", "momentum", "adam"):
        setting = Setting(opt=opt, lr=0.09 if opt != "adam" else 0.3)
        ours, theirs = from_scratch(setting), with_keras(setting)
        gap = np.abs(ours - theirs).max()
        final = losses_along(setting.surface, ours)[-1]
        print(
            f"{opt:8} loss after 100 steps {final:.2e}, gap to Keras {gap:.0e}"
        )


if __name__ == "__main__":
    main()
