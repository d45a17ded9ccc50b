"""Fixtures the tests share: a slice of MNIST, the built site, a local server, a browser.

Helpers that are not fixtures (reading pages, running commands) are in helpers.py.

The site: `make test` builds it once with `make site` (cold and strict: every notebook
executed, every include and link checked) and points BUILT_SITE at it, so CI builds it
once for everything. Without BUILT_SITE (a plain `pytest`), the first test that needs the
site builds it into a temporary folder the same way. The browser is Debian's Chromium
(Playwright's own browser download needs the internet); where it is missing the browser
tests are skipped with a note on how to install it, except on CI (``CI=true``), where a
missing browser is a failure: .ci/run installs it.
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

from helpers import ROOT
from snippets.common import quiet_tensorflow

quiet_tensorflow()  # once, before any test imports a module that loads TensorFlow

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
INSTALL_HINT = "install Debian's Chromium (sudo apt-get install chromium) or set CHROMIUM to a Chromium binary"
SITE_SOURCES = ("docs", "snippets", "mkdocs.yml")


@pytest.fixture(scope="session")
def small_data():
    """The first 3,000 training images, 1,000 for validation, and the whole test set."""
    from snippets.data import load_dataset

    return load_dataset(validation_size=1000, limit=3000)


def newest_source():
    """The newest modification time of anything the site is built from."""
    files = [ROOT / name for name in SITE_SOURCES if (ROOT / name).is_file()]
    for folder in (ROOT / name for name in SITE_SOURCES if (ROOT / name).is_dir()):
        files += [path for path in folder.rglob("*") if path.is_file() and "generated" not in path.parts
                  and "__pycache__" not in path.parts]
    return max(path.stat().st_mtime for path in files)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    prebuilt = os.environ.get("BUILT_SITE")
    if prebuilt:
        site = (ROOT / prebuilt).resolve()
        if not (site / "index.html").is_file():
            pytest.fail(f"BUILT_SITE={prebuilt} holds no built site; run `make site` first", pytrace=False)
        if (site / "index.html").stat().st_mtime < newest_source():
            pytest.fail(f"BUILT_SITE={prebuilt} is older than docs/ or snippets/; run `make site` again",
                        pytrace=False)
        return site
    site = tmp_path_factory.mktemp("site")
    environment = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                           cwd=ROOT, env=environment, capture_output=True, text=True, timeout=900)
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
