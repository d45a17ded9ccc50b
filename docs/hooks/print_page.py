"""The print page: every chapter on one page, which `make pdf` prints (docs/hooks/pdf.py).

mkdocs-print-site-plugin (mkdocs.yml, last of the plugins) joins the pages of the
navigation into print_page/index.html. It was written for sites whose pages come out of
Markdown alone, and this site's pages are finished by its hooks; this hook fits the two
together, and keeps the plugin out of every other page:

- Content. The plugin keeps each page's HTML from `on_page_content`, and as a plugin it
  runs there before the hooks: it would miss what generated.py adds (each figure's width and
  height). Here, last of all, each page's content is kept as the hooks leave it.
- Finishing. The plugin writes its page after the build, past the `on_post_page` event, so
  none of the hooks sees it: its math would stay TeX (katex.py typesets the chapters'
  formulas at build time) and it would carry no Content-Security-Policy (csp.py). Here every
  hook's `on_post_page` runs on it, in mkdocs.yml's order, as on any page. The plugins'
  are not run: htmlproofer has checked every link of the pages the print page is made of,
  and the plugin turns those into links within the print page; mkdocs-jupyter's is for
  notebook pages, which the print page leaves out.
- What it holds. The chapters, not the notebooks (the plugin's `exclude` in mkdocs.yml):
  they repeat the chapters' code with their outputs, and would make the PDF several times
  longer. A part of the navigation left with no page (Notebooks) is dropped too, where the
  plugin would print its title on a page of its own.
- Other pages. The plugin adds its script and style sheets to every page of the site;
  only the print page uses them. They are taken off the site's list and written into the
  print page alone, with the print style sheet of this site (assets/stylesheets/print.css),
  so the other pages are exactly what they were without the plugin.
"""

import os
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs_print_site_plugin.exclude import exclude

PRINT_STYLES = "assets/stylesheets/print.css"
plugin_files = {"extra_css": [], "extra_javascript": []}


def plugin(config):
    return config.plugins["print-site"]


def printing(config):
    """Whether the print page is made (`make serve` leaves it out: PRINT_PAGE=false)."""
    return plugin(config).config["enabled"]


def on_config(config):
    """Run after the plugin's on_config (hooks come after plugins): take its files back."""
    for key, kept in plugin_files.items():
        kept.clear()
        ours = []
        for item in config[key]:
            is_plugins = str(item).startswith(
                ("css/print-site", "js/print-site")
            )
            (kept if is_plugins else ours).append(
                str(item) if is_plugins else item
            )
        config[key] = ours
    return config


def has_pages(item, excluded):
    if item.is_page:
        return not exclude(item.file.src_path, excluded)
    return item.is_section and any(
        has_pages(child, excluded) for child in item.children
    )


@event_priority(-100)
def on_nav(nav, config, files):
    """After the plugin's on_nav, which keeps the navigation's items: no empty parts."""
    if not printing(config):
        return nav
    renderer = plugin(config).renderer
    excluded = plugin(config).config["exclude"]
    renderer.items = [
        item for item in renderer.items if has_pages(item, excluded)
    ]
    return nav


@event_priority(-100)
def on_page_content(html, page, config, files):
    page.html = (
        html  # what the plugin joins: the content as every hook has left it
    )
    return html


@event_priority(-100)
def on_post_build(config):
    """After the plugin has written the print page: its files, then every hook's finish."""
    if not printing(config):
        return
    print_page = plugin(config).print_page
    path = Path(print_page.file.abs_dest_path)
    output = path.read_text(encoding="utf-8")
    root = "../" if config.use_directory_urls else ""
    links = "".join(
        f'<link rel="stylesheet" href="{root}{href}">'
        for href in [*plugin_files["extra_css"], PRINT_STYLES]
    )
    scripts = "".join(
        f'<script src="{root}{src}"></script>'
        for src in plugin_files["extra_javascript"]
    )
    output = output.replace("</head>", links + scripts + "</head>", 1)
    for hook in config.hooks.values():
        if hasattr(hook, "on_post_page"):
            output = hook.on_post_page(output, page=print_page, config=config)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(output, encoding="utf-8")
    os.replace(temporary, path)
