"""docs/tf1-to-tf2.md and snippets/compat_v1.py: the course's TensorFlow 1 code, fixed."""

import importlib
import importlib.metadata
import re

import numpy as np
import pytest
import tensorflow as tf

from figures import tf1_to_tf2 as tf1_to_tf2_figures
from helpers import ROOT, check_figures, page, tab_sets
from snippets import compat_v1

v1 = tf.compat.v1


@pytest.fixture(autouse=True)
def eager_before_and_after():
    """Every test starts eager and must leave the process eager: TF1 code stays in its graphs."""
    assert tf.executing_eagerly()
    yield
    assert tf.executing_eagerly()
    assert float(tf.constant(2.0) * 3) == 6.0


def test_train_save_and_restore_into_a_rebuilt_graph(small_data, tmp_path):
    path = tmp_path / "model.ckpt"
    history = compat_v1.train_and_save(small_data, path, epochs=2)
    assert len(history) == 2 and history[-1] > 0.8
    assert (
        compat_v1.restore_and_evaluate(
            path, small_data.valid_x, small_data.valid_y
        )
        == history[-1]
    )
    saved = dict(tf.train.list_variables(str(path)))
    assert saved == {
        "hidden_1_weights": [784, 256],
        "hidden_1_bias": [256],
        "out_weights": [256, 10],
        "out_bias": [10],
    }


def test_same_seed_same_graph_results(small_data, tmp_path):
    first = compat_v1.train_and_save(
        small_data, tmp_path / "a.ckpt", epochs=1, seed=3
    )
    second = compat_v1.train_and_save(
        small_data, tmp_path / "b.ckpt", epochs=1, seed=3
    )
    assert first == second
    a = tf.train.load_checkpoint(str(tmp_path / "a.ckpt")).get_tensor(
        "out_weights"
    )
    b = tf.train.load_checkpoint(str(tmp_path / "b.ckpt")).get_tensor(
        "out_weights"
    )
    assert np.array_equal(a, b)


def test_keep_prob_defaults_to_one_and_dropout_scales_the_survivors():
    images = np.random.default_rng(0).uniform(size=(8, 784)).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default():
        net = compat_v1.build_network()
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            w1, b1, w2, b2 = sess.run(
                [
                    net.weights["hidden_1"],
                    net.biases["hidden_1"],
                    net.weights["out"],
                    net.biases["out"],
                ]
            )
            relu = np.maximum(images @ w1 + b1, 0)
            # Nothing fed for keep_prob: the whole network, deterministic and without scaling.
            plain = sess.run(net.logits, {net.features: images})
            assert np.array_equal(
                plain, sess.run(net.logits, {net.features: images})
            )
            assert np.allclose(plain, relu @ w2 + b2, rtol=1e-4, atol=1e-4)
            # keep_prob 0.5: survivors are doubled, and each run draws a new mask.
            dropped = sess.run(
                net.hidden, {net.features: images, net.keep_prob: 0.5}
            )
            kept = dropped != 0
            assert np.allclose(
                dropped[kept], 2 * relu[kept], rtol=1e-4, atol=1e-5
            )
            assert 0.4 < kept.sum() / (relu > 0).sum() < 0.6
            first = sess.run(
                net.logits, {net.features: images, net.keep_prob: 0.5}
            )
            assert not np.array_equal(
                first,
                sess.run(
                    net.logits, {net.features: images, net.keep_prob: 0.5}
                ),
            )


def test_automatic_names_fail_to_restore_with_tf1_variables(tmp_path):
    path = tmp_path / "auto.ckpt"
    assert compat_v1.save_weights_and_bias(path, use_resource=False) == (
        "Variable:0",
        "Variable_1:0",
    )
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match="Assign requires shapes of both tensors to match",
    ):
        compat_v1.restore_bias_then_weights(path, use_resource=False)


def test_automatic_names_swap_silently_with_resource_variables(tmp_path):
    path = tmp_path / "auto.ckpt"
    compat_v1.save_weights_and_bias(path, use_resource=True)
    saved = tf.train.load_checkpoint(str(path))
    weights, bias = compat_v1.restore_bias_then_weights(
        path, use_resource=True
    )
    # No error, and each variable now holds the other one's saved value.
    assert weights.shape == (3,) and bias.shape == (2, 3)
    assert np.array_equal(weights, saved.get_tensor("Variable_1"))
    assert np.array_equal(bias, saved.get_tensor("Variable"))


@pytest.mark.parametrize("use_resource", [False, True])
def test_explicit_names_restore_in_any_order(tmp_path, use_resource):
    path, names = tmp_path / "named.ckpt", ("weights_0", "bias_0")
    assert compat_v1.save_weights_and_bias(
        path, names=names, use_resource=use_resource
    ) == ("weights_0:0", "bias_0:0")
    saved = tf.train.load_checkpoint(str(path))
    weights, bias = compat_v1.restore_bias_then_weights(
        path, names=names, use_resource=use_resource
    )
    assert np.array_equal(
        weights, saved.get_tensor("weights_0")
    ) and weights.shape == (2, 3)
    assert np.array_equal(bias, saved.get_tensor("bias_0")) and bias.shape == (
        3,
    )


def test_course_accuracy_bug_prints_a_constant_while_the_mlp_learns(
    small_data,
):
    result = compat_v1.course_accuracy_bug(small_data, epochs=3)
    assert len(result["printed"]) == len(result["trained"]) == 3
    assert len(set(result["printed"])) == 1 and result["printed"][0] < 0.2
    assert result["trained"][-1] > 0.6 > result["printed"][0]


def test_script_rejects_arguments_with_one_line(capsys):
    assert compat_v1.main(["--epochs", "3"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert (
        captured.err.count("\n") == 1 and "takes no arguments" in captured.err
    )


def test_script_runs_the_whole_demo_as_a_tf1_program(warm_python):
    """In its own process, with TF2 behavior disabled for good, as a TF1 program would run."""
    result = warm_python.run(["-m", "snippets.compat_v1"], cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "eager execution: False" in out
    assert "restored into a rebuilt graph" in out and "the same: True" in out
    assert "Assign requires shapes of both tensors to match" in out
    assert (
        "with explicit names the same order restores: weights (2, 3), bias (3,)"
        in out
    )
    assert "Traceback" not in result.stderr


def resolve(root, dotted):
    value = root
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def test_every_compat_tab_of_the_appendix_runs_compat_v1_code():
    blocks = re.split(r'^=== "', page("tf1-to-tf2.md"), flags=re.MULTILINE)[1:]
    compat = [block for block in blocks if block.startswith('tf.compat.v1"')]
    tf2 = [block for block in blocks if block.startswith('TF2"')]
    assert len(compat) == len(tf2) == 4
    for block in compat:
        assert (
            "tf.compat.v1" in block
            or "snippets.compat_v1" in block
            or "snippets/compat_v1.py" in block
        )
        assert "    ```python\n" in block
    for block in tf2:
        assert "    ```python\n" in block and "compat" not in block


def test_rename_table_names_only_apis_that_exist():
    table = [
        line
        for line in page("tf1-to-tf2.md").splitlines()
        if line.startswith("| `")
    ]
    assert len(table) >= 8
    checked = 0
    for row in table:
        old, new = [cell.strip() for cell in row.strip("|").split("|")]
        for name in re.findall(r"`(tf\.[\w.]+)", old):
            resolve(
                v1, name.removeprefix("tf.")
            )  # every course name still exists in tf.compat.v1
            checked += 1
        for name in re.findall(r"`(tf\.[\w.]+)", new):
            resolve(
                tf, name.removeprefix("tf.")
            )  # every replacement exists in TF2
            checked += 1
    assert checked >= 15
    with pytest.raises(ImportError):
        importlib.import_module("tensorflow.examples.tutorials.mnist")
    scripts = {
        entry.name
        for entry in importlib.metadata.entry_points(group="console_scripts")
    }
    assert "tf_upgrade_v2" in scripts


def test_content_tabs_pair_tf2_with_compat_v1_under_linked_labels():
    sets = tab_sets(page("tf1-to-tf2"))
    assert len(sets) == 4
    assert all(labels == ["TF2", "tf.compat.v1"] for labels in sets), sets


# Figures ------------------------------------------------------------------------------------


def test_figures_are_on_the_page_with_alt_text_and_captions():
    figures = check_figures("tf1-to-tf2", tf1_to_tf2_figures)
    _, caption = figures["tf1-to-tf2-graph-and-eager"]
    assert (
        "`Session.run`" in caption
        and "`snippets.compat_v1.build_network`" in caption
    )
    _, caption = figures["tf1-to-tf2-restore-matching"]
    assert "(`Variable`, `Variable_1`)" in caption


def test_graph_lines_give_symbolic_tensors_and_eager_lines_give_values(drawn):
    data = drawn("tf1-to-tf2-graph-and-eager")
    assert data["eager_inside_graph"] is False
    names = [name for name, _, _ in data["symbolic"]]
    assert names[0] == "features:0" and names[1].startswith("dropout/")
    assert [shape for _, shape, _ in data["symbolic"]] == [
        "(None, 784)",
        "(None, 256)",
        "(None, 10)",
    ]
    assert {kind for _, _, kind in data["symbolic"]} == {"SymbolicTensor"}
    # "loss and optimizer included": the graph holds the training op's many nodes
    assert data["operations"] > 100 > data["traced_operations"] > 3
    batch = tf1_to_tf2_figures.BATCH
    assert data["session_logits"].shape == (batch, 10) and np.all(
        np.isfinite(data["session_logits"])
    )
    assert [shape for _, shape, _, _ in data["eager"]] == [
        (batch, 784),
        (batch, 256),
        (batch, 10),
    ]
    assert {kind for _, _, kind, _ in data["eager"]} == {"EagerTensor"}
    np.testing.assert_allclose(
        data["hidden"], data["hidden_check"], rtol=1e-5, atol=1e-5
    )
    assert data["eager"][2][3] == data["eager_logits"][0, :2].tolist()
    # "the two networks draw their random weights differently"
    assert not np.allclose(
        data["session_logits"], data["eager_logits"], atol=1e-3
    )


def test_restore_matching_shows_the_real_keys_and_outcomes(drawn):
    data = drawn("tf1-to-tf2-restore-matching")
    assert data["saver_saved"] == [
        ("weights", "Variable", [2, 3]),
        ("bias", "Variable_1", [3]),
    ]
    assert data["saver_wanted"] == [
        ("bias", "Variable", [3]),
        ("weights", "Variable_1", [2, 3]),
    ]
    assert data["saver_restored"] is False
    key = "layer/{}/.ATTRIBUTES/VARIABLE_VALUE"
    assert data["checkpoint_saved"] == [
        ("weights", key.format("weights"), [2, 3]),
        ("bias", key.format("bias"), [3]),
    ]
    assert data["checkpoint_wanted"] == [
        ("bias", key.format("bias"), [3]),
        ("weights", key.format("weights"), [2, 3]),
    ]
    assert data["checkpoint_restored"]["weights"].tolist() == [[1.0] * 3] * 2
    assert data["checkpoint_restored"]["bias"].tolist() == [2.0] * 3


def test_exercises_pass_with_the_worked_solutions_and_give_hints_on_the_starter():
    from helpers import check_exercises

    check_exercises("tf1-to-tf2")
