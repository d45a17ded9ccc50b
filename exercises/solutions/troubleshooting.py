"""Worked solutions of the exercises of "Troubleshooting" (shown on the page)."""

import numpy as np


# --8<-- [start:log_softmax]
def log_softmax(logits):
    # After the shift the largest logit of each row is 0: exp() stays in (0, 1]
    # and the sum is at least 1, so the log is finite.
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


# --8<-- [end:log_softmax]


# --8<-- [start:dead_units]
def dead_units(hidden):
    # Dead: zero on every example, so its largest output over the batch is 0.
    return np.mean(hidden.max(axis=0) == 0)


# --8<-- [end:dead_units]


# --8<-- [start:scale_pixels]
def scale_pixels(raw):
    # float32 first; the scale is the format's 255, not the batch's maximum.
    return raw.reshape(len(raw), -1).astype(np.float32) / 255


# --8<-- [end:scale_pixels]
