"""Worked solutions of the exercises of "Save and restore" (shown on the
page)."""

import os
import re
import tempfile
from pathlib import Path

import tensorflow as tf


# --8<-- [start:write_atomically]
def write_atomically(path, chunks):
    path = Path(path)
    # Same folder: a rename within one file system is atomic.
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            for chunk in chunks:
                file.write(chunk)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)  # the old file until this line
    except BaseException:
        os.unlink(temporary)
        raise


# --8<-- [end:write_atomically]


# --8<-- [start:read_variable]
def read_variable(prefix, name):
    reader = tf.train.load_checkpoint(prefix)
    # save_model saves tf.train.Checkpoint(model=model): every path
    # starts at "model", and the value sits under .ATTRIBUTES
    return reader.get_tensor(f"model/{name}/.ATTRIBUTES/VARIABLE_VALUE")


# --8<-- [end:read_variable]


# --8<-- [start:newest_complete]
def newest_complete(names):
    names = set(names)
    best = None
    for name in names:
        match = re.fullmatch(r"ckpt-(\d+)\.index", name)
        if not match:
            continue
        number = int(match.group(1))  # ckpt-10 is newer than ckpt-9
        prefix = f"ckpt-{number}"
        data = [n for n in names if n.startswith(f"{prefix}.data-")]
        if not data:
            continue
        count = int(data[0].rsplit("-of-", 1)[1])  # data-00000-of-00001
        shards = {
            f"{prefix}.data-{i:05d}-of-{count:05d}" for i in range(count)
        }
        if shards <= names and (best is None or number > best):
            best = number
    return None if best is None else f"ckpt-{best}"


# --8<-- [end:newest_complete]
