"""`make pdf`: the whole course in one PDF (docs/hooks/pdf.py prints the build's print page).

The build that the other tests of the site check also writes the print page
(mkdocs-print-site-plugin, fitted to the hooks by docs/hooks/print_page.py); here it is
checked as built, then printed once, by the session's Chromium from the session's local
server, and the PDF is read back with pdftotext: the table of contents and then every
chapter, in the navigation's order; no formula left as TeX; every figure's caption; a page
number on every page. The printer itself refuses to print a page whose math, pictures or
palette are not finished, or whose code runs past the page's edge.

`make pdf` without Chromium, or with a site that does not build, says so in one line and
leaves no PDF behind: those run the printer's command line with a Chromium that is not
there and with a build that cannot start, which cost no browser and no build.
"""

import html
import os
import re
import shutil
import subprocess
import sys
import unicodedata

import pytest
from bs4 import BeautifulSoup, SoupStrainer
from mkdocs_print_site_plugin.urls import get_page_key

from helpers import (
    DOCS,
    ROOT,
    build_hook,
    chapter_parts,
    missing_system_package,
    page_html,
    page_url,
    site_config,
)

printer = build_hook("pdf")

PRINT_PAGE = "print_page/index.html"


def chapters():
    """(navigation title, source) of every page the PDF holds, in the navigation's order:
    the home page, then every part's chapters (the notebooks are left out)."""
    ((home_title, home),) = site_config()["nav"][0].items()
    return [(home_title, home)] + [
        page for _, pages in chapter_parts() for page in pages
    ]


def plain(text):
    """Text as pdftotext and the HTML both give it: ligatures undone, no zero-width spaces
    (KaTeX's struts), one space for any run of white space, none around punctuation (inline
    code's padding reads as a space, as before the 's of `from_scratch`'s) and no hyphens:
    pdftotext joins a word broken at a hyphen at the end of a line, and drops the hyphen."""
    text = re.sub(
        "[\u200b-\u200d\ufeff]", "", unicodedata.normalize("NFKC", text)
    )
    text = re.sub(r"\s*-+\s*", "", re.sub(r"\s+", " ", text))
    return re.sub(
        r"\(\s+", "(", re.sub(r"\s+([.,;:!?)'])", r"\1", text)
    ).strip()


def text_of(fragment):
    """The text of an HTML fragment, without its permalinks."""
    fragment = re.sub(
        r'<a class="headerlink".*?</a>', "", fragment, flags=re.DOTALL
    )
    return plain(html.unescape(re.sub(r"<[^>]+>", "", fragment)))


def heading(built_site, src):
    """The chapter's own heading, as its page shows it."""
    page = page_html(built_site, src).read_text(encoding="utf-8")
    return text_of(
        re.search(
            r"<h1\b[^>]*>(.*?)</h1>", page[page.index("<article") :], re.DOTALL
        )[1]
    )


# The print page as built ---------------------------------------------------------------------
# Read with regular expressions: it is 2 MB, which BeautifulSoup takes seconds to parse.


def test_the_print_page_holds_every_chapter_finished_by_the_hooks(built_site):
    page = (built_site / PRINT_PAGE).read_text(encoding="utf-8")
    # Each chapter once, in the navigation's order, and each part of the navigation that has
    # chapters; the notebooks, and their part, are left out.
    sections = re.findall(r'<section class="print-page" id="([^"]+)"', page)
    assert sections == [get_page_key(page_url(src)) for _, src in chapters()]
    parts = re.findall(
        r"<section class='print-page md-section'[^>]*>\s*<h1>(.*?)<a ",
        page,
        re.DOTALL,
    )
    assert [plain(part) for part in parts] == [
        title
        for entry in site_config()["nav"]
        for title, target in entry.items()
        if isinstance(target, list) and title != "Notebooks"
    ]
    assert "jupyter-wrapper" not in page, "a notebook in the print page"
    # katex.py typeset every formula at build time; csp.py gave the page its policy.
    formulas = re.findall(
        r'<(?:span|div) class="arithmatex">(.{0,20})', page, re.DOTALL
    )
    assert formulas and all(
        formula.startswith('<span class="katex') for formula in formulas
    )
    assert '<meta http-equiv="Content-Security-Policy"' in page
    # The plugin's style sheets and script, and print.css, are the print page's alone: the
    # other pages are as they were without the plugin.
    files = ("css/print-site", "js/print-site.js", "stylesheets/print.css")
    assert all(name in page for name in files)
    for src in ("index.md", "linear.md", "notebooks/linear.py"):
        other = page_html(built_site, src).read_text(encoding="utf-8")
        assert not any(name in other for name in files), src


def test_the_home_page_says_how_to_get_the_pdf_and_links_it(built_site):
    soup = BeautifulSoup(
        page_html(built_site, "index.md").read_text(encoding="utf-8"),
        "html.parser",
    )
    box = soup.select_one(
        ".admonition.print-site-plugin-ignore"
    )  # not printed in the PDF itself
    assert "make pdf" in box.get_text()
    assert box.select_one(f'a[href="{printer.PDF_NAME}"]')


# The PDF -------------------------------------------------------------------------------------


def pdftotext_binary():
    found = shutil.which("pdftotext")
    if not found:
        missing_system_package(
            "the PDF's tests need pdftotext: install Debian's poppler-utils "
            "(sudo apt-get install poppler-utils)"
        )
    return found


@pytest.fixture(scope="module")
def pdf(built_site, chromium, site_url, tmp_path_factory):
    """The PDF printed from the built site, as pdftotext reads each of its pages: whole, and
    the foot of each alone."""
    tool = pdftotext_binary()
    output = tmp_path_factory.mktemp("pdf") / printer.PDF_NAME
    page = chromium.new_page()
    try:
        printer.print_pdf(page, site_url + "print_page/", output)
    finally:
        page.close()

    # The whole of each page, and its foot alone (A4 in points, less the bottom margin), read
    # at the same time.
    readers = [
        subprocess.Popen(
            [tool, "-enc", "UTF-8", *crop, str(output), "-"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for crop in (
            [],
            ["-r", "72", "-x", "0", "-y", "791", "-W", "595", "-H", "51"],
        )
    ]
    texts = [reader.communicate(timeout=120)[0] for reader in readers]
    assert [reader.returncode for reader in readers] == [0, 0]
    pages, feet = (
        text.split("\f")[:-1] for text in texts
    )  # each page ends with a form feed
    return pages, feet, output


def test_contents_then_every_chapter_in_the_order_of_the_navigation(
    pdf, built_site
):
    text = plain(" ".join(pdf[0]))
    at = text.index("Contents")
    for (
        title,
        src,
    ) in chapters():  # the table of contents: the navigation's titles
        found = text.find(plain(title), at)
        assert found >= 0, (
            f"{title!r} ({src}) missing from the contents, or out of order"
        )
        at = found + len(plain(title))
    for (
        title,
        src,
    ) in (
        chapters()
    ):  # then the chapters themselves, each under its own heading
        found = text.find(heading(built_site, src), at)
        assert found >= 0, (
            f"{src}: its heading {heading(built_site, src)!r} missing, or out of order"
        )
        at = found
    assert (
        "make pdf" not in text
    )  # the home page's note on how to get this very PDF


RAW_TEX = re.compile(
    r"\$\$|\\[()\[\]]|\\(?:frac|sum|sqrt|mathbf|mathrm|text|left|right|partial|"
    r"cdot|times|hat|log|exp|max|begin|end|alpha|beta|sigma|lambda|odot|top)\b"
)


def test_no_formula_is_left_as_tex(pdf):
    left = [
        (number, match[0])
        for number, page in enumerate(pdf[0], 1)
        for match in RAW_TEX.finditer(page)
    ]
    assert not left, f"TeX in the PDF (page, text): {left[:10]}"


def test_every_figure_caption_is_printed(pdf, built_site):
    text = plain(" ".join(pdf[0]))
    count = 0
    for _, src in chapters():
        soup = BeautifulSoup(
            page_html(built_site, src).read_text(encoding="utf-8"),
            "html.parser",
            parse_only=SoupStrainer("figcaption"),
        )
        for caption in soup.find_all("figcaption"):
            count += 1
            for formula in caption.select(
                ".arithmatex"
            ):  # KaTeX's glyphs read back as they like
                formula.replace_with("\0")
            at = 0
            for words in filter(
                None, map(plain, caption.get_text().split("\0"))
            ):
                found = text.find(words, at)
                assert found >= 0, (
                    f"{src}: caption text {words[:80]!r} not in the PDF"
                )
                at = found
    assert count > 10


def test_every_page_has_its_number_at_the_foot_and_the_pdf_an_outline(pdf):
    pages, feet, path = pdf
    assert (
        b"/Outlines" in path.read_bytes()
    )  # the headings as bookmarks, for a PDF reader
    assert len(pages) == len(feet) > 50
    assert [foot.strip() for foot in feet] == [
        str(number) for number in range(1, len(pages) + 1)
    ]


# Failing in one line -------------------------------------------------------------------------


def run_printer(*arguments, **environment):
    return subprocess.run(
        [sys.executable, str(DOCS / "hooks" / "pdf.py"), *arguments],
        check=False,
        cwd=ROOT,
        env=dict(os.environ, **environment),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_chromium_it_says_so_in_one_line_and_writes_nothing(tmp_path):
    output = tmp_path / "course.pdf"
    done = run_printer(
        "--build",
        "--output",
        str(output),
        CHROMIUM=str(tmp_path / "no-chromium"),
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Chromium" in done.stderr, (
        done.stderr
    )
    assert list(tmp_path.iterdir()) == []


def test_a_failed_build_says_so_in_one_line_and_writes_nothing(
    tmp_path, chromium
):
    # A site address that is no URL fails the build as it starts, as any broken build fails.
    output = tmp_path / "course.pdf"
    done = run_printer(
        "--build",
        "--site",
        str(tmp_path / "site"),
        "--output",
        str(output),
        SITE_URL="not an address",
    )
    assert done.returncode == 1
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith("make pdf: the site's build failed")
    )
    assert not [path for path in tmp_path.iterdir() if "pdf" in path.name]
