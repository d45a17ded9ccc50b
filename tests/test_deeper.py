"""docs/deeper.md and snippets/deeper.py: deeper against wider."""

import re
from dataclasses import replace

import numpy as np
import pytest
import tensorflow as tf

from figures import deeper as deeper_figures
from helpers import (
    ROOT,
    check_figures,
    load_benchmark_script,
    number,
    page,
    quiz,
)
from snippets import deeper
from snippets.config import PRESETS
from snippets.deeper import (
    count_pieces,
    same_budget_shapes,
    sawtooth,
    width_for_budget,
)
from snippets.mlp import MLP, parameter_count


def test_the_course_budget_is_784_256_10():
    assert deeper.COURSE_BUDGET == parameter_count((256,)) == 203530
    assert deeper.width_for_budget(1, deeper.COURSE_BUDGET) == 256


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
@pytest.mark.parametrize("budget", [20000, 203530, 1000000])
def test_width_for_budget_is_the_closest_width(depth, budget):
    width = deeper.width_for_budget(depth, budget)
    distance = abs(parameter_count((width,) * depth) - budget)
    assert distance <= abs(parameter_count((width - 1,) * depth) - budget)
    assert distance <= abs(parameter_count((width + 1,) * depth) - budget)
    assert (
        distance / budget < 0.03
    )  # one unit more or less moves a small budget by a few percent


def test_deeper_shapes_at_the_course_budget_are_narrower():
    shapes = deeper.same_budget_shapes()
    assert shapes == [(256,), (204, 204), (177, 177, 177)]
    assert all(
        abs(parameter_count(hidden) / 203530 - 1) < 0.005 for hidden in shapes
    )


def test_other_input_and_output_sizes():
    assert deeper.same_budget_shapes(
        budget=parameter_count((8,), 2, 2),
        depths=(1,),
        n_inputs=2,
        n_classes=2,
    ) == [(8,)]


def test_an_impossible_budget_is_refused():
    with pytest.raises(ValueError, match="no network of 2 hidden layers"):
        deeper.width_for_budget(2, 100)
    with pytest.raises(ValueError):
        deeper.width_for_budget(0, 203530)


def test_the_tent_and_the_sawtooth():
    x = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    assert np.array_equal(deeper.tent(x), [0.0, 0.5, 1.0, 0.5, 0.0])
    assert np.array_equal(deeper.sawtooth(x, 2), [0.0, 1.0, 0.0, 1.0, 0.0])
    grid = np.linspace(0.0, 1.0, 2**12 + 1)
    for depth in range(1, 9):
        assert (
            deeper.count_pieces(grid, deeper.sawtooth(grid, depth)) == 2**depth
        )


def test_count_pieces():
    x = np.linspace(-2.0, 2.0, 401)
    assert deeper.count_pieces(x, 3 * x + 1) == 1
    assert deeper.count_pieces(x, np.abs(x)) == 2
    assert (
        deeper.count_pieces(x, np.maximum(0, x - 1) + np.maximum(0, -x - 1))
        == 3
    )


def test_a_one_hidden_layer_network_bends_at_most_once_per_unit():
    # relu(w x + b) bends only at x = -b / w: m units give at most m + 1 straight pieces.
    # The sawtooth of depth d has 2**d pieces, so one hidden layer needs 2**d - 1 units
    # where depth needs 2 d.
    rng = np.random.default_rng(0)
    w, b, a = rng.normal(size=7), rng.normal(size=7), rng.normal(size=7)
    corners = np.sort(-b / w)
    x = np.sort(
        np.concatenate([corners, np.linspace(-10, 10, 1001)])
    )  # the grid holds every corner
    y = np.maximum(0.0, np.outer(x, w) + b) @ a
    assert deeper.count_pieces(x, y) <= 7 + 1


def test_compare_trains_every_shape_with_every_seed(small_data):
    rows = deeper.compare(
        [(64,), (48, 48)], small_data, epochs=2, seeds=(0, 1)
    )
    assert [row["hidden"] for row in rows] == [(64,), (48, 48)]
    assert [row["depth"] for row in rows] == [1, 2]
    assert rows[1]["parameters"] == parameter_count((48, 48))
    for row in rows:
        assert len(row["test_accuracies"]) == 2 and all(
            0.75 < a < 1.0 for a in row["test_accuracies"]
        )
        assert row["mean_test_accuracy"] == pytest.approx(
            np.mean(row["test_accuracies"])
        )
        assert [len(curve) for curve in row["valid_curves"]] == [2, 2]
        assert (
            row["test_accuracies"][0] != row["test_accuracies"][1]
        )  # the seed matters
    text = deeper.table(rows)
    assert text.splitlines()[0].startswith("| hidden layers |")
    assert f"| 2 | 48-48 | {parameter_count((48, 48)):,} |" in text
    assert f"{100 * rows[0]['mean_test_accuracy']:.2f} |" in text


def test_set_initial_scale():
    model = MLP(hidden=(512, 512))
    deeper.set_initial_scale(model, 0.01)
    assert float(
        tf.math.reduce_std(model.weights["hidden_2"])
    ) == pytest.approx(0.01, rel=0.02)
    deeper.set_initial_scale(model, None)
    assert float(
        tf.math.reduce_std(model.weights["hidden_2"])
    ) == pytest.approx(np.sqrt(2 / 512), rel=0.02)
    assert float(
        tf.math.reduce_std(model.weights["hidden_1"])
    ) == pytest.approx(np.sqrt(2 / 784), rel=0.02)


def test_signals_vanish_or_explode_unless_the_initial_scale_is_right(
    small_data,
):
    x, labels = small_data.train_x[:128], small_data.train_y[:128]
    sizes = {}
    for name, stddev in [("small", 0.01), ("he", None), ("large", 1.0)]:
        sizes[name] = deeper.signal_sizes(
            deeper.set_initial_scale(MLP(hidden=(64,) * 10), stddev), x, labels
        )
    (small_up, small_down), (he_up, he_down), (large_up, large_down) = (
        sizes["small"],
        sizes["he"],
        sizes["large"],
    )
    assert len(small_up) == len(small_down) == 10
    assert (
        small_up[-1] / small_up[0] < 1e-6
        and small_down[0] / small_down[-1] < 1e-6
    )
    assert (
        0.25 < he_up[-1] / he_up[0] < 4 and 0.25 < he_down[0] / he_down[-1] < 4
    )
    assert (
        large_up[-1] / large_up[0] > 1e4
        and large_down[0] / large_down[-1] > 1e4
    )


def test_signal_sizes_match_the_model_and_the_tape(small_data):
    model = MLP(hidden=(16, 8))
    x, labels = small_data.train_x[:32], small_data.train_y[:32]
    forward_sizes, backward_sizes = deeper.signal_sizes(model, x, labels)
    h1 = tf.nn.relu(x @ model.weights["hidden_1"] + model.biases["hidden_1"])
    assert forward_sizes[0] == pytest.approx(
        float(tf.sqrt(tf.reduce_mean(h1**2))), rel=1e-5
    )
    # the gradient reaching the last hidden layer is delta_out W_out^T
    delta = (tf.nn.softmax(model(x)) - labels) / len(x)
    expected = delta @ tf.transpose(model.weights["out"])
    assert backward_sizes[-1] == pytest.approx(
        float(tf.sqrt(tf.reduce_mean(expected**2))), rel=1e-4
    )


def test_main_prints_the_table(capsys):
    assert (
        deeper.main(["--limit", "300", "--epochs", "1", "--seeds", "1"]) == 0
    )
    out = capsys.readouterr().out
    assert "depth 8: 16 ReLUs, 256 straight pieces" in out
    assert "| 3 | 177-177-177 | 203,737 |" in out
    assert "stddev 0.01" in out and "He" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--epochs", "0"], "must be at least 1"),
        (["--limit", "many"], "expected a whole number"),
        (["--unknown"], "unrecognized arguments"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        deeper.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_deeper_quiz_the_best_preset():
    text = quiz("deeper", "how many parameters")
    assert "784-1024-1024-10" in text and PRESETS["best"].hidden == (
        1024,
        1024,
    )
    parameters = number(
        re.search(r"=\s*([\d{},]+)\$ parameters", text).group(1)
    )
    width = number(re.search(r"\$w = ([\d{},]+)\$", text).group(1))
    assert parameters == parameter_count((1024, 1024))
    assert "795w + 10" in text and parameter_count((7,)) == 795 * 7 + 10
    assert width == width_for_budget(1, parameters)


def test_depth_makes_the_sawtooth_cheap():
    x = np.linspace(0.0, 1.0, 2**12 + 1)
    pieces = count_pieces(x, sawtooth(x, 8))
    relus = 8 * 2  # 8 layers of the two-ReLU tent
    assert pieces == 2**8
    # one hidden layer needs a ReLU per corner: pieces - 1 of them
    assert (
        f"{relus} ReLUs in 8 layers do the work of\n{pieces - 1} in one"
        in page("deeper")
    )


def test_the_first_layer_holds_most_of_the_budget():
    shapes = same_budget_shapes(203530, depths=(1, 2))
    assert shapes[0][0] - shapes[1][
        0
    ] == 52 and "taking only 52 units" in page("deeper")
    first_layer = int(tf.size(MLP().weights["hidden_1"]))
    total = parameter_count((256,))
    assert (
        f"784 \\times 256 = {first_layer:,}$ of the course's {total:,}".replace(
            ",", "{,}", 1
        )
        in page("deeper")
    )
    assert first_layer / total > 0.98


# Figures ------------------------------------------------------------------------------------


def test_figures_are_on_the_page_with_alt_text_and_captions():
    figures = check_figures("deeper", deeper_figures)
    _, caption = figures["deeper-pieces"]
    depths, counted = deeper_figures.DEPTHS, deeper_figures.COUNTED
    assert f"depths {depths[0]} to {depths[-1]}" in caption
    relus = 2 * counted[-1]
    assert f"{relus} ReLUs make {2 ** counted[-1]} pieces" in caption
    assert f"at most {relus + 1}" in caption
    _, caption = figures["deeper-signals"]
    assert (
        f"{deeper_figures.LAYERS} hidden layers of {deeper_figures.WIDTH} units, on "
        f"{deeper_figures.IMAGES} training images, for three starting scales"
    ) in caption
    assert len(deeper_figures.SCALES) == 3
    # The page's prose describes the same network.
    assert f"ten hidden layers of {deeper_figures.WIDTH} units" in page(
        "deeper"
    )
    assert deeper_figures.LAYERS == 10


def test_pieces_double_with_depth_and_grow_by_one_with_width(drawn):
    data = drawn("deeper-pieces")
    assert data["deep"] == [2**depth for depth in deeper_figures.COUNTED]
    assert data["wide"] == [relus + 1 for relus in data["relus"]]
    assert data["relus"] == [2 * depth for depth in deeper_figures.COUNTED]
    # Depth wins from 3 layers on, and by 256 to 17 at 16 ReLUs.
    assert [deep > wide for deep, wide in zip(data["deep"], data["wide"])] == [
        False,
        False,
    ] + [True] * 6
    for depth, curve in data["curves"].items():
        np.testing.assert_array_equal(curve, sawtooth(data["x"], depth))
        teeth = np.count_nonzero(np.isclose(curve, 1.0))
        assert teeth == 2 ** (
            depth - 1
        )  # every tooth peaks at 1, once per pair of pieces


def test_signals_shrink_grow_or_stay_level_with_the_initial_scale(drawn):
    data = drawn("deeper-signals")
    small, he, large = (
        data["sizes"][label] for label, _ in deeper_figures.SCALES
    )
    for key in ("h", "gradient"):
        assert all(
            len(sizes[key]) == deeper_figures.LAYERS
            for sizes in (small, he, large)
        )
        # He: no layer differs from another by more than a factor of 2.
        assert max(he[key]) / min(he[key]) < 2
    # Small weights: the output shrinks up the layers and the gradient down them, each by
    # a roughly constant factor per layer (a straight line on a log scale); large: the reverse.
    for sizes, direction in ((small, -1), (large, 1)):
        forward = np.diff(np.log10(sizes["h"]))
        backward = np.diff(np.log10(sizes["gradient"]))
        assert np.all(direction * forward > 0.5) and np.all(
            direction * backward < -0.5
        )
        assert np.ptp(forward[1:]) < 0.5 and np.ptp(backward[:-1]) < 0.5
    assert (
        small["gradient"][0] / small["gradient"][-1] < 1e-10
    )  # "many orders of magnitude"


# Exercises ----------------------------------------------------------------------------------


def test_exercises_pass_with_the_worked_solutions_and_give_hints_on_the_starter():
    from helpers import check_exercises

    check_exercises("deeper")


def test_the_deeper_checks_catch_wrong_answers():
    import math

    from snippets.exercises import Wrong
    from snippets.exercises import deeper as checks

    def rounds_down(depth, budget, n_inputs, n_classes):
        return width_for_budget(depth, budget, n_inputs, n_classes) - 1

    def no_half(
        rms_in, stddev, width, layers
    ):  # forgets that a ReLU halves E[z^2]
        return rms_in * (stddev * math.sqrt(width)) ** layers

    def only_the_direct_path(x, upstream, epsilon=1e-3):
        # forgets that x_i also moves the row's mean and variance
        return upstream / np.sqrt(x.var(axis=1, keepdims=True) + epsilon)

    for check, answer in [
        (checks.check_width_for_budget, rounds_down),
        (
            checks.check_sawtooth_pieces,
            lambda depth: (2 * depth, 2 * depth - 1),
        ),
        (checks.check_rms_after, no_half),
        (checks.check_layer_norm_gradient, only_the_direct_path),
    ]:
        with pytest.raises(Wrong):
            check(answer)


# The larger run: benchmarks/deeper_vs_wider.py ----------------------------------------------

import json
import statistics

LARGER_RUN = ROOT / "benchmarks" / "deeper_vs_wider.json"


def load_larger_run_script():
    return load_benchmark_script("deeper_vs_wider")


def test_the_committed_larger_run_is_of_todays_shapes_and_adds_up():
    run = json.loads(LARGER_RUN.read_text())
    assert [
        tuple(shape["hidden"]) for shape in run["shapes"]
    ] == same_budget_shapes()
    assert len(run["seeds"]) >= 5 and run["seeds"] == sorted(set(run["seeds"]))
    config = run["config"]
    # larger than the notebook's run in every direction: images, epochs, seeds
    assert (
        config["training_images"] > 4000
        and config["epochs"] > 3
        and config["budget"] == deeper.COURSE_BUDGET
    )
    for shape in run["shapes"]:
        accuracies = shape["test_accuracies"]
        assert shape["parameters"] == parameter_count(tuple(shape["hidden"]))
        assert len(accuracies) == len(run["seeds"]) and all(
            0.9 < a < 1.0 for a in accuracies
        )
        assert shape["mean"] == pytest.approx(statistics.fmean(accuracies))
        assert shape["sd"] == pytest.approx(statistics.stdev(accuracies))
        assert len(set(accuracies)) > 1  # the seeds differ
    assert set(run["processor"]) == {"model_name", "avx512f"} and isinstance(
        run["processor"]["avx512f"], bool
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", run["date"])


def test_the_larger_run_script_writes_the_same_fields(
    tmp_path, capsys, monkeypatch, small_data
):
    """The script end to end, with `compare` (tested above) replaced by made-up accuracies."""
    asked = []

    def made_up(shapes, data, epochs, seeds, batch_size):
        asked.append((shapes, len(data.train_x), epochs, seeds, batch_size))
        return [
            {
                "hidden": tuple(hidden),
                "parameters": parameter_count(hidden),
                "test_accuracies": [0.95 + 0.01 * depth, 0.96 + 0.01 * depth],
            }
            for depth, hidden in enumerate(shapes)
        ]

    monkeypatch.setattr(
        "snippets.data.load_dataset", lambda validation_size, limit: small_data
    )
    monkeypatch.setattr("snippets.deeper.compare", made_up)
    output = tmp_path / "small.json"
    assert (
        load_larger_run_script().main(
            ["--epochs", "2", "--seeds", "2", "--output", str(output)]
        )
        == 0
    )
    assert asked == [
        (same_budget_shapes(), len(small_data.train_x), 2, (0, 1), 100)
    ]
    small, committed = (
        json.loads(output.read_text()),
        json.loads(LARGER_RUN.read_text()),
    )
    assert set(small) == set(committed) and set(small["config"]) == set(
        committed["config"]
    )
    assert small["seeds"] == [0, 1] and small["config"][
        "training_images"
    ] == len(small_data.train_x)
    assert [shape["mean"] for shape in small["shapes"]] == pytest.approx(
        [0.955, 0.965, 0.975]
    )
    assert [shape["sd"] for shape in small["shapes"]] == pytest.approx(
        [0.01 / np.sqrt(2)] * 3
    )
    assert capsys.readouterr().out.splitlines() == [
        "256 95.50 ± 0.71",
        "204-204 96.50 ± 0.71",
        "177-177-177 97.50 ± 0.71",
    ]


def test_the_verdict_on_the_page_is_what_the_larger_run_shows():
    """ "Neither difference reaches" twice its standard error; "the seed matters more the deeper
    the network"."""
    text = page("deeper")
    assert (
        "Neither difference here reaches it" in text
        and "no effect of depth in either" in text
    )
    assert "the seed matters more the deeper" in text
    run = json.loads(LARGER_RUN.read_text())
    one_layer, *deeper_shapes = run["shapes"]
    for shape in deeper_shapes:
        error = np.sqrt(
            (shape["sd"] ** 2 + one_layer["sd"] ** 2) / len(run["seeds"])
        )
        assert abs(shape["mean"] - one_layer["mean"]) < 2 * error
    assert [shape["sd"] for shape in run["shapes"]] == sorted(
        shape["sd"] for shape in run["shapes"]
    )
    two_layers, three_layers = deeper_shapes
    # "slightly ahead", "slightly behind"
    assert two_layers["mean"] > one_layer["mean"] > three_layers["mean"]


# Comparisons the page states --------------------------------------------------------------

from helpers import Claim


def the_course_claim_is_reported_and_tested():
    """The page reports the course's argument as the course's, then tests it: the verdict of
    the larger run is what the page says of it."""
    text = page("deeper")
    assert (
        "The course argues for depth. For the same number of parameters, it says,"
        in text
    )
    assert "tests it on MNIST" in text
    test_the_verdict_on_the_page_is_what_the_larger_run_shows()


CLAIMS = [
    Claim(
        "For the same number of parameters, it says, a deeper network usually does better",
        the_course_claim_is_reported_and_tested,
    ),
    Claim(
        "Neither difference here reaches it: the two-layer network comes out slightly ahead of "
        "the one-layer one and the three-layer network slightly behind, and both gaps are within "
        "what five seeds per shape cannot tell apart from chance.",
        test_the_verdict_on_the_page_is_what_the_larger_run_shows,
    ),
]


# The playground's depth demo (docs/assets/playground/deeper.md) ---------------------------

PLAYGROUND = ROOT / "docs" / "assets" / "playground" / "deeper.md"
SPREAD = re.compile(
    r"(?P<mean>[\d.]+) % \((?P<low>[\d.]+)-(?P<high>[\d.]+) % over (?P<seeds>\d+) seeds\)"
)


def printed_spreads(fragment):
    """Each seed spread the fragment's checked outputs print, in order, as fractions (the
    outputs themselves are what the code prints: test_code_blocks.py runs the blocks)."""
    outputs = re.findall(
        r"<!--pytest-codeblocks:expected-output-->\s*```text\n(.*?)```",
        fragment,
        re.DOTALL,
    )
    return [
        [
            {
                key: float(value) / (1 if key == "seeds" else 100)
                for key, value in match.groupdict().items()
            }
            for match in SPREAD.finditer(output)
        ]
        for output in outputs
    ]


def test_the_playground_depth_demo_is_fair_and_says_what_its_seeds_show():
    from snippets.deeper import width_for_budget
    from snippets.playground import PRESETS, parameters

    fragment = PLAYGROUND.read_text()
    deep = PRESETS["spirals-deep"][0]
    width = width_for_budget(1, parameters(deep), n_inputs=2, n_classes=2)
    # the fair pair: one layer with the deep network's budget, within one parameter of it
    assert (
        abs(parameters(replace(deep, hidden=(width,))) - parameters(deep)) <= 1
    )
    assert (
        f"one wide layer of {width}" in fragment and "five seeds" in fragment
    )
    spirals, xor = printed_spreads(fragment)
    narrow, wide, three = spirals
    assert all(spread["seeds"] == 5 for spread in spirals + xor)
    # "every seed of the three layers of eight reads more of the 200 test points than any seed
    # of either one-layer network": every deep run above every run of each shallow one (5
    # runs against 5 fall all above by chance with probability 2/252, two-sided)
    assert three["low"] > max(narrow["high"], wide["high"])
    # "gets no further than the narrow layer of eight"
    assert wide["mean"] <= narrow["mean"]
    # XOR: "five seeds cannot tell the two shapes apart": the ranges overlap
    wide_xor, deep_xor = xor
    assert deep_xor["low"] < wide_xor["low"] <= deep_xor["high"]
    assert "five seeds cannot tell the two shapes apart" in fragment


def test_the_comparisons_on_the_page_hold():
    from helpers import check_claims

    check_claims("deeper", CLAIMS)


# What rescues a deep MLP: snippets/residual.py and benchmarks/deep_rescue.py ---------------

import keras

from snippets import residual
from snippets.residual import BLOCKS, BatchNorm, DeepMLP, LayerNorm
from snippets.uncertainty import seed_spread, separated

RESCUE_RUN = ROOT / "benchmarks" / "deep_rescue.json"


def scaled_rows(seed, shape=(32, 8)):
    """Rows far from mean 0 and variance 1, so that normalising matters."""
    rng = np.random.default_rng(seed)
    return rng.normal(2.0, 3.0, size=shape).astype("float32")


def same_gamma_and_beta(ours, theirs, seed=1):
    rng = np.random.default_rng(seed)
    width = ours.gamma.shape[0]
    theirs.build((None, width))
    for name in ("gamma", "beta"):
        values = rng.normal(size=width).astype("float32")
        getattr(ours, name).assign(values)
        getattr(theirs, name).assign(values)


def test_layer_norm_equals_keras_layer_normalization():
    ours, theirs = LayerNorm(8), keras.layers.LayerNormalization()
    same_gamma_and_beta(ours, theirs)
    x = scaled_rows(0)
    for training in (True, False):
        np.testing.assert_allclose(
            ours(x, training), theirs(x, training=training), atol=5e-6
        )
    # each row: mean 0 and variance 1 before gamma and beta
    plain = LayerNorm(8)(x).numpy()
    np.testing.assert_allclose(plain.mean(axis=1), 0, atol=1e-6)
    variance = x.var(axis=1)  # the variance is 1 but for epsilon's share
    np.testing.assert_allclose(
        plain.var(axis=1), variance / (variance + 1e-3), rtol=1e-5
    )


def test_batch_norm_equals_keras_batch_normalization_in_training_and_inference():
    ours, theirs = BatchNorm(8), keras.layers.BatchNormalization()
    same_gamma_and_beta(ours, theirs)
    for step in range(3):
        batch = scaled_rows(10 + step)
        np.testing.assert_allclose(
            ours(batch, training=True), theirs(batch, training=True), atol=5e-6
        )
    # the running averages moved the same way, and inference uses them
    np.testing.assert_allclose(ours.moving_mean, theirs.moving_mean, atol=1e-6)
    np.testing.assert_allclose(
        ours.moving_variance, theirs.moving_variance, atol=1e-6
    )
    assert float(tf.reduce_max(tf.abs(ours.moving_mean))) > 0.01
    x = scaled_rows(20)
    np.testing.assert_allclose(ours(x), theirs(x, training=False), atol=5e-6)
    # inference differs from training: one example at a time gives the same
    np.testing.assert_allclose(ours(x[:1]), ours(x)[:1], atol=1e-6)
    assert not np.allclose(ours(x), ours(x, training=True), atol=1e-2)
    assert [v.name for v in ours.trainable_variables] == ["beta:0", "gamma:0"]


def copy_into_keras(model, twin):
    """The hand-written network's weights, in order, into its Keras twin."""
    kinds = (keras.layers.LayerNormalization, keras.layers.BatchNormalization)
    dense = [
        layer for layer in twin.layers if isinstance(layer, keras.layers.Dense)
    ]
    norms = [layer for layer in twin.layers if isinstance(layer, kinds)]
    for layer, (weights, bias) in zip(
        dense, model.dense_layers(), strict=True
    ):
        layer.kernel.assign(weights)
        assert layer.use_bias == (bias is not None)
        if bias is not None:
            layer.bias.assign(bias)
    for layer, norm in zip(norms, model.norms, strict=True):
        layer.gamma.assign(norm.gamma)
        layer.beta.assign(norm.beta)


@pytest.mark.parametrize("block", BLOCKS)
def test_the_keras_twin_computes_the_same_network(block):
    model = DeepMLP(5, 16, block, n_inputs=12, n_classes=3, seed=1)
    twin = residual.keras_deep_mlp(5, 16, block, n_inputs=12, n_classes=3)
    copy_into_keras(model, twin)
    assert twin.count_params() == sum(int(tf.size(v)) for v in model.variables)
    x = scaled_rows(2, (20, 12))
    for _ in range(2):  # batch norm's running averages move in both
        np.testing.assert_allclose(
            model(x, training=True), twin(x, training=True), atol=1e-5
        )
    np.testing.assert_allclose(model(x), twin(x, training=False), atol=1e-5)


def test_the_blocks_compute_what_the_page_says():
    x = tf.constant(scaled_rows(3, (6, 16)))
    for block in BLOCKS:
        model = DeepMLP(3, 16, block, n_inputs=16, n_classes=3)
        weights, bias = model.weights[0], model.biases[0]
        got = model.step(0, x, training=True)
        if block == "plain":
            expected = tf.nn.relu(x @ weights + bias)
        elif block == "residual":
            expected = x + tf.nn.relu(x @ weights + bias)
        elif block == "residual + layer norm":
            expected = x + tf.nn.relu(LayerNorm(16)(x) @ weights + bias)
        else:
            assert bias is None  # the norm's beta shifts instead
            z = x @ weights
            mean, variance = tf.nn.moments(
                z, axes=[-1 if block == "layer norm" else 0], keepdims=True
            )
            expected = tf.nn.relu((z - mean) / tf.sqrt(variance + 1e-3))
        np.testing.assert_allclose(got, expected, atol=1e-5)
    assert len(DeepMLP(16, 64).activations(x[:, :1] @ tf.ones([1, 784]))) == 17
    with pytest.raises(ValueError, match="unknown block 'dense'"):
        DeepMLP(4, 8, "dense")


def test_train_deep_trains(small_data):
    model = DeepMLP(3, 64, "residual + layer norm", seed=3)
    before = residual.accuracy(model, small_data.valid_x, small_data.valid_y)
    residual.train_deep(model, small_data, epochs=2, seed=3)
    after = residual.accuracy(model, small_data.valid_x, small_data.valid_y)
    assert before < 0.3 and after > 0.85


def test_residual_main_shows_the_sizes_at_the_start(capsys):
    assert residual.main() == 0
    out = capsys.readouterr().out
    assert "48 hidden layers of 64 units" in out
    assert all(f"  {block} " in out for block in BLOCKS)


def test_the_rescue_figure_is_the_section_s_network_at_its_start(drawn):
    data = drawn("deeper-rescue")
    sizes = data["sizes"]
    assert list(sizes) == list(BLOCKS)
    assert data["layers"] == list(range(1, deeper_figures.RESCUE_LAYERS + 1))

    def growth(block, key):
        values = sizes[block][key]
        return values[-1] / values[0] if key == "h" else values[0] / values[-1]

    # "plain He keeps both level": within a factor of 10 over 48 layers
    for key in ("h", "gradient"):
        assert 0.1 < growth("plain", key) < 10
    # "the signal's square more than doubles with every block" (47 blocks):
    # adding a vector as large at right angles would double it, one pointing
    # the same way would quadruple it
    assert 2**47 < growth("residual", "h") ** 2 < 3.5**47
    assert growth("residual", "gradient") > 1e9
    # the norms hold the signal level; batch norm's gradient explodes downwards
    assert 0.5 < growth("layer norm", "h") < 4
    assert 0.5 < growth("batch norm", "h") < 4
    assert growth("batch norm", "gradient") > 1e3
    # both together: "in proportion to the depth": three times the layers,
    # about three times the size, from layer 16 to layer 48
    both = sizes["residual + layer norm"]["h"]
    assert 2 < both[47] / both[15] < 4.5 and both[-1] < 100
    assert growth("residual + layer norm", "gradient") < 1e3


def rescue_runs():
    run = json.loads(RESCUE_RUN.read_text())
    spreads = {}
    for depth in run["config"]["depths"]:
        for block in run["config"]["blocks"]:
            spreads[depth, block] = seed_spread(
                [
                    r["test_accuracy"]
                    for r in sorted(run["runs"], key=lambda r: r["seed"])
                    if r["depth"] == depth and r["block"] == block
                ]
            )
    return run, spreads


def test_the_committed_rescue_run_is_complete_for_its_seeds():
    script = load_benchmark_script("deep_rescue")
    run, spreads = rescue_runs()
    assert run["config"] == {**script.CONFIG, "blocks": list(BLOCKS)}
    keys = [(r["seed"], r["depth"], r["block"]) for r in run["runs"]]
    seeds = sorted({seed for seed, _, _ in keys})
    assert seeds == list(range(5))
    assert sorted(keys) == sorted(
        (seed, depth, block)
        for seed in seeds
        for depth in script.DEPTHS
        for block in BLOCKS
    )
    assert all(0 < r["test_accuracy"] < 1 for r in run["runs"])
    assert all(spread.seeds == 5 for spread in spreads.values())
    assert {"model_name", "avx512f"} <= set(run["processor"])


def fake_training(monkeypatch, small_data, trained):
    monkeypatch.setattr("snippets.data.load_dataset", lambda limit: small_data)

    def fake_train(model, data, epochs, seed):
        trained.append((seed, model.block))
        return model

    monkeypatch.setattr("snippets.residual.train_deep", fake_train)
    monkeypatch.setattr(
        "snippets.residual.DeepMLP",
        lambda depth, width, block, seed: DeepMLP(1, 2, block, seed=seed),
    )  # a tiny network: only the bookkeeping is under test
    monkeypatch.setattr("snippets.residual.accuracy", lambda model, x, y: 0.5)


def test_the_rescue_script_writes_each_run_and_continues_a_partial_file(
    tmp_path, monkeypatch, small_data, capsys
):
    script = load_benchmark_script("deep_rescue")
    trained = []
    fake_training(monkeypatch, small_data, trained)
    output = tmp_path / "rescue.json"
    assert script.main(["--seeds", "1", "--output", str(output)]) == 0
    first = json.loads(output.read_text())
    assert [(r["seed"], r["block"]) for r in first["runs"]] == [
        (0, block) for block in BLOCKS
    ] * len(script.DEPTHS)
    assert [r["depth"] for r in first["runs"]] == [
        depth for depth in script.DEPTHS for _ in BLOCKS
    ]
    assert first["config"]["blocks"] == list(BLOCKS)
    # a second call with two seeds runs only seed 1
    trained.clear()
    assert script.main(["--seeds", "2", "--output", str(output)]) == 0
    assert {seed for seed, _ in trained} == {1}
    second = json.loads(output.read_text())
    assert second["runs"][: len(first["runs"])] == first["runs"]
    assert len(second["runs"]) == 2 * len(first["runs"])


@pytest.mark.parametrize(
    "argv, contents, message",
    [
        (["--seeds", "0"], None, "must be at least 1"),
        (["--seeds", "many"], None, "expected a whole number"),
        ([], '{"config": {"depths": [3]}, "runs": []}', "holds other results"),
        ([], "not json", "holds other results"),
    ],
)
def test_the_rescue_script_refuses_bad_input_in_one_line(
    tmp_path, capsys, argv, contents, message
):
    output = tmp_path / "rescue.json"
    if contents is not None:
        output.write_text(contents)
    script = load_benchmark_script("deep_rescue")
    try:
        status = script.main([*argv, "--output", str(output)])
    except SystemExit as exit_info:
        status = exit_info.code
    assert status != 0
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    if contents is not None:
        assert output.read_text() == contents  # left as it was


def test_the_rescue_script_run_as_make_runs_it_gives_no_traceback():
    from helpers import run_snippets

    # as `make bench-deep-rescue` runs it
    finished = run_snippets(
        "benchmarks.deep_rescue", "--seeds", "0", timeout=120
    )
    assert finished.returncode == 2 and "Traceback" not in finished.stderr
    assert finished.stderr.strip().count("\n") == 0


# The rescue section's verdict, against benchmarks/deep_rescue.json


def no_difference_at_16_layers():
    _, spread = rescue_runs()
    plain = spread[16, "plain"]
    for block in ("layer norm", "residual + layer norm"):
        assert not separated(plain, spread[16, block])


def plain_falls_at_48_and_the_pair_is_well_ahead():
    _, spread = rescue_runs()
    plain, deep_plain = spread[16, "plain"], spread[48, "plain"]
    # "learns far less than at 16, every seed below every seed of 16 layers"
    assert separated(plain, deep_plain) and deep_plain.high < plain.low - 0.1
    # "well ahead of it on every seed"
    pair = spread[48, "residual + layer norm"]
    assert separated(pair, deep_plain) and pair.low > deep_plain.high + 0.1


def neither_piece_alone_and_batch_norm_behind_at_16():
    _, spread = rescue_runs()
    # "the residual sum alone fails at both depths": below every plain seed
    for depth in (16, 48):
        alone = spread[depth, "residual"]
        assert alone.high < spread[depth, "plain"].low - 0.1
    # "fewer than three digits in ten right at 48 layers"
    assert spread[48, "layer norm"].high < 0.3
    assert spread[48, "batch norm"].high < 0.3
    # "batch norm is clearly behind the plain network already at 16"
    batch, plain = spread[16, "batch norm"], spread[16, "plain"]
    assert separated(batch, plain) and batch.high < plain.low


def test_the_rescue_verdict_holds():
    no_difference_at_16_layers()
    plain_falls_at_48_and_the_pair_is_well_ahead()
    neither_piece_alone_and_batch_norm_behind_at_16()
    text = page("deeper")
    assert "Level sizes are not enough: at 48 layers" in text


CLAIMS += [
    Claim(
        "five seeds show no difference detected at this size between it, "
        "layer norm alone and residual + layer norm",
        no_difference_at_16_layers,
    ),
    Claim(
        "There residual + layer norm is well ahead of it on every seed.",
        plain_falls_at_48_and_the_pair_is_well_ahead,
    ),
    Claim(
        "batch norm is clearly behind the plain network already at 16",
        neither_piece_alone_and_batch_norm_behind_at_16,
    ),
]
