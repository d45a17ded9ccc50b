"""The figures as a reader gets them: drawn by the build (figures/, run by
docs/hooks/generated.py), on every page of the site, in both palettes, with alt text.

What each figure shows is tested beside its chapter, in tests/test_<chapter>.py.
"""

import json
import re
import xml.etree.ElementTree as ElementTree

from bs4 import BeautifulSoup

from helpers import page_figures, page_html, run_command, site_pages
from figures import PALETTES, chapters

SVG = "{http://www.w3.org/2000/svg}svg"


def chapter_pages():
    """Every page in the navigation that is not a notebook."""
    return [src for src, _ in site_pages() if src.endswith(".md")]


def test_every_chapter_page_has_its_own_figures_module():
    modules = {src.removesuffix(".md").replace("-", "_") for src in chapter_pages()}
    assert sorted(modules) == chapters()


def test_the_built_pages_show_at_least_two_figures_each_with_both_palettes_and_alt_text(built_site):
    drawn = json.loads((built_site / "generated" / "figures" / "figures.json").read_text())
    for src in chapter_pages():
        html = page_html(built_site, src)
        article = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser").select_one("article")
        figures = [figure for figure in article.select("figure")  # not Try it's drawing canvas
                   if figure.select_one('img[src*="generated/figures/"]')]
        assert len(figures) >= 2, f"{src}: {len(figures)} figures"
        for figure in figures:
            images = figure.select("img")
            assert [image["src"].rsplit("#", 1)[-1] for image in images] == ["only-light", "only-dark"], src
            for image in images:
                assert len(image.get("alt", "").split()) >= 12, f"{src}: {image['src']} has no real alt text"
                path = (html.parent / image["src"].split("#")[0]).resolve()
                assert path.is_file(), f"{src}: {image['src']} is missing from the site"
                root = ElementTree.parse(path).getroot()
                assert root.tag == SVG
                # The <img> keeps the SVG's size (pt -> px), so the page does not shift as it loads.
                size = [round(float(root.get(key).removesuffix("pt")) * 4 / 3) for key in ("width", "height")]
                assert [int(image.get("width", 0)), int(image.get("height", 0))] == size, image["src"]
            assert figure.select_one("figcaption").get_text(strip=True), f"{src}: a figure without a caption"
        names = {re.sub(r"-(light|dark)\.svg.*", "", image["src"].rsplit("/", 1)[-1]) for image in article.select("figure img")}
        assert names == set(page_figures(src.removesuffix(".md"))), src
        assert names <= set(drawn), f"{src}: figures the build did not draw: {sorted(names - set(drawn))}"


def test_every_drawn_figure_is_shown_on_a_page(built_site):
    drawn = json.loads((built_site / "generated" / "figures" / "figures.json").read_text())
    shown = {name for src in chapter_pages() for name in page_figures(src.removesuffix(".md"))}
    assert sorted(set(drawn) - shown) == []


def test_each_file_is_drawn_in_its_own_palette(built_site):
    """The light file's text is never in the dark scheme's text colour alone, and the other
    way round (a label on a filled shape may keep one colour in both)."""
    for light in sorted((built_site / "generated" / "figures").glob("*-light.svg")):
        dark = light.with_name(light.name.replace("-light.svg", "-dark.svg"))
        assert light.read_text() != dark.read_text(), light.name
        for path, palette, other in ((light, "light", "dark"), (dark, "dark", "light")):
            svg = path.read_text().lower()
            wrong = PALETTES[other]["text.color"] in svg and PALETTES[palette]["text.color"] not in svg
            assert not wrong, f"{path.name} is drawn in the {other} palette"


def test_the_command_refuses_a_bad_folder_in_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    finished = run_command("--output", blocker / "figures", module="figures")
    assert finished.returncode == 1
    assert finished.stderr.startswith("error: ") and finished.stderr.count("\n") == 1
    assert blocker.read_text() == "not a folder"
