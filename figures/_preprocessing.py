"""A figure of "Try it: draw a digit" (listed in try.py's FIGURES): pictures of digits with
the troubles real ones have, each beside the 28x28 image ``predict.prepare`` makes of it,
which is what the network reads.

The pictures are drawn here, seeded, with Pillow's pen: a digit is a few strokes through
points of a unit box, smoothed into curves, drawn at a few times the picture's size and
shrunk (so that the edges of the strokes are grey, as in a scan), then put on paper.
tests/test_try.py uses the same pictures to test each step of ``prepare``.
"""

import matplotlib.pyplot as plt
import numpy as np
from PIL import Image, ImageDraw

from figures import ink
from snippets.predict import prepare

# Each digit's strokes through points of a unit box (x to the right, y down).
STROKES = {
    0: [
        [
            (0.5, 0.04),
            (0.16, 0.25),
            (0.14, 0.7),
            (0.5, 0.96),
            (0.84, 0.72),
            (0.86, 0.3),
            (0.5, 0.04),
        ]
    ],
    2: [
        [
            (0.16, 0.28),
            (0.3, 0.08),
            (0.62, 0.04),
            (0.82, 0.22),
            (0.72, 0.48),
            (0.14, 0.94),
            (0.88, 0.94),
        ]
    ],
    3: [
        [
            (0.18, 0.14),
            (0.5, 0.04),
            (0.8, 0.2),
            (0.66, 0.44),
            (0.4, 0.5),
            (0.72, 0.56),
            (0.84, 0.8),
            (0.5, 0.96),
            (0.16, 0.86),
        ]
    ],
    4: [[(0.62, 0.96), (0.62, 0.04), (0.12, 0.66), (0.9, 0.66)]],
    5: [
        [
            (0.8, 0.05),
            (0.28, 0.05),
            (0.24, 0.44),
            (0.6, 0.4),
            (0.84, 0.64),
            (0.66, 0.92),
            (0.18, 0.88),
        ]
    ],
    7: [[(0.12, 0.06), (0.88, 0.06), (0.4, 0.96)]],
    8: [
        [
            (0.5, 0.5),
            (0.76, 0.28),
            (0.5, 0.04),
            (0.24, 0.26),
            (0.5, 0.5),
            (0.82, 0.74),
            (0.5, 0.96),
            (0.18, 0.74),
            (0.5, 0.5),
        ]
    ],
    9: [
        [
            (0.78, 0.3),
            (0.6, 0.06),
            (0.3, 0.08),
            (0.18, 0.3),
            (0.35, 0.5),
            (0.65, 0.46),
            (0.78, 0.3),
            (0.76, 0.62),
            (0.7, 0.96),
        ]
    ],
}
ANGULAR = {4, 7}  # digits whose corners stay sharp


def smooth(points, rounds=3):
    """Chaikin's corner cutting: each round replaces every corner by two points on its
    sides, a quarter of the way along; a few rounds make a polyline a smooth curve."""
    points = np.asarray(points, float)
    for _ in range(rounds):
        near, far = (
            0.75 * points[:-1] + 0.25 * points[1:],
            0.25 * points[:-1] + 0.75 * points[1:],
        )
        middle = np.stack([near, far], axis=1).reshape(-1, 2)
        points = np.concatenate([points[:1], middle, points[-1:]])
    return points


def handwritten(digit, size, box, pen, turn=0.0, seed=0):
    """White ink on black, float32 in [0, 1], of shape ``size`` (rows, columns): ``digit``
    written with a round pen ``pen`` pixels wide in ``box`` (left, top, width, height),
    turned clockwise by ``turn`` degrees, each point moved a little as a hand would."""
    rng = np.random.default_rng(seed)
    height, width = size
    detail = max(
        1, min(4, 2400 // max(size))
    )  # drawn this many times larger, then shrunk
    picture = Image.new("L", (width * detail, height * detail), 0)
    drawing = ImageDraw.Draw(picture)
    left, top, box_width, box_height = box
    angle = np.radians(turn)
    rotation = np.array(
        [[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]]
    )
    for stroke in STROKES[digit]:
        points = stroke if digit in ANGULAR else smooth(stroke)
        points = (
            np.asarray(points) - 0.5 + rng.normal(0, 0.008, np.shape(points))
        ) @ rotation
        xy = [
            (
                (left + (x + 0.5) * box_width) * detail,
                (top + (y + 0.5) * box_height) * detail,
            )
            for x, y in points
        ]
        drawing.line(
            xy, fill=255, width=max(1, round(pen * detail)), joint="curve"
        )
        radius = pen * detail / 2
        for x, y in (xy[0], xy[-1]):  # round ends
            drawing.ellipse(
                (x - radius, y - radius, x + radius, y + radius), fill=255
            )
    picture = picture.resize((width, height), Image.BOX)
    return np.asarray(picture, np.float32) / 255


def on_paper(written, paper=1.0, darkness=1.0):
    """Dark ink on paper of shade ``paper`` (a number, or one per pixel): the ink lets
    through ``1 - darkness`` of the paper's light."""
    return (paper * (1 - darkness * written)).astype(np.float32)


def uneven_paper(size, seed=0):
    """The grey page of a phone's photo: lit from one side, with the camera's noise."""
    rows, cols = np.indices(size) / max(size)
    rng = np.random.default_rng(seed)
    return 0.5 + 0.25 * cols + 0.1 * rows + rng.normal(0, 0.02, size)


def with_specks(picture, seed=0, count=6):
    """Dark specks of dust on the paper, none within a fifth of the picture's middle."""
    rng = np.random.default_rng(seed)
    picture = picture.copy()
    height, width = picture.shape
    for _ in range(count):
        side = rng.integers(
            4
        )  # along the top, the bottom, the left or the right
        along = rng.uniform(0.05, 0.95)
        away = rng.uniform(0.03, 0.1)
        y, x = [
            (away, along),
            (1 - away, along),
            (along, away),
            (along, 1 - away),
        ][side]
        y, x = int(y * height), int(x * width)
        picture[y : y + 3, x : x + 4] = 0.1
    return picture


def pictures():
    """The pictures of the figure: {kind: (what it is, picture)}, grey levels in [0, 1]."""
    return {
        "thick": (
            "a marker, white on black",
            handwritten(8, (300, 300), (50, 40, 200, 220), 46),
        ),
        "thin": (
            "a fine pen, 900x900",
            on_paper(handwritten(2, (900, 900), (100, 60, 700, 780), 1.2)),
        ),
        "off-centre": (
            "28x28, in a corner",
            handwritten(7, (28, 28), (1, 1, 12, 14), 2.0),
        ),
        "tilted": (
            "tilted",
            handwritten(4, (300, 300), (60, 50, 180, 200), 16, turn=20),
        ),
        "tiny": ("tiny: 10x12", handwritten(3, (12, 10), (1, 1, 8, 10), 1.2)),
        "dark on light": (
            "dark on light",
            on_paper(handwritten(5, (300, 300), (70, 50, 160, 200), 18)),
        ),
        "grey paper": (
            "grey, uneven paper",
            on_paper(
                handwritten(9, (400, 300), (70, 90, 160, 220), 12),
                uneven_paper((400, 300)),
                0.7,
            ),
        ),
        "specks": (
            "specks of dust",
            with_specks(
                on_paper(handwritten(0, (300, 300), (80, 60, 150, 190), 16))
            ),
        ),
    }


def prepared():
    """Each picture, what ``prepare`` makes of it, and the notes it gives."""
    rows = {}
    for kind, (title, picture) in pictures().items():
        pixels, notes = prepare(picture)
        rows[kind] = {
            "title": title,
            "picture": picture,
            "pixels": pixels,
            "notes": notes,
        }
    return rows


def framed(ax):
    """No ticks, and a thin frame in the text's colour, so that white paper shows."""
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(True)
        side.set_color(ink())
        side.set_linewidth(0.6)


def draw_prepared(rows, columns=4):
    """Two images a kind, four kinds a line: the picture, then the network's input."""
    lines = -(-len(rows) // columns)
    figure, axes = plt.subplots(
        lines,
        3 * columns - 1,
        figsize=(9.6, 2.1 * lines),
        width_ratios=[1, 1, 0.25] * (columns - 1) + [1, 1],
    )
    for ax in axes[:, 2::3].flat:  # the gaps between kinds
        ax.axis("off")
    for number, row in enumerate(rows.values()):
        line, column = divmod(number, columns)
        picture, seen = axes[line, 3 * column], axes[line, 3 * column + 1]
        picture.imshow(row["picture"], cmap="gray", vmin=0, vmax=1)
        seen.imshow(
            row["pixels"], cmap="gray", vmin=0, vmax=1, interpolation="nearest"
        )
        for ax, label in ((picture, "picture"), (seen, "28x28 input")):
            framed(ax)
            ax.set_xlabel(label, fontsize=8)
        picture.set_title(row["title"], fontsize=9.5, loc="left")
    figure.tight_layout(w_pad=0.2, h_pad=1.0)
    return figure


FIGURE = ("try-preprocessing", prepared, draw_prepared)
