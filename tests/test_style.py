"""The whole repository keeps one style: `ruff check` and `ruff format --check`
(settings in pyproject.toml, ruff pinned in requirements.txt)."""

import subprocess
import sys
from pathlib import Path

from helpers import ROOT

RUFF = Path(sys.executable).with_name("ruff")


def ruff(*arguments):
    return subprocess.run(
        [str(RUFF), *arguments, str(ROOT)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_ruff_finds_nothing_to_fix():
    checked = ruff("check", "--no-cache", "--output-format", "concise")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_file_is_formatted():
    formatted = ruff("format", "--check", "--no-cache")
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


def test_the_style_check_fails_on_a_badly_formatted_file(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os, sys\nx = {  'a':1 }\n")
    checked = subprocess.run(
        [str(RUFF), "check", "--no-cache", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    formatted = subprocess.run(
        [str(RUFF), "format", "--check", "--no-cache", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 1 and "F401" in checked.stdout
    assert formatted.returncode == 1 and "bad.py" in formatted.stdout
