"""Files the build makes from the code before mkdocs reads the docs folder: never committed.

- generated/try/: the networks that docs/try.md runs in the reader's browser, trained and
  exported by `python -m snippets export --output docs/generated/try` (seeded, so every
  build exports the same networks);
- generated/figures/: every chapter's figures, light and dark, drawn by
  `python -m figures --output docs/generated/figures` (see figures/).

Each is kept while what it was made from is unchanged, so that `mkdocs serve` makes them
again only for an edit to what they are made from: what a chapter's figures (or Try it's networks) are made from is the
source of their module, of every module of the project it imports, directly or not, inside
a function or at the top (read from the source, nothing imported), the data folders beside
those modules that they name (snippets/best_network/, snippets/other_digits/), the files a
figure module lists in INPUTS (the benchmarks' results it shows), and the versions of Python
and of the libraries that compute and draw. Their SHA-256s are kept beside what was made
(generated/figures/inputs/<chapter>.json, generated/try/inputs.json, each written whole
after the command succeeded); a chapter whose record differs is drawn again, alone
(`--only`). With no record, or a chapter gone, everything is made again. Both commands run
at once, side by side. `make site` deletes the folders first, for a build from scratch.

Each page's figures get the width and height of their SVG file as attributes, so the browser
keeps their room from the start instead of pushing the text down as they arrive.
"""

import ast
import functools
import hashlib
import importlib.metadata
import json
import logging
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import warm_python  # a sibling: mkdocs puts this folder on the path while it loads a hook
from mkdocs.exceptions import PluginError

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
# folder in docs/, the file written last, the command that writes the folder
TRY = (
    "generated/try",
    "export.json",
    ["-m", "snippets", "export", "--output"],
)
FIGURES = ("generated/figures", "figures.json", ["-m", "figures", "--output"])
EXPORT_MODULE = "snippets.export"  # what the command runs (cli.run_export imports it; a test checks)
# What computes and draws: a new version may change a figure without any file changing.
LIBRARIES = ("tensorflow", "keras", "numpy", "matplotlib")
log = logging.getLogger("mkdocs.hooks.generated")


def python():
    """The warm Python (docs/hooks/warm_python.py) that the notebooks hook, which runs
    first, started or was given: the commands start with TensorFlow loaded. Else this one."""
    return warm_python.running_python() or sys.executable


# What a folder is made from ---------------------------------------------------------------


def module_file(name, root=PROJECT_ROOT):
    """The file of the project's module ``name`` (dotted), or None for a library's."""
    path = root.joinpath(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@functools.lru_cache(maxsize=4096)
def _read(path, stamp):
    """A file's SHA-256, and for a Python file what it imports (names as written, anywhere in
    it), the strings it holds and its INPUTS; cached while the file's size and time stay."""
    content = path.read_bytes()
    imported, strings, listed = set(), set(), []
    if path.suffix == ".py":
        tree = ast.parse(content)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.level == 0
            ):
                imported.add(node.module)
                imported.update(
                    f"{node.module}.{alias.name}" for alias in node.names
                )  # submodules
            elif isinstance(node, ast.Constant) and isinstance(
                node.value, str
            ):
                strings.add(node.value)
        listed = next(
            (
                ast.literal_eval(node.value)
                for node in tree.body
                if isinstance(node, ast.Assign)
                and any(
                    getattr(target, "id", None) == "INPUTS"
                    for target in node.targets
                )
            ),
            [],
        )
    return (
        hashlib.sha256(content).hexdigest(),
        frozenset(imported),
        frozenset(strings),
        tuple(listed),
    )


def read(path):
    status = path.stat()
    return _read(path, (status.st_mtime_ns, status.st_size))


def files_under(folder, pattern="*"):
    return [
        path
        for path in sorted(folder.glob(pattern))
        if path.is_file() and "__pycache__" not in path.parts
    ]


def imported_by(path, root=PROJECT_ROOT):
    """The project's modules that the file at ``path`` imports, anywhere in it."""
    return {name for name in read(path)[1] if module_file(name, root)}


def data_beside(path):
    """The files of the folders beside a module that it names in a string: the data it reads
    (snippets/export.py's "best_network", snippets/other_digits.py's "other_digits")."""
    strings = read(path)[2]
    return [
        file
        for folder in sorted(path.parent.iterdir())
        if folder.name in strings
        and folder.is_dir()
        and not (folder / "__init__.py").is_file()
        for file in files_under(folder, "**/*")
    ]


def listed_inputs(path, root=PROJECT_ROOT):
    """The files a module lists in INPUTS: glob patterns from the project root, read from the
    source (``INPUTS = ["benchmarks/speed/*.json"]``)."""
    return [
        file
        for pattern in read(path)[3]
        for file in files_under(root, pattern)
    ]


def inputs(module, root=PROJECT_ROOT):
    """Every file that what ``module`` makes is made from: its source, the sources of the
    project's modules it imports (directly or not, with their packages' __init__.py), their
    data, and the files it lists in INPUTS. ``module`` is a dotted name, or the path of a
    script that is no module (a notebook's source, for example)."""
    if isinstance(module, Path):
        start, waiting = module, sorted(imported_by(module, root))
    else:
        start, waiting = module_file(module, root), [module]
    files, seen = {start}, set()
    while waiting:
        name = waiting.pop()
        parts = name.split(".")
        packages = [
            ".".join(parts[:end]) for end in range(1, len(parts))
        ]  # importing a.b runs a
        for each in [name, *packages]:
            if each in seen:
                continue
            seen.add(each)
            path = module_file(each, root)
            if (
                path is None
            ):  # a folder without __init__.py (benchmarks/): no code of its own
                continue
            files.update([path, *data_beside(path)])
            waiting.extend(imported_by(path, root) - seen)
    files.update(listed_inputs(start, root))
    return sorted(files)


@functools.cache
def versions():
    """The versions of Python and of the libraries that compute and draw."""
    found = {"python": platform.python_version()}
    for library in LIBRARIES:
        try:
            found[library] = importlib.metadata.version(library)
        except importlib.metadata.PackageNotFoundError:
            found[library] = None
    return found


def fingerprint(module, root=PROJECT_ROOT):
    """{"inputs": {file: SHA-256}, "versions": {...}}: what ``module`` makes is up to date
    while this is unchanged."""
    return {
        "inputs": {
            path.relative_to(root).as_posix(): read(path)[0]
            for path in inputs(module, root)
        },
        "versions": versions(),
    }


def recorded(path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def record(path, value):
    """Write ``path`` whole (a build stopped half-way leaves the old record or none)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}."
    )
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        json.dump(value, file, indent=1, sort_keys=True)
    os.replace(temporary, path)


def chapters(root=PROJECT_ROOT):
    """The modules of figures/, one per page (as figures.chapters(), without importing it)."""
    return sorted(
        path.stem
        for path in (root / "figures").glob("*.py")
        if not path.stem.startswith("_")
    )


def to_draw(last_file, records, wanted):
    """Which chapters to draw, given their fingerprints ``wanted``: None when every record in
    the folder ``records`` matches, a list of chapters to draw again in place, or [] for all
    of them from scratch (nothing drawn yet, nothing of it reusable, or a chapter gone)."""
    fresh = [
        chapter
        for chapter in wanted
        if recorded(records / f"{chapter}.json") == wanted[chapter]
    ]
    gone = {path.stem for path in records.glob("*.json")} - set(wanted)
    if not last_file.is_file() or not fresh or gone:
        return []
    stale = [chapter for chapter in wanted if chapter not in fresh]
    return stale or None


# Making them --------------------------------------------------------------------------------


def start(command, folder, only=()):
    arguments = [
        python(),
        *command,
        str(folder),
        *(["--only", *only] if only else []),
    ]
    log.info(
        f"making {folder}{' (' + ', '.join(only) + ')' if only else ''}: python {' '.join(arguments[1:])}"
    )
    return subprocess.Popen(
        arguments,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def on_pre_build(config):
    checking = time.perf_counter()
    docs = Path(config.docs_dir)
    started = []  # (command, process, {record file: fingerprint} to write once it succeeded)

    folder, last_file, command = TRY
    folder = docs / folder
    wanted = fingerprint(EXPORT_MODULE)
    if (
        not (folder / last_file).is_file()
        or recorded(folder / "inputs.json") != wanted
    ):
        started.append(
            (command, start(command, folder), {folder / "inputs.json": wanted})
        )

    folder, last_file, command = FIGURES
    folder = docs / folder
    wanted = {
        chapter: fingerprint(f"figures.{chapter}") for chapter in chapters()
    }
    stale = to_draw(folder / last_file, folder / "inputs", wanted)
    log.info(
        f"checked what Try it's networks and the {len(wanted)} chapters' figures are made from "
        f"in {time.perf_counter() - checking:.2f} s"
    )
    if stale is None:
        log.info(f"{folder}: every chapter's figures are up to date")
    else:
        started.append(
            (
                command,
                start(command, folder, stale),
                {
                    folder / "inputs" / f"{chapter}.json": wanted[chapter]
                    for chapter in stale or wanted
                },
            )
        )

    for command, process, records_to_write in started:
        making = time.perf_counter()
        stdout, stderr = process.communicate()
        if process.returncode != 0:
            raise PluginError(
                f"python {' '.join(command)} failed (exit {process.returncode}): "
                f"{stderr.strip()[-3000:]}"
            )
        for path, value in records_to_write.items():
            record(path, value)
        log.info(
            next(
                line
                for line in reversed(stdout.splitlines())
                if line and not line.startswith("{")
            )
            + f" ({time.perf_counter() - making:.0f} s)"
        )


def on_serve(server, config, builder):
    """`mkdocs serve` watches docs/, but what this hook writes into docs/generated/ is no
    edit: it watches the rest of docs/ (its files, its folders but generated/), so that
    redrawn figures do not start another build, and what the figures are drawn from outside
    docs/ and snippets/ (which mkdocs.yml's watch names): figures/ and benchmarks/."""
    docs = Path(config.docs_dir)
    server.unwatch(config.docs_dir)
    server.watch(config.docs_dir, recursive=False)  # a new page
    for path in sorted(docs.iterdir()):
        if path.is_dir() and path.name != "generated":
            server.watch(str(path))
    for folder in ("figures", "benchmarks"):
        server.watch(str(PROJECT_ROOT / folder))
    return server


FIGURE = re.compile(
    r'<img (?P<attributes>[^>]*?)src="(?P<src>[^"#]*generated/figures/(?P<name>[\w-]+\.svg))'
)
SIZE = re.compile(
    r'<svg [^>]*?width="(?P<width>[\d.]+)pt" height="(?P<height>[\d.]+)pt"'
)


def with_size(match, folder):
    """The <img> start of a figure, with the SVG's size in CSS pixels (1 pt = 4/3 px)."""
    if "width=" in match["attributes"]:
        return match[0]
    size = SIZE.search(
        (folder / match["name"]).read_text(encoding="utf-8")[:2000]
    )
    if size is None:
        return match[0]
    width, height = (
        round(float(size[key]) * 4 / 3) for key in ("width", "height")
    )
    return f'<img width="{width}" height="{height}" {match["attributes"]}src="{match["src"]}'


def on_page_content(html, page, config, files):
    folder = Path(config.docs_dir) / "generated" / "figures"
    return FIGURE.sub(lambda match: with_size(match, folder), html)
