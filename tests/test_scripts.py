"""Every module also runs as a script and shows its idea: run each main() and check what it says."""

import importlib

import pytest

from conftest import run_snippets

EXPECTED = {
    "data": ["all four files match their SHA-256", "train label counts [5923, 6742"],
    "linear": ["(784 + 1) * 10 = 7850", "linear model on XOR-like data"],
    "relu": ["relu(x)         [0.  0.  0.  0.5 2. ]", "one hidden layer of 16 ReLUs"],
    "mlp": ["hidden_1_weights:0", "parameters: 203,530"],
    "backprop": ["vs tf.GradientTape", "vs finite differences"],
    "regularization": ["keep_prob 0.5: kept 0.500", "early stopping after epoch 5"],
    "train": ["test accuracy"],
    "checkpoint": ["identical logits: True", "is refused"],
    "finetune": ["restored: weights/hidden_1, biases/hidden_1", "after 2 epochs of finetuning"],
    "predict": ["scan.png     -> 7", "inverted"],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_module_main_runs_and_shows_its_idea(name, capsys):
    module = importlib.import_module(f"snippets.{name}")
    assert module.main() == 0
    out = capsys.readouterr().out
    for fragment in EXPECTED[name]:
        assert fragment in out


def test_a_module_runs_as_a_script():
    completed = run_snippets("snippets.regularization")
    assert completed.returncode == 0 and "keep_prob 0.8" in completed.stdout and completed.stderr == ""
