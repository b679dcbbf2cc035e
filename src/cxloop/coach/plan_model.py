"""The statistics of coaching plans: whose share of a theme, or whose KPI, is worse than
their group's, how sure we are, and how to rank it.

Shares (the share of an agent's tagged comments carrying a theme, PRODUCT.md "Small
groups"): the binomial model with a fitted prior of
:mod:`cxloop.insights.people_shrinkage`, fitted across all agents (or teams) at once
and compared with the whole centre, as :mod:`cxloop.insights.fair_scores` does. From
each person's posterior on the share grid come the shrunk share (its mean), the
interval at ``insights.support_level`` and the **probability worse** (the posterior
mass beyond the centre's share).

KPIs per contact (AHT, transfers, FCR...): the normal-normal model of the same module
(DerSimonian-Laird τ² with one mean per team), each agent shrunk toward their team's
mean (a phone team and an e-mail team do not handle the same contacts), with the
probability worse from the normal posterior.

A finding is **significant** when its interval lies wholly on the worse side (the
"needs support" rule of fair scores), and **to watch** when it is not but the
probability worse is at least :data:`WATCH` (0.8). **Rank** = probability worse ×
relative gap, the gap being how far the shrunk value is beyond the group's, as a share
of the group's value (a theme at 15% against 2.5% is a gap of 5; 0.45 transfers per
contact against 0.30 is 0.5): unit-free, so themes and KPIs rank on one scale, and an
uncertain gap counts for less than a sure one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..insights import people_shrinkage as eb
from .plan_evidence import Counts

#: Lowest probability worse for a non-significant finding to be listed "to watch".
WATCH = 0.8


@dataclass
class Fit:
    """A model fitted to everyone: arrays over ``ids`` (raw, shrunk, low, high are
    in the metric's own scale: a share 0-1, or the KPI's unit)."""

    ids: list[str]
    n: np.ndarray
    k: np.ndarray
    raw: np.ndarray
    shrunk: np.ndarray
    low: np.ndarray
    high: np.ndarray
    group: np.ndarray
    p_above: np.ndarray  # posterior probability that the true value is above the group's
    index: dict[str, int]

    def at(self, pid: str) -> int | None:
        return self.index.get(pid)

    def worse(self, i: int, higher_is_worse: bool) -> tuple[float, bool, float]:
        """(probability worse, significant, rank score) of person ``i``."""
        p = float(self.p_above[i] if higher_is_worse else 1.0 - self.p_above[i])
        sig = bool(self.low[i] > self.group[i] + 1e-12 if higher_is_worse
                   else self.high[i] < self.group[i] - 1e-12)  # fmt: skip
        gap = (self.shrunk[i] - self.group[i]) * (1 if higher_is_worse else -1)
        rel = gap / max(abs(float(self.group[i])), 1e-9)
        return p, sig, p * max(rel, 0.0)


def fit_shares(c: Counts, level: float) -> Fit:
    """The share model on everyone's counts, each compared with the centre's share."""
    n = np.asarray(c.n, float)
    k = np.asarray(c.k, float)
    centre = float(np.clip(k.sum() / max(n.sum(), 1.0), eb.GRID_MIN, 1 - eb.GRID_MIN))
    grid = eb.share_grid([centre])
    weights = eb.fit_share_prior(k, n, grid)
    fit = eb.shrink_share(k, n, grid, weights, level)
    post = _posterior(k, n, grid, weights)
    p_above = post[:, grid > centre + 1e-12].sum(axis=1)
    return Fit(list(c.ids), n, k, k / np.maximum(n, 1), fit.estimate, fit.low, fit.high,
               np.full(len(n), centre), p_above, {a: i for i, a in enumerate(c.ids)})  # fmt: skip


def fit_means(
    ids: list[str], teams: list[str], n: np.ndarray, mean: np.ndarray, sd: np.ndarray, level: float
) -> Fit:
    """The normal-normal model on per-contact means, each agent toward their team's mean.

    ``s_i² = sd_i² / n_i`` (an agent with no spread borrows the median agent's spread);
    the team mean is weighted by contacts.
    """
    n = np.asarray(n, float)
    mean = np.asarray(mean, float)
    sd = np.asarray(sd, float)
    good = sd[np.isfinite(sd) & (sd > 0)]
    sd = np.where(np.isfinite(sd) & (sd > 0), sd, np.median(good) if len(good) else 1.0)
    s2 = sd**2 / np.maximum(n, 1)
    _, g = np.unique(np.array(teams, dtype=object).astype(str), return_inverse=True)
    centre = (np.bincount(g, n * mean) / np.bincount(g, n))[g]
    tau2 = eb.between_variance(mean, s2, g)
    fit = eb.shrink_normal(mean, s2, centre, tau2, level)
    post_sd = (fit.high - fit.low) / (2 * stats.norm.ppf(0.5 + level / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(post_sd > 0, (fit.estimate - centre) / post_sd, 0.0)
    p_above = np.where(post_sd > 0, stats.norm.cdf(z), 0.5)
    return Fit(list(ids), n, n * mean, mean, fit.estimate, fit.low, fit.high, centre, p_above,
               {a: i for i, a in enumerate(ids)})  # fmt: skip


def _posterior(k: np.ndarray, n: np.ndarray, grid: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Each person's posterior on ``grid``: the binomial likelihood times the prior
    weights (the posterior ``people_shrinkage.shrink_share`` summarises)."""
    log = k[:, None] * np.log(grid) + (n - k)[:, None] * np.log1p(-grid)
    post = np.exp(log - log.max(axis=1, keepdims=True)) * weights
    return post / post.sum(axis=1, keepdims=True)
