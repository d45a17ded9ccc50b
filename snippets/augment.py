"""Data augmentation: new training digits made from old ones, at every step.

A multilayer perceptron has no idea that a digit moved one pixel to the left is the same
digit: every one of its 784 inputs has its own weights. MNIST's writers are also few
compared with everyone who will ever draw a digit. So each step bends its mini-batch a
little, differently every time:

1. strokes made thicker or thinner (a pen's width);
2. an affine map: shifted, turned and scaled (where the digit sits, its slant and size);
3. an elastic distortion (Simard et al., 2003): every pixel pushed a little along a
   smooth random field, like the wobble of a hand.

All of it is TensorFlow ops on the batch, inside the compiled training graph, drawn from
a seed with stateless random ops: the same seed and step give the same digits, and no
image is ever stored. Steps 2 and 3 move the pixels, so they share one resampling.

Run it as a script to see a digit and some of its augmented versions as numbers:

    python -m snippets.augment
"""

import math
import sys
from dataclasses import fields, replace

import numpy as np
import tensorflow as tf

from snippets.config import Augmentation

SIDE = 28  # MNIST's images are 28x28
CENTRE = (SIDE - 1) / 2


def uniform(seed, shape, largest):
    """Random numbers between -largest and largest."""
    return tf.random.stateless_uniform(shape, seed, -largest, largest)


# --8<-- [start:thickness]
def grow(images):
    """Each pixel becomes the brightest of its 3x3 neighbourhood: strokes one
    pixel wider on every side (a dilation).
    """
    padded = tf.pad(images, [[0, 0], [1, 1], [1, 1]])
    rows = tf.maximum(
        padded[:, :-2], tf.maximum(padded[:, 1:-1], padded[:, 2:])
    )
    return tf.maximum(
        rows[:, :, :-2], tf.maximum(rows[:, :, 1:-1], rows[:, :, 2:])
    )


def change_thickness(images, seed, largest):
    """Blend each image toward its strokes grown or shrunk (an erosion: the
    dark background grown) by a random amount up to ``largest``.
    """
    grown, shrunk = grow(images), -grow(-images)
    amount = uniform(seed, [tf.shape(images)[0], 1, 1], largest)
    return (
        images
        + tf.nn.relu(amount) * (grown - images)
        + tf.nn.relu(-amount) * (shrunk - images)
    )


# --8<-- [end:thickness]


# --8<-- [start:where_from]
def where_from(n, seed, augmentation):
    """For every pixel of ``n`` output images, the (row, column) of the input
    image it is read from: the inverse of a random affine map, plus an
    elastic displacement.
    """
    seeds = [
        tf.random.experimental.stateless_fold_in(seed, i) for i in range(4)
    ]
    angle = uniform(seeds[0], [n, 1, 1], augmentation.rotation) * math.pi / 180
    zoom = 1 + uniform(seeds[1], [n, 1, 1], augmentation.scale)
    shift = uniform(seeds[2], [2, n, 1, 1], augmentation.shift)
    # each output pixel, relative to the centre of the image, minus the shift
    grid = tf.range(SIDE, dtype=tf.float32) - CENTRE
    rows = grid[None, :, None] - shift[0]
    cols = grid[None, None, :] - shift[1]
    # undo the rotation and the zoom to find where the pixel came from
    cos, sin = tf.cos(angle) / zoom, tf.sin(angle) / zoom
    from_rows = cos * rows - sin * cols + CENTRE
    from_cols = sin * rows + cos * cols + CENTRE
    if augmentation.elastic > 0:
        moved_rows, moved_cols = elastic_field(n, seeds[3], augmentation)
        from_rows += moved_rows
        from_cols += moved_cols
    return from_rows, from_cols


# --8<-- [end:where_from]


# --8<-- [start:elastic]
def elastic_field(n, seed, augmentation):
    """A smooth random displacement (rows, columns) for every pixel: white
    noise in [-1, 1], blurred by a Gaussian, times ``augmentation.elastic``.
    """
    sigma = augmentation.elastic_smoothness
    # Blurring along one axis is a product with this matrix: row i holds
    # the Gaussian's weights centred on pixel i (cut off at the image's edge).
    pixels = np.arange(SIDE)
    gaussian = np.exp(-0.5 * ((pixels[:, None] - pixels) / sigma) ** 2)
    gaussian = gaussian / (sigma * math.sqrt(2 * math.pi))
    gaussian = tf.constant(gaussian, tf.float32)
    noise = tf.random.stateless_uniform([n, 2, SIDE, SIDE], seed, -1, 1)
    # blur down the columns, then along the rows
    field = tf.einsum("ij,nmjk,lk->nmil", gaussian, noise, gaussian)
    return augmentation.elastic * field[:, 0], augmentation.elastic * field[
        :, 1
    ]


# --8<-- [end:elastic]


# --8<-- [start:resample]
def resample(images, from_rows, from_cols):
    """Bilinear interpolation: each output pixel is the weighted mean of the
    four input pixels around (from_rows, from_cols); outside the image is 0.
    """
    # A border of zeros, and every position clamped onto it, so that reading
    # outside the image reads 0 without a test for each pixel.
    wide = SIDE + 2
    flat = tf.reshape(tf.pad(images, [[0, 0], [1, 1], [1, 1]]), [-1, wide**2])
    rows = tf.clip_by_value(from_rows + 1, 0, wide - 1)
    cols = tf.clip_by_value(from_cols + 1, 0, wide - 1)
    top = tf.minimum(tf.floor(rows), wide - 2)
    left = tf.minimum(tf.floor(cols), wide - 2)
    down, right = rows - top, cols - left  # how far past the corner, 0 to 1
    corner = tf.cast(top * wide + left, tf.int32)

    def pixel(offset):
        return tf.gather(flat, corner + offset, batch_dims=1)

    upper = pixel(0) * (1 - right) + pixel(1) * right
    lower = pixel(wide) * (1 - right) + pixel(wide + 1) * right
    return upper * (1 - down) + lower * down


# --8<-- [end:resample]


# --8<-- [start:augment]
def augment(rows, seed, augmentation):
    """A batch of flattened digits (n, 784), bent as ``augmentation`` allows;
    the same ``seed`` (two integers) gives the same result.
    """
    if augmentation == Augmentation():
        return rows
    n = tf.shape(rows)[0]
    images = tf.reshape(rows, [n, SIDE, SIDE])
    if augmentation.thickness > 0:
        images = change_thickness(
            images,
            tf.random.experimental.stateless_fold_in(seed, 4),
            augmentation.thickness,
        )
    from_rows, from_cols = where_from(n, seed, augmentation)
    images = resample(images, from_rows, from_cols)
    return tf.clip_by_value(tf.reshape(images, [n, SIDE * SIDE]), 0.0, 1.0)


# --8<-- [end:augment]


def one_at_a_time(augmentation):
    """``augmentation`` split into its parts: {name: an Augmentation with only
    that part}, with "none" first and "all" last (to measure each alone).
    """
    parts = {"none": Augmentation()}
    for field in fields(Augmentation):
        strength = getattr(augmentation, field.name)
        if field.name != "elastic_smoothness" and strength > 0:
            parts[field.name] = replace(
                Augmentation(
                    elastic_smoothness=augmentation.elastic_smoothness
                ),
                **{field.name: strength},
            )
    parts["all"] = augmentation
    return parts


def main():
    from snippets.config import PRESETS
    from snippets.mnist_files import load_mnist

    (images, labels), _ = load_mnist()
    digit = images[:1].reshape(1, -1).astype(np.float32) / 255.0
    augmentation = PRESETS["best"].augmentation
    print(f"digit {labels[0]}, as MNIST has it, then bent by {augmentation}:")
    shown = [digit] + [
        augment(
            tf.constant(digit), tf.constant([0, step]), augmentation
        ).numpy()
        for step in range(3)
    ]
    for row in range(4, 24):
        print(
            "   ".join(
                "".join(
                    " .:#"[min(3, int(p * 4))]
                    for p in image[0, row * SIDE :][:SIDE]
                )
                for image in shown
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
