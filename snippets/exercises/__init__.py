"""Exercises with checked answers: `python -m snippets check <chapter>`.

Every chapter page ends with exercises. A reader writes each one as a function in
`exercises/<chapter>.py` (a starter file whose functions raise NotImplementedError), and
`python -m snippets check <chapter>` runs that chapter's checks on them: it says which
passed, gives a hint for each that did not, and exits with status 1 until all pass. The
reader's code may be unfinished or wrong in any way; what it raises is reported in one
line, never as a traceback.

The checks of a chapter live in `snippets/exercises/<chapter>.py` as a list `EXERCISES`.
A check calls the reader's function on cases it makes up, compares the result with what
the project's own code computes, and raises `Wrong` with a message when they differ. The
worked solutions on the pages come from `exercises/solutions/<chapter>.py`, and the tests
run them through these same checks.
"""

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# The chapter pages with exercises, as `check` names them (page file names without .md).
CHAPTERS = (
    "linear",
    "relu",
    "mlp",
    "backprop",
    "deeper",
    "save-restore",
    "finetuning",
    "regularization",
    "dropout",
    "augmentation",
    "system",
    "troubleshooting",
    "tf1-to-tf2",
    "speed",
    "distributed",
    "try",
)


class Wrong(Exception):
    """An answer that runs but computes the wrong thing; the message says how."""


@dataclass
class Exercise:
    name: str  # the function the reader writes
    check: (
        Callable  # check(function) raises Wrong, or returns when it is right
    )
    hint: str  # what to look at again, shown when the check does not pass


def exercises_of(chapter):
    """The EXERCISES of a chapter, from snippets/exercises/<chapter>.py."""
    if chapter not in CHAPTERS:
        raise ValueError(
            f"no exercises for {chapter!r}; choose one of {', '.join(CHAPTERS)}"
        )
    module_name = chapter.replace("-", "_")
    return importlib.import_module(
        f"snippets.exercises.{module_name}"
    ).EXERCISES


def load_answers(path):
    """The reader's file as a module, or a one-line reason it cannot be run."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no file {path}: run from the project's folder, or pass --file"
        )
    spec = importlib.util.spec_from_file_location(f"answers_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def describe(error, path):
    """An exception from the reader's code as one line, with the line of their
    file it came from."""
    line = None
    trace = error.__traceback__
    while trace is not None:
        if Path(trace.tb_frame.f_code.co_filename).resolve() == path.resolve():
            line = trace.tb_lineno
        trace = trace.tb_next
    message = " ".join(str(error).split())
    if isinstance(error, SyntaxError) and error.lineno:
        line, message = error.lineno, error.msg
    where = f" (line {line} of {path.name})" if line else ""
    return f"{type(error).__name__}{': ' + message if message else ''}{where}"


def check_chapter(chapter, path=None, out=print):
    """Run a chapter's checks on the reader's file; return 0 when all pass, else 1."""
    exercises = exercises_of(chapter)
    path = (
        Path(path)
        if path
        else Path("exercises") / f"{chapter.replace('-', '_')}.py"
    )
    try:
        answers = load_answers(path)
    except FileNotFoundError as error:
        out(f"error: {error}")
        return 1
    except Exception as error:  # noqa: BLE001 (a syntax error, a failing import...)
        out(f"error: {path} does not run: {describe(error, path)}")
        return 1
    passed = 0
    for exercise in exercises:
        function = getattr(answers, exercise.name, None)
        if not callable(function):
            out(
                f"MISSING {exercise.name}: {path} has no function of that name"
            )
            continue
        try:
            exercise.check(function)
        except NotImplementedError:
            out(
                f"TODO    {exercise.name}: not written yet. Hint: {exercise.hint}"
            )
        except Wrong as wrong:
            out(f"WRONG   {exercise.name}: {wrong} Hint: {exercise.hint}")
        except Exception as error:  # noqa: BLE001 (whatever the reader wrote raises)
            out(
                f"ERROR   {exercise.name} raised {describe(error, path)}. "
                f"Hint: {exercise.hint}"
            )
        else:
            passed += 1
            out(f"PASS    {exercise.name}")
    out(f"{passed} of {len(exercises)} exercises of {chapter} pass")
    return 0 if passed == len(exercises) else 1
