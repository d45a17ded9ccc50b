"""MNIST prepared for a multilayer perceptron: scaled, flattened, one-hot, split, batched.

The raw digits come from snippets/mnist_files.py, which fetches and verifies them; this
module is the part of data preparation worth reading. Run it as a script to see what the
prepared data holds:

    python -m snippets.data
"""

import sys
from dataclasses import dataclass

import numpy as np

from snippets.mnist_files import NUM_CLASSES, DataError, load_mnist

# Where TensorFlow's CPU kernels need a tensor's memory to start: on a multiple
# of 64 bytes (Eigen's widest vectors, AVX-512). NumPy's arrays get what malloc
# gives, a multiple of 16.
ALIGNMENT = 64


def aligned_empty(shape, dtype):
    """An uninitialised array whose data starts on an ALIGNMENT boundary:
    TensorFlow can use it as a tensor without a copy (snippets/fast.py)."""
    dtype = np.dtype(dtype)
    size = int(np.prod(shape)) * dtype.itemsize
    buffer = np.empty(size + ALIGNMENT, np.uint8)
    start = -buffer.ctypes.data % ALIGNMENT
    return buffer[start : start + size].view(dtype).reshape(shape)


# --8<-- [start:prepare]
def scale_and_flatten(images):
    """uint8 images (n, 28, 28) -> float32 rows (n, 784) with values in [0, 1].

    Skipping the scaling makes every pre-activation up to 255 times larger: the
    first losses are enormous, and a learning rate that suits scaled inputs
    kills most ReLUs in a few steps (see the troubleshooting chapter).
    """
    rows = images.reshape(len(images), -1)
    # one pass from uint8 straight to float32: the same numbers as
    # rows.astype(np.float32) / 255, without first making a float32 copy, and
    # into memory TensorFlow can take as it is (see the speed chapter)
    out = aligned_empty(rows.shape, np.float32)
    return np.divide(rows, np.float32(255), dtype=np.float32, out=out)


def one_hot(labels, num_classes=NUM_CLASSES):
    """Digits (n,) -> float32 rows (n, num_classes) with a single 1 in each
    row.
    """
    encoded = np.zeros((len(labels), num_classes), dtype=np.float32)
    encoded[np.arange(len(labels)), labels] = 1.0
    return encoded


# --8<-- [end:prepare]


@dataclass
class Mnist:
    """MNIST ready for training: float features in [0, 1] and one-hot labels."""

    train_x: np.ndarray
    train_y: np.ndarray
    valid_x: np.ndarray
    valid_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray


# --8<-- [start:split]
def load_dataset(validation_size=5000, limit=None, cache_dir=None):
    """Scaled, flattened, one-hot MNIST with a validation split held out of
    training.

    The validation examples are the LAST ``validation_size`` training images
    (as in the classic 55,000/5,000 split), so they never depend on a random
    seed. ``limit`` keeps only the first ``limit`` training examples, for quick
    runs; the test set is whole.
    """
    (train_images, train_labels), (test_images, test_labels) = load_mnist(
        cache_dir
    )
    if not 0 <= validation_size < len(train_images):
        raise ValueError(
            f"validation_size must be in [0, {len(train_images)}), "
            f"got {validation_size}"
        )
    cut = len(train_images) - validation_size
    train_x, train_y = train_images[:cut], train_labels[:cut]
    if limit is not None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        train_x, train_y = train_x[:limit], train_y[:limit]
    return Mnist(
        train_x=scale_and_flatten(train_x),
        train_y=one_hot(train_y),
        valid_x=scale_and_flatten(train_images[cut:]),
        valid_y=one_hot(train_labels[cut:]),
        test_x=scale_and_flatten(test_images),
        test_y=one_hot(test_labels),
    )


# --8<-- [end:split]


# --8<-- [start:batches]
def batches(batch_size, features, labels, shuffle=True, seed=0):
    """Yield ``(features, labels)`` mini-batches that together cover every
    example once.

    With ``shuffle`` the order is a fresh permutation drawn from ``seed``: pass
    a different seed each epoch (for example ``seed + epoch``) so the batches
    differ between epochs but the whole run can be repeated. The last batch
    holds whatever is left over and may be smaller than ``batch_size``; no
    example is dropped.
    """
    if len(features) != len(labels):
        raise ValueError(f"{len(features)} features but {len(labels)} labels")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if shuffle:
        order = np.random.default_rng(seed).permutation(len(features))
    else:
        order = np.arange(len(features))
    for start in range(0, len(features), batch_size):
        chosen = order[start : start + batch_size]
        yield features[chosen], labels[chosen]


# --8<-- [end:batches]


def batches_for_steps(batch_size, features, labels, steps, seed=0):
    """Exactly ``steps`` mini-batches of ``batches``, epoch after epoch: epoch
    1, 2, ... is shuffled with ``seed + epoch``, and the last one stops part
    way. Fewer examples means more epochs, not fewer steps."""
    done, epoch = 0, 0
    while done < steps:
        epoch += 1
        for batch in batches(batch_size, features, labels, seed=seed + epoch):
            if done == steps:
                return
            yield batch
            done += 1


def main():
    try:
        (train_images, train_labels), (test_images, test_labels) = load_mnist()
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        f"train images {train_images.shape} {train_images.dtype}, labels "
        f"{train_labels.shape}"
    )
    print(
        f"test images  {test_images.shape} {test_images.dtype}, labels "
        f"{test_labels.shape}"
    )
    print("train label counts", np.bincount(train_labels).tolist())
    print("test label counts ", np.bincount(test_labels).tolist())
    print(
        f"pixel range {train_images.min()}..{train_images.max()}; the first "
        "digit, as text:"
    )
    for row in train_images[0][4:24]:
        print(
            "".join(
                "#" if value > 128 else "." if value > 0 else " "
                for value in row[4:24]
            )
        )
    print(f"label of that digit: {train_labels[0]}")
    data = load_dataset()
    print(
        f"prepared: train_x {data.train_x.shape} {data.train_x.dtype} in "
        f"[{data.train_x.min()}, {data.train_x.max()}], train_y "
        f"{data.train_y.shape} one-hot, "
        f"{len(data.valid_x):,} for validation, {len(data.test_x):,} for "
        "testing"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
