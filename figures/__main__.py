"""``python -m figures --output FOLDER``: compute and draw every chapter's figures.

The figures are drawn into a new folder beside FOLDER, which then takes FOLDER's place, so
a build never sees half of them; figures.json, written last, lists them. With
``--only CHAPTER ...`` only those chapters' figures are drawn again, in place.

The numbers behind each figure go into FOLDER/data/<name>.pickle: the tests check the numbers
a page's figure was drawn from, without computing them a second time. The site leaves the
folder out (``exclude_docs`` in mkdocs.yml).
"""

import importlib
import json
import pickle
import shutil
import sys
import time
from pathlib import Path

from snippets.common import (
    Parser,
    describe_os_error,
    quiet_tensorflow,
    write_atomically,
)


def draw_all(output, only=None, log=print):
    """Draw the figures of every chapter into ``output``, or redraw those of ``only``."""
    from figures import chapters, save

    output = Path(output)
    # A full run draws into a new folder that then takes the old one's place; --only
    # redraws a few figures in place (each SVG is written whole) and keeps the others.
    folder = output if only else output.with_name(output.name + ".new")
    if not only:
        shutil.rmtree(folder, ignore_errors=True)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    listed = folder / "figures.json"
    drawn = json.loads(listed.read_text()) if only and listed.is_file() else {}
    for chapter in only or chapters():
        module = importlib.import_module(f"figures.{chapter}")
        for name, compute, draw in module.FIGURES:
            started = time.perf_counter()
            data = compute()
            save(draw, data, folder, name)
            write_atomically(
                folder / "data" / f"{name}.pickle", pickle.dumps(data)
            )
            drawn[name] = chapter
            log(f"{name}: {time.perf_counter() - started:.1f} s")
    write_atomically(listed, json.dumps(drawn, indent=1).encode())
    if not only:
        shutil.rmtree(output, ignore_errors=True)
        folder.rename(output)
    return drawn


def main(argv=None):
    parser = Parser(
        prog="python -m figures", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--output", required=True, type=Path, help="folder for the SVG files"
    )
    from figures import chapters

    parser.add_argument(
        "--only",
        nargs="+",
        choices=chapters(),
        metavar="CHAPTER",
        help="draw these chapters' figures only (to look at them while writing)",
    )
    args = parser.parse_args(argv)
    quiet_tensorflow()
    try:
        drawn = draw_all(args.output, args.only)
    except OSError as error:
        print(f"error: {describe_os_error(error)}", file=sys.stderr)
        return 1
    print(f"{len(drawn)} figures in {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
