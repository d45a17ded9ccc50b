"""The figures as a reader gets them: drawn by the build (figures/, run by
docs/hooks/generated.py), on every page of the site, in both palettes, with alt text.

What each figure shows is tested beside its chapter, in tests/test_<chapter>.py.
"""

import ast
import importlib
import json
import re
from pathlib import Path
from xml.etree import ElementTree

import generated  # docs/hooks/generated.py

from figures import PALETTES, chapters
from helpers import (
    ROOT,
    built_page,
    page_figures,
    page_html,
    run_command,
    site_pages,
)

SVG = "{http://www.w3.org/2000/svg}svg"


def chapter_pages():
    """Every page in the navigation that is not a notebook."""
    return [src for src, _ in site_pages() if src.endswith(".md")]


def test_every_chapter_page_has_its_own_figures_module():
    modules = {
        src.removesuffix(".md").replace("-", "_") for src in chapter_pages()
    }
    assert sorted(modules) == chapters()


def test_the_built_pages_show_at_least_two_figures_each_with_both_palettes_and_alt_text(
    built_site,
):
    drawn = json.loads(
        (built_site / "generated" / "figures" / "figures.json").read_text()
    )
    for src in chapter_pages():
        html = page_html(built_site, src)
        article = built_page(built_site, src).select_one("article")
        figures = [
            figure
            for figure in article.select(
                "figure"
            )  # not Try it's drawing canvas
            if figure.select_one('img[src*="generated/figures/"]')
        ]
        assert len(figures) >= 2, f"{src}: {len(figures)} figures"
        for figure in figures:
            images = figure.select("img")
            assert [image["src"].rsplit("#", 1)[-1] for image in images] == [
                "only-light",
                "only-dark",
            ], src
            for image in images:
                assert len(image.get("alt", "").split()) >= 12, (
                    f"{src}: {image['src']} has no real alt text"
                )
                path = (html.parent / image["src"].split("#")[0]).resolve()
                assert path.is_file(), (
                    f"{src}: {image['src']} is missing from the site"
                )
                root = ElementTree.parse(path).getroot()
                assert root.tag == SVG
                # The <img> keeps the SVG's size (pt -> px), so the page does not shift as it loads.
                size = [
                    round(float(root.get(key).removesuffix("pt")) * 4 / 3)
                    for key in ("width", "height")
                ]
                assert [
                    int(image.get("width", 0)),
                    int(image.get("height", 0)),
                ] == size, image["src"]
            assert figure.select_one("figcaption").get_text(strip=True), (
                f"{src}: a figure without a caption"
            )
        names = {
            re.sub(
                r"-(light|dark)\.svg.*", "", image["src"].rsplit("/", 1)[-1]
            )
            for image in article.select("figure img")
            if "generated/figures/"
            in image["src"]  # not a committed screenshot
        }
        assert names == set(page_figures(src.removesuffix(".md"))), src
        assert names <= set(drawn), (
            f"{src}: figures the build did not draw: {sorted(names - set(drawn))}"
        )


def test_every_drawn_figure_is_shown_on_a_page(built_site):
    drawn = json.loads(
        (built_site / "generated" / "figures" / "figures.json").read_text()
    )
    shown = {
        name
        for src in chapter_pages()
        for name in page_figures(src.removesuffix(".md"))
    }
    assert sorted(set(drawn) - shown) == []


def test_each_file_is_drawn_in_its_own_palette(built_site):
    """The light file's text is never in the dark scheme's text colour alone, and the other
    way round (a label on a filled shape may keep one colour in both)."""
    for light in sorted(
        (built_site / "generated" / "figures").glob("*-light.svg")
    ):
        dark = light.with_name(light.name.replace("-light.svg", "-dark.svg"))
        assert light.read_text() != dark.read_text(), light.name
        for path, palette, other in (
            (light, "light", "dark"),
            (dark, "dark", "light"),
        ):
            svg = path.read_text().lower()
            wrong = (
                PALETTES[other]["text.color"] in svg
                and PALETTES[palette]["text.color"] not in svg
            )
            assert not wrong, f"{path.name} is drawn in the {other} palette"


def test_the_command_refuses_a_bad_folder_in_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    finished = run_command("--output", blocker / "figures", module="figures")
    assert finished.returncode == 1
    assert (
        finished.stderr.startswith("error: ")
        and finished.stderr.count("\n") == 1
    )
    assert blocker.read_text() == "not a folder"


# What the build redraws (docs/hooks/generated.py) ----------------------------------------


def names(paths):
    return {path.relative_to(ROOT).as_posix() for path in paths}


def test_a_chapter_is_keyed_on_its_code_every_module_it_imports_and_what_it_reads():
    linear = names(generated.inputs("figures.linear"))
    assert {
        "figures/linear.py",
        "figures/__init__.py",
        "snippets/__init__.py",
        "snippets/linear.py",
        "snippets/mlp.py",
    } <= linear
    assert not any(
        name.startswith(("benchmarks/", "figures/speed", "snippets/relu"))
        for name in linear
    )
    index = names(
        generated.inputs("figures.index")
    )  # imports figures.mlp, which trains
    assert {"figures/mlp.py", "figures/_runs.py", "snippets/train.py"} <= index
    speed = names(generated.inputs("figures.speed"))
    committed_runs = names((ROOT / "benchmarks" / "speed").glob("*.json"))
    assert committed_runs and committed_runs <= speed
    assert {"benchmarks/results.py", "benchmarks/typed_json.py"} <= speed
    package = {
        name
        for name in names((ROOT / "snippets").rglob("*.py"))
        if "__pycache__" not in name
    }
    assert package <= names(
        generated.inputs("figures.system")
    )  # it draws the package's imports
    # the data a module reads beside itself: the committed network, the held-out digits
    exported = names(generated.inputs(generated.EXPORT_MODULE))
    assert {
        "snippets/best_network/weights.bin",
        "snippets/other_digits/other_digits.npz",
    } <= exported
    # a script that is no module: a notebook's source
    notebook = names(generated.inputs(ROOT / "docs" / "notebooks" / "relu.py"))
    assert {
        "docs/notebooks/relu.py",
        "snippets/__init__.py",
        "snippets/relu.py",
    } <= notebook
    assert "figures/__init__.py" not in notebook


def test_every_file_a_figure_module_points_at_is_among_its_inputs():
    """A figure module that reads a file (a benchmark's results) lists it in INPUTS, or the
    build would keep its figures when the file changes."""
    for chapter in chapters():
        module = importlib.import_module(f"figures.{chapter}")
        inputs = generated.inputs(f"figures.{chapter}")
        for name, value in vars(module).items():
            if (
                isinstance(value, Path)
                and value.exists()
                and value.resolve().is_relative_to(ROOT)
            ):
                value = value.resolve()
                assert any(
                    path == value or path.is_relative_to(value)
                    for path in inputs
                ), (chapter, name)


def test_the_export_is_keyed_on_the_module_the_command_runs():
    tree = ast.parse(
        (ROOT / "snippets" / "cli.py").read_text(encoding="utf-8")
    )
    run_export = next(
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name == "run_export"
    )
    assert generated.EXPORT_MODULE in {
        node.module
        for node in ast.walk(run_export)
        if isinstance(node, ast.ImportFrom)
    }


def small_project(root):
    """figures/a.py imports snippets.x inside a function; figures/b.py reads a result;
    figures/c.py needs nothing."""
    files = {
        "figures/__init__.py": "",
        "figures/a.py": "def f():\n    from snippets.x import g\n",
        "figures/b.py": 'INPUTS = ["benchmarks/r.json"]\nimport snippets.y\n',
        "figures/c.py": "",
        "snippets/__init__.py": "",
        "snippets/x.py": "import numpy\nfrom snippets import y\n",
        "snippets/y.py": "",
        "snippets/z.py": "",
        "benchmarks/r.json": "{}",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_an_edit_redraws_the_chapters_that_read_it_and_only_those(tmp_path):
    small_project(tmp_path)
    records, last_file = (
        tmp_path / "out" / "inputs",
        tmp_path / "out" / "figures.json",
    )

    def wanted():
        return {
            chapter: generated.fingerprint(f"figures.{chapter}", tmp_path)
            for chapter in ("a", "b", "c")
        }

    assert (
        generated.to_draw(last_file, records, wanted()) == []
    )  # nothing drawn: all
    last_file.parent.mkdir()
    last_file.write_text("{}")
    for chapter, value in wanted().items():
        generated.record(records / f"{chapter}.json", value)
    assert generated.to_draw(last_file, records, wanted()) is None
    (tmp_path / "snippets" / "z.py").write_text(
        "x = 1\n"
    )  # imported by nobody
    (tmp_path / "snippets" / "x.py").write_text(
        (tmp_path / "snippets" / "x.py").read_text()
    )  # saved unchanged
    assert generated.to_draw(last_file, records, wanted()) is None
    (tmp_path / "snippets" / "x.py").write_text(
        "import numpy\nfrom snippets import y\nz = 2\n"
    )
    assert generated.to_draw(last_file, records, wanted()) == ["a"]
    (tmp_path / "snippets" / "y.py").write_text(
        "y = 1\n"
    )  # a imports it through x
    assert generated.to_draw(last_file, records, wanted()) == ["a", "b"]
    generated.record(records / "a.json", wanted()["a"])
    (tmp_path / "benchmarks" / "r.json").write_text('{"new": 1}')
    assert generated.to_draw(last_file, records, wanted()) == ["b"]
    generated.record(
        records / "gone.json", {}
    )  # a chapter removed: everything again
    assert generated.to_draw(last_file, records, wanted()) == []
