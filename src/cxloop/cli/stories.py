"""`cxloop stories`: real comments worth reading aloud in a team huddle."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from ..text.workspace_stories import stories as find_stories
from .common import (
    Format,
    FormatOption,
    WorkspaceOption,
    emit,
    err_console,
    handle_errors,
    open_workspace,
)

TABLE_COLUMNS = ("story", "date", "team", "sentiment", "themes", "why", "praised")


@handle_errors
def stories_command(
    team: Annotated[
        list[str] | None, typer.Option("--team", "-t", help="Team id (repeatable).")
    ] = None,
    theme: Annotated[
        str | None, typer.Option(help="A theme, or a parent theme (all its children).")
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(
            help="2024-W10, 2024-03, 2024-Q1, 2024, last-30-days, last-4-weeks, or "
            "day/week/month/quarter/year for the latest one; all data if not given."
        ),
    ] = None,
    since: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="First day.")
    ] = None,
    until: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Last day.")
    ] = None,
    n: Annotated[int, typer.Option("--n", "-n", min=1, max=50, help="How many stories.")] = 5,
    sentiment: Annotated[
        str | None,
        typer.Option(help="Only praise (positive), pain (negative) or neutral comments."),
    ] = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Real comments worth reading aloud: specific, vivid, recent, not five versions of
    the same complaint, praise as well as pain. Praise that names an employee is linked
    to them, for recognition. Needs tagged comments (`cxloop themes tag`).

    Example: cxloop stories --team T03 --theme "Wait and access" --period 2024-03 --n 5
    """
    ws = open_workspace(workspace)
    picked = find_stories(
        ws,
        team=team or None,
        theme=theme,
        period=period,
        since=since.date() if since else None,
        until=until.date() if until else None,
        n=n,
        sentiment=sentiment,
    )
    if fmt is Format.json:
        emit([s.as_dict() for s in picked], fmt)
        return
    if not picked:
        err_console.print("No comments match; widen the period or drop a filter.")
        return
    if fmt is Format.csv:
        rows = [_flat(s.as_dict()) for s in picked]
        emit(rows, fmt)
        return
    rows = [
        {
            "story": s.text,
            "date": s.date.isoformat(),
            "team": s.team,
            "sentiment": s.sentiment,
            "themes": "; ".join(s.themes),
            "why": s.why,
            "praised": (
                f"{s.praised_employee.name} ({s.praised_employee.employee_id})"
                if s.praised_employee
                else s.employee_note
            ),
        }
        for s in picked
    ]
    emit(rows, fmt, columns=TABLE_COLUMNS, title=f"{len(picked)} stories")


def _flat(row: dict) -> dict:
    """One CSV row: lists joined with "; ", the praised employee as two columns."""
    person = row.pop("praised_employee") or {}
    row["themes"] = "; ".join(row["themes"])
    row["details"] = "; ".join(row["details"])
    row["praised_employee_id"] = person.get("employee_id")
    row["praised_employee_name"] = person.get("name")
    return row


def register(app: typer.Typer) -> None:
    """Add `cxloop stories` to ``app``."""
    app.command("stories")(stories_command)
