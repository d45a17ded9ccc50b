# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The course's TensorFlow 1 code beside TensorFlow 2
#
# Companion to the appendix [From TensorFlow 1 to TensorFlow 2](../../tf1-to-tf2/). The
# `tf.compat.v1` code lives in `snippets/compat_v1.py`; every function there builds its own
# `tf.Graph`, so it runs in this notebook next to eager TensorFlow 2 code.

# %%
from snippets.common import quiet_tensorflow

quiet_tensorflow()  # first: TensorFlow's start-up notes stay off the page

import shutil
import tempfile
from pathlib import Path

import numpy as np
import tensorflow as tf

from snippets import compat_v1
from snippets.checkpoint import restore_model, save_model
from snippets.data import load_dataset
from snippets.train import TrainConfig, evaluate, train

# tf.compat.v1 prints deprecation notes about keep_prob and friends
tf.get_logger().setLevel("ERROR")
data = load_dataset(validation_size=1000, limit=5000)
workdir = Path(tempfile.mkdtemp())
print(
    f"TensorFlow {tf.__version__}; eager execution in this notebook: "
    f"{tf.executing_eagerly()}"
)

# %% [markdown]
# ## Train, save, restore: both ways
#
# The same 784-256-10 network, trained for 2 epochs on 5,000 images with dropout on the
# hidden layer (`keep_prob` 0.5), saved, and restored into a freshly built model. TF1: a
# graph, a `Session`, a `feed_dict` per step and a `Saver`. TF2: eager calls, a compiled
# `tf.function` step and `tf.train.Checkpoint`. The two use different optimizers (plain
# gradient descent as in the course, Adam in `snippets.train`), so their accuracies differ.

# %%
history = compat_v1.train_and_save(
    data, workdir / "tf1" / "model.ckpt", epochs=2
)
restored = compat_v1.restore_and_evaluate(
    workdir / "tf1" / "model.ckpt", data.valid_x, data.valid_y
)
print(
    f"tf.compat.v1: validation accuracy {history[-1]:.4f} after training, "
    f"{restored:.4f} after restoring"
)

result = train(
    TrainConfig(epochs=2, keep_prob=0.5), data=data, log=lambda message: None
)
save_model(result.model, workdir / "tf2")
_, restored_tf2 = evaluate(
    restore_model(workdir / "tf2"), data.valid_x, data.valid_y
)
_, trained_tf2 = evaluate(result.model, data.valid_x, data.valid_y)
print(
    f"TF2:          validation accuracy {trained_tf2:.4f} after training, "
    f"{restored_tf2:.4f} after restoring"
)
assert restored == history[-1] and restored_tf2 == trained_tf2
assert history[-1] > 0.8 and trained_tf2 > 0.9

# %% [markdown]
# ## What the checkpoints hold
#
# A `Saver` stores each variable under its graph name. `tf.train.Checkpoint` stores it under
# the path of attributes that leads to it from the object you saved, so the Python structure,
# not a global naming scheme, decides where a value goes back.

# %%
print("tf.compat.v1 Saver:")
for name, shape in tf.train.list_variables(
    str(workdir / "tf1" / "model.ckpt")
):
    print(f"  {name:<20} {shape}")
print("TF2 tf.train.Checkpoint:")
for name, shape in tf.train.list_variables(
    tf.train.latest_checkpoint(str(workdir / "tf2"))
):
    if name.startswith("model/"):
        print(f"  {name:<52} {shape}")

# %% [markdown]
# ## Automatic names and the order of creation
#
# The course saved a `[2, 3]` weights variable and a `[3]` bias without naming them, then
# created them in the other order before restoring. With TF1's variables (`use_resource=False`,
# the default once TF2 behavior is disabled) the restore fails; with the resource variables
# TensorFlow 2 makes by default, even in a graph, the same mistake restores without a word, and
# each variable now holds the other's value.

# %%
print(
    "automatic names:",
    compat_v1.save_weights_and_bias(
        workdir / "auto_ref.ckpt", use_resource=False
    ),
)
try:
    compat_v1.restore_bias_then_weights(
        workdir / "auto_ref.ckpt", use_resource=False
    )
    raise AssertionError("the restore was expected to fail")
except tf.errors.InvalidArgumentError as error:
    message = next(
        line for line in str(error).splitlines() if "Assign requires" in line
    )
    print("TF1 variables:", message.strip())

compat_v1.save_weights_and_bias(
    workdir / "auto_resource.ckpt", use_resource=True
)
weights, bias = compat_v1.restore_bias_then_weights(
    workdir / "auto_resource.ckpt", use_resource=True
)
print(
    "resource variables: no error, but `weights` now has shape "
    f"{weights.shape} and `bias` {bias.shape}"
)
assert weights.shape == (3,) and bias.shape == (2, 3)

names = ("weights_0", "bias_0")
compat_v1.save_weights_and_bias(
    workdir / "named.ckpt", names=names, use_resource=False
)
weights, bias = compat_v1.restore_bias_then_weights(
    workdir / "named.ckpt", names=names, use_resource=False
)
print(f"explicit names: weights {weights.shape}, bias {bias.shape}")
assert weights.shape == (2, 3) and bias.shape == (3,)

# %% [markdown]
# ## keep_prob and rate
#
# TF1's `tf.nn.dropout(x, keep_prob)` and TF2's `tf.nn.dropout(x, rate)` do the same thing
# with complementary numbers: `rate = 1 - keep_prob`. Both scale the kept units by
# `1 / keep_prob`.

# %%
ones = np.ones([100, 100], dtype=np.float32)
graph = tf.Graph()
with graph.as_default():
    kept_v1 = tf.compat.v1.nn.dropout(tf.constant(ones), keep_prob=0.8, seed=1)
    with tf.compat.v1.Session(graph=graph) as sess:
        tf1_values = sess.run(kept_v1)
tf2_values = tf.nn.dropout(tf.constant(ones), rate=0.2, seed=1).numpy()
for label, values in [
    ("TF1 keep_prob=0.8", tf1_values),
    ("TF2 rate=0.2", tf2_values),
]:
    print(
        f"{label:>17}: values {sorted(set(values.ravel().tolist()))}, share "
        f"kept {np.mean(values > 0):.3f}"
    )
assert (
    set(tf1_values.ravel())
    == set(tf2_values.ravel())
    == {0.0, np.float32(1.25)}
)

# %%
shutil.rmtree(workdir)  # the checkpoints were only needed for this notebook
