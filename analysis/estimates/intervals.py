"""90 % intervals for the simple numbers chart titles compare: a proportion (Wilson) and a
median (distribution-free, from order statistics). A title states a finding only when the
interval supports it (docs/charts.md)."""

from __future__ import annotations

import math

import numpy as np

Z90 = 1.645


def wilson_low(k: int, n: int, z: float = Z90) -> float:
    """Lower end of the Wilson interval of k successes in n."""
    if n == 0:
        return 0.0
    p = k / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)


def median_interval(values, z: float = Z90) -> tuple[float, float]:
    """A 90 % interval for the median of `values`: the order statistics at ranks n/2 ∓
    z·√n/2 (the binomial count of values below the median, in its normal approximation).
    Needs no assumption about the distribution (turn lengths are far from normal)."""
    ordered = np.sort(np.asarray(values, dtype=float))
    n = len(ordered)
    if n == 0:
        return float("nan"), float("nan")
    half = z * math.sqrt(n) / 2
    low = max(0, int(math.floor(n / 2 - half)))
    high = min(n - 1, int(math.ceil(n / 2 + half)) - 1)
    return float(ordered[low]), float(ordered[max(high, low)])


def poisson_interval(n: int, z: float = Z90) -> tuple[float, float]:
    """A 90 % interval for a count's expected value (exact, from the chi-square link)."""
    from scipy.stats import chi2

    tail = 1 - _normal_cdf(z)
    low = chi2.ppf(tail, 2 * n) / 2 if n > 0 else 0.0
    return float(low), float(chi2.ppf(1 - tail, 2 * n + 2) / 2)


def _normal_cdf(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))
