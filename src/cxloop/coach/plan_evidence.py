"""The data behind coaching plans: per-agent counts of themes, named praise and KPIs, and
the agent's own comments shown as evidence.

Everything is read through Ibis expressions and counted once for all agents (the
shrinkage models of :mod:`cxloop.insights.people_shrinkage` are fitted on everyone):

* theme counts: tagged comments per agent and those carrying each theme (or a child of
  it), exactly as :mod:`cxloop.insights.fair_scores` counts them;
* named praise: the agent's positive comments whose praise names the agent, found by
  :class:`cxloop.text.employee_names.EmployeeNames` (the same rules as ``cxloop stories``);
* KPIs: per agent, the count, mean and standard deviation of each KPI per contact, with
  the per-contact values of the KPI-alignment analysis
  (:mod:`cxloop.insights.kpi_alignment`; PRODUCT.md: AHT = talk + hold + wrap, FCR =
  resolved with no repeat contact in N days);
* evidence: the agent's own comments carrying a theme (for a KPI: their customers'
  negative comments on contacts where the KPI was on the side customers dislike), redacted again with the
  workspace's rules before they are shown (they were redacted on ingest; a second guard,
  as ``cxloop stories`` does), the most specific first and, among equally specific ones,
  the newest.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass

import ibis
import numpy as np

from ..ingest.redact import Redactor
from ..insights.fair_scores import agent_names, person_theme_counts
from ..insights.kpi_alignment import kpi_value
from ..metrics.contact_centre import with_repeat_flag
from ..metrics.dimensions import apply_filters
from ..text.employee_names import EmployeeNames
from ..text.story_text import text_features

#: The pseudo-theme of praise that names the agent.
NAMED_PRAISE = "praise by name"


@dataclass
class Evidence:
    """One of the agent's own customer comments, redacted, with its date."""

    response_id: str
    date: dt.date
    text: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Counts:
    """Per agent (sorted ids): comments looked at (``n``) and those with the theme (``k``)."""

    ids: list[str]
    team: list[str | None]
    n: np.ndarray
    k: np.ndarray


def theme_counts(ws, themes: list[str], since, until) -> dict[str, Counts]:
    """Tagged comments per agent and, per theme, those carrying it (fair_scores' counts)."""
    raw = person_theme_counts(ws, themes, "agent", since, until)
    return {t: Counts(c.ids, c.team, c.n, c.k) for t, c in raw.items()}


def team_theme_counts(ws, themes: list[str], since, until) -> dict[str, Counts]:
    """The same counts per team."""
    raw = person_theme_counts(ws, themes, "team", since, until)
    return {t: Counts(c.ids, c.team, c.n, c.k) for t, c in raw.items()}


def named_praise_counts(ws, base: Counts, since, until) -> Counts:
    """Per agent of ``base``: positive comments whose praise names the agent."""
    store = ws.analytics
    r = _window(ws, since, until)
    r = r.filter(r.agent_id.notnull() & r.comment.notnull())
    tags = store.table("comment_tags")
    tags = tags.filter(tags.sentiment == "positive").select("response_id")
    rows = store.con.to_pyarrow(
        r.inner_join(tags, "response_id").select("agent_id", "comment")
    ).to_pydict()
    names = EmployeeNames(employee_names(ws).items())
    hits: dict[str, int] = defaultdict(int)
    for agent, text in zip(rows["agent_id"], rows["comment"], strict=True):
        link = names.praised(text, agent, praise=True)
        if link is not None and link.employee and link.employee.employee_id == agent:
            hits[agent] += 1
    k = np.array([hits.get(a, 0) for a in base.ids], dtype=float)
    return Counts(base.ids, base.team, base.n, k)


def answer_counts(ws, since, until) -> dict[str, int]:
    """Survey answers (an NPS or CSAT score) per agent in the window."""
    r = _window(ws, since, until)
    r = r.filter(r.agent_id.notnull() & (r.nps.notnull() | r.csat.notnull()))
    got = ws.analytics.con.to_pyarrow(r.group_by("agent_id").aggregate(n=r.count())).to_pydict()
    return dict(zip(got["agent_id"], got["n"], strict=True))


def kpi_stats(ws, keys: list[str], since, until) -> dict[str, dict[str, tuple[int, float, float]]]:
    """Per KPI, per agent: (contacts with a value, mean per contact, standard deviation).

    The FCR repeat flag is set over all contacts first, so a repeat after the window
    still counts (as in ``metrics.contact_centre_kpis``).
    """
    if not keys:
        return {}
    cfg = ws.settings.metrics
    i = ws.analytics.table("interactions")
    if "fcr" in keys:
        i = with_repeat_flag(i, cfg.fcr_repeat_days)
    i = apply_filters(i, "started_at", since, until)
    i = i.filter(i.agent_id.notnull())
    values = {k: kpi_value(k, i, list(cfg.queued_channels), cfg.gos_target_seconds).cast("float64")
              for k in keys}  # fmt: skip
    aggs = {}
    for k, v in values.items():
        aggs[f"{k}__n"] = v.count()
        aggs[f"{k}__mean"] = v.mean()
        aggs[f"{k}__sd"] = v.std()
    got = ws.analytics.con.to_pyarrow(i.group_by("agent_id").aggregate(**aggs)).to_pylist()
    out: dict[str, dict[str, tuple[int, float, float]]] = {k: {} for k in keys}
    for row in got:
        for k in keys:
            n = int(row[f"{k}__n"] or 0)
            if n:
                out[k][row["agent_id"]] = (n, float(row[f"{k}__mean"]),
                                           float(row[f"{k}__sd"] or 0.0))  # fmt: skip
    return out


def employee_names(ws) -> dict[str, str]:
    """Employee id -> name."""
    return agent_names(ws)


def employee_teams(ws) -> dict[str, str | None]:
    """Employee id -> current team."""
    e = ws.analytics.table("employees")
    got = ws.analytics.con.to_pyarrow(e.select("employee_id", "team_id")).to_pydict()
    return dict(zip(got["employee_id"], got["team_id"], strict=True))


def evidence(
    ws, wanted: dict[str, list[tuple[str, str]]], since, until, per_area: int = 3
) -> dict[tuple[str, str], list[Evidence]]:
    """Up to ``per_area`` comments for each (agent, theme) wanted.

    ``wanted`` maps a theme's polarity ("negative", "positive") to (agent, theme) pairs;
    a comment counts if it carries the theme or a child of it with that sentiment. The
    pseudo-theme :data:`NAMED_PRAISE` takes the agent's positive comments naming them.
    """
    out: dict[tuple[str, str], list[Evidence]] = {}
    redactor = Redactor(ws.settings.privacy.account_patterns)
    for polarity, pairs in wanted.items():
        pairs = [p for p in pairs if p[1] != NAMED_PRAISE]
        if pairs:
            out.update(_theme_evidence(ws, polarity, pairs, since, until, per_area, redactor))
    praised = [a for pairs in wanted.values() for a, t in pairs if t == NAMED_PRAISE]
    if praised:
        out.update(_praise_evidence(ws, praised, since, until, per_area, redactor))
    return out


def _theme_evidence(ws, polarity, pairs, since, until, per_area, redactor):
    store = ws.analytics
    agents = sorted({a for a, _ in pairs})
    themes = sorted({t for _, t in pairs})
    found = store.table("comment_themes")
    found = found.filter(found.sentiment == polarity)
    by_theme = found.filter(found.theme.isin(themes)).select("response_id", name=found.theme)
    by_parent = found.filter(found.parent.isin(themes)).select("response_id", name=found.parent)
    marks = ibis.union(by_theme, by_parent, distinct=True)
    r = _window(ws, since, until)
    r = r.filter(r.agent_id.isin(agents) & r.comment.notnull())
    rows = store.con.to_pyarrow(
        r.inner_join(marks, "response_id").select(
            "response_id", "agent_id", "name", "responded_at", "comment")
    ).to_pylist()  # fmt: skip
    keep = set(pairs)
    grouped: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in rows:
        if (row["agent_id"], row["name"]) in keep:
            grouped[(row["agent_id"], row["name"])].append(row)
    return {key: _best(items, per_area, redactor) for key, items in grouped.items()}


def kpi_evidence(
    ws,
    key: str,
    agents: list[str],
    higher_is_worse: bool,
    cut: float,
    since,
    until,
    per_area: int = 3,
) -> dict[str, list[Evidence]]:
    """Per agent: their customers' negative comments on contacts where the KPI was on the
    side customers dislike (above ``cut`` if higher is worse, else at or below it: a
    transferred contact, one not resolved first time, one past the handle-time
    threshold)."""
    if not agents:
        return {}
    cfg = ws.settings.metrics
    i = ws.analytics.table("interactions")
    if key == "fcr":
        i = with_repeat_flag(i, cfg.fcr_repeat_days)
    i = i.filter(i.agent_id.isin(sorted(set(agents))))
    v = kpi_value(key, i, list(cfg.queued_channels), cfg.gos_target_seconds).cast("float64")
    i = i.select(iid=i.interaction_id, v=v)
    i = i.filter(i.v > cut if higher_is_worse else i.v <= cut)
    r = _window(ws, since, until)
    r = r.filter(r.agent_id.isin(sorted(set(agents))) & r.comment.notnull())
    tags = ws.analytics.table("comment_tags")
    tags = tags.filter(tags.sentiment == "negative").select("response_id")
    j = r.inner_join(tags, "response_id").inner_join(i, r.interaction_id == i.iid)
    rows = ws.analytics.con.to_pyarrow(
        j.select("response_id", "agent_id", "responded_at", "comment")).to_pylist()  # fmt: skip
    redactor = Redactor(ws.settings.privacy.account_patterns)
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        grouped[row["agent_id"]].append(row)
    return {a: _best(items, per_area, redactor) for a, items in grouped.items()}


def _praise_evidence(ws, agents, since, until, per_area, redactor):
    r = _window(ws, since, until)
    r = r.filter(r.agent_id.isin(sorted(set(agents))) & r.comment.notnull())
    tags = ws.analytics.table("comment_tags")
    tags = tags.filter(tags.sentiment == "positive").select("response_id")
    rows = ws.analytics.con.to_pyarrow(r.inner_join(tags, "response_id").select(
        "response_id", "agent_id", "responded_at", "comment")).to_pylist()  # fmt: skip
    names = EmployeeNames(employee_names(ws).items())
    grouped: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in rows:
        link = names.praised(row["comment"], row["agent_id"], praise=True)
        if link is not None and link.employee and link.employee.employee_id == row["agent_id"]:
            grouped[(row["agent_id"], NAMED_PRAISE)].append(row)
    return {key: _best(items, per_area, redactor) for key, items in grouped.items()}


def _best(rows: list[dict], per_area: int, redactor: Redactor) -> list[Evidence]:
    """The most specific comments first (in steps of 0.1), the newest among equals."""
    rows = sorted(rows, key=lambda x: (round(text_features(x["comment"]).specific, 1),
                                       x["responded_at"], x["response_id"]), reverse=True)  # fmt: skip
    out: list[Evidence] = []
    seen: set[str] = set()
    for row in rows:
        text = " ".join(redactor.text(row["comment"]).split())
        if text.lower() in seen:
            continue
        seen.add(text.lower())
        out.append(Evidence(row["response_id"], row["responded_at"].date(), text))
        if len(out) == per_area:
            break
    return out


def _window(ws, since, until) -> ibis.Table:
    return apply_filters(ws.analytics.table("responses"), "responded_at", since, until)


def employee_roles(
    ws,
) -> tuple[dict[str, str], dict[str, dt.date | None], dict[str, dt.date | None]]:
    """Employee id -> role, start date, leaving date."""
    e = ws.analytics.table("employees")
    got = ws.analytics.con.to_pyarrow(
        e.select("employee_id", "role", "started_on", "left_on")).to_pydict()  # fmt: skip
    ids = got["employee_id"]
    return (dict(zip(ids, got["role"], strict=True)), dict(zip(ids, got["started_on"], strict=True)),
            dict(zip(ids, got["left_on"], strict=True)))  # fmt: skip


def latest_day(ws) -> dt.date | None:
    """The day of the newest survey response."""
    r = ws.analytics.table("responses")
    value = ws.analytics.con.to_pyarrow(r.responded_at.max()).as_py()
    return value.date() if value is not None else None
