"""The parts of one step: where an epoch of the fast trainer spends its time, op by op.

One compiled epoch of ``FastTrainer`` (snippets/fast.py) runs under TensorFlow's profiler,
after two epochs that trace and warm it up; the trace records every kernel the epoch ran,
on each of TensorFlow's threads, with its duration. Summed by what each kernel does and
divided by the epoch's steps, that is how many milliseconds of kernel time a step spends on
each part: the matrix products, Adam's update, gathering the batch, softmax and loss, the
element-wise work of the backward pass (ReLU's gradient, the biases' sums), casts between
types, and the epoch's shuffle. The epoch's own wall time per step is kept beside it: on
two threads kernels can overlap, so the parts can add up to more than the wall time; what
the wall time holds beyond the kernels is the executor scheduling them.

Both types of products are profiled, float32 and bfloat16, whichever the probe chose, so
that the record shows what bfloat16 changes, part by part, on the machine that ran it.
"""

import collections
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import tensorflow as tf

from benchmarks.results import WALL, StepParts
from snippets.fast import FastTrainer

# What each kernel is part of, by the op type the trace names ("name:type"): the first
# entry whose words are in the type. Kernels of no entry are "other kernels".
PARTS = (
    ("matrix products", ("MatMul",)),
    ("Adam's update", ("ApplyAdam",)),
    ("gather the batch", ("Gather", "Slice")),
    ("softmax and loss", ("Softmax", "OneHot", "Mean")),
    (
        "element-wise and sums",
        ("Greater", "Select", "Sum", "Add", "Sub", "Mul"),
    ),
    ("casts between types", ("Cast",)),
    ("the epoch's shuffle", ("TopK", "StatelessRandom")),
)
OTHER = "other kernels"


def part_of(op_type):
    for part, words in PARTS:
        if any(word in op_type for word in words):
            return part
    return OTHER


def kernel_milliseconds(trace_folder):
    """{op type: milliseconds} of every kernel in the trace under ``trace_folder``
    (TensorFlow's XSpace file): the events named "op name:op type" on its threads."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    space = xplane_pb2.XSpace()
    (path,) = Path(trace_folder).rglob("*.xplane.pb")
    space.ParseFromString(path.read_bytes())
    total = collections.Counter()
    for plane in space.planes:
        names = {
            key: event.name for key, event in plane.event_metadata.items()
        }
        for line in plane.lines:
            if line.name == "python":  # the call into the graph, not a kernel
                continue
            for event in line.events:
                name = names.get(event.metadata_id, "")
                if ":" in name and "::" not in name:
                    total[name.rsplit(":", 1)[1]] += event.duration_ps / 1e9
    return total


def profile_epoch(trainer):
    """Milliseconds per step of each part, and the wall time of a step, for one
    profiled epoch of ``trainer`` (after two that trace and warm it up)."""
    epoch = tf.constant(0, tf.int64)
    for _ in range(2):
        trainer.run_epoch(epoch).numpy()
    with tempfile.TemporaryDirectory() as folder:
        tf.profiler.experimental.start(folder)
        started = time.perf_counter()
        trainer.run_epoch(epoch).numpy()
        wall = time.perf_counter() - started
        tf.profiler.experimental.stop()
        kernels = kernel_milliseconds(folder)
    steps = trainer.steps_per_epoch
    parts = dict.fromkeys([part for part, _ in PARTS] + [OTHER], 0.0)
    for op_type, milliseconds in kernels.items():
        parts[part_of(op_type)] += milliseconds / steps
    parts[WALL] = wall * 1e3 / steps
    return parts


def measure_step_parts(config, data, log=print):
    """The parts of a step in float32 and in bfloat16 products, as a StepParts."""
    milliseconds = {}
    for dtype in ("float32", "bfloat16"):
        trainer = FastTrainer(
            replace(config, compute_dtype=dtype),
            data.train_x,
            data.train_y,
            log=lambda message: None,
        )
        milliseconds[dtype] = profile_epoch(trainer)
        log(
            f"step parts in {dtype}: "
            + ", ".join(
                f"{part} {ms:.3f} ms"
                for part, ms in milliseconds[dtype].items()
            )
        )
    return StepParts(
        batch_size=config.batch_size,
        steps_per_epoch=trainer.steps_per_epoch,
        milliseconds=milliseconds,
    )
