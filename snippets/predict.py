"""Prediction: read a picture of a digit, make it look like MNIST, and ask the network.

MNIST digits are white on black, 28x28 pixels, with the digit scaled to fit a 20x20 box
(keeping its aspect ratio) and placed so that its centre of mass is in the middle. A
photo or a drawing is prepared the same way before the network sees it.

Run it as a script to train a small model, save a few test digits as PNG files, and
classify them again from disk:

    python -m snippets.predict
"""

import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from snippets.common import ExplainedError
from snippets.mnist_files import IMAGE_SIZE

# MNIST fitted each digit into 20x20 pixels inside the 28x28 image
DIGIT_BOX = 20
INK = 0.05  # a pixel this much brighter than the background is ink


class ImageError(ExplainedError, ValueError):
    """A file that cannot be read as a picture of a digit."""


# --8<-- [start:mnist_style]
def mnist_style(grey):
    """Fit the ink of a white-on-black float image into 20x20, centred by mass
    in 28x28.
    """
    rows, cols = np.nonzero(grey > INK)
    if rows.size == 0:
        # a blank image stays blank
        return np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    ink = grey[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    scale = DIGIT_BOX / max(ink.shape)
    height, width = (
        max(1, round(ink.shape[0] * scale)),
        max(1, round(ink.shape[1] * scale)),
    )
    small = Image.fromarray((ink * 255).astype(np.uint8)).resize(
        (width, height), Image.LANCZOS
    )
    small = np.asarray(small, np.float32) / 255.0
    # Place the box so that its centre of mass lands on the image's centre (14,
    # 14).
    mass_row, mass_col = (
        np.array(np.nonzero(small >= 0)).T * small.reshape(-1, 1)
    ).sum(0) / max(small.sum(), 1e-6)
    top = int(round(IMAGE_SIZE / 2 - mass_row))
    left = int(round(IMAGE_SIZE / 2 - mass_col))
    top = min(max(top, 0), IMAGE_SIZE - height)
    left = min(max(left, 0), IMAGE_SIZE - width)
    canvas = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    canvas[top : top + height, left : left + width] = small
    return canvas


# --8<-- [end:mnist_style]


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
        with Image.open(path) as image:
            image.load()
    except (UnidentifiedImageError, OSError) as error:
        raise ImageError(
            f"{path}: not a readable image ({type(error).__name__})"
        ) from None
    notes = []
    if image.mode not in ("L", "1", "I;16", "I", "F"):
        notes.append(f"converted {image.mode} to grey")
    grey = np.asarray(image.convert("L"), np.float32) / 255.0
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    # a dark digit on light paper: MNIST is light on dark
    if border.mean() > 0.5:
        grey = 1.0 - grey
        notes.append("inverted (dark digit on a light background)")
    if grey.max() - grey.min() < INK:
        raise ImageError(
            f"{path}: no digit found, the image is one flat shade with no ink"
        )
    if grey.shape != (IMAGE_SIZE, IMAGE_SIZE):
        notes.append(
            f"resized from {grey.shape[1]}x{grey.shape[0]} to 28x28, digit "
            "fitted in 20x20"
        )
        grey = mnist_style(grey)
    return grey.astype(np.float32), notes


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
