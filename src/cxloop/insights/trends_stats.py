"""The statistics behind trends and channel gaps: tests, intervals and the false-discovery step.

Everything here works on counts (aggregated in the store) and returns plain numbers, so
each formula has a hand-computed test.

* Share vs share: Fisher's exact test when any expected cell count is under 5
  (Cochran's rule), else the two-proportion z-test with the pooled share (the Pearson
  χ² test of the 2×2 table); the ratio of two shares with the Katz log interval; the
  difference of two shares (in points) with the Agresti-Caffo interval (Agresti & Caffo
  2000: one success and one failure added to each group).
* NPS vs NPS: each response scores +1, 0 or −1 with variance
  ``p_P + p_D − (p_P − p_D)²`` (PRODUCT.md, NPS); the difference of two NPS has standard
  error ``sqrt(var₁/n₁ + var₀/n₀)·100`` and is tested with a z-test.
* Many candidates at once: Benjamini-Hochberg (1995) adjusted p-values (q-values); a
  candidate is significant when its q-value is at most the false discovery rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..metrics.formulas import Z95, nps_variance

#: Cochran's rule: below this expected count in any cell, use Fisher's exact test.
MIN_EXPECTED = 5.0


@dataclass(frozen=True)
class Comparison:
    """One group (or window) against its reference: effect, 95% interval and p-value."""

    effect: float
    low: float
    high: float
    p_value: float


def benjamini_hochberg(p_values) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values: ``q₍ᵢ₎ = min over j ≥ i of p₍ⱼ₎·m/j``.

    A candidate is a discovery at false discovery rate α when its q-value is ≤ α.

    >>> [round(float(q), 3) for q in benjamini_hochberg([0.01, 0.04, 0.03, 0.005])]
    [0.02, 0.04, 0.04, 0.02]
    """
    p = np.asarray(p_values, dtype=float)
    if p.size == 0:
        return p
    return stats.false_discovery_control(p, method="bh")


def share_p_value(x1: int, n1: int, x0: int, n0: int) -> float:
    """Two-sided p-value that ``x1/n1`` and ``x0/n0`` come from the same share.

    Fisher's exact test when an expected count is under 5, else the pooled z-test.
    """
    if n1 <= 0 or n0 <= 0:
        return 1.0
    total, hits = n1 + n0, x1 + x0
    expected = [n * k / total for n in (n1, n0) for k in (hits, total - hits)]
    if min(expected) < MIN_EXPECTED:
        table = [[x1, n1 - x1], [x0, n0 - x0]]
        return float(stats.fisher_exact(table).pvalue)
    pooled = hits / total
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    z = (x1 / n1 - x0 / n0) / se
    return float(2 * stats.norm.sf(abs(z)))


def share_ratio(x1: int, n1: int, x0: int, n0: int, z: float = Z95) -> Comparison:
    """Ratio of two shares ``(x1/n1) / (x0/n0)`` with the Katz log interval.

    ``se(log ratio) = sqrt(1/x1 − 1/n1 + 1/x0 − 1/n0)``; with a zero count, 0.5 is added to
    every count (Haldane) so the ratio and interval stay finite.
    """
    p = share_p_value(x1, n1, x0, n0)
    a1, m1, a0, m0 = float(x1), float(n1), float(x0), float(n0)
    if 0 in (x1, x0):
        a1, m1, a0, m0 = a1 + 0.5, m1 + 0.5, a0 + 0.5, m0 + 0.5
    ratio = (a1 / m1) / (a0 / m0)
    se = math.sqrt(max(1 / a1 - 1 / m1 + 1 / a0 - 1 / m0, 0.0))
    return Comparison(ratio, ratio * math.exp(-z * se), ratio * math.exp(z * se), p)


def share_difference(x1: int, n1: int, x0: int, n0: int, z: float = Z95) -> Comparison:
    """Difference of two shares in points, with the Agresti-Caffo 95% interval.

    The interval adds one success and one failure to each group:
    ``p̃ᵢ = (xᵢ + 1)/(nᵢ + 2)``, ``se = sqrt(Σ p̃ᵢ(1 − p̃ᵢ)/(nᵢ + 2))``.
    """
    diff = (x1 / n1 - x0 / n0) * 100
    a1, a0 = (x1 + 1) / (n1 + 2), (x0 + 1) / (n0 + 2)
    se = math.sqrt(a1 * (1 - a1) / (n1 + 2) + a0 * (1 - a0) / (n0 + 2))
    centre = (a1 - a0) * 100
    return Comparison(
        diff, centre - z * se * 100, centre + z * se * 100, share_p_value(x1, n1, x0, n0)
    )


def nps_difference(
    promoters1: int,
    detractors1: int,
    n1: int,
    promoters0: int,
    detractors0: int,
    n0: int,
    z: float = Z95,
) -> Comparison:
    """NPS₁ − NPS₀ in points with its 95% interval and the z-test p-value (PRODUCT.md, NPS)."""
    diff = ((promoters1 - detractors1) / n1 - (promoters0 - detractors0) / n0) * 100
    var = nps_variance(promoters1, detractors1, n1) / n1
    var += nps_variance(promoters0, detractors0, n0) / n0
    se = math.sqrt(var) * 100
    if se == 0:
        return Comparison(diff, diff, diff, 1.0 if diff == 0 else 0.0)
    p = float(2 * stats.norm.sf(abs(diff / se)))
    return Comparison(diff, diff - z * se, diff + z * se, p)


def step_start(values: np.ndarray, weights: np.ndarray, usual: float, rise: bool) -> int | None:
    """Index of the most likely start of a step away from ``usual``, or None.

    ``values`` are per-day sums (hits, or summed scores) and ``weights`` per-day counts.
    For each day d, the days from d to the end are compared with ``usual``: the start is
    the d whose excess ``Σ(values) − usual·Σ(weights)``, divided by ``sqrt(Σ weights)``,
    is largest in the direction of the change (a one-sided maximum-z change point with
    the level before it fixed at the usual one). Days without data cannot start a step.
    """
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    tail_v = np.cumsum(values[::-1])[::-1]
    tail_w = np.cumsum(weights[::-1])[::-1]
    ok = (weights > 0) & (tail_w > 0)
    if not ok.any():
        return None
    excess = tail_v - usual * tail_w
    score = np.where(ok, excess / np.sqrt(np.where(tail_w > 0, tail_w, 1)), -np.inf)
    if not rise:
        score = np.where(ok, -score, -np.inf)
    best = int(np.argmax(score))
    return best if score[best] > 0 else None


def ratio_words(ratio: float) -> str:
    """``3.4x`` under 10, ``25x`` from 10."""
    return f"{ratio:.1f}x" if ratio < 10 else f"{ratio:.0f}x"
