"""Checks of the exercises of "The complete system" (docs/system.md)."""

import json
import math
from dataclasses import asdict

from snippets.checkpoint import changed_settings
from snippets.common import probability
from snippets.config import PRESETS, TrainConfig
from snippets.exercises import Exercise, Wrong


def check_keep_prob(keep_prob):
    for text in ("1", "0.5", "0.8", "1e-3"):
        got = keep_prob(text)
        if not isinstance(got, float) or got != probability(text):
            raise Wrong(
                f"keep_prob({text!r}) should be {probability(text)!r}, not {got!r}."
            )
    for text in ("0", "-0.5", "1.5", "nan", "inf", "half", ""):
        try:
            got = keep_prob(text)
        except ValueError:
            continue
        raise Wrong(
            f"keep_prob({text!r}) returned {got!r}; it should raise ValueError."
        )


def check_changed_settings(changed):
    saved = asdict(PRESETS["course"])
    cases = [
        dict(saved),  # the same run: nothing changed
        dict(saved, epochs=40),  # only epochs: a resumed run may extend it
        dict(saved, learning_rate=0.01, epochs=40),
        dict(saved, hidden=(512,), keep_prob=0.5, seed=3),
    ]
    for wanted in cases:
        expected = sorted(
            line.split()[0] for line in changed_settings(saved, wanted)
        )
        got = sorted(changed(saved, wanted))
        if got != expected:
            raise Wrong(
                f"for a run that changes {expected or 'nothing'}, you said {got}."
            )


def check_last_json(last_json):
    config = asdict(TrainConfig(epochs=2, limit=3000))
    # As the command writes it: through JSON, so tuples come back as lists.
    result = json.loads(
        json.dumps({"test_accuracy": 0.8749, "epochs": 2, "config": config})
    )
    log = [
        "training 784-256-10 with adam (learning rate 0.001) for up to 2 "
        "epochs",
        "epoch   1/2  train loss 0.98  valid loss 0.47  valid accuracy 0.8828"
        "  (best)",
        "{ not JSON: a log line that starts with a brace",
        "epoch   2/2  train loss 0.47  valid loss 0.41  valid accuracy 0.8958"
        "  (best)",
    ]
    for trailing in ("\n", "\n\n"):
        stdout = "\n".join([*log, json.dumps(result)]) + trailing
        got = last_json(stdout)
        if got != result:
            raise Wrong(
                "the result should be the dictionary of the last JSON line."
            )
    got = last_json("\n".join(log) + "\n")
    if got is not None:
        raise Wrong(
            "with no JSON line (a run that failed), the answer should be None."
        )
    if not math.isclose(
        last_json(json.dumps(result))["test_accuracy"], 0.8749
    ):
        raise Wrong("a single JSON line on its own should be read too.")


EXERCISES = [
    Exercise(
        "keep_prob",
        check_keep_prob,
        "A probability of keeping must be a number, and a unit that is never "
        "kept trains nothing.",
        "float(text) raises ValueError for words; then refuse anything not in (0, 1]; "
        "`not 0 < value <= 1` also catches nan.",
    ),
    Exercise(
        "changed",
        check_changed_settings,
        "Compare the two runs' settings one by one; the number of epochs may "
        "change freely.",
        "compare the two dictionaries key by key, and leave out 'epochs'.",
    ),
    Exercise(
        "last_json",
        check_last_json,
        "The result line is the last one that parses as JSON; other lines may"
        " come after it.",
        "go through the lines from the end, skip blank ones, and return the first that "
        "json.loads accepts (catch json.JSONDecodeError); None when none "
        "does.",
    ),
]
