"""Deep Nets, Tested: a complete MNIST multilayer-perceptron system in
TensorFlow 2.

Each module teaches one idea and also runs as a script, for example:

    python -m snippets.linear    # a linear classifier and its limits
    python -m snippets.backprop  # the chain rule by hand, checked
    python -m snippets.fast      # the fast trainer
    python -m snippets --help    # the command line for all of it

The layers point one way: ``LAYERS`` below lists the modules from the
bottom up, and a module imports only modules listed before it
(tests/test_system.py checks it, and that the README's table of modules
follows it). Importing the package does nothing else: it neither loads
TensorFlow nor touches stderr. Programs that want TensorFlow's start-up
notes hidden call ``snippets.common.quiet_tensorflow()`` first, as the
command line and the notebooks do.
"""

# The modules, from the bottom layer up: each imports only modules before
# it. A subpackage (exercises) is one layer, all of its modules together.
LAYERS = (
    "common",
    "config",
    "uncertainty",
    "playground",
    "mnist_files",
    "data",
    "augment",
    "linear",
    "regularization",
    "mlp",
    "backprop",
    "checkpoint",
    "data_parallel",
    "summaries",
    "train",
    "relu",
    "distributed",
    "fast",
    "optimisers",
    "finetune",
    "predict",
    "other_digits",
    "int8",
    "export",
    "portable",
    "deeper",
    "residual",
    "compat_v1",
    "in_keras",
    "exercises",
    "cli",
    "__main__",
)


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

    if (
        sys.argv[:1] != ["-m"]
        or os.environ.get("SNIPPETS_TENSORFLOW_NOTES") == "1"
    ):
        return
    arguments = getattr(sys, "orig_argv", [])
    modules = [
        arguments[i + 1]
        for i, argument in enumerate(arguments[:-1])
        if argument == "-m"
    ]
    if not modules or not modules[0].startswith(f"{__name__}."):
        return
    if modules[0].split(".")[1] in TENSORFLOW_FREE_MODULES:
        return
    from snippets.common import quiet_tensorflow

    quiet_tensorflow()


# The modules that never load TensorFlow (tests/test_system.py checks that they do not).
TENSORFLOW_FREE_MODULES = {
    "common",
    "config",
    "uncertainty",
    "mnist_files",
    "data",
}
_quiet_when_run_as_a_script()
