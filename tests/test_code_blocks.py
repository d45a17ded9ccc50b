"""Every code block the site shows, run as the site shows it.

The pages are read the way the build reads them: mkdocs.yml is loaded with mkdocs' own
loader, each page's `--8<--` includes are expanded by the same pymdownx.snippets
preprocessor with the same settings, and pytest-codeblocks parses the result, markers
(`expected-output`, `cont`, ...) included. Then:

- test_code_block runs each block. A block included from a section of snippets/<module>.py
  runs in a copy of that module's namespace, because a section is module code that relies on
  the module's imports; an inline block runs on its own, the way a reader would paste it.
  A section cut from inside a function cannot run on its own: it must compile, and the
  page's own test module (tests/test_<page>.py) must test the module it comes from. An `sh`/`bash` block runs in bash (stopping at the first
  failing command) in a scratch folder with the project's Python first on PATH; `make` there
  is a dry run in the project root, which checks that the target exists without starting
  a second `make test` inside this one.
- test_every_fence_is_collected fails when a page has a fenced block that pytest-codeblocks
  would silently skip (an info string other than exactly python/sh/bash, a `~~~` fence,
  a skip marker...).
- test_built_pages_show_only_tested_code compares the code blocks in the HTML of every
  Markdown page of the built site with the blocks collected here, so the count of code blocks
  on the site that no test runs is zero.
- the other tests check what the build adds: executed notebooks without stderr noise, and
  the "verified with" line on every page; and that every `# --8<-- [start:x]` section in
  snippets/ and exercises/ is shown by some page.
"""

import contextlib
import datetime
import importlib
import importlib.metadata
import importlib.util
import io
import os
import platform
import re
import runpy
import shlex
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import markdown
import pytest
from pymdownx.snippets import SnippetPreprocessor
from pytest_codeblocks import extract_from_buffer

from helpers import (
    built_page,
    page_html,
    site_config,
    site_pages,
    stated_comparisons,
)

ROOT = Path(__file__).resolve().parent.parent
CONFIG = site_config()
RUNNABLE = ("python", "sh", "bash")
# Put before each include line, so that after expansion a block knows where its code came from.
ORIGIN = "#~included-from~ "
MARKER = re.compile(r"<!--[-\s]*pytest-codeblocks:(.*)-->")
MARK = re.compile(r"<!--[-\s]*(pytest\.mark\..*)-->")
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")

os.environ.setdefault(
    "MPLBACKEND", "Agg"
)  # blocks that plot must not need a display


@dataclass
class Fence:
    """One fenced block as it appears on the page, before pytest-codeblocks merges any."""

    lineno: int
    char: str
    info: str
    body: str
    marker: str | None = (
        None  # the pytest-codeblocks keyword in force before it, if any
    )
    marks: list = field(default_factory=list)


@dataclass
class Page:
    src: str  # relative to docs/
    text: str = ""  # after includes are expanded
    fences: list = field(default_factory=list)
    blocks: list = field(default_factory=list)  # pytest-codeblocks' CodeBlocks
    source_fences: list = field(default_factory=list)  # in the file as written
    error: str | None = None

    def __repr__(self):  # keeps failure reports short
        return f"Page({self.src!r})"

    def where(self, lineno):
        """docs/page.md:LINE, where a fence of the expanded page starts in the file as written."""
        starts = [fence.lineno for fence in self.fences]
        if len(self.source_fences) == len(starts) and lineno in starts:
            return f"docs/{self.src}:{self.source_fences[starts.index(lineno)].lineno}"
        return f"docs/{self.src} (line {lineno} once includes are expanded)"


def without_origins(code):
    """The code as the page shows it, and the includes it came from."""
    lines = code.splitlines(keepends=True)
    origins = [
        line.strip()[len(ORIGIN) :]
        for line in lines
        if line.lstrip().startswith(ORIGIN)
    ]
    return "".join(
        line for line in lines if not line.lstrip().startswith(ORIGIN)
    ), origins


def expand_includes(text):
    """Expand `--8<--` lines exactly as the build does, marking where each include came from."""
    md = markdown.Markdown(
        extensions=CONFIG["markdown_extensions"],
        extension_configs=CONFIG["mdx_configs"],
    )
    lines = []
    for line in text.splitlines():
        include = SnippetPreprocessor.RE_ALL_SNIPPETS.match(line)
        if include and include["snippet"] and not include["escape"]:
            lines.append(
                f"{include['space']}{ORIGIN}{include['snippet'][1:-1].strip()}"
            )
        lines.append(line)
    return "\n".join(md.preprocessors["snippet"].run(lines)) + "\n"


def find_fences(text):
    """Every fenced block of a page, with the marker and marks written before it."""
    fences, marker, marks = [], None, []
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if keyword := MARKER.fullmatch(stripped):
            marker = keyword.group(1).strip("- ")
        elif mark := MARK.fullmatch(stripped):
            marks.append(mark.group(1))
        elif opening := FENCE.match(lines[i]):
            fence, indent = opening["fence"], len(opening["indent"])
            body, start = [], i + 1
            i += 1
            while i < len(lines) and not lines[i].lstrip().startswith(fence):
                line = lines[i]
                body.append(
                    line[min(indent, len(line) - len(line.lstrip(" \t"))) :]
                )
                i += 1
            fences.append(
                Fence(
                    start,
                    fence[0],
                    opening["info"].strip(),
                    "".join(body),
                    marker,
                    marks,
                )
            )
            marker, marks = None, []
        i += 1
    return fences


def read_page(src):
    page = Page(src)
    try:
        source = (Path(CONFIG["docs_dir"]) / src).read_text(encoding="utf-8")
        page.source_fences = find_fences(source)
        page.text = expand_includes(source)
        page.fences = find_fences(page.text)
        page.blocks = extract_from_buffer(io.StringIO(page.text))
    except (
        Exception
    ) as error:  # a missing include, an unclosed fence, an unknown marker
        page.error = f"{type(error).__name__}: {error}"
    return page


PAGES = [read_page(src) for src, _ in site_pages() if src.endswith(".md")]
NOTEBOOKS = [src for src, _ in site_pages() if not src.endswith(".md")]
BLOCKS = [
    pytest.param(
        page, block, id=page.where(block.lineno).removeprefix("docs/")
    )
    for page in PAGES
    for block in page.blocks
    if block.syntax in RUNNABLE
]


def test_site_has_pages():
    assert "index.md" in [page.src for page in PAGES]
    assert BLOCKS, "no code block found on any page"


@pytest.mark.parametrize("page", PAGES, ids=[page.src for page in PAGES])
def test_page_reads(page):
    assert page.error is None, f"docs/{page.src}: {page.error}"


OUTPUT_MARKERS = ("expected-output", "expected-output-ignore-whitespace")


def why_untested(fence):
    """Why pytest-codeblocks would not run (or check) this fence; empty when it will."""
    reasons = []
    if fence.char != "`":
        reasons.append("`~~~` fences are not collected; use ```")
    elif fence.marker not in OUTPUT_MARKERS and fence.info not in RUNNABLE:
        reasons.append(
            "the info string must be exactly python, sh or bash "
            "(titles, hl_lines, pycon, text... are not collected, so not tested)"
        )
    elif fence.marker not in (None, "cont", *OUTPUT_MARKERS):
        reasons.append(f"marker {fence.marker!r} would skip the block")
    reasons += [
        f"{mark} could let the block fail or be skipped unseen; no marks are allowed"
        for mark in fence.marks
    ]
    return reasons


@pytest.mark.parametrize("page", PAGES, ids=[page.src for page in PAGES])
def test_every_fence_is_collected(page):
    """A block pytest-codeblocks would not collect is a block no test runs."""
    problems = [
        f"{page.where(fence.lineno)}: {fence.char * 3}{fence.info}: {reason}"
        for fence in page.fences
        for reason in why_untested(fence)
    ]
    assert not problems, "\n".join(problems)
    # This scan and pytest-codeblocks agree on where the collected blocks start.
    starts = [
        fence.lineno
        for fence in page.fences
        if fence.marker not in ("cont", *OUTPUT_MARKERS)
    ]
    collected = [
        block.lineno for block in page.blocks if block.syntax in RUNNABLE
    ]
    assert collected == starts, (
        f"docs/{page.src}: pytest-codeblocks collected blocks at lines {collected}, expected {starts}"
    )


def section_indent(spec):
    """The indentation of a `file.py:section` include in its module (0 at module level)."""
    path, _, section = spec.partition(":")
    if (
        not section or section[0].isdigit() or section[0] == "-"
    ):  # a whole file or a line range
        return 0
    source = (ROOT / path).read_text(encoding="utf-8")
    start = re.search(
        rf"^([ \t]*)#\s*-+8<-+\s*\[\s*start\s*:\s*{re.escape(section)}\s*\]",
        source,
        re.MULTILINE,
    )
    assert start, f"section {section!r} not found in {path}"
    return len(start.group(1))


def module_of(origins):
    """The snippets module a block's code comes from, or None for an inline block."""
    modules = {
        spec.partition(":")[0]
        for spec in origins
        if re.fullmatch(r"snippets/\w+\.py", spec.partition(":")[0])
    }
    assert len(modules) <= 1, (
        f"one block includes code from several modules: {sorted(modules)}"
    )
    return modules.pop()[:-3].replace("/", ".") if modules else None


def check_output(block, output):
    if block.expected_output is None:
        return
    expected, actual = block.expected_output, output
    if block.expected_output_ignore_whitespace:
        expected, actual = (
            re.sub(r"\s+", "", expected),
            re.sub(r"\s+", "", actual),
        )
    assert actual == expected, (
        f"expected output:\n{block.expected_output}\nbut the block printed:\n{output}"
    )


def page_of(where):
    """docs/page.md from "docs/page.md:LINE" or "docs/page.md (line ...)"."""
    return re.split(r"[: ]", where, maxsplit=1)[0]


def run_python(block, code, origins, where):
    module = module_of(origins)
    if module and any(section_indent(spec) for spec in origins):
        # Cut from inside a function or method: it compiles in place, and the module's tests run it.
        compile(
            "def section():\n" + textwrap.indent(code, "    "), where, "exec"
        )
        # The page's own test module runs that function.
        test_file = (
            ROOT
            / "tests"
            / f"test_{Path(page_of(where)).stem.replace('-', '_')}.py"
        )
        assert test_file.is_file() and re.search(
            rf"\bsnippets(\.| import .*\b){module.split('.')[-1]}\b",
            test_file.read_text(encoding="utf-8"),
        ), (
            f"{where} shows code from inside a function of {module}, which {test_file.name} does not test"
        )
        assert block.expected_output is None, (
            f"{where}: code from inside a function cannot print on its own"
        )
        return
    if module:
        namespace = dict(vars(importlib.import_module(module)))
    elif solutions := {
        spec.partition(":")[0]
        for spec in origins
        if spec.startswith("exercises/solutions/")
    }:
        # A worked solution runs beside the imports of its file; the chapter's tests check it.
        namespace = runpy.run_path(str(ROOT / solutions.pop()))
    else:
        namespace = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()) as output:
        exec(compile(code, where, "exec"), namespace)
    check_output(block, output.getvalue())


def run_shell(block, code, where, cwd, warm_python):
    python_bin = Path(sys.executable).parent
    environment = warm_python.environment(
        dict(
            os.environ,
            PATH=f"{python_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        )
    )
    script = (
        f"set -eo pipefail\n"
        f'make() {{ command make --dry-run --no-print-directory -C {shlex.quote(str(ROOT))} "$@" > /dev/null; }}\n'
        f"{code}"
    )
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, (
        f"{where} exited with status {result.returncode}:\n{code}\n"
        f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}"
    )
    check_output(block, result.stdout)


@pytest.mark.parametrize("page, block", BLOCKS)
def test_code_block(page, block, tmp_path, monkeypatch, request):
    code, origins = without_origins(block.code)
    where = page.where(block.lineno)
    # `snippets` is installed (editable), so it imports from anywhere: files a block writes
    # land in a scratch folder, not in the project.
    monkeypatch.chdir(tmp_path)
    if block.syntax == "python":
        if (
            "sys.executable" in code
        ):  # a block that starts Python gets the warm one, as shells do
            warm_python = request.getfixturevalue("warm_python")
            monkeypatch.setattr(
                sys, "executable", str(warm_python.bin_dir / "python")
            )
            for (
                name,
                value,
            ) in warm_python.environment().items():  # its PATH and socket
                if os.environ.get(name) != value:
                    monkeypatch.setenv(name, value)
        run_python(block, code, origins, where)
    else:
        run_shell(
            block,
            code,
            where,
            tmp_path,
            request.getfixturevalue("warm_python"),
        )


def shown_code(text):
    """Code as a reader sees it, for comparing HTML with Markdown: no trailing spaces or blank edges."""
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


@pytest.mark.parametrize("page", PAGES, ids=[page.src for page in PAGES])
def test_built_pages_show_only_tested_code(page, built_site):
    """Each code block in the page's HTML is a collected block or the expected output of one."""
    article = built_page(built_site, page.src).select_one(
        "article.md-content__inner"
    )
    on_site = [shown_code(pre.get_text()) for pre in article.find_all("pre")]
    collected = [
        shown_code(without_origins(fence.body)[0])
        for fence in page.fences
        if not why_untested(fence)
    ]
    assert len(on_site) == len(collected), (
        f"docs/{page.src}: the built page shows {len(on_site)} code blocks, the tests account for "
        f"{len(collected)} (an indented code block or HTML <pre> is never tested: use a ```python fence)"
    )
    for number, (html_code, tested_code) in enumerate(
        zip(on_site, collected), start=1
    ):
        assert html_code == tested_code, (
            f"docs/{page.src}: code block {number} on the site differs from the tested one"
        )


@pytest.mark.parametrize("src", NOTEBOOKS)
def test_notebook_page_was_executed_quietly(src, built_site):
    """Each notebook page shows real outputs, no stderr (TensorFlow logs, warnings), and its source."""
    html = built_page(built_site, src)
    assert html.select(".jp-CodeCell .jp-OutputArea-output"), (
        f"{src}: no cell output on the page; was it executed?"
    )
    stderr = html.select('[data-mime-type="application/vnd.jupyter.stderr"]')
    assert not stderr, f"{src}: stderr shown on the page:\n" + "\n".join(
        box.get_text()[:500] for box in stderr
    )
    source = Path(src).name
    assert html.select_one(f'a[download][href="{Path(src).stem}.ipynb"]'), (
        f"{src}: no download button"
    )
    assert (page_html(built_site, src).parent / source).read_bytes() == (
        Path(CONFIG["docs_dir"]) / src
    ).read_bytes()


def test_every_page_says_what_verified_it(built_site):
    expected = {
        "data-tensorflow": importlib.metadata.version("tensorflow"),
        "data-python": platform.python_version(),
    }
    today = datetime.datetime.now(datetime.UTC).date()
    for src, _ in site_pages():
        stamp = built_page(built_site, src).select_one("aside.verified")
        assert stamp is not None, f"{src}: no 'verified' line"
        assert {key: stamp.get(key) for key in expected} == expected, src
        assert (
            abs((datetime.date.fromisoformat(stamp["data-date"]) - today).days)
            <= 1
        ), src  # built just now
        assert expected["data-tensorflow"] in stamp.get_text(), src


SECTION = re.compile(
    r"^[ \t]*#\s*-+8<-+\s*\[\s*start\s*:\s*(\w+)\s*\]", re.MULTILINE
)
INCLUDE = re.compile(r'--8<--\s*"([^":]+\.py):(\w+)"')


def test_every_section_marker_is_shown_by_some_page():
    """A `# --8<-- [start:x]` no page includes is dead weight in the module a reader reads."""
    defined = {
        f"{path.relative_to(ROOT).as_posix()}:{name}"
        for path in sorted((ROOT / "snippets").glob("*.py"))
        + sorted((ROOT / "exercises").rglob("*.py"))
        for name in SECTION.findall(path.read_text(encoding="utf-8"))
    }
    included = {
        f"{path}:{name}"
        for page in PAGES
        for path, name in INCLUDE.findall(
            (Path(CONFIG["docs_dir"]) / page.src).read_text(encoding="utf-8")
        )
    }
    assert defined, "no section markers found in snippets/"
    assert sorted(defined - included) == [], "sections no page includes"


def claims_of(src):
    """The CLAIMS that page ``src``'s own test module (tests/test_<page>.py) lists."""
    module = ROOT / "tests" / f"test_{Path(src).stem.replace('-', '_')}.py"
    if not module.is_file():
        return []
    spec = importlib.util.spec_from_file_location(
        f"claims_of_{module.stem}", module
    )
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return list(getattr(loaded, "CLAIMS", []))


@pytest.mark.parametrize("page", PAGES, ids=[page.src for page in PAGES])
def test_every_comparison_on_the_page_is_backed(page):
    """A sentence that compares ("A beats B", "no difference") is listed in the page's
    CLAIMS with the check that backs it; the page's own test module runs those checks
    (check_claims), so a comparison the numbers do not support fails there."""
    name = Path(page.src).stem
    claims = claims_of(page.src)
    unbacked = [
        sentence
        for sentence in stated_comparisons(name)
        if not any(
            " ".join(claim.sentence.split()) in sentence for claim in claims
        )
    ]
    assert not unbacked, (
        f"docs/{page.src} compares without a claim in its test module's CLAIMS:"
        + "".join(f"\n  - {sentence}" for sentence in unbacked)
    )
    if claims:  # each page's test module checks its own claims' evidence
        module = (
            ROOT / "tests" / f"test_{name.replace('-', '_')}.py"
        ).read_text(encoding="utf-8")
        assert "check_claims(" in module, (
            f"tests/test_{name}.py lists CLAIMS but never checks them"
        )
