"""docs/troubleshooting.md: the failures it describes, reproduced.
"""

from dataclasses import replace

import numpy as np
import pytest

from helpers import quiet
from snippets.config import TrainConfig
from snippets.train import TrainingDiverged, train

QUICK = TrainConfig(epochs=2, limit=3000, validation_size=1000)


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
