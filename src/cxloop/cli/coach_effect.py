"""`cxloop coach effect` (did the coaching work?) and `cxloop coach leader` (the team
leader's own development view). The work is in :mod:`cxloop.coach.effect` and
:mod:`cxloop.coach.leader_view`; visibility is enforced there."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from ..coach.effect import coaching_effect
from ..coach.effect_summary import BY, coaching_effect_summary
from ..coach.leader_view import leader_view
from .coach import coach_app
from .common import (
    Format,
    FormatOption,
    SinceOption,
    UntilOption,
    WorkspaceOption,
    as_date,
    emit,
    fail,
    handle_errors,
    open_workspace,
)

AREA_COLUMNS = ("agent_id", "name", "focus", "held_on", "followed_up", "n_before", "n_after",
                "before", "after", "peers_before", "peers_after", "did", "low", "high",
                "verdict")  # fmt: skip
GROUP_COLUMNS = ("group", "n_areas", "n_agents", "n_judged", "improved", "worse",
                 "share_improved", "gain", "low", "high", "n_pooled")  # fmt: skip
MONTH_COLUMNS = ("month", "team", "agents", "sessions/agent", "follow-ups on time",
                 "areas improved", "eNPS (n)", "engagement (n)", "NPS ± (n)",
                 "CSAT ± (n)")  # fmt: skip
ActorOption = Annotated[
    str | None,
    typer.Option(help="Who is asking (username or employee id): only what they may see."),
]
MAX_SENTENCES = 12


def _json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


@coach_app.command("effect")
@handle_errors
def effect(
    agent: Annotated[str | None, typer.Option(help="Only this agent's coaching.")] = None,
    leader: Annotated[str | None, typer.Option(help="Only coaching by this leader.")] = None,
    team: Annotated[str | None, typer.Option(help="Only agents of this team.")] = None,
    programme: Annotated[str | None, typer.Option(help="Only this programme.")] = None,
    focus: Annotated[str | None, typer.Option(help="Only this focus area.")] = None,
    by: Annotated[
        str | None,
        typer.Option(help=f"Pool the areas per group: {', '.join(BY)} (which coaching works)."),
    ] = None,
    before_days: Annotated[
        int | None, typer.Option(help="Before window in days (default coaching.before_days).")
    ] = None,
    after_days: Annotated[
        int | None, typer.Option(help="After window in days (default coaching.after_days).")
    ] = None,
    judged: Annotated[
        bool, typer.Option("--judged", help="Only areas with enough feedback for a verdict.")
    ] = False,
    since: SinceOption = None,
    until: UntilOption = None,
    actor: ActorOption = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Did it work? Each coached focus area's metric before and after the session against
    uncoached peers over the same windows (difference in differences, 95% bootstrap
    interval), or pooled per programme, leader, kind, follow-up or focus with --by.

    Example: cxloop coach effect --programme "Listen, check, confirm" --by followed_up
    """
    if by is not None and by not in BY:
        raise fail(f"--by {by!r}: use one of {', '.join(BY)}")
    ws = open_workspace(workspace)
    filters = dict(agent=agent, leader=leader, team=team, programme=programme, focus=focus,
                   since=as_date(since), until=as_date(until), actor=actor,
                   before_days=before_days, after_days=after_days)  # fmt: skip
    if by is not None:
        groups = coaching_effect_summary(ws, by=by, **filters)
        rows = [g.to_dict() for g in groups]
        if fmt is Format.json:
            return _json(rows)
        emit(rows, fmt, columns=GROUP_COLUMNS, title=f"Coaching effect by {by}",
             notes=[g.sentence for g in groups])  # fmt: skip
        return None
    areas = coaching_effect(ws, **filters)
    if judged:
        areas = [a for a in areas if a.judged]
    rows = [a.to_dict() for a in areas]
    if fmt is Format.json:
        return _json(rows)
    n_judged = sum(a.judged for a in areas)
    notes = [a.sentence for a in areas if a.judged][:MAX_SENTENCES]
    notes.append(f"{len(areas):,} coached areas, {n_judged:,} with enough feedback to judge; "
                 "did/low/high: difference in differences and its 95% interval, in points "
                 "(seconds for handle times).")  # fmt: skip
    emit([{**r, "verdict": r["verdict"] or r["status"]} for r in rows], fmt,
         columns=AREA_COLUMNS, title="Did the coaching work?", notes=notes)  # fmt: skip
    return None


@coach_app.command("leader")
@handle_errors
def leader(
    leader_id: Annotated[str, typer.Argument(help="The team leader (employee id or username).")],
    months: Annotated[int, typer.Option(min=1, max=36, help="How many months.")] = 6,
    until: UntilOption = None,
    actor: ActorOption = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """A team leader's own development data by month: coaching cadence, follow-ups done by
    their due date, focus areas that improved, and the team's engagement (privacy minimum
    applied) and customer outcomes side by side.

    Example: cxloop coach leader E00031 --months 6 --until 2026-01-31 --actor E00031
    """
    ws = open_workspace(workspace)
    view = leader_view(ws, leader_id, actor=actor, months=months, until=as_date(until))
    if fmt is Format.json:
        return _json(view.to_dict())
    title = f"{view.name or view.leader_id} ({view.leader_id}), team {', '.join(view.teams)}"
    rows = [m.to_dict() for m in view.months]
    if fmt is Format.table:
        rows = [_month_row(r) for r in rows]
    emit(rows, fmt, columns=MONTH_COLUMNS if fmt is Format.table else None, title=title,
         notes=view.notes)  # fmt: skip
    return None


def _month_row(r: dict[str, Any]) -> dict[str, Any]:
    """One month in a narrow table: each value next to its n (and margin)."""

    def of(k: int, n: int) -> str:
        return f"{k} of {n}" if n else "–"

    def with_n(v: float | None, n: int | None, margin: float | None = None, d: int = 0) -> str:
        if v is None:
            return "–"
        pm = f" ± {margin:.{d}f}" if margin is not None else ""
        return f"{v:.{d}f}{pm} ({n})"

    return {
        "month": r["month"], "team": r["team_id"], "agents": r["agents"],
        "sessions/agent": r["sessions_per_agent"],
        "follow-ups on time": of(r["follow_ups_on_time"], r["follow_ups_due"]),
        "areas improved": of(r["areas_improved"], r["areas_judged"]),
        "eNPS (n)": with_n(r["enps"], r["enps_n"]),
        "engagement (n)": with_n(r["engagement"], r["engagement_n"], r["engagement_margin"], 2),
        "NPS ± (n)": with_n(r["nps"], r["nps_n"], r["nps_margin"]),
        "CSAT ± (n)": with_n(r["csat"], r["csat_n"], r["csat_margin"]),
    }  # fmt: skip
