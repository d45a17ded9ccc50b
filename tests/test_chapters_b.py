"""Regularization, Dropout, Troubleshooting and the TF1-to-TF2 appendix: quizzes and claims.

The code blocks of these pages run in test_docs.py. This file computes the quiz answers
independently and checks that each page states them, and checks the claims the prose makes
that no single block on the page proves.
"""

import importlib
import importlib.metadata
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from snippets.regularization import EarlyStopping, l2_penalty
from snippets.train import TrainConfig, make_train_step, train

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = {"regularization.md": "regularization.py", "dropout.md": "dropout.py",
         "troubleshooting.md": "troubleshooting.py", "tf1-to-tf2.md": "tf1_to_tf2.py"}
v1 = tf.compat.v1


def page(name):
    return (DOCS / name).read_text(encoding="utf-8")


def quiz(name, title_part):
    """The text of the collapsible quiz whose title contains ``title_part``."""
    text = page(name)
    match = re.search(rf'^\?\?\? question "Quiz:[^"\n]*{re.escape(title_part)}[^"\n]*"\n((?:[ \t]*\n|    .*\n)+)',
                      text, re.MULTILINE)
    assert match, f"{name}: no collapsible quiz mentioning {title_part!r}"
    return match.group(1)


# Quizzes ---------------------------------------------------------------------------------


def test_l2_quiz_the_derivative_of_half_the_squared_norm_is_w():
    w = tf.Variable([3.0, -2.0, 0.5])
    with tf.GradientTape() as tape:
        half_squared_norm = 0.5 * tf.reduce_sum(w**2)
    gradient = tape.gradient(half_squared_norm, w).numpy()
    assert np.array_equal(gradient, w.numpy())
    # The same through the project's penalty: the gradient of l2 * ||w||^2 / 2 is l2 * w.
    with tf.GradientTape() as tape:
        penalty = l2_penalty([w], l2=0.1)
    assert np.allclose(tape.gradient(penalty, w).numpy(), 0.1 * w.numpy())
    answer = quiz("regularization.md", r"\frac{1}{2}\lVert w \rVert^2")
    assert "**Answer: $w$ itself.**" in answer
    assert "$\\lambda w$" in answer
    assert str(gradient.tolist()) in answer  # the printed check shows the computed gradient


def test_dropout_quiz_keep_prob_half_in_training_one_at_test():
    from snippets.compat_v1 import build_network

    images = np.random.default_rng(1).uniform(size=(6, 784)).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default():
        net = build_network()
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            full = sess.run(net.hidden, {net.features: images, net.keep_prob: 1.0})
            assert np.array_equal(full, sess.run(net.hidden, {net.features: images}))  # 1.0: every unit, unscaled
            half = sess.run(net.hidden, {net.features: images, net.keep_prob: 0.5})
    kept = half != 0
    assert np.allclose(half[kept], full[kept] / 0.5, rtol=1e-5)  # training: survivors scaled by 1/0.5
    answer = quiz("dropout.md", "during training")
    assert "**Answer: 0.5 during training, 1.0 at test time.**" in answer
    assert "$1/1.0 = 1$" in answer


def test_rate_quiz_keep_prob_point_eight_is_rate_point_two_and_scale_one_point_two_five():
    keep_prob = 0.8
    rate, scale = 1 - keep_prob, 1 / keep_prob
    values = sorted(set(tf.nn.dropout(tf.ones([200, 200]), rate=rate, seed=2).numpy().ravel().tolist()))
    assert values == pytest.approx([0.0, scale])
    answer = quiz("dropout.md", "which `rate`")
    assert f"`rate={rate:.1f}`" in answer and f"$1/{keep_prob} = {scale:g}$" in answer


# Claims of the Regularization page --------------------------------------------------------


def test_early_stopping_replayed_on_a_full_history_is_what_train_does(small_data):
    """The notebook replays EarlyStopping on an uninterrupted run; train() must agree."""
    full_config = TrainConfig(epochs=8, patience=8, learning_rate=3e-3)
    full = train(full_config, data=small_data, log=lambda message: None)
    stopper = EarlyStopping(patience=2)
    for row in full.history:
        stopper.update(row["valid_accuracy"], row["epoch"])
        if stopper.should_stop:
            break
    stop_epoch = row["epoch"]
    stopped = train(replace(full_config, patience=2), data=small_data, log=lambda message: None)

    def without_time(history):
        return [{key: value for key, value in entry.items() if key != "seconds"} for entry in history]

    assert without_time(stopped.history) == without_time(full.history[:stop_epoch])
    assert stopped.best_epoch == stopper.best_epoch


def test_l2_is_weight_decay_on_weights_only_with_plain_gradient_descent():
    """One SGD step with the penalty = the step without it, then W shrinks by lr * l2 * W; biases untouched."""
    from snippets.mlp import MLP

    rng = np.random.default_rng(0)
    x = rng.uniform(size=(16, 784)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 16)]
    learning_rate, l2 = 0.1, 0.5
    after = {}
    for strength in (0.0, l2):
        model = MLP(hidden=(32,), seed=4)
        model.biases["hidden_1"].assign(tf.fill([32], 0.1))
        before = {v.name: v.numpy() for v in model.trainable_variables}
        step = make_train_step(model, tf.keras.optimizers.SGD(learning_rate), strength)
        step(x, y, tf.constant([0, 0], tf.int64))
        after[strength] = {v.name: v.numpy() for v in model.trainable_variables}
    for name, value in before.items():
        decay = learning_rate * l2 * value if "weights" in name else 0.0
        assert np.allclose(after[l2][name], after[0.0][name] - decay, atol=1e-6), name


# Claims of the Dropout page ---------------------------------------------------------------


def test_the_second_positional_argument_of_dropout_changed_meaning():
    ones = tf.ones([200, 200])
    graph = tf.Graph()
    with graph.as_default():
        tf1_dropped = v1.nn.dropout(tf.ones([200, 200]), 0.8, seed=1)  # TF1: keep_prob
        with v1.Session(graph=graph) as sess:
            tf1_kept = float(np.mean(sess.run(tf1_dropped) > 0))
    tf2_kept = float(np.mean(tf.nn.dropout(ones, 0.8, seed=1).numpy() > 0))  # TF2: rate
    assert abs(tf1_kept - 0.8) < 0.02 and abs(tf2_kept - 0.2) < 0.02


def test_dropout_variance_grows_as_keep_prob_shrinks():
    from snippets.regularization import dropout

    h = 3.0
    for keep_prob in (0.8, 0.5, 0.2):
        samples = dropout(tf.fill([1000, 1000], h), keep_prob, seed=[5, 6]).numpy()
        assert abs(samples.mean() - h) < 0.02 * h
        assert samples.var() == pytest.approx(h**2 * (1 - keep_prob) / keep_prob, rel=0.02)


# The TF1-to-TF2 appendix ------------------------------------------------------------------


def tab_sets(text):
    """The labels of each run of consecutive content tabs, in page order."""
    sets, current = [], []
    for line in text.splitlines():
        if match := re.match(r'^=== "(.*)"', line):
            current.append(match.group(1))
        elif line and not line.startswith((" ", "\t")) and current:
            sets.append(current)
            current = []
    return sets + ([current] if current else [])


@pytest.mark.parametrize("name, expected_sets", [("tf1-to-tf2.md", 4), ("dropout.md", 2)])
def test_content_tabs_pair_tf2_with_compat_v1_under_linked_labels(name, expected_sets):
    sets = tab_sets(page(name))
    assert len(sets) == expected_sets
    assert all(labels == ["TF2", "tf.compat.v1"] for labels in sets), sets


def test_every_compat_tab_of_the_appendix_runs_compat_v1_code():
    blocks = re.split(r'^=== "', page("tf1-to-tf2.md"), flags=re.MULTILINE)[1:]
    compat = [block for block in blocks if block.startswith('tf.compat.v1"')]
    tf2 = [block for block in blocks if block.startswith('TF2"')]
    assert len(compat) == len(tf2) == 4
    for block in compat:
        assert "tf.compat.v1" in block or "snippets.compat_v1" in block or "snippets/compat_v1.py" in block
        assert "    ```python\n" in block
    for block in tf2:
        assert "    ```python\n" in block and "compat" not in block


def resolve(root, dotted):
    value = root
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def test_rename_table_names_only_apis_that_exist():
    table = [line for line in page("tf1-to-tf2.md").splitlines() if line.startswith("| `")]
    assert len(table) >= 8
    checked = 0
    for row in table:
        old, new = [cell.strip() for cell in row.strip("|").split("|")]
        for name in re.findall(r"`(tf\.[\w.]+)", old):
            resolve(v1, name.removeprefix("tf."))  # every course name still exists in tf.compat.v1
            checked += 1
        for name in re.findall(r"`(tf\.[\w.]+)", new):
            resolve(tf, name.removeprefix("tf."))  # every replacement exists in TF2
            checked += 1
    assert checked >= 15
    with pytest.raises(ImportError):
        importlib.import_module("tensorflow.examples.tutorials.mnist")
    scripts = {entry.name for entry in importlib.metadata.entry_points(group="console_scripts")}
    assert "tf_upgrade_v2" in scripts


# Every page and its notebook ----------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_page_links_its_companion_notebook(name):
    notebook = PAGES[name]
    assert f"(notebooks/{notebook})" in page(name)
    source = (DOCS / "notebooks" / notebook).read_text(encoding="utf-8")
    code_cells = [cell.strip() for cell in source.split("# %%")[1:] if not cell.startswith(" [markdown]")]
    assert code_cells[0].startswith("import snippets"), f"{notebook}: the first code cell must import snippets first"
    for target in re.findall(r"\]\(\.\./\.\./([\w-]+)/\)", source):
        assert (DOCS / f"{target}.md").is_file(), f"{notebook} links to a missing page {target}"


@pytest.mark.parametrize("name", PAGES)
def test_quizzes_and_checks_are_never_hidden_from_the_tests(name):
    """pytest-codeblocks needs the output marker right after a block; no typed run results."""
    text = page(name)
    assert "<!--pytest.mark" not in text and "skip" not in re.findall(r"<!--pytest-codeblocks:(\w+)", text)
    # A run-dependent accuracy or loss typed into prose would look like 0.9xyz; only the
    # course's own historical figures may appear. Code and checked outputs are not prose.
    prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    prose = re.sub(r"`[^`\n]*`", "", prose)
    typed = set(re.findall(r"(?<![\w.])0\.\d{4}\b", prose)) - {"0.1084", "0.7229"}
    assert not typed, f"{name}: numbers {sorted(typed)} look like run results typed by hand"
