"""TensorBoard logs of a training run: what ``--logdir DIR`` writes.

TensorBoard (``tensorboard --logdir DIR``) draws what a program writes with
``tf.summary`` into event files. After every epoch, ``EpochSummaries`` writes,
at step = the epoch's number:

- ``epoch_loss``: the mean loss of the epoch's training steps (the figure the
  log prints and the history keeps), and the loss on the validation set;
- ``epoch_accuracy``: the accuracy on the training set and on the
  validation set;
- ``epoch_learning_rate``: the rate the optimizer will take its next step at;
- a histogram of every layer's weights and biases (``weights/hidden_1``, ...).

The training figures go into ``DIR/train`` and the validation figures into
``DIR/validation``: TensorBoard calls each folder a run and draws the two on
one chart, as it does for Keras' own ``TensorBoard`` callback, whose names
these are.

The trainers never measure the training accuracy as they go (their steps
return only the loss), so it is measured here, after the epoch, on the
whole training set without dropout or augmentation, like the validation
accuracy: one extra forward pass over the training set per epoch, made only
when there is a log to write.
"""

import tempfile
from pathlib import Path

import tensorflow as tf

from snippets.common import ExplainedError, describe_os_error

TRAIN, VALIDATION = "train", "validation"


class LogdirError(ExplainedError):
    """The folder for the TensorBoard logs cannot be written."""


def check_logdir(logdir):
    """Make ``logdir`` (and its parents) and write a file in it, so that a
    folder that cannot hold the logs is refused before training, not after
    the first epoch.
    """
    path = Path(logdir)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as error:
        # named after the folder, not the temporary file inside it
        error = OSError(error.errno, error.strerror, str(path))
        raise LogdirError(
            f"TensorBoard logs: {describe_os_error(error)}"
        ) from None
    return path


# --8<-- [start:summaries]
class EpochSummaries:
    """Event files for TensorBoard, one run for training and one for
    validation, written once per epoch.
    """

    def __init__(self, logdir):
        path = check_logdir(logdir)
        self.writers = {
            run: tf.summary.create_file_writer(str(path / run))
            for run in (TRAIN, VALIDATION)
        }

    def write(self, epoch, row, train_accuracy, learning_rate, model):
        """``row``: the epoch's line of the history, as the log shows it."""
        scalars = {
            TRAIN: {
                "epoch_loss": row["train_loss"],
                "epoch_accuracy": train_accuracy,
                "epoch_learning_rate": learning_rate,
            },
            VALIDATION: {
                "epoch_loss": row["valid_loss"],
                "epoch_accuracy": row["valid_accuracy"],
            },
        }
        for run, values in scalars.items():
            with self.writers[run].as_default(step=epoch):
                for name, value in values.items():
                    if value is not None:
                        tf.summary.scalar(name, value)
        with self.writers[TRAIN].as_default(step=epoch):
            for layer, weights, bias in model.layers():
                tf.summary.histogram(f"weights/{layer}", weights)
                tf.summary.histogram(f"biases/{layer}", bias)
        for writer in self.writers.values():
            # on disk now: a run stopped later keeps this epoch's figures
            writer.flush()

    def close(self):
        for writer in self.writers.values():
            writer.close()


# --8<-- [end:summaries]
