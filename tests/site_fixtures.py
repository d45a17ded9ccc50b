"""Shared fixtures for tests that need the built site or a browser (owned by the site work).

Contract (other tests rely on these names):
- ``built_site``   session fixture: Path of a site built once per test session.
- ``site_url``     session fixture: base URL (ending in "/") of a local HTTP server serving it.
- ``open_page``    fixture: ``open_page(path) -> page``, a Playwright page on headless Chromium
                   that records ``page.external_requests`` and ``page.console_errors``.
Helpers: ``site_config()`` (mkdocs.yml, loaded by mkdocs), ``site_pages()`` (every page's source
and URL path) and ``page_html(site, src)`` (the built HTML file of a page).

The site is built the way `make site` builds it: ``mkdocs build --strict``, which executes
every companion notebook, checks every include and link, and fails on any warning (only the
Try it page's exported network is reused, when it is newer than the code in snippets/). The
browser is Debian's Chromium (Playwright's own browser download needs the internet). Where
it is missing the browser tests are skipped with a note on how to install it, except on CI
(``CI=true``), where a missing browser is a failure: .ci/run installs it.
"""

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
INSTALL_HINT = "install Debian's Chromium (sudo apt-get install chromium) or set CHROMIUM to a Chromium binary"


@functools.cache
def site_config():
    from mkdocs.config import load_config

    return load_config(str(ROOT / "mkdocs.yml"))


def page_url(src):
    """URL path of a page under the site root: "linear.md" -> "linear/", "notebooks/index.py" -> "notebooks/"."""
    stem = src.rsplit(".", 1)[0]
    name = stem.rsplit("/", 1)[-1]
    folder = stem[: len(stem) - len(name)]
    if name in ("index", "README"):
        return folder
    return f"{stem}/" if site_config()["use_directory_urls"] else f"{stem}.html"


def page_html(site, src):
    """The built HTML file of a page."""
    url = page_url(src)
    return site / (url + "index.html" if url == "" or url.endswith("/") else url)


def site_pages():
    """(source under docs/, URL path) of every page: the Markdown pages, then the notebooks."""
    from mkdocs.structure.files import get_files

    config = site_config()
    docs = Path(config["docs_dir"])
    sources = [file.src_uri for file in get_files(config).documentation_pages() if file.src_uri.endswith(".md")]
    for pattern in config.plugins["mkdocs-jupyter"].config["include"]:
        sources += sorted(path.relative_to(docs).as_posix() for path in docs.glob(pattern))
    return [(src, page_url(src)) for src in sources]


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    environment = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                           cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600)
    if build.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed (exit {build.returncode}):\n{build.stderr[-6000:]}", pytrace=False)
    return site


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # keep the test output readable
        pass


@pytest.fixture(scope="session")
def site_url(built_site):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=built_site))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def missing_browser(reason):
    """Skip on a reader's machine; fail on CI, where .ci/run must have installed the browser."""
    message = f"browser tests need Chromium: {reason}; {INSTALL_HINT}"
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium(tmp_path_factory):
    """A headless Chromium with a fresh profile, shared by the whole session."""
    executable = CHROMIUM if Path(CHROMIUM).is_file() else shutil.which(CHROMIUM)
    if not executable:
        missing_browser(f"{CHROMIUM} not found")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_browser("the playwright package is not installed (make install)")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),  # a fresh --user-data-dir
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        yield context
        context.close()


@pytest.fixture
def open_page(chromium, site_url):
    local_host = urlsplit(site_url).netloc
    pages = []

    def open_page(path):
        page = chromium.new_page()
        page.external_requests = []
        page.console_errors = []

        def on_request(request):
            url = urlsplit(request.url)
            if url.scheme in ("http", "https", "ws", "wss") and url.netloc != local_host:
                page.external_requests.append(request.url)

        page.on("request", on_request)
        page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
        page.on("pageerror", lambda error: page.console_errors.append(f"uncaught: {error}"))
        pages.append(page)
        response = page.goto(urljoin(site_url, path), wait_until="networkidle")
        assert response is not None and response.ok, f"{path}: HTTP {response and response.status}"
        return page

    yield open_page
    for page in pages:
        page.close()
