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

from snippets.checkpoint import open_training_checkpoints, write_checkpoint
from snippets.common import ExplainedError
from snippets.config import TrainConfig
from snippets.data import batches, load_dataset
from snippets.linear import softmax_cross_entropy
from snippets.mlp import MLP
from snippets.regularization import EarlyStopping, l2_penalty
from snippets.summaries import EpochSummaries


@dataclass
class TrainResult:
    model: MLP
    history: list = field(default_factory=list)
    test_loss: float = math.nan
    test_accuracy: float = math.nan
    best_epoch: int = 0
    seconds: float = 0.0
    resumed_from_epoch: int = 0


class TrainingDiverged(ExplainedError):
    """The loss became NaN or infinite."""


class History(tf.train.experimental.PythonState):
    """One row of figures per finished epoch, saved inside the training
    checkpoint.

    ``PythonState`` is TensorFlow's way to put plain Python values into an
    object-based checkpoint, so a resumed run has the whole history, not just
    the epochs it ran.
    """

    def __init__(self):
        self.rows = []

    def serialize(self):
        return json.dumps(self.rows)

    def deserialize(self, string_value):
        self.rows = json.loads(string_value)


def make_optimizer(name, learning_rate, schedule="constant", total_steps=1):
    if schedule == "cosine":
        # A large step size early on, then ever smaller steps to settle into a
        # minimum.
        learning_rate = tf.keras.optimizers.schedules.CosineDecay(
            learning_rate, decay_steps=total_steps
        )
    elif schedule != "constant":
        raise ValueError(
            f"unknown schedule {schedule!r}; choose constant or cosine"
        )
    if name == "adam":
        return tf.keras.optimizers.Adam(learning_rate)
    if name == "sgd":
        return tf.keras.optimizers.SGD(learning_rate)
    if name == "momentum":
        # Each step adds 0.9 of the step before: a velocity that builds up
        # along directions where the gradient keeps its sign.
        return tf.keras.optimizers.SGD(learning_rate, momentum=0.9)
    raise ValueError(
        f"unknown optimizer {name!r}; choose adam, momentum or sgd"
    )


# --8<-- [start:plain_loop]
def plain_training_loop(
    model, data, epochs=2, batch_size=100, learning_rate=0.001, log=print
):
    """Training at its plainest: for every mini-batch, the loss, its gradient
    by backprop, and one step of the optimiser against it.

    ``train`` below is this loop grown up: compiled into a graph, with dropout,
    L2, a learning-rate schedule, early stopping and checkpoints.
    """
    optimizer = tf.keras.optimizers.Adam(learning_rate)
    variables = model.trainable_variables
    for epoch in range(1, epochs + 1):
        shuffled = batches(batch_size, data.train_x, data.train_y, seed=epoch)
        for x, y in shuffled:
            with tf.GradientTape() as tape:
                loss = softmax_cross_entropy(model(x), y)
            gradients = tape.gradient(loss, variables)
            optimizer.apply_gradients(zip(gradients, variables))
        _, accuracy = evaluate(model, data.valid_x, data.valid_y)
        log(f"epoch {epoch}: validation accuracy {accuracy:.4f}")
    return model


# --8<-- [end:plain_loop]


# --8<-- [start:evaluate]
def evaluate(model, features, labels, batch_size=10000):
    """Mean cross-entropy and accuracy over a whole set, without dropout."""
    if len(features) == 0:
        return math.nan, math.nan  # no validation set: nothing to measure
    total_loss, correct = 0.0, 0
    for start in range(0, len(features), batch_size):
        x, y = (
            features[start : start + batch_size],
            labels[start : start + batch_size],
        )
        logits = model(x)
        total_loss += float(softmax_cross_entropy(logits, y)) * len(x)
        correct += int(
            np.sum(np.argmax(logits, axis=1) == np.argmax(y, axis=1))
        )
    return total_loss / len(features), correct / len(features)


# --8<-- [end:evaluate]


# --8<-- [start:train_step]
def make_train_step(model, optimizer, l2):
    """One compiled step: forward pass, loss, gradients by backprop, one
    optimizer update.
    """
    signature = [
        tf.TensorSpec([None, model.n_inputs], tf.float32),
        tf.TensorSpec([None, model.n_classes], tf.float32),
        tf.TensorSpec([2], tf.int64),
    ]

    # No `if` or `for` below depends on a tensor, so AutoGraph (which turns
    # those into graph ops) is off, and tracing is quicker.
    @tf.function(input_signature=signature, autograph=False)
    def train_step(x, y, dropout_seed):
        with tf.GradientTape() as tape:
            logits = model(x, training=True, dropout_seed=dropout_seed)
            loss = softmax_cross_entropy(logits, y)
            total = (
                loss + l2_penalty(model.weight_matrices(), l2) if l2 else loss
            )
        gradients = tape.gradient(total, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        # The gradient norm is returned so the loop can spot NaN early: a NaN
        # input makes the weight gradients NaN while ReLU can still hide it
        # from the loss.
        return loss, tf.linalg.global_norm(gradients)

    # The signature admits one graph. Calling that graph directly skips the
    # check of every call's arguments against it: a fifth of a small step.
    return train_step.get_concrete_function()


# --8<-- [end:train_step]


def progress_bar(steps):
    """Keras's bar over an epoch's ``steps``, with the running mean loss: drawn
    on a terminal only, so a notebook, a pipe or a log file gets no bar.
    """
    drawn = sys.stdout.isatty()
    return tf.keras.utils.Progbar(
        steps, verbose=1 if drawn else 0, stateful_metrics=["loss"]
    )


def copy_weights(source, target):
    for from_variable, to_variable in zip(
        source.trainable_variables, target.trainable_variables
    ):
        to_variable.assign(from_variable)


# --8<-- [start:train]
def build(config, data, init_from=None):
    """The model and its optimizer, as ``config`` says, for ``data``'s shapes.

    ``init_from`` is a model of the same architecture whose weights training
    starts from (finetuning). The optimizer's variables are made here too, so
    that a checkpoint can be restored into them before the first step.
    """
    model = MLP(
        config.hidden,
        n_inputs=data.train_x.shape[1],
        n_classes=data.train_y.shape[1],
        keep_prob=config.keep_prob,
        input_keep_prob=config.input_keep_prob,
        seed=config.seed,
    )
    if init_from is not None:
        copy_weights(init_from, model)
    steps_per_epoch = math.ceil(len(data.train_x) / config.batch_size)
    optimizer = make_optimizer(
        config.optimizer,
        config.learning_rate,
        config.schedule,
        config.epochs * steps_per_epoch,
    )
    optimizer.build(model.trainable_variables)
    return model, optimizer


def train(
    config=TrainConfig(),  # noqa: B008 (frozen: one shared default is safe)
    data=None,
    checkpoint_dir=None,
    log=print,
    init_from=None,
    logdir=None,
):
    """Train an MLP as ``config`` says and return it with its history and test
    scores.

    The returned model holds the weights of the epoch with the best validation
    accuracy. With ``checkpoint_dir``, every epoch ends with a checkpoint of
    the whole training state, and a later call with the same directory resumes
    from the newest complete one. ``init_from``: see ``build``. With
    ``logdir``, every epoch is logged for TensorBoard too.
    """
    if data is None:
        data = load_dataset(config.validation_size, config.limit)
    model, optimizer = build(config, data, init_from)
    train_step = make_train_step(model, optimizer, config.l2)
    return train_with(
        train_step,
        model,
        optimizer,
        data,
        config,
        checkpoint_dir,
        log,
        logdir=logdir,
    )


def train_with(
    train_step,
    model,
    optimizer,
    data,
    config,
    checkpoint_dir=None,
    log=print,
    write_checkpoints=True,
    logdir=None,
):
    """The epochs of ``train``, each a pass of ``train_step`` over shuffled
    mini-batches."""
    steps_per_epoch = math.ceil(len(data.train_x) / config.batch_size)

    def train_one_epoch(epoch):
        bar = progress_bar(steps_per_epoch)
        loss_sum = 0.0
        # The shuffling comes from (seed, epoch), the dropout masks from (seed,
        # step): a resumed run sees exactly what an uninterrupted one would
        # have seen.
        epoch_batches = batches(
            config.batch_size,
            data.train_x,
            data.train_y,
            seed=config.seed * 100003 + epoch,
        )
        for done, (x, y) in enumerate(epoch_batches, start=1):
            step = int(optimizer.iterations.numpy())
            dropout_seed = tf.constant([config.seed, step], tf.int64)
            loss, gradient_norm = (
                float(t) for t in train_step(x, y, dropout_seed)
            )
            if not (math.isfinite(loss) and math.isfinite(gradient_norm)):
                bar.update(done - 1, finalize=True)  # ends the bar's line
                raise TrainingDiverged(
                    f"training diverged at epoch {epoch}, step {step} "
                    f"(loss {loss}, gradient norm {gradient_norm}): "
                    f"the learning rate ({config.learning_rate}) is "
                    f"probably too high for {config.optimizer}, "
                    "or the inputs are not scaled to [0, 1] or hold NaN; "
                    "the last good checkpoint is kept; "
                    "lower learning_rate and train again",
                    settings=("learning_rate",),
                )
            loss_sum += loss
            bar.update(done, [("loss", loss_sum / done)])
        return loss_sum / steps_per_epoch

    return run_epochs(
        train_one_epoch,
        model,
        data,
        config,
        state={"optimizer": optimizer},
        checkpoint_dir=checkpoint_dir,
        log=log,
        write_checkpoints=write_checkpoints,
        logdir=logdir,
        learning_rate=lambda: optimizer.learning_rate,
    )


# --8<-- [end:train]


def run_epochs(
    train_one_epoch,
    model,
    data,
    config,
    state,
    checkpoint_dir=None,
    log=print,
    keep_best=True,
    write_checkpoints=True,
    logdir=None,
    learning_rate=None,
):
    """The outer loop of every trainer: epochs, validation, early stopping,
    checkpoints, and logs for TensorBoard.

    ``train_one_epoch(epoch)`` does one pass over the training data and returns
    its mean loss; ``state`` names what else a checkpoint must hold to continue
    exactly (the optimizer's moments and step counter). With ``keep_best`` the
    model returned is the epoch with the best validation accuracy; without it,
    the last epoch's (the fast trainer's budget is fixed in advance, and
    validation decides nothing there). Without ``write_checkpoints`` (a
    cluster's workers but the chief) it resumes from ``checkpoint_dir`` but
    writes nothing there. With ``logdir``, every epoch is logged for
    TensorBoard (snippets/summaries.py), ``learning_rate()`` giving the rate
    the next step takes; like checkpoints, only by the writer of checkpoints.
    """
    best_model = MLP(**model.architecture()) if keep_best else model
    stopper = EarlyStopping(
        config.patience if keep_best else config.epochs + 1
    )
    history = History()
    epoch_counter = tf.Variable(0, dtype=tf.int64)
    if keep_best:
        state = dict(state, best=best_model)
    checkpoint = tf.train.Checkpoint(
        model=model,
        early_stopping=stopper,
        history=history,
        epoch=epoch_counter,
        **state,
    )
    manager, start_epoch = None, 0
    if checkpoint_dir is not None:
        manager, start_epoch = open_training_checkpoints(
            checkpoint,
            checkpoint_dir,
            config,
            model,
            log,
            write=write_checkpoints,
        )
    # checked before the first epoch: a folder that cannot be written is
    # refused before any training, not after it
    summaries = (
        EpochSummaries(logdir) if logdir and write_checkpoints else None
    )
    started = time.perf_counter() - (
        history.rows[-1]["seconds"] if history.rows else 0.0
    )

    for epoch in range(start_epoch + 1, config.epochs + 1):
        if stopper.should_stop:
            break
        epoch_started = time.perf_counter()
        train_loss = train_one_epoch(epoch)
        epoch_seconds = time.perf_counter() - epoch_started
        valid_loss, valid_accuracy = evaluate(
            model, data.valid_x, data.valid_y
        )
        # --8<-- [start:keep_best]
        if stopper.update(valid_accuracy, epoch) and keep_best:
            # the weights we return are the best epoch's
            copy_weights(model, best_model)
        # --8<-- [end:keep_best]
        history.rows.append(
            {
                "epoch": epoch,
                "train_loss": round(train_loss, 6),
                "valid_loss": round(valid_loss, 6),
                "valid_accuracy": round(valid_accuracy, 6),
                "epoch_seconds": round(epoch_seconds, 4),
                "seconds": round(time.perf_counter() - started, 3),
            }
        )
        best = (
            "  (best)"
            if keep_best and int(stopper.best_epoch) == epoch
            else ""
        )
        log(
            f"epoch {epoch:>3}/{config.epochs}  train loss {train_loss:.4f}  "
            f"valid loss {valid_loss:.4f}  valid accuracy "
            f"{valid_accuracy:.4f}{best}"
        )
        if summaries is not None:
            # written before the checkpoint: an epoch that is saved is logged
            summaries.write(
                epoch,
                history.rows[-1],
                evaluate(model, data.train_x, data.train_y)[1],
                float(learning_rate()) if learning_rate else None,
                model,
            )
        if manager is not None and write_checkpoints:
            epoch_counter.assign(epoch)
            write_checkpoint(manager, epoch)  # ckpt-<epoch>
    if stopper.should_stop:
        log(
            "early stopping: no better validation accuracy for "
            f"{config.patience} epochs; "
            f"keeping epoch {int(stopper.best_epoch)}"
        )

    if summaries is not None:
        summaries.close()
    test_loss, test_accuracy = evaluate(best_model, data.test_x, data.test_y)
    best_epoch = int(stopper.best_epoch) if keep_best else len(history.rows)
    return TrainResult(
        model=best_model,
        history=history.rows,
        test_loss=test_loss,
        test_accuracy=test_accuracy,
        best_epoch=best_epoch,
        seconds=time.perf_counter() - started,
        resumed_from_epoch=start_epoch,
    )


def main():
    config = TrainConfig(epochs=3, limit=10000)
    print(
        f"training 784-256-10 with Adam on the first {config.limit:,} images "
        f"for {config.epochs} epochs"
    )
    result = train(config)
    print(
        f"test accuracy {result.test_accuracy:.4f} (test loss "
        f"{result.test_loss:.4f}) in {result.seconds:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
