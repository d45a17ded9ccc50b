"""The settings of a training run, and the named presets the command line offers.

Kept apart from the training code so that reading them needs no TensorFlow: the
command line answers ``--help`` and argument mistakes at once.
"""

from dataclasses import dataclass

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
