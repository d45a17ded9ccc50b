"""Exercises with checked answers: `python -m snippets check <chapter>`.

Every chapter page ends with exercises. A reader writes each one as a function in
`exercises/<chapter>.py` (a starter file whose functions raise NotImplementedError), and
`python -m snippets check <chapter>` runs that chapter's checks on them: it says in one
line what happened to each (passed, not written yet, wrong and by how much, raised, ended
the program, ran too long, crashed), and exits with status 0 only when every check ran and
passed. The formula behind an exercise is shown only when asked for (`--hint`).

The reader's code may do anything: loop forever, call `exit()`, crash the interpreter,
take all the memory, print without end. So it runs in a child process, with a time limit
per exercise and a bound on its memory; what it prints is kept up to a bound. A child
that dies or runs too long is replaced by a fresh one for the exercises after it.

The checks of a chapter live in `snippets/exercises/<chapter>.py` as a list `EXERCISES`.
A check calls the reader's function on cases it makes up, compares the result with what
the project's own code computes, and raises `Wrong` with a message that says what differs
(expected against got) when they differ. The worked solutions on the pages come from
`exercises/solutions/<chapter>.py`, and the tests run them through these same checks.
"""

import importlib
import importlib.util
import io
import json
import os
import pkgutil
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from snippets.common import StopRequested


def chapters():
    """The chapters with exercises, as `check` names them: the page's file
    name without .md (docs/save-restore.md is "save-restore"), one for each
    module of this package (save_restore.py), in alphabetical order, as
    their starter files list in exercises/. The site's navigation is the one
    list of chapters; tests/test_index.py checks this is the same set."""
    return tuple(
        sorted(
            module.name.replace("_", "-")
            for module in pkgutil.iter_modules(__path__)
            if not module.ispkg
        )
    )


CHAPTERS = chapters()

TIMEOUT = 30.0  # seconds one exercise (or loading the file) may take
# The child's address space: every chapter's worked solutions pass in 3 GiB of it
# (TensorFlow's import alone takes most of that), so 4 GiB leaves room.
MEMORY = 4 << 30
STARTUP = 300.0  # seconds the checks themselves may take to load (TensorFlow's import)
SHOWN = (
    2000  # characters of what an answer prints that are shown, per exercise
)
SHOWN_LINES = 20


class Wrong(Exception):
    """An answer that runs but computes the wrong thing; the message says how."""


@dataclass
class Exercise:
    name: str  # the function the reader writes
    check: (
        Callable  # check(function) raises Wrong, or returns when it is right
    )
    nudge: str  # the idea to look at again, shown when the check does not pass
    hint: str  # the formula or the recipe, shown only on request (--hint)


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


# What differs, and by how much --------------------------------------------------------


def differs(got, expected, what, tolerance=1e-4, batch=None):
    """Return when ``got`` is ``expected`` within ``tolerance``; else raise Wrong
    saying how it differs (see ``explain``)."""
    import numpy as np  # here, so that `check --help` stays quick

    got = numbers(got, expected, what)
    if not np.allclose(got, expected, rtol=tolerance, atol=tolerance):
        explain(got, expected, what, batch)


def numbers(got, expected, what):
    """``got`` as an array of the expected shape, or Wrong saying what it is."""
    import numpy as np  # here, so that `check --help` stays quick

    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise Wrong(
            f"{what}: expected numbers of shape {np.shape(expected)}, got "
            f"{type(got).__name__}."
        ) from None
    expected_shape = np.shape(expected)
    if got.shape != expected_shape:
        turned = (
            " (the transpose?)"
            if got.shape == expected_shape[::-1] and len(got.shape) > 1
            else ""
        )
        raise Wrong(
            f"{what}: expected shape {expected_shape}, got {got.shape}"
            f"{turned}."
        )
    if not np.all(np.isfinite(got)):
        bad = int(np.sum(~np.isfinite(got)))
        raise Wrong(
            f"{what}: expected finite numbers, got {bad} of "
            f"{got.size} inf or nan."
        )
    return got


def explain(got, expected, what, batch=None):
    """Raise Wrong with what differs, expected against got: a constant factor
    (the batch size points at a sum against a mean, -1 at the sign), else the
    largest difference and where it is. One number is always some multiple of
    another, so for one number a factor is named only when it points at a
    cause; otherwise the message is plainly expected against got."""
    import numpy as np  # here, so that `check --help` stays quick

    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    flat_got, flat_expected = got.ravel(), expected.ravel()
    scale = float(flat_expected @ flat_expected)
    if scale > 0:
        factor = float(flat_got @ flat_expected) / scale
        if factor != 0 and np.allclose(
            got, factor * expected, rtol=1e-4, atol=1e-9
        ):
            note = "."
            if batch and np.isclose(abs(factor), batch, rtol=1e-3):
                note = ": the batch size, a sum where a mean is wanted?"
            elif batch and np.isclose(abs(factor) * batch, 1, rtol=1e-3):
                note = ": 1 / the batch size, a mean where a sum is wanted?"
            elif np.isclose(factor, -1, rtol=1e-3):
                note = ": the sign?"
            if got.size > 1 or note != ".":
                raise Wrong(
                    f"{what}: got {factor:.4g} times the expected value{note}"
                )
    if got.size == 1:
        raise Wrong(
            f"{what}: expected {expected.item():.6g}, got {got.item():.6g}."
        )
    offset = got - expected
    if got.ndim == 2 and len(got) > 1 and np.allclose(offset, offset[0]):
        raise Wrong(
            f"{what}: every row is off by the same {offset.shape[1]} numbers "
            f"(got - expected starts {np.round(offset[0, :3], 4).tolist()}): "
            "something missing that every row shares?"
        )
    gap = np.abs(offset)
    at = np.unravel_index(int(np.argmax(gap)), got.shape)
    place = ", ".join(map(str, map(int, at)))
    raise Wrong(
        f"{what}: at [{place}] expected {expected[at]:.6g}, got "
        f"{got[at]:.6g} (the largest of the differences)."
    )


# Running the reader's file, in this process ---------------------------------------------


def load_answers(path):
    """The reader's file as a module."""
    path = Path(path)
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
    if isinstance(error, SystemExit):
        where = f" at line {line} of {path.name}" if line else ""
        code = "" if error.code is None else repr(error.code)
        return f"exit() or sys.exit({code}){where}"
    if isinstance(error, SyntaxError) and error.lineno:
        line, message = error.lineno, error.msg
    where = f" (line {line} of {path.name})" if line else ""
    return f"{type(error).__name__}{': ' + message if message else ''}{where}"


def run_one(exercise, answers, path):
    """Check one exercise in this process: (status, message)."""
    function = getattr(answers, exercise.name, None)
    if not callable(function):
        return "MISSING", f"{path} has no function of that name"
    try:
        exercise.check(function)
    except NotImplementedError:
        return "TODO", ""
    except Wrong as wrong:
        return "WRONG", str(wrong)
    except MemoryError as error:
        return "ERROR", (
            f"{describe(error, path)}: it needs more than the "
            f"{MEMORY >> 30} GiB of memory the check allows"
        )
    except Exception as error:
        return "ERROR", describe(error, path)
    except SystemExit as error:  # exit() or sys.exit() in the answer
        return "EXITED", f"it called {describe(error, path)}"
    except BaseException as error:  # KeyboardInterrupt and the like, raised
        return "ERROR", describe(error, path)
    return "PASS", ""


def line(exercise, status, message, hint=False):
    """The one line that says what happened to an exercise."""
    text = {
        "PASS": "",
        "TODO": "not written yet.",
        "MISSING": message,
        "WRONG": f"{message} {exercise['nudge']}",
        "ERROR": f"raised {message}. {exercise['nudge']}",
        "EXITED": f"{message}: an answer returns its result and leaves the "
        "program running.",
        "TIMEOUT": message,
        "CRASHED": f"{message}.",
        "NOT RUN": message,
    }[status]
    if hint and status not in ("PASS", "MISSING", "NOT RUN"):
        text += f" Hint: {exercise['hint']}"
    start = f"{status:<8}{exercise['name']}"
    return f"{start}: {text}" if text else start


def summary(exercises, chapter, statuses):
    passed = sum(status == "PASS" for status in statuses)
    return f"{passed} of {len(exercises)} exercises of {chapter} pass"


def shown(output):
    """What an answer printed, as indented lines, cut to a few lines."""
    text, more = output
    lines = text.splitlines()
    kept, rest = lines[:SHOWN_LINES], lines[SHOWN_LINES:]
    hidden = more + sum(len(piece) + 1 for piece in rest)
    result = [f"        | {piece}" for piece in kept]
    if hidden:
        result.append(f"        | ... and {hidden:,} more characters printed")
    return result


class Printed(io.TextIOBase):
    """stdout and stderr for the reader's code: keeps the first SHOWN characters
    and counts the rest."""

    def __init__(self):
        self.kept, self.more = [], 0
        self.size = 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        room = SHOWN - self.size
        if room > 0:
            self.kept.append(text[:room])
            self.size += min(room, len(text))
        self.more += max(0, len(text) - max(room, 0))
        return len(text)

    def take(self):
        taken = ("".join(self.kept), self.more)
        self.kept, self.more, self.size = [], 0, 0
        return taken


def info(exercises):
    return [
        {"name": e.name, "nudge": e.nudge, "hint": e.hint} for e in exercises
    ]


def check_here(chapter, path, out=print, hint=False):
    """Run a chapter's checks on a file in this process (no time or memory limit):
    for worked solutions and tests. Return 0 when all pass, else 1."""
    exercises = exercises_of(chapter)
    described = info(exercises)
    path = Path(path)
    try:
        answers = load_answers(path)
    except (Exception, SystemExit) as error:
        return not_loaded(described, chapter, path, describe(error, path), out)
    statuses = []
    for exercise, about in zip(exercises, described):
        status, message = run_one(exercise, answers, path)
        statuses.append(status)
        out(line(about, status, message, hint))
    out(summary(exercises, chapter, statuses))
    return 0 if statuses == ["PASS"] * len(exercises) else 1


def not_loaded(described, chapter, path, reason, out):
    out(f"error: {path} does not run: {reason}")
    for about in described:
        out(line(about, "NOT RUN", f"{path.name} did not load"))
    out(summary(described, chapter, []))
    return 1


# The child process ------------------------------------------------------------------------


def child_main(chapter, path, start, channel_fd, memory):
    """The child: load the checks and the reader's file, run the exercises from
    ``start`` on, and report each on ``channel_fd``, one JSON line a message."""
    # the parent decides what Ctrl-C does
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    if memory:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    channel = os.fdopen(channel_fd, "w", buffering=1)

    def send(**message):
        channel.write(json.dumps(message) + "\n")
        channel.flush()

    from snippets.common import quiet_tensorflow

    quiet_tensorflow()
    path = Path(path)
    exercises = exercises_of(chapter)
    send(ready=info(exercises))
    printed = Printed()
    with redirect_stdout(printed), redirect_stderr(printed):
        try:
            answers = load_answers(path)
        except BaseException as error:
            send(load_error=describe(error, path), output=printed.take())
            return
        send(loaded=True, output=printed.take())
        for index in range(start, len(exercises)):
            send(start=index)
            status, message = run_one(exercises[index], answers, path)
            # in case the answer changed them
            sys.stdout, sys.stderr = printed, printed
            send(
                result=index,
                status=status,
                message=message,
                output=printed.take(),
            )


CHILD = (
    "import sys; from snippets.exercises import child_main; "
    "child_main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), "
    "int(sys.argv[5]))"
)


def die_with_parent():
    """Linux: the kernel kills this process when its parent ends, so an endless loop
    never outlives `check`."""
    try:
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


class Child:
    """One child process running a chapter's checks from exercise ``start`` on."""

    def __init__(self, chapter, path, start, memory):
        read, write = os.pipe()
        root = str(Path(__file__).resolve().parents[2])
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(
            filter(None, [root, environment.get("PYTHONPATH")])
        )
        try:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    CHILD,
                    chapter,
                    str(path),
                    str(start),
                    str(write),
                    str(memory),
                ],
                pass_fds=(write,),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=environment,
            )
        finally:
            os.close(write)
        self.channel, self.buffer = read, b""
        # What the child writes to its own stdout and stderr below Python (TensorFlow's
        # notes, a C library) is read and dropped, so a full pipe never blocks it.
        self.drain = threading.Thread(target=self._drain, daemon=True)
        self.drain.start()

    def _drain(self):
        while self.process.stdout.read(1 << 16):
            pass

    def receive(self, seconds):
        """The next message; "timeout" after ``seconds``; "died" when the child ended."""
        deadline = time.monotonic() + seconds
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            readable, _, _ = select.select([self.channel], [], [], left)
            if not readable:
                continue
            chunk = os.read(self.channel, 1 << 16)
            if not chunk or len(self.buffer) > 1 << 20:
                return "died"
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\n", 1)
        try:
            return json.loads(message)
        except ValueError:
            return "died"

    def ended(self):
        """How the child ended, in words."""
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        if code < 0:
            name = signal.Signals(-code).name
            why = {
                "SIGKILL": " (out of memory?)",
                "SIGSEGV": ", a segmentation fault",
                "SIGABRT": ", aborted",
                "SIGBUS": ", a bus error",
            }.get(name, "")
            return f"the process running it crashed ({name}{why})"
        return (
            f"the process running it ended with exit status {code} "
            "(os._exit()?)"
        )

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.drain.join(timeout=5)
        self.process.stdout.close()
        os.close(self.channel)


def default_file(chapter):
    return Path("exercises") / f"{chapter.replace('-', '_')}.py"


def check_chapter(
    chapter,
    path=None,
    out=print,
    timeout=TIMEOUT,
    hint=False,
    memory=MEMORY,
    hint_advice="hint=True",
):
    """Run a chapter's checks on the reader's file, in a child process with
    ``timeout`` seconds per exercise and ``memory`` bytes of address space; return 0
    when every check ran and passed, else 1 (130 when interrupted). Where one
    does not pass, a last line says how to ask for hints, in the caller's
    words (``hint_advice``: the command line gives its command)."""
    if chapter not in CHAPTERS:
        out(
            f"error: no exercises for {chapter!r}; choose one of "
            f"{', '.join(CHAPTERS)}"
        )
        return 1
    if path is None:
        path = default_file(chapter)
        if not path.is_file():
            out(
                f"error: no file {path} in {Path.cwd()}: run from the project's "
                "folder, or pass the path of your answers"
            )
            return 1
    path = Path(path)
    if not path.is_file():
        looked = (
            "" if path.is_absolute() else f" (looked for {path.absolute()})"
        )
        kind = "a folder, not a file" if path.is_dir() else "no such file"
        out(f"error: {path}: {kind}{looked}")
        return 1
    child, described, statuses = None, None, []
    try:
        while described is None or len(statuses) < len(described):
            child = Child(chapter, path, len(statuses), memory)
            ready = child.receive(max(STARTUP, timeout))
            if not isinstance(ready, dict) or "ready" not in ready:
                out(
                    f"error: the checks of {chapter} did not start: "
                    f"{child.ended()}"
                )
                return 1
            described = ready["ready"]
            loaded = child.receive(timeout)
            if loaded == "timeout":
                reason = (
                    f"loading it took more than {timeout:g} s (an endless loop "
                    "outside any function?)"
                )
            elif loaded == "died":
                reason = f"while loading it, {child.ended()}"
            else:
                if not statuses:  # what the file prints as it loads, once
                    for piece in shown(loaded["output"]):
                        out(piece)
                reason = loaded.get("load_error")
            if reason:
                return not_loaded(described, chapter, path, reason, out)
            while len(statuses) < len(described):
                about = described[len(statuses)]
                message = child.receive(timeout)
                if isinstance(message, dict) and "start" in message:
                    message = child.receive(timeout)
                if message == "timeout":
                    statuses.append("TIMEOUT")
                    stopped = (
                        f"no answer within {timeout:g} s (an endless loop?); "
                        "stopped."
                    )
                    out(line(about, "TIMEOUT", stopped, hint))
                    break
                if message == "died":
                    ended = child.ended()
                    status = "CRASHED" if "crashed" in ended else "EXITED"
                    statuses.append(status)
                    out(line(about, status, ended, hint))
                    break
                for piece in shown(message["output"]):
                    out(piece)
                statuses.append(message["status"])
                out(line(about, message["status"], message["message"], hint))
            child.close()
            child = None
    except (KeyboardInterrupt, StopRequested):
        if described is None:
            out("interrupted before any check ran")
        else:
            out(
                f"interrupted: {len(statuses)} of {len(described)} exercises "
                "checked; the others did not run"
            )
        return 130
    finally:
        if child is not None:
            child.close()
    out(summary(described, chapter, statuses))
    if not hint and statuses != ["PASS"] * len(described):
        out(f"({hint_advice} shows a hint for each)")
    return 0 if statuses == ["PASS"] * len(described) else 1
