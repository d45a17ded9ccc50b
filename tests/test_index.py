"""docs/index.md: the home page promises two commands and lists every chapter."""

import json
import re

import numpy as np

from helpers import ROOT, check_figures, page, site_config
from snippets.figures import index as index_figures


def test_the_two_commands_are_the_readmes_and_exist_in_the_makefile():
    home, readme = page("index"), (ROOT / "README.md").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for command in ("make serve", "make test"):
        assert re.search(rf"^{command}\b", home, re.M) and re.search(rf"^{command}\b", readme, re.M)
        assert re.search(rf"^{command.split()[1]}:", makefile, re.M), f"no {command} target"


def test_the_chapter_table_lists_every_chapter_in_the_order_of_the_navigation():
    linked = re.findall(r"^\| \[[^\]]+\]\(([\w-]+\.md)\) \|", page("index"), re.M)
    navigation = [next(iter(entry.values())) for entry in site_config()["nav"]]
    chapters = [target for target in navigation if isinstance(target, str) and target != "index.md"]
    assert linked == chapters


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


def test_fully_trained_it_reads_about_98_digits_in_a_hundred():
    assert "about 98 digits in a hundred" in " ".join(page("index").split())
    report = json.loads((ROOT / "benchmarks" / "course_accuracy.json").read_text())
    assert all(round(run["test_accuracy"] * 100) == 98 for run in report["runs"].values())
