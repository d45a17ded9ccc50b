"""Files the build makes from the code before mkdocs reads the docs folder: never committed.

- generated/try/: the networks that docs/try.md runs in the reader's browser, trained and
  exported by `python -m snippets export --output docs/generated/try` (seeded, so every
  build exports the same networks);
- generated/figures/: every chapter's figures, light and dark, drawn by
  `python -m snippets.figures --output docs/generated/figures` (see snippets/figures/).

Each is made again whenever it is missing or older than the code in snippets/ (figures.json
and export.json are written last, so a folder that has one is complete); both commands run
at once, side by side. `make site` deletes them first, for a build from scratch.
"""

import logging
import os
import subprocess
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
# folder in docs/, the file written last, the command that writes the folder
GENERATED = [
    ("generated/try", "export.json", ["-m", "snippets", "export", "--output"]),
    ("generated/figures", "figures.json", ["-m", "snippets.figures", "--output"]),
]
log = logging.getLogger("mkdocs.hooks.generated")


def python():
    """The warm Python (docs/hooks/warm_python.py) that the notebooks hook, which runs
    first, started or was given: the commands start with TensorFlow loaded. Else this one."""
    socket = os.environ.get("WARM_PYTHON_SOCKET")
    if socket and Path(socket).is_socket():
        return str(Path(socket).parent / "bin" / "python")
    return sys.executable


def on_pre_build(config):
    newest_code = max(path.stat().st_mtime for path in (PROJECT_ROOT / "snippets").rglob("*.py"))
    started = []
    for folder, last_file, command in GENERATED:
        folder = Path(config.docs_dir) / folder
        header = folder / last_file
        if header.is_file() and header.stat().st_mtime >= newest_code:
            continue
        log.info(f"making {folder} (python {' '.join(command)} {folder})")
        started.append((command, subprocess.Popen([python(), *command, str(folder)], cwd=PROJECT_ROOT,
                                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    for command, process in started:
        stdout, stderr = process.communicate()
        if process.returncode != 0:
            raise PluginError(f"python {' '.join(command)} failed (exit {process.returncode}): "
                              f"{stderr.strip()[-3000:]}")
        log.info(next(line for line in reversed(stdout.splitlines()) if line and not line.startswith("{")))
