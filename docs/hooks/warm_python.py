"""A warm Python: start `python ...` with TensorFlow already loaded, for the tests and the build.

Loading TensorFlow costs about 5 s of CPU in every new process, and `make test` starts dozens:
every `python -m snippets` line of a shell block on the site, the runs the crash tests kill,
and a Jupyter kernel for each companion notebook. So a server process imports TensorFlow and
the snippets modules once, before any TensorFlow op has run, and forks itself for each
command. The child is a process of its own, as `python` would start it: its own pid, argv,
working folder, environment, resource limits (`ulimit`), umask and standard streams (passed
over a Unix socket), its own signal handlers and exit status; it runs the module or script
with runpy, as `python -m` does. What it skips is TensorFlow's start-up, so nothing of one
command's state reaches the next. Its `sys.executable` is the warm `python` below, so a
Python it starts in turn is warm as well.

The ways in:
- `WarmPython.popen(argv, ...)` and `.run(...)`: like subprocess.Popen and run, with the
  real pid of the child, so a test can read its output line by line and kill it;
- `python` and `python3` in `WarmPython.bin_dir`, to put first on PATH (the shell blocks, and
  the notebook kernels of the build: docs/hooks/notebooks.py): each forwards `-m MODULE`,
  `-c CODE` and `SCRIPT` runs to the server and runs anything else (`python -X ...`) with
  the real interpreter. It ends as the command ended: with its exit status, or killed by the
  same signal, and passes SIGINT, SIGTERM and SIGHUP on to it.

The tests that are about a fresh interpreter (its start-up notes, what importing snippets
loads) start the real one.
"""

import importlib
import json
import os
import resource
import runpy
import select
import signal
import socket
import subprocess
import sys
import threading
import traceback

REAL_PYTHON = sys.executable
SOCKET_VARIABLE = "WARM_PYTHON_SOCKET"
# Imported once by the server, besides TensorFlow: what the commands and notebooks load.
PRELOAD = (
    "snippets.checkpoint",
    "snippets.export",
    "snippets.fast",
    "snippets.finetune",
    "snippets.predict",
    "snippets.train",
    "matplotlib.pyplot",
    "ipykernel.kernelapp",
)


def running_python(socket_path=None):
    """The `python` of the server at ``socket_path`` (default: the one named in the
    environment), or None when there is no such server. It sits beside the socket."""
    socket_path = socket_path or os.environ.get(SOCKET_VARIABLE)
    if not socket_path or not os.path.exists(socket_path):
        return None
    return os.path.join(os.path.dirname(socket_path), "bin", "python")


# The server --------------------------------------------------------------------------------


def serve(socket_path):
    from snippets.common import quiet_tensorflow

    quiet_tensorflow()  # TensorFlow imported and its devices listed, with the notes hidden
    for module in PRELOAD:
        importlib.import_module(module)

    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen()
    listener.settimeout(1.0)
    print("ready", flush=True)
    while os.getppid() == parent:  # ends with the process that started it
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            continue
        connection.settimeout(None)
        message, fds, _, _ = socket.recv_fds(connection, 1 << 20, 3)
        request = json.loads(message)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            listener.close()
            connection.close()
            run_child(request, fds, socket_path)  # never returns
        for fd in fds:
            os.close(fd)
        connection.sendall(f"{pid}\n".encode())
        # Commands may overlap (two notebooks at once): each has a thread that reports its end.
        threading.Thread(
            target=report_exit, args=(pid, connection), daemon=True
        ).start()


def report_exit(pid, connection):
    _, status = os.waitpid(pid, 0)
    with connection:
        try:
            connection.sendall(
                f"{os.waitstatus_to_exitcode(status)}\n".encode()
            )
        except (
            OSError
        ):  # the client went away (killed): nobody is waiting for the status
            pass


def run_child(request, fds, socket_path):
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    for name, limits in request[
        "limits"
    ].items():  # `ulimit` in the shell that asked
        try:
            resource.setrlimit(getattr(resource, name), limits)
        except (ValueError, OSError):  # a hard limit above ours: keep ours
            pass
    os.umask(request["umask"])
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    # A Python the command starts as `sys.executable` is warm too (bench.py's thread probes).
    os.environ[SOCKET_VARIABLE] = socket_path
    sys.executable = running_python(socket_path)
    if (
        "MPLBACKEND" in os.environ
    ):  # matplotlib read it when the server imported it; this one's
        import matplotlib

        matplotlib.rcParams["backend"] = os.environ["MPLBACKEND"]
    status = 0
    try:
        kind, what, args = request["run"]
        # The import path a fresh Python would give the command: first the folder that
        # `python -m` (the working folder), `python -c` ("") or `python FILE` (the file's
        # folder) puts there, then its PYTHONPATH; so `python -m figures` from the project
        # root finds the build's code, which is not installed.
        if kind == "module":
            first = os.getcwd()
        elif kind == "code":
            first = ""
        else:
            first = os.path.dirname(os.path.abspath(what))
        extra = os.environ.get("PYTHONPATH", "").split(os.pathsep)
        sys.path[:1] = [first, *filter(None, extra)]
        if kind == "module":
            sys.argv = [
                what,
                *args,
            ]  # runpy puts the module's file in argv[0], as -m does
            runpy.run_module(what, run_name="__main__", alter_sys=True)
        elif kind == "code":
            sys.argv = ["-c", *args]
            exec(compile(what, "<string>", "exec"), {"__name__": "__main__"})
        else:
            sys.argv = [what, *args]
            runpy.run_path(what, run_name="__main__")
    except SystemExit as exit:
        if exit.code is None or isinstance(exit.code, int):
            status = exit.code or 0
        else:
            print(exit.code, file=sys.stderr)
            status = 1
    except BaseException:
        traceback.print_exc()
        status = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (
                Exception
            ):  # a closed pipe, or a kernel's stream whose socket is gone
                pass
    os._exit(status)


# The clients -------------------------------------------------------------------------------


def forwardable(args):
    """What to run for ``python ARGS`` when the server can run it, else None."""
    if len(args) >= 2 and args[0] in ("-m", "-c"):
        return ["module" if args[0] == "-m" else "code", args[1], args[2:]]
    if args and not args[0].startswith("-"):
        return ["script", args[0], args[1:]]
    return None


class WarmProcess:
    """One command running in a child of the server; the parts of Popen the tests use."""

    def __init__(self, connection, pid, stdout=None, stderr=None):
        self.connection, self.pid, self.stdout, self.stderr = (
            connection,
            pid,
            stdout,
            stderr,
        )
        self.returncode = None

    def send_signal(self, signum):
        if self.returncode is None:
            os.kill(self.pid, signum)

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def communicate(self, timeout=None):
        """Everything the command prints, once it has ended (both pipes read at once)."""
        outputs = {}
        readers = [
            threading.Thread(
                target=lambda name=name: outputs.__setitem__(
                    name, getattr(self, name).read()
                ),
                daemon=True,
            )
            for name in ("stdout", "stderr")
        ]
        for reader in readers:
            reader.start()
        self.wait(timeout)
        for reader in readers:
            reader.join(timeout)
        self.stdout.close()
        self.stderr.close()
        return outputs.get("stdout", ""), outputs.get("stderr", "")

    def wait(self, timeout=None):
        if self.returncode is None:
            self.connection.settimeout(timeout)
            try:
                reply = read_line(self.connection)
            except TimeoutError:
                raise subprocess.TimeoutExpired(self.pid, timeout) from None
            self.returncode = int(reply)
            self.connection.close()
        return self.returncode


def read_line(connection):
    data = b""
    while not data.endswith(b"\n"):
        chunk = connection.recv(64)
        if not chunk:
            raise ConnectionError("the warm Python server went away")
        data += chunk
    return data.decode()


def submit(socket_path, run, cwd, env, fds, extra_limits=None):
    """Send one command to the server; returns the connection and the child's pid."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(socket_path)
    umask = os.umask(0)
    os.umask(umask)
    limits = {
        name: resource.getrlimit(getattr(resource, name))
        for name in (
            "RLIMIT_FSIZE",
            "RLIMIT_NOFILE",
            "RLIMIT_AS",
            "RLIMIT_CPU",
            "RLIMIT_CORE",
        )
    }
    limits.update(extra_limits or {})
    request = json.dumps(
        {
            "run": run,
            "cwd": str(cwd),
            "env": dict(env),
            "limits": limits,
            "umask": umask,
        }
    ).encode()
    socket.send_fds(connection, [request], fds)
    return connection, int(read_line(connection))


class WarmPython:
    """The server of one pytest worker, started on first use (see the module's docstring)."""

    def __init__(self, folder):
        """Start a server that keeps its socket and its `python` in ``folder``, a new folder."""
        self.socket_path = str(folder / "server.sock")
        self.bin_dir = folder / "bin"
        self.bin_dir.mkdir()
        for name in ("python", "python3"):
            shim = self.bin_dir / name
            shim.write_text(
                f'#!/bin/sh\nexec {REAL_PYTHON} -S {os.path.abspath(__file__)} client "$@"\n'
            )
            shim.chmod(0o755)
        self.server = subprocess.Popen(
            [
                REAL_PYTHON,
                os.path.abspath(__file__),
                "serve",
                self.socket_path,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
        )
        ready, _, _ = select.select([self.server.stdout], [], [], 120)
        line = self.server.stdout.readline() if ready else ""
        if line != "ready\n":
            self.close()
            raise RuntimeError(
                f"the warm Python server did not start (it said {line!r})"
            )

    def environment(self, env=None):
        """``env`` (or this process's environment) with the warm `python` first on PATH."""
        env = dict(os.environ if env is None else env)
        env["PATH"] = f"{self.bin_dir}{os.pathsep}{env.get('PATH', '')}"
        env[SOCKET_VARIABLE] = self.socket_path
        return env

    def popen(self, argv, cwd, env=None, limits=None):
        """Start ``python ARGV`` (text pipes for stdout and stderr, no stdin), like Popen.

        ``limits`` sets resource limits for the command, e.g. ``{"RLIMIT_FSIZE": (n, n)}``.
        """
        request = forwardable(list(map(str, argv)))
        assert request, f"the warm Python runs -m, -c and scripts, not {argv}"
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        stdin = os.open(os.devnull, os.O_RDONLY)
        try:
            connection, pid = submit(
                self.socket_path,
                request,
                cwd,
                os.environ if env is None else env,
                [stdin, out_write, err_write],
                limits,
            )
        finally:
            for fd in (stdin, out_write, err_write):
                os.close(fd)
        return WarmProcess(
            connection,
            pid,
            open(out_read, encoding="utf-8"),
            open(err_read, encoding="utf-8"),
        )

    def run(self, argv, cwd, env=None, timeout=300, limits=None):
        """Like subprocess.run(capture_output=True, text=True) for ``python ARGV``."""
        process = self.popen(argv, cwd, env, limits)
        try:
            stdout, stderr = process.communicate(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        return subprocess.CompletedProcess(
            ["python", *map(str, argv)], process.returncode, stdout, stderr
        )

    def close(self):
        self.server.terminate()
        self.server.wait(timeout=30)
        self.server.stdout.close()


def client(args):
    """`python ARGS` from a shell: run on the server when it can, else by the real Python."""
    request = forwardable(args)
    socket_path = os.environ.get(SOCKET_VARIABLE)
    try:
        if request is None or not socket_path:
            raise ConnectionRefusedError
        connection, pid = submit(
            socket_path, request, os.getcwd(), os.environ, [0, 1, 2]
        )
    except (
        ConnectionRefusedError,
        FileNotFoundError,
    ):  # no server (any more): the real one
        os.execv(REAL_PYTHON, [REAL_PYTHON, *args])
    for signum in (
        signal.SIGINT,
        signal.SIGTERM,
        signal.SIGHUP,
    ):  # passed on to the command
        signal.signal(signum, lambda signum, frame: os.kill(pid, signum))
    status = int(read_line(connection))
    if (
        status < 0
    ):  # killed: end the same way, so that the shell sees what it would have seen
        signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
    sys.exit(status)


if __name__ == "__main__":
    role, *rest = sys.argv[1:]
    serve(*rest) if role == "serve" else client(rest)
