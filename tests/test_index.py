"""docs/index.md: the home page promises two commands and lists every chapter."""

import json
import re

import numpy as np

from helpers import ROOT, check_figures, page, site_config
from figures import index as index_figures
from snippets.uncertainty import wilson_interval


def test_the_two_commands_are_the_readmes_and_exist_in_the_makefile():
    home, readme = page("index"), (ROOT / "README.md").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for command in ("make serve", "make test"):
        assert re.search(rf"^{command}\b", home, re.M) and re.search(rf"^{command}\b", readme, re.M)
        assert re.search(rf"^{command.split()[1]}:", makefile, re.M), f"no {command} target"


PARTS = ["The network", "Generalisation", "A working system", "Going further (optional)", "Appendix"]


def chapter_parts():
    """The navigation's parts and their chapter pages, in order (the notebooks are not a part)."""
    parts = {}
    for entry in site_config()["nav"]:
        (title, target), = entry.items()
        if isinstance(target, list) and title != "Notebooks":
            parts[title] = [next(iter(chapter.values())) for chapter in target]
    return parts


def test_the_navigation_has_the_five_parts_with_the_appendix_last():
    parts = chapter_parts()
    assert list(parts) == PARTS
    assert parts["Appendix"] == ["tf1-to-tf2.md"]
    assert parts["The network"] == ["linear.md", "relu.md", "mlp.md", "backprop.md", "deeper.md"]
    titles = [next(iter(entry)) for entry in site_config()["nav"]]
    assert titles[0] == "Home" and titles[-1] == "Notebooks"


def test_the_chapter_table_lists_every_chapter_in_the_order_of_the_navigation():
    linked = re.findall(r"^\| \[[^\]]+\]\(([\w-]+\.md)\) \|", page("index"), re.M)
    assert linked == [chapter for chapters in chapter_parts().values() for chapter in chapters]
    # Each part of the table is headed by its part's name, in the same order.
    headings = re.findall(r"^\*\*([^*]+)\*\*", page("index"), re.M)
    assert [heading.split(" (")[0] for heading in headings] == [part.split(" (")[0] for part in PARTS]


def test_the_notebooks_follow_the_chapters_order():
    order = [chapter.removesuffix(".md").replace("-", "_")
             for chapters in chapter_parts().values() for chapter in chapters]
    notebooks = next(entry["Notebooks"] for entry in site_config()["nav"] if "Notebooks" in entry)
    stems = [next(iter(item.values())).removeprefix("notebooks/").removesuffix(".py") for item in notebooks]
    assert stems[0] == "index"
    assert stems[1:] == [name for name in order if name in stems[1:]]


def test_the_home_page_says_what_a_reader_needs_first_and_where_to_pick_it_up():
    section = page("index").split("## What you need first", 1)[1].split("\n## ", 1)[0]
    for subject in ("Python", "NumPy", "linear algebra", "calculus"):
        assert f"**{subject}" in section or f"**A little {subject}" in section, subject
    assert len(re.findall(r"\]\(https://", section)) >= 3  # where each is picked up


# Figures ------------------------------------------------------------------------------------

def test_figures_are_on_the_page_with_alt_text_and_captions():
    figures = check_figures("index", index_figures)
    assert "784-256-10" in figures["index-network"][1]
    alt, _ = figures["index-predictions"]
    assert alt.startswith({12: "Twelve"}[index_figures.SHOWN] + " handwritten digits")


def test_the_home_page_shows_no_code_of_the_model_the_mlp_chapter_does():
    assert "snippets/mlp.py:model" not in page("index")
    assert '--8<-- "snippets/mlp.py:model"' in page("mlp")


def test_network_diagram_is_read_from_the_model(drawn):
    network = drawn("index-network")
    assert network["sizes"] == [784, 256, 10]
    assert network["parameters"] == 203_530
    assert [(layer["weights"], layer["bias"]) for layer in network["layers"]] == [
        (("hidden_1_weights", (784, 256)), ("hidden_1_bias", (256,))),
        (("out_weights", (256, 10)), ("out_bias", (10,)))]
    assert network["parameters"] == sum(
        np.prod(layer["weights"][1]) + np.prod(layer["bias"][1]) for layer in network["layers"])


def test_predictions_nearly_all_right_and_confident_one_wrong_and_unsure(drawn):
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
    assert "about 98 digits in a hundred: three seeds each land within half a point of 98 %" in text
    assert "95 % interval on the 10,000 test digits is about ± 0.25 points" in text
    report = json.loads((ROOT / "benchmarks" / "course_accuracy.json").read_text())
    accuracies = [run["test_accuracy"] for run in report["runs"].values()]
    assert len(accuracies) == 3
    assert all(abs(accuracy - 0.98) < 0.005 for accuracy in accuracies)
    for accuracy in accuracies:
        low, high = wilson_interval(round(accuracy * 10_000), 10_000)
        assert abs(100 * (high - low) / 2 - 0.25) < 0.02
