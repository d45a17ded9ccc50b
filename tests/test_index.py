"""docs/index.md: the home page promises two commands and lists every chapter."""

import re

from helpers import ROOT, page, site_config


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
