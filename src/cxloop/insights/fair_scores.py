"""Fair scores for people: each agent's (or team's) score shrunk toward their group.

Answers "who needs help, fairly?" (PRODUCT.md, "Small groups": never rank an agent or
team on fewer responses than the configured minimum; shrink toward the parent group by
empirical Bayes and show the interval). Metrics:

* ``nps``: NPS (PRODUCT.md) from each answer's +1/0/−1 score, normal-normal shrinkage;
* ``csat``: CSAT top-two box (PRODUCT.md), binomial shrinkage with a fitted prior;
* ``theme:<name>``: the share of a person's tagged comments that carry a theme (or any
  child of a parent theme), binomial shrinkage with a fitted prior.

The models are in :mod:`cxloop.insights.people_shrinkage`. Agents are compared with
their team for NPS, and with the whole centre for shares (CSAT, themes: the share
model's prior is fitted across everyone, and a behaviour theme is rare, so a team's
few mentions are no steadier than the agent's own); teams with the centre. Each person gets a status:

* "not enough data": n < ``insights.min_person_responses``; never a rank;
* "needs support" / "stands out": the interval at ``insights.support_level`` lies wholly
  on the worse / better side of the group's value;
* "in line with the group" otherwise.

Only people with a "needs support" or "stands out" status get a rank (1 = best).
:func:`support_flags` checks every agent on every theme of ``insights.agent_themes``
at once. Checking many people and themes needs no further widening: each flag's
posterior chance of being on the group's side is under ``(1 − support_level)/2``, so
under the fitted prior the expected share of mistaken flags among all flags stays
below it however many are checked (Efron 2010, "Large-Scale Inference", ch. 5;
Gelman, Hill & Yajima 2012, "Why we (usually) don't have to worry about multiple
comparisons"). Measured on the demo workspaces: no unplanted agent flagged.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass

import ibis
import numpy as np

from ..errors import AnalysisError, MissingData, UnknownMetric
from ..metrics.dimensions import apply_filters
from ..metrics.formulas import DETRACTOR_MAX, PROMOTER_MIN
from ..text.workspace_tags import require_tags, workspace_taxonomy
from . import people_shrinkage as eb

LEVELS = ("agent", "team")
STATUSES = (
    "needs support",
    "stands out",
    "in line with the group",
    "not enough data",
    "above the group",
    "below the group",
)  # the last two: themes of either polarity
_KEY = {"agent": "agent_id", "team": "team_id"}


@dataclass
class PersonScore:
    """One person's (or team's) fair score, its interval and what it means."""

    level: str
    id: str
    name: str | None
    team_id: str | None
    metric: str
    n: int
    raw: float
    shrunk: float
    low: float
    high: float
    group: str
    group_value: float
    status: str
    rank: int | None
    interval_level: float
    sentence: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Counts:
    ids: list[str]
    team: list[str | None]
    n: np.ndarray
    k: np.ndarray  # hits (share metrics) or promoters (NPS)
    d: np.ndarray  # detractors (NPS only)


def fair_scores(
    ws,
    metric: str = "nps",
    level: str = "agent",
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    team: str | None = None,
) -> list[PersonScore]:
    """Every agent's (``level="agent"``) or team's fair score of ``metric``, worst first.

    ``metric`` is ``nps``, ``csat`` or ``theme:<name>``; ``since``/``until`` keep answers
    given in that window (dates inclusive); ``team`` keeps only that team's agents in
    the output (the model is still fitted on everyone).
    """
    if level not in LEVELS:
        raise AnalysisError(f"unknown level {level!r}; use agent or team")
    polarity, theme = _metric(ws, metric)
    if theme is None:
        counts = _survey_counts(ws, metric, level, since, until)
    else:
        require_tags(ws)
        counts = person_theme_counts(ws, [theme], level, since, until)[theme]
    level_ = ws.settings.insights.support_level
    out = _score(ws, counts, metric, level, polarity, level_)
    if team is not None:
        out = [p for p in out if p.team_id == team or (level == "team" and p.id == team)]
    return out


def support_flags(
    ws,
    since: dt.date | None = None,
    until: dt.date | None = None,
    *,
    themes: list[str] | None = None,
) -> list[PersonScore]:
    """Agents whose share of comments with an agent-facing theme is above the centre's.

    Themes are ``insights.agent_themes`` unless given; the window defaults to the whole
    history (give ``since`` for "now": coached agents who improved drop out).
    """
    require_tags(ws)
    names = list(dict.fromkeys(themes or ws.settings.insights.agent_themes))
    if not names:
        raise AnalysisError("no themes to check: set insights.agent_themes")
    taxonomy = workspace_taxonomy(ws)
    polarities = {t: _metric(ws, f"theme:{t}", taxonomy)[0] for t in names}
    people = agent_names(ws)
    level_ = ws.settings.insights.support_level
    counts = person_theme_counts(ws, names, "agent", since, until)
    flags = []
    for t in names:
        scored = _score(ws, counts[t], f"theme:{t}", "agent", polarities[t], level_, people)
        flags += [p for p in scored if p.status == "needs support"]
    flags.sort(key=lambda p: (p.metric, -abs(p.shrunk - p.group_value)))
    return flags


# -- the model -----------------------------------------------------------------------------


def _score(
    ws, c: _Counts, metric: str, level: str, polarity: str, conf: float, people: dict | None = None
) -> list:
    if not len(c.ids):
        raise MissingData(f"no answers for {metric} by {level} in this window")
    minimum = ws.settings.insights.min_person_responses
    parent = np.array([(t or "") if level == "agent" and metric == "nps" else ""
                       for t in c.team])  # fmt: skip
    groups, g = np.unique(parent, return_inverse=True)
    n = c.n.astype(float)
    if metric == "nps":
        gp, gd, gn = (np.bincount(g, x) for x in (c.k, c.d, n))
        centre = ((gp - gd) / gn)[g]
        s2 = np.maximum(eb.nps_variance(gp, gd, gn)[g], 1e-6) / np.maximum(n, 1)
        y = (c.k - c.d) / np.maximum(n, 1)
        use = n > 0
        tau2 = eb.between_variance(y[use], s2[use], g[use])
        fit = eb.shrink_normal(y, s2, centre, tau2, conf)
        raw = y
    else:
        centre = (np.bincount(g, c.k) / np.bincount(g, n))[g]
        centre = np.clip(centre, eb.GRID_MIN, 1 - eb.GRID_MIN)  # the grid's own end points
        grid = eb.share_grid(np.unique(centre))
        fit = eb.shrink_share(c.k, n, grid, eb.fit_share_prior(c.k, n, grid), conf)
        raw = c.k / np.maximum(n, 1)
    worse_if_high = polarity == "negative"
    better_if_high = polarity == "positive"
    names = (people if people is not None else agent_names(ws)) if level == "agent" else {}
    out = []
    for i, pid in enumerate(c.ids):
        above, below = fit.low[i] > centre[i] + 1e-12, fit.high[i] < centre[i] - 1e-12
        if n[i] < minimum:
            status = "not enough data"
        elif above or below:
            good = (above and better_if_high) or (below and worse_if_high)
            bad = (above and worse_if_high) or (below and better_if_high)
            status = "stands out" if good else "needs support" if bad else (
                "above the group" if above else "below the group")  # fmt: skip
        else:
            status = "in line with the group"
        scale = 100.0
        digits = 1 if metric == "nps" else 2
        p = PersonScore(
            level=level, id=pid, name=names.get(pid), team_id=c.team[i], metric=metric,
            n=int(n[i]), raw=round(scale * raw[i], digits),
            shrunk=round(scale * fit.estimate[i], digits),
            low=round(scale * fit.low[i], digits), high=round(scale * fit.high[i], digits),
            group=(f"team {c.team[i]}" if parent[i] else "centre"),
            group_value=round(scale * centre[i], digits), status=status, rank=None,
            interval_level=round(conf, 4), sentence="",
        )  # fmt: skip
        p.sentence = _sentence(p, c.k[i], minimum)
        out.append(p)
    ranked = [p for p in out if p.status not in ("not enough data", "in line with the group")]
    ranked.sort(key=lambda p: p.shrunk, reverse=not worse_if_high)
    for r, p in enumerate(ranked, start=1):
        p.rank = r
    order = {"needs support": 0, "not enough data": 3, "in line with the group": 2}
    out.sort(key=lambda p: (order.get(p.status, 1), p.shrunk if not worse_if_high else -p.shrunk))
    return out


def _sentence(p: PersonScore, hits: float, minimum: int) -> str:
    who = p.name or p.id
    pct = "" if p.metric == "nps" else "%"
    unit = "comments" if p.metric.startswith("theme:") else "answers"
    if p.metric == "nps":
        seen = f"NPS {p.raw:g} from {p.n:,} {unit}"
    elif p.metric == "csat":
        seen = f"CSAT {p.raw:g}% from {p.n:,} {unit}"
    else:
        seen = f'"{p.metric[6:]}" in {int(hits)} of {p.n:,} {unit} ({p.raw:g}%)'
    group = f"team {p.team_id}" if p.group.startswith("team") else "the centre"
    if p.status == "not enough data":
        return (f"{who}: only {p.n:,} {unit} ({minimum} needed), so no judgement and no rank; "
                f"{group} is at {p.group_value:g}{pct}.")  # fmt: skip
    band = (f"fair estimate {p.shrunk:g}{pct} ({round(100 * p.interval_level, 2):g}% interval "
            f"{p.low:g} to {p.high:g}{pct})")  # fmt: skip
    if p.status == "in line with the group":
        return f"{who}: {seen}; {band}, in line with {group} ({p.group_value:g}{pct})."
    return (
        f"{who}: {seen}; {band}, clearly apart from {group} ({p.group_value:g}{pct}): {p.status}."
    )


# -- the data ------------------------------------------------------------------------------


def _metric(ws, metric: str, taxonomy=None) -> tuple[str, str | None]:
    """(polarity, theme name or None) of a metric name."""
    if metric in ("nps", "csat"):
        return "positive", None
    if metric.startswith("theme:") and metric[6:].strip():
        name = metric[6:].strip()
        taxonomy = taxonomy or workspace_taxonomy(ws)
        if name not in taxonomy:
            raise UnknownMetric(f"unknown theme {name!r}; see `cxloop themes summary`")
        return taxonomy[name].polarity, name
    raise UnknownMetric(f"unknown metric {metric!r}; use nps, csat or theme:<name>")


def _window(ws, since, until) -> ibis.Table:
    t = ws.analytics.table("responses")
    return apply_filters(t, "responded_at", since, until)


def _survey_counts(ws, metric: str, level: str, since, until) -> _Counts:
    t = _window(ws, since, until)
    key = _KEY[level]
    t = t.filter(t[key].notnull() & t[metric].notnull())
    if metric == "nps":
        hits, bad = (t.nps >= PROMOTER_MIN).ifelse(1, 0), (t.nps <= DETRACTOR_MAX).ifelse(1, 0)
    else:
        hits, bad = (t.csat >= 4).ifelse(1, 0), (t.csat < 0).ifelse(1, 0)
    g = t.group_by(key=t[key], team=t.team_id).aggregate(n=t[metric].count(), k=hits.sum(),
                                                         d=bad.sum())  # fmt: skip
    return _collect(ws.analytics.con.to_pyarrow(g).to_pylist(), level)


def person_theme_counts(ws, themes: list[str], level: str, since, until) -> dict[str, _Counts]:
    """Per person: tagged comments, and comments carrying each theme (or a child of it)."""
    key = _KEY[level]
    r = _window(ws, since, until)
    r = r.filter(r[key].notnull())
    tags = ws.analytics.table("comment_tags").select("response_id")
    comments = r.select("response_id", key=r[key], team=r.team_id).inner_join(tags, "response_id")
    base = ws.analytics.con.to_pyarrow(
        comments.group_by("key", "team").aggregate(n=comments.count())
    ).to_pylist()
    found = ws.analytics.table("comment_themes")
    hit = found.filter(found.theme.isin(themes)).select("response_id", name=found.theme)
    by_parent = found.filter(found.parent.isin(themes)).select("response_id", name=found.parent)
    mentions = ibis.union(hit, by_parent, distinct=True).inner_join(comments, "response_id")
    counted = ws.analytics.con.to_pyarrow(
        mentions.group_by("name", "key", "team").aggregate(k=mentions.response_id.nunique())
    ).to_pylist()
    per: dict[str, dict[tuple, int]] = defaultdict(dict)
    for row in counted:
        per[row["name"]][(row["key"], row["team"])] = row["k"]
    return {t: _collect([{**b, "k": per[t].get((b["key"], b["team"]), 0), "d": 0} for b in base],
                        level)  # fmt: skip
            for t in themes}  # fmt: skip


def _collect(rows: list[dict], level: str) -> _Counts:
    """Sum each person's rows; an agent who moved belongs to the team they answered most for."""
    total: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    teams: dict[str, dict[str | None, float]] = defaultdict(lambda: defaultdict(float))
    for r in rows:
        acc = total[r["key"]]
        acc[0] += r["n"]
        acc[1] += r["k"] or 0
        acc[2] += r["d"] or 0
        teams[r["key"]][r["team"]] += r["n"]
    ids = sorted(total)
    team = [r if level == "team" else max(teams[r].items(), key=lambda x: (x[1], str(x[0])))[0]
            for r in ids]  # fmt: skip
    arr = np.array([total[i] for i in ids], dtype=float).reshape(-1, 3)
    return _Counts(ids, team, arr[:, 0], arr[:, 1], arr[:, 2])


def agent_names(ws) -> dict[str, str]:
    e = ws.analytics.table("employees")
    rows = ws.analytics.con.to_pyarrow(e.select("employee_id", "name")).to_pylist()
    return {r["employee_id"]: r["name"] for r in rows if r["name"]}
