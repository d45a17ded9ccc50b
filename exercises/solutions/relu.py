"""Worked solutions of the exercises of "Rectified linear units" (shown on the page)."""

import numpy as np

from snippets.relu import after_one_epoch


# --8<-- [start:relu_gradient]
def relu_gradient(x):
    # 1 on the rising side, 0 on the flat side; x > 0 is False at x = 0,
    # which gives 0 there, as TensorFlow does
    return (np.asarray(x) > 0).astype(np.float32)


# --8<-- [end:relu_gradient]


# --8<-- [start:linear_pieces]
def linear_pieces(w, b, v):
    change = {}  # the slope's change at each x where some unit bends
    for w_i, b_i, v_i in zip(w, b, v):
        if w_i != 0:  # w_i = 0: the unit is a constant and never bends
            bend = -b_i / w_i
            # passing the bend, the unit's slope goes from 0 to w_i or back,
            # so the slope of f changes by |w_i| v_i there
            change[bend] = change.get(bend, 0.0) + abs(w_i) * v_i
    bends = [x for x, total in change.items() if not np.isclose(total, 0.0)]
    return len(bends) + 1


# --8<-- [end:linear_pieces]


# --8<-- [start:xor_network]
def xor_network():
    w1 = np.array([[1.0, 1.0], [1.0, 1.0]])  # both units add the inputs
    b1 = np.array([0.0, -1.0])  # the second is on only at (1, 1)
    w2 = np.array([[1.0], [-2.0]])  # x1 + x2 - 2 relu(x1 + x2 - 1)
    b2 = np.array([0.0])
    return w1, b1, w2, b2


# --8<-- [end:xor_network]


# --8<-- [start:dead_units_sweep]
def dead_units_sweep(data, learning_rates):
    results = []
    for rate in learning_rates:
        # each run starts from the same initial weights (seed 0)
        dead, accuracy, _ = after_one_epoch(rate, data)
        results.append((dead, accuracy))
    return results


# --8<-- [end:dead_units_sweep]
