"""Worked solutions of the exercises of "The complete system" (shown on the page)."""

import json


# --8<-- [start:keep_prob]
def keep_prob(text):
    value = float(text)  # raises ValueError for "half" and ""
    if not 0.0 < value <= 1.0:  # nan fails every comparison, so it lands here
        raise ValueError(f"keep_prob must be in (0, 1], got {text}")
    return value


# --8<-- [end:keep_prob]


# --8<-- [start:changed]
def changed(saved, wanted):
    return [
        key
        for key, value in wanted.items()
        if key != "epochs" and saved.get(key) != value
    ]


# --8<-- [end:changed]


# --8<-- [start:last_json]
def last_json(stdout):
    for line in reversed(stdout.splitlines()):
        if not line.strip():
            continue
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            continue  # a log line, even one that starts with "{"
    return None


# --8<-- [end:last_json]
