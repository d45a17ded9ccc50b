"""The TensorBoard screenshot of the system page: `make tensorboard-screenshot`.

A real run writes a real log, and a real TensorBoard serves it to a real browser:

1. `python -m snippets train --logdir runs/logs` trains the course's network for a few
   epochs on a slice of MNIST, in a temporary folder;
2. TensorBoard serves that folder on a free port of 127.0.0.1 (nobody else can reach it);
3. headless Chromium (Playwright, the browser the tests use) opens the scalars dashboard
   with smoothing off and every point in range, unfolds every chart, waits until each one has drawn its curves,
   and takes a screenshot, which is reduced to a palette of colours (a small PNG) and
   written atomically to docs/assets/tensorboard-scalars.png, committed.

TensorBoard and the browser are stopped afterwards, also when a step fails. The site only
shows the committed image: neither `make serve` nor the build needs a browser or TensorBoard.

    .venv/bin/python tools/tensorboard_screenshot.py [--output FILE]

A missing Chromium, or TensorBoard or a chart that does not come up, is one line on stderr
and exit status 1, and the committed image stays as it was.
"""

import argparse
import io
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from PIL import Image

# The browser's settings, shared with `make pdf` and the tests, live beside the build's hooks.
sys.path.insert(
    0, str(Path(__file__).resolve().parent.parent / "docs" / "hooks")
)
import chromium

from snippets.common import write_atomically

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "assets" / "tensorboard-scalars.png"
# A run short enough for a minute, long enough for curves: the course preset's cosine
# schedule shows the learning rate falling, and the training accuracy pulls away from the
# validation accuracy.
TRAIN = [
    "train",
    "--limit",
    "10000",
    "--epochs",
    "10",
    "--checkpoint-dir",
    "runs/mnist",
    "--logdir",
    "runs/logs",
]
CHARTS = {
    "epoch_accuracy": 2,
    "epoch_learning_rate": 1,
    "epoch_loss": 2,
}  # curves on each
VIEWPORT = {
    "width": 1100,
    "height": 1230,
}  # the three charts, one above the other
COLOURS = 64  # the screenshot's palette: lines, text and TensorBoard's orange need few
WAIT = 120  # seconds for TensorBoard to serve, and for the charts to draw


class ScreenshotError(Exception):
    """A step that failed, in one line."""


def free_port():
    """A port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def train(folder):
    """The real run, from the command line, writing its log into folder/runs/logs."""
    finished = subprocess.run(
        [sys.executable, "-m", "snippets", *TRAIN],
        cwd=folder,
        check=False,
        capture_output=True,
        text=True,
    )
    if finished.returncode != 0:
        last = (finished.stderr.strip().splitlines() or ["no message"])[-1]
        raise ScreenshotError(f"the training run failed: {last}")
    return folder / "runs" / "logs"


def serve(logdir, port, log):
    """TensorBoard on ``port``, once it answers with both runs; its output goes to ``log``."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tensorboard.main",
            "--logdir",
            "runs/logs",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=logdir.parent.parent,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise ScreenshotError(
                    f"TensorBoard exited with status {server.returncode} "
                    "before serving"
                )
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/data/runs", timeout=5
                ) as answer:
                    runs = answer.read()
                    if b"train" in runs and b"validation" in runs:
                        return server
            except OSError:
                pass  # not listening yet
            time.sleep(0.5)
        raise ScreenshotError(
            f"TensorBoard did not answer on port {port} within {WAIT} s"
        )
    except BaseException:  # Ctrl-C included: no TensorBoard is left behind
        stop(server)
        raise


def stop(server):
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def charts_drawn(page):
    """True when every chart holds its curves (Playwright's locators see into the charts'
    shadow DOM)."""
    cards = page.locator("tf-scalar-card")
    if cards.count() != len(CHARTS):
        return False
    for index in range(cards.count()):
        card = cards.nth(index)
        tag = next(
            (
                tag
                for tag in CHARTS
                if card.get_by_text(f"tag: {tag}", exact=True).count()
            ),
            None,
        )
        lines = card.locator("path.line")
        if tag is None or lines.count() != CHARTS[tag]:
            return False
        if any(
            len(lines.nth(i).get_attribute("d") or "") < 20
            for i in range(lines.count())
        ):
            return False
    return True


def screenshot(port, executable):
    """The scalars dashboard as PNG bytes, once every chart has drawn."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ScreenshotError(
            "the playwright package is missing: make install"
        ) from None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=chromium.FLAGS
        )
        try:
            page = browser.new_page(
                viewport=VIEWPORT, color_scheme="light", device_scale_factor=1
            )
            page.goto(
                f"http://127.0.0.1:{port}/#scalars&_smoothingWeight=0",
                wait_until="networkidle",
            )
            # the first epoch's training loss is far above the rest: show it, not only the rest
            page.get_by_text("Ignore outliers in chart scaling").click()
            deadline = time.monotonic() + WAIT
            while not charts_drawn(page):
                if time.monotonic() > deadline:
                    raise ScreenshotError(
                        f"the charts did not draw within {WAIT} s"
                    )
                # TensorBoard folds the charts after the first two: unfold them
                for heading in page.locator(
                    "tf-category-paginated-view button.heading"
                ).all():
                    if (
                        heading.is_visible()
                        and heading.get_attribute("open-button") is None
                    ):
                        heading.click()
                page.wait_for_timeout(500)
            page.wait_for_load_state("networkidle")
            return page.screenshot(full_page=False)
        finally:
            browser.close()


def small_png(data):
    """The screenshot with a palette of COLOURS colours, compressed as hard as PNG goes."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    small = image.quantize(
        colors=COLOURS,
        method=Image.Quantize.MEDIANCUT,
        dither=Image.Dither.NONE,
    )
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--output",
        type=Path,
        default=OUTPUT,
        help=f"default {OUTPUT.relative_to(ROOT)}",
    )
    args = parser.parse_args(argv)
    executable = chromium.executable()
    try:
        if not executable:
            raise ScreenshotError(
                f"no Chromium at {chromium.CHROMIUM}: {chromium.INSTALL_HINT}"
            )
        with tempfile.TemporaryDirectory(
            prefix="tensorboard-screenshot-"
        ) as folder:
            folder = Path(folder)
            print("training with --logdir ...", flush=True)
            logdir = train(folder)
            port = free_port()
            with open(folder / "tensorboard.log", "wb") as log:
                server = serve(logdir, port, log)
                try:
                    print(
                        f"TensorBoard on http://127.0.0.1:{port}/, taking the screenshot ...",
                        flush=True,
                    )
                    png = small_png(screenshot(port, executable))
                finally:
                    stop(server)
        write_atomically(args.output, png)
        args.output.chmod(
            0o644
        )  # an asset anyone may read, not mkstemp's 0o600
    except (ScreenshotError, OSError) as error:
        print(f"tensorboard screenshot: error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {args.output} ({len(png) // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
