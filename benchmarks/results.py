"""The speed benchmark's results as one typed structure, written and read here.

``make bench`` (benchmarks/bench.py) builds a ``Results``; ``save`` writes it as
JSON and ``load`` reads it back into the same dataclasses, checking every field
on the way: a field the schema does not know, or one it needs and the file
lacks, is an error, not a silent ``KeyError`` three readers later. The test,
the figures, the notebook and the page read fields of it (``results.levers``),
never keys by string.

Results are kept per CPU generation (``cpu_generation``): a run on one kind of
CPU never overwrites the committed record of another. A fresh run writes
``benchmarks/new/speed/<generation>.json`` (``measured_path``), which nothing
on the site reads; ``python benchmarks/promote.py`` moves it to
``benchmarks/speed/<generation>.json`` (``committed_path``), which the page
shows, side by side with every other generation committed there.
"""

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from benchmarks.typed_json import SchemaError, build, rounded
from snippets.common import write_atomically
from snippets.config import FastConfig

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "benchmarks" / "speed"  # what the pages show
MEASURED = ROOT / "benchmarks" / "new"  # fresh runs, until promoted

# The CPU generations, fastest first, and how the page names them.
GENERATIONS = {
    "avx512-bf16": "AVX-512 with AVX512-BF16",
    "avx512": "AVX-512 without AVX512-BF16",
    "avx2": "AVX2, no AVX-512",
    "other": "neither AVX2 nor AVX-512",
}


def cpu_generation(flags):
    """The generation of a CPU with these /proc/cpuinfo ``flags``: what
    decides the products' speed here (AVX-512, bfloat16 in hardware)."""
    flags = set(flags)
    if "avx512_bf16" in flags:
        return "avx512-bf16"
    if "avx512f" in flags:
        return "avx512"
    if "avx2" in flags:
        return "avx2"
    return "other"


def this_cpus_flags(cpuinfo=Path("/proc/cpuinfo")):
    """The first CPU's flags in ``cpuinfo`` (none without such a file)."""
    try:
        text = Path(cpuinfo).read_text()
    except OSError:
        return []
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return value.split()
    return []


def committed_path(generation):
    return COMMITTED / f"{generation}.json"


def measured_path(generation):
    return MEASURED / "speed" / f"{generation}.json"


@dataclass
class Epoch:
    epoch: int
    test_accuracy: float
    seconds: float  # since the clock started, the tests paused out


@dataclass
class KerasRun:
    seconds_to_target: float | None
    epochs_to_target: int | None
    seconds_per_epoch: float
    compile_seconds: float
    history: list[Epoch]


@dataclass
class FastRun:
    """One run of train_fast, as measure_fast times it."""

    seconds_per_epoch: float
    compile_seconds: float
    epoch_seconds: list[float]
    building_seconds: float
    total_seconds: float
    epochs: int
    valid_accuracy: float | None


@dataclass
class LeverRow:
    """A row of the lever table; the first two (the references) have no
    fast run's details."""

    name: str
    change: str
    kept: bool | None
    seconds_per_epoch: float
    compile_seconds: float
    total_seconds: float
    epochs: int
    valid_accuracy: float | None
    judged_by: str | None = None
    epoch_seconds: list[float] | None = None
    building_seconds: float | None = None
    valid_accuracy_by_seed: list[float] | None = None
    accuracy_verdict: str | None = None


@dataclass
class ThreadRow(FastRun):
    intra_op_threads: int = 1


@dataclass
class XlaCacheRow(FastRun):
    """FAST under XLA in a fresh process: its persistent compilation cache
    empty ("cold") or holding the epoch a process before compiled ("warm")."""

    cache: str = "cold"


@dataclass
class LargerBatchRun:
    batch_size: int
    epochs: int
    valid_accuracy_by_seed: dict[str, float]
    seconds_by_seed: dict[str, float]


@dataclass
class LargerBatch:
    runs: list[LargerBatchRun]


@dataclass
class Probe:
    chosen: str
    reason: str
    step_seconds: dict[str, float]
    bfloat16_must_be_faster_by: float


@dataclass
class Flops:
    per_epoch: int
    examples_per_epoch: int
    counted: str


@dataclass
class WholeProcess:
    keras_script: str
    keras_script_seconds: float
    keras_script_test_accuracy: float
    ours: str
    ours_seconds: float
    ours_test_accuracy: float
    ratio: float
    import_tensorflow_seconds: float
    # ours part by part (None in older runs); how each is timed: process.py
    ours_schedule_seconds: float | None = None
    tensorflow_start_up_seconds: float | None = None

    def rest_of_ours(self):
        """Ours less those parts (Python, MNIST, the trainer, the test)."""
        if self.ours_schedule_seconds is None:
            return None  # not timed part by part
        start_up = self.tensorflow_start_up_seconds
        return self.ours_seconds - start_up - self.ours_schedule_seconds


# The entry of StepParts.milliseconds that is no part: the wall time of a whole step.
WALL = "wall time of a step"


@dataclass
class StepParts:
    """Milliseconds per step of each part of the fast trainer's step
    (benchmarks/parts.py), and of the whole step, by the products' type."""

    batch_size: int
    steps_per_epoch: int
    milliseconds: dict[str, dict[str, float]]


@dataclass
class Machine:
    cpu: str
    cpu_family_and_model: str
    logical_cpus: int
    avx512f: bool
    avx512_bf16: bool
    amx: bool
    bfloat16_hardware: str
    tensorflow: str
    keras: str
    python: str
    os: str
    load_average_at_start: list[float]
    load_average_at_end: list[float] | None = None
    generation: str | None = None


@dataclass
class Rejudged:
    machine: Machine
    date: str
    measured: str


@dataclass
class Results:
    generation: str  # cpu_generation of the machine that timed the run
    # where the numbers came from, where not all from this file's machine
    provenance: str
    target_accuracy: float
    baseline_seconds_to_98: float | None
    baseline_epochs_to_98: int | None
    baseline_seed: int
    ours_seconds_to_98: float | None
    ours_epochs_to_98: int | None
    ratio_vs_keras: float | None
    keras_same_recipe_seconds_to_98: float | None
    keras_same_recipe_epochs_to_98: int | None
    keras_same_recipe_seed: int
    ratio_vs_keras_same_recipe: float | None
    keras_seconds_per_epoch: float
    keras_same_recipe_seconds_per_epoch: float
    ratio_vs_keras_per_epoch: float
    ratio_vs_keras_same_recipe_per_epoch: float
    keras_same_recipe_policy: str
    compute_dtype_probe: Probe
    ours_gflops: float
    matmul_peak_gflops: float
    fraction_of_matmul_peak: float
    bf16_matmul_peak_gflops: float
    fraction_of_bf16_matmul_peak: float
    best_matmul_peak_gflops: float
    fraction_of_best_matmul_peak: float
    matmul_gflops_at_epoch_shapes: dict[str, float]
    best_matmul_gflops_at_epoch_shapes: float
    fraction_of_matmul_peak_at_epoch_shapes: float
    epoch_shapes: list[list]  # rows, inner, columns, transpose_a, _b
    matmul_gflops_by_size: dict[str, dict[str, float]]
    ours_test_accuracy_by_seed: dict[str, float]
    ours_valid_accuracy_by_seed: dict[str, float]
    ours_seconds_by_seed: dict[str, float]
    ours_epoch_seconds_by_seed: dict[str, list[float]]
    ours_building_seconds_by_seed: dict[str, float]
    ours_seconds_per_epoch: float
    ours_median_seconds_per_epoch: float
    ours_compile_seconds: float
    ours_config: FastConfig
    baseline_by_seed: dict[str, KerasRun]
    keras_same_recipe_by_seed: dict[str, KerasRun]
    flops: Flops
    arithmetic_limit_seconds_per_epoch: dict[str, float]
    levers: list[LeverRow]
    lever_noise: float
    lever_noise_seeds: list[str]
    levers_final_config: FastConfig
    larger_batch: LargerBatch
    levers_differ_from_fast_in: list[str]
    threads: list[ThreadRow]
    whole_process: WholeProcess | None  # a quick run skips it
    machine: Machine
    quick: bool
    bench_seconds: float
    levers_rejudged: Rejudged | None = None  # set by bench.py --rejudge
    # the parts of a step (benchmarks/parts.py); runs before it have none
    step_parts: StepParts | None = None
    # XLA with a compilation cache shared by fresh processes (process.py)
    xla_cache: list[XlaCacheRow] | None = None


def to_json(results, indent=2):
    """``results`` as the JSON text ``save`` writes (rounded)."""
    return json.dumps(rounded(dataclasses.asdict(results)), indent=indent)


def from_json(text, where="results"):
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise SchemaError(f"{where}: not JSON ({error})") from None
    return build(Results, value, where)


def save(results, path):
    """Write ``results`` to ``path`` atomically."""
    write_atomically(path, (to_json(results) + "\n").encode())


def load(path):
    """The ``Results`` in the file at ``path``."""
    path = Path(path)
    return from_json(path.read_text(), str(path))


def committed(folder=None):
    """{generation: Results} of every committed run, fastest generation
    first."""
    folder = Path(folder or COMMITTED)
    found = {path.stem: path for path in folder.glob("*.json")}
    order = [g for g in GENERATIONS if g in found]
    return {generation: load(found[generation]) for generation in order}
