"""Save and restore: ``tf.train.Checkpoint`` for the weights, a small JSON file for the shape.

A checkpoint stores variables by the path of attribute names that leads to them
(``model/weights/hidden_1``), not by the order they were created in, so restoring works into
any model built with the same names and shapes. The architecture is written beside the
checkpoint as ``model.json`` so that ``evaluate`` and ``predict`` can rebuild the model
before restoring into it: ``{"architecture": {...}, "training": {...}}``, the network's
shape (``config.Architecture``) and, beside it, the settings it was trained with.

Run it as a script to save a model, restore it into a fresh one and compare predictions:

    python -m snippets.checkpoint
"""

import json
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import tensorflow as tf

from snippets.common import (
    ExplainedError,
    one_line,
    signals_held,
    write_atomically,
)
from snippets.config import (
    Architecture,
    ArchitectureError,
    read_model_record,
    record_of,
    shown,
    training_settings,
)
from snippets.mlp import MLP

ARCHITECTURE_FILE = "model.json"


class CheckpointError(ExplainedError):
    """A checkpoint is missing, damaged, or does not fit the model; the message
    says which.
    """


class NotTrained(CheckpointError):
    """A run folder holds no trained network: its message ends "train a
    model first", and ``untrained`` is the folder.
    """

    def __init__(self, message, untrained=None):
        super().__init__(message)
        self.untrained = untrained


class DamagedCheckpoint(CheckpointError):
    """A checkpoint's files cannot be read back: truncated, altered, or half
    written.
    """


# --8<-- [start:save_restore]
def save_model(model, directory):
    """Write the model's variables and its architecture into ``directory``;
    return the prefix.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    dropout = {
        "keep_prob": model.keep_prob,
        "input_keep_prob": model.input_keep_prob,
    }
    write_atomically(
        directory / ARCHITECTURE_FILE,
        json.dumps(model_record(model, dropout), indent=2).encode(),
    )
    # The manager numbers the saves (ckpt-1, ckpt-2, ...) and keeps the newest
    # three, so a new save never overwrites the files of the previous one.
    manager = tf.train.CheckpointManager(
        tf.train.Checkpoint(model=model),
        str(directory),
        max_to_keep=3,
        checkpoint_name="ckpt",
    )
    newest = manager.latest_checkpoint
    return write_checkpoint(
        manager, int(newest.rsplit("-", 1)[1]) + 1 if newest else 1
    )


def restore_model(directory, log=None):
    """Rebuild the model described by ``model.json`` and load its saved
    variables.

    If the newest checkpoint is damaged, the next older one is used, and
    ``log`` is told.
    """
    model = MLP(**model_arguments(*read_run(directory, log)))  # checked first
    problems = []
    for prefix in reversed(all_checkpoints(directory)):
        try:
            # A training checkpoint holds the weights of the best epoch under
            # "best" (and the latest weights, the optimizer and the epoch
            # counter beside them); a plain save holds only "model".
            key = "best" if saved_shapes(prefix, "best") else "model"
            check_shapes(model, prefix, key=key)
            # expect_partial: we take only the model's variables and leave the
            # rest unread.
            tf.train.Checkpoint(**{key: model}).restore(
                prefix
            ).expect_partial()
        # IndexError: truncated file
        except (tf.errors.OpError, DamagedCheckpoint, IndexError) as error:
            problems.append(f"{Path(prefix).name}: {one_line(error)}")
            continue
        if problems and log:
            log(
                f"note: skipped damaged checkpoint(s) {'; '.join(problems)}; "
                f"using {Path(prefix).name}"
            )
        return model
    raise CheckpointError(
        f"every checkpoint in {directory} is damaged "
        f"({'; '.join(problems)}); train again with a new checkpoint_dir",
        settings=("checkpoint_dir",),
    )


# --8<-- [end:save_restore]


def trained_epochs(directory):
    """How many epochs the newest checkpoint in ``directory`` had finished (0
    for a plain save).
    """
    reader = tf.train.load_checkpoint(latest_checkpoint(directory))
    key = "epoch/.ATTRIBUTES/VARIABLE_VALUE"
    return int(reader.get_tensor(key)) if reader.has_tensor(key) else 0


def model_record(model, training):
    """What model.json holds: the model's architecture, and beside it the
    settings it was trained with.
    """
    architecture = record_of(model.hidden, model.n_inputs, model.n_classes)
    return {"architecture": architecture, "training": training}


def read_architecture(directory, log=None):
    """The ``Architecture`` of the network the run folder ``directory``
    holds (``read_run``).
    """
    return read_run(directory, log)[0]


def read_run(directory, log=None):
    """``(architecture, training)``: the network the run folder ``directory``
    holds, and the settings it was trained with ("keep_prob" and
    "input_keep_prob" at least).

    Its model.json is checked key by key (``read_model_file``) and compared
    with the shapes of the variables in its newest readable checkpoint, all
    before any model is built. Without model.json the network is read back
    from those shapes, and ``log`` is told. Every mistake is one line that
    names the file and the key; nothing is written.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise NotTrained(
            f"checkpoint directory {directory} does not exist; "
            "train a model first",
            directory,
        )
    path = directory / ARCHITECTURE_FILE
    try:
        recorded, problem = read_model_file(directory), None
    except CheckpointError as error:
        recorded, problem = None, str(error)
    if not checkpoint_prefixes(directory):
        if problem:
            raise NotTrained(
                f"{problem}; {directory} holds no checkpoint either: "
                "train a model first",
                directory,
            )
        if recorded is None:
            raise NotTrained(
                f"{directory} holds no {ARCHITECTURE_FILE} and no checkpoint, "
                "so no trained model; train a model first",
                directory,
            )
        raise NotTrained(
            f"{directory} holds no checkpoint; train a model first", directory
        )
    saved, prefix = checkpoint_architecture(directory)
    if saved is None:  # no checkpoint's index can be read
        if recorded:
            return recorded  # restoring says which checkpoint failed
        raise CheckpointError(
            f"{problem or f'{directory} holds no {ARCHITECTURE_FILE}'}, and "
            f"every checkpoint in {directory} is damaged; "
            "train again with a new checkpoint_dir",
            settings=("checkpoint_dir",),
        )
    if problem:
        raise CheckpointError(
            f"{problem}; {Path(prefix).name} beside it holds a {saved} "
            f"network: {set_aside(path)}"
        )
    if recorded is None:
        if log:
            log(
                f"note: {directory} holds no {ARCHITECTURE_FILE}; read the "
                f"network {saved} back from the variables of "
                f"{Path(prefix).name}"
            )
        return saved, {"keep_prob": 1.0, "input_keep_prob": 1.0}
    wrong = disagreement(path, recorded[0], saved, prefix)
    if wrong:
        raise CheckpointError(f"{wrong}: {set_aside(path)}")
    return recorded


def disagreement(path, architecture, saved, prefix):
    """Where model.json (``path``) and the checkpoint ``prefix`` disagree
    about the network, or None.
    """
    if architecture == saved:
        return None
    says = ", ".join(
        f'"{key}" says {shown(value)}'
        for key, value, _ in architecture.differences(saved)
    )
    return (
        f"{path}: {says}, but {Path(prefix).name} beside it holds a {saved} "
        "network"
    )


# No model.json of ours comes near this; a larger file is refused unread.
LARGEST_MODEL_FILE = 100_000  # bytes


def read_model_file(directory):
    """``(Architecture, settings)`` from ``directory``'s model.json, every key
    checked (``config.read_model_record``), or None if it has none. Raises
    CheckpointError, one line naming the file and each key that is wrong.
    """
    path = Path(directory) / ARCHITECTURE_FILE
    if not path.is_file():
        return None
    with path.open("rb") as file:
        content = file.read(LARGEST_MODEL_FILE + 1)
    if len(content) > LARGEST_MODEL_FILE:
        raise CheckpointError(
            f"{path} is damaged: larger than {LARGEST_MODEL_FILE:,} bytes"
        )
    try:
        record = json.loads(content)
    # UnicodeDecodeError and JSONDecodeError are ValueErrors; deep nesting
    # ends in a RecursionError
    except (ValueError, RecursionError) as error:
        raise CheckpointError(
            f"{path} is damaged: not JSON ({one_line(error)})"
        ) from None
    try:
        return read_model_record(record, path)
    except ArchitectureError as error:
        raise CheckpointError(str(error)) from None


def model_arguments(architecture, training):
    """``MLP``'s keyword arguments for an architecture and the settings it
    was trained with (dropout is off where they do not say).
    """
    return {
        "hidden": architecture.hidden,
        "n_inputs": architecture.n_inputs,
        "n_classes": architecture.n_classes,
        "keep_prob": training.get("keep_prob", 1.0),
        "input_keep_prob": training.get("input_keep_prob", 1.0),
    }


def checkpoint_architecture(directory):
    """``(Architecture, prefix)``: the network the newest checkpoint in
    ``directory`` whose index can be read holds, from the shapes its index
    lists (nothing is built or loaded); ``(None, None)`` if no index can be
    read. A network larger than ``Architecture`` allows is refused.
    """
    for prefix in reversed(all_checkpoints(directory)):
        try:
            shapes = saved_shapes(prefix, "best") or saved_shapes(
                prefix, "model"
            )
        except (tf.errors.OpError, ValueError, IndexError):
            continue
        try:
            return Architecture.from_shapes(shapes), prefix
        except ArchitectureError as error:
            raise CheckpointError(f"{prefix}: {error}") from None
    return None, None


def set_aside(path):
    """The one command that lets a run folder's network be read back from its
    checkpoint instead of from a damaged or wrong ``path``.
    """
    aside = path.with_name(path.name + ".damaged")
    return (
        f"move the file aside (mv {shlex.quote(str(path))} "
        f"{shlex.quote(str(aside))}) and the network is read back from the "
        "checkpoint"
    )


def all_checkpoints(directory):
    """The checkpoint prefixes in ``directory``, oldest first, as its index
    file lists them.
    """
    prefixes = checkpoint_prefixes(directory)
    if not prefixes:
        raise NotTrained(
            f"{directory} holds no checkpoint; train a model first", directory
        )
    return prefixes


def checkpoint_prefixes(directory):
    """``all_checkpoints``, or [] where there are none."""
    state = tf.train.get_checkpoint_state(str(directory))
    # TensorFlow has already joined relative entries onto ``directory``
    return list(state.all_model_checkpoint_paths) if state else []


def latest_checkpoint(directory):
    return all_checkpoints(directory)[-1]


def saved_shapes(prefix, key):
    """{variable path below ``key``: shape} for every variable in the
    checkpoint.
    """
    marker = "/.ATTRIBUTES/VARIABLE_VALUE"
    shapes = {}
    for name, shape in tf.train.list_variables(prefix):
        if name.startswith(key + "/") and name.endswith(marker):
            shapes[name[len(key) + 1 : -len(marker)]] = tuple(shape)
    return shapes


def model_shapes(model):
    """{variable path: shape} for the model, in the same form as
    ``saved_shapes``.
    """
    shapes = {}
    for table in ("weights", "biases"):
        for layer, variable in getattr(model, table).items():
            shapes[f"{table}/{layer}"] = tuple(variable.shape)
    return shapes


# --8<-- [start:check_shapes]
def check_shapes(model, prefix, key="model"):
    """Refuse to restore when a saved variable has another shape than the
    model's.

    TensorFlow would fail with "Assign requires shapes of both tensors to
    match" (TF1) or a long shape error (TF2). This names every variable that
    differs, with both shapes.
    """
    try:
        saved = saved_shapes(prefix, key)
    except (tf.errors.OpError, ValueError) as error:
        raise DamagedCheckpoint(
            f"cannot read checkpoint {Path(prefix).name}: {one_line(error)}"
        ) from None
    wanted = model_shapes(model)
    mismatched = [
        f"{name}: saved {list(saved[name])}, model expects {list(shape)}"
        for name, shape in wanted.items()
        if name in saved and saved[name] != shape
    ]
    missing = [name for name in wanted if name not in saved]
    if mismatched or missing:
        problems = mismatched + [
            f"{name}: not in the checkpoint" for name in missing
        ]
        raise CheckpointError(
            "checkpoint does not fit the model: " + "; ".join(problems)
        )


# --8<-- [end:check_shapes]


# --8<-- [start:training_checkpoints]
def open_training_checkpoints(
    checkpoint, directory, config, model, log=print, max_to_keep=3, write=True
):
    """A CheckpointManager over ``directory``; restore its newest complete
    checkpoint.

    Returns ``(manager, epoch)`` where ``epoch`` is the last finished epoch (0
    for a new run). TensorFlow writes each checkpoint to temporary files and
    renames them into place, and rewrites the small ``checkpoint`` state file
    atomically, so a crash during a save leaves the previous checkpoint intact.
    A checkpoint that is damaged anyway (a truncated or altered file) fails to
    restore; the next older one is tried. Without ``write`` (a cluster's
    workers other than the chief) the directory is only read.
    """
    directory = Path(directory)
    # Checked before anything in the folder is touched: model.json, and that
    # it, the checkpoint and the model agree.
    recorded = check_run_folder(directory, model)
    if write:
        directory.mkdir(parents=True, exist_ok=True)
        remove_unfinished_saves(directory)
    record = model_record(model, training_settings(config))
    architecture_file = directory / ARCHITECTURE_FILE
    manager = tf.train.CheckpointManager(
        checkpoint,
        str(directory),
        max_to_keep=max_to_keep,
        checkpoint_name="ckpt",
    )
    if manager.checkpoints and recorded:
        changed = changed_settings(recorded[1], record["training"])
        if changed:
            raise CheckpointError(
                f"{directory} holds a run with other settings "
                f"({', '.join(changed)}); resume it with the same settings "
                "(only epochs may change), or use another checkpoint_dir",
                settings=("epochs", "checkpoint_dir"),
            )
    for prefix in reversed(manager.checkpoints):
        try:
            check_shapes(model, prefix)
            checkpoint.restore(prefix).assert_existing_objects_matched()
        except (
            DamagedCheckpoint,
            tf.errors.OpError,
            AssertionError,
            IndexError,
        ) as error:
            log(
                f"checkpoint {Path(prefix).name} is damaged "
                f"({one_line(error)}); trying an older one"
            )
            continue
        epoch = int(checkpoint.epoch.numpy())
        log(
            f"resuming from {Path(prefix).name} in {directory}: epoch {epoch} "
            "was complete"
        )
        if write:
            write_atomically(
                architecture_file, json.dumps(record, indent=2).encode()
            )
        return manager, epoch
    if manager.checkpoints:
        raise CheckpointError(
            f"every checkpoint in {directory} is damaged; train again with "
            "a new checkpoint_dir (the damaged files stay for a look)",
            settings=("checkpoint_dir",),
        )
    if write:
        write_atomically(
            architecture_file, json.dumps(record, indent=2).encode()
        )
    return manager, 0


# --8<-- [end:training_checkpoints]


def check_run_folder(directory, model):
    """``read_model_file(directory)`` for a run that trains ``model`` into
    ``directory``, checked against the checkpoint beside it and the model;
    each mistake says the one command that resumes.
    """
    architecture_file = directory / ARCHITECTURE_FILE
    try:  # a folder its own reader would refuse is never written
        architecture = Architecture(
            model.hidden, model.n_inputs, model.n_classes
        )
    except ArchitectureError as error:
        raise CheckpointError(
            f"a {describe(model.architecture())} network cannot be kept in "
            f"a run folder: {error}"
        ) from None
    saved = prefix = None
    if directory.is_dir() and checkpoint_prefixes(directory):
        saved, prefix = checkpoint_architecture(directory)
    if saved is None:
        then = "the run starts afresh"
    elif saved.hidden == model.hidden:
        then = f"the same command resumes from {Path(prefix).name}"
    else:
        hidden = tuple(saved.hidden)
        then = f"hidden={hidden} resumes from {Path(prefix).name}"
    aside = (
        f"move it aside (mv {shlex.quote(str(architecture_file))} "
        f"{shlex.quote(str(architecture_file))}.damaged) and {then}, "
        "or use another checkpoint_dir"
    )
    try:
        recorded = read_model_file(directory)
    except CheckpointError as error:
        raise CheckpointError(
            f"{error}; {aside}", settings=("hidden", "checkpoint_dir")
        ) from None
    wrong = (
        recorded
        and saved
        and disagreement(architecture_file, recorded[0], saved, prefix)
    )
    if wrong:
        raise CheckpointError(
            f"{wrong}; {aside}", settings=("hidden", "checkpoint_dir")
        )
    if recorded and recorded[0] != architecture:
        raise CheckpointError(
            f"{directory} holds a {recorded[0]} model, not "
            f"{describe(model.architecture())}; use another checkpoint_dir, "
            f"or hidden={tuple(recorded[0].hidden)} to resume it",
            settings=("checkpoint_dir", "hidden"),
        )
    return recorded


def write_checkpoint(manager, number):
    """Save ``manager``'s checkpoint as ``ckpt-<number>`` and return its path
    prefix.

    Ctrl-C or SIGTERM during the save waits until it is done. A save that fails
    (a full disk, a quota, a folder made read-only) leaves the earlier
    checkpoints as they were; its half-written files are removed, and the error
    says which checkpoint is kept.
    """
    try:
        with signals_held():
            return manager.save(checkpoint_number=number)
    except (tf.errors.OpError, OSError) as error:
        remove_unfinished_saves(manager.directory)
        kept = manager.latest_checkpoint
        kept = (
            f"{Path(kept).name} is kept"
            if kept
            else "there is no earlier checkpoint"
        )
        raise CheckpointError(
            f"could not write ckpt-{number} into {manager.directory} "
            f"({one_line(error)}); {kept}; free some space or make the "
            "folder writable, then run the same command again"
        ) from None


def remove_unfinished_saves(directory):
    """Delete the ``ckpt-N_temp`` folders that TensorFlow leaves when a save is
    cut short.
    """
    for leftover in Path(directory).glob("ckpt-*_temp*"):
        shutil.rmtree(
            leftover, ignore_errors=True
        ) if leftover.is_dir() else leftover.unlink(missing_ok=True)


def changed_settings(saved, wanted):
    """The training settings that differ, except ``epochs``, which a resumed
    run may extend.
    """
    return [
        f"{key} {saved.get(key)} -> {value}"
        for key, value in wanted.items()
        if key != "epochs" and saved.get(key) != value
    ]


def describe(architecture):
    sizes = [
        architecture["n_inputs"],
        *architecture["hidden"],
        architecture["n_classes"],
    ]
    return "-".join(str(size) for size in sizes)


def main():
    model = MLP(hidden=(256,), seed=1)
    images = tf.random.stateless_uniform([5, 784], seed=[3, 4])
    with tempfile.TemporaryDirectory() as folder:
        prefix = save_model(model, folder)
        print(f"saved to {Path(prefix).name}; the checkpoint holds:")
        for name, shape in tf.train.list_variables(prefix):
            print(f"  {name:<52} {shape}")
        restored = restore_model(folder)
        same = np.array_equal(model(images).numpy(), restored(images).numpy())
        print(f"a fresh model restored from it gives identical logits: {same}")
        try:
            check_shapes(MLP(hidden=(512,)), prefix)
        except CheckpointError as error:
            print(f"restoring into a 784-512-10 model is refused:\n  {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
