"""docs/troubleshooting.md: the failures it describes, reproduced."""

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
    assert float(softmax_cross_entropy(MLP()(x), y)) > 20 * float(
        softmax_cross_entropy(MLP()(x / 255), y)
    )


def test_a_diverging_run_stops_with_a_message_naming_the_cause(small_data):
    # Unscaled pixels and an absurd step size overflow the weights to infinity.
    unscaled = replace(small_data, train_x=small_data.train_x * 255)
    with pytest.raises(TrainingDiverged, match="learning rate .* not scaled"):
        train(
            replace(QUICK, optimizer="sgd", learning_rate=1e30),
            data=unscaled,
            log=quiet,
        )


# Figures ------------------------------------------------------------------------------------

import math

from figures import troubleshooting as troubleshooting_figures
from helpers import check_figures, page


def test_figures_are_on_the_page_with_alt_text_and_captions():
    figures = check_figures("troubleshooting", troubleshooting_figures)
    for name in figures:
        _, caption = figures[name]
        assert f"{troubleshooting_figures.EPOCHS} epochs" in caption
        assert f"{troubleshooting_figures.LIMIT:,} images" in caption
    assert len(troubleshooting_figures.RATES) == 4  # "at four rates"
    # "the learning rate of the run above": the page's raw-pixel run uses the same rate.
    assert (
        f'optimizer="sgd", learning_rate={troubleshooting_figures.RATE})'
        in page("troubleshooting")
    )


def test_raw_pixels_figure_loss_explodes_relus_die_network_guesses(drawn):
    runs = drawn("troubleshooting-raw-pixels")
    scaled, raw, course = runs.values()
    assert (
        scaled["epochs"][-1]["dead"] < 0.05
        and scaled["epochs"][-1]["valid_accuracy"] > 0.8
    )
    assert scaled["losses"][-1] < 0.5 * math.log(10)
    for run in (raw, course):
        assert np.nanmax(run["losses"]) > 100 * math.log(10)
        assert (
            run["epochs"][-1]["dead"] > 0.9
            and run["epochs"][-1]["valid_accuracy"] < 0.2
        )
        assert abs(run["losses"][-1] - math.log(10)) < 0.2  # guessing
    assert np.nanmax(course["losses"]) > np.nanmax(
        raw["losses"]
    )  # the course's start is worst
    assert (
        course["start_logit_std"]
        > 100 * raw["start_logit_std"]
        > 100 * scaled["start_logit_std"]
    )


def test_learning_rate_figure_too_high_a_rate_explodes_and_kills_the_relus(
    drawn,
):
    runs = drawn("troubleshooting-learning-rate")
    rates = list(troubleshooting_figures.RATES)
    final = {
        rate: run["epochs"][-1] for rate, run in zip(rates, runs.values())
    }
    losses = {rate: run["losses"] for rate, run in zip(rates, runs.values())}
    assert (
        final[0.01]["valid_accuracy"]
        < final[0.1]["valid_accuracy"]
        <= final[1.0]["valid_accuracy"] + 0.02
    )
    assert np.max(losses[10.0]) > 100 and np.all(
        np.isfinite(losses[10.0])
    )  # no NaN: huge values
    assert final[10.0]["dead"] > 0.9 and final[10.0]["valid_accuracy"] < 0.2
    assert all(final[rate]["dead"] < 0.5 for rate in rates[:3])


def test_exercises_pass_with_the_worked_solutions_and_give_hints_on_the_starter():
    from helpers import check_exercises

    check_exercises("troubleshooting")
