"""`make lighthouse`: Lighthouse on the built site, served locally (not part of `make test`).

Audits the home page, every chapter and one notebook page with the desktop preset, and
fails when a page's accessibility score is below 0.95 or its performance below 0.90. The
browser is Debian's Chromium (CHROME_PATH); Lighthouse comes from npm (package.json).
Writes each page's report to .cache/lighthouse/ and prints the scores.
"""

import functools
import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from helpers import site_pages  # run as a script, tests/ is on the import path

ROOT = Path(__file__).resolve().parent.parent

SITE = ROOT / "site"
REPORTS = ROOT / ".cache" / "lighthouse"
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
MINIMUM = {"accessibility": 0.95, "performance": 0.90}
NOTEBOOK = "notebooks/mlp.py"


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def main():
    if not (SITE / "index.html").is_file():
        sys.exit("no built site in site/: run `make site` first")
    pages = [
        (src, url)
        for src, url in site_pages()
        if src.endswith(".md") or src == NOTEBOOK
    ]
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=SITE)
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    REPORTS.mkdir(parents=True, exist_ok=True)
    environment = dict(
        os.environ,
        CHROME_PATH=os.environ.get("CHROME_PATH", "/usr/bin/chromium"),
    )
    failures = []
    print(f"{'page':<28}{'accessibility':>14}{'performance':>13}")
    for src, url in pages:
        report = REPORTS / f"{src.replace('/', '-').rsplit('.', 1)[0]}.json"
        subprocess.run(
            [
                str(LIGHTHOUSE),
                base + url,
                "--preset=desktop",
                "--only-categories=accessibility,performance",
                "--output=json",
                f"--output-path={report}",
                "--quiet",
                "--chrome-flags=--headless --no-sandbox --disable-gpu",
            ],
            env=environment,
            check=True,
            timeout=300,
        )
        categories = json.loads(report.read_text())["categories"]
        scores = {name: categories[name]["score"] for name in MINIMUM}
        print(
            f"{src:<28}{scores['accessibility']:>14.2f}{scores['performance']:>13.2f}",
            flush=True,
        )
        failures += [
            f"{src}: {name} {scores[name]:.2f} < {minimum}"
            for name, minimum in MINIMUM.items()
            if scores[name] is None or scores[name] < minimum
        ]
    server.shutdown()
    if failures:
        sys.exit("Lighthouse:\n" + "\n".join(failures))


if __name__ == "__main__":
    main()
