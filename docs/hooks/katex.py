"""Serve KaTeX from the site itself: no CDN, nothing fetched while a reader reads.

`make install` runs `npm ci`, which puts the KaTeX version pinned in package-lock.json into
node_modules/. This hook adds its script, style sheet and fonts to the build as files under
assets/vendor/katex/, straight from node_modules/, so no copy lands in docs/ and the version
shown is always the one the lock file names. docs/assets/javascripts/katex.js renders the math.
"""

from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
KATEX = PROJECT_ROOT / "node_modules" / "katex" / "dist"
SITE_FOLDER = "assets/vendor/katex"
SHIPPED = ["katex.min.js", "katex.min.css", "contrib/auto-render.min.js", "fonts/*"]


def on_files(files, config):
    if not (KATEX / "katex.min.js").is_file():
        raise PluginError(f"KaTeX is not installed in {KATEX.parent}: run `make install` (it runs `npm ci`)")
    for pattern in SHIPPED:
        for path in sorted(KATEX.glob(pattern)):
            uri = f"{SITE_FOLDER}/{path.relative_to(KATEX).as_posix()}"
            files.append(File.generated(config, uri, abs_src_path=str(path)))
    return files
