"""The statistics of a root-cause tree: lift, its interval, its test, and false discoveries.

Every function takes counts (numbers or numpy arrays, vectorised) for one group of
responses (the population of a node) and one condition inside it:

* ``n_all`` responses in the group, ``hits_all`` of them with the target;
* ``n`` responses with the condition, ``hits`` of them with the target.

**Lift** = P(target | condition) / P(target | group) = (hits/n) / (hits_all/n_all).

**Interval**: the condition is compared with the rest of the group (two independent
binomials). Their risk ratio RR = (hits/n) / ((hits_all−hits)/(n_all−n)) gets Koopman's
score interval (Koopman 1984, "Confidence intervals for the ratio of two binomial
proportions", Biometrics 40:513-517), which needs no correction for empty cells and agrees
with the test below: it excludes 1 exactly when the test's p-value is under 0.05. (The
Katz log interval, Katz et al. 1978, is the usual shortcut; it needs 0.5 added to empty
cells and then can disagree with the test, which matters for the small groups deep in a
tree.) With w = n/n_all fixed, the lift is RR / (w·RR + 1 − w), an increasing function of
RR, so the RR interval maps onto an interval for the lift, bounded by 1/w (the lift when
every case is in the condition).

**Test**: Pearson's chi-square test of the 2×2 table (condition or not × target or not),
without continuity correction, i.e. the pooled two-proportion z-test, two-sided; it is
Koopman's score test at RR = 1.

**False discoveries**: Benjamini & Hochberg (1995) adjusted p-values (q-values) across
every condition tested at one level of the tree; a condition is significant when its
q-value is at most ``insights.false_discovery_rate``.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import false_discovery_control, norm

from ..metrics.formulas import Z95


def lift(hits, n, hits_all, n_all) -> np.ndarray:
    """P(target | condition) / P(target | group)."""
    hits, n, hits_all, n_all = (np.asarray(v, float) for v in (hits, n, hits_all, n_all))
    with np.errstate(divide="ignore", invalid="ignore"):
        return (hits / n) / (hits_all / n_all)


def lift_interval(hits, n, hits_all, n_all, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """95% interval of the lift: Koopman's score interval of the risk ratio condition vs
    rest, mapped through lift = RR / (w·RR + 1 − w), w = n / n_all (module docstring)."""
    a, n, t, big_n = (np.asarray(v, float) for v in (hits, n, hits_all, n_all))
    w = n / big_n
    low_rr, high_rr = risk_ratio_interval(a, n, t - a, big_n - n, z)
    point = lift(a, n, t, big_n)  # guards against rounding where a bound is the point itself
    return np.fmin(_rr_to_lift(low_rr, w), point), np.fmax(_rr_to_lift(high_rr, w), point)


def risk_ratio_interval(x1, n1, x2, n2, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Koopman (1984) score interval for RR = (x1/n1) / (x2/n2): every RR0 whose score
    test is not rejected, i.e. ``score(RR0)² <= z²`` with

        score(θ) = (x1/n1 − θ·x2/n2) / sqrt(p̃1(1 − p̃1)/n1 + θ²·p̃2(1 − p̃2)/n2)

    where p̃2, p̃1 = θ·p̃2 are the maximum-likelihood proportions under RR = θ (Farrington &
    Manning 1990): p̃2 = (−B − sqrt(B² − 4AC)) / 2A, A = (n1 + n2)θ,
    B = −(n1·θ + x1 + n2 + x2·θ), C = x1 + x2. score(θ) falls as θ grows, so each bound is
    found by bisection on log θ. The lower bound is 0 when x1 = 0 and the upper one is
    infinite when x2 = 0.
    """
    x1, n1, x2, n2 = np.broadcast_arrays(*(np.asarray(v, float) for v in (x1, n1, x2, n2)))

    def score(log_theta: np.ndarray) -> np.ndarray:
        th = np.exp(log_theta)
        A = (n1 + n2) * th
        B = -(n1 * th + x1 + n2 + x2 * th)
        C = x1 + x2
        p2 = (-B - np.sqrt(np.maximum(B * B - 4 * A * C, 0))) / (2 * A)
        p1 = np.clip(th * p2, 0, 1)
        var = p1 * (1 - p1) / n1 + th * th * p2 * (1 - p2) / n2
        with np.errstate(divide="ignore", invalid="ignore"):
            out = (x1 / n1 - th * x2 / n2) / np.sqrt(var)
        return np.where(var > 0, out, np.where(x1 / n1 - th * x2 / n2 > 0, np.inf, -np.inf))

    def root(target: float) -> np.ndarray:
        lo, hi = np.full(x1.shape, -30.0), np.full(x1.shape, 30.0)
        for _ in range(60):
            mid = (lo + hi) / 2
            above = score(mid) > target
            lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
        return (lo + hi) / 2

    low = np.where(x1 == 0, 0.0, np.exp(root(z)))
    high = np.where(x2 == 0, np.inf, np.exp(root(-z)))
    return low, high


def _rr_to_lift(rr: np.ndarray, w: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.where(np.isinf(rr), 1 / w, rr / (w * rr + 1 - w))


def chi_square_p(hits, n, hits_all, n_all) -> np.ndarray:
    """Two-sided p-value of Pearson's chi-square test of the 2×2 table (no continuity
    correction): condition vs the rest of the group, target or not."""
    a, n, t, big_n = (np.asarray(v, float) for v in (hits, n, hits_all, n_all))
    m = big_n - n
    pooled = t / big_n
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(pooled * (1 - pooled) * (1 / n + 1 / m))
        z = (a / n - (t - a) / m) / se
    p = 2 * norm.sf(np.abs(z))
    return np.where(np.isfinite(p), p, 1.0)


def benjamini_hochberg(p_values) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), in the order given."""
    p = np.asarray(p_values, float)
    if p.size == 0:
        return p
    return false_discovery_control(p, method="bh")
