"""Judge the levers of an earlier full run again, measuring accuracies only.

Timings need a quiet machine; accuracies do not, so a busy one can do this part
(``python benchmarks/bench.py --rejudge RESULTS``).
"""

import time
from dataclasses import replace

from benchmarks import results as schema
from benchmarks.levers import LEVERS, judge, larger_batch
from benchmarks.machine import machine
from snippets.fast import FAST


def rejudge(path, data, seeds, output):
    """Judge the levers of an earlier full run (``path``) by today's rule
    without timing anything again: a lever judged by accuracy, and the row it
    changed, run the seeds after the first (the first is the row's own run in
    the file), and the larger batch is measured. Fails if a lever's verdict
    changes what was kept: the rows after it were measured on the old chain,
    and only a full run can measure them again."""
    results = schema.load(path)
    rows = results.levers[2:]
    if [row.name for row in rows] != [name for name, *_ in LEVERS]:
        raise ValueError(f"{path} holds other levers than bench.py's")
    config = replace(FAST, epochs=results.ours_config.epochs)
    before = None
    for (name, _, changes, judged_by), row in zip(LEVERS, rows):
        candidate = replace(config, **changes)
        row.judged_by = judged_by
        noise = results.lever_noise
        kept = judge(row, before, config, candidate, data, seeds, noise)
        if kept != row.kept:
            raise RuntimeError(
                f"{name}: kept {kept} by today's rule, {row.kept} in "
                f"{path}; the rows after it need a full run (make bench)"
            )
        if kept is not False:
            config, before = candidate, row
    results.larger_batch = larger_batch(
        data, replace(FAST, epochs=results.ours_config.epochs), seeds
    )
    results.levers_rejudged = schema.Rejudged(
        machine=machine(),
        date=time.strftime("%Y-%m-%d", time.gmtime()),
        measured="the validation accuracy of the seeds after the first ("
        + ", ".join(str(seed) for seed in seeds[1:])
        + ") for each lever judged by accuracy and the row it changes, and "
        "larger_batch; every other number is the full run's",
    )
    schema.save(results, output)
    print(f"wrote {output}")
    return 0
