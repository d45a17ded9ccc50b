"""Helpers the test modules share: reading the pages, running commands, the site's layout.

The fixtures (a slice of MNIST, the built site, a browser) are in conftest.py.
"""

import contextlib
import functools
import importlib.util
import io
import json
import os
import re
import runpy
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import snippets

ROOT = Path(__file__).resolve().parent.parent
# The tests read the project's copy of MNIST, which `make install` fetched (and `make`
# points MNIST_DIR at), even when pytest is started without make.
os.environ.setdefault("MNIST_DIR", str(ROOT / "data" / "mnist"))
DOCS = ROOT / "docs"

# TensorFlow's thread pools, sized for the whole run by conftest.py. A process whose numbers
# are compared bit for bit with another's must get the same: float sums are split across
# threads, so a different count rounds differently.
THREAD_VARIABLES = (
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
    "OMP_NUM_THREADS",
)


def run_under_node(runner, module, request, timeout=60):
    """Run the JavaScript ``runner`` under Node with ``module`` (a file of the site's
    JavaScript) as its argument and ``request`` as JSON on stdin; its JSON answer.

    This is how the tests prove the browser's code computes what TensorFlow computes."""
    node = shutil.which("node")
    assert node, f"Node.js is needed: {module.name} is tested under it"
    done = subprocess.run(
        [node, "-e", runner, str(module)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def missing_system_package(message):
    """Skip on a reader's machine; fail on CI, where .ci/run must have installed it.

    Chromium and pdftotext are system packages, which `make` cannot install without root.
    A reader who has not installed them still gets every other test, and is told how to
    get these; CI never skips them.
    """
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def minimal_environment():
    """A bare environment, as a cron job or a batch scheduler gives, with the run's threads
    and where its data is."""
    return {
        "PATH": "/usr/bin:/bin",
        "MNIST_DIR": os.environ["MNIST_DIR"],
        **{
            name: os.environ[name]
            for name in THREAD_VARIABLES
            if name in os.environ
        },
    }


def quiet(message):
    """A log function that prints nothing, for ``train(..., log=quiet)``."""


def run_snippets(*args, cwd=None, timeout=300, env=None):
    """Run ``python -m <args>`` in a fresh process, as a reader would."""
    environment = dict(os.environ, **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
        check=False,
    )


def run_command(*argv, module="snippets"):
    """``python -m snippets ARGV`` (or another ``module``) run in this process: no TensorFlow
    start-up to wait for.

    It runs the module's __main__ with ``runpy``, as ``python -m`` does. Returns a
    ``CompletedProcess`` with the exit status and what was printed, like ``run_snippets``;
    use ``run_snippets`` where a fresh process is the point.
    """
    stdout, stderr = io.StringIO(), io.StringIO()
    saved_argv, sys.argv = sys.argv, [f"python -m {module}", *map(str, argv)]
    try:
        with (
            contextlib.redirect_stdout(stdout),
            contextlib.redirect_stderr(stderr),
        ):
            try:
                runpy.run_module(module, run_name="__main__")
                status = 0
            except (
                SystemExit
            ) as exit:  # how __main__ ends, and argparse's errors and --help
                status = exit.code
    finally:
        sys.argv = saved_argv
    return subprocess.CompletedProcess(
        ["python", "-m", module, *map(str, argv)],
        status,
        stdout.getvalue(),
        stderr.getvalue(),
    )


def one_line_error(stderr):
    """True when ``stderr`` is a single line and no traceback: how every mistake is told."""
    return stderr.count("\n") == 1 and "Traceback" not in stderr


# Pages -----------------------------------------------------------------------------------


def page(name):
    """The Markdown of docs/<name>.md as written (``name`` with or without ``.md``)."""
    return (DOCS / f"{name.removesuffix('.md')}.md").read_text(
        encoding="utf-8"
    )


def quiz(name, title_part):
    """The text of the collapsible quiz on docs/<name>.md whose title contains ``title_part``."""
    match = re.search(
        rf'^\?\?\? question "Quiz:[^"\n]*{re.escape(title_part)}[^"\n]*"\n'
        r"((?:[ \t]*\n|    .*\n)+)",
        page(name),
        re.MULTILINE,
    )
    assert match, f"{name}: no collapsible quiz mentioning {title_part!r}"
    return match.group(1)


def number(text):
    """A number as a page writes it: "203,530" or LaTeX's "203{,}530"."""
    return int(text.replace(",", "").replace("{", "").replace("}", ""))


def pmatrix(latex):
    """A LaTeX pmatrix body as a NumPy array."""
    return np.array(
        [
            [float(entry) for entry in row.split("&")]
            for row in latex.split("\\\\")
        ]
    )


def tab_sets(text):
    """The labels of each run of consecutive content tabs, in page order."""
    sets, current = [], []
    for line in text.splitlines():
        if match := re.match(r'^=== "(.*)"', line):
            current.append(match.group(1))
        elif line and not line.startswith((" ", "\t")) and current:
            sets.append(current)
            current = []
    return sets + ([current] if current else [])


def keras_tabs(name):
    """The snippets/in_keras.py sections that page ``name`` shows in a "Keras" tab right after
    a "From scratch" tab."""
    text = page(name)
    shown = []
    for match in re.finditer(
        r'^=== "From scratch"\n(?:(?:    .*)?\n)+=== "Keras"\n((?:(?:    .*)?\n)+)',
        text,
        re.MULTILINE,
    ):
        shown += re.findall(
            r'--8<-- "snippets/in_keras\.py:(\w+)"', match.group(1)
        )
    return shown


def notebook_of(name):
    """The companion notebook's source for docs/<name>.md."""
    return (DOCS / "notebooks" / f"{name.replace('-', '_')}.py").read_text(
        encoding="utf-8"
    )


# The modules that never load TensorFlow (a test in test_system.py checks that they do not).
TENSORFLOW_FREE_MODULES = snippets.TENSORFLOW_FREE_MODULES


def check_companion_notebook(name):
    """The page links its notebook, which quiets TensorFlow first (if it loads TensorFlow at
    all) and links only real pages."""
    notebook = f"{name.replace('-', '_')}.py"
    assert f"](notebooks/{notebook})" in page(name), (
        f"{name}.md does not link {notebook}"
    )
    source = notebook_of(name)
    code_cells = [
        cell.strip()
        for cell in source.split("# %%")[1:]
        if not cell.startswith(" [markdown]")
    ]
    modules = set(
        re.findall(r"^(?:from|import) snippets\.(\w+)", source, re.MULTILINE)
    )
    if "tensorflow" in source or modules - TENSORFLOW_FREE_MODULES:
        assert code_cells[0].startswith(
            "from snippets.common import quiet_tensorflow"
        ), f"{notebook}: the first code cell must quiet TensorFlow first"
    assert (
        "%matplotlib" not in source
        and "urlopen" not in source
        and "requests" not in source
    )
    for target in re.findall(r"\]\(\.\./\.\./([\w-]+)/\)", source):
        assert (DOCS / f"{target}.md").is_file(), (
            f"{notebook} links to a missing page {target}"
        )


FIGURE = re.compile(
    r'<figure markdown="span">\n(?P<body>(?:(?!</figure>).)*)</figure>',
    re.DOTALL,
)
IMAGE = re.compile(
    r"!\[(?P<alt>[^\]]*)\]\(generated/figures/(?P<name>[\w-]+)-(?P<palette>light|dark)\.svg"
    r"#only-(?P<shown>light|dark)\)"
)


def page_figures(name):
    """The figures of docs/<name>.md: {figure name: (alt text, caption)}.

    Each is drawn by figures/ in both palettes; the page shows the light one in the
    light scheme and the dark one in the dark scheme, with the same alt text, and a caption.
    """
    figures = {}
    for match in FIGURE.finditer(page(name)):
        images = [image.groupdict() for image in IMAGE.finditer(match["body"])]
        assert [(image["palette"], image["shown"]) for image in images] == [
            ("light", "light"),
            ("dark", "dark"),
        ], (
            f"{name}.md: a figure needs its light and its dark image, in that order:\n{match['body']}"
        )
        assert (
            images[0]["name"] == images[1]["name"]
            and images[0]["alt"] == images[1]["alt"]
        )
        # markdown="span": the caption's math and links are rendered, not shown as typed
        caption = re.search(
            r'<figcaption markdown="span">(.*?)</figcaption>',
            match["body"],
            re.DOTALL,
        )
        assert caption and caption.group(1).strip(), (
            f'{name}.md: figure {images[0]["name"]} needs a <figcaption markdown="span">'
        )
        figures[images[0]["name"]] = (
            images[0]["alt"],
            " ".join(caption.group(1).split()),
        )
    return figures


def check_figures(name, module):
    """The page shows every figure its module of figures/ draws, and no other, each
    with alt text that says what it shows and a caption; returns {name: (alt, caption)}."""
    figures = page_figures(name)
    assert sorted(figures) == sorted(figure for figure, _, _ in module.FIGURES)
    assert len(figures) >= 2, (
        f"{name}.md: every chapter has at least two figures"
    )
    for figure, (alt, _) in figures.items():
        assert len(alt.split()) >= 12, (
            f"{name}.md: the alt text of {figure} should say what it shows"
        )
        assert not re.search(r"\d\.\d", alt), (
            f"{name}.md: a result typed into the alt text of {figure}"
        )
    return figures


# What a number measured by a run looks like in prose: an accuracy or a loss (0.9812), a
# percentage (98.1 %), a time (27 s, 3.5 ms, 12 minutes) or a ratio (2.2x).
# "95 % interval" names the kind of interval, not a result, so it is not counted.
TYPED_RESULT = re.compile(
    r"(?<![\w.])(?:0\.\d{4}\b|\d+(?:[.,]\d+)?(?:\s|&nbsp;)?"
    r"(?:%(?!\s*(?:confidence\s+)?intervals?\b)|x\b|×(?!\s*\d)"
    r"|(?:ms|s|seconds?|minutes?|min|hours?)\b))"
)


def typed_numbers(name):
    """The numbers in page ``name``'s prose that look like run results. Code, checked output,
    math and figure captions' alt text are not prose."""
    text = page(name)
    prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    prose = re.sub(r"`[^`\n]*`", "", prose)
    prose = re.sub(r"\$\$.*?\$\$|\$[^$\n]+\$", "", prose, flags=re.DOTALL)
    prose = re.sub(
        r"!\[[^\]]*\]\([^)]*\)", "", prose
    )  # an image's alt text and address
    return [" ".join(match.split()) for match in TYPED_RESULT.findall(prose)]


def check_no_typed_results(name, allowed=()):
    """No run result typed into prose: a number a run measured is shown by the code that
    measures it (a checked output, a figure), so it can never go stale.

    ``allowed`` are the numbers that are not results of our runs (a target, a definition,
    a quoted figure from the course), each with the reason in the caller's comment; each
    must still be on the page, so the list cannot go stale either.
    """
    text = page(name)
    assert "<!--pytest.mark" not in text
    assert "skip" not in re.findall(r"<!--pytest-codeblocks:(\w+)", text)
    typed = sorted(set(typed_numbers(name)) - set(allowed))
    assert not typed, (
        f"{name}: numbers {typed} look like run results typed by hand"
    )
    stale = sorted(set(allowed) - set(typed_numbers(name)))
    assert not stale, (
        f"{name}: allowed numbers {stale} are no longer in its prose"
    )


# Comparisons a page states --------------------------------------------------------------

# The words with which prose compares two networks or recipes. A sentence of a page that uses
# one must be backed: the page's test module lists it in CLAIMS with the check that holds
# the evidence to it (test_code_blocks.py::test_every_comparison_on_the_page_is_backed).
COMPARISON = re.compile(
    r"\b(?:beats?|beaten|outperform\w*|(?:better|worse|more accurate|less accurate) than"
    r"|(?:is|are|was|were|does|do|did|generali[sz]es?|reads?) (?:\w+ )?(?:better|worse)\b"
    r"|no difference|(?:slightly|clearly|well) (?:ahead|behind)|higher accuracy|lower accuracy"
    r"|more accurate|less accurate)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Claim:
    """A comparison a page states, and the check of the evidence behind it.

    ``sentence`` is a part of the page's prose, as written (whitespace may differ), long
    enough to hold the comparison's words; ``backed_by`` is a function of no arguments that
    asserts the evidence (a paired test, the spread over seeds) supports exactly what the
    sentence says: "A is better" needs a significant difference, "no difference detected"
    needs none."""

    sentence: str
    backed_by: Callable[[], None]


def prose_paragraphs(name):
    """Page ``name``'s prose, a paragraph a line: no code, math, HTML tags, headings or
    image addresses."""
    text = page(name)
    prose = re.sub(r"```.*?```", "\n\n", text, flags=re.DOTALL)
    prose = re.sub(r"<!--.*?-->", " ", prose, flags=re.DOTALL)
    prose = re.sub(r"\$\$.*?\$\$", " ", prose, flags=re.DOTALL)
    prose = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", prose)
    prose = re.sub(
        r"^\s*#.*$|</?[a-z][^>]*>", "\n\n", prose, flags=re.MULTILINE
    )
    paragraphs = (
        " ".join(part.split()) for part in re.split(r"\n\s*\n", prose)
    )
    return [paragraph for paragraph in paragraphs if paragraph]


def prose_of(name):
    """Page ``name``'s prose on one line."""
    return " ".join(prose_paragraphs(name))


def stated_comparisons(name):
    """The sentences of page ``name``'s prose that compare, by the words in COMPARISON."""
    sentences = [
        sentence
        for paragraph in prose_paragraphs(name)
        for sentence in re.split(
            r"(?<=[.!?:;])\s+(?=[A-Z(*\[`\"|])", paragraph
        )
    ]
    return [sentence for sentence in sentences if COMPARISON.search(sentence)]


def check_claims(name, claims):
    """Each claim's sentence is on page ``name`` and its evidence holds."""
    prose = prose_of(name)
    for claim in claims:
        assert " ".join(claim.sentence.split()) in prose, (
            f"{name}: the claim {claim.sentence!r} is no longer on the page"
        )
        claim.backed_by()


# The site's layout -----------------------------------------------------------------------


@functools.cache
def site_config():
    from mkdocs.config import load_config

    return load_config(str(ROOT / "mkdocs.yml"))


def page_url(src):
    """URL path of a page: "linear.md" -> "linear/", "notebooks/index.py" -> "notebooks/"."""
    stem = src.rsplit(".", 1)[0]
    name = stem.rsplit("/", 1)[-1]
    folder = stem[: len(stem) - len(name)]
    if name in ("index", "README"):
        return folder
    return (
        f"{stem}/" if site_config()["use_directory_urls"] else f"{stem}.html"
    )


def page_html(site, src):
    """The built HTML file of a page."""
    url = page_url(src)
    return site / (
        url + "index.html" if url == "" or url.endswith("/") else url
    )


@functools.cache
def parsed_html(path, stamp):
    from bs4 import BeautifulSoup

    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def built_page(site, src):
    """A built page's HTML, parsed once per test process while the file stays the same
    (a full parse of every page takes 5 s, and five tests read them all): read it, do not
    change it."""
    path = page_html(site, src)
    status = path.stat()
    return parsed_html(path, (status.st_mtime_ns, status.st_size))


def site_pages():
    """(source under docs/, URL path) of every page: the Markdown pages, then the notebooks."""
    from mkdocs.structure.files import get_files

    config = site_config()
    docs = Path(config["docs_dir"])
    sources = [
        file.src_uri
        for file in get_files(config).documentation_pages()
        if file.src_uri.endswith(".md")
    ]
    for pattern in config.plugins["mkdocs-jupyter"].config["include"]:
        sources += sorted(
            path.relative_to(docs).as_posix() for path in docs.glob(pattern)
        )
    return [(src, page_url(src)) for src in sources]


def build_hook(name):
    """docs/hooks/<name>.py as a module, loaded by path as mkdocs loads it."""
    spec = importlib.util.spec_from_file_location(
        f"{name}_hook", DOCS / "hooks" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def chapter_parts():
    """The one list of chapters: the navigation's parts and their chapters, in order, read
    as the build reads them (docs/hooks/chapters.py): [(part, [(title, "linear.md"), ...])]."""
    return build_hook("chapters").parts(site_config()["nav"])


def chapters():
    """Every chapter's page name, in the navigation's order: ["linear", "relu", ...]."""
    return [
        src.removesuffix(".md")
        for _, pages in chapter_parts()
        for _, src in pages
    ]


def random_batch(rows=64, n_inputs=784, n_classes=10, seed=0):
    """Pixels in [0, 1] and one-hot labels, drawn from a seed: a batch shaped like MNIST's."""
    rng = np.random.default_rng(seed)
    labels = np.eye(n_classes, dtype=np.float32)[
        rng.integers(0, n_classes, rows)
    ]
    return rng.random((rows, n_inputs), dtype=np.float32), labels


def check_keras_twin(
    scratch, model, scratch_variables, penalty=lambda: 0.0, x=None, y=None
):
    """A "From scratch" tab and its "Keras" tab compute the same thing: given the same weights
    (copied into the Keras model by snippets.in_keras.set_weights_from), the same logits, the
    same loss (Keras' cross-entropy plus the layers' own penalties, as `fit` adds them) and the
    same gradient for every variable, to float32 tolerance. ``scratch_variables`` are the
    hand-written model's variables in the Keras model's order of trainable variables.
    """
    import keras
    import tensorflow as tf

    from snippets.in_keras import set_weights_from
    from snippets.linear import softmax_cross_entropy

    if x is None:
        x, y = random_batch(
            n_inputs=model.input_shape[-1], n_classes=model.output_shape[-1]
        )
    set_weights_from(scratch, model)
    assert len(model.trainable_variables) == len(scratch_variables)
    cross_entropy = keras.losses.CategoricalCrossentropy(from_logits=True)
    with tf.GradientTape(persistent=True) as tape:
        ours_logits = scratch(x)
        ours = softmax_cross_entropy(ours_logits, y) + penalty()
        theirs_logits = model(x, training=False)
        theirs = cross_entropy(y, theirs_logits) + sum(model.losses)
    np.testing.assert_allclose(
        theirs_logits, ours_logits, rtol=1e-5, atol=1e-5
    )
    np.testing.assert_allclose(float(theirs), float(ours), rtol=1e-6)
    ours_gradients = tape.gradient(ours, scratch_variables)
    theirs_gradients = tape.gradient(theirs, model.trainable_variables)
    for mine, keras_gradient, variable in zip(
        ours_gradients, theirs_gradients, model.trainable_variables
    ):
        assert keras_gradient.shape == mine.shape, variable.path
        np.testing.assert_allclose(
            keras_gradient, mine, rtol=1e-4, atol=1e-6, err_msg=variable.path
        )
    return float(ours)


def paste_solutions(chapter, folder):
    """The chapter's starter file with every worked solution pasted in, as a learner
    does: each `def` of the starter replaced by the solution's section (the block the
    page shows, from exercises/solutions/<chapter>.py). Returns the new file's path."""
    import ast
    import textwrap

    module = chapter.replace("-", "_")
    solutions = (ROOT / "exercises" / "solutions" / f"{module}.py").read_text()
    starter = (ROOT / "exercises" / f"{module}.py").read_text()
    lines = starter.splitlines(keepends=True)
    functions = {
        node.name: node
        for node in ast.parse(starter).body
        if isinstance(node, ast.FunctionDef)
    }
    # from the bottom up, so that the line numbers above stay right
    for name, node in sorted(
        functions.items(), key=lambda item: -item[1].lineno
    ):
        match = re.search(
            rf"# --8<-- \[start:{name}\]\n(.*?)# --8<-- \[end:{name}\]",
            solutions,
            re.DOTALL,
        )
        assert match, f"exercises/solutions/{module}.py has no section {name}"
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        lines[first - 1 : node.end_lineno] = [
            textwrap.dedent(match.group(1)).rstrip() + "\n"
        ]
    path = Path(folder) / f"{module}.py"
    path.write_text("".join(lines))
    return path


def check_exercises(chapter, folder=None):
    """A chapter's exercises: at least three, each with a worked solution on the page;
    the solutions pasted into the starter file pass every check, and on the untouched
    starter `check` says only "not written yet" for each (the formula with --hint), exit 1."""
    import tempfile

    from snippets.exercises import check_here, exercises_of

    module = chapter.replace("-", "_")
    exercises = exercises_of(chapter)
    names = [exercise.name for exercise in exercises]
    assert len(names) >= 3, f"{chapter} has {len(names)} exercises"
    text = page(chapter)
    assert "\n## Exercises\n" in text, f"{chapter}.md has no Exercises section"
    exercises_part = text.split("\n## Exercises\n", 1)[1]
    shown = re.findall(
        rf'--8<-- "exercises/solutions/{module}\.py:(\w+)"', exercises_part
    )
    assert shown == names, (
        f"{chapter}.md shows the solutions {shown}, the checks are {names}"
    )
    assert len(
        re.findall(r'\?\?\? success "Worked solution"', exercises_part)
    ) == len(names)
    summary = f"{len(names)} of {len(names)} exercises of {chapter} pass"
    with tempfile.TemporaryDirectory() as temporary:
        pasted = paste_solutions(chapter, folder or temporary)
        lines = []
        assert check_here(chapter, pasted, out=lines.append) == 0, lines
        assert lines == [f"PASS    {name}" for name in names] + [summary], (
            lines
        )
    for hint in (False, True):
        lines = []
        assert (
            check_here(
                chapter,
                ROOT / "exercises" / f"{module}.py",
                out=lines.append,
                hint=hint,
            )
            == 1
        )
        todo = [f"TODO    {name}: not written yet." for name in names]
        if hint:
            todo = [
                f"{line} Hint: {exercise.hint}"
                for line, exercise in zip(todo, exercises)
            ]
        assert lines == todo + [
            f"0 of {len(names)} exercises of {chapter} pass"
        ], lines


# Benchmarks and ports ------------------------------------------------------------------------


def load_benchmark_script(name):
    """benchmarks/<name>.py as a module (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        name, ROOT / "benchmarks" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_ports(count):
    """Ports that nothing listens on now (the system picks them)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
