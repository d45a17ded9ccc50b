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


# --8<-- [start:presets]
PRESETS = {
    # The course's 784-256-10 as `python -m snippets train` trains it by
    # default. Three changes from the plain settings above, each a small push
    # toward the minimum that generalises: smaller batches (noisier steps), a
    # learning rate that decays to zero, and light dropout. Early stopping's
    # patience spans the whole decay; the epoch with the best validation
    # accuracy is still the one kept.
    "course": TrainConfig(
        batch_size=64, schedule="cosine", keep_prob=0.8, patience=20
    ),
    # Deeper and wider, with dropout to keep it from overfitting, and more
    # epochs because dropout slows learning down.
    "best": TrainConfig(
        hidden=(1024, 1024),
        keep_prob=0.5,
        input_keep_prob=0.8,
        epochs=50,
        patience=50,
        schedule="cosine",
    ),
}
# --8<-- [end:presets]
