"""`cxloop coach plan AGENT` and `cxloop coach team TEAM`: coaching recommendations
grounded in each agent's own customer feedback (cxloop.coach.recommend)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from ..coach.plan_team import team_plan
from ..coach.recommend import coaching_plan
from .coach import coach_app
from .common import (
    Format,
    FormatOption,
    SinceOption,
    WorkspaceOption,
    as_date,
    console,
    emit,
    handle_errors,
    open_workspace,
)

ActorOption = Annotated[
    str | None,
    typer.Option(help="Who is asking (username or employee id); only what they may see."),
]
AsOfOption = Annotated[
    dt.datetime | None,
    typer.Option("--as-of", formats=["%Y-%m-%d"], help="Last day of data (default: the latest)."),
]


def _out() -> Console:
    return console if console.is_terminal else Console(width=200)


def _json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


@coach_app.command("plan")
@handle_errors
def plan(
    agent: Annotated[str, typer.Argument(help="The agent's employee id.")],
    actor: ActorOption = None,
    since: SinceOption = None,
    as_of: AsOfOption = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """An agent's coaching plan: up to three focus areas from their own customers' comments
    (themes worse than the centre, shrunk for fairness) and KPIs customers reward, each with
    the agent's own comments as evidence, and one strength to keep. Too little feedback
    gives "not enough feedback yet", never a guess.

    Example: cxloop coach plan E00537 --actor E00031 --as-of 2025-11-03
    """
    ws = open_workspace(workspace)
    p = coaching_plan(ws, agent, as_of=as_date(as_of), since=as_date(since), actor=actor)
    if fmt is Format.json:
        return _json(p.to_dict())
    if fmt is Format.csv:
        rows = [{"agent_id": p.agent_id, "rank": i, **{k: v for k, v in a.to_dict().items()
                                                        if k not in ("evidence", "customers")}}
                for i, a in enumerate(p.focus_areas, start=1)]  # fmt: skip
        return emit(rows, fmt)
    out = _out()
    window = f"{p.since or 'start'} to {p.as_of}"
    out.print(f"[bold]{escape(p.name or p.agent_id)}[/] ({escape(p.agent_id)}, team "
              f"{escape(str(p.team_id))}) · {window} · {p.n_comments} tagged comment"
              f"{'' if p.n_comments == 1 else 's'}, {p.n_answers} survey answers", highlight=False)  # fmt: skip
    out.print(escape(p.sentence), highlight=False)
    for i, a in enumerate(p.focus_areas, start=1):
        tag = "[bold red]focus[/]" if a.significant else "[yellow]to watch[/]"
        out.print(f"\n{i}. {tag} {escape(a.label)}", highlight=False)
        out.print(f"   {escape(a.sentence)}", highlight=False)
        for e in a.evidence:
            out.print(f"   [dim]{e.date}[/] “{escape(e.text)}”", highlight=False)
    if p.strength:
        out.print(f"\n[bold green]Strength[/] {escape(p.strength.sentence)}", highlight=False)
        for e in p.strength.evidence:
            out.print(f"   [dim]{e.date}[/] “{escape(e.text)}”", highlight=False)


@coach_app.command("team")
@handle_errors
def team(
    team_id: Annotated[str, typer.Argument(help="The team id.")],
    actor: ActorOption = None,
    since: SinceOption = None,
    as_of: AsOfOption = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """A team's coaching focus: the team's own share of each agent-facing theme against the
    centre, how many agents share each focus, a workshop topic where enough of them do
    (coaching.workshop_min_agents), and each agent's top focus.

    Example: cxloop coach team T24 --actor E00004
    """
    ws = open_workspace(workspace)
    t = team_plan(ws, team_id, as_of=as_date(as_of), since=as_date(since), actor=actor)
    if fmt is Format.json:
        return _json(t.to_dict())
    agents = [{"agent": f"{a['name'] or a['agent_id']} ({a['agent_id']})",
               "status": a["status"], "comments": a["n_comments"],
               "top focus": a["top_focus_label"], "how sure": a["top_focus_status"]}
              for a in t.to_dict()["agents"]]  # fmt: skip
    if fmt is Format.csv:
        return emit(agents, fmt)
    out = _out()
    out.print(escape(t.sentence), highlight=False)
    for f in t.focus_areas:
        tag = "[bold]workshop[/] " if f.workshop else ""
        out.print(f"  {tag}{escape(f.sentence)}", highlight=False)
    emit(agents, fmt, title=f"Team {t.team_id}: each agent's top focus")
