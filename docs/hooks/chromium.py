"""The headless Chromium that prints the PDF (pdf.py), runs the browser tests
(tests/conftest.py) and photographs TensorBoard (tools/tensorboard_screenshot.py):
one place for where it is and how it starts.

Debian's `chromium`, or the binary the CHROMIUM variable names: Playwright cannot
download its own browser on machines that reach only the package registries.
"""

import os
import shutil
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL_HINT = (
    "install Debian's chromium (sudo apt-get install chromium) or set CHROMIUM"
    " to a Chromium binary"
)


def executable():
    """The Chromium binary to start, or None when there is none."""
    return CHROMIUM if Path(CHROMIUM).is_file() else shutil.which(CHROMIUM)
