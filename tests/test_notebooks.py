"""The companion notebooks as a reader gets them: each page's download button hands out an
.ipynb with the outputs the page shows, which opens in Jupyter and runs; and the build's
cache of executed notebooks (docs/hooks/notebooks.py) is reused only while nothing a
notebook was built from has changed."""

import importlib.util
import os
import re

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

from helpers import DOCS, built_page, page_html, site_pages

NOTEBOOKS = [src for src, _ in site_pages() if src.startswith("notebooks/")]
# The one run end to end: it needs no TensorFlow, so it is the quickest.
RUN = "notebooks/index.py"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def flat(text):
    """Text as compared between the notebook and the page: no colour codes, spaces folded."""
    return " ".join(ANSI.sub("", text).split())


def downloaded(built_site, src):
    """The page's HTML and the notebook its download button hands out."""
    html = built_page(built_site, src)
    button = html.select_one("a[download]")
    assert button is not None, f"{src}: no download button"
    assert (
        button["href"] == f"{src.rsplit('/', 1)[1].removesuffix('.py')}.ipynb"
    ), button["href"]
    return html, page_html(built_site, src).parent / button["href"]


def shown_outputs(output):
    """What a page shows of one output: its text, or its PNG as the page embeds it."""
    if output.output_type == "stream":
        return "text", output.text
    if output.output_type == "error":
        return "error", "\n".join(output.traceback)
    data = output.get("data", {})
    if "image/png" in data:
        return "png", "".join(data["image/png"].split())
    if set(data) == {"text/plain"}:
        return "text", data["text/plain"]
    return (
        "other",
        None,
    )  # Markdown or HTML: rendered by nbconvert, not comparable as text


@pytest.mark.parametrize("src", NOTEBOOKS)
def test_each_notebook_downloads_as_an_ipynb_with_the_outputs_of_its_page(
    src, built_site
):
    html, path = downloaded(built_site, src)
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"
    assert (
        "jupytext" not in notebook.metadata
    )  # a plain notebook, not paired with a text file
    # The jupytext source stays the single source: the same cells, in the same order.
    source = jupytext.read(DOCS / src)
    assert [(cell.cell_type, cell.source) for cell in notebook.cells] == [
        (cell.cell_type, cell.source) for cell in source.cells
    ]
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(
        range(1, len(code) + 1)
    ), f"{src}: not run in order"
    # Each code cell's outputs are those its cell on the page (the one with its id) shows, in order.
    page_cells = [
        html.select_one(f'.jp-CodeCell[id="cell-id={cell.id}"]')
        for cell in code
    ]
    assert None not in page_cells, (
        f"{src}: a code cell of the notebook is not on the page"
    )
    assert len(html.select(".jp-CodeCell[id]")) == len(code), (
        f"{src}: the page has other code cells"
    )
    for number, (cell, page_cell) in enumerate(zip(code, page_cells), start=1):
        areas = page_cell.select(".jp-OutputArea-output")
        assert bool(areas) == bool(cell.outputs), (
            f"{src}, code cell {number}: outputs on the page or the notebook only"
        )
        shown = flat(" ".join(area.get_text() for area in areas))
        position = 0
        for kind, value in map(shown_outputs, cell.outputs):
            assert kind != "error", (
                f"{src}, code cell {number}: an error in the notebook:\n{value}"
            )
            if kind == "text":
                position = shown.find(flat(value), position)
                assert position >= 0, (
                    f"{src}, code cell {number}: output not on the page:\n{value[:500]}"
                )
            elif kind == "png":
                assert page_cell.select_one(
                    f'img[src="data:image/png;base64,{value}"]'
                ), (
                    f"{src}, code cell {number}: a figure that is not the page's"
                )
    assert any(cell.outputs for cell in code), (
        f"{src}: a notebook without outputs"
    )


def test_a_downloaded_notebook_runs_end_to_end_from_a_fresh_folder(
    built_site, tmp_path
):
    """As a reader runs it: copied to a folder of its own, in a new kernel of the Python the
    project is installed in (no build profile, the kernel's own plotting backend)."""
    _, path = downloaded(built_site, RUN)
    notebook = nbformat.read(path, as_version=4)
    (tmp_path / path.name).write_text(
        nbformat.writes(notebook), encoding="utf-8"
    )
    rerun = nbformat.read(tmp_path / path.name, as_version=4)
    for cell in rerun.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in ("MPLBACKEND", "IPYTHONDIR")
    }
    environment["IPYTHONDIR"] = str(tmp_path / "ipython")
    NotebookClient(
        rerun,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute(env=environment)
    printed = [
        [
            output.text
            for output in cell.outputs
            if output.output_type == "stream"
        ]
        for cell in notebook.cells
        if cell.cell_type == "code"
    ]
    printed_again = [
        [
            output.text
            for output in cell.outputs
            if output.output_type == "stream"
        ]
        for cell in rerun.cells
        if cell.cell_type == "code"
    ]
    assert printed_again == printed
    figures = [
        output
        for cell in rerun.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]
    assert len(figures) == sum(
        "plt.show()" in cell.source
        for cell in rerun.cells
        if cell.cell_type == "code"
    )


# The build's cache ----------------------------------------------------------------------


@pytest.fixture
def hook(tmp_path, monkeypatch):
    """docs/hooks/notebooks.py, working on a small project in ``tmp_path``: a notebook that
    imports a module of a `snippets` package, which imports another, and a results file."""
    spec = importlib.util.spec_from_file_location(
        "notebooks_hook_under_test", DOCS / "hooks" / "notebooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (tmp_path / "snippets").mkdir()
    (tmp_path / "snippets" / "__init__.py").write_text("")
    (tmp_path / "snippets" / "chapter.py").write_text(
        "from .helper import twice\n"
    )
    (tmp_path / "snippets" / "helper.py").write_text(
        "def twice(x):\n    return 2 * x\n"
    )
    (tmp_path / "snippets" / "unrelated.py").write_text("")
    (tmp_path / "results.json").write_text("{}")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "chapter.py").write_text(
        "# %%\nimport json\n\nfrom snippets.chapter import twice\n\nprint(twice(2))\n"
    )
    monkeypatch.setattr(module, "PROJECT_ROOT", tmp_path)
    monkeypatch.setattr(module, "CACHE_DIR", tmp_path / ".cache" / "notebooks")
    return module


def test_the_cache_keeps_a_notebook_while_nothing_it_was_built_from_changes(
    hook, tmp_path
):
    notebook, arguments = (
        str(tmp_path / "docs" / "chapter.py"),
        {"execute": True, "theme": ""},
    )
    assert {path.name for path in hook.imported_files(notebook)} == {
        "__init__.py",
        "chapter.py",
        "helper.py",
    }
    assert hook.cached(notebook, arguments) is None
    read = [
        str(tmp_path / "results.json"),
        str(tmp_path / "snippets" / "__pycache__" / "helper.cpython-311.pyc"),
    ]
    hook.store(notebook, arguments, "<p>4</p>", '{"cells": []}', read)
    assert hook.cached(notebook, arguments) == ("<p>4</p>", '{"cells": []}')
    assert (
        hook.cached(notebook, {**arguments, "theme": "dark"}) is None
    )  # other options
    assert not list(
        hook.CACHE_DIR.glob(".*.tmp")
    )  # written whole, then renamed
    (tmp_path / "snippets" / "unrelated.py").write_text(
        "x = 1\n"
    )  # not imported: still cached
    assert hook.cached(notebook, arguments) is not None
    for path, edited in [
        ("snippets/helper.py", "def twice(x):\n    return x + x\n"),
        ("results.json", '{"accuracy": 0.98}'),
        ("docs/chapter.py", "# %%\nprint(4)\n"),
    ]:
        original = (tmp_path / path).read_text()
        (tmp_path / path).write_text(edited)
        assert hook.cached(notebook, arguments) is None, (
            f"an edit to {path} did not invalidate the notebook"
        )
        (tmp_path / path).write_text(original)
        assert hook.cached(notebook, arguments) is not None
    (tmp_path / "results.json").unlink()
    assert hook.cached(notebook, arguments) is None
