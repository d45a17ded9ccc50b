"""Fast training: the course's 784-256-10 network, trained to 98 % in a few seconds on a CPU.

The chapter's trainer (snippets/train.py) is written to be read: a Python loop calls one
compiled step per mini-batch. At batch 128 an epoch is 430 steps, and each trip from Python
into TensorFlow and back costs about as much as the step's arithmetic. This module removes
that overhead and then the waste that is left:

1. the data lives in memory as tensors, and each epoch is ONE compiled call: a
   ``tf.while_loop`` over the mini-batches, shuffled by a permutation drawn inside the graph;
2. the backward pass is written out (the same chain rule as snippets/backprop.py), so the
   graph holds exactly the matrix products that must be done and no more;
3. Adam's update is one fused kernel per variable instead of a dozen element-wise ops;
4. a learning-rate schedule fixed in advance (warm up, then decay to zero) reaches 98 %
   in a few epochs, where a constant rate needs many more;
5. fewer, larger batches (256), a label-smoothed loss, and Adam with a shorter memory;
6. the matrix products run in bfloat16 where that is measured to be faster (float32
   master weights, float32 softmax and loss): on a machine with bfloat16 instructions
   (or a GPU), a probe at start-up times one step's arithmetic in both types
   (``decide_compute_dtype``).

Every one of these is a switch in ``FastConfig``, so benchmarks/bench.py can measure them
one at a time; the chapter "Making it fast" (docs/speed.md) shows what each is worth.

The same trainer also trains the best network (``--preset best``): it can drop units (the
masks written into the backward pass), hold each unit's weights within a max-norm, and bend
every mini-batch with snippets/augment.py inside the compiled step (docs/augmentation.md).

The schedule never looks at the test set: the number of epochs, the batch size and the
learning rates are fixed before training (as in the DAWNBench competition), and the test
accuracy is measured once, at the end. The model is the same ``MLP`` with the same named
variables as everywhere else, so checkpoints, ``evaluate`` and ``predict`` work on it.

Run it as a script to train with the fixed schedule on all of MNIST:

    python -m snippets.fast
"""

import functools
import math
import sys
import time
from dataclasses import replace

import numpy as np
import tensorflow as tf

from snippets.augment import augment
from snippets.config import FAST, FastConfig  # noqa: F401 (FastConfig: importers)
from snippets.data import ALIGNMENT, load_dataset
from snippets.mlp import MLP
from snippets.train import TrainingDiverged, run_epochs


# --8<-- [start:schedule]
def learning_rate_at(
    step, total_steps, peak, warmup_fraction, schedule="warmup-decay"
):
    """Linear warm-up from 0 to ``peak``, then linear decay back to 0 at
    ``total_steps``.

    Starting small keeps Adam's first, badly estimated steps from throwing the
    weights far away; ending at zero lets the weights settle into the minimum
    instead of rattling around it, which is worth several epochs at a constant
    rate.
    """
    if schedule == "constant":
        return tf.constant(peak, tf.float32)
    step = tf.cast(step, tf.float32)
    warmup = max(1.0, warmup_fraction * total_steps)
    rising = (step + 1.0) / warmup
    falling = (total_steps - step) / max(1.0, total_steps - warmup)
    return peak * tf.maximum(0.0, tf.minimum(rising, falling))


# --8<-- [end:schedule]


# --8<-- [start:gradients]
def loss_and_gradients(
    weights,
    biases,
    x,
    labels,
    compute_dtype,
    label_smoothing=0.0,
    keep_probs=None,
    seed=None,
):
    """Cross-entropy and its gradients [dW1, db1, dW2, db2, ...], by the chain
    rule.

    The same backward pass as snippets/backprop.py, in TensorFlow: products in
    ``compute_dtype``, softmax, loss and biases in float32. ``keep_probs``
    (one per layer's input, None for no dropout) drop units with masks drawn
    from ``seed``.
    """
    keep_probs = keep_probs or [1.0] * len(weights)
    a = x
    inputs = []
    for index, (w, b) in enumerate(zip(weights, biases)):
        if keep_probs[index] < 1:
            a = dropout(a, keep_probs[index], seed, index)
        a = tf.cast(a, compute_dtype)
        inputs.append(a)
        z = tf.matmul(a, tf.cast(w, compute_dtype))
        z = tf.cast(z, tf.float32) + b
        a = tf.nn.relu(z) if index < len(weights) - 1 else z
    logits = a
    n_classes = logits.shape[1]
    targets = (
        tf.one_hot(labels, n_classes) * (1 - label_smoothing)
        + label_smoothing / n_classes
    )
    loss = tf.reduce_mean(
        tf.nn.softmax_cross_entropy_with_logits(labels=targets, logits=logits)
    )
    grad_z = (tf.nn.softmax(logits) - targets) / tf.cast(
        tf.shape(x)[0], tf.float32
    )
    gradients = []
    for index in reversed(range(len(weights))):
        grad_z_c = tf.cast(grad_z, compute_dtype)
        grad_w = tf.matmul(inputs[index], grad_z_c, transpose_a=True)  # a^T dz
        gradients = [
            tf.cast(grad_w, tf.float32),
            tf.reduce_sum(grad_z, axis=0),
        ] + gradients
        if index > 0:  # the data needs no gradient
            # dz W^T
            grad_a = tf.matmul(
                grad_z_c,
                tf.cast(weights[index], compute_dtype),
                transpose_b=True,
            )
            # ReLU'(z) is 1 or 0, and dropout's mask/keep is 0 or 1/keep:
            # a unit passes the gradient only where its output was above 0
            grad_z = tf.where(
                inputs[index] > 0,
                tf.cast(grad_a, tf.float32) / keep_probs[index],
                0.0,
            )
    return loss, gradients


def dropout(a, keep_prob, seed, layer):
    """Keep each unit with probability ``keep_prob`` and scale the kept ones
    by 1/keep_prob; each layer draws its own mask from ``seed``.
    """
    layer_seed = tf.random.experimental.stateless_fold_in(seed, layer)
    keep = tf.random.stateless_uniform(tf.shape(a), layer_seed) < keep_prob
    return tf.where(keep, a / keep_prob, 0.0)


# --8<-- [end:gradients]


# --8<-- [start:probe]
# bfloat16 keeps 3 significant digits instead of 7: it must be clearly faster
# to be worth them, not just ahead by the noise of a busy machine.
BFLOAT16_MUST_BE_FASTER_BY = 1.1
NO_BFLOAT16 = "no bfloat16 instructions"


def bfloat16_hardware(cpuinfo="/proc/cpuinfo"):
    """What this machine has for bfloat16 products, in words."""
    if tf.config.list_physical_devices("GPU"):
        return "on the GPU"
    try:
        with open(cpuinfo) as file:
            flags = next(
                (
                    line.split(":", 1)[1].split()
                    for line in file
                    # x86 lists "flags", Arm "Features"
                    if line.startswith(("flags", "Features"))
                ),
                None,
            )
    except OSError:  # not Linux
        flags = None
    if flags is None:  # the measurement alone decides
        return "CPU flags unknown"
    for flag, words in (
        ("amx_bf16", "the CPU has AMX-BF16"),
        ("avx512_bf16", "the CPU has AVX512-BF16"),
        ("avx_ne_convert", "the CPU has AVX-NE-CONVERT"),
        ("bf16", "the CPU has Arm's BF16"),
    ):
        if flag in flags:
            return words
    return NO_BFLOAT16


@functools.cache
def time_one_step(batch, sizes, repeats=3):
    """Best-of-``repeats`` seconds of one step's arithmetic (forward and
    backward, at the epoch's own shapes) in float32 and in bfloat16.

    Cached: the machine does not change within a process, and every run in
    it should make the same choice.
    """
    rng = np.random.default_rng(0)
    weights = [
        tf.constant(rng.normal(0, 0.05, (n_in, n_out)), tf.float32)
        for n_in, n_out in zip(sizes, sizes[1:])
    ]
    biases = [tf.zeros(n_out) for n_out in sizes[1:]]
    x = tf.constant(rng.uniform(0, 1, (batch, sizes[0])), tf.float32)
    labels = tf.constant(rng.integers(0, sizes[-1], batch), tf.int32)
    best = {"float32": math.inf, "bfloat16": math.inf}
    for attempt in range(repeats + 1):
        for dtype in ("float32", "bfloat16"):  # turns: a busy moment hits both
            started = time.perf_counter()
            _, gradients = loss_and_gradients(
                weights, biases, x, labels, dtype
            )
            gradients[0].numpy()  # wait for the result
            if attempt > 0:  # the first call of each sets up its kernels
                best[dtype] = min(best[dtype], time.perf_counter() - started)
    return best


def choose_compute_dtype(seconds, hardware):
    """float32 or bfloat16 from the measured ``seconds`` of a step in each,
    and the one line that says why.
    """
    speedup = seconds["float32"] / seconds["bfloat16"]
    if speedup >= BFLOAT16_MUST_BE_FASTER_BY:
        return "bfloat16", (
            f"matrix products in bfloat16: measured {speedup:.1f}x faster "
            f"than float32 here ({hardware})"
        )
    if speedup >= 1:
        why = f"bfloat16 measured only {speedup:.2f}x faster here"
    else:
        why = f"bfloat16 measured {1 / speedup:.1f}x slower here"
    return "float32", f"matrix products in float32: {why} ({hardware})"


def decide_compute_dtype(batch, sizes):
    """float32 or bfloat16 for this machine, and the one line that says why.

    A CPU without bfloat16 instructions multiplies bfloat16 numbers by
    converting them to float32 first, so bfloat16 cannot be clearly faster
    there: float32, with nothing to measure. Everywhere else (such
    instructions, a GPU, or flags that cannot be read) the clock decides.
    """
    hardware = bfloat16_hardware()
    if hardware == NO_BFLOAT16:
        return "float32", (
            f"matrix products in float32: {hardware}, so bfloat16 would be "
            "converted to float32 to be multiplied (not measured)"
        )
    return choose_compute_dtype(time_one_step(batch, sizes), hardware)


# --8<-- [end:probe]


def resolve_compute_dtype(config, n_inputs, n_classes, log=print):
    """``config`` with compute_dtype "auto" replaced by what the probe chose;
    logs the choice and why.
    """
    if config.compute_dtype not in ("auto", "float32", "bfloat16"):
        raise ValueError(
            f"unknown compute_dtype {config.compute_dtype!r}; choose auto, "
            "float32 or bfloat16"
        )
    if config.compute_dtype != "auto":
        log(f"matrix products in {config.compute_dtype}, as configured")
        return config
    sizes = (n_inputs, *config.hidden, n_classes)
    dtype, reason = decide_compute_dtype(config.batch_size, sizes)
    log(reason)
    return replace(config, compute_dtype=dtype)


def shared_tensor(array):
    """``array`` as a float32 tensor. When TensorFlow can use its memory as it
    is (float32, contiguous, aligned: see ``snippets.data.aligned_empty``), the
    tensor shares it through DLPack: no copy of the training images (172 MB
    of float32), and so no second 172 MB of pages for the operating system to
    hand over, which costs more than the copying. Else a copy, as
    ``tf.constant`` makes. The array must not change while the tensor is in
    use."""
    if (
        isinstance(array, np.ndarray)
        and array.dtype == np.float32
        and array.flags.c_contiguous
        and array.flags.writeable  # NumPy shares no read-only array
        and array.size > 0
        and array.ctypes.data % ALIGNMENT == 0
    ):
        return tf.experimental.dlpack.from_dlpack(array.__dlpack__())
    return tf.constant(array, tf.float32)


class FastTrainer(tf.Module):
    """The data as tensors, the model with Adam's moments, and the compiled
    epoch.

    A ``tf.Module``, so that a checkpoint of it holds everything needed to
    continue: the model, Adam's moments ``m`` and ``v``, and the step counter.
    """

    def __init__(self, config, train_x, train_y, log=print):
        super().__init__(name="fast_trainer")
        if config.schedule not in ("warmup-decay", "constant"):
            raise ValueError(
                f"unknown schedule {config.schedule!r}; choose warmup-decay "
                "or constant"
            )
        # "auto" becomes what the probe measured to be faster here
        config = resolve_compute_dtype(
            config, train_x.shape[1], train_y.shape[1], log
        )
        self.config = config
        self.features = shared_tensor(train_x)
        # one-hot rows -> digits
        self.labels = tf.constant(np.argmax(train_y, axis=1), tf.int32)
        self.n_examples = len(train_x)
        # Every step takes a full batch (the static shape lets TensorFlow plan
        # each product once); the few examples left over are in other batches
        # in the next epoch.
        self.steps_per_epoch = self.n_examples // config.batch_size
        if self.steps_per_epoch < 1:
            raise ValueError(
                f"batch_size {config.batch_size} is larger than the "
                f"{self.n_examples} training examples"
            )
        self.total_steps = config.epochs * self.steps_per_epoch
        self.model = MLP(
            config.hidden,
            n_inputs=train_x.shape[1],
            n_classes=train_y.shape[1],
            seed=config.seed,
        )
        # dropout on each layer's input: the pixels, then the hidden units
        self.keep_probs = [config.input_keep_prob] + [config.keep_prob] * len(
            config.hidden
        )
        self.weights = [weights for _, weights, _ in self.model.layers()]
        self.biases = [bias for _, _, bias in self.model.layers()]
        self.parameters = [
            v for pair in zip(self.weights, self.biases) for v in pair
        ]
        self.m = [
            tf.Variable(tf.zeros_like(v), name="m") for v in self.parameters
        ]
        self.v = [
            tf.Variable(tf.zeros_like(v), name="v") for v in self.parameters
        ]
        self.step = tf.Variable(0, dtype=tf.int64, name="step")
        self.run_epoch = tf.function(
            self.epoch, jit_compile=config.jit_compile, autograph=False
        )
        self.run_step = tf.function(
            self.train_step, jit_compile=config.jit_compile, autograph=False
        )

    # --8<-- [start:step]
    def train_step(self, x, y):
        """One mini-batch: bend the digits, backpropagate, then update every
        variable with Adam (and hold the weights within the max-norm).
        """
        config = self.config
        # this step's random numbers: the same seed and step, the same draws
        seed = tf.stack([tf.constant(config.seed, tf.int64), self.step])
        x = augment(x, seed, config.augmentation)
        loss, gradients = loss_and_gradients(
            self.weights,
            self.biases,
            x,
            y,
            config.compute_dtype,
            config.label_smoothing,
            self.keep_probs,
            seed,
        )
        rate = learning_rate_at(
            self.step,
            self.total_steps,
            self.config.learning_rate,
            self.config.warmup_fraction,
            self.config.schedule,
        )
        t = tf.cast(self.step + 1, tf.float32)
        beta2 = config.adam_beta2
        for variable, gradient, m, v in zip(
            self.parameters, gradients, self.m, self.v
        ):
            # the kernel that tf.keras' Adam called in TF 2.0-2.10
            if self.config.fused_adam:
                tf.raw_ops.ResourceApplyAdam(
                    var=variable.handle,
                    m=m.handle,
                    v=v.handle,
                    beta1_power=0.9**t,
                    beta2_power=beta2**t,
                    lr=rate,
                    beta1=0.9,
                    beta2=beta2,
                    epsilon=1e-7,
                    grad=gradient,
                )
            else:
                m.assign(0.9 * m + 0.1 * gradient)
                v.assign(beta2 * v + (1 - beta2) * tf.square(gradient))
                corrected = rate * tf.sqrt(1 - beta2**t) / (1 - 0.9**t)
                variable.assign_sub(corrected * m / (tf.sqrt(v) + 1e-7))
        if config.max_norm > 0:
            for weights in self.weights:
                # each column holds one unit's incoming weights
                weights.assign(tf.clip_by_norm(weights, config.max_norm, [0]))
        self.step.assign_add(1)
        return loss

    # --8<-- [end:step]

    # --8<-- [start:epoch]
    def order(self, epoch):
        """This epoch's order of the training examples: a permutation drawn
        from (seed, epoch).
        """
        seed = tf.stack(
            [tf.constant(self.config.seed, tf.int64), tf.cast(epoch, tf.int64)]
        )
        # Sorting random keys gives a uniformly random permutation (and, unlike
        # stateless_shuffle, also compiles with XLA).
        return tf.argsort(
            tf.random.stateless_uniform([self.n_examples], seed=seed)
        )

    def batch(self, order, i):
        """The ``i``-th mini-batch of an epoch in ``order``, its rows gathered
        by index.

        Gathering each batch as it is needed never writes a shuffled copy of
        the whole training set (172 MB for MNIST in float32), and the rows
        arrive while they are still in the CPU's caches.
        """
        size = self.config.batch_size
        rows = tf.slice(order, [i * size], [size])
        return tf.gather(self.features, rows), tf.gather(self.labels, rows)

    def epoch(self, epoch):
        """A whole epoch as one graph: draw the order, then loop over the
        batches inside TensorFlow.
        """
        order = self.order(epoch)

        def body(i, loss_sum):
            x, y = self.batch(order, i)
            return i + 1, loss_sum + self.train_step(x, y)

        _, loss_sum = tf.while_loop(
            lambda i, _: i < self.steps_per_epoch, body, (0, 0.0)
        )
        return loss_sum / self.steps_per_epoch

    # --8<-- [end:epoch]

    def train_epoch(self, epoch):
        """One pass over the training set; returns the mean training loss."""
        # a tensor, so that every epoch reuses one graph
        epoch = tf.constant(epoch, tf.int64)
        if self.config.whole_epoch:
            return float(self.run_epoch(epoch))
        order, loss_sum = self.order(epoch), 0.0
        for i in range(self.steps_per_epoch):
            loss_sum += float(self.run_step(*self.batch(order, i)))
        return loss_sum / self.steps_per_epoch


def train_fast(
    config=FAST, data=None, checkpoint_dir=None, log=print, logdir=None
):
    """Train with the fixed fast schedule and return a ``TrainResult``.

    The validation accuracy is logged after each epoch but decides nothing
    (there is no early stopping: the budget is fixed); the test set is used
    once, after the last epoch. ``seconds`` is the wall time of the whole
    schedule, compilation included. The outer loop, with its checkpoints and
    resuming, is the chapter trainer's ``run_epochs``, and so are the logs
    for TensorBoard (``logdir``).
    """
    data = data if data is not None else load_dataset(limit=config.limit)
    # The checkpoints keep config as given ("auto" stays "auto"), so a run
    # resumed on another machine may choose differently there.
    trainer = FastTrainer(config, data.train_x, data.train_y, log)

    def train_one_epoch(epoch):
        loss = trainer.train_epoch(epoch)
        if not math.isfinite(loss):
            raise TrainingDiverged(
                f"loss became {loss} in epoch {epoch} of the fast schedule; "
                f"lower the learning rate ({config.learning_rate})"
            )
        return loss

    return run_epochs(
        train_one_epoch,
        trainer.model,
        data,
        config,
        state={"trainer": trainer},
        checkpoint_dir=checkpoint_dir,
        log=log,
        keep_best=False,
        logdir=logdir,
        # the rate of the step the schedule takes next
        learning_rate=lambda: learning_rate_at(
            trainer.step,
            trainer.total_steps,
            config.learning_rate,
            config.warmup_fraction,
            config.schedule,
        ),
    )


def main():
    data = load_dataset()
    print(
        f"training 784-256-10 with the fixed fast schedule: {FAST.epochs} "
        f"epochs, batch {FAST.batch_size}"
    )
    result = train_fast(data=data)
    print(
        f"test accuracy {result.test_accuracy:.4f} after "
        f"{len(result.history)} epochs in {result.seconds:.2f} s "
        "(compilation included)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
