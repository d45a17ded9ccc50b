"""Data parallelism: one training step on every replica at once.

Every device holds a copy (a replica) of the network. Each step splits the global batch
into one slice per replica; each replica computes the gradients of its slice, the
gradients are summed across replicas (an all-reduce), and every replica applies the same
update, so the copies never drift apart. ``distributed.train_on_devices`` uses this step
in place of ``train.make_train_step``; snippets/distributed.py makes the strategy.

Run it as a script to take one step of the course's network on one replica and on two
(logical CPU devices), from the same weights and the same batch, and compare:

    python -m snippets.data_parallel
"""

import sys

import numpy as np
import tensorflow as tf

from snippets.regularization import l2_penalty


# --8<-- [start:split]
def split_batch(strategy, *arrays):
    """Each array of a global batch, cut into one slice per replica.

    Replica ``r`` of ``R`` gets rows ``r*n//R`` up to ``(r+1)*n//R``: together
    the slices are the batch, in order, as on one device.
    """

    def slice_for(context, array):
        r = context.replica_id_in_sync_group
        replicas = context.num_replicas_in_sync
        size = len(array)
        # strategy.run copies each slice to its replica's device
        return array[r * size // replicas : (r + 1) * size // replicas]

    return [
        strategy.experimental_distribute_values_from_function(
            lambda context, array=array: slice_for(context, array)
        )
        for array in arrays
    ]


# --8<-- [end:split]


# --8<-- [start:replicated_step]
def make_replicated_train_step(strategy, model, optimizer, l2):
    """``train.make_train_step`` on every replica at once: the same call,
    ``train_step(x, y, dropout_seed)``, with ``x`` and ``y`` the global batch.
    """

    def replica_step(x, y, global_size, dropout_seed):
        replica = tf.distribute.get_replica_context().replica_id_in_sync_group
        # each replica drops out its own units
        seed = tf.random.experimental.stateless_fold_in(dropout_seed, replica)
        with tf.GradientTape() as tape:
            logits = model(x, training=True, dropout_seed=seed)
            per_example = tf.nn.softmax_cross_entropy_with_logits(y, logits)
            # divided by the GLOBAL batch: the replicas' gradients then sum to
            # the gradient of the mean over the whole batch
            loss = tf.nn.compute_average_loss(
                per_example, global_batch_size=global_size
            )
            total = loss
            if l2:  # added once in all, not once per replica
                total += tf.nn.scale_regularization_loss(
                    l2_penalty(model.weight_matrices(), l2)
                )
        gradients = tape.gradient(total, model.trainable_variables)
        # Keras' optimizer sums the gradients across replicas (the
        # all-reduce), then applies the same update on each one.
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss, tf.linalg.global_norm(gradients) ** 2

    @tf.function(autograph=False)
    def distributed_step(x, y, global_size, dropout_seed):
        losses, squared_norms = strategy.run(
            replica_step, args=(x, y, global_size, dropout_seed)
        )
        # the batch's mean loss, and the norm of all the replicas' gradients
        # together (a NaN anywhere shows in it)
        return (
            strategy.reduce("SUM", losses, axis=None),
            tf.sqrt(strategy.reduce("SUM", squared_norms, axis=None)),
        )

    def train_step(x, y, dropout_seed):
        global_size = tf.constant(len(x), tf.int32)
        x, y = split_batch(strategy, x, y)
        return distributed_step(x, y, global_size, dropout_seed)

    return train_step


# --8<-- [end:replicated_step]


def is_chief(strategy):
    """Whether this process writes the checkpoints: always, but on a cluster's
    workers other than worker 0."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.cluster_spec().as_dict():
        return True
    return resolver.task_type in ("chief", None) or (
        resolver.task_type == "worker" and resolver.task_id == 0
    )


def main():
    from snippets.mlp import MLP

    # two logical CPU devices, made before any op runs (snippets/distributed.py
    # does this for the command line, with GPUs where there are some)
    cpu = tf.config.list_physical_devices("CPU")[0]
    if len(tf.config.get_logical_device_configuration(cpu) or [None]) < 2:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2
        )
    rng = np.random.default_rng(0)
    x = rng.random((64, 784), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 64)]
    seed = tf.constant([0, 0], tf.int64)
    weights = {}
    for devices in (["/cpu:0"], ["/cpu:0", "/cpu:1"]):
        strategy = tf.distribute.MirroredStrategy(
            devices, cross_device_ops=tf.distribute.ReductionToOneDevice()
        )
        with strategy.scope():
            model = MLP((256,), seed=0)
            optimizer = tf.keras.optimizers.Adam(1e-3)
            optimizer.build(model.trainable_variables)
        step = make_replicated_train_step(strategy, model, optimizer, 0.0)
        loss, _ = step(x, y, seed)
        print(f"{len(devices)} replica(s): loss {float(loss):.6f}")
        weights[len(devices)] = np.concatenate(
            [v.numpy().ravel() for v in model.trainable_variables]
        )
    difference = np.max(np.abs(weights[1] - weights[2]))
    print(f"largest difference between the updated weights: {difference:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
