"""Deep Nets, Tested: a complete MNIST multilayer-perceptron system in TensorFlow 2.

Each module teaches one idea and also runs as a script:

    python -m snippets.mnist_files     # fetch and verify the four MNIST files
    python -m snippets.data            # MNIST prepared for a network: scaled, one-hot, split
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

The layers point one way: cli -> compat_v1, deeper, export, predict, finetune,
fast -> train -> checkpoint -> backprop, relu, mlp -> regularization, linear -> data ->
mnist_files -> config, common (tests/test_system.py holds the exact order). Importing
the package does nothing else: it neither loads TensorFlow nor touches stderr. Programs
that want TensorFlow's start-up notes hidden call ``snippets.common.quiet_tensorflow()``
first, as the command line and the notebooks do.
"""


def _quiet_when_run_as_a_script():
    """``python -m snippets.linear`` shows the lesson, not TensorFlow's start-up notes.

    While Python imports this package to run one of its modules with ``-m``, sys.argv[0]
    is "-m" and sys.orig_argv names the module. Only then, and only for a module that loads
    TensorFlow, is TensorFlow loaded here with its notes hidden, before the module's own
    import of it. A program that imports ``snippets`` is left alone, and so is the command
    line (``python -m snippets``), which quiets TensorFlow itself once it needs it.
    SNIPPETS_TENSORFLOW_NOTES=1 shows the notes again."""
    import os
    import sys

    if sys.argv[:1] != ["-m"] or os.environ.get("SNIPPETS_TENSORFLOW_NOTES") == "1":
        return
    arguments = getattr(sys, "orig_argv", [])
    modules = [arguments[i + 1] for i, argument in enumerate(arguments[:-1]) if argument == "-m"]
    if not modules or not modules[0].startswith(f"{__name__}."):
        return
    if modules[0].split(".")[1] in TENSORFLOW_FREE_MODULES:
        return
    from snippets.common import quiet_tensorflow

    quiet_tensorflow()


# The modules that never load TensorFlow (tests/test_system.py checks that they do not).
TENSORFLOW_FREE_MODULES = {"common", "config", "uncertainty", "mnist_files", "data"}
_quiet_when_run_as_a_script()
