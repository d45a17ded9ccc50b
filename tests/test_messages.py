"""Errors name what they are about (issue 28): no message below the command line speaks of
a flag or a make target, and `python -m snippets` still turns them into advice about flags.

A library function is also called from notebooks, benchmarks and other people's programs,
which never used `--checkpoint-dir`. Its errors name the setting as the function takes it
(`checkpoint_dir`, `new_head=True`, `hidden=(64,)`) and list it in `error.settings`; the
command line says its flag there instead (snippets/cli.py, `said_as_flags`).
"""

import ast
import re

import pytest

from helpers import ROOT, free_ports, run_command

SNIPPETS = ROOT / "snippets"
MAKE_TARGETS = set(
    re.findall(
        r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.MULTILINE
    )
)
# --flag after the start, a space, a bracket or a quote: not "ckpt-*_temp" or "1 - keep_prob"
FLAG = re.compile(r"(?:^|[\s(`'\"])(--[a-z][a-z0-9-]*)")
MAKE = re.compile(r"\bmake ([a-z][a-z-]*)")
# Calls that define a command line: what they say is about that command line's own flags.
PARSER_CALLS = {
    "add_argument",
    "add_argument_group",
    "add_parser",
    "add_subparsers",
    "ArgumentParser",
    "Parser",
}


def library_modules():
    """Every module of the package below the command line (snippets/cli.py)."""
    return sorted(
        path for path in SNIPPETS.rglob("*.py") if path != SNIPPETS / "cli.py"
    )


def call_name(node):
    function = node.func
    return (
        function.attr
        if isinstance(function, ast.Attribute)
        else getattr(function, "id", None)
    )


def is_parser_class(node):
    """A class that is a command line's parser (a subclass of argparse's)."""
    return any("ArgumentParser" in ast.unparse(base) for base in node.bases)


def texts(tree):
    """(line, text) of every string and f-string a module can raise, print or return, leaving
    out: docstrings (read with the code, not shown to a user), a module's own ``main`` (which
    runs it as a script, with its own flags), the calls that build a command line's parser, a
    parser class, and a string that is one flag alone (an argument handed to another program,
    such as ``npm pack --silent``)."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(
            node,
            (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef),
        ):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
            ):
                skipped.add(id(body[0].value))
        outside = (
            (isinstance(node, ast.FunctionDef) and node.name == "main")
            or (isinstance(node, ast.ClassDef) and is_parser_class(node))
            or (isinstance(node, ast.Call) and call_name(node) in PARSER_CALLS)
        )
        if outside:
            skipped.update(id(inner) for inner in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.JoinedStr):
            # the literal pieces, with a placeholder for each value
            text = "".join(
                part.value if isinstance(part, ast.Constant) else "{}"
                for part in node.values
            )
            skipped.update(id(part) for part in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if re.fullmatch(r"--[a-z][a-z0-9-]*(=\S*)?", text):
            continue
        found.append((node.lineno, text))
    return found


def command_line_words(text):
    flags = FLAG.findall(text)
    targets = [
        f"make {target}"
        for target in MAKE.findall(text)
        if target in MAKE_TARGETS
    ]
    return flags + targets


@pytest.mark.parametrize(
    "path", library_modules(), ids=lambda path: str(path.relative_to(SNIPPETS))
)
def test_no_library_message_names_a_flag_or_a_make_target(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    spoken = [
        f"{path.relative_to(ROOT)}:{line}: {words} in {text!r}"
        for line, text in texts(tree)
        if (words := command_line_words(text))
    ]
    assert not spoken, "\n".join(spoken)


def test_the_check_finds_flags_and_make_targets():
    """The test above would see one: in a raise, a print, an f-string, a returned string."""
    source = '''
def advise(directory):
    raise ValueError(f"{directory} is damaged; use another --checkpoint-dir")

def note():
    print("run `make best-network` first")

def command(directory):
    return f"python -m snippets train --seed 1 --checkpoint-dir {directory}"

def main():
    print("--epochs 3 is this script's own flag")

def fine():
    """Docstrings may say --hint."""
    print("free some space or make the folder writable")
    return ["npm", "pack", "--silent"]
'''
    found = {
        line: command_line_words(text)
        for line, text in texts(ast.parse(source))
        if command_line_words(text)
    }
    assert found == {
        3: ["--checkpoint-dir"],
        6: ["make best-network"],
        9: ["--seed", "--checkpoint-dir"],
    }


# The command line's side: a library setting said as its flag ---------------------------------
# (through `python -m snippets` as a reader runs it: only the command line imports snippets.cli)

COMMANDS = ("train", "evaluate", "finetune", "predict", "export", "check")


def flags_of_the_command_line():
    """Every flag of every command of `python -m snippets`, as its --help lists them."""
    return {
        flag
        for command in COMMANDS
        for flag in re.findall(
            r"(?<![\w-])--[a-z][a-z-]*", run_command(command, "--help").stdout
        )
    }


def settings_named_by_the_library():
    """(module, line, setting) for every ``settings=(...)`` an error of the library is raised
    with."""
    named = []
    for path in library_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "settings":
                for setting in ast.literal_eval(node.value):
                    named.append(
                        (
                            path.relative_to(SNIPPETS).as_posix(),
                            node.value.lineno,
                            setting,
                        )
                    )
    return named


def test_every_setting_an_error_names_is_a_flag_of_the_command_line():
    """The command line says a setting as ``--`` and its name with dashes (cli.flag): that
    flag must exist, in `python -m snippets` or in the module's own command line."""
    named = settings_named_by_the_library()
    assert {setting for _, _, setting in named} >= {
        "checkpoint_dir",
        "new_head",
        "allow_partial",
        "learning_rate",
        "hidden",
        "epochs",
        "workers",
        "worker_index",
        "overwrite",
    }
    flags = flags_of_the_command_line()
    for module, line, setting in named:
        own = re.findall(
            r'add_argument\(\s*"(--[a-z-]+)"', (SNIPPETS / module).read_text()
        )
        flag = "--" + setting.replace("_", "-")
        assert flag in flags | set(own), (
            f"{module}:{line}: {setting} has no flag {flag}"
        )


def test_a_worker_index_is_said_with_its_value(tmp_path):
    """The library says worker_index=0; the command line --worker-index 0. (192.0.2.0/24 is
    for documentation: not this machine's, so it cannot listen there.)"""
    port = free_ports(1)[0]
    completed = run_command(
        "train",
        "--workers",
        f"192.0.2.7:{port},127.0.0.1:{port}",
        "--worker-index",
        "0",
        "--limit",
        "100",
        "--checkpoint-dir",
        tmp_path / "run",
    )
    assert completed.returncode == 1 and completed.stderr.count("\n") == 1
    assert completed.stderr.startswith(
        f"error: cannot listen on 192.0.2.7:{port} ("
    )
    assert completed.stderr.endswith(
        "; --workers must give this machine's own address and a free port at "
        "--worker-index 0\n"
    )


def test_a_library_error_reads_in_the_librarys_words_and_the_command_line_in_flags(
    tmp_path,
):
    """The same missing folder: `restore_model` names no command; `evaluate` shows the one
    that trains it."""
    from snippets.checkpoint import CheckpointError, restore_model

    folder = tmp_path / "nowhere"
    with pytest.raises(CheckpointError) as refused:
        restore_model(folder)
    assert (
        str(refused.value)
        == f"checkpoint directory {folder} does not exist; train a model first"
    )
    completed = run_command("evaluate", "--checkpoint-dir", folder)
    assert completed.returncode == 1
    assert completed.stderr == (
        f"error: checkpoint directory {folder} does not exist; train a model first "
        f"with: python -m snippets train --checkpoint-dir {folder}\n"
    )


def test_a_run_with_other_settings_is_told_its_flags(tmp_path):
    """The library says "only epochs may change ... another checkpoint_dir"; the command line
    says the flags."""
    from snippets.checkpoint import CheckpointError, open_training_checkpoints
    from snippets.config import TrainConfig
    from snippets.mlp import MLP

    folder = (
        tmp_path / "checkpoint_dir"
    )  # a setting's name inside a path stays as it is
    argv = [
        "train",
        "--hidden",
        "8",
        "--limit",
        "200",
        "--epochs",
        "1",
        "--checkpoint-dir",
        folder,
    ]
    assert run_command(*argv).returncode == 0
    changed = run_command(*argv, "--learning-rate", "0.01")
    assert changed.returncode == 1 and changed.stderr.count("\n") == 1
    assert changed.stderr.startswith(
        f"error: {folder} holds a run with other settings ("
    )
    assert changed.stderr.endswith(
        "(only --epochs may change), or use another --checkpoint-dir\n"
    )
    assert (
        "learning_rate 0.001 -> 0.01" in changed.stderr
    )  # what differs, as model.json records it
    import tensorflow as tf

    model = MLP(hidden=(8,))
    with pytest.raises(CheckpointError) as refused:
        open_training_checkpoints(
            tf.train.Checkpoint(model=model, epoch=tf.Variable(0)),
            folder,
            TrainConfig(hidden=(8,), learning_rate=0.01, limit=200),
            model,
        )
    assert str(refused.value).endswith(
        "(only epochs may change), or use another checkpoint_dir"
    )
    assert refused.value.settings == ("epochs", "checkpoint_dir")


def shown_modules():
    """The modules whose code the site shows (a page includes a section of them)."""
    pages = "".join(page.read_text() for page in (ROOT / "docs").rglob("*.md"))
    return sorted(
        {
            SNIPPETS / name
            for name in re.findall(r'--8<-- "snippets/([\w/]+\.py)', pages)
        }
    )


def test_error_messages_are_not_cut_mid_clause_in_shown_code():
    """An error message written as literals side by side is cut only where its line is
    full, or at the end of a clause: never "... train a model " "first " "with: ...", which
    reflowing leaves behind and which reads badly on the page."""
    cut = set()
    for path in shown_modules() + [SNIPPETS / "cli.py"]:
        source = path.read_text()
        lines = source.splitlines()
        for raised in ast.walk(ast.parse(source)):
            if not isinstance(raised, ast.Raise):
                continue
            for node in ast.walk(raised):
                for line, piece in implicit_pieces(source, node)[:-1]:
                    if (
                        not re.search(r"[,;:.!?)]\s*$", piece)
                        and len(lines[line - 1]) < 50
                    ):
                        cut.add(f"{path.relative_to(ROOT)}:{line}: {piece!r}")
    assert not cut, "\n".join(sorted(cut))


def implicit_pieces(source, node):
    """(line, text) of the literal pieces, as written, of a string made of literals side by
    side."""
    if not (
        isinstance(node, ast.JoinedStr)
        or (isinstance(node, ast.Constant) and isinstance(node.value, str))
    ):
        return []
    segment = ast.get_source_segment(source, node) or ""
    pieces = []
    for match in re.finditer(
        r"""[rbfRBF]*("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')""", segment
    ):
        pieces.append(
            (
                node.lineno + segment.count("\n", 0, match.start()),
                match.group(1)[1:-1],
            )
        )
    return pieces if len(pieces) > 1 else []
