"""``python -m snippets``: the command line of the MNIST MLP system (see snippets/cli.py)."""

import os
import sys

from snippets.cli import main, started_as_the_command

code = main()
if started_as_the_command():
    # The command has finished: every file it writes is complete on disk
    # (written whole, then renamed; TensorBoard's writers flush every epoch).
    # What is left is Python tearing TensorFlow down, which takes most of a
    # second and does nothing a finished command needs. So what was printed
    # is flushed, and the process ends here with the command's exit status.
    # Not when a profiler or a test runs the command: they have work of their
    # own to do after it.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more to say
            pass
    os._exit(code)
sys.exit(code)
