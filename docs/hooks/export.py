"""Train and export the network that the "Try it" page runs, as part of the build.

docs/try.md runs the course's network in the reader's browser from the files in
generated/try/ on the site. They are built, never committed: this hook writes them with
`python -m snippets export --output docs/generated/try` (seeded, so every build exports the
same networks) before mkdocs reads the docs folder, whenever they are missing or older than
the code in snippets/ that trains and exports them. `make site` deletes them first, for a
build from scratch.
"""

import logging
import subprocess
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
EXPORT = "generated/try"
log = logging.getLogger("mkdocs.hooks.export")


def on_pre_build(config):
    folder = Path(config.docs_dir) / EXPORT
    header = folder / "export.json"
    newest_code = max(path.stat().st_mtime for path in (PROJECT_ROOT / "snippets").glob("*.py"))
    if header.is_file() and header.stat().st_mtime >= newest_code:
        return
    log.info(f"training and exporting the Try it networks into {folder}")
    run = subprocess.run([sys.executable, "-m", "snippets", "export", "--output", str(folder)],
                         cwd=PROJECT_ROOT, capture_output=True, text=True)
    if run.returncode != 0:
        raise PluginError(f"python -m snippets export failed (exit {run.returncode}): {run.stderr.strip()[-3000:]}")
    log.info(run.stdout.strip().splitlines()[-2])  # "exported to ... in N s"
