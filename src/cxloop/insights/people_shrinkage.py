"""Empirical Bayes shrinkage of people's scores toward their group: the arithmetic only.

Two models, each fitted on everyone in the list at once, so that a person with few
answers borrows strength from the group and is never ranked on noise (PRODUCT.md,
"Small groups": shrink toward the parent group and show the interval):

* **Normal-normal** (for NPS; Efron & Morris 1975, Morris 1983 "Parametric empirical
  Bayes inference", JASA 78:47-55). A person's observed mean score ``y_i`` (each answer
  +1, 0 or −1) has sampling variance ``s_i² = v_g / n_i``, where ``v_g = p_P + p_D −
  (p_P − p_D)²`` is the per-answer variance of their group (PRODUCT.md, NPS). True
  scores vary around the group mean ``μ_g`` with between-person variance ``τ²``,
  estimated by the method of moments of DerSimonian & Laird (1986, Controlled Clinical
  Trials 7:177-188) with one mean per group. The shrunk score is
  ``μ_g + (1 − B_i)(y_i − μ_g)`` with ``B_i = s_i² / (s_i² + τ²)``, and its posterior
  variance ``(1 − B_i) s_i²``.
* **Binomial with a fitted prior** (for shares: CSAT top-two box, the share of
  comments carrying a theme). A person's ``k_i`` of ``n_i`` is binomial with their own
  share ``p_i``; the shares' distribution across people (the prior) is fitted to
  everyone's counts by marginal likelihood, nonparametrically on a grid of shares
  (the Kiefer-Wolfowitz NPMLE, fitted by EM; Koenker & Mizera 2014, "Convex
  optimization, shape constraints, compound decisions, and empirical Bayes rules",
  JASA 109:674-685). A single beta prior (Griffiths 1973), tried first, fits the
  many ordinary agents and shrinks the rare real outliers nearly all the way back (1 of the 8
  planted weak agents kept apart on the medium demo); a fitted grid keeps a little
  prior mass where outliers are. Each person's posterior on the grid gives the shrunk
  share (its mean) and the interval (its quantiles).

Neither model adds the uncertainty of the fitted group values (``μ_g``, ``τ²``, ``S``),
so intervals are slightly narrow for groups of very few people.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from ..metrics import formulas

#: The share grid runs from GRID_MIN to 1 − GRID_MIN.
GRID_MIN = 1e-4


@dataclass
class Shrunk:
    """Shrunk estimates and their interval, one entry per person."""

    estimate: np.ndarray
    low: np.ndarray
    high: np.ndarray
    spread: float  # τ (normal model) or the number of grid points (share model)


def nps_variance(promoters: np.ndarray, detractors: np.ndarray, n: np.ndarray) -> np.ndarray:
    """:func:`cxloop.metrics.formulas.nps_variance` on arrays, an empty group counted as 1."""
    n = np.maximum(np.asarray(n, dtype=float), 1.0)
    return formulas.nps_variance(np.asarray(promoters, float), np.asarray(detractors, float), n)


def between_variance(y: np.ndarray, s2: np.ndarray, group: np.ndarray) -> float:
    """DerSimonian-Laird moment estimate of τ² around one weighted mean per group.

    ``Q = Σ w_i (y_i − ȳ_g)²`` with ``w_i = 1/s_i²`` and ``ȳ_g`` the ``w``-weighted mean of
    the person's group; ``E[Q] = (k − G) + τ² · Σ_g (Σ w − Σ w² / Σ w)``, so
    ``τ² = max(0, (Q − (k − G)) / Σ_g (Σ w − Σ w² / Σ w))``.
    """
    w = 1.0 / s2
    _, g = np.unique(group, return_inverse=True)
    sw = np.bincount(g, w)
    mean = np.bincount(g, w * y) / sw
    q = float((w * (y - mean[g]) ** 2).sum())
    c = float((sw - np.bincount(g, w * w) / sw).sum())
    df = len(y) - len(sw)
    return max(0.0, (q - df) / c) if c > 0 else 0.0


def shrink_normal(
    y: np.ndarray, s2: np.ndarray, centre: np.ndarray, tau2: float, level: float
) -> Shrunk:
    """Normal-normal posterior of each person's mean, toward ``centre`` (their group)."""
    y, s2, centre = (np.asarray(a, dtype=float) for a in (y, s2, centre))
    keep = 1.0 - s2 / (s2 + tau2) if tau2 > 0 else np.zeros_like(y)  # 1 − B_i
    est = centre + keep * (y - centre)
    sd = np.sqrt(keep * s2)
    z = stats.norm.ppf(0.5 + level / 2)
    return Shrunk(est, est - z * sd, est + z * sd, float(np.sqrt(tau2)))


def share_grid(centres: np.ndarray = (), points: int = 300) -> np.ndarray:
    """Shares from 0.0001 to 0.9999, evenly spaced on the logit scale, plus ``centres``.

    The group shares are grid points themselves, so a person whose posterior sits on
    their group's share is never "apart" from it by the grid's rounding.
    """
    ends = special.logit(GRID_MIN), special.logit(1 - GRID_MIN)
    grid = special.expit(np.linspace(*ends, points))
    centres = np.clip(np.asarray(centres, float), GRID_MIN, 1 - GRID_MIN)
    return np.unique(np.concatenate([grid, centres]))


def fit_share_prior(
    k: np.ndarray, n: np.ndarray, grid: np.ndarray, iterations: int = 500, tol: float = 1e-8
) -> np.ndarray:
    """Weights on ``grid`` maximising Σ_i log Σ_j w_j Binomial(k_i | n_i, grid_j) (EM).

    Each step is ``w_j ← w_j · mean_i(L_ij / Σ_l L_il w_l)``; it stops when the
    log-likelihood gains less than ``tol`` per person.
    """
    pairs, count = np.unique(np.column_stack([k, n]).astype(float), axis=0, return_counts=True)
    lik = _likelihood(pairs[:, 0], pairs[:, 1], grid)  # people with equal (k, n) counted once
    share = count / count.sum()
    live = lik.max(axis=0) > 1e-12  # grid points no one's data can reach keep weight 0
    lik = lik[:, live]
    w = np.full(int(live.sum()), 1.0 / live.sum())
    last = -np.inf
    for _ in range(iterations):
        mix = lik @ w
        loglik = float(share @ np.log(mix))
        w = w * (lik.T @ (share / mix))
        if loglik - last < tol:
            break
        last = loglik
    full = np.zeros(len(grid))
    full[live] = w
    w = full
    return smooth_prior(w / w.sum(), grid)


def smooth_prior(weights: np.ndarray, grid: np.ndarray, bandwidth: float = 0.2) -> np.ndarray:
    """The fitted prior blurred by a normal kernel of ``bandwidth`` on the logit scale.

    The NPMLE puts its mass on a few atoms; a person's posterior then sits on one atom
    and the interval is too narrow. Blurring (as Efron's smooth g-modelling does,
    Biometrika 2016) gives every posterior a honest width.
    """
    x = special.logit(grid)
    kernel = np.exp(-0.5 * ((x[:, None] - x[None, :]) / bandwidth) ** 2)
    kernel /= kernel.sum(axis=0, keepdims=True)
    out = kernel @ weights
    return out / out.sum()


def shrink_share(
    k: np.ndarray, n: np.ndarray, grid: np.ndarray, weights: np.ndarray, level: float
) -> Shrunk:
    """Posterior of each person's share on ``grid``: mean and equal-tailed interval."""
    post = _likelihood(k, n, grid) * weights
    post /= post.sum(axis=1, keepdims=True)
    cdf = np.cumsum(post, axis=1)
    tail = (1 - level) / 2
    low = grid[np.minimum((cdf < tail).sum(axis=1), len(grid) - 1)]
    high = grid[np.minimum((cdf < 1 - tail).sum(axis=1), len(grid) - 1)]
    return Shrunk(post @ grid, low, high, float(len(grid)))


def _likelihood(k: np.ndarray, n: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Binomial likelihood of each person's count at each grid share, scaled per person."""
    k = np.asarray(k, dtype=float)[:, None]
    n = np.asarray(n, dtype=float)[:, None]
    log = k * np.log(grid) + (n - k) * np.log1p(-grid)
    return np.exp(log - log.max(axis=1, keepdims=True))
