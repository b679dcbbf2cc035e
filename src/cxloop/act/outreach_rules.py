"""Which customers a theme spike points at: customer-level conditions that over-represent
the customers who raised the theme in a window, found so a person can check them.

The population is every customer active on the window's first day (joined on or before
it; no churn date, or one on or after it). A customer *raised* the theme when a comment of
theirs is tagged with it (answered in the window or up to ``lag_days`` after) or, where a
contact reason has the theme's name, when they contacted the centre for that reason in
the window.

Candidate conditions are customer attributes: product, segment, region, and the cohort
"joined before YEAR" / "joined YEAR or later" at every year between the 5th and 95th
percentiles of joining years. Each gets its lift, P(raised | condition) / P(raised |
group), a 95% interval and a chi-square test from :mod:`cxloop.insights.why_stats` (the
formulas are cited there), with Benjamini-Hochberg at ``insights.false_discovery_rate``
across the conditions tested at each step. The search is greedy: it keeps the significant
condition (lift > 1, at least ``MIN_HITS`` customers raising the theme) that accounts for
the most extra customers at the low end of its interval, ``expected x (low - 1)``, then
looks within it for the next one, one condition per kind, until none is significant.
The customers matching every kept condition are the affected ones: all of them, not only
those who raised the theme.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import numpy as np

from ..insights import why_stats as st

MIN_HITS = 5
MAX_CONDITIONS = 4


@dataclass
class DerivedCondition:
    """One condition kept by the search, with its numbers within the group above it."""

    condition: str  # e.g. "product = credit card"
    kind: str  # product, segment, region, cohort
    step: int
    n: int  # customers in the group above with the condition
    hits: int  # of them, who raised the theme
    group_n: int
    group_hits: int
    lift: float
    low: float
    high: float
    q_value: float
    recall: float  # share of everyone who raised the theme that the path so far keeps

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Candidate:
    kind: str
    label: str
    mask: np.ndarray


def candidates(attrs: dict[str, np.ndarray], joined_year: np.ndarray) -> list[_Candidate]:
    """Every customer-level condition: categorical values and joining-year cohorts."""
    out = []
    for kind in ("product", "segment", "region"):
        col = attrs[kind]
        for v in sorted({x for x in col.tolist() if x is not None}):
            out.append(_Candidate(kind, f"{kind} = {v}", col == v))
    known = joined_year[np.isfinite(joined_year)]
    if known.size:
        first, last = (int(v) for v in np.quantile(known, [0.05, 0.95]))
        for year in range(first + 1, last + 1):
            out.append(_Candidate("cohort", f"joined before {year}", joined_year < year))
            out.append(_Candidate("cohort", f"joined {year} or later", joined_year >= year))
    return out


def derive(
    population: np.ndarray,
    raised: np.ndarray,
    cands: list[_Candidate],
    *,
    fdr: float,
    min_n: int,
) -> tuple[np.ndarray, list[DerivedCondition], list[str]]:
    """(mask of matching customers, the conditions kept, notes) by the greedy search."""
    group = population.copy()
    total = int((raised & population).sum())
    kept: list[DerivedCondition] = []
    used: set[str] = set()
    notes: list[str] = []
    for step in range(1, MAX_CONDITIONS + 1):
        n_all, hits_all = int(group.sum()), int((group & raised).sum())
        if hits_all == 0 or hits_all == n_all:
            break
        rows = [(c, int((group & c.mask).sum()), int((group & c.mask & raised).sum()))
                for c in cands if c.kind not in used]  # fmt: skip
        rows = [(c, n, h) for c, n, h in rows if min_n <= n < n_all]
        if not rows:
            break
        n = np.array([r[1] for r in rows], float)
        h = np.array([r[2] for r in rows], float)
        lift = st.lift(h, n, hits_all, n_all)
        low, high = st.lift_interval(h, n, hits_all, n_all)
        q = st.benjamini_hochberg(st.chi_square_p(h, n, hits_all, n_all))
        ok = (q <= fdr) & (lift > 1) & (h >= MIN_HITS)
        notes.append(f"step {step}: tested {len(rows):,} condition(s), {int(ok.sum()):,} "
                     f"significant after Benjamini-Hochberg at {fdr:g}")  # fmt: skip
        if not ok.any():
            break
        excess_low = np.where(ok, n * hits_all / n_all * (low - 1), -np.inf)
        best = int(np.argmax(excess_low))
        cand = rows[best][0]
        group = group & cand.mask
        used.add(cand.kind)
        kept.append(DerivedCondition(
            condition=cand.label, kind=cand.kind, step=step, n=int(n[best]),
            hits=int(h[best]), group_n=n_all, group_hits=hits_all, lift=float(lift[best]),
            low=float(low[best]), high=float(high[best]), q_value=float(q[best]),
            recall=float((group & raised).sum() / max(total, 1))))  # fmt: skip
    if not kept:
        group = np.zeros_like(population)
    return group, kept, notes


def active_on(since: np.ndarray, churned: np.ndarray, day: dt.date) -> np.ndarray:
    """Customers active on ``day``: joined on or before it and not churned before it
    (arrays of numpy datetime64[D], NaT where unknown)."""
    d = np.datetime64(day, "D")
    joined = np.isnat(since) | (since <= d)
    return joined & (np.isnat(churned) | (churned >= d))
