"""Promote fresh measurements to the committed results that the site shows.

    make promote                                  # every waiting measurement
    python benchmarks/promote.py speed/avx512.json course_accuracy.json
    python benchmarks/promote.py --list           # what is waiting

Every measurement target (``make bench``, ``make accuracy`` and the others)
writes under benchmarks/new/, which nothing on the site reads, so that running
one never breaks ``make test``. Promoting moves ``benchmarks/new/NAME`` to
``benchmarks/NAME``: a speed run to benchmarks/speed/GENERATION.json (one file
per CPU generation, so a run on one kind never replaces another's), the others
beside their scripts. A speed run is checked against the schema first, and a
quick run is refused. The pages' checked outputs that print these files are
then out of date: the command says which test shows them and how to refresh
them.
"""

import contextlib
import importlib.machinery
import importlib.util
import io
import json
import re
import sys
from pathlib import Path

if __package__ != "benchmarks":  # run as a file, not with python -m
    # benchmarks/ is a folder of scripts, not an installed package: make
    # benchmarks.* importable from this folder (without touching sys.path)
    package = importlib.machinery.ModuleSpec(
        "benchmarks", None, is_package=True
    )
    package.submodule_search_locations.append(str(Path(__file__).parent))
    sys.modules.setdefault(
        "benchmarks", importlib.util.module_from_spec(package)
    )

from benchmarks import results as schema
from snippets.common import Parser, describe_os_error

BENCHMARKS = schema.ROOT / "benchmarks"

# The pages whose checked outputs print each committed file.
PAGES = {
    "speed/": "speed",
    "course_accuracy.json": "mlp system index",
    "best_accuracy.json": "system augmentation",
    "augmentation.json": "augmentation",
    "augmentation_full_size.json": "augmentation",
    "distributed.json": "distributed",
    "transfer.json": "finetuning",
    "transfer_longer.json": "finetuning",
    "optimisers_scale.json": "optimisers",
    "deeper_vs_wider.json": "deeper",
    "learning_curve.json": "regularization",
    "l2_sweep.json": "regularization",
    "l2_sweep_sgd.json": "regularization",
    "keep_sweep.json": "dropout",
    "srivastava.json": "dropout",
    "deep_rescue.json": "deeper",
}


def waiting(new=schema.MEASURED):
    """The measurements under ``new``, as names relative to it."""
    return sorted(
        path.relative_to(new).as_posix()
        for path in Path(new).rglob("*.json")
        if not path.name.startswith(".")
    )


def check(name, path):
    """Refuse what must not be committed: a file that is not JSON, a speed
    run that does not fit the schema, or a quick one."""
    if name.startswith("speed/"):
        results = schema.load(path)
        if results.quick:
            raise ValueError(f"{name} is a quick run: only a full run counts")
        if f"speed/{results.generation}.json" != name:
            raise ValueError(
                f"{name} holds a run of generation {results.generation}"
            )
    else:
        try:
            json.loads(Path(path).read_text())
        except json.JSONDecodeError as error:
            raise ValueError(f"{name} is not JSON ({error})") from None


def promote(name, new=schema.MEASURED, committed=BENCHMARKS):
    """Move ``new/NAME`` over ``committed/NAME``; the committed path."""
    source, target = Path(new) / name, Path(committed) / name
    if not source.is_file():
        raise ValueError(f"no measurement {name} in {new}")
    check(name, source)
    target.parent.mkdir(parents=True, exist_ok=True)
    source.replace(target)
    return target


# A block of a page that prints the committed speed runs, and the output the
# tests check it against.
PRINTS_RESULTS = re.compile(
    r"(```python\n(?P<code>(?:(?!```).)*?from benchmarks\.results import "
    r"(?:(?!```).)*?)```\n\n<!--pytest-codeblocks:expected-output-->\n"
    r"```text\n)(?P<output>.*?)(```)",
    re.DOTALL,
)


def refresh_page(path):
    """Run each block of the page at ``path`` that prints the committed speed
    runs (it imports benchmarks.results), and write what it prints into the
    checked output after it. The number of blocks refreshed."""
    text = Path(path).read_text()

    def rerun(match):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            # the page's own block, run as the tests run it
            exec(compile(match["code"], str(path), "exec"), {})  # noqa: S102
        return match.group(1) + printed.getvalue() + match.group(4)

    refreshed, count = PRINTS_RESULTS.subn(rerun, text)
    Path(path).write_text(refreshed)
    return count


def refresh_advice(names):
    """What to look at once ``names`` are promoted: the pages that print
    them."""
    pages = sorted(
        {
            page
            for name in names
            for key, listed in PAGES.items()
            if name.startswith(key)
            for page in listed.split()
        }
    )
    advice = []
    if "speed" in pages:
        advice.append(
            "docs/speed.md: the checked outputs that print the committed "
            "speed runs were refreshed; check that the prose beside them "
            "still says what they show"
        )
    others = [f"docs/{page}.md" for page in pages if page != "speed"]
    if others:
        keys = " or ".join(page for page in pages if page != "speed")
        advice.append(
            f"{', '.join(others)} print these files: run `.venv/bin/python "
            f'-m pytest tests/test_code_blocks.py -k "{keys}"`, copy each '
            "block's new output into the expected output it reports, and "
            "check that the prose still says what the numbers show"
        )
    return "\n".join(advice) or "nothing on the site prints these files"


def main(argv=None):
    parser = Parser(prog="promote.py", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="under benchmarks/new/")
    parser.add_argument(
        "--all", action="store_true", help="every waiting measurement"
    )
    parser.add_argument("--list", action="store_true", help="list them")
    args = parser.parse_args(argv)
    names = waiting() if args.all else args.names
    if args.list or not names:
        for name in waiting():
            print(name)
        if not waiting():
            print("nothing waiting in benchmarks/new/")
        return 0
    try:
        for name in names:
            target = promote(name)
            print(f"promoted {name} to {target.relative_to(schema.ROOT)}")
    except (ValueError, OSError) as error:
        if isinstance(error, OSError):
            error = describe_os_error(error)
        print(f"promote.py: error: {error}", file=sys.stderr)
        return 1
    if any(name.startswith("speed/") for name in names):
        page = schema.ROOT / "docs" / "speed.md"
        count = refresh_page(page)
        print(
            f"refreshed the checked outputs of {count} blocks of docs/speed.md"
        )
    print(refresh_advice(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
