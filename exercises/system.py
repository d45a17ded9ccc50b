"""Exercises of "The complete system": write each function, then check them with

    python -m snippets check system

Each check compares your function with what the project's own code does.
"""

import json


def keep_prob(text):
    """The value of a --keep-prob argument: ``text`` as a float in (0, 1].
    Raise ValueError for anything else ("0", "1.5", "nan", "half")."""
    raise NotImplementedError


def changed(saved, wanted):
    """The names of the settings that differ between the dictionary ``saved``
    with a checkpoint and the ``wanted`` one, except "epochs" (a resumed run
    may train longer): the settings that make `train` refuse to resume."""
    raise NotImplementedError


def last_json(stdout):
    """The dictionary in the last line of `python -m snippets train`'s
    standard output that is JSON, or None when no line is."""
    raise NotImplementedError
