"""How a discovered theme moves over time and where it concentrates, with tests and n.

* :func:`trend`: the theme's count and the number of comments per week or month, and
  whether its share of comments in the last period differs from its share before.
  The test conditions on the theme's mentions in both windows: if the share did not
  change, the last period's count is Binomial(mentions, comments in the last period /
  all comments) (an exact test of two Poisson rates).
* :func:`over_represented`: the teams, channels (any grouping) whose comments hold more
  of the theme than their share of all comments, with the lift, n and a one-sided
  binomial p-value, kept only if they survive Benjamini-Hochberg at 5% across every
  value tested for the theme.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import stats

ALPHA = 0.05
MIN_GROUP_COUNT = 3
TOP_GROUPS = 3
WEEKS_BEFORE_MONTHS = 16  # a span longer than this is shown by month


@dataclass
class Trend:
    """The theme per period and the change of its share in the last period."""

    period: str  # "week" or "month"
    counts: list[dict] = field(default_factory=list)  # {"period", "count", "total"}
    last_count: int = 0
    last_total: int = 0
    before_count: int = 0
    before_total: int = 0
    ratio: float | None = None  # share in the last period / share before
    p_value: float | None = None
    direction: str = "no earlier period"  # rising | falling | no clear change | ...
    statement: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class GroupLift:
    """A group (team, channel, ...) where the theme is more common than overall."""

    dimension: str
    value: str
    count: int  # the theme's comments in this group
    theme_total: int  # the theme's comments with a known value of this dimension
    group_total: int  # all comments in this group
    lift: float  # share of the theme's comments in the group / share of all comments
    p_value: float

    def to_dict(self) -> dict:
        return asdict(self)


def to_days(dates: Sequence | None, n: int) -> np.ndarray | None:
    """Dates (date, datetime, numpy or ISO strings; None allowed) as ``datetime64[D]``."""
    if dates is None:
        return None
    if len(dates) != n:
        raise ValueError(f"dates has {len(dates)} values for {n} texts")
    values = np.array(
        [np.datetime64(d, "D") if d is not None else np.datetime64("NaT") for d in dates],
        dtype="datetime64[D]",
    )
    return values


def period_starts(days: np.ndarray, grain: str) -> np.ndarray:
    """The first day of each date's week (Monday) or month."""
    if grain == "month":
        return days.astype("datetime64[M]").astype("datetime64[D]")
    # 1970-01-01 was a Thursday: three days after a Monday
    offset = (days.astype(np.int64) + 3) % 7
    return days - offset.astype("timedelta64[D]")


def choose_grain(days: np.ndarray) -> str:
    known = days[~np.isnat(days)]
    if len(known) == 0:
        return "week"
    span = (known.max() - known.min()).astype(int)
    return "week" if span <= 7 * WEEKS_BEFORE_MONTHS else "month"


def trend(members: np.ndarray, days: np.ndarray, grain: str) -> Trend:
    """The trend of the units ``members`` among all units dated ``days``."""
    known = ~np.isnat(days)
    starts = period_starts(days[known], grain)
    first, last = starts.min(), starts.max()
    if grain == "month":
        months = np.arange(first.astype("datetime64[M]"), last.astype("datetime64[M]") + 1)
        periods = months.astype("datetime64[D]")
    else:
        periods = np.arange(first, last + 1, 7)
    totals = np.bincount(np.searchsorted(periods, starts), minlength=len(periods))
    mine = members[known[members]]
    mine_starts = period_starts(days[mine], grain)
    counts = np.bincount(np.searchsorted(periods, mine_starts), minlength=len(periods))
    out = Trend(grain)
    out.counts = [
        {"period": str(p), "count": int(c), "total": int(t)}
        for p, c, t in zip(periods, counts, totals, strict=True)
    ]
    out.last_count, out.last_total = int(counts[-1]), int(totals[-1])
    out.before_count, out.before_total = int(counts[:-1].sum()), int(totals[:-1].sum())
    _test_growth(out)
    return out


def _test_growth(t: Trend) -> None:
    x1, n1, x0, n0 = t.last_count, t.last_total, t.before_count, t.before_total
    if n0 == 0 or n1 == 0 or x0 + x1 == 0:
        t.statement = f"all {x0 + x1} in one {t.period}: no earlier {t.period} to compare"
        return
    s1, s0 = x1 / n1, x0 / n0
    t.ratio = round(s1 / s0, 3) if s0 > 0 else None
    t.p_value = float(stats.binomtest(x1, x0 + x1, n1 / (n0 + n1)).pvalue)
    if t.p_value < ALPHA:
        t.direction = "rising" if s1 > s0 else "falling"
    else:
        t.direction = "no clear change"
    t.statement = (
        f"{t.direction}: {100 * s1:.1f}% of comments in the last {t.period} ({x1:,} of {n1:,}) "
        f"vs {100 * s0:.1f}% before ({x0:,} of {n0:,}); p = {t.p_value:.2g}"
    )


def encode_groups(groups: dict[str, Sequence] | None, n: int) -> dict[str, tuple]:
    """Each dimension's values as (codes, names); code -1 marks a missing value."""
    out: dict[str, tuple] = {}
    for dim, values in (groups or {}).items():
        if len(values) != n:
            raise ValueError(f"group {dim!r} has {len(values)} values for {n} texts")
        text = np.array(["" if v is None else str(v) for v in values], dtype=object)
        names, codes = np.unique(text, return_inverse=True)
        codes = codes.astype(np.int64)
        if len(names) and names[0] == "":
            codes -= 1
            names = names[1:]
        out[dim] = (codes, names)
    return out


def over_represented(members: np.ndarray, encoded: dict[str, tuple]) -> list[GroupLift]:
    """The groups most over-represented among ``members`` (significant after BH at 5%)."""
    tests: list[tuple] = []
    for dim, (codes, names) in encoded.items():
        if len(names) < 2:
            continue
        overall = np.bincount(codes[codes >= 0], minlength=len(names))
        mine_codes = codes[members]
        mine_codes = mine_codes[mine_codes >= 0]
        n_theme, n_all = len(mine_codes), int(overall.sum())
        if n_theme == 0:
            continue
        mine = np.bincount(mine_codes, minlength=len(names))
        base = overall / n_all
        p = stats.binom.sf(mine - 1, n_theme, base)
        lift = (mine / n_theme) / base
        for v in range(len(names)):
            tests.append((dim, str(names[v]), int(mine[v]), n_theme, int(overall[v]),
                          float(lift[v]), float(p[v])))  # fmt: skip
    if not tests:
        return []
    q = stats.false_discovery_control([t[6] for t in tests])
    kept = [
        GroupLift(*t[:5], round(t[5], 2), t[6])
        for t, qv in zip(tests, q, strict=True)
        if qv < ALPHA and t[2] >= MIN_GROUP_COUNT and t[5] > 1
    ]
    kept.sort(key=lambda g: (-g.lift, g.p_value))
    return kept[:TOP_GROUPS]
