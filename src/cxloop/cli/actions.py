"""`cxloop actions ...`: improvement actions tied to themes, their before/after, and the
printable "you said, we did" list."""

from __future__ import annotations

import datetime as dt
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..act.actions import add_action, list_actions, update_action
from ..act.impact import WINDOW_DAYS, action_impact
from ..act.you_said import you_said_we_did
from . import app
from .common import (
    Format,
    FormatOption,
    WorkspaceOption,
    as_date,
    console,
    emit,
    fail,
    handle_errors,
    open_workspace,
)

actions_app = typer.Typer(help='Improvement actions: "you said, we did".', no_args_is_help=True)
app.add_typer(actions_app, name="actions")

ActorOption = Annotated[str, typer.Option("--actor", help="Who makes the change (username).")]
LIST_COLUMNS = ("id", "title", "themes", "owner", "started_on", "status", "audience", "version")


def _rows(actions) -> list[dict]:
    return [a.to_dict() | {"themes": ", ".join(a.themes)} for a in actions]


def _print_json(doc) -> None:
    sys.stdout.write(json.dumps(doc, indent=2) + "\n")


@actions_app.command("add")
@handle_errors
def add(
    title: Annotated[str, typer.Option(help="What we are doing, in a few words.")],
    themes: Annotated[str, typer.Option(help="Theme(s) or parent theme(s), comma-separated.")],
    owner: Annotated[str, typer.Option(help="Who owns the action.")],
    start: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"], help="Start day.")],
    actor: ActorOption,
    description: Annotated[str | None, typer.Option(help="What it changes, for people.")] = None,
    expected: Annotated[str | None, typer.Option(help="The effect expected.")] = None,
    status: Annotated[str, typer.Option(help="planned, in_progress, done or dropped.")] = "planned",
    audience: Annotated[str, typer.Option(help="customers, employees or everyone.")] = "everyone",
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Add an improvement action tied to themes of the taxonomy.

    Example: cxloop actions add --title "Fix the duplicate fee" --themes "billing error" --owner amira --start 2026-02-21 --expected "billing errors back under 2% of comments" --actor amira
    """  # noqa: E501
    ws = open_workspace(workspace)
    a = add_action(ws, title=title, themes=themes, owner=owner, started_on=start.date(),
                   actor=actor, description=description, status=status,
                   expected_effect=expected, audience=audience)  # fmt: skip
    if fmt is Format.json:
        _print_json(a.to_dict())
        return
    emit(_rows([a]), fmt, columns=LIST_COLUMNS, title="Action added")


@actions_app.command("list")
@handle_errors
def list_cmd(
    status: Annotated[list[str] | None, typer.Option(help="Only this status (repeatable).")] = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List the actions, newest start first.

    Example: cxloop actions list --status in_progress --format json
    """
    ws = open_workspace(workspace)
    rows = _rows(list_actions(ws, status=status or None))
    if fmt is Format.json:
        _print_json(rows)
        return
    emit(rows, fmt, columns=LIST_COLUMNS, title="Actions")


@actions_app.command("update")
@handle_errors
def update(
    action_id: Annotated[int, typer.Argument(help="The action's id.")],
    version: Annotated[int, typer.Option(help="The version you read (see `actions list`).")],
    actor: ActorOption,
    status: Annotated[str | None, typer.Option(help="planned, in_progress, done, dropped.")] = None,
    title: Annotated[str | None, typer.Option()] = None,
    description: Annotated[str | None, typer.Option()] = None,
    themes: Annotated[str | None, typer.Option(help="Comma-separated themes.")] = None,
    owner: Annotated[str | None, typer.Option()] = None,
    start: Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"])] = None,
    expected: Annotated[str | None, typer.Option()] = None,
    audience: Annotated[str | None, typer.Option()] = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Change an action; --version must be the version you read, or nothing changes.

    Example: cxloop actions update 1 --status done --version 1 --actor amira
    """
    given = {"status": status, "title": title, "description": description, "themes": themes,
             "owner": owner, "started_on": as_date(start), "expected_effect": expected,
             "audience": audience}  # fmt: skip
    changes = {k: v for k, v in given.items() if v is not None}
    if not changes:
        raise fail("nothing to change: give at least one of --status, --title, ...")
    ws = open_workspace(workspace)
    a = update_action(ws, action_id, actor=actor, expected_version=version, **changes)
    if fmt is Format.json:
        _print_json(a.to_dict())
        return
    emit(_rows([a]), fmt, columns=LIST_COLUMNS, title="Action updated")


@actions_app.command("impact")
@handle_errors
def impact(
    action_id: Annotated[int, typer.Argument(help="The action's id.")],
    window: Annotated[int, typer.Option(help="Days in each window.")] = WINDOW_DAYS,
    weeks: Annotated[bool, typer.Option(help="Also show the weekly points.")] = False,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Each theme of an action before and after its start: share of comments and NPS
    impact with 95% intervals, and whether the change is beyond the usual variation.

    Example: cxloop actions impact 1 --window 42
    """
    ws = open_workspace(workspace)
    result = action_impact(ws, action_id, window)
    if fmt is Format.json:
        _print_json(result.to_dict())
        return
    rows = []
    for t in result.themes:
        for w in (t.before, t.after):
            rows.append({"theme": t.theme, "window": w.window,
                         "days": f"{w.first_day} to {w.last_day}", "comments": w.comments,
                         "mentions": w.mentions, "share_%": w.share, "share_low": w.share_low,
                         "share_high": w.share_high, "nps_impact": w.nps_impact,
                         "impact_low": w.nps_impact_low, "impact_high": w.nps_impact_high})  # fmt: skip
    verdicts = [{"theme": t.theme, "change_points": t.change, "low": t.change_low,
                 "high": t.change_high, "p_value": None if t.p_value is None else f"{t.p_value:.3f}", "limits": _limits(t),
                 "beyond_limits": t.beyond_limits, "distinguishable": t.distinguishable}
                for t in result.themes]  # fmt: skip
    if fmt is Format.csv:
        emit(rows, fmt)
        return
    emit(rows, fmt, title=f"Action {result.action_id}: {result.title} (from {result.started_on})")
    emit(verdicts, fmt, title="Change vs normal variation", notes=[*result.sentences,
                                                                    *result.notes])  # fmt: skip
    if weeks:
        emit([w.to_dict() | {"theme": t.theme} for t in result.themes for w in t.weeks], fmt,
             columns=("theme", "window", "first_day", "n", "mentions", "share", "lower",
                      "upper", "outside"), title="Weekly points")  # fmt: skip


def _limits(t) -> str | None:
    if t.lower_limit is None:
        return None
    return f"{t.lower_limit:.1f}% to {t.upper_limit:.1f}%"


class PrintFormat(StrEnum):
    text = "text"
    md = "md"
    html = "html"
    json = "json"


@actions_app.command("print")
@handle_errors
def print_cmd(
    audience: Annotated[str, typer.Option(help="customers or employees.")] = "customers",
    since: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Only actions started on or after this day."),
    ] = None,
    fmt: Annotated[PrintFormat, typer.Option("--format", "-f", help="Output format.")] = (
        PrintFormat.text
    ),
    out: Annotated[Path | None, typer.Option(help="Write to this file.")] = None,
    window: Annotated[int, typer.Option(help="Days in each window.")] = WINDOW_DAYS,
    workspace: WorkspaceOption = None,
) -> None:
    """The printable "you said, we did" list (actions in progress or done).

    Example: cxloop actions print --audience customers --format html --out you-said-we-did.html
    """  # fmt: skip
    ws = open_workspace(workspace)
    report = you_said_we_did(ws, audience=audience, since=as_date(since), window_days=window)
    text = {PrintFormat.text: report.to_text, PrintFormat.md: report.to_markdown,
            PrintFormat.html: report.to_html,
            PrintFormat.json: lambda: json.dumps(report.to_dict(), indent=2) + "\n"}[fmt]()  # fmt: skip
    if out is not None:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {len(report.items)} item(s) to {out}", highlight=False, markup=False)
        return
    sys.stdout.write(text)
