"""How sure a number is: an accuracy's interval, a spread over seeds, and a
paired test.

Every accuracy the site prints goes through this module, so that it says how
sure it is:

- one run on n digits: the Wilson 95 % interval of the accuracy;
- several seeds: the mean, and the spread (lowest-highest for five seeds or
  fewer, the standard deviation for more);
- two networks on the same digits: McNemar's exact test, which looks only at
  the digits on which the two disagree.

NumPy and the standard library only: no TensorFlow. Taught on the system page
(docs/system.md, "How sure is a number?"); tested by tests/test_system.py.

Run it as a script to see how wide the interval is at the site's sizes:

    python -m snippets.uncertainty
"""

import math
from dataclasses import dataclass

import numpy as np

# The 97.5th percentile of the standard normal: 95 % of it lies within +-Z95.
Z95 = 1.959963984540054


# --8<-- [start:wilson]
def wilson_interval(correct, n, z=Z95):
    """The Wilson score interval (95 % by default) of an accuracy of correct
    out of n.

    Unlike the textbook p +- z sqrt(p (1 - p) / n), it stays inside [0, 1]
    and does not collapse to a width of zero when every digit (or none) is
    right."""
    if n <= 0 or not 0 <= correct <= n:
        raise ValueError(f"need 0 <= correct <= n and n > 0: {correct}, {n}")
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    spread = math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    half = z / (1 + z * z / n) * spread
    # At none or all right, one end is exactly 0 or 1 (rounding would miss it).
    low = 0.0 if correct == 0 else max(0.0, centre - half)
    high = 1.0 if correct == n else min(1.0, centre + half)
    return low, high


# --8<-- [end:wilson]


def percent(value, digits=2):
    """0.98137 -> '98.14'."""
    return f"{100 * value:.{digits}f}"


def accuracy_with_interval(correct, n, digits=2):
    """'98.14 % (97.86-98.39 %)': correct out of n, and its 95 % interval."""
    low, high = wilson_interval(correct, n)
    middle = percent(correct / n, digits)
    return f"{middle} % ({percent(low, digits)}-{percent(high, digits)} %)"


def accuracy_of(accuracy, n, digits=2):
    """The same from an accuracy (a fraction) measured on n digits."""
    return accuracy_with_interval(round(accuracy * n), n, digits)


@dataclass(frozen=True)
class Spread:
    """Accuracies of one recipe over several seeds."""

    mean: float
    sd: float  # the sample standard deviation (over n - 1); 0 for one seed
    low: float
    high: float
    seeds: int

    def __str__(self):
        return self.describe()

    def describe(self, digits=2):
        """'98.21 % (98.14-98.25 % over 5 seeds)' for five seeds or fewer, else
        '98.30 % ± 0.08 (sd over 30 seeds)'."""
        if self.seeds <= 5:
            low, high = percent(self.low, digits), percent(self.high, digits)
            return (
                f"{percent(self.mean, digits)} % ({low}-{high} % "
                f"over {self.seeds} seeds)"
            )
        return (
            f"{percent(self.mean, digits)} % ± {percent(self.sd, digits)}"
            f" (sd over {self.seeds} seeds)"
        )


# --8<-- [start:spread]
def seed_spread(accuracies):
    """The mean of a recipe's accuracies over seeds, and their spread."""
    values = np.asarray(accuracies, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError("seed_spread needs a non-empty list of accuracies")
    sd = float(values.std(ddof=1)) if values.size > 1 else 0.0
    low, high = float(values.min()), float(values.max())
    return Spread(float(values.mean()), sd, low, high, values.size)


# --8<-- [end:spread]


@dataclass(frozen=True)
class PairedTest:
    """Two networks on the same digits: how many only one gets right."""

    only_a: int  # A right, B wrong
    only_b: int  # B right, A wrong
    # McNemar's exact two-sided test: how likely so uneven a split is by chance
    p_value: float

    def verdict(self, a="A", b="B", alpha=0.05):
        """One sentence in the site's wording: who is better, or neither."""
        counts = (
            f"McNemar p = {self.p_value:.2g} ({a} right and {b} wrong "
            f"on {self.only_a} digits, the reverse on {self.only_b})"
        )
        if self.p_value >= alpha:
            return f"no difference detected: {counts}"
        better, worse = (a, b) if self.only_a > self.only_b else (b, a)
        return f"{better} is better than {worse}: {counts}"


def binomial_two_sided(k, n):
    """The exact two-sided p-value of k or fewer successes (the smaller side)
    in n fair coin tosses, summed in logs so that thousands don't underflow."""
    if n == 0:
        return 1.0
    k = min(k, n - k)
    log_half = n * math.log(0.5)
    log_choose = [
        math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
        for i in range(k + 1)
    ]
    terms = [c + log_half for c in log_choose]
    top = max(terms)
    tail = math.exp(top) * sum(math.exp(t - top) for t in terms)
    return min(1.0, 2 * tail)


# --8<-- [start:mcnemar]
def mcnemar(a_right, b_right):
    """McNemar's exact test for two networks on the same digits.

    a_right and b_right say, digit by digit, whether each network read it
    correctly. The digits both get right or both get wrong say nothing about
    which is better; under "no difference" each digit only one of them gets
    right is equally likely to be either's."""
    a_right = np.asarray(a_right, dtype=bool)
    b_right = np.asarray(b_right, dtype=bool)
    if a_right.shape != b_right.shape or a_right.ndim != 1:
        raise ValueError("mcnemar needs two equally long lists, one per digit")
    only_a = int(np.sum(a_right & ~b_right))
    only_b = int(np.sum(b_right & ~a_right))
    p_value = binomial_two_sided(min(only_a, only_b), only_a + only_b)
    return PairedTest(only_a, only_b, p_value)


# --8<-- [end:mcnemar]


def separated(spread_a, spread_b, standard_errors=2.0):
    """Whether two recipes' mean accuracies over seeds differ by more than
    twice the standard error of their difference (the deeper page's rule)."""
    a, b = spread_a, spread_b
    error = math.sqrt(a.sd**2 / a.seeds + b.sd**2 / b.seeds)
    return abs(a.mean - b.mean) > standard_errors * error


def main():
    sizes = [(10_000, 0.98), (10_000, 0.993), (5_000, 0.983), (1_500, 0.96)]
    for n, p in sizes:
        low, high = wilson_interval(round(p * n), n)
        half = 100 * (high - low) / 2
        print(
            f"{n:>6,} digits at {percent(p, 1)} %: "
            f"{percent(low)}-{percent(high)} % (± {half:.2f} points)"
        )


if __name__ == "__main__":
    main()
