"""Fixtures the tests share: a slice of MNIST, the built site, a local server, a browser.

Helpers that are not fixtures (reading pages, running commands) are in helpers.py.

The site: as soon as the tests are collected, one process starts building it into site/, as
`make site` does (strict: every notebook executed, every include and link checked), on a
background thread, while the tests that need no site run on every pytest worker; the tests
of the built site run last and wait for it. So CI builds the site once, and site/ is what
it checked. The browser is Debian's Chromium
(Playwright's own browser download needs the internet); where it is missing the browser
tests are skipped with a note on how to install it, except on CI (``CI=true``), where a
missing browser is a failure: .ci/run installs it.
"""

import fcntl
import functools
import http.server
import importlib
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import chromium as browser  # docs/hooks/chromium.py: the fixture below is `chromium`
import pytest
import warm_python  # docs/hooks/warm_python.py (pytest.ini puts docs/hooks on the path)

from helpers import ROOT, THREAD_VARIABLES, missing_system_package
from snippets.common import quiet_tensorflow

# Three processes share the CPUs while the tests run: two pytest workers and the site's
# build (each TensorFlow process it starts inherits this). TensorFlow gives every process a
# thread per core; on a 2-core machine three such processes spend much of their time
# waiting on each other's threads (`make test` took 6:05 that way, 5:09 with one thread
# each). Set before any TensorFlow loads; a value already in the environment wins.
for name in THREAD_VARIABLES:
    os.environ.setdefault(name, str(max(1, (os.cpu_count() or 1) // 3)))


def pytest_configure(config):
    """Load TensorFlow quietly once, before any test imports a module that loads it, and
    split the CPU into logical devices; not in pytest-xdist's controller, which runs no
    tests."""
    if hasattr(config, "workerinput") or not getattr(
        config.option, "numprocesses", None
    ):
        quiet_tensorflow()
        # The CPU as four logical devices, before any op runs: the chapter "More than one
        # device" and its tests train on several devices in this process. A test's own
        # ops still run on the first, as they would without the split.
        from snippets.distributed import use_devices

        use_devices(4)


servers = []  # this worker's warm Python, once started
starting = (
    threading.Lock()
)  # the build's thread and a test may both ask for it first


def start_warm_python():
    """This worker's warm Python server (docs/hooks/warm_python.py), started on first use.

    The tests' commands and the site's build (its notebook kernels and the commands that
    draw the figures and export Try it's networks) all start from it: TensorFlow loads once
    per worker, not once per command. It stops when the worker's session ends, after the
    build (pytest_sessionfinish)."""
    with starting:
        if not servers:
            servers.append(
                warm_python.WarmPython(
                    Path(tempfile.mkdtemp(prefix="warm-python-"))
                )
            )
    return servers[0]


@pytest.fixture(name="warm_python", scope="session")
def warm_python_fixture():
    """This worker's warm Python: commands start with TensorFlow loaded."""
    return start_warm_python()


@pytest.fixture(scope="session")
def small_data():
    """The first 3,000 training images, 1,000 for validation, and the whole test set."""
    from snippets.data import load_dataset

    return load_dataset(validation_size=1000, limit=3000)


SITE, CACHE = ROOT / "site", ROOT / ".cache"
LOCK, STATUS = CACHE / "site.lock", CACHE / "site-build-status"
# One id for the whole run, shared by pytest-xdist's workers (each is its own process).
RUN = os.environ.setdefault("PYTEST_XDIST_TESTRUNUID", uuid.uuid4().hex)


def build_site():
    """`make site`'s build: strict, every notebook executed, every include and link checked.

    Writes the outcome to STATUS: "<run> 0" on success, "<run> <exit status>" and the end
    of the log otherwise.
    """
    # The build's kernels and commands start from this worker's warm Python (see the hooks).
    environment = start_warm_python().environment(
        dict(os.environ, NO_MKDOCS_2_WARNING="1")
    )
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--site-dir",
            str(SITE),
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    STATUS.write_text(f"{RUN} {build.returncode}\n{build.stderr[-6000:]}")


def start_building_in_the_background():
    """Start the build on a thread, unless this run already has one: holds LOCK until done.

    Called at collection by every process that will need the site; the first one to get
    the lock builds, so the tests that need no site run on every worker meanwhile.
    """
    site_for_this_run.append(RUN)
    CACHE.mkdir(exist_ok=True)
    lock = open(LOCK, "w")  # noqa: SIM115 (held until the build ends)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:  # another worker is building for this run
        lock.close()
        return
    if (
        STATUS.is_file() and STATUS.read_text().split(" ", 1)[0] == RUN
    ):  # built already
        lock.close()
        return
    STATUS.write_text(f"{RUN} building")

    def build_then_unlock():
        try:
            build_site()
        finally:
            lock.close()  # releases the lock: the waiting tests go on

    builders.append(threading.Thread(target=build_then_unlock, daemon=True))
    builders[-1].start()


builders = []
site_for_this_run = []  # not empty once this process's tests include the built site's


def pytest_sessionfinish():
    """A worker that started the build stays until it is done: another may be waiting on it."""
    for thread in builders:
        thread.join()
    for server in servers:
        server.close()
        shutil.rmtree(Path(server.socket_path).parent, ignore_errors=True)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """The tests of the built site go last, and the build starts now, beside the others.

    Last of the hooks, after `-k` and `-m` have deselected: a run that selects no test of the
    built site starts no build, and neither does `--collect-only`, which runs no test."""
    needs_site = [item for item in items if "built_site" in item.fixturenames]
    if needs_site:  # then the figures' tests read the numbers the build drew: they wait for it too
        needs_site = [
            item
            for item in items
            if "drawn" in item.fixturenames and item not in needs_site
        ] + needs_site
    items[:] = [item for item in items if item not in needs_site] + needs_site
    if needs_site and not config.option.collectonly:
        start_building_in_the_background()


@pytest.fixture(scope="session")
def built_site():
    """The site as `make site` builds it, built once for the whole test run."""
    CACHE.mkdir(exist_ok=True)
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # waits while the build runs
        status = STATUS.read_text() if STATUS.is_file() else ""
        if (
            status.split(" ", 1)[0] != RUN
        ):  # nobody built it for this run: build it now
            build_site()
            status = STATUS.read_text()
    code, _, log = status.split(" ", 1)[1].partition("\n")
    if code != "0":
        pytest.fail(
            f"mkdocs build --strict failed (exit {code}):\n{log}",
            pytrace=False,
        )
    return SITE


@pytest.fixture(scope="session")
def drawn(request, tmp_path_factory):
    """The numbers a figure was drawn from: ``drawn("mlp-curves")``.

    When this run builds the site (``make test``), they are the build's: it computes each
    figure's numbers once (figures/__main__.py) and keeps them beside the SVG files, so the
    site's figures are what is tested and nothing is trained twice. Otherwise (a page's test
    module run on its own) the figure's chapter is drawn on first use, the way the build
    draws it, into a temporary folder: no site is built."""
    built = site_for_this_run or (
        STATUS.is_file() and STATUS.read_text().split(" ", 1)[0] == RUN
    )
    if built:
        request.getfixturevalue("built_site")  # waits for the build
    folder = (
        ROOT / "docs" / "generated" / "figures"
        if built
        else tmp_path_factory.mktemp("figures")
    )

    def numbers(name):
        path = folder / "data" / f"{name}.pickle"
        if not built and not path.is_file():
            from figures.__main__ import draw_all

            draw_all(folder, only=[chapter_of(name)], log=lambda message: None)
        return pickle.loads(path.read_bytes())

    return numbers


def chapter_of(figure):
    """The chapter whose module of figures/ draws ``figure``."""
    from figures import chapters

    for chapter in chapters():
        if figure in [
            name
            for name, _, _ in importlib.import_module(
                f"figures.{chapter}"
            ).FIGURES
        ]:
            return chapter
    raise LookupError(f"no module of figures/ draws {figure!r}")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps connections open between requests, as real servers do

    def log_message(self, format, *args):  # keep the test output readable
        pass


@pytest.fixture(scope="session")
def site_url(built_site):
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=built_site)
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def missing_browser(reason):
    """Chromium (Debian's `chromium`; Playwright cannot download its own here)."""
    missing_system_package(
        f"browser tests need Chromium: {reason}; {browser.INSTALL_HINT}"
    )


@pytest.fixture(scope="session")
def chromium(tmp_path_factory):
    """A headless Chromium with a fresh profile, shared by the whole session."""
    executable = browser.executable()
    if not executable:
        missing_browser(f"{browser.CHROMIUM} not found")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_browser(
            "the playwright package is not installed (make install)"
        )
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(
                tmp_path_factory.mktemp("chromium-profile")
            ),  # a fresh --user-data-dir
            executable_path=executable,
            headless=True,
            args=browser.FLAGS,
        )
        yield context
        context.close()


# Every Content-Security-Policy violation a page reports, as "directive: what was blocked",
# gathered from the first script on (the pages' policy: docs/hooks/csp.py).
CSP_LISTENER = """window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => window.__cspViolations.push(
  `${event.effectiveDirective}: ${event.blockedURI || "inline"} ${event.sample || ""}`.trim()), true);"""


def csp_violations(page):
    """What the page's policy refused so far: its events, and the console's "Refused to ..."."""
    return page.evaluate("window.__cspViolations || []") + page.csp_messages


@pytest.fixture
def open_page(chromium, site_url):
    local_host = urlsplit(site_url).netloc
    pages = []

    def open_page(path):
        page = chromium.new_page()
        page.external_requests = []
        page.console_errors = []
        page.csp_messages = []
        page.add_init_script(CSP_LISTENER)
        page.on(
            "console",
            lambda message: (
                "Content Security Policy" in message.text
                and page.csp_messages.append(message.text)
            ),
        )

        def on_request(request):
            url = urlsplit(request.url)
            if (
                url.scheme in ("http", "https", "ws", "wss")
                and url.netloc != local_host
            ):
                page.external_requests.append(request.url)

        page.on("request", on_request)
        page.on(
            "console",
            lambda message: (
                message.type == "error"
                and page.console_errors.append(message.text)
            ),
        )
        page.on(
            "pageerror",
            lambda error: page.console_errors.append(f"uncaught: {error}"),
        )
        pages.append(page)
        response = page.goto(urljoin(site_url, path), wait_until="load")
        assert response is not None and response.ok, (
            f"{path}: HTTP {response and response.status}"
        )
        return page

    yield open_page
    for page in pages:
        page.close()
