"""The training loop: mini-batches, gradients, an optimizer, and a validation check each epoch.

Everything random is derived from one seed (the initial weights, the shuffling of each
epoch, the dropout masks of each step), so the same command gives the same network.
With a checkpoint directory, training saves after every epoch and resumes where it stopped.

Run it as a script for a short training run on a slice of MNIST:

    python -m snippets.train
"""

import json
import math
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf

from snippets.checkpoint import open_training_checkpoints
from snippets.data import batches, load_dataset
from snippets.linear import softmax_cross_entropy
from snippets.mlp import MLP
from snippets.regularization import EarlyStopping, l2_penalty

DEFAULT_LEARNING_RATES = {"adam": 1e-3, "sgd": 0.1}


# --8<-- [start:config]
@dataclass(frozen=True)
class TrainConfig:
    hidden: tuple = (256,)  # the course's network: 784-256-10
    epochs: int = 20
    batch_size: int = 128
    optimizer: str = "adam"  # or "sgd", plain gradient descent as in the course
    learning_rate: float = 1e-3
    schedule: str = "constant"  # or "cosine": decay the learning rate to 0 over all epochs
    keep_prob: float = 1.0  # 1.0 means no dropout
    input_keep_prob: float = 1.0  # dropout on the input pixels
    l2: float = 0.0  # 0.0 means no L2 penalty
    patience: int = 5  # early stopping: epochs without a better validation accuracy
    seed: int = 0
    limit: int = None  # train on the first `limit` examples only
    validation_size: int = 5000
# --8<-- [end:config]


# --8<-- [start:presets]
PRESETS = {
    "course": TrainConfig(),
    # Deeper and wider, with dropout to keep it from overfitting, and more epochs because
    # dropout slows learning down.
    "best": TrainConfig(hidden=(1024, 1024), keep_prob=0.5, input_keep_prob=0.8, epochs=50, patience=50,
                        schedule="cosine"),
}
# --8<-- [end:presets]


@dataclass
class TrainResult:
    model: MLP
    history: list = field(default_factory=list)
    test_loss: float = math.nan
    test_accuracy: float = math.nan
    best_epoch: int = 0
    seconds: float = 0.0
    resumed_from_epoch: int = 0


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


def make_optimizer(name, learning_rate, schedule="constant", total_steps=1):
    if schedule == "cosine":
        # A large step size early on, then ever smaller steps to settle into a minimum.
        learning_rate = tf.keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=total_steps)
    elif schedule != "constant":
        raise ValueError(f"unknown schedule {schedule!r}; choose constant or cosine")
    if name == "adam":
        return tf.keras.optimizers.Adam(learning_rate)
    if name == "sgd":
        return tf.keras.optimizers.SGD(learning_rate)
    raise ValueError(f"unknown optimizer {name!r}; choose adam or sgd")


# --8<-- [start:evaluate]
def evaluate(model, features, labels, batch_size=10000):
    """Mean cross-entropy and accuracy over a whole set, without dropout."""
    total_loss, correct = 0.0, 0
    for start in range(0, len(features), batch_size):
        x, y = features[start : start + batch_size], labels[start : start + batch_size]
        logits = model(x)
        total_loss += float(softmax_cross_entropy(logits, y)) * len(x)
        correct += int(np.sum(np.argmax(logits, axis=1) == np.argmax(y, axis=1)))
    return total_loss / len(features), correct / len(features)
# --8<-- [end:evaluate]


# --8<-- [start:train_step]
def make_train_step(model, optimizer, l2):
    """One compiled step: forward pass, loss, gradients by backprop, one optimizer update."""
    signature = [
        tf.TensorSpec([None, model.n_inputs], tf.float32),
        tf.TensorSpec([None, model.n_classes], tf.float32),
        tf.TensorSpec([2], tf.int64),
    ]

    @tf.function(input_signature=signature)
    def train_step(x, y, dropout_seed):
        with tf.GradientTape() as tape:
            logits = model(x, training=True, dropout_seed=dropout_seed)
            loss = softmax_cross_entropy(logits, y)
            total = loss + l2_penalty(model.weight_matrices(), l2) if l2 else loss
        gradients = tape.gradient(total, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        # The gradient norm is returned so the loop can spot NaN early: a NaN input makes
        # the weight gradients NaN while ReLU can still hide it from the loss.
        return loss, tf.linalg.global_norm(gradients)

    return train_step
# --8<-- [end:train_step]


class ProgressBar:
    """A one-line bar with the running mean loss, redrawn in place on a terminal only."""

    def __init__(self, total, label, stream=None, width=30):
        stream = stream or sys.stderr  # looked up now: sys.stderr may have been replaced
        self.total, self.label, self.stream, self.width = total, label, stream, width
        self.enabled = stream.isatty()

    def update(self, done, running_loss):
        if self.enabled and (done == self.total or done % 20 == 0):
            filled = self.width * done // self.total
            bar = "#" * filled + "." * (self.width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {done}/{self.total} loss {running_loss:.4f}")
            self.stream.flush()

    def close(self):
        if self.enabled:
            self.stream.write("\r" + " " * (self.width + 60) + "\r")
            self.stream.flush()


def copy_weights(source, target):
    for from_variable, to_variable in zip(source.trainable_variables, target.trainable_variables):
        to_variable.assign(from_variable)


def train(config=TrainConfig(), data=None, checkpoint_dir=None, log=print, max_to_keep=3, init_from=None):
    """Train an MLP as ``config`` says and return it with its history and test scores.

    The returned model holds the weights of the epoch with the best validation accuracy.
    With ``checkpoint_dir``, every epoch ends with a checkpoint of the whole training state,
    and a later call with the same directory resumes from the newest complete one.
    ``init_from`` is a model of the same architecture whose weights training starts from
    (finetuning); a resumed run takes its weights from the checkpoint instead.
    """
    data = data if data is not None else load_dataset(config.validation_size, config.limit)
    model = MLP(config.hidden, n_inputs=data.train_x.shape[1], n_classes=data.train_y.shape[1],
                keep_prob=config.keep_prob, input_keep_prob=config.input_keep_prob, seed=config.seed)
    best_model = MLP(config.hidden, n_inputs=model.n_inputs, n_classes=model.n_classes,
                     keep_prob=config.keep_prob, input_keep_prob=config.input_keep_prob, seed=config.seed)
    if init_from is not None:
        copy_weights(init_from, model)
    steps_per_epoch = math.ceil(len(data.train_x) / config.batch_size)
    optimizer = make_optimizer(config.optimizer, config.learning_rate, config.schedule, config.epochs * steps_per_epoch)
    optimizer.build(model.trainable_variables)
    stopper = EarlyStopping(config.patience)
    history = []
    # Everything needed to continue exactly: the optimizer's moments and step counter,
    # the epoch, the early-stopping state, the history. The dropout masks and the
    # shuffling are derived from (seed, step) and (seed, epoch), so they need no state.
    state = {"epoch": tf.Variable(0, dtype=tf.int64), "best_epoch": tf.Variable(0, dtype=tf.int64),
             "best_score": tf.Variable(-1.0, dtype=tf.float64),
             "epochs_without_improvement": tf.Variable(0, dtype=tf.int64),
             "history": tf.Variable("[]", dtype=tf.string)}
    checkpoint = tf.train.Checkpoint(model=model, best=best_model, optimizer=optimizer, **state)
    manager, start_epoch = None, 0
    if checkpoint_dir is not None:
        manager, start_epoch = open_training_checkpoints(checkpoint, checkpoint_dir, config, model, max_to_keep, log)
        if start_epoch:
            stopper.best_score = float(state["best_score"].numpy())
            stopper.best_epoch = int(state["best_epoch"].numpy())
            stopper.epochs_without_improvement = int(state["epochs_without_improvement"].numpy())
            history = json.loads(state["history"].numpy().decode())
    train_step = make_train_step(model, optimizer, config.l2)
    started = time.perf_counter() - (history[-1]["seconds"] if history else 0.0)

    for epoch in range(start_epoch + 1, config.epochs + 1):
        if stopper.should_stop:
            break
        bar = ProgressBar(steps_per_epoch, f"epoch {epoch:>3}/{config.epochs}")
        loss_sum = 0.0
        epoch_batches = batches(config.batch_size, data.train_x, data.train_y, seed=config.seed * 100003 + epoch)
        for done, (x, y) in enumerate(epoch_batches, start=1):
            step = int(optimizer.iterations.numpy())
            loss, gradient_norm = (float(value) for value in train_step(x, y, tf.constant([config.seed, step], tf.int64)))
            if not (math.isfinite(loss) and math.isfinite(gradient_norm)):
                bar.close()
                raise TrainingDiverged(
                    f"training diverged at epoch {epoch}, step {step} (loss {loss}, gradient norm {gradient_norm}): "
                    f"the learning rate ({config.learning_rate}) is probably too high for {config.optimizer}, "
                    "or the inputs are not scaled to [0, 1] or hold NaN; the last good checkpoint is kept; "
                    "lower --learning-rate and train again"
                )
            loss_sum += loss
            bar.update(done, loss_sum / done)
        bar.close()
        valid_loss, valid_accuracy = evaluate(model, data.valid_x, data.valid_y)
        # --8<-- [start:keep_best]
        if stopper.update(valid_accuracy, epoch):
            copy_weights(model, best_model)  # the weights we return are the best epoch's
        # --8<-- [end:keep_best]
        history.append({"epoch": epoch, "train_loss": round(loss_sum / steps_per_epoch, 6),
                        "valid_loss": round(valid_loss, 6), "valid_accuracy": round(valid_accuracy, 6),
                        "seconds": round(time.perf_counter() - started, 3)})
        log(f"epoch {epoch:>3}/{config.epochs}  train loss {loss_sum / steps_per_epoch:.4f}  "
            f"valid loss {valid_loss:.4f}  valid accuracy {valid_accuracy:.4f}"
            f"{'  (best)' if stopper.best_epoch == epoch else ''}")
        if manager is not None:
            state["epoch"].assign(epoch)
            state["best_score"].assign(stopper.best_score)
            state["best_epoch"].assign(stopper.best_epoch)
            state["epochs_without_improvement"].assign(stopper.epochs_without_improvement)
            state["history"].assign(json.dumps(history))
            manager.save(checkpoint_number=epoch)
    if stopper.should_stop:
        log(f"early stopping: no better validation accuracy for {config.patience} epochs; "
            f"keeping epoch {stopper.best_epoch}")

    test_loss, test_accuracy = evaluate(best_model, data.test_x, data.test_y)
    return TrainResult(model=best_model, history=history, test_loss=test_loss, test_accuracy=test_accuracy,
                       best_epoch=stopper.best_epoch, seconds=time.perf_counter() - started,
                       resumed_from_epoch=start_epoch)


def main():
    config = TrainConfig(epochs=3, limit=10000)
    print(f"training 784-256-10 with Adam on the first {config.limit:,} images for {config.epochs} epochs")
    result = train(config)
    print(f"test accuracy {result.test_accuracy:.4f} (test loss {result.test_loss:.4f}) in {result.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
