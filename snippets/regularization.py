"""Ways to keep a network from memorising its training set: L2, L1, dropout, early stopping.

Run it as a script to watch dropout keep the expected activation and L2 pull on the weights:

    python -m snippets.regularization
"""

import math
import sys

import numpy as np
import tensorflow as tf


# --8<-- [start:l2]
def l2_penalty(weights, l2):
    """l2 * sum over matrices of ||W||^2 / 2; its gradient with respect to W is
    l2 * W.

    Biases are left out: they do not multiply inputs, so large biases do not
    make the function steeper, and penalising them only costs accuracy.
    """
    if not weights:
        return tf.constant(0.0)
    # l2_loss(w) = sum(w**2) / 2
    return l2 * tf.add_n([tf.nn.l2_loss(w) for w in weights])


# --8<-- [end:l2]


# --8<-- [start:l1]
def l1_penalty(weights, l1):
    """l1 * sum over matrices of sum |W|; its gradient with respect to W is
    l1 * sign(W), and 0 where a weight is exactly 0.

    Whatever its size, a weight is pulled towards zero by the same amount, so
    the weights the data does not need end up at (or around) zero.
    """
    if not weights:
        return tf.constant(0.0)
    # The gradient of tf.abs is tf.sign, which is 0 at 0.
    return l1 * tf.add_n([tf.reduce_sum(tf.abs(w)) for w in weights])


# --8<-- [end:l1]


# --8<-- [start:dropout]
def dropout(activations, keep_prob, seed):
    """Keep each unit with probability ``keep_prob`` and scale the kept ones by
    1 / keep_prob.

    The scaling keeps the expected value of every unit unchanged, so at
    evaluation time the network is used as it is, with no dropout and no
    rescaling.

    TensorFlow 1 took ``keep_prob``; TensorFlow 2's ``tf.nn.dropout`` takes the
    probability of DROPPING a unit, ``rate = 1 - keep_prob``. This is the
    stateless variant of the same op: the mask depends only on ``seed`` (two
    integers), so a run that is stopped and resumed draws exactly the masks an
    uninterrupted run would have drawn.
    """
    if not 0.0 < keep_prob <= 1.0:
        raise ValueError(f"keep_prob must be in (0, 1], got {keep_prob}")
    if keep_prob == 1.0:
        return activations
    return tf.nn.experimental.stateless_dropout(
        activations, rate=1.0 - keep_prob, seed=seed
    )


# --8<-- [end:dropout]


# --8<-- [start:max_norm]
def max_norm(weights, limit):
    """Shorten every column of ``weights`` (one unit's incoming weights)
    that is longer than ``limit`` to exactly ``limit``; leave the others.

    Applied after every training step, it keeps each unit's weight vector
    inside a ball of radius ``limit`` (Srivastava et al. 2014), however large
    a step dropout's noisy gradients ask for.
    """
    if limit <= 0:
        raise ValueError(f"limit must be positive, got {limit}")
    lengths = tf.norm(weights, axis=0, keepdims=True)
    # a column within the limit is multiplied by 1, a longer one shrunk
    return weights * tf.minimum(1.0, limit / tf.maximum(lengths, 1e-12))


# --8<-- [end:max_norm]


# --8<-- [start:early_stopping]
class EarlyStopping(tf.Module):
    """Stop when the validation score has not improved for ``patience`` epochs
    in a row.

    Its state is three variables, so the training checkpoint holds it like the
    weights, and a resumed run goes on counting where the stopped one left off.
    """

    def __init__(self, patience):
        super().__init__(name="early_stopping")
        self.patience = patience
        self.best_score = tf.Variable(-math.inf, dtype=tf.float64)
        self.best_epoch = tf.Variable(0, dtype=tf.int64)
        self.epochs_without_improvement = tf.Variable(0, dtype=tf.int64)

    def update(self, score, epoch):
        """Record one epoch's validation score; return True if it is the best
        so far.
        """
        if score > float(self.best_score):
            self.best_score.assign(score)
            self.best_epoch.assign(epoch)
            self.epochs_without_improvement.assign(0)
            return True
        self.epochs_without_improvement.assign_add(1)
        return False

    @property
    def should_stop(self):
        return int(self.epochs_without_improvement) >= self.patience


# --8<-- [end:early_stopping]


def main():
    ones = tf.ones([1000, 1000])
    for keep_prob in (1.0, 0.8, 0.5):
        dropped = dropout(ones, keep_prob, seed=[0, 0])
        kept = float(tf.reduce_mean(tf.cast(dropped > 0, tf.float32)))
        print(
            f"keep_prob {keep_prob}: kept {kept:.3f} of the units, each "
            "scaled to "
            f"{float(tf.reduce_max(dropped)):.2f}, mean activation "
            f"{float(tf.reduce_mean(dropped)):.4f} (was 1.0)"
        )

    w = tf.Variable(np.array([[3.0, -2.0], [0.5, 0.0]], dtype=np.float32))
    with tf.GradientTape() as tape:
        penalty = l2_penalty([w], l2=0.1)
    print(
        f"L2 penalty 0.1 * ||w||^2 / 2 = {float(penalty):.4f}; its gradient "
        "is 0.1 * w:"
    )
    print(tape.gradient(penalty, w).numpy())

    stopper = EarlyStopping(patience=2)
    for epoch, score in enumerate(
        [0.90, 0.95, 0.96, 0.955, 0.958, 0.97], start=1
    ):
        stopper.update(score, epoch)
        if stopper.should_stop:
            print(
                f"early stopping after epoch {epoch}: best was "
                f"{float(stopper.best_score)} "
                f"at epoch {int(stopper.best_epoch)}"
            )
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
