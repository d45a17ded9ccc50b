"""Checks of the exercises of "Save and restore" (docs/save-restore.md)."""

import re
import tempfile
from pathlib import Path

import numpy as np

from snippets.checkpoint import save_model
from snippets.exercises import Exercise, Wrong
from snippets.mlp import MLP


class DiskFull(OSError):
    """What the check raises halfway through a write."""


def failing_chunks(chunks, after):
    """Yield ``after`` of the chunks, then fail as a full disk would."""
    for index, chunk in enumerate(chunks):
        if index == after:
            raise DiskFull("no space left on device (raised by the check)")
        yield chunk


def check_write_atomically(function):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.json"
        function(path, [b"first ", b"version"])
        if not path.is_file() or path.read_bytes() != b"first version":
            raise Wrong("after a write the file should hold all the chunks.")
        function(path, [b"second", b" ", b"version"])
        if path.read_bytes() != b"second version":
            raise Wrong("a second write should replace the whole content.")
        try:
            function(path, failing_chunks([b"third", b" ", b"one"], 2))
        except DiskFull:
            pass
        else:
            raise Wrong("an error during the write should reach the caller.")
        if path.read_bytes() != b"second version":
            raise Wrong(
                "a write that failed halfway changed the file: it should "
                "still hold the previous version."
            )
        left = sorted(p.name for p in Path(folder).iterdir())
        if left != ["model.json"]:
            raise Wrong(
                f"after a failed write the folder holds {left}: remove the "
                "temporary file."
            )


def check_read_variable(function):
    with tempfile.TemporaryDirectory() as folder:
        first = MLP(hidden=(5,), n_inputs=3, n_classes=2, seed=1)
        first.biases["hidden_1"].assign(np.arange(5, dtype=np.float32))
        older = save_model(first, folder)
        second = MLP(hidden=(5, 4), n_inputs=3, n_classes=2, seed=2)
        newer = save_model(second, folder)
        for prefix, model in ((older, first), (newer, second)):
            for table in ("weights", "biases"):
                for layer, variable in getattr(model, table).items():
                    name = f"{table}/{layer}"
                    got = np.asarray(function(prefix, name))
                    if got.shape != tuple(
                        variable.shape
                    ) or not np.array_equal(got, variable.numpy()):
                        raise Wrong(
                            f"{name} of {Path(prefix).name} should be the "
                            f"{list(variable.shape)} values saved under "
                            f"model/{name}, not {got.shape} values that "
                            "differ."
                        )


def newest_complete(names):
    """The project's answer: the newest prefix with its index and all its
    data shards, by number.
    """
    present = set(names)
    complete = []
    for name in names:
        match = re.fullmatch(r"(ckpt-(\d+))\.index", name)
        if not match:
            continue
        prefix = match.group(1)
        shards = [
            re.fullmatch(rf"{prefix}\.data-(\d+)-of-(\d+)", other)
            for other in present
        ]
        counts = {int(m.group(2)) for m in shards if m}
        if len(counts) != 1:
            continue
        (count,) = counts
        if all(
            f"{prefix}.data-{i:05d}-of-{count:05d}" in present
            for i in range(count)
        ):
            complete.append((int(match.group(2)), prefix))
    return max(complete)[1] if complete else None


def shards(number, count=1, missing=()):
    return [
        f"ckpt-{number}.data-{i:05d}-of-{count:05d}"
        for i in range(count)
        if i not in missing
    ]


CASES = [
    ["checkpoint", "ckpt-1.index", *shards(1), "model.json"],
    ["ckpt-1.index", *shards(1), "ckpt-2.index", *shards(2)],
    # by number, not by spelling: "ckpt-10" sorts before "ckpt-9" as text
    ["ckpt-9.index", *shards(9), "ckpt-10.index", *shards(10)],
    # a save cut short: data written, no index yet
    ["ckpt-3.index", *shards(3), *shards(4)],
    # an index whose data file is gone
    ["ckpt-5.index", *shards(5), "ckpt-6.index"],
    # two shards, one of them missing; TensorFlow's temporary folder
    ["ckpt-7.index", *shards(7, 2), "ckpt-8.index", *shards(8, 2, {1})],
    ["ckpt-11_temp", "ckpt-2.index", *shards(2)],
    [],
    ["checkpoint", *shards(1)],
]


def check_newest_complete(function):
    with tempfile.TemporaryDirectory() as folder:
        save_model(MLP(hidden=(2,), n_inputs=2, n_classes=2), folder)
        save_model(MLP(hidden=(2,), n_inputs=2, n_classes=2), folder)
        real = sorted(p.name for p in Path(folder).iterdir())
    for names in [real, *CASES]:
        for order in (names, names[::-1]):
            expected = newest_complete(order)
            got = function(list(order))
            if got != expected:
                raise Wrong(
                    f"for the files {order} you chose {got!r}, the newest "
                    f"complete checkpoint is {expected!r}."
                )


EXERCISES = [
    Exercise(
        "write_atomically",
        check_write_atomically,
        "Never write into the file itself: readers must see either the old "
        "file or the new one, whole.",
        "write into a temporary file in the same folder "
        "(tempfile.mkstemp(dir=path.parent)), then os.replace it over the "
        "path; if anything fails, delete the temporary file and re-raise.",
    ),
    Exercise(
        "read_variable",
        check_read_variable,
        "A checkpoint is read by key; list the keys to see how they are made.",
        "tf.train.load_checkpoint(prefix).get_tensor(key), with the key "
        "'model/' + name + '/.ATTRIBUTES/VARIABLE_VALUE' (tf.train."
        "list_variables shows every key).",
    ),
    Exercise(
        "newest_complete",
        check_newest_complete,
        "A checkpoint counts only when all its files are there, and its "
        "numbers compare as numbers.",
        "a checkpoint ckpt-N is complete when ckpt-N.index and every "
        "ckpt-N.data-0000i-of-0000k are there; compare the numbers N as "
        "numbers, and return None when none is complete.",
    ),
]
