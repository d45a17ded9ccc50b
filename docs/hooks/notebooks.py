"""Run the companion notebooks the way a reader would, side by side, and keep their pages clean.

mkdocs-jupyter executes each notebook in a fresh IPython kernel, a child of the build
process, so the kernel inherits the environment set here:

- PYTHONPATH gets the project root, so `import snippets` works from any working directory;
- IPYTHONDIR points to a profile with `capture_fd_output = False`: otherwise the kernel
  copies everything written to file descriptor 2 (TensorFlow's C++ logging) onto the page
  as red error boxes;
- MPLBACKEND is the inline backend, as a kernel normally has, even when the build itself
  runs under a headless setting such as MPLBACKEND=Agg (plots would vanish from the pages).

A notebook is executed again only when something it was built from changed, so that
`mkdocs serve` shows an edit to a chapter in seconds. Each executed notebook is cached in
.cache/notebooks/ (`make site` deletes it: that build stays cold) with the SHA-256 of its
inputs:

- the notebook's source;
- the sources of the `snippets` modules it imports, found by reading the import statements
  of the notebook and, transitively, of those modules (the warm kernels below have most of
  them loaded before the notebook starts, so the kernel would not see them being read);
- every other file under the project the kernel opened for reading while it ran (a
  results file under benchmarks/, MNIST, a module imported for the first time), noted by
  an audit hook that an IPython start-up file installs in each kernel;

and, in its key, mkdocs-jupyter's options for it and the versions of Python and of the
packages that execute and render it. A build reuses an entry while every one of these is
unchanged.

Besides its HTML, each notebook is kept as .ipynb with the outputs of the run that built
its page (nbconvert's executed notebook), and written next to the page, where the page's
download button (docs/overrides/main.html) hands it out.

mkdocs-jupyter converts one notebook after another, and much of a notebook's time is a
kernel starting and TensorFlow loading. So at the start of each build:

- every notebook the cache cannot give is converted by mkdocs-jupyter's own function, with
  the arguments mkdocs-jupyter will pass, in a pool of worker processes, one per CPU,
  started before the build's other work (this hook comes first in mkdocs.yml); when mkdocs-jupyter
  asks for a page, it gets the finished HTML. Anything that does not match (another
  argument, another file) falls back to converting on the spot, so the pages are the same
  as without the pool, only sooner;
- the kernels start warm: the kernel spec `python3` is pointed at the `python` of a warm
  Python server (docs/hooks/warm_python.py), which has imported TensorFlow, ipykernel and
  the snippets modules once and forks a fresh kernel process for each notebook. A new
  server starts with every build that executes a notebook, so the kernels always run the
  current snippets/.

nbconvert also puts two loaders on every notebook page: MathJax (with an empty address) and
mermaid.js from a CDN (used only for Mermaid diagram outputs, which these notebooks do not
make). Both are removed: the site renders math with its own KaTeX (docs/hooks/katex.py) and
loads nothing from other hosts.
"""

import ast
import copy
import hashlib
import importlib.metadata
import importlib.util
import json
import multiprocessing
import os
import pathlib
import platform
import re
import shutil
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import jupytext
import nbformat
from mkdocs_jupyter import convert
from mkdocs_jupyter import plugin as jupyter_plugin
from nbconvert.preprocessors import ExecutePreprocessor

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
# The build's notebooks, figures and export read the project's MNIST (`make` sets this too).
os.environ.setdefault("MNIST_DIR", str(PROJECT_ROOT / "data" / "mnist"))
IPYTHON_DIR = PROJECT_ROOT / ".cache" / "ipython"
CACHE_DIR = (
    PROJECT_ROOT / ".cache" / "notebooks"
)  # `make site` deletes it: a cold build
KERNEL_CONFIG = """\
c.IPKernelApp.capture_fd_output = False  # fd 2 (C++ logs) goes to the build log, not the page
c.IPKernelApp.log_level = "ERROR"  # no start-up chatter about the local TCP transport
"""
# Where a kernel notes the files it reads (set by `execute` for the kernel it starts).
READS_VARIABLE = "DOCS_NOTEBOOK_READS"
# An IPython start-up file, run in each kernel before the notebook's first cell: an audit
# hook notes every file under the project the kernel opens for reading (a results file, a
# module imported for the first time), one path a line, as it happens: a kernel ends
# without running exit handlers.
RECORD_READS = f"""\
def _note_reads():
    import os
    import sys

    where = os.environ.get({READS_VARIABLE!r})
    if not where:
        return
    root = {str(PROJECT_ROOT) + os.sep!r}
    log = open(where, "a", buffering=1, encoding="utf-8")
    seen = set()

    def note(event, args):
        if event != "open":
            return
        try:
            path, mode, flags = args
            writing = any(c in mode for c in "wax+") if mode else flags & (os.O_WRONLY | os.O_RDWR)
            path = os.path.abspath(os.fsdecode(path))
            if not writing and path.startswith(root) and path not in seen:
                seen.add(path)
                log.write(path + "\\n")
        except Exception:  # a file descriptor, an odd argument: nothing to note
            pass

    sys.addaudithook(note)


_note_reads()
del _note_reads
"""
# What else decides a notebook's page: the code that runs and renders it.
PACKAGES = (
    "mkdocs-jupyter",
    "nbconvert",
    "nbclient",
    "nbformat",
    "jupytext",
    "ipykernel",
    "tensorflow",
    "keras",
    "numpy",
    "matplotlib",
)
CACHE_FORMAT = 1

MATHJAX_LOADER = re.compile(
    r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.DOTALL
)
MERMAID_LOADER = re.compile(
    r'<script type="module">(?:(?!</script>).)*?\.jp-Mermaid(?:(?!</script>).)*</script>',
    re.DOTALL,
)

# The options of mkdocs-jupyter that it passes on to convert.nb2html (see its plugin.py).
CONVERT_OPTIONS = (
    "kernel_name",
    "theme",
    "allow_errors",
    "show_input",
    "no_input",
    "no_prompt",
    "remove_tag_config",
    "highlight_extra_classes",
    "include_requirejs",
    "custom_mathjax_url",
)

convert_one = convert.nb2html  # mkdocs-jupyter's own, used by `execute`
toc_of = (
    jupyter_plugin._get_nb_toc_tokens
)  # mkdocs-jupyter's own, memoised by `toc_tokens`
pool = None
converting = {}  # notebook path -> (arguments, future outcome of `execute`)
done = {}  # notebook path -> (arguments, HTML, .ipynb text) of this build
warm = None  # the warm Python server of this build, and its folder
digests = {}  # (path, size, time, inode) -> SHA-256 of a large file, while `mkdocs serve` runs
LARGE = 1 << 20
tocs = {}  # (path, SHA-256, depth) -> mkdocs-jupyter's table of contents of the notebook


# The executed notebook -------------------------------------------------------------------


def keep_executed(preprocess):
    """nbconvert's ExecutePreprocessor.preprocess, keeping a copy of each notebook it ran, as
    it left it (the HTML exporter runs it and keeps only the HTML)."""

    def preprocess_and_keep(self, nb, resources=None, km=None):
        nb, resources = preprocess(self, nb, resources, km)
        preprocess_and_keep.executed.append(copy.deepcopy(nb))
        return nb, resources

    preprocess_and_keep.executed = []
    return preprocess_and_keep


if not hasattr(ExecutePreprocessor.preprocess, "executed"):  # once a process
    ExecutePreprocessor.preprocess = keep_executed(
        ExecutePreprocessor.preprocess
    )
executed = (
    ExecutePreprocessor.preprocess.executed
)  # the notebooks run in this process


def execute(path, arguments):
    """mkdocs-jupyter's conversion of one notebook, and what else it leaves: the HTML of the
    page, the notebook as .ipynb with the outputs of that same run, and the files the kernel
    read. Runs in a worker of the pool (or in the build, when it has none)."""
    with tempfile.NamedTemporaryFile(
        "r", encoding="utf-8", prefix="notebook-reads-", suffix=".txt"
    ) as reads:
        os.environ[READS_VARIABLE] = (
            reads.name
        )  # inherited by the kernel this starts
        executed.clear()
        try:
            html = convert_one(path, **arguments)
        finally:
            del os.environ[READS_VARIABLE]
        read = sorted(set(reads.read().splitlines()))
    notebook = executed[-1] if executed else jupytext.read(path)
    notebook.metadata.pop(
        "jupytext", None
    )  # a plain notebook, not one paired with a text file
    return html, nbformat.writes(notebook), read


# Pickled by name for the pool's workers, which load this file under that name (WORKER_SETUP).
WORKER_MODULE = "docs_hooks_notebooks"
execute.__module__ = WORKER_MODULE
if __name__ in sys.modules:
    sys.modules[WORKER_MODULE] = sys.modules[__name__]
WORKER_SETUP = f"""\
import importlib.util, sys
spec = importlib.util.spec_from_file_location({WORKER_MODULE!r}, {os.path.abspath(__file__)!r})
module = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = module
spec.loader.exec_module(module)
"""


# The cache: a notebook's page is reused while everything it was built from is unchanged ---


def digest(path):
    """SHA-256 of a file's bytes, None when it is missing. A large file (MNIST) is hashed
    again only when its size or time changes; a small one (a module, a results file) always,
    as two edits within the file system's time step would look the same."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    key = (str(path), stat.st_size, stat.st_mtime_ns, stat.st_ino)
    if key not in digests:
        with open(path, "rb") as file:
            value = hashlib.file_digest(file, "sha256").hexdigest()
        if stat.st_size < LARGE:
            return value
        digests[key] = value
    return digests[key]


def imported_modules(source, package=""):
    """The modules the `import` statements of ``source`` may load, relative ones resolved
    against ``package``; each `from m import n` also gives `m.n`, which may be a module."""
    try:
        tree = ast.parse(source)
    except (
        SyntaxError
    ):  # IPython syntax: the cell's magics are dropped before this
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                parts = package.split(".")[
                    : len(package.split(".")) - node.level + 1
                ]
                module = ".".join(filter(None, [*parts, module]))
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def module_file(name):
    """The source of a project module (`snippets.train`), or None for a name that is not one."""
    base = PROJECT_ROOT.joinpath(*name.split("."))
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return path
    return None


def imported_files(notebook):
    """The sources of the `snippets` modules the notebook imports, with every one they import
    in turn and the packages above them, found by reading their imports."""
    cells = jupytext.read(notebook).cells
    code = [
        "\n".join(
            line
            for line in cell.source.splitlines()
            if not line.lstrip().startswith(("%", "!"))
        )
        for cell in cells
        if cell.cell_type == "code"
    ]
    todo = [name for cell in code for name in imported_modules(cell)]
    found = {}
    while todo:
        parts = todo.pop().split(".")
        if parts[0] != "snippets":
            continue
        for end in range(
            1, len(parts) + 1
        ):  # importing a.b.c runs a and a.b first
            name = ".".join(parts[:end])
            if name not in found:
                found[name] = path = module_file(name)
                if path is not None:
                    package = (
                        name
                        if path.name == "__init__.py"
                        else name.rpartition(".")[0]
                    )
                    todo.extend(
                        imported_modules(
                            path.read_text(encoding="utf-8"), package
                        )
                    )
    return {path for path in found.values() if path is not None}


# Not inputs: installed packages (their versions are in the key) and build output.
NOT_INPUTS = (".venv/", "node_modules/", ".cache/", "site/")


def project_file(path):
    """A file the kernel read, as the input it stands for (a module's source for its compiled
    .pyc), relative to the project; None for a file that is not an input."""
    path = Path(path)
    if path.suffix == ".pyc" and path.parent.name == "__pycache__":
        path = path.parent.parent / (path.name.split(".", 1)[0] + ".py")
    relative = path.relative_to(PROJECT_ROOT).as_posix()
    if relative.startswith(NOT_INPUTS) or not path.is_file():
        return None
    return relative


def cache_key(path, arguments):
    """Everything but the files that decides a notebook's page."""
    return {
        "format": CACHE_FORMAT,
        "notebook": Path(path).relative_to(PROJECT_ROOT).as_posix(),
        "arguments": arguments,
        "python": platform.python_version(),
        "packages": {
            name: importlib.metadata.version(name) for name in PACKAGES
        },
    }


def cache_file(path):
    return CACHE_DIR / (
        Path(path).relative_to(PROJECT_ROOT).as_posix().replace("/", "--")
        + ".json"
    )


def cached(path, arguments):
    """The page's HTML and .ipynb of an earlier build, when nothing it was built from changed."""
    try:
        entry = json.loads(cache_file(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if entry.get("key") != json.loads(json.dumps(cache_key(path, arguments))):
        return None
    if not all(
        digest(PROJECT_ROOT / name) == sha
        for name, sha in entry["inputs"].items()
    ):
        return None
    return entry["html"], entry["ipynb"]


def store(path, arguments, html, ipynb, read):
    """Keep a build's notebook for the next build (written whole, then renamed into place)."""
    inputs = {
        Path(path),
        *imported_files(path),
        *(
            PROJECT_ROOT / name
            for name in filter(None, map(project_file, read))
        ),
    }
    entry = {
        "key": cache_key(path, arguments),
        "html": html,
        "ipynb": ipynb,
        "inputs": {
            Path(name).relative_to(PROJECT_ROOT).as_posix(): digest(name)
            for name in sorted(inputs)
        },
    }
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w",
        encoding="utf-8",
        dir=CACHE_DIR,
        prefix=".",
        suffix=".tmp",
        delete=False,
    ) as temporary:
        json.dump(entry, temporary)
    os.replace(temporary.name, cache_file(path))


def toc_tokens(path, toc_depth):
    """mkdocs-jupyter's table of contents of a notebook (it converts the notebook again for
    it), once per version of the notebook while `mkdocs serve` runs."""
    key = (path, digest(path), toc_depth)
    if key not in tocs:
        tocs[key] = toc_of(path, toc_depth)
    return copy.deepcopy(tocs[key])


# The warm kernels and the pool -----------------------------------------------------------


def load_warm_python():
    spec = importlib.util.spec_from_file_location(
        "warm_python", Path(__file__).with_name("warm_python.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def start_warm_kernels():
    """A warm Python server, and a `python3` kernel spec that starts kernels from it.

    Under the tests, which start a warm Python of their own before they start the build
    (tests/conftest.py), the build uses theirs (it is in WARM_PYTHON_SOCKET) instead."""
    global warm
    warm_python = load_warm_python()
    folder = Path(tempfile.mkdtemp(prefix="warm-kernels-"))
    python = warm_python.running_python()
    if python:
        server = None
    else:
        server = warm_python.WarmPython(folder)
        python = server.bin_dir / "python"
    spec = folder / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [
                    str(python),
                    "-m",
                    "ipykernel_launcher",
                    "-f",
                    "{connection_file}",
                ],
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
                "metadata": {"debugger": True},
            }
        )
    )
    # Seen by the pool's workers, which start after this, and the kernels they launch.
    saved = {
        name: os.environ.get(name)
        for name in ("JUPYTER_PATH", warm_python.SOCKET_VARIABLE)
    }
    if server is not None:
        os.environ[warm_python.SOCKET_VARIABLE] = server.socket_path
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [
            str(folder / "jupyter"),
            *filter(
                None, os.environ.get("JUPYTER_PATH", "").split(os.pathsep)
            ),
        ]
    )
    warm = (server, folder, saved)


def stop_warm_kernels():
    global warm
    if warm is not None:
        server, folder, saved = warm
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if server is not None:  # not the tests' server: they stop their own
            server.close()
        shutil.rmtree(folder, ignore_errors=True)
        warm = None


def on_config(config):
    profile = IPYTHON_DIR / "profile_default"
    (profile / "startup").mkdir(parents=True, exist_ok=True)
    (profile / "ipython_kernel_config.py").write_text(KERNEL_CONFIG)
    (profile / "startup" / "00-note-reads.py").write_text(RECORD_READS)
    os.environ["IPYTHONDIR"] = str(IPYTHON_DIR)
    paths = [
        str(PROJECT_ROOT),
        *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep)),
    ]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    return config


def arguments_for(path, options):
    """What mkdocs-jupyter will pass to convert.nb2html for this notebook."""
    run = options["execute"] and not any(
        pathlib.PurePath(path).match(p) for p in options["execute_ignore"]
    )
    return dict(
        execute=run, **{name: options[name] for name in CONVERT_OPTIONS}
    )


def converted(path, **arguments):
    """Stands in for convert.nb2html: this build's page of the notebook, from the cache or the
    pool when they hold it for these arguments, else converted now; a new one is cached."""
    if path in done and done[path][0] == arguments:
        return done[path][1]
    started = converting.pop(path, None)
    html, ipynb, read = (
        started[1].result()
        if started and started[0] == arguments
        else execute(path, arguments)
    )
    store(path, arguments, html, ipynb, read)
    done[path] = (arguments, html, ipynb)
    return html


def notebooks_of(config):
    """The notebooks mkdocs-jupyter will convert: what its own test accepts in docs/."""
    plugin = config.plugins["mkdocs-jupyter"]
    return [
        str(path)
        for path in sorted(Path(config.docs_dir).rglob("*"))
        if path.is_file()
        and plugin.should_include(SimpleNamespace(abs_src_path=str(path)))
    ]


def on_pre_build(config):
    """Reuse what the cache holds, and start the rest at once, before the other hooks'
    pre-build work (docs/hooks/generated.py draws the figures and exports Try it's network,
    which no notebook needs): a cold build then runs both side by side."""
    global pool
    plugin = config.plugins["mkdocs-jupyter"]
    stop_pool()
    missing = []
    for path in notebooks_of(config):
        arguments = arguments_for(path, plugin.config)
        reused = cached(path, arguments)
        if reused:
            done[path] = (arguments, *reused)
        else:
            missing.append((path, arguments))
    if plugin.config["execute"] and missing:
        start_warm_kernels()
        # "spawn": fresh workers, safe beside the threads of `mkdocs serve`. Each loads this
        # file, which imports mkdocs_jupyter.convert, for the heading ids it patches into nbconvert.
        pool = ProcessPoolExecutor(
            min(len(missing), os.cpu_count() or 1),
            multiprocessing.get_context("spawn"),
            initializer=exec,
            initargs=(WORKER_SETUP, {}),
        )
        for path, arguments in missing:
            converting[path] = (
                arguments,
                pool.submit(execute, path, arguments),
            )
    convert.nb2html = converted
    jupyter_plugin._get_nb_toc_tokens = toc_tokens


def stop_pool():
    global pool
    if pool is not None:
        pool.shutdown(cancel_futures=True)
        pool = None
    converting.clear()
    convert.nb2html = convert_one
    jupyter_plugin._get_nb_toc_tokens = toc_of
    stop_warm_kernels()


def on_post_build(config):
    stop_pool()
    done.clear()


def on_build_error(error):
    stop_pool()
    done.clear()


def on_page_content(html, page, config, files):
    if page.file.src_uri.startswith(
        "notebooks/"
    ) and page.file.src_uri.endswith(".py"):
        return MERMAID_LOADER.sub("", MATHJAX_LOADER.sub("", html))
    return html


def on_post_page(output, page, config):
    """Beside each notebook's page, the notebook as .ipynb, with the outputs the page shows:
    the page's download button hands it out (docs/overrides/main.html)."""
    notebook = done.get(page.file.abs_src_path)
    if notebook is not None:
        target = (
            Path(page.file.abs_dest_path).parent
            / Path(page.file.src_uri).with_suffix(".ipynb").name
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(notebook[2], encoding="utf-8")
    return output
