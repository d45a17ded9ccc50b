"""The playground's twin: the widget's trainer
(docs/assets/playground/trainer.js) written with TensorFlow, so that the
tests can show it does the same math.

Same setting, same run: one integer PRNG (mulberry32, its 32-bit steps
reproduced here) draws the data, the initial weights, the batch order and the
dropout masks on both sides; the variables are float64 tf.Variables trained
with tf.GradientTape and Keras 3's SGD or Adam.

``python -m snippets.playground`` trains every preset and prints its query
and final test accuracy.
"""

import functools
import itertools
import math
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qsl

import numpy as np

MASK = 0xFFFFFFFF
EXTENT = 1.3  # the regions are drawn on [-EXTENT, EXTENT] squared
STREAMS = {"data": 1, "init": 2, "batches": 3, "dropout": 4}
DATA_SETS = ("xor", "circles", "spirals", "gauss")


def imul(a, b):
    """JavaScript's Math.imul, on unsigned 32-bit integers."""
    return (a * b) & MASK


def cos(x):
    """cos from + - * / alone, the same loop as trainer.js's (Math.cos and
    math.cos may differ in the last bit)."""
    x -= 2 * math.pi * math.floor(x / (2 * math.pi) + 0.5)  # in [-pi, pi]
    x2, term, total = x * x, 1.0, 0.0
    for k in range(1, 41, 2):
        total += term
        term *= -x2 / (k * (k + 1))
    return total


def sin(x):
    return cos(x - math.pi / 2)


def log(u):
    """Natural log of u > 0, the same series as trainer.js's."""
    k = 0
    while u < 0.5:
        u *= 2
        k += 1
    while u > 1:
        u /= 2
        k -= 1
    z = (u - 1) / (u + 1)
    z2, term, total = z * z, z, 0.0
    for n in range(1, 42, 2):
        total += term / n
        term *= z2
    return 2 * total - k * 0.6931471805599453


class Random:
    """mulberry32 as trainer.js writes it: a float in [0, 1) per call."""

    def __init__(self, seed, stream):
        self.a = (imul(seed & MASK, 0x9E3779B1) + stream) & MASK

    def __call__(self):
        self.a = a = (self.a + 0x6D2B79F5) & MASK
        t = imul(a ^ (a >> 15), 1 | a)
        t = ((t + imul(t ^ (t >> 7), 61 | t)) & MASK) ^ t
        return (t ^ (t >> 14)) / 4294967296

    def many(self, n):
        """The next ``n`` floats at once. The state only counts up by a
        constant, so NumPy mixes every step's state together (products of
        two 32-bit numbers fit in uint64; the low 32 bits are Math.imul's)."""
        count = np.arange(1, n + 1, dtype=np.uint64)
        a = (np.uint64(self.a) + count * np.uint64(0x6D2B79F5)) & MASK
        if n:
            self.a = int(a[-1])
        t = (a ^ (a >> np.uint64(15))) * (a | np.uint64(1)) & MASK
        t = (
            (t + ((t ^ (t >> np.uint64(7))) * (t | np.uint64(61)))) & MASK
        ) ^ t
        return (t ^ (t >> np.uint64(14))) / 4294967296

    def normal(self):
        """Box-Muller, one normal from two uniforms."""
        u, v = 1 - self(), self()
        return math.sqrt(-2 * log(u)) * cos(2 * math.pi * v)


@dataclass(frozen=True)
class Setting:
    """What the widget's URL holds; ``hidden=()`` is the linear model."""

    data: str = "xor"
    seed: int = 0
    noise: float = 0
    points: int = 200
    hidden: tuple = ()
    lr: float = 0.03
    batch: int = 10
    l2: float = 0
    keep: float = 1
    opt: str = "sgd"


def number(value):
    """A number as JavaScript prints it: 3 not 3.0."""
    return str(int(value)) if float(value).is_integer() else repr(value)


def query(setting):
    """The URL query string that sets up the widget as ``setting``."""
    s = setting
    hidden = ",".join(str(units) for units in s.hidden)
    return (
        f"data={s.data}&seed={s.seed}&noise={number(s.noise)}"
        f"&points={s.points}&hidden={hidden}&lr={number(s.lr)}"
        f"&batch={s.batch}&l2={number(s.l2)}&keep={number(s.keep)}"
        f"&opt={s.opt}"
    )


def parse_query(text):
    """The setting a query string describes (the inverse of ``query``)."""
    values = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        if key == "hidden":
            values[key] = tuple(int(u) for u in value.split(",") if u)
        elif key in ("data", "opt"):
            values[key] = value
        elif key in ("seed", "points", "batch"):
            values[key] = int(value)
        elif key in ("noise", "lr", "l2", "keep"):
            values[key] = float(value)
    return Setting(**values)


def make_data(s):
    """Training and test points (x of shape n x 2, labels y), as trainer.js."""
    rand, n = Random(s.seed, STREAMS["data"]), 2 * s.points
    x, y = np.zeros((n, 2)), np.zeros(n, np.int64)
    for i in range(n):
        label = i % 2
        if s.data == "xor":
            a, b = 2 * rand() - 1, 2 * rand() - 1
            a += 0.05 if a >= 0 else -0.05
            b += 0.05 if b >= 0 else -0.05
            label = 1 if a * b < 0 else 0
        elif s.data == "circles":
            r = 0.5 * rand() if label == 0 else 0.7 + 0.3 * rand()
            angle = 2 * math.pi * rand()
            a, b = r * cos(angle), r * sin(angle)
        elif s.data == "spirals":
            t = (i // 2) / s.points
            r = 0.05 + 0.95 * t
            angle = 3.5 * math.pi * t + label * math.pi
            a, b = r * sin(angle), r * cos(angle)
        elif s.data == "gauss":
            centre = -0.45 if label == 0 else 0.45
            a = centre + 0.25 * rand.normal()
            b = centre + 0.25 * rand.normal()
        else:
            raise ValueError(f"unknown data set {s.data}")
        x[i, 0] = a + s.noise * (2 * rand() - 1)
        x[i, 1] = b + s.noise * (2 * rand() - 1)
        y[i] = label
    train = (np.arange(n) >> 1) & 1 == 0
    return (x[train], y[train]), (x[~train], y[~train])


def initial_weights(s):
    """He-scaled normal weights (fan_in x fan_out) and zero biases."""
    sizes, rand = [2, *s.hidden, 2], Random(s.seed, STREAMS["init"])
    weights, biases = [], []
    for fan_in, fan_out in itertools.pairwise(sizes):
        scale = math.sqrt(2 / fan_in)
        w = [scale * rand.normal() for _ in range(fan_in * fan_out)]
        weights.append(np.array(w).reshape(fan_in, fan_out))
        biases.append(np.zeros(fan_out))
    return weights, biases


def grid_points(size):
    """The centres of a size x size grid over the square, top row first."""
    centres = -EXTENT + (np.arange(size) + 0.5) * 2 * EXTENT / size
    xs, ys = np.meshgrid(centres, -centres)
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


@dataclass
class Run:
    """A trained twin: its setting, data, initial and trained variables, and
    the loss of its last step."""

    setting: Setting
    train: tuple
    test: tuple
    initial: list
    variables: list = field(default_factory=list)
    loss: float = float("nan")

    def logits(self, x):
        import tensorflow as tf

        h = tf.constant(x, tf.float64)
        pairs = len(self.variables) // 2
        for layer in range(pairs):
            w, b = self.variables[2 * layer], self.variables[2 * layer + 1]
            h = h @ w + b
            if layer + 1 < pairs:
                h = tf.nn.relu(h)
        return h.numpy()

    def accuracy(self, part="test"):
        x, y = self.test if part == "test" else self.train
        return float(np.mean(np.argmax(self.logits(x), axis=1) == y))

    def regions(self, size):
        """argmax class on the grid, as trainer.js's regions(size)."""
        return np.argmax(self.logits(grid_points(size)), axis=1)

    def parameters(self):
        """Every weight matrix, then every bias, as trainer.js keeps them."""
        return [v.numpy() for v in self.variables[::2] + self.variables[1::2]]


def train(setting, steps):
    """Train the twin for ``steps`` steps: the widget's run, in TensorFlow."""
    import tensorflow as tf

    s = setting
    if s.opt not in ("adam", "sgd"):
        raise ValueError(f"unknown optimizer {s.opt}")
    train_set, test_set = make_data(s)
    weights, biases = initial_weights(s)
    initial = [v for pair in zip(weights, biases) for v in pair]
    variables, optimizer, loop = trainer_for([v.shape for v in initial], s.opt)
    for variable, value in zip(variables, initial):
        variable.assign(value)
    # a fresh optimizer: no steps taken, no moments
    for state in optimizer.variables:
        state.assign(tf.zeros_like(state))
    optimizer.learning_rate = s.lr
    run = Run(s, train_set, test_set, [*weights, *biases], variables)
    index, masks = batches_and_masks(s, len(train_set[1]), steps)
    if steps:
        x = tf.constant(train_set[0][index])
        y = tf.constant(train_set[1][index])
        l2 = tf.constant(s.l2, tf.float64)
        run.loss = float(loop(variables, optimizer, x, y, tuple(masks), l2))
    # The run keeps its own copy: the trainer's variables serve the next run.
    run.variables = [tf.Variable(variable) for variable in variables]
    return run


TRAINERS = {}  # (variable shapes, optimizer) -> variables, optimizer, loop


def trainer_for(shapes, opt):
    """Variables, an optimizer and the compiled loop for networks of these
    shapes, made once and reused by every run of the same shapes: tracing
    the loop costs more than running it, and the twin trains many seeds."""
    import keras
    import tensorflow as tf

    key = (tuple(map(tuple, shapes)), opt)
    if key not in TRAINERS:
        variables = [
            tf.Variable(np.zeros(shape), dtype=tf.float64) for shape in shapes
        ]
        if opt == "adam":
            optimizer = keras.optimizers.Adam(learning_rate=0.1, epsilon=1e-7)
        else:
            optimizer = keras.optimizers.SGD(learning_rate=0.1)
        optimizer.build(variables)
        loop = tf.function(
            training_loop, autograph=False, reduce_retracing=True
        )
        TRAINERS[key] = variables, optimizer, loop
    return TRAINERS[key]


def batches_and_masks(s, n, steps):
    """Each step's batch (indices into the training set) and dropout masks,
    drawn as trainer.js draws them."""
    batches = Random(s.seed, STREAMS["batches"])
    dropout = Random(s.seed, STREAMS["dropout"])
    size = min(s.batch, n)
    order, position, index = [], n + 1, []
    for k in range(steps):
        if position + size > n:  # reshuffle, Fisher-Yates
            order = list(range(n))
            for i in range(n - 1, 0, -1):
                j = math.floor(batches() * (i + 1))
                order[i], order[j] = order[j], order[i]
            position = 0
        index.append(order[position : position + size])
        position += size
    if s.keep == 1:
        return np.array(index, np.int64), []
    # each step draws every layer's mask in turn, row by row
    draws = dropout.many(steps * size * sum(s.hidden)).reshape(steps, -1)
    masks, start = [], 0
    for units in s.hidden:
        block = draws[:, start : start + size * units]
        kept = block.reshape(steps, size, units) < s.keep
        masks.append(np.where(kept, 1 / s.keep, 0.0))
        start += size * units
    return np.array(index, np.int64), masks


def training_loop(variables, optimizer, xs, ys, masks, l2):
    """Every step in one graph: forward with dropout masks, cross-entropy
    plus L2 on the weights, gradients, the optimizer's update."""
    import tensorflow as tf

    pairs = len(variables) // 2

    def one_step(k, loss):
        with tf.GradientTape() as tape:
            h = xs[k]
            for layer in range(pairs):
                w, b = variables[2 * layer], variables[2 * layer + 1]
                h = h @ w + b
                if layer + 1 < pairs:
                    h = tf.nn.relu(h)
                    if masks:
                        h = h * masks[layer][k]
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(ys[k], h)
            )
            penalty = tf.add_n([tf.reduce_sum(w**2) for w in variables[::2]])
            loss = loss + l2 * penalty / 2
        grads = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(grads, variables))
        return k + 1, loss

    start = (tf.constant(0), tf.constant(0.0, tf.float64))
    steps = tf.shape(xs)[0]
    return tf.while_loop(lambda k, _: k < steps, one_step, start)[1]


# Few noisy points and a wide network: it learns the noise as well.
OVERFIT = Setting(
    "gauss", 1, noise=0.5, points=50, hidden=(8, 8, 8), lr=0.03, opt="adam"
)
# Each preset: a setting, and how many steps the pages train it.
PRESETS = {
    # linear: a straight boundary
    "linear-gauss": (Setting(data="gauss", seed=1, lr=0.1), 200),
    "linear-xor": (Setting(data="xor", seed=1, lr=0.1), 200),
    "linear-circles": (Setting(data="circles", seed=1, lr=0.1), 200),
    # relu: one hidden layer of 1, 2 and 4 ReLUs on XOR
    "relu1-xor": (Setting(seed=1, hidden=(1,), opt="adam"), 300),
    "relu2-xor": (Setting(seed=1, hidden=(2,), opt="adam"), 300),
    "relu4-xor": (Setting(seed=1, hidden=(4,), opt="adam"), 300),
    # deeper: spirals, one layer of 8 against three (the widget caps a layer
    # at 8 units, so the page runs the fair pair, equal budgets, in the twin);
    # XOR with the same 42 parameters, wide or deep
    "spirals-shallow": (
        Setting("spirals", 1, hidden=(8,), lr=0.01, batch=20, opt="adam"),
        600,
    ),
    "spirals-deep": (
        Setting("spirals", 1, hidden=(8, 8, 8), lr=0.01, batch=20, opt="adam"),
        600,
    ),
    "wide": (Setting(hidden=(8,), lr=0.01, opt="adam"), 400),
    "deep": (Setting(hidden=(4, 4), lr=0.01, opt="adam"), 400),
    # regularization and dropout: few noisy points, a wide network
    "overfit-gauss": (OVERFIT, 1000),
    "l2-gauss": (replace(OVERFIT, l2=0.01), 1000),
    "overfit-circles": (replace(OVERFIT, data="circles", hidden=(8, 8)), 2000),
    "dropout-circles": (
        replace(OVERFIT, data="circles", hidden=(8, 8), keep=0.5),
        2000,
    ),
}
# The presets each page offers.
PAGES = {
    "linear": ["linear-gauss", "linear-xor", "linear-circles"],
    "relu": ["relu1-xor", "relu2-xor", "relu4-xor"],
    "deeper": ["spirals-shallow", "spirals-deep", "wide", "deep"],
    "regularization": ["overfit-gauss", "l2-gauss"],
    "dropout": ["overfit-circles", "dropout-circles"],
}


def preset_query(name):
    """The widget's URL query for preset ``name``."""
    return query(PRESETS[name][0])


def parameters(setting):
    """How many weights and biases the setting's network has."""
    sizes = [2, *setting.hidden, 2]
    return sum((a + 1) * b for a, b in itertools.pairwise(sizes))


def run_preset(name):
    """Train preset ``name`` for its steps; the trained twin."""
    setting, steps = PRESETS[name]
    return train(setting, steps)


SEEDS = range(5)  # a preset's seeds, when a page reports its spread


def accuracies_over_seeds(name, seeds=SEEDS, hidden=None):
    """Preset ``name`` trained once per seed (which draws the initial
    weights, the batches and any noise of the data), with its own hidden
    layers or ``hidden``: the test accuracy of each run. One seed can be
    lucky; several show the spread."""
    setting, steps = PRESETS[name]
    if hidden is not None:
        setting = replace(setting, hidden=tuple(hidden))
    runs = [train(replace(setting, seed=seed), steps) for seed in seeds]
    return [run.accuracy() for run in runs]


@functools.cache  # the page's block and its test ask for the same runs
def train_and_test_over_seeds(name, seeds=SEEDS):
    """Preset ``name`` trained once per seed: each run's training and test
    accuracy. Where training runs ahead of test, the network has learned
    points, not the pattern: the gap between the two is the overfitting."""
    setting, steps = PRESETS[name]
    runs = [train(replace(setting, seed=seed), steps) for seed in seeds]
    return tuple((run.accuracy("train"), run.accuracy()) for run in runs)


def main():
    """Train every preset; print its page, steps, test accuracy and query."""
    for page, names in PAGES.items():
        for name in names:
            setting, steps = PRESETS[name]
            run = train(setting, steps)
            print(
                f"{page:7} {name:16} {parameters(setting):4} parameters "
                f"{steps:4} steps  test accuracy {run.accuracy():.3f}"
            )
            print(f"        ?{query(setting)}")


if __name__ == "__main__":
    main()
