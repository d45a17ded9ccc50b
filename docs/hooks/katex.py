"""Math: typeset by KaTeX when the site is built, and KaTeX served from the site itself.

`make install` runs `npm ci`, which puts the KaTeX version pinned in package-lock.json into
node_modules/. Two things come from there:

- The chapters' formulas are typeset here, at build time, in each finished page (so the
  search index keeps the TeX source, not KaTeX's markup): pymdownx.arithmatex wraps each
  one in an `.arithmatex` element as \\( ... \\) or \\[ ... \\], and one Node process per
  page turns them all into KaTeX's HTML. A reader's browser gets finished math: nothing
  jumps when a script replaces TeX source after the page has been drawn (Lighthouse counts
  that as layout shift), and a formula KaTeX cannot parse fails the build instead of
  showing red on the page.
- KaTeX's style sheet and fonts, which that HTML needs, and its script with auto-render,
  which docs/assets/javascripts/katex.js runs on the notebook pages (their Markdown cells
  keep $...$ as written), are added to the build under assets/vendor/katex/, straight from
  node_modules/: no copy lands in docs/, and the version is always the lock file's.
"""

import hashlib
import html
import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
PACKAGE = PROJECT_ROOT / "node_modules" / "katex"
KATEX = PACKAGE / "dist"
CACHE = PROJECT_ROOT / ".cache" / "katex"
SITE_FOLDER = "assets/vendor/katex"
SHIPPED = [
    "katex.min.js",
    "katex.min.css",
    "contrib/auto-render.min.js",
    "fonts/*",
]

FORMULA = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.DOTALL)
DELIMITERS = {"\\(": "\\)", "\\[": "\\]"}
# Reads [[tex, display], ...] as JSON on stdin and writes the HTML of each, in order.
TYPESET = """
const katex = require(process.argv[1]);
let input = "";
process.stdin.on("data", chunk => (input += chunk));
process.stdin.on("end", () => {
  const out = [];
  for (const [tex, displayMode] of JSON.parse(input)) {
    try {
      out.push(katex.renderToString(tex, { displayMode, throwOnError: true }));
    } catch (error) {
      console.error(`${error.message} in: ${tex}`);
      process.exit(1);
    }
  }
  process.stdout.write(JSON.stringify(out));
});
"""


def on_files(files, config):
    if not (KATEX / "katex.min.js").is_file():
        raise PluginError(
            f"KaTeX is not installed in {PACKAGE.parent}: run `make install` (it runs `npm ci`)"
        )
    for pattern in SHIPPED:
        for path in sorted(KATEX.glob(pattern)):
            uri = f"{SITE_FOLDER}/{path.relative_to(KATEX).as_posix()}"
            files.append(File.generated(config, uri, abs_src_path=str(path)))
    return files


def typeset(formulas, where):
    """KaTeX's HTML for each (tex, display) pair: from the cache, else from one Node process."""
    version = json.loads(
        (PACKAGE / "package.json").read_text(encoding="utf-8")
    )["version"]
    key = hashlib.sha256(json.dumps([version, formulas]).encode()).hexdigest()
    cached = CACHE / f"{key}.json"
    if cached.is_file():
        return json.loads(cached.read_text(encoding="utf-8"))
    typeset_formulas = typeset_with_node(formulas, where)
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=CACHE, suffix=".tmp", delete=False, encoding="utf-8"
    ) as file:
        json.dump(typeset_formulas, file)
    os.replace(
        file.name, cached
    )  # whole or not at all: a build stopped midway leaves no half file
    return typeset_formulas


def typeset_with_node(formulas, where):
    """KaTeX's HTML for each (tex, display) pair, from one Node process."""
    try:
        node = subprocess.run(
            ["node", "-e", TYPESET, str(PACKAGE)],
            input=json.dumps(formulas),
            check=False,  # its exit status is read below
            capture_output=True,
            text=True,
            timeout=120,
        )
    except FileNotFoundError:
        raise PluginError(
            "KaTeX needs Node.js to typeset the math: install it (npm comes with it)"
        ) from None
    if node.returncode != 0:
        raise PluginError(
            f"KaTeX could not typeset a formula in {where}: {node.stderr.strip()}"
        )
    return json.loads(node.stdout)


def on_post_page(content, page, config):
    found = list(FORMULA.finditer(content))
    formulas = []
    for match in found:
        source = html.unescape(match[2]).strip()
        opening, closing = source[:2], DELIMITERS.get(source[:2])
        if closing is None or not source.endswith(closing):
            raise PluginError(
                f"{page.file.src_path}: a formula without \\( \\) or \\[ \\]: {source[:60]}"
            )
        formulas.append([source[2:-2].strip(), opening == "\\["])
    if not formulas:
        return content
    typeset_formulas = iter(typeset(formulas, page.file.src_path))
    return FORMULA.sub(
        lambda match: (
            f'<{match[1]} class="arithmatex">{next(typeset_formulas)}</{match[1]}>'
        ),
        content,
    )
