"""Fixtures the tests share: a slice of MNIST, the built site, a local server, a browser.

Helpers that are not fixtures (reading pages, running commands) are in helpers.py.

The site: the first test that needs it builds it into site/, as `make site` does (strict:
every notebook executed, every include and link checked), once per test run however many
pytest workers there are; the tests of the built site all run on one worker while the
other workers go on with the rest. So CI builds the site once, and site/ is what it checked. The browser is Debian's Chromium
(Playwright's own browser download needs the internet); where it is missing the browser
tests are skipped with a note on how to install it, except on CI (``CI=true``), where a
missing browser is a failure: .ci/run installs it.
"""

import fcntl
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


@pytest.fixture(scope="session")
def small_data():
    """The first 3,000 training images, 1,000 for validation, and the whole test set."""
    from snippets.data import load_dataset

    return load_dataset(validation_size=1000, limit=3000)


def build_site_once():
    """Build the site into site/ once per test run, however many pytest workers ask.

    The first worker to get the lock builds; the others wait for it and use the result.
    The build is `make site`'s: strict, every notebook executed, every link checked.
    """
    site, cache = ROOT / "site", ROOT / ".cache"
    cache.mkdir(exist_ok=True)
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"single-{os.getpid()}"
    stamp = cache / "site-built-for-test-run"
    with open(cache / "site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if stamp.is_file() and stamp.read_text() == run and (site / "index.html").is_file():
            return site
        stamp.unlink(missing_ok=True)
        environment = dict(os.environ, NO_MKDOCS_2_WARNING="1")
        build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                               cwd=ROOT, env=environment, capture_output=True, text=True, timeout=900)
        if build.returncode != 0:
            pytest.fail(f"mkdocs build --strict failed (exit {build.returncode}):\n{build.stderr[-6000:]}",
                        pytrace=False)
        stamp.write_text(run)
    return site


@pytest.fixture(scope="session")
def built_site():
    """The site as `make site` builds it, built once for the whole test run."""
    return build_site_once()


def pytest_collection_modifyitems(items):
    """Every test of the built site runs on one worker, so only one worker waits for the build."""
    for item in items:
        if "built_site" in item.fixturenames:
            item.add_marker(pytest.mark.xdist_group("site"))


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
