"""Prediction: read a picture of a digit, make it look like MNIST, and ask the network.

MNIST digits are white on black, 28x28 pixels, with the digit scaled to fit a 20x20 box
(keeping its aspect ratio) and placed so that its centre of mass is in the middle. A
photo or a drawing is prepared the same way before the network sees it: the paper's own
shade is taken away, specks are left out of the crop, and the strokes are made as wide
as MNIST's.

Run it as a script to train a small model, save a few test digits as PNG files, and
classify them again from disk:

    python -m snippets.predict
"""

import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image, UnidentifiedImageError

from snippets.common import ExplainedError
from snippets.mnist_files import IMAGE_SIZE

# MNIST fitted each digit into 20x20 pixels inside the 28x28 image
DIGIT_BOX = 20
INK = 0.05  # a pixel this much brighter than the background is ink
SPECKS = 0.05  # the share of the ink, on each side, that may be specks
# How wide MNIST's strokes are, in pixels of the 20x20 box: stroke_width's
# 10th and 90th percentiles over its training digits
STROKES = (1.45, 2.72)
# How large a picture of one digit may be. Larger ones are refused before
# they are decoded: a PNG of 2 x 44,700,000 white pixels is 130 KB on disk and
# took 17.5 GB of memory to decode and prepare. A 9000 x 9000 scan fits, and
# decoding the largest picture allowed as RGBA takes 340 MB. Every picture
# accepted is shrunk to SHRINK_TO pixels on its longer side before the NumPy
# steps, whose memory grows with the picture; a digit needs far fewer pixels.
MOST_PIXELS = 85_000_000
LONGEST_SIDE = 20_000
SHRINK_TO = 1000
# Only these formats are opened: Pillow knows many more, and some (EPS)
# hand the file to another program.
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP")


class ImageError(ExplainedError, ValueError):
    """A file that cannot be read as a picture of a digit."""


# --8<-- [start:digit_box]
def digit_box(grey):
    """Top, bottom, left and right of the digit (bottom and right one past
    its last row and column), or None if there is no ink. The box starts
    around the middle of the ink, all of it but SPECKS on each side, then
    grows while the next row or column has ink: specks apart from the digit
    are never reached."""
    ink = grey > INK
    if not ink.any():
        return None
    box = []
    for counts in (ink.sum(axis=1), ink.sum(axis=0)):  # per row, per column
        seen = np.cumsum(counts)
        first = np.argmax(seen > SPECKS * seen[-1])
        last = np.argmax(seen >= (1 - SPECKS) * seen[-1])
        box += [int(first), int(last) + 1]
    top, bottom, left, right = box
    height, width = ink.shape
    while True:
        up = top > 0 and ink[top - 1, left:right].any()
        down = bottom < height and ink[bottom, left:right].any()
        back = left > 0 and ink[top:bottom, left - 1].any()
        on = right < width and ink[top:bottom, right].any()
        if not (up or down or back or on):
            return top, bottom, left, right
        top, bottom = top - up, bottom + down
        left, right = left - back, right + on


# --8<-- [end:digit_box]


# --8<-- [start:strokes]
def stroke_width(ink):
    """The strokes' mean width in pixels: twice the ink over its edges (a
    stroke w wide and l long holds w * l of ink and has 2 * l of edges)."""
    ink = np.pad(ink.astype(np.int64), 1)
    edges = sum(np.abs(np.diff(ink, axis=axis)).sum() for axis in (0, 1))
    return 2 * ink.sum() / edges


def widen(ink, by):
    """Strokes 2 * by pixels wider, or thinner if by < 0: each pixel becomes
    the brightest (or the darkest) within by rows and by columns of it."""
    extreme, by = (np.max, by) if by > 0 else (np.min, -by)
    if extreme is np.max:
        ink = np.pad(ink, by)  # room to grow
    for _ in range(2):  # down the columns, then along the rows
        ink = np.pad(ink, ((by, by), (0, 0)))
        ink = extreme(sliding_window_view(ink, 2 * by + 1, axis=0), -1).T
    return ink


# --8<-- [end:strokes]


# --8<-- [start:mnist_style]
def mnist_style(grey):
    """Prepare a white-on-black float image as MNIST's digits were: crop the
    digit (not the specks), bring it to full strength and its strokes to
    MNIST's width, fit it into 20x20, and centre it by mass in 28x28.
    """
    box = digit_box(grey)
    if box is None:
        # a blank image stays blank
        return np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    top, bottom, left, right = box
    ink = grey[top:bottom, left:right]
    ink = (ink / ink.max() * 255).astype(np.uint8)  # at full strength
    # Strokes as wide as MNIST's once fitted: a fine pen on a large picture
    # would fade away, a marker on a small one would fill the loops.
    scale = DIGIT_BOX / max(ink.shape)
    width = stroke_width(ink) * scale
    ink = widen(ink, round((np.clip(width, *STROKES) - width) / scale / 2))
    rows, cols = np.nonzero(ink)  # the box again: wider strokes, wider box
    ink = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    scale = DIGIT_BOX / max(ink.shape)
    height, width = (
        max(1, round(ink.shape[0] * scale)),
        max(1, round(ink.shape[1] * scale)),
    )
    small = Image.fromarray(ink).resize((width, height), Image.LANCZOS)
    small = np.asarray(small)
    # Place the box so that its centre of mass, summed in whole grey levels,
    # lands on the image's centre (14, 14).
    rows, cols = np.indices(small.shape)
    mass = max(int(small.sum()), 1)
    top = round(IMAGE_SIZE / 2 - (rows * small).sum() / mass)
    left = round(IMAGE_SIZE / 2 - (cols * small).sum() / mass)
    top = min(max(top, 0), IMAGE_SIZE - height)
    left = min(max(left, 0), IMAGE_SIZE - width)
    canvas = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    canvas[top : top + height, left : left + width] = small / np.float32(255)
    return canvas


# --8<-- [end:mnist_style]


def edge(shape):
    """True on the outermost rows and columns of an image of this shape."""
    mask = np.ones(shape, bool)
    mask[1:-1, 1:-1] = False
    return mask


# --8<-- [start:prepare]
def paper(grey):
    """The paper's shade at every pixel: a smooth surface (a quadratic in the
    row and the column) fitted to the image's edge, where there is only
    paper. Uneven light across a page makes such a surface."""
    size = max(grey.shape)

    def terms(rows, cols):
        rows, cols = rows / size, cols / size
        return [1, rows, cols, rows**2, rows * cols, cols**2]

    rows, cols = np.nonzero(edge(grey.shape))
    shade = grey[rows, cols]
    at_edge = np.stack(np.broadcast_arrays(*terms(rows, cols)), axis=-1)
    paper_only = np.ones(shade.shape, bool)
    for _ in range(3):  # fit again without the ink that touches the edge
        fit = np.linalg.lstsq(at_edge[paper_only], shade[paper_only])[0]
        paper_only = shade - at_edge @ fit < INK
    rows, cols = np.ogrid[: grey.shape[0], : grey.shape[1]]
    return sum(weight * term for weight, term in zip(fit, terms(rows, cols)))


def prepare(grey):
    """``(pixels, notes)``: the network's 28x28 input in [0, 1] from a grey
    picture of a digit (values in [0, 1], any size), and what was done."""
    notes = []
    shade = np.median(grey[edge(grey.shape)])
    # The ink is the shade furthest from the paper's; MNIST's is light on dark.
    if shade - grey.min() > grey.max() - shade:
        grey = 1.0 - grey
        notes.append("inverted (dark digit on a light background)")
    shade = paper(grey)
    if shade.max() > INK:
        notes.append("took away the paper's own shade")
    ink = (grey - shade).astype(np.float32)
    # Ink is brighter than the paper, never darker: how far the edge goes
    # below the fit shows how far the paper's grain (a camera's noise) goes
    # above it. Nothing fainter than three times that is ink.
    grain = -3 * np.percentile(ink[edge(ink.shape)], 5)
    ink = np.where(ink > grain, ink, np.float32(0))
    if ink.max() <= INK:
        raise ImageError("no digit found: nothing stands out from the paper")
    pixels = mnist_style(ink)
    if grey.shape != (IMAGE_SIZE, IMAGE_SIZE):
        notes.append(
            f"resized from {grey.shape[1]}x{grey.shape[0]} to 28x28, digit "
            "fitted in 20x20"
        )
    elif not np.allclose(pixels, grey, atol=1 / 255):
        notes.append("digit fitted in 20x20 and centred, as in MNIST")
    return pixels, notes


# --8<-- [end:prepare]


def grey_levels(image, size=None):
    """``(grey, notes)``: a picture's grey levels in [0, 1] and how they were
    read, shrunk to at most SHRINK_TO pixels on its longer side (``size``: the
    picture's own, if it was decoded smaller). On a transparent picture (a
    drawing app's) the ink is what is opaque, whatever its colour."""
    notes = []
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit grey
        grey, top = image.convert("F"), 65535
    else:
        grey, top = None, 255
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            opaque = image.convert("RGBA").getchannel("A")
            if opaque.getextrema()[0] < 255:
                grey, notes = opaque, ["took the opaque pixels as ink"]
        if grey is None:
            if image.mode not in ("L", "1"):
                notes = [f"converted {image.mode} to grey"]
            grey = image.convert("L")
    grey, shrunk = shrink(grey, size or grey.size)
    pixels = np.clip(np.asarray(grey, np.float32) / np.float32(top), 0, 1)
    return pixels, notes + shrunk


def shrink(image, original):
    """``(image, notes)``: the picture at most SHRINK_TO pixels on its longer
    side. Each new pixel is the mean of those it covers, so a thin stroke
    grows fainter but stays. ``original``: the picture's own size (a JPEG
    may have been decoded smaller already)."""
    width, height = image.size
    if max(width, height) > SHRINK_TO:
        scale = SHRINK_TO / max(width, height)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = image.resize(size, Image.Resampling.BOX)
    if image.size == tuple(original):
        return image, []
    (width, height), (new_width, new_height) = original, image.size
    return image, [
        f"shrunk from {width}x{height} to {new_width}x{new_height} first"
    ]


def check_size(image, path):
    """Refuse a picture too large for one digit, from its header alone."""
    width, height = image.size
    if width * height > MOST_PIXELS or max(width, height) > LONGEST_SIDE:
        raise ImageError(
            f"{path}: {width}x{height} pixels is too large for a picture of "
            f"one digit (at most {MOST_PIXELS:,} pixels and {LONGEST_SIDE:,} "
            "on a side); shrink it"
        )


def load_digit(path):
    """Return ``(pixels, notes)``: a 28x28 float32 image in [0, 1] and what was
    done to it.
    """
    path = Path(path)
    if path.is_dir():
        raise ImageError(
            f"{path}: is a folder, not an image; name the files, e.g. "
            f"{path}/*.png"
        )
    if not path.is_file():
        raise ImageError(f"{path}: no such file")
    try:
        # Opening reads only the header: the size is known before decoding.
        # (Pillow warns from 89 million pixels: that is refused here too.)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path, formats=FORMATS)
        with image:
            check_size(image, path)
            size = image.size
            # A large JPEG is decoded at 1/2, 1/4 or 1/8 of its size where
            # that still leaves SHRINK_TO pixels.
            image.draft(None, (SHRINK_TO, SHRINK_TO))
            image.load()
            grey, notes = grey_levels(image, size)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(
            f"{path}: too many pixels for a picture of one digit (at most "
            f"{MOST_PIXELS:,}); shrink it"
        ) from None
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise ImageError(
            f"{path}: not a readable image ({type(error).__name__}); predict "
            "reads PNG, JPEG, GIF, BMP, TIFF and WebP"
        ) from None
    try:
        pixels, done = prepare(grey)
    except ImageError as error:
        raise ImageError(f"{path}: {error}") from None
    return pixels, notes + done


def predict(model, images):
    """Class probabilities for a batch of 28x28 images in [0, 1]."""
    import tensorflow as tf

    return tf.nn.softmax(
        model(np.reshape(images, (len(images), -1)).astype(np.float32))
    ).numpy()


def main():
    from snippets.mnist_files import load_mnist
    from snippets.train import TrainConfig, train

    result = train(
        TrainConfig(epochs=2, limit=10000), log=lambda message: None
    )
    _, (test_images, test_labels) = load_mnist()
    with tempfile.TemporaryDirectory() as folder:
        for index in range(5):
            Image.fromarray(test_images[index]).save(
                Path(folder) / f"digit_{index}.png"
            )
        # A black-on-white, 2x larger copy of the first digit, as a scan would
        # be.
        Image.fromarray(255 - test_images[0]).resize((56, 56)).save(
            Path(folder) / "scan.png"
        )
        for path in sorted(Path(folder).glob("*.png")):
            pixels, notes = load_digit(path)
            probabilities = predict(result.model, pixels[None])[0]
            digit = int(np.argmax(probabilities))
            print(
                f"{path.name:<12} -> {digit} "
                f"({probabilities[digit]:.1%}){'  [' + '; '.join(notes) + ']' if notes else ''}"
            )
    print(
        f"true labels of digit_0..4: {test_labels[:5].tolist()} (digit_0 is "
        "also scan.png)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
