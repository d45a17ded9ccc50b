"""benchmarks/: results.json holds together, and the benchmark's pieces work on a tiny run.

Nothing here times anything: the timings come from `make bench` and are only checked for
consistency with each other.
"""

import importlib.util
import json
import math
import subprocess
import sys
from dataclasses import asdict, replace

import pytest
import tensorflow as tf

from conftest import ROOT
from snippets.fast import FAST

RESULTS = ROOT / "benchmarks" / "results.json"
SEEDS = ("0", "1", "2")


def load_bench():
    spec = importlib.util.spec_from_file_location("bench", ROOT / "benchmarks" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = load_bench()


def run_bench(*args, timeout=300):
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench.py"), *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)


def close(a, b, rel=2e-3):
    """Equal up to the 4 significant digits the results are rounded to."""
    return math.isclose(a, b, rel_tol=rel)


def check_consistent(results):
    """What must hold in any results file, real or tiny."""
    for key in ("baseline_seconds_to_98", "ours_seconds_to_98", "ratio_vs_keras", "ours_epochs_to_98", "ours_gflops",
                "matmul_peak_gflops", "fraction_of_matmul_peak", "ours_test_accuracy_by_seed", "machine", "levers"):
        assert key in results, key
    target = results["target_accuracy"]
    # The headline pair: our slowest seed against Keras' fastest.
    by_seed = results["ours_seconds_by_seed"]
    assert sorted(by_seed) == list(SEEDS) == sorted(results["ours_test_accuracy_by_seed"])
    assert all(results["ours_test_accuracy_by_seed"][seed] >= target for seed in SEEDS)
    assert results["ours_seconds_to_98"] == max(by_seed.values())
    assert results["ours_epochs_to_98"] == results["ours_config"]["epochs"]
    keras = {seed: run for seed, run in results["baseline_by_seed"].items() if run["seconds_to_target"] is not None}
    assert results["baseline_seconds_to_98"] == min(run["seconds_to_target"] for run in keras.values())
    fastest = results["baseline_by_seed"][str(results["baseline_seed"])]
    assert fastest["seconds_to_target"] == results["baseline_seconds_to_98"]
    assert fastest["epochs_to_target"] == results["baseline_epochs_to_98"]
    # The baseline's clock stops at the FIRST epoch with the target accuracy.
    accuracies = [row["test_accuracy"] for row in fastest["history"]]
    assert accuracies[results["baseline_epochs_to_98"] - 1] >= target
    assert all(accuracy < target for accuracy in accuracies[: results["baseline_epochs_to_98"] - 1])
    # Derived numbers are what they claim to be.
    assert close(results["ratio_vs_keras"], results["ours_seconds_to_98"] / results["baseline_seconds_to_98"])
    assert results["matmul_peak_gflops"] == max(results["matmul_gflops_by_size"]["float32"].values())
    assert results["bf16_matmul_peak_gflops"] == max(results["matmul_gflops_by_size"]["bfloat16"].values())
    assert close(results["fraction_of_matmul_peak"], results["ours_gflops"] / results["matmul_peak_gflops"])
    assert close(results["fraction_of_bf16_matmul_peak"], results["ours_gflops"] / results["bf16_matmul_peak_gflops"])
    assert close(results["ours_gflops"], results["flops"]["per_epoch"] / results["ours_seconds_per_epoch"] / 1e9)
    assert close(results["arithmetic_limit_seconds_per_epoch"]["float32"],
                 results["flops"]["per_epoch"] / results["matmul_peak_gflops"] / 1e9)
    config = results["ours_config"]
    forward, backward = bench.matmul_flops(config["batch_size"], [784, *config["hidden"], 10])
    assert results["flops"]["per_epoch"] == results["flops"]["examples_per_epoch"] // config["batch_size"] * (
        forward + backward)
    # The lever table: references first, then levers whose kept changes lead to the final configuration.
    names = [row["name"] for row in results["levers"]]
    assert names[:2] == ["Keras model.fit (baseline)", "the chapter's trainer"]
    assert names[2:] == [name for name, _, _, _ in bench.LEVERS]
    for row in results["levers"]:
        assert row["seconds_per_epoch"] > 0 and row["compile_seconds"] >= 0
    assert [row["intra_op_threads"] for row in results["threads"]] == [1, 2]
    machine = results["machine"]
    assert machine["logical_cpus"] >= 1 and machine["tensorflow"] and machine["cpu"]


def test_results_file_is_complete_and_consistent():
    results = json.loads(RESULTS.read_text())
    check_consistent(results)
    assert results["quick"] is False
    assert results["target_accuracy"] == 0.98
    # It was produced by today's fixed schedule on all 55,000 training images.
    assert results["ours_config"] == json.loads(json.dumps(asdict(FAST)))
    assert results["flops"]["per_epoch"] == bench.training_flops_per_epoch(FAST, 55000)


def test_levers_end_at_the_fast_configuration():
    config = replace(FAST, **bench.LEVERS[0][3])
    for _, _, kept, changes in bench.LEVERS[1:]:
        if kept:
            config = replace(config, **changes)
    assert config == FAST


def test_pieces():
    assert bench.matmul_gflops(64, repeats=2) > 0
    peak, by_size = bench.matmul_peak(tf.float32, ((32, 2), (64, 2)))
    assert sorted(by_size) == ["32", "64"] and peak == max(by_size.values()) > 0
    assert bench.epoch_times([3.0, 1.2, 1.0, 1.1]) == {"seconds_per_epoch": 1.0, "compile_seconds": 2.0}
    assert bench.epoch_times([0.5]) == {"seconds_per_epoch": 0.5, "compile_seconds": 0.0}
    assert bench.rounded({"a": [0.123456, 12.345678], "b": 7}) == {"a": [0.1235, 12.3457], "b": 7}
    assert bench.training_flops_per_epoch(replace(FAST, batch_size=100), 1050) == 10 * sum(
        bench.matmul_flops(100, [784, 256, 10]))


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    output = tmp_path_factory.mktemp("bench") / "results.json"
    finished = run_bench("--quick", "--output", str(output))
    assert finished.returncode == 0, finished.stderr
    return finished, output


def test_a_tiny_run_prints_a_table_and_writes_the_same_json(tiny_run):
    finished, output = tiny_run
    last = json.loads(finished.stdout.strip().splitlines()[-1])
    assert last == json.loads(output.read_text())
    assert last["quick"] is True
    check_consistent(last)
    assert "lever" in finished.stdout and "s/epoch" in finished.stdout


@pytest.mark.parametrize("args, message", [(["--epochs", "0"], "must be at least 1"),
                                           (["--target", "2"], "must be in (0, 1]"),
                                           (["--limit", "many"], "expected a whole number"),
                                           (["--frobnicate"], "unrecognized arguments")])
def test_bad_arguments_get_one_line(args, message, capsys):
    with pytest.raises(SystemExit) as exit:
        bench.main(args)
    assert exit.value.code == 2
    error = capsys.readouterr().err
    assert message in error and len(error.strip().splitlines()) == 1


def test_bad_arguments_from_the_shell_get_no_traceback():
    finished = run_bench("--epochs", "0", timeout=120)
    assert finished.returncode == 2
    assert finished.stderr.strip() == "bench.py: error: argument --epochs: must be at least 1, got 0 (see --help)"
