"""The built site in a real browser: every page loads from the site alone, without errors,
and its math is rendered.

Each page of the built site is opened in headless Chromium from a local server. A page fails
if it requests anything from another host (fonts, scripts, math from a CDN), if anything is
logged to the console as an error (a missing file, a script error, math KaTeX cannot parse),
or if a formula is left unrendered (the chapters' formulas are typeset when the site is built,
the notebooks' in the browser). The reader-facing features of the theme (light/dark
toggle, search, copy buttons, previous/next footer) are checked on the home page.

Every page also has to fit: no shown line of code is longer than the line length that
`ruff format` keeps (pyproject.toml), and in the browser, at 1280 px (a laptop) and at 390 px
(a phone), nothing makes the page scroll sideways, no code block scrolls at 1280 px, every
display formula can be read from its left edge, and every image loaded and has alt text.
A screenshot of each page at each width goes to pytest's temporary folder.

Every page carries a Content-Security-Policy (docs/hooks/csp.py): scripts only from the site
and the page's own inline scripts by hash; no page reports a violation, and the playground's
worker and the Try it page work under it. The publishing workflow gives its build no right
to publish.

Then what holds for every chapter: its own test module, its companion notebook, and no
run result typed into its prose.
"""

import base64
import hashlib
import importlib.util
import re
import tomllib

import pytest
import yaml
from bs4 import BeautifulSoup, SoupStrainer
from conftest import csp_violations

from helpers import (
    DOCS,
    ROOT,
    built_page,
    check_companion_notebook,
    check_no_typed_results,
    missing_system_package,
    page,
    page_html,
    site_pages,
)

PAGES = site_pages()
RAW_MATH = re.compile(r"\$[^$\s][^$]*\$|\\\(|\\\[")

# Text of the notebook Markdown cells, with rendered math, code and KaTeX's own markup taken out.
NOTEBOOK_PROSE = """() => [...document.querySelectorAll(".jupyter-wrapper .jp-RenderedMarkdown")].map(cell => {
  const copy = cell.cloneNode(true);
  copy.querySelectorAll(".katex, code, pre").forEach(element => element.remove());
  return copy.textContent;
}).join("\\n")"""
KATEX_FONTS_LOADED = """async () => {
  await document.fonts.ready;
  return [...document.fonts].filter(font => font.family.includes("KaTeX") && font.status === "loaded").length;
}"""


@pytest.mark.parametrize("ci, outcome", [("true", "Failed"), ("", "Skipped")])
def test_a_missing_system_tool_fails_on_ci_and_is_skipped_with_its_command_elsewhere(
    ci, outcome, monkeypatch
):
    monkeypatch.setenv("CI", ci)
    hint = "needs Chromium: sudo apt-get install chromium"
    with pytest.raises(
        BaseException
    ) as raised:  # pytest's outcomes are not Exceptions
        missing_system_package(hint)
    assert type(raised.value).__name__ == outcome and hint in str(raised.value)


def test_every_built_page_is_checked(built_site):
    # The print page, every chapter on one page for the PDF, is tests/test_pdf.py's.
    built = {
        path.relative_to(built_site).as_posix()
        for path in built_site.rglob("*.html")
    } - {"404.html", "print_page/index.html"}
    checked = {
        page_html(built_site, src).relative_to(built_site).as_posix()
        for src, _ in PAGES
    }
    assert built == checked


# True once the site's katex.js has rendered the page (it runs when Material announces the page,
# which on a busy machine can come after the network has gone quiet).
MATH_RENDERED = r"""() => {
  if (document.querySelector(".arithmatex:not(:has(.katex))")) return false;
  const cells = [...document.querySelectorAll(".jupyter-wrapper .jp-RenderedMarkdown")];
  return !cells.some(cell => cell.textContent.includes("$")) || cells.some(cell => cell.querySelector(".katex"));
}"""


def wait_for_math(page):
    """Give the page's math up to 15 s to render; the checks below then say what is missing."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    try:
        page.wait_for_function(MATH_RENDERED, timeout=15_000)
    except PlaywrightTimeoutError:
        pass


@pytest.mark.parametrize("src, path", PAGES, ids=[src for src, _ in PAGES])
def test_page_loads_cleanly_renders_math_and_fits_a_laptop_and_a_phone(
    src, path, built_site, open_page, screenshots
):
    """One load of each page: what it requests and logs, its math, then its layout (below)."""
    page = open_page(path)
    static = built_page(built_site, src)
    wait_for_math(page)
    if src.endswith(".md"):
        # The chapters' math is typeset when the site is built (docs/hooks/katex.py).
        assert not static.select(".arithmatex:not(:has(.katex))"), (
            f"{src}: formulas left as TeX in the HTML"
        )
        formulas = len(static.select(".arithmatex"))
        assert page.locator(".arithmatex").count() == formulas
        unrendered = page.locator(".arithmatex:not(:has(.katex))").count()
        assert unrendered == 0, (
            f"{src}: {unrendered} of {formulas} formulas not rendered"
        )
    else:
        prose = "\n".join(
            cell.get_text() for cell in static.select(".jp-RenderedMarkdown")
        )
        formulas = len(RAW_MATH.findall(prose))
        left = RAW_MATH.findall(page.evaluate(NOTEBOOK_PROSE))
        assert not left, f"{src}: math left unrendered: {left[:5]}"
        if formulas:
            assert page.locator(".jp-RenderedMarkdown .katex").count() > 0, (
                f"{src}: no formula rendered"
            )
    assert page.locator(".katex-error").count() == 0, (
        f"{src}: KaTeX could not parse a formula"
    )
    if formulas:
        assert page.evaluate(KATEX_FONTS_LOADED) > 0, (
            f"{src}: KaTeX fonts did not load from the site"
        )

    markers = page.locator(
        "a.md-annotation__index"
    )  # code annotations, drawn by Material's script
    assert (
        markers.count()
        == page.locator(
            "a.md-annotation__index[aria-label^='annotation ']"
        ).count()
    ), f"{src}: a code annotation marker without a name for screen readers"
    assert page.locator("aside.verified").is_visible()
    assert page.locator('[data-md-component="palette"]').count() == 1, (
        f"{src}: no light/dark toggle"
    )
    assert (
        page.locator('input[data-md-component="search-query"]').count() == 1
    ), f"{src}: no search box"
    check_layout(src, page, screenshots)
    # Last, so that whatever the page fetched or logged after it loaded is counted too.
    assert page.external_requests == [], (
        f"{src} requested other hosts: {page.external_requests}"
    )
    assert page.console_errors == [], (
        f"{src} logged console errors: {page.console_errors}"
    )
    assert csp_violations(page) == [], (
        f"{src}: its Content-Security-Policy refused {csp_violations(page)}"
    )


# Code that fits, pages that fit ---------------------------------------------------------

with open(ROOT / "pyproject.toml", "rb") as file:
    LINE_LENGTH = tomllib.load(file)["tool"]["ruff"]["line-length"]

# Shown code, as opposed to printed output (```text blocks, notebook outputs), which the
# site's CSS wraps like a terminal instead of letting it scroll.
CODE = (
    "article .language-python pre, article .language-bash pre, article .language-sh pre, "
    "article .jp-InputArea pre"
)


@pytest.mark.parametrize("src, path", PAGES, ids=[src for src, _ in PAGES])
def test_shown_code_lines_fit_the_line_length(src, path, built_site):
    html = built_page(built_site, src)
    long_lines = [
        line
        for pre in html.select(CODE)
        for line in pre.get_text().splitlines()
        if len(line.rstrip()) > LINE_LENGTH
    ]
    assert not long_lines, (
        f"{src}: {len(long_lines)} shown lines longer than {LINE_LENGTH}:\n"
        + "\n".join(long_lines)
    )


LAYOUT = """async (checkCode) => {
  const problems = [];
  const visible = element => element.getClientRects().length > 0;
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) problems.push(`the page scrolls sideways: ${root.scrollWidth} px wide`);
  for (const display of document.querySelectorAll(".katex-display")) {
    if (!visible(display)) continue;
    const box = display.getBoundingClientRect();
    const parts = [...display.querySelectorAll(".katex-html > *")].map(part => part.getBoundingClientRect());
    const left = Math.min(...parts.map(part => part.left)), right = Math.max(...parts.map(part => part.right));
    const scrolls = ["auto", "scroll"].includes(getComputedStyle(display).overflowX);
    if (left < box.left - 0.5) problems.push(`formula cut off on the left by ${box.left - left} px: ${display.textContent.slice(0, 60)}`);
    else if (right > box.right + 0.5 && !scrolls) problems.push(`formula cut off on the right: ${display.textContent.slice(0, 60)}`);
  }
  for (const image of document.images) {
    if (!image.getAttribute("alt")) problems.push(`image without alt text: ${image.src.slice(0, 80)}`);
    image.loading = "eager";
    await image.decode().catch(() => null);
    if (image.naturalWidth === 0) problems.push(`image did not load: ${image.src.slice(0, 80)}`);
  }
  if (checkCode) {
    for (const code of document.querySelectorAll("article pre > code, article .jp-InputArea pre, article .jp-OutputArea pre")) {
      if (visible(code) && code.scrollWidth > code.clientWidth) {
        problems.push(`code block scrolls (${code.scrollWidth} > ${code.clientWidth} px): ${code.textContent.slice(0, 60)}`);
      }
    }
  }
  return problems;
}"""
# Quiz answers (collapsed) and inactive content tabs are measured too.
SHOW_EVERYTHING = """() => {
  document.querySelectorAll("details").forEach(details => { details.open = true; });
  const style = document.createElement("style");
  style.textContent = ".md-typeset .tabbed-set > .tabbed-content > .tabbed-block { display: block !important; }";
  document.head.append(style);
}"""


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory):
    return tmp_path_factory.mktemp("screenshots")


def check_layout(src, page, screenshots):
    """At 1280 px and at 390 px (a phone): nothing scrolls sideways or is cut off, every
    image loaded and has alt text; a page that fails leaves a screenshot in pytest's
    temporary folder, named in the failure."""
    page.evaluate(SHOW_EVERYTHING)
    name = src.replace("/", "-").rsplit(".", 1)[0]
    for width, check_code in ((1280, True), (390, False)):
        page.set_viewport_size({"width": width, "height": 800})
        problems = page.evaluate(LAYOUT, check_code)
        if problems:
            shot = screenshots / f"{name}-{width}.png"
            page.screenshot(path=shot)
            pytest.fail(
                f"{src} at {width} px (see {shot}):\n" + "\n".join(problems)
            )


def test_theme_toggle_switches_light_and_dark(open_page):
    page = open_page("")
    scheme = page.locator("body").get_attribute("data-md-color-scheme")
    page.locator("label.md-header__button[for^='__palette']:visible").click()
    toggled = page.locator("body").get_attribute("data-md-color-scheme")
    assert {scheme, toggled} == {"default", "slate"}


def test_search_finds_a_page(open_page):
    page = open_page("")
    search = page.locator('input[data-md-component="search-query"]')
    search.click()  # opens the search dialog
    search.press_sequentially("MNIST")
    page.locator(".md-search-result__item").first.wait_for(timeout=10_000)
    assert page.locator(".md-search-result__item").count() > 0
    assert page.console_errors == [] and page.external_requests == []


def test_code_blocks_have_copy_buttons_and_pages_link_onwards(open_page):
    page = open_page("")
    blocks = page.locator("article pre").count()
    assert blocks > 0
    assert (
        page.locator('article button[data-md-type="copy"]').count() == blocks
    )
    if len(PAGES) > 1:
        assert page.locator("a.md-footer__link--next").count() == 1


# Every chapter ----------------------------------------------------------------------------

CHAPTERS = [
    src.removesuffix(".md")
    for src, _ in PAGES
    if src.endswith(".md") and src != "index.md"
]
WITH_NOTEBOOKS = [
    name
    for name in CHAPTERS
    if (DOCS / "notebooks" / f"{name.replace('-', '_')}.py").is_file()
]


def test_every_page_has_its_own_test_module():
    """tests/test_<page>.py for every page, so a maintainer finds a page's tests by its name."""
    missing = [
        name
        for name in ["index", *CHAPTERS]
        if not (ROOT / "tests" / f"test_{name.replace('-', '_')}.py").is_file()
    ]
    assert not missing, f"pages without a test module: {missing}"


@pytest.mark.parametrize("name", WITH_NOTEBOOKS)
def test_chapter_links_its_companion_notebook(name):
    check_companion_notebook(name)


# The numbers in the prose that look like results but are not results of our runs.
NOT_RESULTS = {
    "index": (
        "98 %",
    ),  # the round figure the caption measures the seeds against (test_index)
    "mlp": (
        "0.1084",  # quoted: a learner's notebook built on the course ended there
        "72 %",  # quoted: the course's own text, for its linear model
        "98 %",  # the target line
        "10 %",
    ),  # chance: one digit in ten
    "troubleshooting": (
        "0.1084",
        "0.7229",  # quoted, as on the MLP page
        "72 %",  # quoted: the course's text
        "10 %",  # chance
        "100 %",
    ),  # where a training accuracy climbs: a limit, not a measurement
    "dropout": (
        "80 %",  # what keep_prob=0.8 keeps, and rate=0.8 drops: definitions
        "20 %",
    ),  # what input_keep_prob=0.8 drops
    "speed": (
        "98.0 %",  # the race's finish line
        "98 %",
        "15 %",
    ),  # the warm-up's share of the steps: a setting of the schedule
    "system": ("98.2 %", "99.0 %"),  # the presets' targets
    "augmentation": (
        "98.9 %",
        "99.05 %",  # quoted: the dropout paper's permutation-invariant results
        "99.65 %",
    ),  # quoted: Ciresan et al. 2010
    "try": (
        "1 %",  # the rounding error int8 allows: a bound, derived on the page
        "99.5 %",
        "99 %",
    ),  # the agreement the tests demand: targets
}


@pytest.mark.parametrize("name", ["index", *CHAPTERS])
def test_no_run_result_is_typed_into_the_prose(name):
    """A number a run produced comes from the run: an accuracy, a loss, a percentage, a time or
    a ratio in the prose is a definition, a target or a quoted figure, listed above."""
    check_no_typed_results(name, allowed=NOT_RESULTS.get(name, ()))


@pytest.mark.parametrize(
    "name", ["linear", "relu", "mlp", "backprop", "deeper"]
)
def test_every_fence_is_python_or_checked_output(name):
    lines = page(name).splitlines()
    fences = [
        (i, line.strip())
        for i, line in enumerate(lines)
        if line.strip().startswith("```")
    ]
    assert len(fences) % 2 == 0
    for index, fence in fences[::2]:
        assert fence in ("```python", "```text"), (
            f"{name}.md line {index + 1}: {fence}"
        )
        if fence == "```text":
            previous = next(
                line.strip()
                for line in reversed(lines[:index])
                if line.strip()
            )
            assert previous == "<!--pytest-codeblocks:expected-output-->", (
                f"{name}.md line {index + 1}"
            )


def load_katex_hook():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "katex_hook", ROOT / "docs" / "hooks" / "katex.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_build_typesets_math_and_fails_on_a_formula_katex_cannot_parse():
    from types import SimpleNamespace

    from mkdocs.exceptions import PluginError

    katex = load_katex_hook()
    page = SimpleNamespace(file=SimpleNamespace(src_path="chapter.md"))
    html = (
        '<p>If <span class="arithmatex">\\(a &lt; b\\)</span>, then</p>\n'
        '<div class="arithmatex">\\[\n\\frac{1}{2}\n\\]</div>'
    )
    typeset = BeautifulSoup(
        katex.on_post_page(html, page, config=None), "html.parser"
    )
    inline, display = typeset.select(".arithmatex")
    assert inline.name == "span" and not inline.select(".katex-display")
    assert (
        inline.select_one("annotation").get_text() == "a < b"
    )  # unescaped before KaTeX saw it
    assert (
        display.name == "div"
        and display.select_one(".katex-display annotation").get_text()
        == "\\frac{1}{2}"
    )
    assert typeset.p.get_text().startswith(
        "If "
    ) and typeset.p.get_text().endswith(", then")
    with pytest.raises(PluginError, match=r"chapter\.md: .*\\frac\{1\}"):
        katex.on_post_page(
            '<span class="arithmatex">\\(\\frac{1}\\)</span>',
            page,
            config=None,
        )


# The Content-Security-Policy (docs/hooks/csp.py) ------------------------------------------


def load_hook(name):
    spec = importlib.util.spec_from_file_location(
        f"{name}_hook", ROOT / "docs" / "hooks" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def directives(policy):
    return {
        part.split()[0]: part.split()[1:]
        for part in policy.split(";")
        if part.strip()
    }


def sha256_source(text):
    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"


REQUIRED = {
    "default-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "worker-src": ["'self'"],
    "font-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "form-action": ["'self'"],
    "connect-src": ["'self'"],
}


def check_policy(html, where):
    """The page's policy comes first in <head> (after <meta charset>), says what REQUIRED says,
    runs scripts from the site only, and lists the hash of each of its inline scripts."""
    # the head, and every script of the page: parsing the whole print page takes seconds
    soup = BeautifulSoup(html[: html.index("</head>") + 7], "html.parser")
    tags = BeautifulSoup(
        html, "html.parser", parse_only=SoupStrainer(["script", "meta"])
    )
    head = [element for element in soup.head.children if element.name]
    first = head[1] if head[0].get("charset") else head[0]
    assert (
        first.name == "meta"
        and first.get("http-equiv") == "Content-Security-Policy"
    ), f"{where}: {first}"
    assert (
        len(tags.select('meta[http-equiv="Content-Security-Policy"]')) == 1
    ), where
    policy = directives(first["content"])
    for name, sources in REQUIRED.items():
        assert policy[name] == sources, f"{where}: {name} {policy.get(name)}"
    scripts = policy["script-src"]
    assert scripts[0] == "'self'" and all(
        s.startswith("'sha256-") for s in scripts[1:]
    ), f"{where}: {scripts}"
    inline = [
        s.string or ""
        for s in tags.find_all("script")
        if not s.get("src")
        and s.get("type", "text/javascript") in ("text/javascript", "module")
    ]
    assert inline, (
        f"{where}: no inline script (Material writes some into every page)"
    )
    assert {sha256_source(text) for text in inline} == set(scripts[1:]), where
    return policy


def test_the_hook_writes_a_policy_that_hashes_each_inline_script():
    csp = load_hook("csp")
    page = (
        '<!doctype html><html><head>\n<meta charset="utf-8">\n<title>t</title>'
        '<script>var a = "&amp;</b>";</script><script src="x.js"></script>'
        '<script type="application/json">{"not": "run"}</script></head>'
        '<body><script type="module">import("./y.js")</script><script>\n</script></body></html>'
    )
    policy = check_policy(csp.with_policy(page), "a page")
    # exactly the text between the tags, entities and all, as the browser hashes it
    assert policy["script-src"][1:] == [
        sha256_source('var a = "&amp;</b>";'),
        sha256_source('import("./y.js")'),
        sha256_source("\n"),
    ]
    assert csp.with_policy(csp.with_policy(page)) == csp.with_policy(
        page
    )  # once per page
    assert (
        csp.on_post_template("<urlset></urlset>", "sitemap.xml", None)
        == "<urlset></urlset>"
    )
    # `mkdocs serve` writes a live-reload script per request: allowed there, and there only
    csp.on_startup(command="serve", dirty=False)
    served = directives(
        BeautifulSoup(csp.with_policy(page), "html.parser").meta.find_next(
            "meta"
        )["content"]
    )
    assert served["script-src"] == ["'self'", "'unsafe-inline'"] and served[
        "object-src"
    ] == ["'none'"]
    csp.on_startup(command="build", dirty=False)
    assert directives(csp.policy(page))["script-src"] == policy["script-src"]


# A page with the hook's policy, from a made-up host: its own inline script runs, a script
# slipped in afterwards (as a link or an output the build did not write might) does not, and
# the refusal is reported where the site's tests look for it.
CSP_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>csp</title>
<script>window.ours = true;</script></head><body><p id="p">text</p></body></html>"""


def test_the_policy_refuses_a_script_the_build_did_not_write(chromium):
    from conftest import CSP_LISTENER

    csp = load_hook("csp")
    page = chromium.new_page()
    messages = []
    page.on("console", lambda m: messages.append(m.text))
    try:
        page.route(
            "http://csp.test/**",
            lambda route: route.fulfill(
                status=200,
                content_type="text/html",
                body=csp.with_policy(CSP_PAGE),
            ),
        )
        page.add_init_script(CSP_LISTENER)
        page.goto("http://csp.test/")
        assert page.evaluate("window.ours === true")  # hashed: allowed
        page.evaluate("""() => { const s = document.createElement("script");
            s.textContent = "window.theirs = true"; document.body.append(s); }""")
        page.evaluate("""() => { document.getElementById("p").setAttribute("onclick", "window.theirs = true");
            document.getElementById("p").click(); }""")
        page.wait_for_function("() => window.__cspViolations.length >= 2")
        assert page.evaluate("window.theirs === undefined")
        assert all(
            v.startswith("script-src")
            for v in page.evaluate("window.__cspViolations")
        )
        assert any("Content Security Policy" in m for m in messages)
    finally:
        page.close()


def test_every_built_page_carries_its_policy(built_site):
    built = sorted(built_site.rglob("*.html"))
    assert (
        len(built) == len(PAGES) + 2
    )  # and 404.html and the print page (tests/test_pdf.py)
    for path in built:
        check_policy(
            path.read_text(encoding="utf-8"),
            path.relative_to(built_site).as_posix(),
        )


PLAYGROUND_PAGES = [
    path for src, path in PAGES if src in ("linear.md", "relu.md", "deeper.md")
]


def test_the_playground_trains_in_its_worker_under_the_policy(open_page):
    page = open_page(PLAYGROUND_PAGES[0])
    workers = []
    page.on("worker", lambda worker: workers.append(worker.url))
    page.wait_for_function(
        "() => /Step 0:/.test(document.querySelector('.pg-status').textContent)"
    )
    for _ in range(3):
        page.click(".pg-buttons button:has-text('Step')")
    page.wait_for_function(
        "() => /Step 3:/.test(document.querySelector('.pg-status').textContent)"
    )
    assert csp_violations(page) == [] and page.console_errors == []


# The publishing workflow ------------------------------------------------------------------


def test_the_build_job_cannot_publish_and_every_action_is_pinned():
    workflow = yaml.safe_load(
        (ROOT / ".github" / "workflows" / "pages.yml").read_text()
    )
    jobs = workflow["jobs"]
    assert workflow["permissions"] == {}
    assert jobs["build"]["permissions"] == {"contents": "read"}
    assert jobs["deploy"]["permissions"] == {
        "pages": "write",
        "id-token": "write",
    }
    writers = [
        name
        for name, job in jobs.items()
        if "write" in job.get("permissions", {}).values()
    ]
    assert writers == ["deploy"]
    assert [
        step["uses"].split("@")[0] for step in jobs["deploy"]["steps"]
    ] == ["actions/deploy-pages"]
    for name, job in jobs.items():
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(
                    r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]
                ), f"{name}: {step['uses']}"
    assert re.fullmatch(
        r"python:\d+\.\d+\.\d+-\w+", jobs["build"]["container"]
    )


def test_make_install_brings_its_own_setuptools_and_wheel():
    pins = dict(
        line.split("#")[0].strip().split("==")
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if "==" in line
    )
    assert {"setuptools", "wheel"} <= set(pins)
    assert "--no-build-isolation" in (ROOT / "Makefile").read_text()
