import numpy as np
import pytest
import tensorflow as tf

from snippets.regularization import EarlyStopping, dropout, l2_penalty


def test_l2_gradient_equals_lambda_times_w():
    w = tf.Variable(np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32))
    with tf.GradientTape() as tape:
        penalty = l2_penalty([w], 0.01)
    assert np.allclose(tape.gradient(penalty, w).numpy(), 0.01 * w.numpy(), rtol=1e-6)
    assert np.isclose(float(penalty), 0.01 * np.sum(w.numpy() ** 2) / 2, rtol=1e-6)


@pytest.mark.parametrize("keep_prob", [0.5, 0.8])
def test_dropout_keeps_the_expected_activation(keep_prob):
    out = dropout(tf.ones([400, 500]), keep_prob, seed=[1, 2]).numpy()
    kept = out > 0
    assert abs(kept.mean() - keep_prob) < 0.01
    assert np.allclose(out[kept], 1.0 / keep_prob)
    assert abs(out.mean() - 1.0) < 0.01


def test_dropout_matches_tf_nn_dropout_semantics():
    x = tf.ones([200, 200])
    ours = dropout(x, 0.8, seed=[0, 0]).numpy()
    theirs = tf.nn.dropout(x, rate=0.2, seed=0).numpy()
    assert set(np.unique(ours)) == set(np.unique(theirs)) == {0.0, 1.25}


def test_dropout_is_repeatable_from_its_seed_and_off_at_keep_prob_one():
    x = tf.ones([50, 50])
    assert np.array_equal(dropout(x, 0.5, [3, 4]).numpy(), dropout(x, 0.5, [3, 4]).numpy())
    assert not np.array_equal(dropout(x, 0.5, [3, 4]).numpy(), dropout(x, 0.5, [3, 5]).numpy())
    assert dropout(x, 1.0, [0, 0]) is x
    with pytest.raises(ValueError):
        dropout(x, 0.0, [0, 0])


def test_early_stopping_waits_patience_epochs_and_remembers_the_best():
    stopper = EarlyStopping(patience=2)
    for epoch, score in enumerate([0.5, 0.7, 0.6, 0.65], start=1):
        improved = stopper.update(score, epoch)
        assert improved == (epoch in (1, 2))
        assert stopper.should_stop == (epoch == 4)
    assert (stopper.best_score, stopper.best_epoch) == (0.7, 2)
    assert stopper.update(0.9, 5) and not stopper.should_stop and stopper.best_epoch == 5
