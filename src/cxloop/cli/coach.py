"""`cxloop coach ...`: coaching plans, sessions, follow-ups, check-ins and whether
coaching worked. The commands live in three modules that share ``coach_app``:
this one (records: sessions, follow-ups, check-ins, import), ``coach_plans``
(recommendations) and ``coach_effect`` (did it work, the team-leader view)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from ..coach.checkins import checkins as read_checkins
from ..coach.checkins import log_checkin
from ..coach.follow_ups import complete_follow_up, send_follow_up_reminders
from ..coach.follow_ups import follow_ups as list_follow_ups
from ..coach.importer import import_sessions
from ..coach.sessions import list_sessions, log_session
from . import app
from .common import (
    Format,
    FormatOption,
    SinceOption,
    UntilOption,
    WorkspaceOption,
    as_date,
    console,
    emit,
    handle_errors,
    open_workspace,
)

coach_app = typer.Typer(
    help="Coaching from the data: plans, sessions, follow-ups, check-ins, effects.",
    no_args_is_help=True,
)
app.add_typer(coach_app, name="coach")

ActorOption = Annotated[
    str, typer.Option(help="Who does it or asks (username or employee id); visibility applies.")
]
OptionalActor = Annotated[
    str | None,
    typer.Option(help="Who asks (username or employee id): shows only what they may see."),
]
DayOption = Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], show_default=False)]
NowOption = Annotated[
    dt.datetime | None,
    typer.Option(formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d"],
                 help="Pretend it is this time (UTC), e.g. to replay a day.", show_default=False),
]  # fmt: skip
SESSION_COLUMNS = ("id", "held_on", "kind", "leader_id", "agents", "focus_areas", "programme",
                   "follow_up_on", "followed_up_on", "follow_up_of", "version")  # fmt: skip
FOLLOW_UP_COLUMNS = ("session_id", "leader_id", "agents", "focus_areas", "held_on", "due_on",
                     "status", "days_overdue", "leader_manager", "version")  # fmt: skip


def _json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    """Lists as comma-separated text; record ids as plain numbers (no thousands separator)."""
    ids = ("id", "session_id", "follow_up_of")
    return {k: ", ".join(v) if isinstance(v, list) else str(v) if k in ids and v is not None
            else v for k, v in row.items()}  # fmt: skip


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    return value.replace(tzinfo=dt.UTC) if value is not None else None


@coach_app.command("log")
@handle_errors
def log(
    agents: Annotated[str, typer.Argument(help="Agent employee id(s), comma-separated.")],
    focus: Annotated[
        str, typer.Option(help="Focus area(s), comma-separated: themes, nps, csat or KPIs.")
    ],  # fmt: skip
    actor: ActorOption,
    held_on: DayOption = None,
    kind: Annotated[
        str | None, typer.Option(help="one_to_one or workshop (default: by the number of agents).")
    ] = None,  # fmt: skip
    actions: Annotated[str | None, typer.Option(help="The agreed actions.")] = None,
    follow_up: Annotated[
        str | None,
        typer.Option(
            help="Follow-up date (YYYY-MM-DD) or 'none'; default: coaching.follow_up_days later."
        ),
    ] = None,  # fmt: skip
    follow_up_of: Annotated[
        int | None, typer.Option(help="The session this one follows up (marks its follow-up done).")
    ] = None,  # fmt: skip
    programme: Annotated[str | None, typer.Option(help="The programme it belongs to.")] = None,
    notes: Annotated[
        str | None,
        typer.Option(help="Private notes (the agent, their leader and the leader's manager only)."),
    ] = None,  # fmt: skip
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Log a 1:1 coaching session or a workshop (audited); held today unless --held-on.

    Example: cxloop coach log E00537 --focus "did not listen" --actions "Summarise the need before answering" --actor E00031 --held-on 2026-11-02
    """
    info = log_session(open_workspace(workspace), actor=actor, agents=agents,
                       held_on=as_date(held_on) or dt.date.today(), focus_areas=focus,
                       kind=kind, agreed_actions=actions, follow_up_on=follow_up,
                       follow_up_of=follow_up_of, programme=programme, notes=notes)  # fmt: skip
    if fmt is not Format.table:
        return _json(info.to_dict())
    due = f"follow-up due {info.follow_up_on}" if info.follow_up_on else "no follow-up"
    console.print(f"Logged session {info.id} ({info.kind}) for {escape(', '.join(info.agents))} "
                  f"on {escape(', '.join(info.focus_areas))}; {due}", highlight=False, soft_wrap=True)  # fmt: skip


@coach_app.command("sessions")
@handle_errors
def sessions(
    agent: Annotated[str | None, typer.Option(help="Only this agent's sessions.")] = None,
    leader: Annotated[str | None, typer.Option(help="Only sessions this leader held.")] = None,
    team: Annotated[str | None, typer.Option(help="Only sessions with this team's agents.")] = None,
    programme: Annotated[str | None, typer.Option(help="Only this programme.")] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    actor: OptionalActor = None,
    limit: Annotated[int, typer.Option(help="Show at most this many (newest).")] = 50,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Coaching sessions, newest first; with --actor, only what that person may see (notes
    only to the agent, their leader and the leader's manager).

    Example: cxloop coach sessions --programme "Listen, check, confirm" --actor E00001
    """
    rows = [s.to_dict() for s in list_sessions(
        open_workspace(workspace), agent=agent, leader=leader, team=team, programme=programme,
        since=as_date(since), until=as_date(until), actor=actor)][::-1]  # fmt: skip
    if fmt is Format.json:
        return _json(rows[:limit])
    columns = [*SESSION_COLUMNS, *(["notes"] if any(r["notes"] for r in rows) else [])]
    emit([_flat(r) for r in rows[:limit]], fmt, columns=columns,
         title=f"{len(rows):,} coaching sessions" + (f" (newest {limit})" if len(rows) > limit
                                                    else ""))  # fmt: skip


@coach_app.command("follow-ups")
@handle_errors
def follow_ups_(
    leader: Annotated[str | None, typer.Option(help="Only this leader's follow-ups.")] = None,
    agent: Annotated[str | None, typer.Option(help="Only follow-ups with this agent.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only those past due.")] = False,
    within: Annotated[int | None, typer.Option(help="Only those due within N days.")] = None,
    remind: Annotated[
        bool,
        typer.Option(
            "--remind",
            help="Send the reminders and overdue notices now (once each), instead of listing.",
        ),
    ] = False,  # fmt: skip
    actor: OptionalActor = None,
    limit: Annotated[int, typer.Option(help="Show at most this many.")] = 50,
    now: NowOption = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Open coaching follow-ups, most overdue first (a leader's manager sees those of the
    leaders below them); --remind sends reminders to leaders and overdue notices to their
    managers through the e-mail and webhook set for cases (smtp_host, webhook_url).

    Example: cxloop coach follow-ups --overdue --actor E00002
    """
    ws = open_workspace(workspace)
    if remind:
        result = send_follow_up_reminders(ws, _utc(now))
        if fmt is Format.json:
            return _json(result.to_dict())
        console.print(f"{len(result.reminded):,} reminders, {len(result.overdue):,} overdue "
                      f"notices ({result.sent:,} sent); {len(result.stuck):,} overdue with no "
                      f"manager on record; {len(result.conflicts):,} changed meanwhile",
                      highlight=False, soft_wrap=True)  # fmt: skip
        for failure in result.failures[:10]:
            console.print(f"[red]failed:[/] {escape(failure)}", highlight=False, soft_wrap=True)
        return None
    rows = [f.to_dict() for f in list_follow_ups(ws, actor=actor, leader=leader, agent=agent,
                                                 due_within_days=within,
                                                 overdue=True if overdue else None,
                                                 now=_utc(now))]  # fmt: skip
    if fmt is Format.json:
        return _json(rows[:limit])
    late = sum(r["status"] == "overdue" for r in rows)
    emit([_flat(r) for r in rows[:limit]], fmt, columns=FOLLOW_UP_COLUMNS,
         title=f"{len(rows):,} open follow-ups, {late:,} overdue",
         notes=[f"showing {limit} of {len(rows):,}"] if len(rows) > limit else [])  # fmt: skip


@coach_app.command("done")
@handle_errors
def done(
    session_id: Annotated[int, typer.Argument(help="The session whose follow-up is done.")],
    actor: ActorOption,
    version: Annotated[int, typer.Option(help="The session version you read.")],
    on: DayOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Mark a session's follow-up done (today unless --on); checked against the version you
    read and audited.

    Example: cxloop coach done 12 --actor E00031 --version 1 --on 2026-11-30
    """
    info = complete_follow_up(open_workspace(workspace), session_id, actor=actor,
                              expected_version=version, on=as_date(on))  # fmt: skip
    console.print(f"The follow-up of session {info.id} is done ({info.followed_up_on}); "
                  f"version {info.version}", highlight=False, soft_wrap=True)  # fmt: skip


@coach_app.command("checkin")
@handle_errors
def checkin(
    employee: Annotated[str, typer.Argument(help="The employee id.")],
    notes: Annotated[str, typer.Option(help="What was discussed and agreed.")],
    actor: ActorOption,
    held_on: DayOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Log a 1:1 check-in note (the employee or their leader only); it is readable by the
    employee, their leader and the leader's manager only.

    Example: cxloop coach checkin E00537 --notes "Feels more confident on complaints" --actor E00031
    """
    info = log_checkin(open_workspace(workspace), actor=actor, employee_id=employee,
                       held_on=as_date(held_on) or dt.date.today(), notes=notes)  # fmt: skip
    console.print(f"Logged check-in {info.id} for {escape(info.employee_id)} on {info.held_on}",
                  highlight=False, soft_wrap=True)  # fmt: skip


@coach_app.command("checkins")
@handle_errors
def checkins(
    employee: Annotated[str, typer.Argument(help="The employee id.")],
    actor: ActorOption,
    limit: Annotated[int, typer.Option(help="Show at most this many (newest).")] = 20,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """An employee's 1:1 check-in notes, newest first (logged and ingested); only the
    employee, their leader and the leader's manager may read them.

    Example: cxloop coach checkins E00030 --actor E00004
    """
    rows = [c.to_dict() for c in read_checkins(open_workspace(workspace), actor=actor,
                                               employee_id=employee)]  # fmt: skip
    if fmt is Format.json:
        return _json(rows[:limit])
    emit(rows[:limit], fmt, columns=("held_on", "leader_id", "notes", "source", "id"),
         title=f"{len(rows):,} check-ins of {employee}")  # fmt: skip


@coach_app.command("import")
@handle_errors
def import_(
    path: Annotated[
        Path,
        typer.Argument(
            help="CSV: employee_id, leader_id, held_on, "
            "focus_theme, [programme, agreed_actions, "
            "follow_up_on, kind]."
        ),
    ],  # fmt: skip
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Import coaching sessions from a CSV (one row per agent per session); importing the
    same file again adds nothing; later sessions on the same focus become follow-ups.

    Example: cxloop coach import coaching.csv
    """
    result = import_sessions(open_workspace(workspace), path)
    if fmt is Format.json:
        return _json(result.to_dict())
    console.print(f"{result.added:,} sessions added, {result.already:,} already there, "
                  f"{result.linked:,} follow-ups linked, {len(result.skipped):,} rows skipped "
                  f"({result.rows:,} rows in {escape(path.name)})", highlight=False, soft_wrap=True)  # fmt: skip
    for line in result.skipped[:20]:
        console.print(f"[yellow]skipped:[/] {escape(line)}", highlight=False, soft_wrap=True)
