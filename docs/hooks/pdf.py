"""`make pdf`: the whole course as one PDF, the site's print page printed by headless Chromium.

    python docs/hooks/pdf.py [--build] [--site SITE] [--output PDF]

The build writes every chapter, in the navigation's order, onto one page,
print_page/index.html (mkdocs-print-site-plugin, fitted to the hooks by print_page.py). This
script serves the built site on a free local port, opens that page in the headless Chromium
the tests use, in the light palette (the figures are drawn twice, and the page shows the
light one), waits until it is finished (the table of contents written by the plugin's
script, every formula typeset, every picture and font loaded) and prints it: A4, page
numbers at the foot, code wrapped (assets/stylesheets/print.css), and the PDF's outline
from the headings. The quizzes' answers, folded away on the site, are unfolded: paper has
nothing to click.

`--build` first builds the site, strictly, as `make site` does but reusing its caches; the
publishing workflow prints the site that `make test` built and checked instead. The PDF is
written under a temporary name and renamed when complete: a failed run leaves no partial
file. Without Chromium, or when the build fails, it says so in one line and exits with 1.

Kept beside the hooks, as warm_python.py is: build machinery that is no page of the site.
"""

import argparse
import functools
import http.server
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import chromium  # a sibling: mkdocs puts this folder on the path while it loads a hook

ROOT = Path(__file__).resolve().parent.parent.parent
PRINT_PAGE = "print_page/"
PDF_NAME = "deep-nets-tested.pdf"

# True once the page is finished: the plugin's script has copied the table of contents,
# no formula is left as TeX (the chapters' were typeset by the build; a notebook's math is
# typeset by katex.js in the browser), every picture and every font has loaded.
FINISHED = r"""async () => {
  if (!document.querySelector("#print-page-toc nav ul")) return false;
  if (document.querySelector(".arithmatex:not(:has(.katex))")) return false;
  const cells = [...document.querySelectorAll(".jupyter-wrapper .jp-RenderedMarkdown")];
  if (cells.some(cell => /\$/.test(cell.textContent)) && !cells.some(cell => cell.querySelector(".katex")))
    return false;
  if ([...document.images].some(image => !image.complete)) return false;
  await document.fonts.ready;
  return true;
}"""
UNFOLD = "() => document.querySelectorAll('details').forEach(details => { details.open = true })"
SCHEME = "() => document.body.getAttribute('data-md-color-scheme')"
BROKEN = """() => [...document.querySelectorAll('.katex-error')].map(e => e.textContent.slice(0, 60))
  .concat([...document.images].filter(image => !image.naturalWidth).map(image => image.src))"""
# The figures of the other palette that are shown, and those of this one that are hidden.
WRONG_PALETTE = """() => [...document.querySelectorAll('img[src$="#only-dark"], img[src$="#only-light"]')]
  .filter(image => (getComputedStyle(image).display === "none") === image.src.endsWith("#only-light"))
  .map(image => image.src)"""
# Code wider than the column (print.css wraps it), whose end the page would cut off.
CUT_CODE = """() => [...document.querySelectorAll(".md-typeset pre > code")]
  .filter(code => code.scrollWidth > code.clientWidth + 1)
  .map(code => code.textContent.split("\\n").find(line => line.length > 60) || code.textContent.slice(0, 60))"""
# A4 less print.css's side margins (14 mm each), in CSS pixels: the width code is laid out at.
PRINTED_WIDTH = round((210 - 2 * 14) / 25.4 * 96)


class PdfError(Exception):
    """What went wrong, in one line for the reader."""


def print_pdf(page, url, output, timeout_ms=120_000):
    """Print the print page at `url` with a Playwright `page` into `output` (written whole)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    # Laid out once, as it will be printed: for print, in the light palette, at the page's width.
    page.set_viewport_size({"width": PRINTED_WIDTH, "height": 1100})
    page.emulate_media(media="print", color_scheme="light")
    response = page.goto(url, wait_until="load", timeout=timeout_ms)
    if response is None or not response.ok:
        raise PdfError(f"{url}: HTTP {response and response.status}")
    page.evaluate(UNFOLD)
    try:
        page.wait_for_function(FINISHED, timeout=timeout_ms, polling=250)
    except PlaywrightTimeoutError:
        raise PdfError(
            f"the print page did not finish (table of contents, math, pictures) in "
            f"{timeout_ms // 1000} s"
        ) from None
    if (scheme := page.evaluate(SCHEME)) != "default":
        raise PdfError(
            f"the print page is in the {scheme!r} palette, not the light one"
        )
    if broken := page.evaluate(BROKEN):
        raise PdfError(
            f"the print page has formulas KaTeX could not typeset or pictures that "
            f"did not load: {broken[:3]}"
        )
    if wrong := page.evaluate(WRONG_PALETTE):
        raise PdfError(
            f"figures of the dark palette shown or of the light one hidden: {wrong[:3]}"
        )
    if cut := page.evaluate(CUT_CODE):
        raise PdfError(
            f"{len(cut)} code blocks wider than the page, from: {cut[0]!r}"
        )
    output = Path(output)
    partial = output.with_name(f".{output.name}.{os.getpid()}.part")
    try:
        page.pdf(
            path=str(partial),
            prefer_css_page_size=True,
            print_background=True,
            outline=True,
            tagged=True,
        )
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return output


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def serve(site):
    """A local server of the built site on a free port, on a thread; returns it and its URL."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def chromium_executable():
    executable = chromium.executable()
    if not executable:
        raise PdfError(
            f"no Chromium at {chromium.CHROMIUM}: {chromium.INSTALL_HINT}"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise PdfError(
            "the playwright package is not installed: run `make install`"
        ) from None
    return executable


def build(site):
    environment = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--site-dir",
            str(site),
        ],
        check=False,
        cwd=ROOT,
        env=environment,
    )
    if done.returncode != 0:
        raise PdfError(
            f"the site's build failed (exit {done.returncode}, its log is above)"
        )


def make_pdf(site, output, build_first=False):
    executable = (
        chromium_executable()
    )  # before a build of minutes, not after it
    if build_first:
        build(site)
    if not (Path(site) / PRINT_PAGE / "index.html").is_file():
        raise PdfError(
            f"{site} has no {PRINT_PAGE}index.html: build the site first (make pdf does)"
        )
    if not Path(output).parent.is_dir():
        raise PdfError(f"{Path(output).parent} is not a folder")
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    server, url = serve(site)
    try:
        with (
            sync_playwright() as playwright,
            tempfile.TemporaryDirectory() as profile,
        ):
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=executable,
                headless=True,
                args=chromium.FLAGS,
            )
            try:
                return print_pdf(context.new_page(), url + PRINT_PAGE, output)
            finally:
                context.close()
    except PlaywrightError as error:
        raise PdfError(
            f"Chromium failed: {str(error).splitlines()[0]}"
        ) from None
    finally:
        server.shutdown()
        server.server_close()


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Print the whole course as one PDF."
    )
    parser.add_argument(
        "--build", action="store_true", help="build the site first"
    )
    parser.add_argument(
        "--site",
        type=Path,
        default=ROOT / "site",
        help="the built site (default: site/)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help=f"the PDF (default: SITE/{PDF_NAME}, beside the site)",
    )
    arguments = parser.parse_args(argv)
    output = arguments.output or arguments.site / PDF_NAME
    try:
        written = make_pdf(arguments.site, output, build_first=arguments.build)
    except PdfError as error:
        print(f"make pdf: {error}; no PDF written", file=sys.stderr)
        return 1
    print(f"make pdf: wrote {written} ({written.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
