"""The figures of the chapters, drawn by the build from the code the chapters teach.

    python -m figures --output docs/generated/figures

The site's build tooling, beside the package it draws from (snippets/) and not installed
with it: run it from the project root.

For each chapter, ``figures/<chapter>.py`` lists its figures in ``FIGURES``: for
each, a name, a function that computes the numbers the figure shows (its test, in
``tests/test_<chapter>.py``, checks those numbers, not pixels), and a function that draws
them; and in ``INPUTS`` the files it reads besides code (glob patterns from the project
root, such as a benchmark's results). Every figure is written twice, as SVG: once for the
site's light palette and once for the dark one; a page shows the one that matches
(mkdocs-material's ``#only-light`` and ``#only-dark``). docs/hooks/generated.py draws a
chapter again when its module, a module it imports (directly or not) or a file of its
INPUTS changed.
"""

import io
import pkgutil

import matplotlib

matplotlib.use("Agg")  # files only, no window

import matplotlib.pyplot as plt
import numpy as np

from snippets.common import write_atomically

# Okabe and Ito's colours, told apart with every kind of colour blindness, and readable on
# both backgrounds; the first two are the two classes of the toy problems.
COLORS = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
]

_COMMON = {
    "figure.dpi": 100,
    "axes.facecolor": "none",
    "savefig.dpi": 200,  # the parts drawn as pictures (maps, many points) stay sharp at 2x
    "savefig.transparent": True,  # the page's own background shows through
    "svg.fonttype": "none",  # text stays text: the reader's font, selectable, small files
    "svg.hashsalt": "deep-nets-tested",  # the same SVG on every build
    "font.family": "sans-serif",
    "font.size": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=COLORS),
    "legend.frameon": False,
}
# Text and lines in the colours of mkdocs-material's two schemes (default and slate).
PALETTES = {
    "light": dict(
        _COMMON,
        **{
            "text.color": "#222222",
            "axes.labelcolor": "#222222",
            "axes.edgecolor": "#555555",
            "xtick.color": "#333333",
            "ytick.color": "#333333",
            "grid.color": "#dddddd",
        },
    ),
    "dark": dict(
        _COMMON,
        **{
            "text.color": "#e2e4e9",
            "axes.labelcolor": "#e2e4e9",
            "axes.edgecolor": "#a0a4ad",
            "xtick.color": "#c8cbd2",
            "ytick.color": "#c8cbd2",
            "grid.color": "#3a3e4a",
        },
    ),
}


def bare(ax):
    """An axes that shows only its picture: no ticks, no frame."""
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)


def seed_band(ax, xs, seeds, color, marker="o", label=None):
    """The mean over seeds at each x, in a band from the lowest seed to the
    highest: ``seeds`` holds one array of the seeds' values for each x."""
    values = [np.asarray(v) for v in seeds]
    ax.fill_between(
        xs,
        [v.min() for v in values],
        [v.max() for v in values],
        color=color,
        alpha=0.25,
        linewidth=0,
    )
    ax.plot(
        xs,
        [v.mean() for v in values],
        color=color,
        marker=marker,
        markersize=4,
        label=label,
    )


def chapters():
    """The modules of figures/, one per page of the site."""
    return sorted(
        module.name
        for module in pkgutil.iter_modules(__path__)
        if not module.name.startswith("_")
    )


def ink():
    """The colour of text in the palette being drawn (for arrows, labels and outlines)."""
    return plt.rcParams["text.color"]


def save(draw, data, folder, name):
    """Draw ``data`` once per palette into folder/<name>-light.svg and <name>-dark.svg."""
    paths = []
    for palette, style in PALETTES.items():
        with plt.rc_context(style):
            figure = draw(data)
            svg = io.BytesIO()
            figure.savefig(
                svg, format="svg", bbox_inches="tight", metadata={"Date": None}
            )
            plt.close(figure)
        path = folder / f"{name}-{palette}.svg"
        write_atomically(path, svg.getvalue())
        paths.append(path)
    return paths
