"""Figures of "The complete system": the pipeline the command line runs, from fetching MNIST
to exporting for the browser, how wide an accuracy's interval is on the site's three sets,
and which module of snippets/ imports which."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyBboxPatch

from figures import COLORS, ink

PACKAGE = Path(__file__).resolve().parent.parent / "snippets"
# What the build redraws this page's figures for, besides code (docs/hooks/generated.py):
# the import graph and the command line's help are read from every module of the package.
INPUTS = ["snippets/**/*.py"]


def command_help(*args):
    """What `python -m snippets ARGS --help` prints, in lines as wide as they need."""
    finished = subprocess.run(
        [sys.executable, "-m", "snippets", *args, "--help"],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ, COLUMNS="200"),
    )
    return finished.stdout


def pipeline():
    """The stages, each with the code that does it: fetching and verifying come from
    snippets/mnist_files.py (its SOURCES, checked by SHA-256), preparing from
    snippets/data.py, the rest are the subcommands of `python -m snippets`, with the help
    the command line gives for each (read from its --help, as a reader would)."""
    from snippets import mnist_files
    from snippets.checkpoint import ARCHITECTURE_FILE

    commands = dict(
        re.findall(r"^ {4}(\w+) {2,}(\S.*)$", command_help(), re.MULTILINE)
    )
    del commands["check"]  # the exercises' checker: no part of the pipeline
    checkpoint_dir = re.search(
        r"--checkpoint-dir [A-Z_]+\s+[^\n]*\(default (\S+)\)",
        command_help("train"),
    )[1]
    return {
        "sources": list(mnist_files.SOURCES),
        "files": len(mnist_files.MNIST_FILES),
        "commands": commands,
        "checkpoint_dir": checkpoint_dir,
        "architecture_file": ARCHITECTURE_FILE,
    }


def _box(ax, x, y, title, text, color, width=1.7, height=0.78):
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0.03",
            facecolor="none",
            edgecolor=color,
            linewidth=1.6,
        )
    )
    ax.text(
        x,
        y + 0.16,
        title,
        ha="center",
        va="center",
        fontsize=10,
        fontweight="bold",
    )
    ax.text(
        x,
        y - 0.14,
        text,
        ha="center",
        va="center",
        fontsize=7.5,
        linespacing=1.2,
    )


def _arrow(ax, start, end):
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops=dict(
            arrowstyle="-|>", color=ink(), linewidth=1.1, shrinkA=0, shrinkB=0
        ),
    )


def draw_pipeline(data):
    figure, ax = plt.subplots(figsize=(10.0, 4.2))
    commands = data["commands"]
    row = 1.6
    _box(
        ax,
        0,
        row,
        "fetch",
        "from " + " or ".join(data["sources"]) + "\n(mnist_files)",
        COLORS[4],
    )
    _box(
        ax,
        2.1,
        row,
        "verify",
        f"SHA-256 of all {data['files']}\nfiles",
        COLORS[4],
    )
    _box(
        ax,
        4.2,
        row,
        "prepare",
        "scale, flatten, one-hot,\nvalidation split (data)",
        COLORS[4],
    )
    _box(ax, 6.3, row, "train", commands["train"], COLORS[0])
    _box(
        ax,
        8.4,
        row,
        "checkpoint",
        f"{data['checkpoint_dir']}/\nckpt-N + {data['architecture_file']}",
        COLORS[2],
    )
    for x in (0, 2.1, 4.2, 6.3):
        _arrow(ax, (x + 0.85, row), (x + 1.25, row))
    users = [name for name in commands if name != "train"]
    xs = [2.1 + 2.1 * i for i in range(len(users))]
    for x, name in zip(xs, users):
        help_text = (
            commands[name]
            .replace(" for the ", "\nfor the ")
            .replace(" from a ", "\nfrom a ")
        )
        _box(ax, x, -0.2, name, help_text, COLORS[1], width=1.9, height=0.86)
        ax.annotate(
            "",
            xy=(x, 0.23),
            xytext=(8.4, row - 0.39),
            arrowprops=dict(
                arrowstyle="-|>",
                color=ink(),
                linewidth=0.9,
                shrinkA=2,
                shrinkB=2,
                connectionstyle="arc3,rad=0.0",
                alpha=0.7,
            ),
        )
    ax.text(
        -0.85,
        -0.2,
        "python -m snippets ...\nusing a trained network:",
        ha="left",
        va="center",
        fontsize=9,
    )
    ax.set_xlim(-0.95, 9.55)
    ax.set_ylim(-0.75, 2.1)
    ax.axis("off")
    figure.tight_layout()
    return figure


def imports():
    """{module: the snippets modules it imports}, read from the source of snippets/*.py
    (anywhere in the file, functions included), without importing anything."""
    sources = {
        path.stem: [path]
        for path in sorted(PACKAGE.glob("*.py"))
        if path.stem not in ("__init__", "__main__")
    }
    # A subpackage of the system (the exercises' checks) is one node; figures/ is not part of it.
    sources.update(
        {
            folder.name: sorted(folder.glob("*.py"))
            for folder in sorted(PACKAGE.iterdir())
            if (folder / "__init__.py").is_file() and folder.name != "figures"
        }
    )
    graph = {}
    for name, paths in sources.items():
        names = set()
        for path in paths:
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.ImportFrom)
                    and node.module
                    and node.module.startswith("snippets.")
                ):
                    names.add(node.module.split(".")[1])
                elif (
                    isinstance(node, ast.ImportFrom)
                    and node.module == "snippets"
                ):
                    names.update(alias.name for alias in node.names)
                elif isinstance(node, ast.Import):
                    names.update(
                        a.name.split(".")[1]
                        for a in node.names
                        if a.name.startswith("snippets.")
                    )
        graph[name] = sorted(names - {name})
    return graph


def levels(graph):
    """Each module's height: 0 for those that import nothing of snippets, else one more than
    the highest module it imports."""
    height = {}

    def of(name):
        if name not in height:
            height[name] = 1 + max(
                (of(other) for other in graph[name]), default=-1
            )
        return height[name]

    for name in graph:
        of(name)
    return height


def reduced(graph):
    """The imports that no chain of other imports already implies (transitive reduction)."""

    def reachable(name, seen=None):
        seen = set() if seen is None else seen
        for other in graph[name]:
            if other not in seen:
                seen.add(other)
                reachable(other, seen)
        return seen

    return {
        name: [
            other
            for other in others
            if not any(
                other in reachable(middle)
                for middle in others
                if middle != other
            )
        ]
        for name, others in graph.items()
    }


def draw_imports(graph):
    height = levels(graph)
    graph = reduced(graph)
    rows = {}
    for name in sorted(graph, key=lambda n: (height[n], n)):
        rows.setdefault(height[name], []).append(name)
    position = {}
    for level, names in rows.items():
        for i, name in enumerate(names):
            position[name] = (i - (len(names) - 1) / 2, level)
    figure, ax = plt.subplots(figsize=(9.0, 5.6))
    for name, others in graph.items():
        for other in others:
            (x0, y0), (x1, y1) = position[name], position[other]
            ax.annotate(
                "",
                xy=(x1, y1 + 0.16),
                xytext=(x0, y0 - 0.16),
                arrowprops=dict(
                    arrowstyle="-|>",
                    color=COLORS[4],
                    linewidth=0.8,
                    alpha=0.85,
                    shrinkA=0,
                    shrinkB=0,
                ),
            )
    tensorflow_free = {
        "common",
        "config",
        "uncertainty",
        "mnist_files",
        "data",
    }
    for name, (x, y) in position.items():
        color = COLORS[2] if name in tensorflow_free else COLORS[1]
        ax.text(
            x,
            y,
            name,
            ha="center",
            va="center",
            fontsize=9,
            bbox=dict(
                boxstyle="round,pad=0.3",
                facecolor="none",
                edgecolor=color,
                linewidth=1.4,
            ),
        )
    ax.text(
        0.0,
        1.0,
        "arrow: imports (those implied by a chain of others left out)",
        transform=ax.transAxes,
        fontsize=9,
        color=COLORS[4],
        va="top",
    )
    ax.text(
        0.0,
        0.95,
        "green: loads no TensorFlow",
        transform=ax.transAxes,
        fontsize=9,
        color=COLORS[2],
        va="top",
    )
    width = max(len(names) for names in rows.values())
    ax.set_xlim(-width / 2 - 0.2, width / 2 + 0.2)
    ax.set_ylim(-0.5, max(rows) + 0.5)
    ax.axis("off")
    figure.tight_layout()
    return figure


# The site's three sets: the font digits, the validation set, MNIST's test set.
INTERVAL_SIZES = (1_500, 5_000, 10_000)


def intervals():
    """The Wilson 95 % interval of every accuracy from 90.0 % to 99.9 %, on each of the
    site's three sets: {"accuracy": [...], n: {"low": [...], "high": [...]}}."""
    from snippets.uncertainty import wilson_interval

    accuracies = [round(0.9 + 0.001 * i, 3) for i in range(100)]
    data = {"accuracy": accuracies}
    for n in INTERVAL_SIZES:
        bounds = [wilson_interval(round(p * n), n) for p in accuracies]
        data[n] = {
            "low": [low for low, _ in bounds],
            "high": [high for _, high in bounds],
        }
    return data


def draw_intervals(data):
    figure, ax = plt.subplots(figsize=(7.0, 3.6))
    accuracy = 100 * np.array(data["accuracy"])
    sizes = [key for key in data if key != "accuracy"]
    for color, n in zip(COLORS, sizes):
        half = 100 * (np.array(data[n]["high"]) - np.array(data[n]["low"])) / 2
        ax.plot(
            accuracy, half, color=color, linewidth=1.8, label=f"{n:,} digits"
        )
    ax.set_xlabel("accuracy (%)")
    ax.set_ylabel("± points (half the 95 % interval)")
    ax.set_ylim(bottom=0)
    ax.grid(True, axis="y")
    ax.legend(title="measured on")
    figure.tight_layout()
    return figure


FIGURES = [
    ("system-pipeline", pipeline, draw_pipeline),
    ("system-intervals", intervals, draw_intervals),
    ("system-imports", imports, draw_imports),
]
