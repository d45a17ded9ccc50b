"""docs/speed.md: the fast trainer (snippets/fast.py) and the benchmark (benchmarks/bench.py)."""

import json
import math
import re
import sys
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest
import tensorflow as tf

from helpers import ROOT, page, quiet, quiz, run_snippets
from snippets import fast
from snippets.backprop import matmul_flops
from snippets.checkpoint import restore_model, save_model
from snippets.data import Mnist, batches
from snippets.fast import (
    FAST,
    FastTrainer,
    learning_rate_at,
    loss_and_gradients,
    train_fast,
)
from snippets.mlp import MLP
from snippets.train import TrainingDiverged, TrainResult, evaluate

# What `tf.function` does for a step (the section moved here from the MLP page) ------------


def test_the_step_is_one_concrete_function_that_takes_every_batch_size():
    """One trace serves every batch, the last smaller one included, as the page says."""
    from snippets.train import make_train_step

    model = MLP(hidden=(32,), seed=0)
    optimizer = tf.keras.optimizers.Adam(1e-3)
    step = make_train_step(model, optimizer, l2=0.0)
    assert isinstance(step, tf.types.experimental.ConcreteFunction)
    assert [
        spec.shape.as_list() for spec in step.structured_input_signature[0]
    ] == [[None, 784], [None, 10], [2]]
    rng = np.random.default_rng(0)
    for rows in (100, 37):
        x = rng.random((rows, 784), dtype=np.float32)
        y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, rows)]
        loss, norm = step(x, y, tf.constant([0, rows], tf.int64))
        assert np.isfinite(float(loss)) and float(norm) > 0
    assert int(optimizer.iterations) == 2
    with pytest.raises((TypeError, ValueError)):
        step(
            np.zeros((4, 783), np.float32),
            np.zeros((4, 10), np.float32),
            tf.constant([0, 0], tf.int64),
        )


def test_the_steps_that_say_autograph_is_off_have_no_python_control_flow_on_tensors():
    """AutoGraph is off in the step and in the fast trainer's compiled functions; the
    fast trainer's loop over the batches is a tf.while_loop written by hand."""
    import inspect

    from snippets import train as train_module

    step_source = inspect.getsource(train_module.make_train_step)
    assert "autograph=False" in step_source
    fast_source = inspect.getsource(fast)
    assert (
        fast_source.count("autograph=False") >= 2
        and "tf.while_loop(" in fast_source
    )
    text = page("speed")
    section = text.index("## What `tf.function` does for a step")
    assert (
        text.index("\n## ") + 1
        == section
        < text.index("## The rules of the race")
    )
    assert (
        '--8<-- "snippets/train.py:train_step"'
        in text[section : text.index("## The rules of the race")]
    )


QUICK = replace(FAST, epochs=2, batch_size=128, learning_rate=5e-3)


def weights_of(model):
    return [variable.numpy() for variable in model.trainable_variables]


def test_it_trains_and_returns_an_mlp_with_the_usual_names(small_data):
    result = train_fast(replace(QUICK, seed=0), small_data, log=quiet)
    assert isinstance(result, TrainResult)
    assert isinstance(result.model, MLP) and result.model.hidden == (256,)
    assert sorted(result.model.weights) == ["hidden_1", "out"]
    assert result.model.weights["hidden_1"].shape == (784, 256)
    assert [row["epoch"] for row in result.history] == [1, 2]
    assert result.history[1]["train_loss"] < result.history[0]["train_loss"]
    assert result.history[-1]["valid_accuracy"] > 0.9
    assert result.best_epoch == 2
    # The reported test scores are those of the returned model.
    assert (result.test_loss, result.test_accuracy) == evaluate(
        result.model, small_data.test_x, small_data.test_y
    )
    assert result.test_accuracy > 0.85


def test_the_model_saves_and_restores_like_any_other(small_data, tmp_path):
    result = train_fast(
        replace(QUICK, epochs=1, seed=0), small_data, log=quiet
    )
    save_model(result.model, tmp_path)
    restored = restore_model(tmp_path)
    images = small_data.test_x[:50]
    np.testing.assert_array_equal(
        restored(images).numpy(), result.model(images).numpy()
    )


def test_same_seed_same_network_other_seed_other_network(small_data):
    first = train_fast(replace(QUICK, seed=1), small_data, log=quiet)
    again = train_fast(replace(QUICK, seed=1), small_data, log=quiet)
    other = train_fast(replace(QUICK, seed=2), small_data, log=quiet)
    for a, b in zip(weights_of(first.model), weights_of(again.model)):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(
        weights_of(first.model)[0], weights_of(other.model)[0]
    )


class WatchedMnist(Mnist):
    """MNIST that writes into ``events`` whenever the test set is read."""

    def __init__(self, data, events):
        self.__dict__.update(vars(data))
        object.__setattr__(self, "events", events)

    def __getattribute__(self, name):
        if name in ("test_x", "test_y"):
            object.__getattribute__(self, "events").append("test set read")
        return object.__getattribute__(self, name)


def test_the_test_set_is_read_only_after_the_last_epoch(small_data):
    events = []
    data = WatchedMnist(small_data, events)
    result = train_fast(replace(QUICK, seed=0), data, log=events.append)
    epochs = [
        index
        for index, event in enumerate(events)
        if event.startswith("epoch ")
    ]
    reads = [
        index for index, event in enumerate(events) if event == "test set read"
    ]
    assert len(epochs) == 2 and reads
    assert min(reads) > max(epochs)
    assert math.isfinite(result.test_accuracy)


def test_hand_written_gradients_match_gradient_tape():
    rng = np.random.default_rng(0)
    weights = [
        tf.constant(rng.normal(0, 0.05, (784, 32)), tf.float32),
        tf.constant(rng.normal(0, 0.2, (32, 10)), tf.float32),
    ]
    biases = [
        tf.constant(rng.normal(0, 0.1, 32), tf.float32),
        tf.constant(rng.normal(0, 0.1, 10), tf.float32),
    ]
    x = tf.constant(rng.uniform(0, 1, (64, 784)), tf.float32)
    labels = tf.constant(rng.integers(0, 10, 64), tf.int32)
    for smoothing in (0.0, 0.1):
        loss, gradients = loss_and_gradients(
            weights, biases, x, labels, "float32", smoothing
        )
        with tf.GradientTape() as tape:
            tape.watch(weights + biases)
            hidden = tf.nn.relu(x @ weights[0] + biases[0])
            logits = hidden @ weights[1] + biases[1]
            expected_loss = tf.reduce_mean(
                tf.keras.losses.categorical_crossentropy(
                    tf.one_hot(labels, 10),
                    logits,
                    from_logits=True,
                    label_smoothing=smoothing,
                )
            )
        expected = tape.gradient(
            expected_loss, [weights[0], biases[0], weights[1], biases[1]]
        )
        np.testing.assert_allclose(
            loss.numpy(), expected_loss.numpy(), rtol=1e-5
        )
        for mine, theirs in zip(gradients, expected):
            np.testing.assert_allclose(
                mine.numpy(), theirs.numpy(), rtol=1e-4, atol=1e-6
            )
    # bfloat16 products keep about 3 significant digits: close, not equal.
    _, rough = loss_and_gradients(weights, biases, x, labels, "bfloat16")
    _, exact = loss_and_gradients(weights, biases, x, labels, "float32")
    for a, b in zip(rough, exact):
        assert a.dtype == tf.float32
        assert float(tf.reduce_max(tf.abs(a - b))) < 0.05 * float(
            tf.reduce_max(tf.abs(b))
        )
        assert not np.array_equal(a.numpy(), b.numpy())


def test_the_schedule_warms_up_then_decays_to_zero():
    rates = [
        float(learning_rate_at(step, 100, 0.02, 0.2)) for step in range(100)
    ]
    peak = int(np.argmax(rates))
    assert rates[0] == pytest.approx(0.02 / 20)
    assert max(rates) == pytest.approx(0.02)
    assert 18 <= peak <= 20
    assert all(a <= b for a, b in zip(rates[:peak], rates[1 : peak + 1]))
    assert all(a >= b for a, b in zip(rates[peak:], rates[peak + 1 :]))
    assert float(learning_rate_at(100, 100, 0.02, 0.2)) == 0.0
    assert float(
        learning_rate_at(57, 100, 1e-3, 0.2, schedule="constant")
    ) == pytest.approx(1e-3)


def test_one_graph_per_epoch_trains_like_one_call_per_step(small_data):
    # The same float32 arithmetic, driven from Python or from a tf.while_loop.
    config = replace(QUICK, epochs=1, compute_dtype="float32")
    looped = train_fast(
        replace(config, whole_epoch=False, seed=0), small_data, log=quiet
    )
    whole = train_fast(replace(config, seed=0), small_data, log=quiet)
    for a, b in zip(weights_of(looped.model), weights_of(whole.model)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_fused_adam_is_the_written_out_adam(small_data):
    config = replace(QUICK, epochs=1, compute_dtype="float32")
    fused = train_fast(replace(config, seed=0), small_data, log=quiet)
    written = train_fast(
        replace(config, fused_adam=False, seed=0), small_data, log=quiet
    )
    # Same formula, different rounding; Adam divides by sqrt(v), which magnifies the last
    # bits where v is tiny, so after 23 steps the weights agree to about 1e-5.
    for a, b in zip(weights_of(fused.model), weights_of(written.model)):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)


def test_every_epoch_uses_full_batches_of_a_fresh_permutation(small_data):
    trainer = FastTrainer(
        QUICK, small_data.train_x, small_data.train_y, log=quiet
    )
    assert (
        trainer.steps_per_epoch == len(small_data.train_x) // QUICK.batch_size
    )
    first = trainer.order(tf.constant(1, tf.int64)).numpy()
    second = trainer.order(tf.constant(2, tf.int64)).numpy()
    again = trainer.order(tf.constant(1, tf.int64)).numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, second)
    # A permutation: every example once.
    np.testing.assert_array_equal(
        np.sort(first), np.arange(len(small_data.train_x))
    )
    # Batch i is rows i*size to (i+1)*size of that order, with their own labels.
    size = QUICK.batch_size
    x, y = trainer.batch(tf.constant(first), 2)
    rows = first[2 * size : 3 * size]
    np.testing.assert_array_equal(x.numpy(), small_data.train_x[rows])
    np.testing.assert_array_equal(
        y.numpy(), np.argmax(small_data.train_y[rows], axis=1)
    )


def test_flop_count_of_the_course_network():
    forward, backward = matmul_flops(512, [784, 256, 10])
    assert forward == 2 * 512 * (784 * 256 + 256 * 10)
    assert backward == 2 * 512 * (
        784 * 256 + 2 * 256 * 10
    )  # no gradient for the data


def test_the_probe_chooses_bfloat16_only_where_it_is_clearly_faster():
    # Fake measurements: the decision and its line follow from the numbers alone.
    dtype, line = fast.choose_compute_dtype(
        {"float32": 0.013, "bfloat16": 0.0169}, "no bfloat16 instructions"
    )
    assert dtype == "float32"
    assert (
        line
        == "matrix products in float32: bfloat16 measured 1.3x slower here (no bfloat16 instructions)"
    )
    dtype, line = fast.choose_compute_dtype(
        {"float32": 0.010, "bfloat16": 0.005}, "the CPU has AVX512-BF16"
    )
    assert (dtype, line) == (
        "bfloat16",
        "matrix products in bfloat16: measured 2.0x faster than float32 here "
        "(the CPU has AVX512-BF16)",
    )
    # Ahead, but not by enough to pay for the lost digits.
    dtype, line = fast.choose_compute_dtype(
        {"float32": 0.0104, "bfloat16": 0.010}, "on the GPU"
    )
    assert dtype == "float32" and "only 1.04x faster" in line
    assert fast.BFLOAT16_MUST_BE_FASTER_BY > 1


def test_the_probe_times_the_epochs_own_step_in_both_types():
    seconds = fast.time_one_step(64, (784, 32, 10), repeats=1)
    assert sorted(seconds) == ["bfloat16", "float32"] and all(
        0 < s < 10 for s in seconds.values()
    )
    assert (
        fast.time_one_step(64, (784, 32, 10), repeats=1) is seconds
    )  # measured once a process
    assert fast.bfloat16_hardware() in (
        "on the GPU",
        "the CPU has AMX-BF16",
        "the CPU has AVX512-BF16",
        "the CPU has AVX-NE-CONVERT",
        "the CPU has Arm's BF16",
        fast.NO_BFLOAT16,
        "CPU flags unknown",
    )


@pytest.mark.parametrize(
    "cpuinfo, words",
    [
        (
            "processor\t: 0\nflags\t\t: fpu avx2 fma avx512f avx512_bf16\n",
            "the CPU has AVX512-BF16",
        ),
        (
            "processor\t: 0\nflags\t\t: fpu avx2 fma amx_tile amx_bf16 avx512_bf16\n",
            "the CPU has AMX-BF16",
        ),
        (
            "processor\t: 0\nflags\t\t: fpu avx2 fma avx_ne_convert\n",
            "the CPU has AVX-NE-CONVERT",
        ),
        (
            "processor\t: 0\nFeatures\t: fp asimd sve bf16 i8mm\n",
            "the CPU has Arm's BF16",
        ),
        (
            "processor\t: 0\nflags\t\t: fpu avx2 fma avx512f avx512_vnni\n",
            "no bfloat16 instructions",
        ),
        ("processor\t: 0\nFeatures\t: fp asimd\n", "no bfloat16 instructions"),
        (
            "processor\t: 0\nmodel name\t: a CPU that lists no flags\n",
            "CPU flags unknown",
        ),
        (None, "CPU flags unknown"),  # no such file: not Linux
    ],
)
def test_the_cpus_flags_name_its_bfloat16_instructions(
    tmp_path, monkeypatch, cpuinfo, words
):
    monkeypatch.setattr(
        tf.config, "list_physical_devices", lambda kind: []
    )  # as on a CPU-only machine
    path = tmp_path / "cpuinfo"
    if cpuinfo is not None:
        path.write_text(cpuinfo)
    assert fast.bfloat16_hardware(path) == words


def test_without_bfloat16_instructions_float32_is_chosen_without_measuring(
    monkeypatch,
):
    monkeypatch.setattr(fast, "bfloat16_hardware", lambda: fast.NO_BFLOAT16)
    monkeypatch.setattr(fast, "time_one_step", None)  # calling it would fail
    assert fast.decide_compute_dtype(256, (784, 256, 10)) == (
        "float32",
        (
            "matrix products in float32: no bfloat16 instructions, so bfloat16 would be converted to "
            "float32 to be multiplied (not measured)"
        ),
    )
    # With the instructions, or flags unknown, or a GPU, the clock decides.
    for hardware in (
        "the CPU has AVX512-BF16",
        "CPU flags unknown",
        "on the GPU",
    ):
        monkeypatch.setattr(
            fast, "bfloat16_hardware", lambda hardware=hardware: hardware
        )
        monkeypatch.setattr(
            fast,
            "time_one_step",
            lambda batch, sizes: {"float32": 2.0, "bfloat16": 1.0},
        )
        assert fast.decide_compute_dtype(256, (784, 256, 10)) == (
            "bfloat16",
            f"matrix products in bfloat16: measured 2.0x faster than float32 here ({hardware})",
        )


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_auto_trains_with_the_probes_choice_and_says_why(
    small_data, monkeypatch, dtype
):
    measured = {
        "float32": 1.0,
        "bfloat16": 0.5 if dtype == "bfloat16" else 2.0,
    }
    monkeypatch.setattr(
        fast, "bfloat16_hardware", lambda: "the CPU has AVX512-BF16"
    )
    monkeypatch.setattr(fast, "time_one_step", lambda batch, sizes: measured)
    chosen = []
    real_init = FastTrainer.__init__

    def remember(self, *args):
        real_init(self, *args)
        chosen.append(self.config.compute_dtype)

    monkeypatch.setattr(FastTrainer, "__init__", remember)
    lines = []
    assert FAST.compute_dtype == "auto"
    train_fast(replace(QUICK, epochs=1, seed=0), small_data, log=lines.append)
    assert chosen == [dtype]
    assert lines[0].startswith(f"matrix products in {dtype}: ")
    # A configuration can still force one; then nothing is measured.
    monkeypatch.setattr(fast, "time_one_step", None)
    lines.clear()
    train_fast(
        replace(QUICK, epochs=1, seed=0, compute_dtype="float32"),
        small_data,
        log=lines.append,
    )
    assert (
        chosen[-1] == "float32"
        and lines[0] == "matrix products in float32, as configured"
    )


def test_mistakes_are_reported_plainly(small_data):
    with pytest.raises(
        ValueError,
        match="unknown compute_dtype 'float16'; choose auto, float32 or bfloat16",
    ):
        train_fast(
            replace(QUICK, compute_dtype="float16"), small_data, log=quiet
        )
    with pytest.raises(
        ValueError, match="larger than the 3000 training examples"
    ):
        FastTrainer(
            replace(QUICK, batch_size=4096),
            small_data.train_x,
            small_data.train_y,
            log=quiet,
        )
    with pytest.raises(TrainingDiverged, match="lower the learning rate"):
        train_fast(
            replace(QUICK, epochs=1, learning_rate=1e30, seed=0),
            small_data,
            log=quiet,
        )


def test_speed_quiz_the_gradient_of_the_data():
    text = quiz("speed", "how much does skipping the data's gradient save")
    answer = int(
        re.search(r"\*\*Answer: ([\d,]+) FLOPs\.\*\*", text)
        .group(1)
        .replace(",", "")
    )
    forward, backward = matmul_flops(FAST.batch_size, [784, 256, 10])
    assert answer == 2 * FAST.batch_size * 256 * 784
    assert f"{(forward + backward) / 1e6:.1f} MFLOP" in text
    assert (
        0.45 < answer / (forward + backward) < 0.5
    )  # "almost half as much again"


def test_speed_quiz_calls_from_python():
    text = " ".join(quiz("speed", "how many calls from Python").split())
    calls = int(
        re.search(r"\*\*Answer: (\d+) calls, against 1\.\*\*", text).group(1)
    )
    rows = np.zeros((55000, 1), dtype=np.float32)
    sizes = [len(x) for x, _ in batches(128, rows, rows, shuffle=False)]
    assert calls == len(sizes)
    assert (
        f"{len(sizes) - 1} full batches and one of {sizes[-1]} examples"
        in text
    )
    assert (
        f"the {55000 // FAST.batch_size} steps of batch {FAST.batch_size}"
        in text
    )


def test_speed_page_states_the_fixed_schedule():
    text = " ".join(page("speed").split())
    assert (
        f"first {FAST.warmup_fraction:.0%} of the steps".replace("%", " %")
        in text
    )
    right = 1 - FAST.label_smoothing + FAST.label_smoothing / 10
    assert (
        f"right digit becomes {right:.3g} and for each other digit {FAST.label_smoothing / 10:.3g}"
        in text
    )
    number_words = ["zero", "one", "two", "three", "four", "five", "six"]
    assert f"budget of {number_words[FAST.epochs]} epochs" in text
    assert (
        f"{FAST.batch_size} examples a step means half the steps" in text
        and FAST.batch_size == 2 * 128
    )
    assert (
        f"the batch stops at {FAST.batch_size}. The benchmark runs the fixed schedule at "
        f"{2 * FAST.batch_size} too, for {number_words[FAST.epochs]} epochs and for "
        f"{number_words[FAST.epochs + 1]}"
    ) in text
    assert (
        f"{number_words[FAST.epochs].capitalize()} epochs of {2 * FAST.batch_size} end below "
        f"{number_words[FAST.epochs]} epochs of {FAST.batch_size} on every seed"
    ) in text
    steps = FAST.epochs * (55000 // FAST.batch_size)
    assert (
        f"$\\beta_2 = {FAST.adam_beta2:g}$ it spans about {1 / (1 - FAST.adam_beta2):.0f} steps"
        in text
    )
    keras_beta2 = 0.999  # Keras' default, which the paragraph compares with
    assert keras_beta2 == tf.keras.optimizers.Adam().beta_2
    assert (
        f"$\\beta_2 = {keras_beta2}$, remembers about {1 / (1 - keras_beta2):,.0f} steps"
        in text
    )
    assert (
        f"more than the {steps} of the whole run" in text
        and f"a run of only {steps} steps"
        in " ".join(
            (ROOT / "snippets" / "config.py")
            .read_text()
            .replace("#", " ")
            .split()
        )
    )
    assert (
        f"The recipe: batch {FAST.batch_size}," in text
        and f"a batch of {FAST.batch_size} through" in text
    )
    readme = " ".join((ROOT / "benchmarks" / "README.md").read_text().split())
    assert (
        f"{FAST.epochs} epochs, batch {FAST.batch_size}, Adam rising to {FAST.learning_rate:g} over the first "
        f"{FAST.warmup_fraction:.0%} of the steps".replace("%", " %")
    ) in readme
    assert (
        f"Adam's beta2 {FAST.adam_beta2:g}, label smoothing {FAST.label_smoothing:g})"
        in readme
    )
    assert (
        FAST.compute_dtype == "auto"
        and FAST.fused_adam
        and FAST.whole_epoch
        and not FAST.jit_compile
    )
    first_layer_bytes = MLP().weights["hidden_1"].numpy().nbytes
    copy_bytes = (
        55000 * 784 * np.dtype(np.float32).itemsize
    )  # the training set in float32
    assert (
        f"write a {copy_bytes / 1e6:.0f} MB copy of them every epoch" in text
    )
    assert f"that is {round(first_layer_bytes / 1000, -2):.0f} KB" in text


from benchmarks import baseline, bench, levers, peak, process, promote
from benchmarks import parts as bench_parts
from benchmarks import results as schema

# The committed runs, one per CPU generation ({generation: Results}), as the page reads them.
COMMITTED = schema.committed()

# The seeds a full run uses, as the results file keys them (strings), read from the
# benchmark itself: ours runs five, the Keras baselines three.
OUR_SEEDS = [str(seed) for seed in levers.OUR_SEEDS]
KERAS_SEEDS = [str(seed) for seed in bench.KERAS_SEEDS]


def run_bench(warm_python, *args, timeout=300):
    """`python benchmarks/bench.py ARGS` from the shell (its thread probes start the real Python)."""
    return warm_python.run(
        [ROOT / "benchmarks" / "bench.py", *args], cwd=ROOT, timeout=timeout
    )


def close(a, b, rel=2e-3):
    """Equal up to the 4 significant digits the results are rounded to."""
    return math.isclose(a, b, rel_tol=rel)


def test_the_page_readme_and_notebook_name_the_seeds_bench_runs():
    words = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
    ]
    ours, keras = levers.OUR_SEEDS, bench.KERAS_SEEDS
    assert ours == tuple(range(len(ours))) and keras == (0, 1, 2)
    five, ours_range = words[len(ours)], f"0 to {ours[-1]}"
    text = " ".join(page("speed").split())
    assert (
        f"Keras runs with seeds 0, 1 and 2; ours, whose runs are many times shorter, with {five} seeds, "
        f"{ours_range}." in text
    )
    assert f"every one of the {five} must end at 98.0 % or better" in text
    assert (
        f"Our {five} seeds are single points" in text
        and f"for each of its {five} seeds" in text
    )
    readme = " ".join((ROOT / "benchmarks" / "README.md").read_text().split())
    assert (
        f"for {five} seeds, {ours_range} (`OUR_SEEDS` in `levers.py`" in readme
    )
    assert f"our {five} seeds, all of which must reach 98.0 %" in readme
    notebook = (ROOT / "docs" / "notebooks" / "speed.py").read_text()
    notebook = " ".join(line.lstrip("# ") for line in notebook.splitlines())
    assert (
        f"Ours ran its fixed schedule with {five} seeds, {ours_range}"
        in notebook
    )
    assert f"the slowest of the {five} is ours" in notebook
    assert f"for {five} seeds, {ours_range} (``OUR_SEEDS``)" in " ".join(
        bench.__doc__.split()
    )


def check_consistent(results):
    """What must hold in any results, real or tiny (a schema.Results: every field is there
    and of its type, or loading it failed)."""
    r = results
    target = r.target_accuracy
    # The headline pair: our slowest seed against Keras' fastest.
    # A quick run checks the machinery with one seed of each.
    seeds = OUR_SEEDS[:1] if r.quick else OUR_SEEDS
    keras_seeds = KERAS_SEEDS[:1] if r.quick else KERAS_SEEDS
    by_seed = r.ours_seconds_by_seed
    for field in (
        r.ours_seconds_by_seed,
        r.ours_test_accuracy_by_seed,
        r.ours_valid_accuracy_by_seed,
        r.ours_epoch_seconds_by_seed,
    ):
        assert list(field) == seeds  # every seed, in the order they ran
    assert all(r.ours_test_accuracy_by_seed[seed] >= target for seed in seeds)
    assert all(
        len(epochs) == r.ours_config.epochs
        for epochs in r.ours_epoch_seconds_by_seed.values()
    )
    assert r.ours_seconds_to_98 == max(by_seed.values())
    assert r.ours_epochs_to_98 == r.ours_config.epochs
    assert list(r.baseline_by_seed) == keras_seeds
    keras = {
        seed: run
        for seed, run in r.baseline_by_seed.items()
        if run.seconds_to_target is not None
    }
    assert r.baseline_seconds_to_98 == min(
        run.seconds_to_target for run in keras.values()
    )
    fastest = r.baseline_by_seed[str(r.baseline_seed)]
    assert fastest.seconds_to_target == r.baseline_seconds_to_98
    assert fastest.epochs_to_target == r.baseline_epochs_to_98
    accuracies = [epoch.test_accuracy for epoch in fastest.history]
    assert accuracies[r.baseline_epochs_to_98 - 1] >= target
    assert all(
        accuracy < target
        for accuracy in accuracies[: r.baseline_epochs_to_98 - 1]
    )
    assert close(
        r.ratio_vs_keras, r.ours_seconds_to_98 / r.baseline_seconds_to_98
    )
    assert r.matmul_peak_gflops == max(
        r.matmul_gflops_by_size["float32"].values()
    )
    assert r.bf16_matmul_peak_gflops == max(
        r.matmul_gflops_by_size["bfloat16"].values()
    )
    assert close(
        r.fraction_of_matmul_peak, r.ours_gflops / r.matmul_peak_gflops
    )
    assert close(
        r.fraction_of_bf16_matmul_peak,
        r.ours_gflops / r.bf16_matmul_peak_gflops,
    )
    assert close(
        r.ours_gflops,
        r.flops.per_epoch / r.ours_median_seconds_per_epoch / 1e9,
    )
    assert close(
        r.arithmetic_limit_seconds_per_epoch["float32"],
        r.flops.per_epoch / r.matmul_peak_gflops / 1e9,
    )
    config = r.ours_config
    forward, backward = matmul_flops(
        config.batch_size, [784, *config.hidden, 10]
    )
    assert (
        r.flops.per_epoch
        == r.flops.examples_per_epoch
        // config.batch_size
        * (forward + backward)
    )
    recipe = r.keras_same_recipe_by_seed
    assert list(recipe) == keras_seeds
    assert all(len(run.history) == config.epochs for run in recipe.values())
    reached = [
        run.seconds_to_target
        for run in recipe.values()
        if run.seconds_to_target is not None
    ]
    assert r.keras_same_recipe_seconds_to_98 == (
        min(reached) if reached else None
    )
    if r.keras_same_recipe_seconds_to_98:
        assert close(
            r.ratio_vs_keras_same_recipe,
            r.ours_seconds_to_98 / r.keras_same_recipe_seconds_to_98,
        )
    assert close(
        r.ratio_vs_keras_same_recipe_per_epoch,
        r.ours_seconds_per_epoch / r.keras_same_recipe_seconds_per_epoch,
    )
    assert close(
        r.ratio_vs_keras_per_epoch,
        r.ours_seconds_per_epoch / r.keras_seconds_per_epoch,
    )
    # per compiled epoch: the best epoch after the first, over all seeds
    ours_epochs = [
        seconds
        for run in r.ours_epoch_seconds_by_seed.values()
        for seconds in run[1:] or run
    ]
    assert r.ours_seconds_per_epoch == min(ours_epochs)
    assert close(
        r.ours_median_seconds_per_epoch, float(np.median(ours_epochs))
    )
    for per_epoch, runs in (
        (r.keras_seconds_per_epoch, r.baseline_by_seed),
        (r.keras_same_recipe_seconds_per_epoch, recipe),
    ):
        compiled = [
            seconds
            for run in runs.values()
            for seconds in baseline.compiled_epochs(run.history)
        ]
        assert close(per_epoch, min(compiled))
    # The whole process, start-up included: measured in a full run only.
    whole = r.whole_process
    if r.quick:
        assert whole is None
    else:
        assert whole.keras_script == (
            f"python benchmarks/plain_keras.py --seed {r.baseline_seed} "
            f"--epochs {r.baseline_epochs_to_98}"
        )
        assert whole.ours == "python -m snippets train --fast"
        assert close(
            whole.ratio, whole.ours_seconds / whole.keras_script_seconds
        )
        assert (
            0
            < whole.import_tensorflow_seconds
            < whole.ours_seconds
            < whole.keras_script_seconds
        )
        if whole.ours_schedule_seconds is not None:  # timed part by part
            # each part is a part of ours, and they leave a rest over
            assert 0 < whole.tensorflow_start_up_seconds < whole.ours_seconds
            assert 0 < whole.ours_schedule_seconds < whole.ours_seconds
            assert whole.rest_of_ours() > 0
    probe = r.compute_dtype_probe
    if (
        r.machine.bfloat16_hardware == fast.NO_BFLOAT16
    ):  # decided by the CPU's flags
        assert probe.chosen == "float32" and "not measured" in probe.reason
    assert sorted(probe.step_seconds) == ["bfloat16", "float32"]
    assert probe.bfloat16_must_be_faster_by == fast.BFLOAT16_MUST_BE_FASTER_BY
    assert (
        r.keras_same_recipe_policy
        == {"float32": "float32", "bfloat16": "mixed_bfloat16"}[probe.chosen]
    )
    assert r.best_matmul_peak_gflops == max(
        r.matmul_peak_gflops, r.bf16_matmul_peak_gflops
    )
    assert close(
        r.fraction_of_best_matmul_peak,
        r.ours_gflops / r.best_matmul_peak_gflops,
    )
    assert r.best_matmul_gflops_at_epoch_shapes == max(
        r.matmul_gflops_at_epoch_shapes.values()
    )
    assert close(
        r.fraction_of_matmul_peak_at_epoch_shapes,
        r.ours_gflops / r.best_matmul_gflops_at_epoch_shapes,
    )
    assert [tuple(p) for p in r.epoch_shapes] == peak.step_products(
        config.batch_size, [784, *config.hidden, 10]
    )
    # The lever table: references first, then each lever, kept exactly where it helped in this run.
    names = [row.name for row in r.levers]
    assert names[:2] == ["Keras model.fit (baseline)", "the chapter's trainer"]
    assert names[2:] == [name for name, _, _, _ in levers.LEVERS]
    for row in r.levers:
        assert row.seconds_per_epoch > 0 and row.compile_seconds >= 0
    # The noise behind "kept" is the spread of our seeds after the first (which also pays the
    # process's start-up), at least LEAST_NOISE; and each lever is judged with that noise.
    assert r.lever_noise_seeds == seeds[1:]
    assert r.lever_noise >= levers.LEAST_NOISE
    # The race's clock is building plus the schedule; the noise is the schedules' spread.
    building = r.ours_building_seconds_by_seed
    assert list(building) == seeds and all(
        seconds >= 0 for seconds in building.values()
    )
    for seed in seeds:
        assert (
            by_seed[seed]
            >= building[seed] + sum(r.ours_epoch_seconds_by_seed[seed]) - 1e-3
        )
    assert close(
        r.lever_noise,
        levers.lever_noise([by_seed[seed] - building[seed] for seed in seeds]),
    )
    check_kept(r.levers[2:], r.lever_noise)
    check_judged_over_seeds(r)
    assert [row.intra_op_threads for row in r.threads] == (
        [1] if r.quick else [1, 2]
    )
    assert (
        r.machine.logical_cpus >= 1 and r.machine.tensorflow and r.machine.cpu
    )


def check_judged_over_seeds(results):
    """A lever judged by accuracy, and the row it changed, ran every seed of the lever table;
    its verdict is what they show. The larger batch ran the same seeds, for FAST's epochs
    and one more."""
    seeds = len(OUR_SEEDS[:2] if results.quick else OUR_SEEDS)
    rows = results.levers[2:]
    judged = 0
    for index, row in enumerate(rows):
        if row.judged_by != "accuracy":
            assert row.accuracy_verdict is None, row.name
            continue
        judged += 1
        before = next(r for r in reversed(rows[:index]) if r.kept is not False)
        for measured in (row, before):
            assert len(measured.valid_accuracy_by_seed) == seeds, measured.name
            assert (
                measured.valid_accuracy_by_seed[0] == measured.valid_accuracy
            )
        assert row.accuracy_verdict == levers.accuracy_verdict(row, before), (
            row.name
        )
    assert judged == sum(
        judged_by == "accuracy" for *_, judged_by in levers.LEVERS
    )
    runs, config = results.larger_batch.runs, results.ours_config
    batch, epochs = config.batch_size, config.epochs
    assert [(run.batch_size, run.epochs) for run in runs] == [
        (batch, epochs),
        (2 * batch, epochs),
        (2 * batch, epochs + 1),
    ]
    for run in runs:
        assert (
            len(run.valid_accuracy_by_seed)
            == len(run.seconds_by_seed)
            == seeds
        )
        assert all(
            0 < value <= 1 for value in run.valid_accuracy_by_seed.values()
        )
        assert all(value > 0 for value in run.seconds_by_seed.values())


def check_kept(rows, noise):
    """Each lever is kept exactly when its row beat the last kept row, as ``helped`` measures."""
    assert rows[0].kept is None  # the starting point
    before = rows[0]
    for row in rows[1:]:
        assert row.kept == levers.helped(row, before, row.judged_by, noise), (
            row.name
        )
        if row.kept:
            before = row


def test_a_committed_run_for_at_least_one_generation_each_in_its_own_file():
    assert COMMITTED, "no committed speed run in benchmarks/speed/"
    assert sorted(
        path.stem for path in schema.COMMITTED.glob("*.json")
    ) == sorted(COMMITTED)
    for generation, results in COMMITTED.items():
        assert generation in schema.GENERATIONS
        assert results.generation == results.machine.generation == generation
        # the file says where its numbers came from where not all from its machine
        assert results.provenance
        if results.levers_rejudged:
            other = results.levers_rejudged.machine
            assert (
                other.generation in results.provenance
                and other.cpu_family_and_model in results.provenance
            )


@pytest.mark.parametrize("generation", list(COMMITTED))
def test_results_file_is_complete_and_consistent(generation):
    results = COMMITTED[generation]
    check_consistent(results)
    assert results.quick is False
    assert results.target_accuracy == 0.98
    # It was produced by today's fixed schedule on all 55,000 training images.
    assert results.ours_config == FAST
    assert results.flops.per_epoch == peak.training_flops_per_epoch(
        FAST, 55000
    )
    # What the page says of XLA: its rows run an epoch faster than the row they change, and
    # compile for longer.
    rows = results.levers
    for index, row in enumerate(rows):
        if "XLA" in row.name:
            before = next(
                r for r in reversed(rows[1:index]) if r.kept is not False
            )
            assert row.seconds_per_epoch < before.seconds_per_epoch
            assert row.compile_seconds > before.compile_seconds


# The schema: written and read by the same code, strict on the way in --------------------


def test_the_schema_reads_back_what_it_writes(tmp_path):
    for results in COMMITTED.values():
        path = tmp_path / "again.json"
        schema.save(results, path)
        assert schema.load(path) == results
        assert path.read_text() == schema.to_json(results) + "\n"
        assert (
            json.loads(path.read_text())["levers"][2]["name"]
            == results.levers[2].name
        )


def test_the_schema_refuses_a_file_that_does_not_fit(tmp_path):
    text = (schema.COMMITTED / f"{next(iter(COMMITTED))}.json").read_text()
    good = json.loads(text)
    cases = [
        (dict(good, ours_gflops_typo=1.0), "unknown field 'ours_gflops_typo'"),
        (
            {k: v for k, v in good.items() if k != "levers"},
            "no field 'levers'",
        ),
        (dict(good, ratio_vs_keras="fast"), "ratio_vs_keras: expected float"),
        (dict(good, baseline_seed=True), "baseline_seed: expected int"),
        (
            dict(good, levers=[{**good["levers"][0], "kept": "yes"}]),
            "levers[0].kept: expected bool",
        ),
    ]
    for value, message in cases:
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(value))
        with pytest.raises(schema.SchemaError) as error:
            schema.load(path)
        assert message in str(error.value) and str(path) in str(error.value)
    path.write_text("{not json")
    with pytest.raises(schema.SchemaError, match="not JSON"):
        schema.load(path)


@pytest.mark.parametrize(
    "flags, generation",
    [
        (
            "fpu sse2 avx avx2 fma avx512f avx512bw avx512_bf16 amx_tile",
            "avx512-bf16",
        ),  # AMD EPYC 25/17
        (
            "fpu sse2 avx avx2 fma avx512f avx512bw avx512_vnni",
            "avx512",
        ),  # Intel Xeon 6/207
        ("fpu sse2 avx avx2 fma", "avx2"),  # AMD EPYC 25/1
        ("fp asimd", "other"),
    ],
)
def test_a_cpu_is_classed_by_its_flags(flags, generation, tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        f"processor\t: 0\nmodel name\t: a CPU\nflags\t\t: {flags}\n\nprocessor\t: 1\n"
    )
    assert schema.cpu_generation(schema.this_cpus_flags(cpuinfo)) == generation
    assert schema.this_cpus_flags(tmp_path / "absent") == []


# A fresh measurement waits in benchmarks/new/ until it is promoted ----------------------


def test_a_fresh_run_is_written_where_the_pages_do_not_read():
    assert (
        schema.measured_path("avx2").parent.parent
        == schema.MEASURED
        != schema.COMMITTED
    )
    assert ".cache" not in schema.MEASURED.parts  # `make clean` keeps it
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "benchmarks/new/" in ignored
    # every measurement script that takes --output writes under new/ unless told
    # (bench.py's default is schema.measured_path, checked above)
    scripts = [
        path
        for path in sorted((ROOT / "benchmarks").glob("*.py"))
        if '"--output"' in path.read_text() and path.name != "bench.py"
    ]
    assert len(scripts) >= 6, scripts
    for path in scripts:
        assert '/ "new" /' in path.read_text(), path.name
    makefile = (ROOT / "Makefile").read_text()
    assert (
        "promote: install\n\t$(BIN)/python benchmarks/promote.py --all\n"
        in makefile
    )


def test_make_bench_writes_beside_the_committed_runs_never_over_them(tmp_path):
    full, quick = (
        bench.build_parser().parse_args([]),
        bench.build_parser().parse_args(["--quick"]),
    )
    assert (
        bench.output_of(full, "avx512")
        == schema.MEASURED / "speed" / "avx512.json"
    )
    assert (
        bench.output_of(quick, "avx512") is None
    )  # a smoke run writes nothing unless asked
    asked = bench.build_parser().parse_args(
        ["--output", str(tmp_path / "r.json")]
    )
    assert bench.output_of(asked, "avx2") == tmp_path / "r.json"
    assert (
        "$(BIN)/python benchmarks/bench.py\n"
        in (ROOT / "Makefile").read_text()
    )  # make bench: the default


def speed_run(generation, quick=False):
    """A committed run relabelled as a fresh run of ``generation``, as JSON text."""
    results = next(iter(COMMITTED.values()))
    results = replace(
        results,
        generation=generation,
        quick=quick,
        machine=replace(results.machine, generation=generation),
    )
    return schema.to_json(results)


def test_promote_moves_a_run_to_its_generations_file_and_leaves_the_others(
    tmp_path,
):
    new, committed = tmp_path / "new", tmp_path / "benchmarks"
    (new / "speed").mkdir(parents=True)
    (committed / "speed").mkdir(parents=True)
    (committed / "speed" / "avx2.json").write_text(speed_run("avx2"))
    (new / "speed" / "avx512.json").write_text(speed_run("avx512"))
    (new / "course_accuracy.json").write_text('{"seeds": [0, 1, 2]}')
    assert promote.waiting(new) == [
        "course_accuracy.json",
        "speed/avx512.json",
    ]
    target = promote.promote("speed/avx512.json", new, committed)
    assert (
        target == committed / "speed" / "avx512.json"
        and not (new / "speed" / "avx512.json").exists()
    )
    assert list(schema.committed(committed / "speed")) == [
        "avx512",
        "avx2",
    ]  # both shown
    assert (
        schema.committed(committed / "speed")["avx2"].generation == "avx2"
    )  # untouched
    promote.promote("course_accuracy.json", new, committed)
    assert json.loads((committed / "course_accuracy.json").read_text()) == {
        "seeds": [0, 1, 2]
    }
    assert promote.waiting(new) == []
    advice = promote.refresh_advice(
        ["speed/avx512.json", "course_accuracy.json"]
    )
    assert "docs/speed.md" in advice and "refreshed" in advice
    assert "docs/mlp.md" in advice and "tests/test_code_blocks.py" in advice


def test_promote_refuses_a_quick_run_a_misnamed_one_and_a_missing_one(
    tmp_path,
):
    new, committed = tmp_path / "new", tmp_path / "benchmarks"
    (new / "speed").mkdir(parents=True)
    (new / "speed" / "avx2.json").write_text(speed_run("avx2", quick=True))
    (new / "speed" / "avx512.json").write_text(speed_run("avx2"))
    (new / "distributed.json").write_text("{half")
    for name, message in (
        ("speed/avx2.json", "quick run"),
        ("speed/avx512.json", "generation avx2"),
        ("distributed.json", "not JSON"),
        ("speed/other.json", "no measurement"),
    ):
        with pytest.raises(ValueError, match=message):
            promote.promote(name, new, committed)
    assert not committed.exists()  # nothing was moved


def test_promote_refreshes_the_checked_outputs_that_print_the_committed_runs(
    tmp_path,
):
    page_text = """Text.

```python
from benchmarks.results import committed

print(list(committed()))
```

<!--pytest-codeblocks:expected-output-->
```text
['an old generation']
```

```python
print("not about the results")
```

<!--pytest-codeblocks:expected-output-->
```text
left alone
```
"""
    path = tmp_path / "page.md"
    path.write_text(page_text)
    assert promote.refresh_page(path) == 1
    assert path.read_text() == page_text.replace(
        "['an old generation']", str(list(COMMITTED))
    )
    # the speed page's own blocks print what they print now: refreshing changes nothing
    speed = tmp_path / "speed.md"
    speed.write_text(page("speed"))
    assert promote.refresh_page(speed) == 9 and speed.read_text() == page(
        "speed"
    )


def test_promote_from_the_shell_lists_and_says_no_in_one_line(warm_python):
    finished = warm_python.run(
        [ROOT / "benchmarks" / "promote.py", "speed/none.json"],
        cwd=ROOT,
        timeout=60,
    )
    assert finished.returncode == 1 and finished.stderr.startswith(
        "promote.py: error: no measurement"
    )
    assert (
        one_line_error(finished.stderr) and "Traceback" not in finished.stderr
    )


def test_the_levers_try_every_switch_of_the_fast_configuration():
    # All levers but XLA (which FAST leaves out) lead from the starting point to FAST with
    # bfloat16 products: the table measures each setting the fast trainer has.
    config = replace(FAST, **levers.LEVERS[0][2])
    for name, _, changes, judged_by in levers.LEVERS[1:]:
        assert judged_by in ("time", "accuracy")
        if "XLA" not in name:
            config = replace(config, **changes)
    assert config == replace(FAST, compute_dtype="bfloat16")


def seeds_of(
    *accuracies, total_seconds=3.0, name="", kept=None, judged_by=None
):
    """A lever row measured on five seeds (the first is its own run)."""
    return SimpleNamespace(
        valid_accuracy=accuracies[0],
        valid_accuracy_by_seed=list(accuracies),
        total_seconds=total_seconds,
        name=name,
        kept=kept,
        judged_by=judged_by,
    )


def test_a_lever_is_kept_only_where_it_helped():
    helped = levers.helped
    before = seeds_of(0.980, 0.982, 0.978, 0.981, 0.979)
    assert helped(seeds_of(0.97, total_seconds=2.5), before, "time", 0.05)
    assert not helped(
        seeds_of(0.99, total_seconds=2.9), before, "time", 0.05
    )  # within noise
    assert not helped(
        seeds_of(0.98, total_seconds=3.8), before, "time", 0.05
    )  # slower
    # By accuracy, over the seeds: clearly higher is kept, even at some cost in time ...
    higher = (0.985, 0.986, 0.984, 0.985, 0.987)
    assert levers.accuracy_verdict(seeds_of(*higher), before) == "higher"
    assert helped(
        seeds_of(*higher, total_seconds=3.2), before, "accuracy", 0.05
    )
    # ... clearly lower is not, however fast ...
    lower = (0.975, 0.974, 0.976, 0.975, 0.973)
    assert levers.accuracy_verdict(seeds_of(*lower), before) == "lower"
    assert not helped(
        seeds_of(*lower, total_seconds=2.0), before, "accuracy", 0.05
    )
    # ... and one run that rose by half a point is not enough: inside the seeds' noise the
    # lever is kept only if it costs no time.
    same = (0.985, 0.977, 0.982, 0.979, 0.980)
    assert same[0] > before.valid_accuracy + 0.004
    assert (
        levers.accuracy_verdict(seeds_of(*same), before)
        == "no difference detected"
    )
    assert helped(
        seeds_of(*same, total_seconds=3.1), before, "accuracy", 0.05
    )  # within the time noise
    assert not helped(
        seeds_of(*same, total_seconds=3.3), before, "accuracy", 0.05
    )  # slower
    # The table follows: a slower bfloat16 row is "no", and the next row is compared with the last kept one.
    rows = [
        seeds_of(0.98, name="start"),
        seeds_of(
            0.98,
            name="bfloat16",
            kept=False,
            judged_by="time",
            total_seconds=3.8,
        ),
        seeds_of(
            0.98, name="XLA", kept=True, judged_by="time", total_seconds=2.0
        ),
    ]
    check_kept(rows, 0.05)
    with pytest.raises(AssertionError):
        check_kept([rows[0], replace_namespace(rows[1], kept=True)], 0.05)


def replace_namespace(row, **changes):
    return SimpleNamespace(**{**vars(row), **changes})


def test_the_noise_is_the_spread_of_the_seeds_after_the_first():
    lever_noise = levers.lever_noise
    # Whole runs as the run measured them: seed 0 paid the process's start-up.
    seconds = [5.6625, 4.372, 4.218, 4.30, 4.25]
    assert lever_noise(seconds) == pytest.approx((4.372 - 4.218) / 4.218)
    # However slow the first seed, the noise stays; a slower seed after it widens it.
    assert lever_noise([50.0, *seconds[1:]]) == lever_noise(seconds)
    assert lever_noise([*seconds[:4], 5.0]) == pytest.approx(
        (5.0 - 4.218) / 4.218
    )
    assert lever_noise([4.0, 4.6, 4.0]) == pytest.approx(
        0.15
    )  # the first can be the fastest too
    # Never below the floor: identical runs after the first, one of them, or none (a quick run).
    for runs in ([9.0, 4.0, 4.0, 4.0], [9.0, 4.0], [9.0]):
        assert lever_noise(runs) == levers.LEAST_NOISE
    # Fused Adam's row in that run shortened the whole run from 8.66 s to 6.64 s: kept with
    # this noise, turned down by the old one, which counted the first seed.
    whole_epoch, fused = (
        SimpleNamespace(total_seconds=8.6634),
        SimpleNamespace(total_seconds=6.6354),
    )
    assert levers.helped(fused, whole_epoch, "time", lever_noise(seconds))
    assert not levers.helped(
        fused,
        whole_epoch,
        "time",
        (max(seconds) - min(seconds)) / min(seconds),
    )


def test_pieces():
    assert peak.matmul_gflops(64, repeats=2) > 0
    best, by_size = peak.matmul_peak(tf.float32, ((32, 2), (64, 2)))
    assert (
        sorted(by_size) == ["32", "64"] and best == max(by_size.values()) > 0
    )
    assert baseline.epoch_times([3.0, 1.2, 1.0, 1.1]) == {
        "seconds_per_epoch": 1.0,
        "compile_seconds": 2.0,
    }
    assert baseline.epoch_times([0.5]) == {
        "seconds_per_epoch": 0.5,
        "compile_seconds": 0.0,
    }
    assert schema.rounded({"a": [0.123456, 12.345678], "b": 7}) == {
        "a": [0.1235, 12.3457],
        "b": 7,
    }
    assert peak.training_flops_per_epoch(
        replace(FAST, batch_size=100), 1050
    ) == 10 * sum(matmul_flops(100, [784, 256, 10]))
    # The step's products at their exact shapes: the same FLOPs as matmul_flops counts.
    products = peak.step_products(512, [784, 256, 10])
    assert products[0] == (
        512,
        784,
        256,
        False,
        False,
    )  # the 512x784 batch by the 784x256 weights
    assert sum(2 * m * k * n for m, k, n, _, _ in products) == sum(
        matmul_flops(512, [784, 256, 10])
    )
    assert peak.matmul_gflops_at_shapes(32, [64, 16, 10], repeats=2) > 0


def test_each_phase_of_the_benchmark_is_a_module_that_reads_top_to_bottom():
    for path in (ROOT / "benchmarks").glob("*.py"):
        assert len(path.read_text().splitlines()) <= 320, path.name


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, warm_python):
    output = tmp_path_factory.mktemp("bench") / "results.json"
    finished = run_bench(warm_python, "--quick", "--output", str(output))
    assert finished.returncode == 0, finished.stderr
    return finished, output


def test_a_tiny_run_prints_a_table_and_writes_the_same_json(tiny_run):
    finished, output = tiny_run
    last = schema.from_json(finished.stdout.strip().splitlines()[-1])
    assert last == schema.load(output)
    assert last.quick is True
    assert (
        last.generation
        == schema.cpu_generation(schema.this_cpus_flags())
        == last.machine.generation
    )
    check_consistent(last)
    assert "lever" in finished.stdout and "s/epoch" in finished.stdout
    assert (
        "Keras with our recipe" in finished.stdout
        and "ratio_vs_keras_same_recipe" in finished.stdout
    )
    assert f"probe: {last.compute_dtype_probe.reason}" in finished.stdout
    # The footer names the levers judged by accuracy, as the lever list has them.
    by_accuracy = [
        name
        for name, _, _, judged_by in levers.LEVERS
        if judged_by == "accuracy"
    ]
    assert (
        len(by_accuracy) >= 2
        and f"for a lever judged by accuracy ({', '.join(by_accuracy)})"
        in finished.stdout
    )
    # The parts of a step from a profiled epoch, in both types of products.
    parts = last.step_parts
    assert parts.batch_size == last.ours_config.batch_size
    # a quick run's slice of 2,048 digits
    assert parts.steps_per_epoch == 2048 // parts.batch_size
    assert list(parts.milliseconds) == ["float32", "bfloat16"]
    names = [part for part, _ in bench_parts.PARTS]
    for timed in parts.milliseconds.values():
        assert list(timed) == [*names, bench_parts.OTHER, bench_parts.WALL]
        assert all(ms >= 0 for ms in timed.values())
        assert timed["matrix products"] > 0 and timed["Adam's update"] > 0
    # bfloat16 products cast their inputs from the float32 weights and data
    assert parts.milliseconds["bfloat16"]["casts between types"] > 0
    assert "part of a step (ms)" in finished.stdout
    # Nothing the site reads was touched.
    assert schema.committed() == COMMITTED


def test_each_kernel_of_a_step_belongs_to_one_part():
    assert [
        bench_parts.part_of(op_type)
        for op_type in (
            "_MklNativeFusedMatMul",
            "ResourceApplyAdam",
            "GatherV2",
            "SoftmaxCrossEntropyWithLogits",
            "SelectV2",
            "Cast",
            "TopKV2",
            "NoOp",
        )
    ] == [
        "matrix products",
        "Adam's update",
        "gather the batch",
        "softmax and loss",
        "element-wise and sums",
        "casts between types",
        "the epoch's shuffle",
        "other kernels",
    ]


def test_the_plain_keras_script_trains_and_prints_its_accuracy(warm_python):
    finished = warm_python.run(
        [
            ROOT / "benchmarks" / "plain_keras.py",
            "--limit",
            "2000",
            "--epochs",
            "1",
        ],
        cwd=ROOT,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr
    assert (
        0.5
        < json.loads(finished.stdout.strip().splitlines()[-1])["test_accuracy"]
        < 0.98
    )


def test_aligned_training_images_become_a_tensor_without_a_copy():
    from snippets.data import aligned_empty, scale_and_flatten

    images = np.arange(3 * 28 * 28, dtype=np.uint8).reshape(3, 28, 28)
    rows = scale_and_flatten(images)  # what load_dataset gives the trainer
    shared = fast.shared_tensor(rows)
    np.testing.assert_array_equal(shared.numpy(), rows)
    rows[0, 0] = 7.0  # the tensor is the array's memory, not a copy of it
    assert shared[0, 0].numpy() == 7.0
    # Else a copy: memory off the alignment, another type, a read-only array
    unaligned = aligned_empty(rows.size + 1, np.float32)[1:].reshape(3, 784)
    unaligned[...] = rows
    read_only = rows.copy()
    read_only.flags.writeable = False
    for array in (unaligned, rows.astype(np.float64), read_only):
        copied = fast.shared_tensor(array)
        assert copied.dtype == tf.float32
        np.testing.assert_array_equal(copied.numpy(), array.astype(np.float32))
        if array.flags.writeable:
            array[0, 0] = -1.0
            assert copied[0, 0].numpy() == 7.0


def test_the_whole_process_keeps_the_median_run_with_its_own_line():
    runs = [
        (5.1, {"seconds": 1.3}),
        (4.2, {"seconds": 1.2}),
        (4.6, {"seconds": 1.25}),
    ]
    assert process.median_run(runs) == (4.6, {"seconds": 1.25})


def test_a_failed_timed_process_is_one_line():
    with pytest.raises(RuntimeError, match="failed:.*no such luck"):
        process.run_timed(
            [sys.executable, "-c", "import sys; sys.exit('no such luck')"]
        )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--epochs", "0"], "must be at least 1"),
        (["--target", "2"], "must be in (0, 1]"),
        (["--limit", "many"], "expected a whole number"),
        (["--frobnicate"], "unrecognized arguments"),
    ],
)
def test_bad_arguments_get_one_line(args, message, capsys):
    with pytest.raises(SystemExit) as exit:
        bench.main(args)
    assert exit.value.code == 2
    error = capsys.readouterr().err
    assert message in error and len(error.strip().splitlines()) == 1


def test_bad_arguments_from_the_shell_get_no_traceback(warm_python):
    finished = run_bench(warm_python, "--epochs", "0", timeout=120)
    assert finished.returncode == 2
    assert (
        finished.stderr.strip()
        == "bench.py: error: argument --epochs: must be at least 1, got 0 (see --help)"
    )


# Figures ------------------------------------------------------------------------------------

from figures import speed as speed_figures
from helpers import check_figures


def test_figures_are_on_the_page_with_alt_text_and_captions():
    check_figures("speed", speed_figures)


def test_race_figure_shows_the_committed_runs_and_ours_wins(drawn):
    data = drawn("speed-race")
    assert list(data) == list(COMMITTED)  # a panel for each generation
    for generation, results in COMMITTED.items():
        panel = data[generation]
        target = panel["target"]
        assert (
            list(panel["keras"])
            == list(results.baseline_by_seed)
            == KERAS_SEEDS
        )
        assert (
            list(panel["ours"])
            == list(results.ours_seconds_by_seed)
            == OUR_SEEDS
        )  # a point for each seed
        assert all(
            accuracy >= target for _, accuracy in panel["ours"].values()
        )
        assert panel["ours_seconds"] == max(
            seconds for seconds, _ in panel["ours"].values()
        )
        # The fastest Keras seed crosses the target at the time the dotted line marks.
        fastest = [
            seconds[next(i for i, a in enumerate(accuracy) if a >= target)]
            for seconds, accuracy in panel["keras"].values()
            if max(accuracy) >= target
        ]
        assert min(fastest) == pytest.approx(
            panel["baseline_seconds"], rel=0.2
        )
        assert panel["ours_seconds"] < panel["baseline_seconds"]


def test_levers_figure_rows_are_the_benchmark_levers_above_the_floor(drawn):
    data = drawn("speed-levers")
    assert list(data) == list(COMMITTED)
    for generation, results in COMMITTED.items():
        panel = data[generation]
        assert [row["name"] for row in panel["rows"]] == [
            row.name for row in results.levers
        ]
        assert [row["kept"] for row in panel["rows"]] == [
            row.kept for row in results.levers
        ]
        # the hatched rows, as the caption says: measured and left out
        assert any(row["kept"] is False for row in panel["rows"])
        floor = min(panel["floor"].values())
        assert all(row["seconds_per_epoch"] > floor for row in panel["rows"])


def test_exercises_pass_with_the_worked_solutions_and_give_hints_on_the_starter():
    from helpers import check_exercises

    check_exercises("speed")


# Levers judged by accuracy, and the larger batch: what the page says, held to the file ----------

from helpers import Claim, one_line_error
from snippets.uncertainty import seed_spread, separated

# The run the page's prose describes: the committed run whose levers were judged again.
DESCRIBED = "avx2"


def committed():
    return COMMITTED[DESCRIBED]


def lever_and_before(name, results=None):
    """The lever row called ``name`` and the last kept row before it, which it changed,
    in ``results`` (the described run unless given)."""
    rows = (results or committed()).levers
    index = next(i for i, row in enumerate(rows) if row.name == name)
    before = next(
        row for row in reversed(rows[2:index]) if row.kept is not False
    )
    return rows[index], before


def accuracy_levers():
    return [
        name
        for name, _, _, judged_by in levers.LEVERS
        if judged_by == "accuracy"
    ]


def spreads(name, results=None):
    row, before = lever_and_before(name, results)
    return seed_spread(row.valid_accuracy_by_seed), seed_spread(
        before.valid_accuracy_by_seed
    )


def larger_batch_runs():
    """{(batch, epochs): run} of the larger-batch comparison."""
    return {
        (run.batch_size, run.epochs): run
        for run in committed().larger_batch.runs
    }


def each_accuracy_lever_raised_the_accuracy_and_cost_no_time():
    # It follows a block that prints every committed generation: it holds for each.
    for results in COMMITTED.values():
        noise = results.lever_noise
        for name in accuracy_levers():
            row, before = lever_and_before(name, results)
            new, old = spreads(name, results)
            where = (results.generation, name)
            assert len(row.valid_accuracy_by_seed) == len(levers.OUR_SEEDS), (
                where
            )
            assert separated(new, old) and new.mean > old.mean, where
            assert row.accuracy_verdict == "higher" and row.kept is True, where
            assert row.total_seconds <= (1 + noise) * before.total_seconds, (
                where
            )


def one_run_could_not_have_shown_it():
    gains = [
        new.mean - old.mean for new, old in map(spreads, accuracy_levers())
    ]
    for name in accuracy_levers():
        for spread in spreads(name):
            assert spread.high - spread.low > min(gains), name


def the_seeds_were_run_again_on_another_machine():
    results = committed()
    rejudged = results.levers_rejudged
    assert (
        rejudged.machine.cpu_family_and_model
        != results.machine.cpu_family_and_model
    )
    assert rejudged.machine.load_average_at_start


def fewer_epochs_of_the_larger_batch_end_lower_on_every_seed():
    runs = larger_batch_runs()
    ours = runs[(FAST.batch_size, FAST.epochs)].valid_accuracy_by_seed
    larger = runs[(2 * FAST.batch_size, FAST.epochs)].valid_accuracy_by_seed
    assert list(ours) == list(larger) == OUR_SEEDS
    assert max(larger.values()) < min(
        ours.values()
    )  # "the two ranges do not even overlap"
    assert all(larger[seed] < ours[seed] for seed in OUR_SEEDS)


def one_more_epoch_of_the_larger_batch_is_not_told_apart_and_times_wander():
    runs = larger_batch_runs()
    ours, more = (
        runs[(FAST.batch_size, FAST.epochs)],
        runs[(2 * FAST.batch_size, FAST.epochs + 1)],
    )
    accuracy = [
        seed_spread(list(run.valid_accuracy_by_seed.values()))
        for run in (ours, more)
    ]
    assert not separated(*accuracy)  # "no difference is detected at this size"
    # "half again as much arithmetic": the same FLOPs an epoch, one epoch more
    assert (FAST.epochs + 1) / FAST.epochs == 1.5
    assert peak.training_flops_per_epoch(
        replace(FAST, batch_size=2 * FAST.batch_size), 55000
    ) == peak.training_flops_per_epoch(FAST, 55000)
    # "many times more work than it has CPUs", and runs that "wandered by more than the difference"
    machine = committed().levers_rejudged.machine
    assert machine.load_average_at_start[0] > 3 * machine.logical_cpus
    medians = [
        statistics.median(run.seconds_by_seed.values()) for run in (ours, more)
    ]
    for run in (ours, more):
        seconds = run.seconds_by_seed.values()
        assert max(seconds) - min(seconds) > abs(medians[1] - medians[0])


import statistics

CLAIMS = [
    Claim(
        "Each of the two raised the validation accuracy by more than two standard errors over the "
        "seeds, so each is kept on its accuracy, and neither lengthened the run.",
        each_accuracy_lever_raised_the_accuracy_and_cost_no_time,
    ),
    Claim(
        "A single run could not have shown it: the lowest and highest seed of one row lie further "
        "apart than the smallest gain.",
        one_run_could_not_have_shown_it,
    ),
    Claim(
        "The seeds after the first were run for this judgement after the timed run, on another "
        "machine",
        the_seeds_were_run_again_on_another_machine,
    ),
    Claim(
        "Two epochs of 512 end below two epochs of 256 on every seed: the two ranges do not even "
        "overlap.",
        fewer_epochs_of_the_larger_batch_end_lower_on_every_seed,
    ),
    Claim(
        "Three epochs of 512 make that up, and against two epochs of 256 no difference is detected "
        "at this size",
        one_more_epoch_of_the_larger_batch_is_not_told_apart_and_times_wander,
    ),
    Claim(
        "the machine that measured them was running many times more work than it has CPUs, and its "
        "runs wandered by more than the difference.",
        one_more_epoch_of_the_larger_batch_is_not_told_apart_and_times_wander,
    ),
]


def test_the_claims_of_the_page_hold():
    from helpers import check_claims

    check_claims("speed", CLAIMS)


def test_the_page_shows_the_rule_that_judges_the_levers():
    text = page("speed")
    assert '--8<-- "benchmarks/levers.py:helped"' in text
    source = (ROOT / "benchmarks" / "levers.py").read_text()
    shown = source.split("# --8<-- [start:helped]", 1)[1].split(
        "# --8<-- [end:helped]", 1
    )[0]
    assert "def helped(" in shown and "def accuracy_verdict(" in shown
    assert all(len(line) <= 79 for line in shown.splitlines())
    # The page no longer says the levers judged by accuracy "generalize better" from one run.
    assert "generalize better" not in text


def test_a_lever_judged_by_accuracy_is_judged_again_without_timing(
    tiny_run, tmp_path, warm_python
):
    """--rejudge measures the seeds after the first for the levers judged by accuracy, keeps
    every timing of the file, and agrees with the run that made it."""
    _, output = tiny_run
    made = json.loads(output.read_text())
    stripped = json.loads(output.read_text())
    for row in stripped["levers"]:
        row["valid_accuracy_by_seed"] = row["accuracy_verdict"] = None
    earlier = tmp_path / "earlier.json"
    earlier.write_text(json.dumps(stripped))
    again = tmp_path / "again.json"
    finished = run_bench(
        warm_python,
        "--quick",
        "--rejudge",
        str(earlier),
        "--output",
        str(again),
    )
    assert finished.returncode == 0, finished.stderr
    rejudged = schema.load(again)
    check_consistent(rejudged)
    assert [row.total_seconds for row in rejudged.levers] == [
        row["total_seconds"] for row in made["levers"]
    ]
    assert [row.accuracy_verdict for row in rejudged.levers] == [
        row["accuracy_verdict"] for row in made["levers"]
    ]
    assert (
        rejudged.levers_rejudged.machine.cpu and rejudged.levers_rejudged.date
    )
    # A verdict that would change what was kept needs a full run: one line, nothing written.
    flipped = json.loads(earlier.read_text())
    for row in flipped["levers"]:
        if row["judged_by"] == "accuracy":
            row["kept"] = (
                not bool(row["kept"]) if row["kept"] is not None else False
            )
            break
    earlier.write_text(json.dumps(flipped))
    refused = run_bench(
        warm_python,
        "--quick",
        "--rejudge",
        str(earlier),
        "--output",
        str(tmp_path / "no.json"),
    )
    assert refused.returncode == 1 and not (tmp_path / "no.json").exists()
    assert "need a full run (make bench)" in refused.stderr and one_line_error(
        refused.stderr
    )


def test_what_the_page_says_of_the_step_profile_holds_for_the_committed_runs():
    from benchmarks.results import WALL
    from snippets.fast import NO_BFLOAT16

    profiled = {g: r for g, r in COMMITTED.items() if r.step_parts}
    assert profiled, "the page's step-parts figure needs a committed profile"
    for generation, results in profiled.items():
        by_type = results.step_parts.milliseconds
        # "The products are the largest part"
        for dtype, milliseconds in by_type.items():
            parts = {p: ms for p, ms in milliseconds.items() if p != WALL}
            assert max(parts, key=parts.get) == "matrix products", (
                generation,
                dtype,
            )
        # "on a CPU that has no bfloat16 instructions ... the products themselves
        # take longer there"
        if results.machine.bfloat16_hardware == NO_BFLOAT16:
            products = [ms["matrix products"] for ms in by_type.values()]
            assert list(by_type) == ["float32", "bfloat16"]
            assert products[1] > products[0], generation
    text = " ".join(page("speed").split())
    none_yet = "none of the committed runs is from such a CPU yet"
    assert (none_yet in text) == ("avx512-bf16" not in profiled)


def test_the_xla_probe_stores_its_compiled_epoch_in_the_cache_it_is_given(
    tmp_path,
):
    # A fresh interpreter, as the benchmark starts it: TensorFlow reads
    # TF_XLA_FLAGS once, and the warm Python's has been read already.
    flag = f"--tf_xla_persistent_cache_directory={tmp_path}"
    finished = run_snippets(
        "benchmarks.bench",
        "--probe-xla",
        "--limit",
        "512",
        "--validation-size",
        "256",
        "--epochs",
        "1",
        env={"TF_XLA_FLAGS": flag},
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr
    row = schema.build(
        schema.XlaCacheRow, json.loads(finished.stdout.splitlines()[-1])
    )
    assert row.epochs == 1 and row.valid_accuracy > 0.5
    # the compiled epoch, which a second process would load instead
    cached = [path.name for path in tmp_path.iterdir()]
    assert cached and all(name.endswith("XLA_CPU_JIT.pb") for name in cached)


def test_what_the_page_says_of_the_xla_cache_holds_for_the_committed_runs():
    tried = {g: r for g, r in COMMITTED.items() if r.xla_cache}
    assert tried, "the page shows a committed run of the XLA cache"
    for generation, results in tried.items():
        cold, warm = results.xla_cache
        assert (cold.cache, warm.cache) == ("cold", "warm")
        # "A warm cache takes most of the compilation away"
        assert warm.compile_seconds < cold.compile_seconds / 2, generation
        # "and what is left is XLA's faster epoch": faster beyond the noise
        kept = [row for row in results.levers if row.kept][-1]
        beyond_noise = kept.seconds_per_epoch * (1 - results.lever_noise)
        assert warm.seconds_per_epoch < beyond_noise, generation
    # "So the fast trainer still leaves XLA off"
    assert FAST.jit_compile is False
