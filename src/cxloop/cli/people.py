"""`cxloop scores` (fair scores for people) and `cxloop linkage` (engagement vs customers)."""

from __future__ import annotations

from typing import Annotated

import typer

from ..insights.fair_scores import fair_scores, support_flags
from ..insights.linkage import engagement_linkage
from ..insights.people_drops import engagement_drops
from . import app
from .common import (
    Format,
    FormatOption,
    SinceOption,
    UntilOption,
    WorkspaceOption,
    as_date,
    emit,
    handle_errors,
    open_workspace,
)

_SCORE_COLUMNS = ("id", "name", "team_id", "n", "raw", "shrunk", "low", "high", "group_value",
                  "status", "rank")  # fmt: skip


@app.command()
@handle_errors
def scores(
    metric: Annotated[str, typer.Option(help="nps, csat or theme:<name>.")] = "nps",
    level: Annotated[str, typer.Option(help="agent or team.")] = "agent",
    team: Annotated[str | None, typer.Option(help="Show only this team's agents.")] = None,
    flags: Annotated[
        bool, typer.Option("--flags", help="Agents needing support on any agent-facing theme.")
    ] = False,
    since: SinceOption = None,
    until: UntilOption = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Fair scores: each agent's (or team's) score shrunk toward their group, with intervals.

    "not enough data" below insights.min_person_responses; "needs support" or "stands
    out" only where the interval is clear of the group; only those are ranked.

    Example: cxloop scores --metric nps --level agent --team T01
    """
    with open_workspace(workspace) as ws:
        if flags:
            people = support_flags(ws, as_date(since), as_date(until))
            title = "Agents who need support (agent-facing themes)"
        else:
            people = fair_scores(ws, metric, level, since=as_date(since), until=as_date(until),
                                 team=team)  # fmt: skip
            title = f"Fair {metric} by {level}"
        minimum = ws.settings.insights.min_person_responses
        level_ = ws.settings.insights.support_level
    if fmt is not Format.table:
        emit([p.to_dict() for p in people], fmt)
        return
    rows = [{**{k: getattr(p, k) for k in _SCORE_COLUMNS},
             **({"theme": p.metric[6:]} if flags else {})} for p in people]  # fmt: skip
    notes = [f"shrunk = empirical Bayes estimate; low-high = its {100 * level_:g}% interval; "
             f"fewer than {minimum} answers: not enough data, never ranked"]  # fmt: skip
    if flags and not people:
        notes.append("no agent is clearly above the centre on any agent-facing theme")
    notes += [p.sentence for p in people if p.status in ("needs support", "stands out")][:5]
    emit(rows, fmt, title=title, notes=notes)


@app.command()
@handle_errors
def linkage(
    lags: Annotated[int, typer.Option(help="Months engagement may lead (0-6).", min=0, max=6)] = 3,
    drops: Annotated[
        bool, typer.Option("--drops", help="Teams whose engagement fell before their NPS.")
    ] = False,
    measure: Annotated[
        str | None, typer.Option(help="Only this measure: enps, engagement, item:<name>...")
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """How our people feel vs how customers feel: engagement and customer scores by team.

    Pulse groups under privacy.min_pulse_group are left out of every number.

    Example: cxloop linkage --lags 3 --measure engagement
    """
    with open_workspace(workspace) as ws:
        if drops:
            found = engagement_drops(ws, lags, since=as_date(since), until=as_date(until))
        else:
            found = engagement_linkage(ws, lags, since=as_date(since), until=as_date(until),
                                       measures=[measure] if measure else None)  # fmt: skip
    rows = [x.to_dict() for x in found]
    if fmt is not Format.table:
        emit(rows, fmt)
        return
    if drops:
        cols = ["team_id", "engagement_drop_month", "engagement_before", "engagement_at",
                "nps_drop_month", "nps_before", "nps_after", "lead_months"]  # fmt: skip
        notes = [d.sentence for d in found[:5]] or ["no team's engagement fell clearly"]
        emit(rows, fmt, columns=cols, title="Engagement drops and what followed", notes=notes)
        return
    cols = ["measure", "outcome", "lag", "kind", "r", "low", "high", "teams", "team_months"]
    for r in rows:  # correlations need two decimals, the table's default shows one
        r.update({k: None if r[k] is None else f"{r[k]:.2f}" for k in ("r", "low", "high")})
    best = [x for x in found if x.kind == "within-team" and x.low is not None and x.low > 0]
    notes = [x.sentence for x in best[:3]] + [
        "lag = months the measure leads the outcome; within-team is the one to quote; "
        "an association, not proof"
    ]
    emit(rows, fmt, columns=cols, title="Engagement and customer outcomes", notes=notes)
