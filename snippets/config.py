"""The settings of a training run, and the named presets the command line offers.

Kept apart from the training code so that reading them needs no TensorFlow: the
command line answers ``--help`` and argument mistakes at once.
"""

import json
import numbers
from dataclasses import asdict, dataclass, fields

DEFAULT_LEARNING_RATES = {"adam": 1e-3, "sgd": 0.1, "momentum": 0.01}


# --8<-- [start:config]
@dataclass(frozen=True)
class TrainConfig:
    hidden: tuple = (256,)  # the course's network: 784-256-10
    epochs: int = 20
    batch_size: int = 128
    # or "sgd", plain gradient descent as in the course, or "momentum"
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    # or "cosine": decay the learning rate to 0 at the end
    schedule: str = "constant"
    keep_prob: float = 1.0  # 1.0 means no dropout
    input_keep_prob: float = 1.0  # dropout on the input pixels
    l2: float = 0.0  # 0.0 means no L2 penalty
    # early stopping: epochs without a better validation accuracy
    patience: int = 5
    seed: int = 0
    limit: int = None  # train on the first `limit` examples only
    validation_size: int = 5000


# --8<-- [end:config]


# --8<-- [start:augmentation]
@dataclass(frozen=True)
class Augmentation:
    """How far each training digit may be bent, drawn anew at every step.

    Each number is the largest change; every digit gets its own random amount
    between none and that. All zeros: the digits as MNIST has them.
    """

    shift: float = 0.0  # pixels, up/down and left/right
    rotation: float = 0.0  # degrees, either way
    scale: float = 0.0  # 0.1: from 90 % to 110 % of the size
    # 1.0: from the strokes eroded by a pixel to dilated by one
    thickness: float = 0.0
    # elastic distortion (Simard et al. 2003): how far pixels move (alpha)
    elastic: float = 0.0
    # and how smooth that movement is (sigma of its Gaussian, pixels)
    elastic_smoothness: float = 4.0


# --8<-- [end:augmentation]


# --8<-- [start:fast_config]
@dataclass(frozen=True)
class FastConfig:
    """The fast trainer's settings (snippets/fast.py). Its schedule is fixed,
    decided on the validation set before the test set was looked at.
    """

    hidden: tuple = (256,)  # the course's network: 784-256-10
    # Two passes over the data: with the rate, smoothing and beta2 below they
    # reached 98 % on the validation set (seeds 0-29); a third pass added
    # little there, for half as many steps again.
    epochs: int = 2
    # 2x the course's 128: half the steps, each a better-shaped product
    batch_size: int = 256
    schedule: str = "warmup-decay"  # or "constant"
    # Adam's peak rate; a larger batch tolerates a larger rate
    learning_rate: float = 1e-2
    warmup_fraction: float = 0.15  # of all steps
    # aim at 0.91 for the right class, 0.01 for the others
    label_smoothing: float = 0.1
    # Adam's memory of squared gradients: 0.95 averages over about 20 steps
    # instead of Keras' 0.999 (about 1,000), so the step sizes follow the
    # gradients while they shrink fast in a run of only 428 steps
    adam_beta2: float = 0.95
    # "auto": bfloat16 products only where a probe measures them faster (no
    # probe on a CPU without bfloat16 instructions: float32); "float32" or
    # "bfloat16" forces one
    compute_dtype: str = "auto"
    # one kernel per variable; False: Adam written as tensor ops
    fused_adam: bool = True
    # one compiled call per epoch; False: one call per step
    whole_epoch: bool = True
    # XLA: measured by the benchmark, and its compile time did not pay back
    jit_compile: bool = False
    keep_prob: float = 1.0  # dropout on the hidden units; 1.0 means none
    input_keep_prob: float = 1.0  # dropout on the input pixels
    # max-norm: no hidden unit's incoming weights longer than this; 0: off
    max_norm: float = 0.0
    augmentation: Augmentation = Augmentation()  # none
    seed: int = 0
    limit: int = None  # train on the first `limit` examples only


# --8<-- [end:fast_config]


FAST = FastConfig()


# --8<-- [start:presets]
PRESETS = {
    # The course's 784-256-10 as `python -m snippets train` trains it by
    # default. Four changes from the plain settings above, chosen together and
    # measured as a whole (benchmarks/course_accuracy.json), not one by one:
    # smaller batches (noisier steps), a learning rate that decays to zero,
    # light dropout, and early stopping's patience spanning the whole decay
    # (the epoch with the best validation accuracy is still the one kept).
    "course": TrainConfig(
        batch_size=64, schedule="cosine", keep_prob=0.8, patience=20
    ),
    # Deeper and wider, trained by the fast trainer: every step sees its
    # digits shifted, turned, scaled, thickened and bent, so it learns the
    # digit and not the pixels; dropout and max-norm keep it from
    # overfitting. The bent digits already vary the pixels, so the inputs
    # are not dropped, and the hidden units keep 0.6 (0.5 and dropped inputs
    # learnt more slowly on the validation set in 40 epochs).
    "best": FastConfig(
        hidden=(1024, 1024),
        epochs=40,
        batch_size=256,
        learning_rate=2e-3,
        warmup_fraction=0.05,
        label_smoothing=0.0,
        adam_beta2=0.999,  # a long run: Keras' default
        keep_prob=0.6,
        max_norm=3.5,
        augmentation=Augmentation(
            shift=2.0, rotation=12.0, scale=0.1, thickness=0.5, elastic=20.0
        ),
    ),
}
# --8<-- [end:presets]


# A network's shape, as a run folder's model.json records it. A run folder may
# come from someone else: every number in it is checked before any model is
# built from it, so that it cannot ask for more memory than a network of the
# sizes below holds (784-8192x8-10: 1.9 GB of float32 weights).
N_INPUTS = 784  # MNIST's 28 x 28 pixels
N_CLASSES = 10
MOST_HIDDEN_LAYERS = 8
WIDEST_LAYER = 8192


class ArchitectureError(ValueError):
    """A network's shape the project does not build; the message names the
    key. (The modules that read run folders turn it into their own one-line
    errors: this module imports nothing of the project.)
    """


def shown(value):
    """A value as JSON writes it, cut short: what an error message quotes."""
    text = json.dumps(value, default=repr)
    return text if len(text) <= 40 else text[:37] + "..."


def whole_number(value):
    """True for 3 (or a NumPy integer), False for 3.0, "3" or True."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def hidden_problem(hidden):
    """What is wrong with ``hidden`` as a run folder's hidden widths, or
    None.
    """
    if (
        not isinstance(hidden, (list, tuple))
        or not 1 <= len(hidden) <= MOST_HIDDEN_LAYERS
        or not all(whole_number(width) for width in hidden)
        or not all(1 <= width <= WIDEST_LAYER for width in hidden)
    ):
        return (
            f'"hidden" must be a list of 1 to {MOST_HIDDEN_LAYERS} whole '
            f"numbers from 1 to {WIDEST_LAYER}, not {shown(hidden)}"
        )
    return None


def widths(hidden):
    """``hidden`` as a tuple of whole positive numbers, for building a model
    in code; any number of layers, any width (a run folder's widths are
    bounded by ``Architecture``). A string is refused: "12" is not (1, 2).
    """
    if isinstance(hidden, (str, bytes)) or not hasattr(hidden, "__iter__"):
        raise ArchitectureError(
            f"hidden widths must be a list of whole numbers, not "
            f"{shown(hidden)}"
        )
    hidden = tuple(hidden)
    if not all(
        (whole_number(w) or isinstance(w, float) and w.is_integer()) and w > 0
        for w in hidden
    ):
        raise ArchitectureError(
            f"hidden widths must be whole numbers above 0, not {shown(hidden)}"
        )
    return tuple(int(width) for width in hidden)


@dataclass(frozen=True)
class Architecture:
    """The shape of a network: its inputs, hidden widths and classes.

    Checked when made: 784 inputs, 10 classes, 1 to MOST_HIDDEN_LAYERS hidden
    layers of at most WIDEST_LAYER units. ``str()`` gives "784-256-10".
    """

    hidden: tuple = (256,)
    n_inputs: int = N_INPUTS
    n_classes: int = N_CLASSES

    def __post_init__(self):
        problems = [hidden_problem(self.hidden)]
        for key, wanted, meaning in (
            ("n_inputs", N_INPUTS, "MNIST's 28 x 28 pixels"),
            ("n_classes", N_CLASSES, "the digits 0 to 9"),
        ):
            value = getattr(self, key)
            if not (whole_number(value) and value == wanted):
                problems.append(
                    f'"{key}" must be {wanted} ({meaning}), not {shown(value)}'
                )
        problems = [problem for problem in problems if problem]
        if problems:
            raise ArchitectureError("; ".join(problems))
        object.__setattr__(self, "hidden", tuple(int(w) for w in self.hidden))
        object.__setattr__(self, "n_inputs", int(self.n_inputs))
        object.__setattr__(self, "n_classes", int(self.n_classes))

    def __str__(self):
        sizes = (self.n_inputs, *self.hidden, self.n_classes)
        return "-".join(str(size) for size in sizes)

    def record(self):
        """The architecture as model.json and an export's header keep it."""
        return record_of(self.hidden, self.n_inputs, self.n_classes)

    def differences(self, other):
        """``(field, this value, other value)`` for each field in which
        ``other`` differs: what a message about two architectures names.
        """
        return [
            (field.name, getattr(self, field.name), getattr(other, field.name))
            for field in fields(self)
            if getattr(self, field.name) != getattr(other, field.name)
        ]

    @classmethod
    def from_shapes(cls, shapes):
        """The architecture a checkpoint's variables make, from their shapes
        alone: ``{"weights/hidden_1": (784, 256), "biases/hidden_1": (256,),
        ..., "weights/out": (256, 10), "biases/out": (10,)}``.
        """
        names = [f"hidden_{i}" for i in range(1, MOST_HIDDEN_LAYERS + 2)]
        names = [name for name in names if f"weights/{name}" in shapes]
        chain = []
        for layer in [*names, "out"]:
            weights = shapes.get(f"weights/{layer}")
            bias = shapes.get(f"biases/{layer}")
            fits = (
                weights is not None
                and len(weights) == 2
                and tuple(bias or ()) == tuple(weights[1:])
                and (not chain or weights[0] == chain[-1])
            )
            if not fits:
                raise ArchitectureError(
                    f"its variables do not make a network at {layer}: "
                    f"weights {shown(weights)}, biases {shown(bias)}"
                )
            chain += [weights[0]] if not chain else []
            chain.append(weights[1])
        if len(names) != len(chain) - 2 or names != [
            f"hidden_{i}" for i in range(1, len(names) + 1)
        ]:
            raise ArchitectureError(
                f"its variables do not make a network: layers {names}"
            )
        return cls(tuple(chain[1:-1]), chain[0], chain[-1])


def record_of(hidden, n_inputs, n_classes):
    """An architecture as JSON keeps it, unchecked: a network built in code
    may be of any size, and its reader checks it (``read_model_record``).
    """
    return {
        "hidden": [int(width) for width in hidden],
        "n_inputs": int(n_inputs),
        "n_classes": int(n_classes),
    }


def training_settings(config):
    """A config's settings as model.json keeps them beside the architecture:
    all but the hidden widths, which are the architecture's.
    """
    settings = json.loads(json.dumps(asdict(config)))
    settings.pop("hidden", None)
    return settings


# model.json is {"architecture": {...}, "training": {...}}: the network's
# shape, and beside it the settings it was trained with (a plain save records
# only its dropout, "keep_prob" and "input_keep_prob"). Files written before
# that hold the shape, the dropout and "training" side by side at the top.
MODEL_FILE_KEYS = ("architecture", "training")
ARCHITECTURE_KEYS = ("hidden", "n_inputs", "n_classes")
# The keys a model.json of before may hold, and those it must.
OLD_MODEL_FILE_KEYS = (
    *ARCHITECTURE_KEYS,
    "keep_prob",
    "input_keep_prob",
    "training",
)
OLD_REQUIRED_KEYS = (*ARCHITECTURE_KEYS, "keep_prob")


def read_model_record(record, source):
    """A run folder's model.json, read by ``json``, with every key checked:
    ``(architecture, training)``, where ``training`` holds at least
    "keep_prob" and "input_keep_prob". Raises ArchitectureError, one line
    that names ``source`` and each key that is wrong. Files of before
    (``OLD_MODEL_FILE_KEYS``) are read too.
    """
    if not isinstance(record, dict):
        raise ArchitectureError(
            f"{source}: must be a JSON object, not {shown(record)}"
        )
    if "architecture" in record:
        allowed, required = MODEL_FILE_KEYS, MODEL_FILE_KEYS
        shape = record["architecture"]
        training = record.get("training", {})
    else:  # a file of before: everything at the top
        allowed, required = OLD_MODEL_FILE_KEYS, OLD_REQUIRED_KEYS
        shape = record
        training = record.get("training", {})
    problems = [
        f"unknown key {shown(key)}" for key in record if key not in allowed
    ] + [f'"{key}" is missing' for key in required if key not in record]
    architecture = None
    if not isinstance(shape, dict):
        problems.append(
            f'"architecture" must be a JSON object, not {shown(shape)}'
        )
    else:
        if shape is not record:
            problems += [
                f'unknown key {shown(key)} in "architecture"'
                for key in shape
                if key not in ARCHITECTURE_KEYS
            ] + [
                f'"{key}" is missing from "architecture"'
                for key in ARCHITECTURE_KEYS
                if key not in shape
            ]
        if all(key in shape for key in ARCHITECTURE_KEYS):
            try:
                architecture = Architecture(
                    shape["hidden"], shape["n_inputs"], shape["n_classes"]
                )
            except ArchitectureError as error:
                problems.append(str(error))
    if not isinstance(training, dict):
        problems.append(
            f'"training" must be a JSON object, not {shown(training)}'
        )
        training = {}
    training = dict(training)
    if shape is record:  # of before: the dropout beside "training" counts
        training.pop("hidden", None)
        for key in ("keep_prob", "input_keep_prob"):
            training[key] = record.get(key, 1.0)
    for key in ("keep_prob", "input_keep_prob"):
        value = training.setdefault(key, 1.0)
        if not (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and 0 < value <= 1
        ):
            problems.append(
                f'"{key}" must be a number above 0 and at most 1, not '
                f"{shown(value)}"
            )
        else:
            training[key] = float(value)
    if problems:
        raise ArchitectureError(f"{source}: {'; '.join(problems)}")
    return architecture, training
