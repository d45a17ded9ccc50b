"""Deep Nets, Tested: a complete MNIST multilayer-perceptron system in TensorFlow 2.

Each module teaches one idea and also runs as a script:

    python -m snippets.data            # fetch, verify and describe MNIST
    python -m snippets.linear          # a linear (logistic) classifier and its limits
    python -m snippets.relu            # the rectified linear unit
    python -m snippets.mlp             # the multilayer perceptron with named variables
    python -m snippets.backprop        # the chain rule by hand, checked against TensorFlow
    python -m snippets.regularization  # L2, dropout and early stopping
    python -m snippets.train           # the training loop
    python -m snippets.checkpoint      # save and restore
    python -m snippets.finetune        # reuse trained layers in a changed model
    python -m snippets.predict         # read PNG digits and classify them
    python -m snippets.deeper          # deeper vs wider at the same parameter budget
    python -m snippets.compat_v1       # the course's TensorFlow 1 code, fixed
    python -m snippets.fast            # the fast trainer: 98 % in a few seconds
    python -m snippets.export          # the trained network, compact, for the browser
    python -m snippets --help          # the command line for all of it
"""

import os
import sys

# TensorFlow's C++ runtime writes start-up notes (oneDNN, CUDA probing) straight to
# file descriptor 2 before any Python logging setting applies. They are not errors, and
# on a CPU-only machine they bury the messages that matter, so hide them while
# TensorFlow loads and finds its devices, then give stderr back.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _import_tensorflow_quietly():
    if "tensorflow" in sys.modules:
        return
    try:
        sys.stderr.flush()
        saved_stderr = os.dup(2)
    except (OSError, ValueError):  # no real stderr (some notebook front ends)
        import tensorflow  # noqa: F401
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow as tf

        tf.config.list_physical_devices()
        # TensorFlow's Python-side warnings (e.g. about unrestored checkpoint values after a
        # failed restore, which we handle and report ourselves) would clutter the output.
        tf.get_logger().setLevel("ERROR")
    finally:
        os.dup2(saved_stderr, 2)
        os.close(saved_stderr)
        os.close(devnull)


_import_tensorflow_quietly()
