"""Files the build makes from the code before mkdocs reads the docs folder: never committed.

- generated/try/: the networks that docs/try.md runs in the reader's browser, trained and
  exported by `python -m snippets export --output docs/generated/try` (seeded, so every
  build exports the same networks);
- generated/figures/: every chapter's figures, light and dark, drawn by
  `python -m figures --output docs/generated/figures` (see figures/).

Each is made again whenever it is missing or older than anything in snippets/ or the results
in benchmarks/ (figures.json
and export.json are written last, so a folder that has one is complete); both commands run
at once, side by side. `make site` deletes them first, for a build from scratch.

Each page's figures get the width and height of their SVG file as attributes, so the browser
keeps their room from the start instead of pushing the text down as they arrive.
"""

import importlib.util
import logging
import re
import subprocess
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
# folder in docs/, the file written last, the command that writes the folder
GENERATED = [
    ("generated/try", "export.json", ["-m", "snippets", "export", "--output"]),
    ("generated/figures", "figures.json", ["-m", "figures", "--output"]),
]
log = logging.getLogger("mkdocs.hooks.generated")


def python():
    """The warm Python (docs/hooks/warm_python.py) that the notebooks hook, which runs
    first, started or was given: the commands start with TensorFlow loaded. Else this one."""
    spec = importlib.util.spec_from_file_location("warm_python", Path(__file__).with_name("warm_python.py"))
    warm_python = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(warm_python)
    return warm_python.running_python() or sys.executable


def on_pre_build(config):
    # the code, and what it reads: the best network and the held-out digits in snippets/,
    # the benchmarks' results that figures show
    inputs = [*(PROJECT_ROOT / "snippets").rglob("*"), *(PROJECT_ROOT / "benchmarks").glob("*.json")]
    newest_code = max(path.stat().st_mtime for path in inputs
                      if path.is_file() and "__pycache__" not in path.parts)
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


FIGURE = re.compile(r'<img (?P<attributes>[^>]*?)src="(?P<src>[^"#]*generated/figures/(?P<name>[\w-]+\.svg))')
SIZE = re.compile(r'<svg [^>]*?width="(?P<width>[\d.]+)pt" height="(?P<height>[\d.]+)pt"')


def with_size(match, folder):
    """The <img> start of a figure, with the SVG's size in CSS pixels (1 pt = 4/3 px)."""
    if "width=" in match["attributes"]:
        return match[0]
    size = SIZE.search((folder / match["name"]).read_text(encoding="utf-8")[:2000])
    if size is None:
        return match[0]
    width, height = (round(float(size[key]) * 4 / 3) for key in ("width", "height"))
    return f'<img width="{width}" height="{height}" {match["attributes"]}src="{match["src"]}'


def on_page_content(html, page, config, files):
    folder = Path(config.docs_dir) / "generated" / "figures"
    return FIGURE.sub(lambda match: with_size(match, folder), html)
