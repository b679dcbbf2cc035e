"""How our people feel vs how customers feel: team-level linkage, month by month.

Answers "does engagement show up in customer scores?" (PRODUCT.md capability C7).
Each team-month carries its pulse measures (eNPS by the NPS formula, PRODUCT.md; the
engagement index = mean 1-5 item score per respondent; each item's mean), its 1:1
check-ins per agent and their notes' mean sentiment, and its customers' NPS and CSAT
(PRODUCT.md). Then:

* :func:`engagement_linkage`: for each measure and outcome, the correlation of this
  month's measure with the outcome the same month and 1..``lags`` months later
  (engagement leading), three ways: **within-team** (each team's months demeaned: "when
  a team's engagement is above its own usual, are its customers happier?"; the pooled
  within-subject correlation of Bland & Altman 1995, BMJ 310:446, with N − G − 1
  degrees of freedom), **pooled** over team-months, and **between teams** (team
  averages). Each r has a 95% Fisher-z interval (``tanh(atanh r ± 1.96·se)``; se =
  1/sqrt(df − 1)) and its numbers of teams and team-months. Months of one team are
  not independent, so the pooled interval is optimistic; the within-team one is the
  one to quote. Association, not proof.
* :func:`engagement_drops`: teams whose engagement index fell (``insights.control_sigma``
  standard errors below its own previous ``insights.baseline_periods`` months) and
  whose customer NPS fell (95% one-sided) within ``lags`` months after, not before.

Anonymity (PRODUCT.md): a pulse cell (team-month, or team-month-item) with fewer than
``privacy.min_pulse_group`` respondents is dropped before anything is computed, so
it appears in no output, no baseline and no correlation; outputs do not change
whatever its answers are, and no difference of two outputs can reveal it. 1:1
check-ins give two measures: how many were held per agent, and the mood of their notes
(:mod:`.checkin_mood`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)

from ..errors import MissingData, UnknownMetric
from ..metrics.dimensions import apply_filters, period_start
from ..metrics.formulas import DETRACTOR_MAX, PROMOTER_MIN, Z95
from .checkin_mood import add_checkin_mood
from .people_shrinkage import nps_variance

OUTCOMES = ("nps", "csat")
#: Team-month measures besides each pulse item ("item:<name>").
MEASURES = ("enps", "engagement", "checkins_per_agent", "checkin_mood")
_CAVEAT = "an association across teams and months, not proof that one causes the other"


@dataclass
class Link:
    """One measure-outcome correlation at one lag."""

    measure: str
    outcome: str
    lag: int
    kind: str  # within-team, pooled, between-teams
    r: float | None
    low: float | None
    high: float | None
    teams: int
    team_months: int
    sentence: str

    def to_dict(self) -> dict:
        return asdict(self)


# -- the team-month table ------------------------------------------------------------------


def team_months(ws, since: dt.date | None = None, until: dt.date | None = None) -> dict:
    """``{(team, month): {measure: value, ...}}`` with every small pulse cell removed.

    Pulse values of a cell are present only where its respondents (for an item: those
    who answered it) number at least ``privacy.min_pulse_group``.
    """
    store, con = ws.analytics, ws.analytics.con
    minimum = ws.settings.privacy.min_pulse_group
    if store.count("pulses") == 0:
        raise MissingData("linkage needs pulses; run `cxloop ingest pulses FILE`")
    p = apply_filters(store.table("pulses"), "period", since, until)
    p = p.mutate(month=period_start(p.period, "month"))
    cells: dict[tuple, dict] = defaultdict(dict)
    q = p.filter(p.enps.notnull())
    g = q.group_by("team_id", "month").aggregate(
        n=q.count(),
        promoters=(q.enps >= PROMOTER_MIN).ifelse(1, 0).sum(),
        detractors=(q.enps <= DETRACTOR_MAX).ifelse(1, 0).sum(),
    )
    for r in con.to_pyarrow(g.filter(g.n >= minimum)).to_pylist():
        cells[(r["team_id"], r["month"])]["enps"] = (r["promoters"] - r["detractors"]) / r["n"]
        cells[(r["team_id"], r["month"])]["enps_n"] = r["n"]
    ratings = store.table("pulse_ratings")
    rated = ratings.inner_join(p.select("pulse_response_id", "team_id", "month"),
                               "pulse_response_id")  # fmt: skip
    per = rated.group_by("team_id", "month", "pulse_response_id").aggregate(
        s=rated.value.sum(), c=rated.value.count()
    )
    _engagement(cells, con.to_pyarrow(per), minimum)
    items = rated.group_by("team_id", "month", "item").aggregate(
        n=rated.value.count(), total=rated.value.sum()
    )
    for r in con.to_pyarrow(items.filter(items.n >= minimum)).to_pylist():
        cells[(r["team_id"], r["month"])][f"item:{r['item']}"] = r["total"] / r["n"]
    _customers(ws, cells, since, until)
    _checkins(ws, cells, since, until)
    add_checkin_mood(ws, cells, since, until)
    return dict(sorted(cells.items()))  # a fixed order: sums (and so rounding) never vary


def _engagement(cells: dict, per, minimum: int) -> None:
    """Engagement index per team-month from each respondent's item sum and count.

    Done here, in a fixed order, rather than as a mean of means in the store: a
    parallel sum in another order can move a value across a rounding boundary.
    """
    per = per.filter(pa.compute.greater(per["c"], 0)).sort_by(
        [("team_id", "ascending"), ("month", "ascending"), ("pulse_response_id", "ascending")]
    )
    if not per.num_rows:
        return
    teams, months = per["team_id"].to_pylist(), per["month"].to_pylist()
    v = per["s"].to_numpy() / per["c"].to_numpy()
    starts = [0] + [
        i for i in range(1, len(v)) if (teams[i], months[i]) != (teams[i - 1], months[i - 1])
    ]
    for a, b in zip(starts, [*starts[1:], len(v)], strict=True):
        if b - a >= minimum:
            x = v[a:b]
            cells[(teams[a], months[a])].update(
                engagement=float(x.mean()), engagement_n=b - a,
                engagement_var=float(x.var(ddof=1)) if b - a > 1 else 0.0,
            )  # fmt: skip


def _customers(ws, cells: dict, since, until) -> None:
    t = apply_filters(ws.analytics.table("responses"), "responded_at", since, until)
    t = t.filter(t.team_id.notnull())
    g = t.group_by(team_id=t.team_id, month=period_start(t.responded_at, "month")).aggregate(
        n=t.nps.count(),
        promoters=(t.nps >= PROMOTER_MIN).ifelse(1, 0).sum(),
        detractors=(t.nps <= DETRACTOR_MAX).ifelse(1, 0).sum(),
        csat_n=t.csat.count(),
        csat_top=(t.csat >= 4).ifelse(1, 0).sum(),
    )
    for r in ws.analytics.con.to_pyarrow(g).to_pylist():
        cell = cells[(r["team_id"], r["month"])]
        if r["n"]:
            cell.update(nps=(r["promoters"] - r["detractors"]) / r["n"], nps_n=r["n"],
                        nps_var=float(nps_variance(r["promoters"], r["detractors"], r["n"])))  # fmt: skip
        if r["csat_n"]:
            cell["csat"] = r["csat_top"] / r["csat_n"]


def _checkins(ws, cells: dict, since, until) -> None:
    """Check-ins held per agent of the team that month (agents counted from employees)."""
    store = ws.analytics
    if store.count("checkins") == 0:
        return
    emp = store.table("employees")
    agents = store.con.to_pyarrow(
        emp.filter(emp.role == "agent").select("team_id", "started_on", "left_on")
    ).to_pylist()
    c = apply_filters(store.table("checkins"), "held_on", since, until)
    staff = emp.filter(emp.role == "agent").select("employee_id", "team_id")
    c = c.inner_join(staff, "employee_id")  # agents' check-ins; leaders' own are not counted
    g = c.group_by("team_id", month=period_start(c.held_on, "month")).aggregate(held=c.count())
    for r in store.con.to_pyarrow(g).to_pylist():
        key = (r["team_id"], r["month"])
        if key not in cells:
            continue
        month_end = add_months(r["month"], 1)
        head = sum(1 for a in agents if a["team_id"] == r["team_id"]
                   and (a["started_on"] is None or a["started_on"] < month_end)
                   and (a["left_on"] is None or a["left_on"] >= r["month"]))  # fmt: skip
        if head:
            cells[key]["checkins_per_agent"] = r["held"] / head


def add_months(month: dt.date, k: int) -> dt.date:
    """The first day of the month ``k`` months after ``month``."""
    i = month.year * 12 + month.month - 1 + k
    return dt.date(i // 12, i % 12 + 1, 1)


# -- linkage -------------------------------------------------------------------------------


def engagement_linkage(
    ws,
    lags: int = 3,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    measures: list[str] | None = None,
) -> list[Link]:
    """Correlations of each engagement measure with NPS and CSAT, at lags 0..``lags``."""
    cells = team_months(ws, since, until)
    found = sorted({k for c in cells.values() for k in c
                    if k in MEASURES or k.startswith("item:")})  # fmt: skip
    unknown = sorted(set(measures or []) - set(found))
    if unknown:
        raise UnknownMetric(f"no such measure {unknown[0]!r} in this window; "
                            f"choose from: {', '.join(found)}")  # fmt: skip
    out = []
    for m in measures or found:
        for y in OUTCOMES:
            for lag in range(lags + 1):
                x_, y_, team = _pairs(cells, m, y, lag)
                out.append(_within(m, y, lag, x_, y_, team))
                out.append(_pooled(m, y, lag, x_, y_, team))
            out.append(_between(cells, m, y))
    return out


def _pairs(cells: dict, measure: str, outcome: str, lag: int):
    xs, ys, teams = [], [], []
    for (team, month), c in cells.items():
        if measure not in c:
            continue
        later = cells.get((team, add_months(month, lag)), {})
        if outcome in later:
            xs.append(c[measure])
            ys.append(later[outcome])
            teams.append(team)
    return np.array(xs, float), np.array(ys, float), np.array(teams, dtype=object)


def fisher_interval(r: float, df: int, z: float = Z95) -> tuple[float, float]:
    """95% interval of a correlation by Fisher's z: ``tanh(atanh r ± z/sqrt(df − 1))``.

    ``df`` is the residual degrees of freedom (N − 2 for a plain Pearson r).
    """
    r = float(np.clip(r, -0.999999, 0.999999))
    half = z / np.sqrt(max(df - 1, 1))
    return float(np.tanh(np.arctanh(r) - half)), float(np.tanh(np.arctanh(r) + half))


def _corr(x: np.ndarray, y: np.ndarray) -> float | None:
    sx, sy = np.sqrt((x * x).sum()), np.sqrt((y * y).sum())
    return float((x * y).sum() / (sx * sy)) if sx > 0 and sy > 0 else None


def _link(measure, outcome, lag, kind, r, df, teams, n) -> Link:
    low, high = fisher_interval(r, df) if r is not None and df >= 2 else (None, None)
    return Link(measure, outcome, lag, kind, _round(r), _round(low), _round(high), teams, n,
                _link_sentence(measure, outcome, lag, kind, r, low, high, teams, n))  # fmt: skip


def _within(measure, outcome, lag, x, y, team) -> Link:
    groups, g = np.unique(team, return_inverse=True) if len(team) else ([], team)
    if len(x) - len(groups) < 3:
        return _link(measure, outcome, lag, "within-team", None, 0, len(groups), len(x))
    dx = x - (np.bincount(g, x) / np.bincount(g))[g]
    dy = y - (np.bincount(g, y) / np.bincount(g))[g]
    r = _corr(dx, dy)
    return _link(measure, outcome, lag, "within-team", r, len(x) - len(groups) - 1,
                 len(groups), len(x))  # fmt: skip


def _pooled(measure, outcome, lag, x, y, team) -> Link:
    r = _corr(x - x.mean(), y - y.mean()) if len(x) >= 4 else None
    return _link(measure, outcome, lag, "pooled", r, len(x) - 2, len(set(team)), len(x))


def _between(cells: dict, measure: str, outcome: str) -> Link:
    xs: dict = defaultdict(list)
    ys: dict = defaultdict(list)
    for (team, _), c in cells.items():
        if measure in c:
            xs[team].append(c[measure])
        if outcome in c:
            ys[team].append(c[outcome])
    teams = sorted(set(xs) & set(ys))
    x = np.array([np.mean(xs[t]) for t in teams])
    y = np.array([np.mean(ys[t]) for t in teams])
    r = _corr(x - x.mean(), y - y.mean()) if len(teams) >= 4 else None
    n = sum(len(xs[t]) for t in teams)
    return _link(measure, outcome, 0, "between-teams", r, len(teams) - 2, len(teams), n)


def _link_sentence(measure, outcome, lag, kind, r, low, high, teams, n) -> str:
    what = {"enps": "eNPS", "engagement": "engagement", "checkins_per_agent": "1:1 check-ins",
            "checkin_mood": "check-in mood"}  # fmt: skip
    m = what.get(measure, measure.replace("item:", "the pulse item "))
    o = outcome.upper()
    if r is None:
        return f"Too few team-months to relate {m} to customer {o}."
    when = "the same month" if lag == 0 else f"{lag} month{'s' * (lag > 1)} later"
    if kind == "between-teams":
        lead = f"Teams with higher {m} have {'higher' if r > 0 else 'lower'} customer {o}"
    elif kind == "within-team":
        lead = (f"When a team's {m} is above its own usual, its customer {o} {when} tends to "
                f"be {'higher' if r > 0 else 'lower'}")  # fmt: skip
    else:
        lead = f"Across team-months, {m} and customer {o} {when} move {'together' if r > 0 else 'apart'}"
    sure = "" if low is not None and (low > 0 or high < 0) else " (the interval includes no link)"
    return (f"{lead}: r = {r:.2f} (95% interval {low:.2f} to {high:.2f}; {teams} teams, "
            f"{n} team-months){sure}; {_CAVEAT}.") if low is not None else (
            f"{lead}: r = {r:.2f} ({teams} teams, {n} team-months); {_CAVEAT}.")  # fmt: skip


def _round(v: float | None) -> float | None:
    return None if v is None else round(float(v), 3)
