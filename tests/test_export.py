import json
import shutil

import numpy as np
import pytest
import tensorflow as tf

from conftest import run_snippets
from snippets.export import (DIGITS_FILE, HEADER_FILE, REFERENCE_FILE, WEIGHTS_FILE, ExportError, compare,
                             dequantise, forward, main, model_layers, quantise, read_export,
                             tensorflow_probabilities, write_export)
from snippets.mlp import MLP
from snippets.train import TrainConfig, train


@pytest.fixture(scope="module")
def trained():
    """784-256-10 trained for 2 epochs on 20,000 images: about the course's network, quickly."""
    from snippets.data import load_dataset

    data = load_dataset(validation_size=2000, limit=20000)
    return train(TrainConfig(epochs=2, patience=2), data=data, log=lambda message: None).model, data


def small_export(folder, seed=0, hidden=(16,)):
    model = MLP(hidden=hidden, seed=seed)
    digits = np.arange(3 * 28 * 28, dtype=np.uint8).reshape(3, 28, 28)
    header = write_export(folder, {"plain": {"layers": model_layers(model), "title": "test"}}, digits,
                          np.array([1, 2, 3], np.uint8))
    return model, header


def test_quantisation_round_trip_is_within_half_a_step():
    rng = np.random.default_rng(0)
    weights = rng.normal(0, 0.05, (784, 256)).astype(np.float32)
    weights[:, 3] *= 100  # one unit with much larger weights must not cost the others precision
    weights[:, 7] = 0  # a unit whose weights are all zero
    q, scales = quantise(weights)
    assert q.dtype == np.int8 and scales.dtype == np.float32 and scales.shape == (256,)
    assert np.abs(q).max() == 127 and q.min() >= -127  # symmetric: -128 is never used
    error = np.abs(dequantise(q, scales) - weights)
    # half a step, plus the float32 rounding of computing w / scale and q * scale
    assert np.all(error <= scales / 2 + np.finfo(np.float32).eps * np.abs(weights))
    assert np.all(q[:, 7] == 0) and np.all(dequantise(q, scales)[:, 7] == 0)
    # per column: every non-zero column uses the full range, including the small ones
    assert np.all(np.abs(q).max(axis=0)[np.arange(256) != 7] == 127)
    # and the scale is the column's largest weight over 127
    np.testing.assert_allclose(scales[3], np.abs(weights[:, 3]).max() / 127, rtol=1e-6)


def test_hidden_layers_are_int8_and_the_output_layer_float32():
    model = MLP(hidden=(32, 16))
    layers = model_layers(model)
    assert [name for name, *_ in layers] == ["hidden_1", "hidden_2", "out"]
    assert [weights.dtype for _, weights, _, _ in layers] == [np.int8, np.int8, np.float32]
    name, weights, scales, bias = layers[-1]
    assert np.array_equal(weights, model.weights["out"].numpy()) and np.all(scales == 1)


def test_numpy_forward_is_the_tensorflow_model_on_the_dequantised_weights():
    model = MLP(hidden=(64, 32), seed=3)
    layers = model_layers(model)
    for name, weights, scales, bias in layers:
        model.weights[name].assign(dequantise(weights, scales))
    x = tf.random.stateless_uniform([50, 784], seed=[4, 5]).numpy()
    np.testing.assert_allclose(forward(layers, x), tensorflow_probabilities(model, x), atol=1e-6)


def test_write_then_read_gives_back_every_tensor(tmp_path):
    model, header = small_export(tmp_path)
    read_header, models, digits, labels = read_export(tmp_path)
    assert read_header == header == json.loads((tmp_path / HEADER_FILE).read_text())
    assert header["format"] == "deep-nets-tested/mlp-int8" and header["models"]["plain"]["sizes"] == [784, 16, 10]
    for (name, *written), (read_name, *read) in zip(model_layers(model), models["plain"]):
        assert name == read_name
        for a, b in zip(written, read):
            assert a.dtype == b.dtype and np.array_equal(a, b)
    assert digits.shape == (3, 28, 28) and labels.tolist() == [1, 2, 3]
    for entries in header["models"]["plain"]["layers"]:
        for entry in (entries["weights"], entries["scales"], entries["bias"]):
            assert entry["offset"] % 4 == 0  # so that the page can view float32 tensors in place
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "delete", "other export"])
def test_a_damaged_binary_is_refused(tmp_path, damage):
    small_export(tmp_path / "a")
    path = tmp_path / "a" / WEIGHTS_FILE
    data = bytearray(path.read_bytes())
    if damage == "flip a byte":
        data[len(data) // 2] ^= 1
        path.write_bytes(bytes(data))
    elif damage == "truncate":
        path.write_bytes(bytes(data[:-4]))
    elif damage == "delete":
        path.unlink()
    else:  # a binary of another export next to this header: what a half-finished overwrite looks like
        small_export(tmp_path / "b", seed=1)
        shutil.copy(tmp_path / "b" / WEIGHTS_FILE, path)
    with pytest.raises(ExportError, match="damaged|missing"):
        read_export(tmp_path / "a")


def test_a_missing_or_foreign_header_is_refused(tmp_path):
    with pytest.raises(ExportError, match="holds no export.json"):
        read_export(tmp_path)
    small_export(tmp_path)
    header = json.loads((tmp_path / HEADER_FILE).read_text())
    (tmp_path / HEADER_FILE).write_text(json.dumps(dict(header, version=99)))
    with pytest.raises(ExportError, match="version 1"):
        read_export(tmp_path)
    (tmp_path / HEADER_FILE).write_text("{not json")
    with pytest.raises(ExportError, match="not valid JSON"):
        read_export(tmp_path)


def test_the_export_agrees_with_tensorflow_on_the_whole_test_set(trained):
    model, data = trained
    layers = model_layers(model)
    scores = compare(layers, model, data.test_x, data.test_y)
    print(f"export accuracy {scores['test_accuracy']:.4f}, TensorFlow {scores['tensorflow_test_accuracy']:.4f}, "
          f"agreement {scores['agreement_with_tensorflow']:.4%}, "
          f"largest probability difference {scores['max_probability_difference']:.4f}")
    assert scores["test_images"] == 10000
    assert scores["agreement_with_tensorflow"] >= 0.995
    assert scores["max_probability_difference"] < 0.02
    assert abs(scores["test_accuracy"] - scores["tensorflow_test_accuracy"]) <= 0.005
    assert scores["test_accuracy"] > 0.9
    # the reported accuracy is the accuracy of what was exported
    labels = np.argmax(data.test_y, axis=1)
    assert scores["test_accuracy"] == np.mean(np.argmax(forward(layers, data.test_x), axis=1) == labels)


def test_the_command_exports_both_models_and_reports_their_accuracy(tmp_path):
    result = run_snippets("snippets.export", "--output", str(tmp_path), "--epochs", "1", "--limit", "5000")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    header, models, digits, labels = read_export(tmp_path)
    assert set(models) == set(report["models"]) == {"plain", "dropout"}
    assert report["files"][WEIGHTS_FILE] < 500_000  # both networks' weights, under the page's budget
    assert digits.shape == (200, 28, 28) and labels.shape == (200,)
    from snippets.data import load_dataset, load_mnist

    _, (test_images, test_labels) = load_mnist()
    assert np.array_equal(digits, test_images[:200]) and np.array_equal(labels, test_labels[:200])
    data = load_dataset(limit=1)
    for key, layers in models.items():
        accuracy = np.mean(np.argmax(forward(layers, data.test_x), 1) == np.argmax(data.test_y, 1))
        assert report["models"][key]["test_accuracy"] == header["models"][key]["test_accuracy"] == accuracy
        assert report["models"][key]["agreement_with_tensorflow"] >= 0.995
        assert f"export accuracy {accuracy:.4f}" in result.stdout
    assert header["models"]["dropout"]["title"] == "784-256-10 with dropout (keep_prob 0.5)"
    reference = json.loads((tmp_path / REFERENCE_FILE).read_text())
    assert np.array(reference["models"]["plain"]).shape == (200, 10)
    assert (tmp_path / DIGITS_FILE).stat().st_size == header["files"][DIGITS_FILE]["bytes"]


@pytest.mark.parametrize("arguments, message", [
    (["--epochs", "0"], "--epochs: must be at least 1"),
    (["--limit", "many"], "--limit: expected a whole number"),
    (["--output", "/dev/null/export"], "Not a directory"),
    (["--from", "no/such/run", "--output", "unused"], "does not exist"),
])
def test_bad_input_gets_one_line_and_a_non_zero_exit(tmp_path, monkeypatch, capsys, arguments, message):
    monkeypatch.chdir(tmp_path)
    try:
        status = main(arguments)
    except SystemExit as exit:  # argparse's usage errors
        status = exit.code
    stderr = capsys.readouterr().err
    assert status != 0
    assert message in stderr and len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr
