import json
import shutil

import numpy as np
import pytest
from PIL import Image

from conftest import run_snippets
from snippets import cli
from snippets.data import MNIST_FILES, default_cache_dir, load_mnist


@pytest.mark.parametrize("argv, fragment", [
    (["train", "--epochs", "0"], "--epochs: must be at least 1, got 0"),
    (["train", "--epochs", "-3"], "--epochs: must be at least 1, got -3"),
    (["train", "--batch-size", "0"], "--batch-size: must be at least 1"),
    (["train", "--learning-rate", "0"], "--learning-rate: must be a positive number"),
    (["train", "--learning-rate", "-0.1"], "--learning-rate: must be a positive number"),
    (["train", "--learning-rate", "nan"], "--learning-rate: must be a positive number"),
    (["train", "--keep-prob", "0"], "--keep-prob: must be in (0, 1]"),
    (["train", "--keep-prob", "1.5"], "--keep-prob: must be in (0, 1]"),
    (["train", "--l2", "-1"], "--l2: must be zero or positive"),
    (["train", "--preset", "fastest"], "--preset: invalid choice: 'fastest'"),
    (["train", "--hidden", "256", "x"], "--hidden: expected a whole number, got 'x'"),
    (["train", "--optimizer", "rmsprop"], "--optimizer: invalid choice"),
    (["predict"], "the following arguments are required: IMAGE"),
    (["finetune"], "the following arguments are required: --from"),
    (["fly"], "invalid choice: 'fly'"),
    (["train", "--fast", "--epochs", "3"], "--fast uses a fixed schedule and takes only --seed and --checkpoint-dir, not --epochs"),
    (["train", "--fast", "--preset", "best", "--hidden", "64"], "not --preset, --hidden"),
])
def test_usage_errors_are_one_line_with_exit_status_2(capsys, argv, fragment):
    with pytest.raises(SystemExit) as caught:
        cli.main(argv)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1 and "Traceback" not in err


def test_help_lists_every_command_and_flag(capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["train", "--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    for flag in ["--hidden", "--epochs", "--batch-size", "--learning-rate", "--optimizer", "--keep-prob", "--l2",
                 "--seed", "--checkpoint-dir", "--limit", "--preset"]:
        assert flag in out


def test_preset_values_yield_to_explicit_flags():
    args = cli.build_parser().parse_args(["train", "--preset", "best", "--epochs", "3"])
    config = cli.config_from_args(args)
    assert config.epochs == 3 and config.hidden == (1024, 1024) and config.keep_prob < 1
    sgd = cli.config_from_args(cli.build_parser().parse_args(["train", "--optimizer", "sgd"]))
    assert sgd.learning_rate == 0.1  # the optimizer's own default, not Adam's


@pytest.fixture(scope="module")
def trained_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    completed = run_snippets("snippets", "train", "--limit", "3000", "--epochs", "2", "--checkpoint-dir", str(folder))
    assert completed.returncode == 0, completed.stderr
    return folder, completed


def test_train_prints_a_log_and_a_json_last_line(trained_dir):
    _, completed = trained_dir
    lines = completed.stdout.strip().splitlines()
    assert lines[0].startswith("training 784-256-10 with adam")
    result = json.loads(lines[-1])
    assert {"test_accuracy", "test_loss", "epochs", "seconds"} <= set(result)
    assert result["epochs"] == 2 and 0.85 < result["test_accuracy"] <= 1.0
    assert completed.stderr == ""


def test_evaluate_reports_the_saved_model(trained_dir):
    folder, completed = trained_dir
    evaluated = run_snippets("snippets", "evaluate", "--checkpoint-dir", str(folder))
    assert evaluated.returncode == 0
    result = json.loads(evaluated.stdout.strip().splitlines()[-1])
    assert result["test_accuracy"] == json.loads(completed.stdout.strip().splitlines()[-1])["test_accuracy"]
    assert result["epochs"] == 2


def test_predict_classifies_png_digits_and_explains_conversions(trained_dir, tmp_path):
    folder, _ = trained_dir
    _, (images, labels) = load_mnist()
    plain = tmp_path / "plain.png"
    Image.fromarray(images[0]).save(plain)
    colour = tmp_path / "colour.png"
    Image.fromarray(np.stack([255 - images[1]] * 3, axis=-1)).resize((84, 84)).save(colour)
    completed = run_snippets("snippets", "predict", "--checkpoint-dir", str(folder), str(plain), str(colour))
    assert completed.returncode == 0, completed.stderr
    out = completed.stdout.strip().splitlines()
    assert out[0].startswith(f"{plain}: {labels[0]} (probability ")
    assert out[1].startswith(f"{colour}: {labels[1]} (probability ")
    assert "converted RGB to grey" in completed.stderr and "resized from 84x84" in completed.stderr
    assert "inverted" in completed.stderr


@pytest.mark.parametrize("make_input, fragment", [
    (lambda d: d / "missing.png", "no such file"),
    (lambda d: (d / "text.png").write_text("not an image") and d / "text.png", "not a readable image"),
])
def test_predict_on_bad_files_is_one_line_and_damages_nothing(trained_dir, tmp_path, make_input, fragment):
    folder, _ = trained_dir
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    completed = run_snippets("snippets", "predict", "--checkpoint-dir", str(folder), str(make_input(tmp_path)))
    assert completed.returncode == 1
    assert fragment in completed.stderr and completed.stderr.count("\n") == 1
    assert "Traceback" not in completed.stderr
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_evaluate_on_missing_or_empty_directories(tmp_path):
    for folder in (tmp_path / "nowhere", tmp_path):
        completed = run_snippets("snippets", "evaluate", "--checkpoint-dir", str(folder))
        assert completed.returncode == 1
        assert completed.stderr.startswith("error: ") and completed.stderr.count("\n") == 1
        assert "train a model first" in completed.stderr


def test_a_corrupted_mnist_cache_is_refused_when_no_source_can_replace_it(tmp_path):
    for name in MNIST_FILES:
        shutil.copy(default_cache_dir() / name, tmp_path / name)
    damaged = tmp_path / "t10k-images-idx3-ubyte"
    content = bytearray(damaged.read_bytes())
    content[5000] ^= 0x01
    damaged.write_bytes(bytes(content))
    before = damaged.read_bytes()
    # No npm on PATH and (on this machine) no route to Keras' host: nothing can repair it.
    completed = run_snippets("snippets", "train", "--limit", "100", "--epochs", "1",
                             "--checkpoint-dir", str(tmp_path / "run"),
                             env={"MNIST_DIR": str(tmp_path), "PATH": "/nonexistent"})
    assert completed.returncode == 1
    error_lines = [line for line in completed.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1 and "MNIST is not available" in error_lines[0]
    assert "Traceback" not in completed.stderr
    assert damaged.read_bytes() == before
