import math
from dataclasses import replace

import numpy as np
import pytest

from snippets.train import PRESETS, TrainConfig, TrainingDiverged, evaluate, train

QUICK = TrainConfig(epochs=2, limit=3000, validation_size=1000)


def quiet(message):
    pass


def test_training_learns_and_reports_history(small_data):
    result = train(QUICK, data=small_data, log=quiet)
    assert result.test_accuracy > 0.85
    assert [row["epoch"] for row in result.history] == [1, 2]
    assert result.history[1]["train_loss"] < result.history[0]["train_loss"]
    assert evaluate(result.model, small_data.test_x, small_data.test_y)[1] == result.test_accuracy


def test_same_seed_gives_the_same_network(small_data):
    first = train(replace(QUICK, epochs=1), data=small_data, log=quiet)
    second = train(replace(QUICK, epochs=1), data=small_data, log=quiet)
    other = train(replace(QUICK, epochs=1, seed=1), data=small_data, log=quiet)
    assert np.array_equal(first.model.weights["out"].numpy(), second.model.weights["out"].numpy())
    assert not np.array_equal(first.model.weights["out"].numpy(), other.model.weights["out"].numpy())


def test_sgd_dropout_and_l2_all_train(small_data):
    for config in (replace(QUICK, optimizer="sgd", learning_rate=0.1),
                   replace(QUICK, epochs=3, keep_prob=0.8, hidden=(128, 64), l2=1e-4, schedule="cosine")):
        assert train(config, data=small_data, log=quiet).test_accuracy > 0.8


def test_early_stopping_keeps_the_best_epoch(small_data):
    # A learning rate this high makes validation accuracy fall after the first epochs.
    config = replace(QUICK, epochs=8, patience=1, learning_rate=0.02)
    result = train(config, data=small_data, log=quiet)
    best = max(result.history, key=lambda row: row["valid_accuracy"])
    assert result.best_epoch == best["epoch"]
    assert len(result.history) == result.best_epoch + 1 < 8
    _, valid_accuracy = evaluate(result.model, small_data.valid_x, small_data.valid_y)
    assert math.isclose(valid_accuracy, best["valid_accuracy"], abs_tol=1e-6)


def test_unscaled_pixels_make_the_first_loss_enormous():
    # 0..255 inputs: the loss is already far above that of the same network on scaled inputs.
    from snippets.linear import softmax_cross_entropy
    from snippets.mlp import MLP

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(64, 784)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, size=64)]
    assert float(softmax_cross_entropy(MLP()(x), y)) > 20 * float(softmax_cross_entropy(MLP()(x / 255), y))


def test_a_diverging_run_stops_with_a_message_naming_the_cause(small_data):
    # Unscaled pixels and an absurd step size overflow the weights to infinity.
    unscaled = replace(small_data, train_x=small_data.train_x * 255)
    with pytest.raises(TrainingDiverged, match="learning rate .* not scaled"):
        train(replace(QUICK, optimizer="sgd", learning_rate=1e30), data=unscaled, log=quiet)


def test_presets():
    assert PRESETS["course"].hidden == (256,)
    assert len(PRESETS["best"].hidden) >= 2 and PRESETS["best"].keep_prob < 1.0
