"""Figures of "Making it fast", read from the committed runs of `make bench`, one per CPU
generation (benchmarks/speed/, read through benchmarks/results.py; nothing is trained
here): the race against both Keras baselines, and the levers, a panel per generation."""

import matplotlib.pyplot as plt
from matplotlib.patches import Patch

from benchmarks.results import GENERATIONS, WALL, committed
from figures import COLORS, ink

# What the build redraws this page's figures for, besides code (docs/hooks/generated.py).
INPUTS = ["benchmarks/speed/*.json"]


def curves(runs):
    """{seed: (seconds, test accuracies)}, one point per epoch."""
    return {
        seed: (
            [epoch.seconds for epoch in run.history],
            [epoch.test_accuracy for epoch in run.history],
        )
        for seed, run in runs.items()
    }


def race():
    """For each committed generation: test accuracy after each epoch against the seconds it
    took, for each seed of plain Keras and of Keras with our recipe (seeds 0, 1 and 2); and
    ours, measured once at the end of its fixed schedule, for each of its seeds (0 to 4)."""
    return {
        generation: {
            "target": r.target_accuracy,
            "keras": curves(r.baseline_by_seed),
            "recipe": curves(r.keras_same_recipe_by_seed),
            "ours": {
                seed: (r.ours_seconds_by_seed[seed], accuracy)
                for seed, accuracy in r.ours_test_accuracy_by_seed.items()
            },
            "baseline_seconds": r.baseline_seconds_to_98,
            "recipe_seconds": r.keras_same_recipe_seconds_to_98,
            "ours_seconds": r.ours_seconds_to_98,
            "cpu": r.machine.cpu,
        }
        for generation, r in committed().items()
    }


def panels(data, width, height, **options):
    """A figure with the generations side by side, and each one's axes and data."""
    figure, axes = plt.subplots(
        1,
        len(data),
        figsize=(width * len(data), height),
        squeeze=False,
        **options,
    )
    return figure, [
        (ax, generation, data[generation])
        for ax, generation in zip(axes[0], data)
    ]


def draw_race(data):
    figure, drawn = panels(data, 7.2, 4.0)
    for ax, generation, panel in drawn:
        race_panel(ax, panel)
        if len(drawn) > 1:
            ax.set_title(
                f"{GENERATIONS[generation]} ({panel['cpu']})", fontsize=10
            )
    figure.tight_layout()
    return figure


def race_panel(ax, data):
    ax.axhline(100 * data["target"], color=ink(), linewidth=1, linestyle="--")
    ax.text(
        0.99,
        100 * data["target"],
        f"target {100 * data['target']:.1f} %",
        transform=ax.get_yaxis_transform(),
        ha="right",
        va="bottom",
        fontsize=9,
    )
    for key, color, marker, label in (
        (
            "keras",
            COLORS[4],
            "o",
            "Keras model.fit, one line per seed, a point per epoch",
        ),
        ("recipe", COLORS[2], "s", "Keras with our recipe, one line per seed"),
    ):
        for index, (seconds, accuracy) in enumerate(data[key].values()):
            ax.plot(
                seconds,
                [100 * a for a in accuracy],
                color=color,
                marker=marker,
                markersize=3,
                linewidth=1,
                alpha=0.6 + 0.2 * index,
                label=label if index == 0 else None,
            )
    seconds, accuracy = zip(*data["ours"].values())
    ax.scatter(
        seconds,
        [100 * a for a in accuracy],
        color=COLORS[1],
        marker="D",
        s=40,
        zorder=3,
        label=f"ours, one point for each of its {len(seconds)} seeds: the whole fixed schedule",
    )
    for x, color in (
        (data["baseline_seconds"], COLORS[4]),
        (data["recipe_seconds"], COLORS[2]),
        (data["ours_seconds"], COLORS[1]),
    ):
        if (
            x is not None
        ):  # a baseline that never reached the target has no line
            ax.axvline(x, color=color, linewidth=1, linestyle=":")
    ax.set_xscale("log")
    ax.set_xlabel("seconds of training (log scale; compiling included)")
    ax.set_ylabel("test accuracy (%)")
    keras_curves = [*data["keras"].values(), *data["recipe"].values()]
    low = min(min(a) for _, a in keras_curves)
    high = max(max(max(a) for _, a in keras_curves), *accuracy)
    ax.set_ylim(100 * low - 0.2, 100 * high + 0.15)
    ticks = [1, 2, 5, 10, 20, 50, 100]
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.minorticks_off()
    ax.legend(loc="lower right", fontsize=9)


def levers():
    """For each committed generation, each lever's row of the benchmark: seconds per epoch
    and for the whole run, whether it was kept (it helped on the machine that ran it); and
    the floor an epoch's arithmetic sets at the measured matmul peaks."""
    return {
        generation: {
            "rows": [
                {
                    "name": row.name,
                    "kept": row.kept,
                    "seconds_per_epoch": row.seconds_per_epoch,
                    "total_seconds": row.total_seconds,
                    "epochs": row.epochs,
                }
                for row in r.levers
            ],
            "floor": r.arithmetic_limit_seconds_per_epoch,
            "cpu": r.machine.cpu,
        }
        for generation, r in committed().items()
    }


def draw_levers(data):
    figure, axes = plt.subplots(
        len(data),
        2,
        figsize=(9.6, 4.2 * len(data)),
        sharey="row",
        squeeze=False,
    )
    for (epoch_ax, total_ax), (generation, panel) in zip(axes, data.items()):
        handles = levers_panel(epoch_ax, total_ax, panel)
        if len(data) > 1:
            epoch_ax.set_title(
                f"{GENERATIONS[generation]} ({panel['cpu']})",
                fontsize=10,
                loc="left",
            )
    figure.legend(
        handles=handles,
        loc="lower center",
        ncol=2,
        fontsize=9,
        bbox_to_anchor=(0.5, -0.02),
    )
    figure.tight_layout(rect=(0, 0.1 / len(data), 1, 1))
    return figure


def levers_panel(epoch_ax, total_ax, data):
    rows = data["rows"]
    names = [row["name"] for row in rows]
    positions = range(len(rows))
    for ax, key in (
        (epoch_ax, "seconds_per_epoch"),
        (total_ax, "total_seconds"),
    ):
        for y, row in zip(positions, rows):
            kept = row["kept"] is not False
            ax.barh(
                y,
                row[key],
                color=COLORS[0] if kept else "none",
                edgecolor=COLORS[0] if kept else COLORS[5],
                hatch=None if kept else "///",
                linewidth=1,
            )
            text = (
                f"{row[key]:.2f}"
                if key == "seconds_per_epoch"
                else f"{row[key]:.1f} ({row['epochs']} ep.)"
            )
            ax.text(row[key], y, f" {text}", va="center", fontsize=8)
        ax.set_xlim(0, max(row[key] for row in rows) * 1.35)
    handles = [
        Patch(facecolor=COLORS[0], label="kept (or a reference)"),
        Patch(
            facecolor="none",
            edgecolor=COLORS[5],
            hatch="///",
            label="measured, not kept",
        ),
    ]
    for dtype, color in (("float32", COLORS[2]), ("bfloat16", COLORS[3])):
        handles.append(
            epoch_ax.axvline(
                data["floor"][dtype],
                color=color,
                linewidth=1.2,
                linestyle="--",
                label=f"floor: an epoch's products at the {dtype} peak",
            )
        )
    epoch_ax.set_yticks(list(positions), names, fontsize=9)
    epoch_ax.invert_yaxis()
    epoch_ax.set_xlabel("seconds per epoch")
    total_ax.set_xlabel("seconds for the whole run")
    return handles


def step_parts():
    """For each committed generation whose run timed them (benchmarks/parts.py): the
    milliseconds of kernel time per step of each part, and a step's wall time, in each
    type of products."""
    return {
        generation: {
            "milliseconds": r.step_parts.milliseconds,
            "cpu": r.machine.cpu,
            "chosen": r.compute_dtype_probe.chosen,
        }
        for generation, r in committed().items()
        if r.step_parts is not None
    }


def draw_step_parts(data):
    rows = [
        (
            f"{generation}, {dtype}"
            + (" (chosen)" if dtype == panel["chosen"] else ""),
            parts,
        )
        for generation, panel in data.items()
        for dtype, parts in panel["milliseconds"].items()
    ]
    # narrow enough to stay legible on a phone's width
    figure, ax = plt.subplots(figsize=(6.4, 1.9 + 1.0 * len(rows)))
    names = [part for part in rows[0][1] if part != WALL]
    for y, (_, parts) in enumerate(rows):
        left = 0.0
        for index, part in enumerate(names):
            ax.barh(
                y,
                parts[part],
                left=left,
                height=0.5,
                # the last part, other kernels, in grey: the colours run out
                color=COLORS[index] if index < len(COLORS) else "#999999",
                hatch="///" if "products" in part else None,
                edgecolor=ink(),
                linewidth=0.4,
                label=part if y == 0 else None,
            )
            left += parts[part]
        whole = parts[WALL]
        ax.plot([whole, whole], [y - 0.27, y + 0.27], color=ink(), linewidth=2)
        ax.text(
            0,
            y - 0.3,
            f"wall {whole:.2f} ms a step; kernels {left:.2f} ms",
            va="bottom",
            fontsize=8,
        )
    ax.set_yticks(range(len(rows)), [label for label, _ in rows], fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(
        0,
        max(max(p[WALL], sum(p[n] for n in names)) for _, p in rows) * 1.05,
    )
    ax.set_xlabel("kernel time per step, ms (upright tick: the wall time)")
    ax.legend(
        loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=8
    )
    figure.tight_layout()
    return figure


FIGURES = [
    ("speed-race", race, draw_race),
    ("speed-levers", levers, draw_levers),
    ("speed-step-parts", step_parts, draw_step_parts),
]
