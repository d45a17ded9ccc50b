"""docs/index.md: the home page promises two commands and lists every chapter, and the\nnavigation is the one list of chapters that the table and the rest follow."""

import json
import re
from types import SimpleNamespace

import numpy as np
import pytest
from mkdocs.exceptions import PluginError
from mkdocs.utils.meta import get_data

from figures import index as index_figures
from helpers import (
    DOCS,
    ROOT,
    build_hook,
    chapter_parts,
    chapters,
    check_figures,
    page,
    site_config,
)
from snippets.exercises import CHAPTERS
from snippets.uncertainty import wilson_interval


def test_the_two_commands_are_the_readmes_and_exist_in_the_makefile():
    home, readme = (
        page("index"),
        (ROOT / "README.md").read_text(encoding="utf-8"),
    )
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for command in ("make serve", "make test"):
        assert re.search(rf"^{command}\b", home, re.MULTILINE) and re.search(
            rf"^{command}\b", readme, re.MULTILINE
        )
        assert re.search(rf"^{command.split()[1]}:", makefile, re.MULTILINE), (
            f"no {command} target"
        )


# The one list of chapters ---------------------------------------------------------------
# mkdocs.yml's nav names every chapter once; the home page's table (drawn by
# docs/hooks/chapters.py), the chapters `check` knows, the test modules and the notebooks'
# order all follow it, so a new chapter is one nav entry beside its own files.

PARTS = [
    "The network",
    "Generalisation",
    "A working system",
    "Going further (optional)",
    "Appendix",
]


def test_the_navigation_has_the_five_parts_with_the_appendix_last():
    parts = dict(chapter_parts())
    assert list(parts) == PARTS
    # The site starts from a linear classifier and its appendix holds the
    # course's TensorFlow 1 code; the rest is the nav's to order, and
    # nothing here lists them again.
    assert parts["The network"][0][1] == "linear.md"
    assert "tf1-to-tf2.md" in [src for _, src in parts["Appendix"]]
    titles = [next(iter(entry)) for entry in site_config()["nav"]]
    assert titles[0] == "Home" and titles[-1] == "Notebooks"
    numbers = {4: "four", 5: "five", 6: "six", 7: "seven"}
    assert f"The chapters are in {numbers[len(parts)]} parts" in page("index")


def test_every_chapter_page_is_in_the_navigation_once():
    pages = sorted(
        path.stem for path in DOCS.glob("*.md") if path.stem != "index"
    )
    assert sorted(chapters()) == pages and len(set(chapters())) == len(
        chapters()
    )


def test_every_page_of_the_navigation_has_its_test_module():
    """tests/test_<page>.py for the home page and every chapter, so a maintainer finds a
    page's tests by its name."""
    missing = [
        name
        for name in ["index", *chapters()]
        if not (ROOT / "tests" / f"test_{name.replace('-', '_')}.py").is_file()
    ]
    assert missing == [], f"pages without a test module: {missing}"


def test_the_chapters_check_knows_are_the_navigations_in_alphabetical_order():
    # The installed package reads nothing outside it, so it finds its chapters by their
    # modules in snippets/exercises/; the order is the one `ls exercises/` shows.
    assert list(CHAPTERS) == sorted(chapters())
    starters = sorted(
        path.stem.replace("_", "-")
        for path in (ROOT / "exercises").glob("*.py")
    )
    assert starters == list(CHAPTERS)


def test_the_notebooks_follow_the_chapters_order():
    order = [name.replace("-", "_") for name in chapters()]
    notebooks = next(
        entry["Notebooks"]
        for entry in site_config()["nav"]
        if "Notebooks" in entry
    )
    stems = [
        next(iter(item.values()))
        .removeprefix("notebooks/")
        .removesuffix(".py")
        for item in notebooks
    ]
    assert stems[0] == "index"
    assert stems[1:] == [name for name in order if name in stems[1:]]


def front_matter(name):
    return get_data(page(name))[1]


def home_page_as_built(nav=None, parts=None, shows=None):
    """docs/index.md's Markdown as the chapters hook turns it, from the real pages unless
    ``parts`` (the home page's front matter) or ``shows`` ({src: line}) replace theirs."""
    hook = build_hook("chapters")
    body, meta = get_data(page("index"))
    shows = shows if shows is not None else {}

    class Files:
        def get_file_from_path(self, src):
            if not (DOCS / src).is_file():
                return None
            line = shows.get(src, front_matter(src).get("shows"))
            return SimpleNamespace(
                content_string=f"---\nshows: {json.dumps(line)}\n---\n"
            )

    home = SimpleNamespace(
        file=SimpleNamespace(src_uri="index.md"),
        meta={**meta, "parts": parts if parts is not None else meta["parts"]},
    )
    return hook.on_page_markdown(
        body, home, {"nav": nav or site_config()["nav"]}, Files()
    )


def test_the_chapter_table_is_drawn_from_the_navigation_in_its_order():
    source = page("index")
    assert source.count(build_hook("chapters").MARKER) == 1
    assert not re.search(r"^\| \[", source, re.MULTILINE), (
        "no hand-kept table of chapters"
    )
    built = home_page_as_built()
    rows = re.findall(
        r"^\| \[([^\]]+)\]\(([\w-]+\.md)\) \| (.+) \|$", built, re.MULTILINE
    )
    nav = [chapter for _, chapters in chapter_parts() for chapter in chapters]
    assert [(title, src) for title, src, _ in rows] == nav
    assert [line for _, _, line in rows] == [
        front_matter(src)["shows"] for _, src in nav
    ]
    # Each part of the table is headed by its part's name and line, in the same order.
    headings = re.findall(r"^\*\*([^*]+)\*\*: (.+)$", built, re.MULTILINE)
    assert headings == [
        (part, front_matter("index")["parts"][part]) for part in PARTS
    ]
    assert (
        "[Making it fast](speed.md)" in built
        and "Making it fast" not in source
    )


def test_a_new_chapter_in_the_navigation_is_in_the_table_with_nothing_else_edited():
    nav = [dict(entry) for entry in site_config()["nav"]]
    appendix = next(entry for entry in nav if "Appendix" in entry)
    appendix["Appendix"] = [
        *appendix["Appendix"],
        {"Old courses": "linear.md"},
    ]
    built = home_page_as_built(nav=nav)
    assert (
        built.count("| [Old courses](linear.md) | the logistic classifier")
        == 1
    )
    assert built.index("[From TensorFlow 1 to 2]") < built.index(
        "[Old courses]"
    )


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"shows": {"relu.md": ""}},
            "no 'shows:' line in the front matter of relu.md",
        ),
        (
            {"parts": {part: "a line" for part in PARTS[1:]}},
            "without a line: ['The network']",
        ),
        (
            {
                "parts": {
                    **{part: "a line" for part in PARTS},
                    "Exercises": "more",
                }
            },
            "not in the navigation: ['Exercises']",
        ),
        (
            {
                "nav": [
                    {"Home": "index.md"},
                    {"Appendix": [{"Gone": "gone.md"}]},
                ],
                "parts": {"Appendix": "a line"},
            },
            "the navigation names gone.md, which is not in docs/",
        ),
    ],
    ids=[
        "chapter without a line",
        "part without a line",
        "line for no part",
        "page not in docs",
    ],
)
def test_the_build_stops_on_a_chapter_or_part_without_its_line(
    change, message
):
    with pytest.raises(PluginError, match=re.escape(message)):
        home_page_as_built(**change)


def test_the_home_page_says_what_a_reader_needs_first_and_where_to_pick_it_up():
    section = (
        page("index")
        .split("## What you need first", 1)[1]
        .split("\n## ", 1)[0]
    )
    for subject in ("Python", "NumPy", "linear algebra", "calculus"):
        assert (
            f"**{subject}" in section or f"**A little {subject}" in section
        ), subject
    assert (
        len(re.findall(r"\]\(https://", section)) >= 3
    )  # where each is picked up


# Figures ------------------------------------------------------------------------------------


def test_figures_are_on_the_page_with_alt_text_and_captions():
    figures = check_figures("index", index_figures)
    assert "784-256-10" in figures["index-network"][1]
    alt, _ = figures["index-predictions"]
    assert alt.startswith(
        {12: "Twelve"}[index_figures.SHOWN] + " handwritten digits"
    )


def test_the_home_page_shows_no_code_of_the_model_the_mlp_chapter_does():
    assert "snippets/mlp.py:model" not in page("index")
    assert '--8<-- "snippets/mlp.py:model"' in page("mlp")


def test_network_diagram_is_read_from_the_model(drawn):
    network = drawn("index-network")
    assert network["sizes"] == [784, 256, 10]
    assert network["parameters"] == 203_530
    assert [
        (layer["weights"], layer["bias"]) for layer in network["layers"]
    ] == [
        (("hidden_1_weights", (784, 256)), ("hidden_1_bias", (256,))),
        (("out_weights", (256, 10)), ("out_bias", (10,))),
    ]
    assert network["parameters"] == sum(
        np.prod(layer["weights"][1]) + np.prod(layer["bias"][1])
        for layer in network["layers"]
    )


def test_predictions_nearly_all_right_and_confident_one_wrong_and_unsure(
    drawn,
):
    shown = drawn("index-predictions")
    assert len(shown["images"]) == index_figures.SHOWN
    guesses = shown["probabilities"].argmax(axis=1)
    wrong = np.flatnonzero(guesses != shown["labels"])
    assert len(wrong) == 1  # "the one it gets wrong"
    assert shown["probabilities"][wrong[0]].max() < 0.6
    right = shown["probabilities"][guesses == shown["labels"]].max(axis=1)
    assert np.median(right) > 0.9


def test_fully_trained_it_reads_about_98_digits_in_a_hundred_with_its_interval():
    text = " ".join(page("index").split())
    assert (
        "about 98 digits in a hundred: three seeds each land within half a point of 98 %"
        in text
    )
    assert (
        "95 % interval on the 10,000 test digits is about ± 0.25 points"
        in text
    )
    report = json.loads(
        (ROOT / "benchmarks" / "course_accuracy.json").read_text()
    )
    accuracies = [run["test_accuracy"] for run in report["runs"].values()]
    assert len(accuracies) == 3
    assert all(abs(accuracy - 0.98) < 0.005 for accuracy in accuracies)
    for accuracy in accuracies:
        low, high = wilson_interval(round(accuracy * 10_000), 10_000)
        assert abs(100 * (high - low) / 2 - 0.25) < 0.02
