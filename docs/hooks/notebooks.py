"""Run the companion notebooks the way a reader would, side by side, and keep their pages clean.

mkdocs-jupyter executes each notebook in a fresh IPython kernel, a child of the build
process, so the kernel inherits the environment set here:

- PYTHONPATH gets the project root, so `import snippets` works from any working directory;
- IPYTHONDIR points to a profile with `capture_fd_output = False`: otherwise the kernel
  copies everything written to file descriptor 2 (TensorFlow's C++ logging) onto the page
  as red error boxes;
- MPLBACKEND is the inline backend, as a kernel normally has, even when the build itself
  runs under a headless setting such as MPLBACKEND=Agg (plots would vanish from the pages).

mkdocs-jupyter converts one notebook after another, and much of a notebook's time is a
kernel starting and TensorFlow loading. So at the start of each build:

- every notebook is converted by mkdocs-jupyter's own function, with the arguments
  mkdocs-jupyter will pass, in a pool of worker processes, one per CPU, started before the
  build's other work (this hook comes first in mkdocs.yml); when mkdocs-jupyter
  asks for a page, it gets the finished HTML. Anything that does not match (another
  argument, another file) falls back to converting on the spot, so the pages are the same
  as without the pool, only sooner;
- the kernels start warm: the kernel spec `python3` is pointed at the `python` of a warm
  Python server (docs/hooks/warm_python.py), which has imported TensorFlow, ipykernel and
  the snippets modules once and forks a fresh kernel process for each notebook. A new
  server starts with every build, so the kernels always run the current snippets/.

nbconvert also puts two loaders on every notebook page: MathJax (with an empty address) and
mermaid.js from a CDN (used only for Mermaid diagram outputs, which these notebooks do not
make). Both are removed: the site renders math with its own KaTeX (docs/hooks/katex.py) and
loads nothing from other hosts.
"""

import importlib.util
import json
import multiprocessing
import os
import pathlib
import re
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from types import SimpleNamespace

from mkdocs_jupyter import convert

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
IPYTHON_DIR = PROJECT_ROOT / ".cache" / "ipython"
KERNEL_CONFIG = """\
c.IPKernelApp.capture_fd_output = False  # fd 2 (C++ logs) goes to the build log, not the page
c.IPKernelApp.log_level = "ERROR"  # no start-up chatter about the local TCP transport
"""

MATHJAX_LOADER = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.DOTALL)
MERMAID_LOADER = re.compile(r'<script type="module">(?:(?!</script>).)*?\.jp-Mermaid(?:(?!</script>).)*</script>', re.DOTALL)

# The options of mkdocs-jupyter that it passes on to convert.nb2html (see its plugin.py).
CONVERT_OPTIONS = ("kernel_name", "theme", "allow_errors", "show_input", "no_input", "no_prompt",
                   "remove_tag_config", "highlight_extra_classes", "include_requirejs", "custom_mathjax_url")

convert_one = convert.nb2html  # mkdocs-jupyter's own, used by the workers and as the fallback
pool = None
converting = {}  # notebook path -> (arguments, future HTML)
warm = None  # the warm Python server of this build, and its folder


def load_warm_python():
    spec = importlib.util.spec_from_file_location("warm_python", Path(__file__).with_name("warm_python.py"))
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
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)", "language": "python", "metadata": {"debugger": True}}))
    # Seen by the pool's workers, which start after this, and the kernels they launch.
    saved = {name: os.environ.get(name) for name in ("JUPYTER_PATH", warm_python.SOCKET_VARIABLE)}
    if server is not None:
        os.environ[warm_python.SOCKET_VARIABLE] = server.socket_path
    os.environ["JUPYTER_PATH"] = os.pathsep.join([str(folder / "jupyter"), *filter(
        None, os.environ.get("JUPYTER_PATH", "").split(os.pathsep))])
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
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "ipython_kernel_config.py").write_text(KERNEL_CONFIG)
    os.environ["IPYTHONDIR"] = str(IPYTHON_DIR)
    paths = [str(PROJECT_ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    return config


def arguments_for(path, options):
    """What mkdocs-jupyter will pass to convert.nb2html for this notebook."""
    execute = options["execute"] and not any(pathlib.PurePath(path).match(p) for p in options["execute_ignore"])
    return dict(execute=execute, **{name: options[name] for name in CONVERT_OPTIONS})


def converted(path, **arguments):
    """Stands in for convert.nb2html: the pool's result when it was started with these arguments."""
    started = converting.pop(path, None)
    if started and started[0] == arguments:
        return started[1].result()
    return convert_one(path, **arguments)


def notebooks_of(config):
    """The notebooks mkdocs-jupyter will convert: what its own test accepts in docs/."""
    plugin = config.plugins["mkdocs-jupyter"]
    return [str(path) for path in sorted(Path(config.docs_dir).rglob("*"))
            if path.is_file() and plugin.should_include(SimpleNamespace(abs_src_path=str(path)))]


def on_pre_build(config):
    """Start at once, before the other hooks' pre-build work (docs/hooks/generated.py draws
    the figures and exports Try it's network, which no notebook needs): a cold build then
    runs both side by side."""
    global pool
    plugin = config.plugins["mkdocs-jupyter"]
    notebooks = notebooks_of(config)
    stop_pool()
    if plugin.config["execute"] and notebooks:
        start_warm_kernels()
    if plugin.config["execute"] and len(notebooks) > 1:
        # "spawn": fresh workers, safe beside the threads of `mkdocs serve`. Each imports
        # mkdocs_jupyter.convert first, for the heading ids it patches into nbconvert.
        pool = ProcessPoolExecutor(min(len(notebooks), os.cpu_count() or 1), multiprocessing.get_context("spawn"),
                                   initializer=importlib.import_module, initargs=("mkdocs_jupyter.convert",))
        for path in notebooks:
            arguments = arguments_for(path, plugin.config)
            converting[path] = (arguments, pool.submit(convert_one, path, **arguments))
        convert.nb2html = converted


def stop_pool():
    global pool
    if pool is not None:
        pool.shutdown(cancel_futures=True)
        pool = None
    converting.clear()
    convert.nb2html = convert_one
    stop_warm_kernels()


def on_post_build(config):
    stop_pool()


def on_build_error(error):
    stop_pool()


def on_page_content(html, page, config, files):
    if page.file.src_uri.startswith("notebooks/") and page.file.src_uri.endswith(".py"):
        return MERMAID_LOADER.sub("", MATHJAX_LOADER.sub("", html))
    return html
