# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Making it fast: the measurements
#
# Companion to the chapter [Making it fast](../../speed/). This notebook does not time
# anything itself: it reads the committed runs of `make bench`, one per CPU generation
# (`benchmarks/speed/GENERATION.json`, through `benchmarks/results.py`), lists them, and
# shows in detail what the first (the fastest generation committed) measured. Every number
# below is printed from those files, and every cell checks that the numbers agree with each
# other and with the code.

# %%
from snippets.common import quiet_tensorflow

quiet_tensorflow()  # first: TensorFlow's start-up notes stay off the page

import math
from types import SimpleNamespace

import matplotlib.pyplot as plt
from matplotlib.ticker import NullFormatter, ScalarFormatter

from benchmarks.results import GENERATIONS, committed
from snippets.backprop import matmul_flops
from snippets.fast import FAST
from snippets.uncertainty import accuracy_of, seed_spread

# one committed run per CPU generation, fastest generation first
runs = committed()
for generation, run in runs.items():
    print(
        f"{generation} ({GENERATIONS[generation]}): {run.machine.cpu}, "
        f"ratio_vs_keras {run.ratio_vs_keras:.3f}, ours "
        f"{run.ours_seconds_to_98:.2f} s, plain Keras "
        f"{run.baseline_seconds_to_98:.1f} s"
    )
generation, results = next(iter(runs.items()))  # the one shown below
print(f"\nbelow: {generation}, {results.provenance}")
assert all(not run.quick for run in runs.values()), (
    "a committed run must be a full run of make bench"
)
assert results.ours_config == FAST, (
    "FAST has changed since the benchmark ran: make bench, make promote"
)

# %% [markdown]
# ## The machine
#
# TensorFlow fixes its thread pools at start-up to the number of CPUs it sees. The load
# average says how busy the machine was with other work while the benchmark ran: above the
# number of CPUs, both trainers got less than the whole machine.

# %%
machine = results.machine
print(
    f"CPU: {machine.cpu} (family/model {machine.cpu_family_and_model}), "
    f"{machine.logical_cpus} logical CPUs"
)
print(
    f"AVX-512: {machine.avx512f}, AVX512-BF16: {machine.avx512_bf16}, "
    f"AMX: {machine.amx}"
)
probe = results.compute_dtype_probe
print(
    "one step in each type, as the fast trainer's probe times it: "
    + ", ".join(
        f"{dtype} {seconds * 1e3:.1f} ms"
        for dtype, seconds in probe.step_seconds.items()
    )
)
print(f"the trainer chose: {probe.reason}")
print(
    f"TensorFlow {machine.tensorflow}, Keras {machine.keras}, Python "
    f"{machine.python}"
)
print(
    f"load average at start {machine.load_average_at_start[0]:.2f}, "
    f"at end {machine.load_average_at_end[0]:.2f}"
)
print(f"the whole benchmark took {results.bench_seconds:.0f} s")
assert machine.logical_cpus >= 1 and 0 < results.bench_seconds < 600

# %% [markdown]
# ## Time to 98 %
#
# Keras ran with seeds 0, 1 and 2 until its test accuracy after an epoch first reached
# 98.0 %; the fastest of the three is the baseline. Ours ran its fixed schedule with five
# seeds, 0 to 4 (its runs are many times shorter than Keras'); the slowest of the five is
# ours, and every one of them must reach 98.0 %.

# %%
target = results.target_accuracy
for seed, run in results.baseline_by_seed.items():
    if run.epochs_to_target:
        seconds, epochs = run.seconds_to_target, run.epochs_to_target
        reached = f"{seconds:.1f} s, {epochs} epochs"
    else:
        reached = "did not reach it"
    print(
        f"Keras seed {seed}: {reached} ({run.seconds_per_epoch:.2f} s an "
        "epoch)"
    )
for seed, accuracy in results.ours_test_accuracy_by_seed.items():
    seconds = results.ours_seconds_by_seed[seed]
    print(
        f"ours  seed {seed}: {seconds:.2f} s for "
        f"{results.ours_epochs_to_98} epochs, "
        f"test accuracy {accuracy_of(accuracy, 10_000)}"
    )
spread = seed_spread(list(results.ours_test_accuracy_by_seed.values()))
print(f"ours over its seeds: test accuracy {spread}")

baseline, ours = (
    results.baseline_seconds_to_98,
    results.ours_seconds_to_98,
)
ratio = results.ratio_vs_keras
GOAL = 0.08  # the speed issue's target for ratio_vs_keras
print(
    f"\nbaseline {baseline:.1f} s, ours {ours:.2f} s: ratio {ratio:.3f} "
    f"(the goal: at most {GOAL}, {'met' if ratio <= GOAL else 'NOT met'})"
)
assert all(
    accuracy >= target
    for accuracy in results.ours_test_accuracy_by_seed.values()
)
assert math.isclose(ratio, ours / baseline, rel_tol=2e-3)
assert ours == max(results.ours_seconds_by_seed.values())
assert 0 < ratio < 1

# %% [markdown]
# ## The second baseline: Keras with our recipe
#
# The same `model.fit`, given our recipe: the same batch size, the warm-up and decay of
# the learning rate, label smoothing, Adam's beta2, the same number of epochs, and mixed
# bfloat16 only if the fast trainer chose bfloat16 on this machine. It is timed like plain
# Keras, test accuracy after every epoch with the clock paused, and its fastest seed counts.
# What separates it from ours is engineering alone; what separates plain Keras from it is
# the recipe.

# %%
for seed, run in results.keras_same_recipe_by_seed.items():
    print(
        f"Keras with our recipe, seed {seed}: test accuracy "
        f"{accuracy_of(run.history[-1].test_accuracy, 10_000)} after "
        f"{len(run.history)} epochs, {run.history[-1].seconds:.2f} s"
    )
recipe = results.keras_same_recipe_seconds_to_98
print(
    f"\nto 98 %: plain Keras {baseline:.1f} s, with our recipe "
    + (f"{recipe:.2f} s" if recipe else "not reached")
    + f", ours {ours:.2f} s"
)
for name, seconds in (
    ("plain Keras", results.keras_seconds_per_epoch),
    ("Keras with our recipe", results.keras_same_recipe_seconds_per_epoch),
    ("ours", results.ours_seconds_per_epoch),
):
    print(f"best compiled epoch, {name}: {seconds:.3f} s")
same = results.ratio_vs_keras_same_recipe
print(
    f"ratio_vs_keras {ratio:.3f} (per epoch "
    f"{results.ratio_vs_keras_per_epoch:.3f}); "
    "ratio_vs_keras_same_recipe "
    + (f"{same:.3f}" if same else "-")
    + f" (per epoch {results.ratio_vs_keras_same_recipe_per_epoch:.3f})"
)
assert results.keras_same_recipe_policy == (
    "mixed_bfloat16" if probe.chosen == "bfloat16" else "float32"
)
if recipe:
    assert math.isclose(same, ours / recipe, rel_tol=2e-3)

# %% [markdown]
# Test accuracy against wall-clock time. Each Keras line is one seed, one point per epoch;
# ours are the five points at the end of their schedules, the only time they saw the test set.

# %%
fig, ax = plt.subplots(figsize=(7, 3.6))
for seed, run in results.baseline_by_seed.items():
    seconds = [row.seconds for row in run.history]
    accuracy = [100 * row.test_accuracy for row in run.history]
    ax.plot(
        seconds,
        accuracy,
        "o-",
        markersize=3,
        linewidth=1,
        label=f"Keras model.fit, seed {seed}",
    )
for seed, run in results.keras_same_recipe_by_seed.items():
    ax.plot(
        [row.seconds for row in run.history],
        [100 * row.test_accuracy for row in run.history],
        "s--",
        markersize=3,
        linewidth=1,
        label=f"Keras with our recipe, seed {seed}",
    )
ax.plot(
    list(results.ours_seconds_by_seed.values()),
    [
        100 * accuracy
        for accuracy in results.ours_test_accuracy_by_seed.values()
    ],
    "*",
    color="black",
    markersize=11,
    label="snippets/fast.py, seeds " + ", ".join(results.ours_seconds_by_seed),
)
ax.axhline(100 * target, color="grey", linestyle="--", linewidth=0.8)
ax.set_xscale("log")
ax.set_xticks([1, 2, 5, 10, 20, 50, 100])
ax.xaxis.set_major_formatter(ScalarFormatter())
ax.xaxis.set_minor_formatter(NullFormatter())
ax.set_xlabel("wall-clock seconds (log scale), compilation included")
ax.set_ylabel("test accuracy (%)")
ax.set_ylim(90, 99)
ax.legend(fontsize=8, loc="lower right")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Lever by lever
#
# Each row adds one change to the last kept row. A lever is kept ("yes") only if it helped
# in this run: its whole run was shorter than that row's by more than the noise of the run.
# Label smoothing and Adam's beta2 are judged by accuracy instead, with a margin too: the
# lever's row and the row it changes ran five seeds each, and the lever raised the
# validation accuracy only if the means differ by more than two standard errors. Inside
# that noise it is kept only if it costs no time. The time
# noise is how far apart the whole runs of our seeds ended, leaving out the first seed: it
# is the process's first fast run and also pays one-off start-up (kernel set-up, the first
# tracing), which would inflate the margin. Its time still counts for ours above.
# "s/epoch" is the best epoch after the first (other programs can only slow an epoch
# down), "compile" the first epoch's extra time, "total" the whole run of the schedule, and
# "valid" the accuracy on the 5,000 validation images at the end.
# The Keras row is its fastest seed; the chapter's trainer ran two epochs and its epochs
# include its validation pass.

# %%
levers = results.levers
threads = [
    SimpleNamespace(
        **vars(row),
        name=f"final, intra-op threads {row.intra_op_threads}",
        kept=None,
    )
    for row in results.threads
]
print(f"{'':34} {'s/epoch':>8} {'compile':>8} {'total':>7} {'valid':>7}  kept")
for row in levers + threads:
    valid = (
        f"{row.valid_accuracy:.2%}" if row.valid_accuracy is not None else "-"
    )
    kept = {True: "yes", False: "no", None: ""}[row.kept]
    print(
        f"{row.name:34} {row.seconds_per_epoch:8.3f} "
        f"{row.compile_seconds:8.2f} "
        f"{row.total_seconds:7.2f} {valid:>7}  {kept}"
    )

if results.levers_rejudged:
    rejudged = results.levers_rejudged
    print(
        f"\njudged again on {rejudged.date}, "
        f"on {rejudged.machine.cpu}: {rejudged.measured}"
    )
for index, row in enumerate(levers):
    if row.judged_by == "accuracy":
        before = [e for e in levers[2:index] if e.kept is not False][-1]
        print(
            f"\n{row.name}: validation "
            f"{seed_spread(row.valid_accuracy_by_seed)}\n"
            "  the row before: "
            f"{seed_spread(before.valid_accuracy_by_seed)}"
            f"\n  {row.accuracy_verdict}"
        )

first = levers[2]
last = [row for row in levers[2:] if row.kept is not False][-1]
print(
    f"\nper epoch, the last lever is "
    f"{first.seconds_per_epoch / last.seconds_per_epoch:.1f}x "
    "faster than the first, "
    f"{levers[0].seconds_per_epoch / last.seconds_per_epoch:.1f}x "
    "faster than Keras"
)
assert levers[0].name.startswith("Keras") and all(
    row.seconds_per_epoch > 0 for row in levers
)
assert last.seconds_per_epoch < first.seconds_per_epoch

# %% [markdown]
# The rows marked "no" were measured and left out. Each against the kept row before it,
# over the whole run of its schedule, compilation included:

# %%
noise = results.lever_noise
# the spread of our seeds' whole schedules after the first (the building
# before each left out, as in the lever rows), at least 2 %
by_seed = results.ours_seconds_by_seed
building = results.ours_building_seconds_by_seed
first, *later = by_seed
later_seconds = [by_seed[seed] - building[seed] for seed in later]
spread = (max(later_seconds) - min(later_seconds)) / min(later_seconds)
print(
    f"noise of this run: {noise:.1%} (seeds {', '.join(later)} ended "
    f"{spread:.1%} apart; seed {first}, which also paid the start-up, "
    "left out)"
)
assert results.lever_noise_seeds == later
assert math.isclose(noise, spread, rel_tol=2e-3) or spread < noise <= 0.02
for index, row in enumerate(levers):
    if row.kept is False:
        kept_before = [e for e in levers[2:index] if e.kept is not False]
        before = kept_before[-1]
        print(
            f"{row.name:18} {row.total_seconds:5.2f} s in total "
            f"({row.compile_seconds:.2f} s of it compiling), "
            f"against {before.total_seconds:5.2f} s without"
        )
        if row.judged_by == "time":
            floor = (1 - noise) * before.total_seconds
            assert row.total_seconds >= floor
differ = results.levers_differ_from_fast_in
print(
    "the kept levers add up to what the fast trainer runs here"
    if not differ
    else f"the kept levers differ from what the fast trainer runs in: {differ}"
)

# %%
fig, ax = plt.subplots(figsize=(7, 4.2))
names = [row.name for row in levers]
colors = [
    "#999999" if row.kept is None else "#1f77b4" if row.kept else "#ff7f0e"
    for row in levers
]
ax.barh(names, [row.seconds_per_epoch for row in levers], color=colors)
limits = results.arithmetic_limit_seconds_per_epoch
ax.axvline(
    limits["float32"],
    color="black",
    linestyle="--",
    linewidth=0.8,
    label="float32 arithmetic limit",
)
ax.axvline(
    limits["bfloat16"],
    color="black",
    linestyle=":",
    linewidth=0.8,
    label="bfloat16 arithmetic limit",
)
ax.invert_yaxis()
ax.set_xlabel(
    "seconds per epoch once compiled\n(grey: references; orange: measured, "
    "not kept)"
)
ax.legend(fontsize=8, loc="center right")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## The limit
#
# An epoch of the fast schedule is a fixed amount of arithmetic: the matrix products of
# the forward and backward passes over its full batches (counted below). The machine's
# peak is the best throughput the benchmark measured for a large square product, at any of
# three sizes. At that rate the epoch's arithmetic alone takes the time below; an epoch
# cannot be faster than that without doing less arithmetic. The epoch's own products are
# smaller and thinner (a batch by 784 pixels times 784x256, and the backward ones), so the
# benchmark also times exactly those, all of one step's in one call.

# %%
flops = results.flops
config = results.ours_config
forward, backward = matmul_flops(config.batch_size, [784, *config.hidden, 10])
steps = flops.examples_per_epoch // config.batch_size
assert flops.per_epoch == steps * (forward + backward)
print(
    f"{steps} steps x {forward + backward:,} FLOPs = "
    f"{flops.per_epoch / 1e9:.1f} GFLOP an epoch\n"
)
for dtype, by_size in results.matmul_gflops_by_size.items():
    sizes = ", ".join(
        f"{n}-square {gflops:.0f}" for n, gflops in by_size.items()
    )
    print(f"{dtype:>8} products, GFLOP/s: {sizes}")
peak, peak_bf16 = (
    results.matmul_peak_gflops,
    results.bf16_matmul_peak_gflops,
)
print(f"peak: float32 {peak:.0f} GFLOP/s, bfloat16 {peak_bf16:.0f} GFLOP/s")
print(
    f"so an epoch takes at least {limits['float32']:.3f} s in float32, "
    f"{limits['bfloat16']:.3f} s in bfloat16\n"
)
achieved = results.ours_gflops
print(
    f"measured: {results.ours_median_seconds_per_epoch:.3f} s an epoch "
    "(median), "
    f"{achieved:.0f} GFLOP/s: "
    f"{results.fraction_of_matmul_peak:.2f} of the float32 peak, "
    f"{results.fraction_of_bf16_matmul_peak:.2f} of the bfloat16 peak"
)
at_shapes = results.matmul_gflops_at_epoch_shapes
print(
    "at the epoch's own shapes: "
    + ", ".join(f"{dtype} {gflops:.0f}" for dtype, gflops in at_shapes.items())
    + " GFLOP/s"
)
print(
    f"ours: {results.fraction_of_best_matmul_peak:.2f} of the best square "
    f"peak, {results.fraction_of_matmul_peak_at_epoch_shapes:.2f} of the "
    "best at the epoch's shapes"
)
assert math.isclose(
    results.fraction_of_best_matmul_peak,
    achieved / max(peak, peak_bf16),
    rel_tol=2e-3,
)
assert math.isclose(
    results.fraction_of_matmul_peak_at_epoch_shapes,
    achieved / max(at_shapes.values()),
    rel_tol=2e-3,
)
compile_share = results.ours_compile_seconds / results.ours_seconds_to_98
print(
    f"compilation: {results.ours_compile_seconds:.2f} s, "
    f"{compile_share:.0%} of our slowest run"
)
assert peak == max(results.matmul_gflops_by_size["float32"].values())
assert math.isclose(
    achieved,
    flops.per_epoch / results.ours_median_seconds_per_epoch / 1e9,
    rel_tol=2e-3,
)
assert math.isclose(
    results.fraction_of_matmul_peak, achieved / peak, rel_tol=2e-3
)
assert math.isclose(
    limits["bfloat16"], flops.per_epoch / peak_bf16 / 1e9, rel_tol=2e-3
)
