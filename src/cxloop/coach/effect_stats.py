"""The statistics of "did it work?": difference in differences with a bootstrap interval.

Pure numpy, no workspace. For each coached focus area (one agent, one metric, two
windows) and its uncoached peers over the same windows:

    DiD = (after − before)_agent − (after − before)_peers

Point values are the plain ones (a share of 9 of 100 comments is 9%); the interval
comes from 2,000 seeded bootstrap resamples, vectorised over all areas at once:

* **the agent**: each window resampled from its Jeffreys posterior, so a window with 0
  of n never gives a zero-width interval: a share (theme share, CSAT top-two box,
  transfer rate, FCR...) from Beta(k + ½, n − k + ½); NPS (PRODUCT.md: %promoters −
  %detractors) from Dirichlet(promoters + ½, passives + ½, detractors + ½); a mean
  (handle time...) from a normal with the sample's standard error;
* **the peers**: a cluster bootstrap by agent, each peer's whole record (both windows
  together, so the pairing is kept) weighted by a Poisson(1) count (the Poisson
  bootstrap, Hanley & MacGibbon 2006; Chamandy et al. 2012). Peers' value in a
  window is the pooled ratio Σ hits / Σ answers (Σ seconds / Σ contacts for a mean)
  over the resampled peers. Poisson weights of the whole agent list restricted to a
  subset are still independent Poisson(1) weights, so one weight matrix serves every
  area and the peer part is one matrix product.

Shares and NPS are in percentage points, means in the metric's own unit.
:func:`pooled_effect` gives a group of areas (a programme, a leader...) the mean DiD,
with an interval from a two-level bootstrap: areas resampled with replacement, and
within each area its own bootstrap replicate.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

RESAMPLES = 2000
SEED = 20251103
KINDS = ("share", "nps", "mean")


@dataclass(frozen=True)
class Counts:
    """Sufficient statistics of one window for ``m`` areas (arrays of length m).

    ``share``: ``n`` answers, ``hits``; ``nps``: ``n``, ``hits`` = promoters,
    ``bad`` = detractors; ``mean``: ``n``, ``hits`` = sum, ``bad`` = sum of squares.
    """

    kind: str
    n: np.ndarray
    hits: np.ndarray
    bad: np.ndarray | None = None

    def value(self) -> np.ndarray:
        """The plain value of each window (nan where n is 0)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            n = self.n.astype(float)
            if self.kind == "share":
                return self.hits / n * 100
            if self.kind == "nps":
                return (self.hits - _need(self.bad)) / n * 100
            return self.hits / n

    def numerator(self) -> np.ndarray:
        """What is summed over peers before dividing by their Σ n."""
        if self.kind == "nps":
            return (self.hits - _need(self.bad)) * 100.0
        return self.hits * (100.0 if self.kind == "share" else 1.0)


def _one(c: Counts, i: int) -> Counts:
    pick = slice(i, i + 1)
    return Counts(c.kind, c.n[pick], c.hits[pick], None if c.bad is None else c.bad[pick])


def _need(a: np.ndarray | None) -> np.ndarray:
    if a is None:
        raise ValueError("these counts need their second statistic")
    return a


def agent_draws(
    c: Counts, rng: np.random.Generator | list[np.random.Generator], resamples: int = RESAMPLES
) -> np.ndarray:
    """Bootstrap values of each area's window, shape (m, resamples), Jeffreys-smoothed.

    ``rng``: one generator for all areas, or one per area (so that an area's interval
    does not depend on which other areas are computed with it).
    """
    if isinstance(rng, list):
        rows = [agent_draws(_one(c, i), g, resamples)[0] for i, g in enumerate(rng)]
        return np.array(rows).reshape(len(rng), resamples)
    n = c.n.astype(float)[:, None]
    k = c.hits.astype(float)[:, None]
    size = (len(c.n), resamples)
    if c.kind == "share":
        return rng.beta(k + 0.5, np.maximum(n - k, 0) + 0.5, size=size) * 100
    if c.kind == "nps":
        d = _need(c.bad).astype(float)[:, None]
        g_p = rng.gamma(k + 0.5, size=size)
        g_d = rng.gamma(d + 0.5, size=size)
        g_o = rng.gamma(np.maximum(n - k - d, 0) + 0.5, size=size)
        return (g_p - g_d) / (g_p + g_o + g_d) * 100
    sq = _need(c.bad).astype(float)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = k / n
        var = np.maximum(sq - n * mean**2, 0) / np.maximum(n - 1, 1)
        se = np.sqrt(var / n)
    return rng.normal(np.nan_to_num(mean), np.nan_to_num(se), size=size)


def peer_weights(n_agents: int, rng: np.random.Generator, resamples: int = RESAMPLES) -> np.ndarray:
    """Poisson(1) weights, one row per resample and one column per agent."""
    return rng.poisson(1.0, size=(resamples, n_agents)).astype(float)


def peer_values(num: np.ndarray, den: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Pooled peer value per area: Σ num / Σ den over the peers (a column per area).

    ``num`` and ``den`` have one row per agent and one column per area, zero for an
    agent who is not that area's peer. With ``weights`` (resamples × agents) the result
    is (areas × resamples); without, the plain value per area.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        if weights is None:
            return num.sum(axis=0) / den.sum(axis=0)
        return ((weights @ num) / (weights @ den)).T


@dataclass
class DidResult:
    """Per area: the plain difference in differences and its bootstrap replicates."""

    agent_before: np.ndarray
    agent_after: np.ndarray
    peers_before: np.ndarray
    peers_after: np.ndarray
    did: np.ndarray
    draws: np.ndarray  # (areas, resamples)

    def interval(self, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Percentile interval of each area's DiD at ``level``."""
        return percentile_interval(self.draws, level)


def percentile_interval(draws: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    tail = (1 - level) / 2 * 100
    if draws.shape[-1] == 0 or draws.size == 0:
        empty = np.full(draws.shape[:-1], np.nan)
        return empty, empty.copy()
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-nan row gives nan
        low, high = np.nanpercentile(draws, [tail, 100 - tail], axis=-1)
    return low, high


def difference_in_differences(
    before: Counts,
    after: Counts,
    peers_before: tuple[np.ndarray, np.ndarray],
    peers_after: tuple[np.ndarray, np.ndarray],
    *,
    seed: int = SEED,
    resamples: int = RESAMPLES,
    keys: list[int] | None = None,
) -> DidResult:
    """DiD for ``m`` areas of one kind at once.

    ``before``/``after``: the coached agents' counts (length m). ``peers_before`` and
    ``peers_after``: (numerator, Σ n) matrices, agents × areas, zero where an agent is
    not the area's peer (numerators as :meth:`Counts.numerator`). ``keys``: a stable
    number per area; each area's own resamples are then seeded by (seed, key), so its
    interval is the same whatever else is computed with it.

    >>> one = lambda n, k: Counts("share", np.array([n]), np.array([k]))
    >>> peers = lambda k: (np.array([[k * 100.0], [k * 100.0]]), np.array([[50.0], [50.0]]))
    >>> r = difference_in_differences(one(100, 9), one(100, 4), peers(4), peers(3.5))
    >>> round(float(r.did[0]), 6)
    -4.0
    """
    rng = np.random.default_rng(seed)
    a0, a1 = before.value(), after.value()
    p0, p1 = peer_values(*peers_before), peer_values(*peers_after)
    did = (a1 - a0) - (p1 - p0)
    weights = peer_weights(peers_before[0].shape[0], rng, resamples)
    own: np.random.Generator | list[np.random.Generator] = rng
    if keys is not None:
        own = [np.random.default_rng([seed, k]) for k in keys]
    draws_a0 = agent_draws(before, own, resamples)
    draws_a1 = agent_draws(after, own, resamples)
    draws_p0 = peer_values(*peers_before, weights)
    draws_p1 = peer_values(*peers_after, weights)
    draws = (draws_a1 - draws_a0) - (draws_p1 - draws_p0)
    return DidResult(a0, a1, p0, p1, did, draws)


def verdict(low: float, high: float, better: str) -> str:
    """The verdict ("improved", "worse", "no clear change") from an interval and direction."""
    if np.isnan(low) or np.isnan(high):
        return "no clear change"
    good_low = better == "lower"
    if (high < 0) if good_low else (low > 0):
        return "improved"
    if (low > 0) if good_low else (high < 0):
        return "worse"
    return "no clear change"


def pooled_effect(
    did: np.ndarray, draws: np.ndarray, *, seed: int = SEED, level: float = 0.95
) -> tuple[float, float, float]:
    """Mean DiD of a group of areas and its interval: (mean, low, high).

    Two-level bootstrap: each replicate draws the areas with replacement and takes, for
    each drawn area, its own bootstrap replicate of the same index, so both the spread
    between areas and each area's own uncertainty count.

    >>> d = np.array([-4.0, -2.0])
    >>> mean, low, high = pooled_effect(d, np.tile(d[:, None], (1, 200)))
    >>> mean, low <= -3.0 <= high
    (-3.0, True)
    """
    m, b = draws.shape
    if m == 0:
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, m, size=(b, m))
    replicate = draws[pick, np.arange(b)[:, None]]
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        means = np.nanmean(replicate, axis=1)
    low, high = percentile_interval(means[None, :], level)
    return float(np.mean(did)), float(low[0]), float(high[0])
