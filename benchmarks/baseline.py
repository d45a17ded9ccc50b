"""The baseline: plain Keras ``model.fit``, and Keras with our recipe.

Both fit the course's network on the same data as ours, with the test accuracy
measured after every epoch while the clock is paused, and report the time to
the first epoch at the target (``summary_of``).
"""

import time

import numpy as np
import tensorflow as tf

from benchmarks.machine import say
from benchmarks.results import Epoch, KerasRun
from snippets.fast import learning_rate_at

TARGET = 0.98


class AccuracyAfterEachEpoch(tf.keras.callbacks.Callback):
    """Test accuracy after every epoch, with the clock paused; optionally
    stops at ``target``."""

    def __init__(self, data, started, target=None):
        super().__init__()
        self.data, self.started, self.target = data, started, target
        self.labels = data.test_y.argmax(axis=1)
        self.history, self.paused = [], 0.0

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        logits = self.model(self.data.test_x, training=False)
        accuracy = float(np.mean(np.argmax(logits, axis=1) == self.labels))
        self.history.append(
            Epoch(epoch + 1, accuracy, now - self.started - self.paused)
        )
        if self.target is not None:
            self.model.stop_training = accuracy >= self.target
        # the test is ours, not part of Keras' training time
        self.paused += time.perf_counter() - now


# --8<-- [start:baseline]
def keras_baseline(data, target=TARGET, max_epochs=30, seed=0):
    """Plain Keras: fit until the test accuracy after an epoch reaches
    ``target``.
    """
    keras = tf.keras
    keras.utils.set_random_seed(seed)
    started = time.perf_counter()
    tester = AccuracyAfterEachEpoch(data, started, target=target)
    model = keras.Sequential(
        [
            keras.Input((data.train_x.shape[1],)),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(
        data.train_x,
        data.train_y.argmax(axis=1),
        batch_size=128,
        epochs=max_epochs,
        verbose=0,
        callbacks=[tester],
    )
    return summary_of(tester.history, target)


# --8<-- [end:baseline]


class WarmupDecay(tf.keras.optimizers.schedules.LearningRateSchedule):
    """FAST's learning-rate schedule (snippets.fast.learning_rate_at) for
    Keras."""

    def __init__(self, total_steps, peak, warmup_fraction):
        self.total_steps, self.peak = total_steps, peak
        self.warmup_fraction = warmup_fraction

    def __call__(self, step):
        return learning_rate_at(
            step, self.total_steps, self.peak, self.warmup_fraction
        )

    def get_config(self):
        return vars(self)


# --8<-- [start:same_recipe]
def keras_same_recipe(data, config, dtype, target=TARGET, seed=0):
    """Keras model.fit with our recipe: FAST's batch, warm-up and decay,
    label smoothing, Adam's beta2 and epochs, and mixed bfloat16 only where
    ``dtype`` (the fast trainer's choice) is bfloat16. Test accuracy after each
    epoch, clock paused.
    """
    keras = tf.keras
    keras.utils.set_random_seed(seed)
    policy = "mixed_bfloat16" if dtype == "bfloat16" else "float32"
    started = time.perf_counter()
    tester = AccuracyAfterEachEpoch(data, started)
    model = keras.Sequential(
        [
            keras.Input((data.train_x.shape[1],)),
            keras.layers.Dense(256, activation="relu", dtype=policy),
            keras.layers.Dense(10, dtype=policy),
            keras.layers.Activation("linear", dtype="float32"),  # logits
        ]
    )
    steps = -(-len(data.train_x) // config.batch_size)  # fit's last is short
    schedule = WarmupDecay(
        config.epochs * steps, config.learning_rate, config.warmup_fraction
    )
    model.compile(
        optimizer=keras.optimizers.Adam(schedule, beta_2=config.adam_beta2),
        loss=keras.losses.CategoricalCrossentropy(
            from_logits=True, label_smoothing=config.label_smoothing
        ),
    )
    model.fit(
        data.train_x,
        data.train_y,  # one-hot rows, which label smoothing needs
        batch_size=config.batch_size,
        epochs=config.epochs,
        verbose=0,
        callbacks=[tester],
    )
    return summary_of(tester.history, target)


# --8<-- [end:same_recipe]


def summary_of(history, target):
    """A KerasRun: time and epochs to the first epoch at ``target``, and
    epoch times."""
    reached = next(
        (row for row in history if row.test_accuracy >= target), None
    )
    times = epoch_times(np.diff([0.0, *[row.seconds for row in history]]))
    return KerasRun(
        seconds_to_target=reached and reached.seconds,
        epochs_to_target=reached and reached.epoch,
        history=history,
        **times,
    )


def after_the_first(durations):
    """Each epoch's seconds after the first (all of them if there is one):
    the epochs that ran an already compiled graph."""
    durations = [float(seconds) for seconds in durations]
    return durations[1:] or durations


def compiled_epochs(history):
    """``after_the_first`` for a Keras history of cumulative seconds."""
    return after_the_first(np.diff([0.0, *[row.seconds for row in history]]))


def epoch_times(durations, summary=min):
    """Seconds per epoch once compiled, and the first epoch's extra time:
    compilation.

    Other programs on the machine can only slow an epoch down, so by default
    the best of the epochs after the first is the steadiest estimate of what
    the code itself costs.
    """
    durations = [float(seconds) for seconds in durations]
    steady = summary(durations[1:]) if len(durations) > 1 else durations[0]
    return {
        "seconds_per_epoch": steady,
        "compile_seconds": max(0.0, durations[0] - steady),
    }


def measure_keras(m, data, args, seeds):
    """Plain Keras for each of ``seeds``. Keras' time to 98 % depends a lot
    on its seed (the test accuracy wobbles around 98 % for many epochs), so
    its FASTEST seed is the baseline."""
    m.baselines = {}
    for seed in seeds:
        run = keras_baseline(
            data, target=args.target, max_epochs=args.max_epochs, seed=seed
        )
        m.baselines[seed] = run
        say(
            f"keras seed {seed}: "
            + (
                f"{run.seconds_to_target:.2f} s, {run.epochs_to_target} "
                f"epochs to {args.target:.1%}"
                if run.epochs_to_target
                else f"not {args.target:.1%} in {args.max_epochs} epochs"
            )
        )


def measure_recipe(m, data, args, seeds):
    """Keras with our recipe, the Keras seeds; its fastest seed counts."""
    m.recipes = {}
    for seed in seeds:
        run = keras_same_recipe(
            data, m.config, m.chosen, target=args.target, seed=seed
        )
        m.recipes[seed] = run
        say(
            f"keras with our recipe, seed {seed}: test accuracy "
            f"{run.history[-1].test_accuracy:.4f} after {len(run.history)} "
            f"epochs in {run.history[-1].seconds:.2f} s"
        )
