"""Which survey responses meet a case rule (``[[cases.rules]]`` in cxloop.toml).

Set-based: one Ibis query per rule over ``responses`` (and ``comment_themes`` for theme
conditions), run on any analytics backend. A rule's conditions all hold at once: the NPS
answer in ``nps_min..nps_max``, any of ``themes`` in the comment (only negatively raised
ones with ``negative_only``), the channel in ``channels``. A response meeting several rules
is reported once, under the most urgent (``cases.sla_hours`` order; ties: first in the file).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ibis

from ..settings import CaseRule, Settings

#: Columns of the responses a case needs.
RESPONSE_COLUMNS = ("response_id", "responded_at", "customer_id", "agent_id", "team_id",
                    "channel", "nps")  # fmt: skip


@dataclass
class Match:
    """A response that met one or more rules, with what a case needs of it."""

    response_id: str
    responded_at: dt.datetime  # local wall-clock time (workspace.timezone), naive
    customer_id: str | None
    agent_id: str | None
    team_id: str | None
    channel: str | None
    nps: int | None
    rule: str  # the most urgent rule met
    priority: str
    rules: list[str]  # every rule met, most urgent first


def rule_expr(ws, rule: CaseRule, since: dt.date | None = None, until: dt.date | None = None):
    """Ibis expression: the responses meeting ``rule`` (``RESPONSE_COLUMNS``)."""
    r = ws.analytics.table("responses")
    preds = []
    if since is not None:
        preds.append(r.responded_at >= ibis.timestamp(dt.datetime.combine(since, dt.time())))
    if until is not None:
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time())
        preds.append(r.responded_at < ibis.timestamp(end))
    if rule.nps_min is not None:
        preds.append(r.nps >= rule.nps_min)
    if rule.nps_max is not None:
        preds.append(r.nps <= rule.nps_max)
    if rule.channels:
        preds.append(r.channel.isin(list(rule.channels)))
    if preds:
        r = r.filter(*preds)
    if rule.themes:
        t = ws.analytics.table("comment_themes")
        t = t.filter(t.theme.isin(list(rule.themes)))
        if rule.negative_only:
            t = t.filter(t.sentiment == "negative")
        ids = t.select("response_id").distinct()
        r = r.filter(r.response_id.isin(ids.response_id))
    return r.select(*RESPONSE_COLUMNS)


def describe_rule(rule: CaseRule) -> str:
    """The rule's condition in words, e.g. ``NPS 0-6`` or ``theme unfair treatment``."""
    parts = []
    if rule.nps_min is not None or rule.nps_max is not None:
        lo = 0 if rule.nps_min is None else rule.nps_min
        hi = 10 if rule.nps_max is None else rule.nps_max
        parts.append(f"NPS {lo}-{hi}" if lo != hi else f"NPS {lo}")
    if rule.themes:
        neg = "negative " if rule.negative_only else ""
        parts.append(f"{neg}theme {' or '.join(rule.themes)}")
    if rule.channels:
        parts.append(f"channel {' or '.join(rule.channels)}")
    return f"{rule.name} ({', '.join(parts)})"


def ordered_rules(settings: Settings) -> list[CaseRule]:
    """The rules, most urgent first (priority order of ``cases.sla_hours``, then file order)."""
    rank = {p: i for i, p in enumerate(settings.cases.sla_hours)}
    indexed = list(enumerate(settings.cases.rules))
    return [r for _, r in sorted(indexed, key=lambda ir: (rank[ir[1].priority], ir[0]))]


def match_rules(ws, since: dt.date | None = None, until: dt.date | None = None) -> dict[str, Match]:
    """Every response meeting a rule, by response id (one query per rule)."""
    rules = ordered_rules(ws.settings)
    con = ws.analytics.con
    has_themes = "comment_themes" in con.list_tables()
    out: dict[str, Match] = {}
    for rule in rules:
        if rule.themes and not has_themes:
            continue
        cols = con.to_pyarrow(rule_expr(ws, rule, since, until)).to_pydict()
        rows = zip(*(cols[c] for c in RESPONSE_COLUMNS), strict=True)
        for rid, at, customer, agent, team, channel, nps in rows:
            seen = out.get(rid)
            if seen is None:
                out[rid] = Match(rid, at, customer, agent, team, channel, nps, rule.name,
                                 rule.priority, [rule.name])  # fmt: skip
            else:
                seen.rules.append(rule.name)
    return out


def reason(match: Match, rules: dict[str, CaseRule]) -> str:
    """Why a case was opened, in words (every rule met)."""
    return "; ".join(describe_rule(rules[name]) for name in match.rules)[:500]
