"""Small helpers that every other module may import, and that import nothing from them.

- ``write_atomically``: a file holds either its old bytes or all of the new ones;
- ``one_line``: an exception as one short line for an error message;
- ``quiet_tensorflow``: import TensorFlow without its C++ start-up notes on stderr;
- ``Parser`` and the argument checks: command-line mistakes as one line, never a traceback;
- ``stop_on_signals`` and ``signals_held``: SIGTERM stops training as Ctrl-C does, and
  never in the middle of a checkpoint save.

Nothing here imports TensorFlow at import time, so ``import snippets.common`` is cheap.
"""

import argparse
import contextlib
import errno
import os
import platform
import re
import signal
import sys
import tempfile
import threading
from pathlib import Path


# --8<-- [start:write_atomically]
def write_atomically(path, data):
    """Write bytes so that ``path`` holds either its old content or all of
    ``data``.

    The bytes go to a temporary file in the same folder, are flushed to disk,
    and the temporary file is then renamed over ``path``: a rename within one
    file system is atomic. If anything fails (a full disk, say), the temporary
    file is removed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --8<-- [end:write_atomically]


class ExplainedError(RuntimeError):
    """An error whose message says what went wrong and what to do about it.

    The modules raise subclasses of it (``DataError``, ``CheckpointError``,
    ...); the command line prints the message as one line, with no traceback.
    Where the remedy is another value for a setting, the message names it as
    the library's functions take it (``checkpoint_dir``, ``new_head=True``,
    ``hidden=(64,)``) and ``settings`` lists those names: a notebook reads
    them as they are, and the command line says its flags instead
    (``--checkpoint-dir``, ``--new-head``, ``--hidden 64``).
    """

    def __init__(self, message, settings=()):
        super().__init__(message)
        self.settings = tuple(settings)


# The errors of a write that no retry can fix: the disk or the quota is full,
# the file hit its size limit, the file system is read-only, or the folder is
# not ours to write.
CANNOT_WRITE = {
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EFBIG,
    errno.EROFS,
    errno.EACCES,
    errno.EPERM,
}


def describe_os_error(error):
    """A failed file operation as one line: what, where, and what to do about
    it.
    """
    where = f" {error.filename}" if error.filename else ""
    advice = {
        errno.ENOSPC: "free some space, or write somewhere else",
        errno.EDQUOT: "your disk quota is used up; free some space, or write somewhere else",
        errno.EFBIG: "the file grew past the size limit (ulimit -f or a quota); free "
        "some space, or write somewhere else",
        errno.EROFS: "the file system is read-only; write somewhere else",
        errno.EACCES: "you may not write there; fix its permissions, or write somewhere else",
        errno.EPERM: "you may not write there; fix its permissions, or write somewhere else",
        errno.ENOTDIR: "a file stands where a folder should be; move it away",
        errno.EEXIST: "a file stands where a folder should be; move it away",
        errno.EISDIR: "a folder stands where a file should be",
    }.get(error.errno, "check the path and try again")
    return f"cannot use{where}: {error.strerror or error}; {advice}"


def one_line(error):
    """An error as one short line: its type and first line, without
    TensorFlow's ``{{function_node ...}}`` prefix.
    """
    text = re.sub(r"\{\{[^}]*\}\}\s*", "", str(error)).strip()
    first = text.splitlines()[0][:200] if text else ""
    return (
        f"{type(error).__name__}: {first}" if first else type(error).__name__
    )


def quiet_tensorflow():
    """Import TensorFlow with its C++ start-up notes hidden, and return it.

    TensorFlow's runtime writes notes (oneDNN, CUDA probing) straight to file
    descriptor 2 while it loads and looks for devices, before any Python
    logging setting applies. They are not errors, and on a CPU-only machine
    they bury the messages that matter. The command line and the notebooks call
    this first; importing ``snippets`` does not, so a program that imports our
    modules keeps its own stderr as it is.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        return tf
    try:
        sys.stderr.flush()
        saved_stderr = os.dup(2)
    except (OSError, ValueError):  # no real stderr (some notebook front ends)
        import tensorflow as tf

        return tf
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow as tf

        tf.config.list_physical_devices()
        # Python-side warnings, such as the list of unrestored values after a
        # restore that failed (which we handle and report ourselves), would
        # clutter the output.
        tf.get_logger().setLevel("ERROR")
    finally:
        os.dup2(saved_stderr, 2)
        os.close(saved_stderr)
        os.close(devnull)
    return tf


class Parser(argparse.ArgumentParser):
    """argparse, but an error is one line (argparse prints the usage block
    first).
    """

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


# --8<-- [start:validators]
def parse_number(text, convert, what):
    try:
        return convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected {what}, got {text!r}"
        ) from None


def positive_int(text):
    value = parse_number(text, int, "a whole number")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def device_count(text):
    """``--devices``: a number of devices, or "all"."""
    return "all" if text == "all" else positive_int(text)


def worker_addresses(text):
    """``--workers``: ``host:port,host:port``, one per machine, as a list."""
    workers = [part.strip() for part in text.split(",")]
    for worker in workers:
        host, _, port = worker.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise argparse.ArgumentTypeError(
                f"{worker!r} is not host:port (a port from 1 to 65535); "
                "write the workers as host:port,host:port"
            )
    if len(set(workers)) != len(workers):
        raise argparse.ArgumentTypeError(f"a worker is named twice in {text}")
    return workers


def non_negative_int(text):
    value = parse_number(text, int, "a whole number")
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def positive_float(text):
    value = parse_number(text, float, "a number")
    # also refuses nan: every comparison is false
    if not 0.0 < value < float("inf"):
        raise argparse.ArgumentTypeError(
            f"must be a positive number, got {text}"
        )
    return value


def probability(text):
    value = parse_number(text, float, "a number")
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(
            f"must be in (0, 1], got {text}: 1.0 keeps every unit, "
            "0.5 keeps half (TF2's dropout rate is 1 - keep_prob)"
        )
    return value


def non_negative_float(text):
    value = parse_number(text, float, "a number")
    if not 0.0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(
            f"must be zero or positive, got {text}"
        )
    return value


# --8<-- [end:validators]


class StopRequested(BaseException):
    """SIGTERM or SIGHUP arrived: stop now, like Ctrl-C, keeping what is saved.

    A ``BaseException``, as ``KeyboardInterrupt`` is, so no ``except
    Exception`` on the way swallows it. ``status`` is the conventional exit
    status, 128 + the signal number.
    """

    def __init__(self, signal_number):
        super().__init__(signal.Signals(signal_number).name)
        self.signal_name = signal.Signals(signal_number).name
        self.status = 128 + signal_number


def _raise_stop(signal_number, frame):
    raise StopRequested(signal_number)


STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def stop_on_signals():
    """Inside the block, SIGTERM and SIGHUP raise ``StopRequested`` in the main
    thread.

    Batch schedulers, ``kill``, ``docker stop`` and cloud preemption send
    SIGTERM first; by default it ends Python on the spot, silently. The command
    line runs in this block.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {
        number: signal.signal(number, _raise_stop) for number in STOP_SIGNALS
    }
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@contextlib.contextmanager
def signals_held():
    """Let Ctrl-C, SIGTERM and SIGHUP wait until the block is done, then act on
    them.

    Around a checkpoint save: the save finishes, so the epoch it records is
    kept, and the signal then stops the program as usual. Outside the main
    thread (where Python cannot handle signals) it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    numbers = (signal.SIGINT, *STOP_SIGNALS)
    arrived = []
    previous = {
        number: signal.signal(number, lambda n, frame: arrived.append(n))
        for number in numbers
    }
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    for number in arrived[:1]:
        signal.raise_signal(number)  # now handled as it would have been


def processor():
    """The CPU's model name and whether it has AVX-512 (the two
    generations differ there): what a benchmark records beside its numbers.
    """
    info = (
        Path("/proc/cpuinfo").read_text()
        if Path("/proc/cpuinfo").is_file()
        else ""
    )
    fields = dict(
        line.split(":", 1) for line in info.splitlines() if ":" in line
    )
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    flags = fields.get("flags", "").split()
    return {
        "model_name": fields.get("model name", platform.processor()),
        "family": fields.get("cpu family"),
        "model": fields.get("model"),
        "avx512f": "avx512f" in flags,
        "avx512_bf16": "avx512_bf16" in flags,
    }
