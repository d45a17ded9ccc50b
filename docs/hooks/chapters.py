"""The home page's table of chapters, drawn from the navigation as the site is
built.

The `nav` of mkdocs.yml is the one list of chapters: its sections of Markdown
pages are the parts, in order (the Notebooks section holds no Markdown page,
so it is not a part). Each chapter page says what it shows in its front
matter, `shows: ...`; docs/index.md says what each part is about in its own
front matter, `parts: {title: ...}`, and marks with MARKER where the table
goes. A chapter without `shows`, a part without a line, or a line for a part
the navigation does not have fails the build.

The tests read the same list through `parts` (tests/helpers.py, chapters()):
the exercise chapters, the test modules and this table all follow it.
"""

from mkdocs.exceptions import PluginError
from mkdocs.utils.meta import get_data

MARKER = (
    "<!-- chapters: drawn from the navigation (docs/hooks/chapters.py) -->"
)
HOME = "index.md"


def parts(nav):
    """The parts of the navigation and their chapters, in order:
    [(part title, [(chapter title, "linear.md"), ...]), ...]."""
    found = []
    for entry in nav:
        if not isinstance(entry, dict):
            continue
        ((title, target),) = entry.items()
        if not isinstance(target, list):
            continue
        chapters = [next(iter(item.items())) for item in target]
        if any(src.endswith(".md") for _, src in chapters):
            found.append((title, chapters))
    return found


def table(parts, intros, shows):
    """The Markdown of the chapters' table: each part's name and line, then a
    row per chapter with its link and what it shows."""
    lines = []
    for part, chapters in parts:
        lines += [f"**{part}**: {intros[part]}", ""]
        lines += ["| chapter | what it shows |", "| --- | --- |"]
        lines += [
            f"| [{title}]({src}) | {shows[src]} |" for title, src in chapters
        ]
        lines.append("")
    return "\n".join(lines)


def front_matter(files, src):
    """The front matter of page ``src``, as a dict."""
    file = files.get_file_from_path(src)
    if file is None:
        raise PluginError(
            f"chapters: the navigation names {src}, which is not in docs/"
        )
    return get_data(file.content_string)[1]


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri != HOME:
        return markdown
    if markdown.count(MARKER) != 1:
        raise PluginError(
            f"chapters: {HOME} must hold the line {MARKER!r} once"
        )
    found = parts(config["nav"])
    intros = page.meta.get("parts") or {}
    missing = [part for part, _ in found if not intros.get(part)]
    unknown = sorted(set(intros) - {part for part, _ in found})
    if missing or unknown:
        raise PluginError(
            f"chapters: the parts in the front matter of {HOME} must be the "
            f"navigation's; without a line: {missing}, not in the navigation: "
            f"{unknown}"
        )
    shows = {
        src: front_matter(files, src).get("shows")
        for _, chapters in found
        for _, src in chapters
    }
    without = [src for src, line in shows.items() if not line]
    if without:
        raise PluginError(
            f"chapters: no 'shows:' line in the front matter of {', '.join(without)}"
        )
    return markdown.replace(MARKER, table(found, intros, shows))
