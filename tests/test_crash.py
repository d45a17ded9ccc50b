"""Fault injection: kill real training processes and check that nothing is lost.

The kills are driven by events, not timers: the test reads the trainer's log and sends
SIGKILL as soon as a chosen line appears, while the trainer is already busy with the next
thing (saving the checkpoint of that epoch, or starting the next epoch). A second kind of
kill happens inside TensorFlow's save itself, after the checkpoint files are written and
before the checkpoint index is updated.
"""

import json
import random
import signal
import subprocess
import sys

import numpy as np

from conftest import ROOT, run_snippets
from snippets.checkpoint import restore_model

TRAIN = ["snippets", "train", "--limit", "2000", "--epochs", "5", "--hidden", "32", "--keep-prob", "0.9"]
IMAGES = np.random.default_rng(0).uniform(0, 1, size=(32, 784)).astype(np.float32)


def start(checkpoint_dir, *extra):
    return subprocess.Popen([sys.executable, "-m", *TRAIN, "--checkpoint-dir", str(checkpoint_dir), *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def kill_after_line(process, marker):
    """SIGKILL the process right after it prints a line containing ``marker``."""
    for line in process.stdout:
        if marker in line:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=120)
    return process.returncode


def final_json(completed):
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_random_kills_lose_nothing_and_end_where_an_uninterrupted_run_ends(tmp_path):
    straight = final_json(run_snippets(*TRAIN, "--checkpoint-dir", str(tmp_path / "straight")))

    rng = random.Random(2026)
    crashed = tmp_path / "crashed"
    kills = 0
    # Kill once before training starts, then after randomly chosen epochs' log lines.
    for marker in ["training 784-32-10", *[f"epoch   {e}/5" for e in sorted(rng.sample(range(1, 5), 3))]]:
        assert kill_after_line(start(crashed), marker) == -signal.SIGKILL
        kills += 1
    finished = run_snippets(*TRAIN, "--checkpoint-dir", str(crashed))
    resumed = final_json(finished)
    assert "resuming from ckpt-" in finished.stdout
    assert kills == 4
    assert resumed["test_accuracy"] == straight["test_accuracy"]
    assert resumed["test_loss"] == straight["test_loss"]
    assert resumed["epochs"] == straight["epochs"] == 5
    assert np.array_equal(restore_model(crashed)(IMAGES).numpy(), restore_model(tmp_path / "straight")(IMAGES).numpy())


KILL_INSIDE_SAVE = """
import os, signal, sys
import tensorflow as tf
from tensorflow.python.checkpoint import checkpoint_management
from snippets.cli import main
original = checkpoint_management.update_checkpoint_state_internal
def crash_on_second_save(save_dir, model_checkpoint_path, *args, **kwargs):
    if str(model_checkpoint_path).endswith("ckpt-2"):
        # epoch 2's files are on disk; the index still names epoch 1
        os.kill(os.getpid(), signal.SIGKILL)
    return original(save_dir, model_checkpoint_path, *args, **kwargs)
checkpoint_management.update_checkpoint_state_internal = crash_on_second_save
sys.exit(main(sys.argv[1:]))
"""


def test_a_kill_in_the_middle_of_a_save_keeps_the_previous_checkpoint(tmp_path):
    crashed = tmp_path / "crashed"
    args = [a for a in TRAIN[1:]] + ["--checkpoint-dir", str(crashed)]
    killed = subprocess.run([sys.executable, "-c", KILL_INSIDE_SAVE, *args], cwd=ROOT, capture_output=True,
                            text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=300)
    assert killed.returncode == -signal.SIGKILL
    assert (crashed / "ckpt-2.index").exists()  # written, but never made official
    evaluated = run_snippets("snippets", "evaluate", "--checkpoint-dir", str(crashed))
    assert evaluated.returncode == 0 and json.loads(evaluated.stdout.splitlines()[-1])["epochs"] == 1
    finished = run_snippets(*TRAIN, "--checkpoint-dir", str(crashed))
    assert "resuming from ckpt-1" in finished.stdout
    assert final_json(finished)["epochs"] == 5
