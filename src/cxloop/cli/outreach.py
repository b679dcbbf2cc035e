"""`cxloop outreach ...`, `cxloop promoters`, `cxloop referrals`, `cxloop customer ID`:
call them before they call you, invite promoters, and one customer's whole story."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ..act.customer360 import customer_360
from ..act.outreach import OutreachList, condition_outreach, incident_outreach, theme_outreach
from ..act.promoters import promoter_invitations, record_invitations, referral_counts
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

outreach_app = typer.Typer(help="Proactive outreach: customers hit by a problem, ranked.",
                           no_args_is_help=True)  # fmt: skip
app.add_typer(outreach_app, name="outreach")

DateOpt = Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"])]
OutOption = Annotated[Path | None, typer.Option("--out", help="Also write the whole list as "
                                                "formula-safe CSV to this file.")]  # fmt: skip
LimitOption = Annotated[int, typer.Option(help="Rows shown in the table (0: all).")]
TABLE = ("rank", "customer_id", "complained", "annual_value", "risk_points", "priority",
         "why_ranked")  # fmt: skip


def _out() -> object:
    return console if console.is_terminal else type(console)(width=200)


def _show(result: OutreachList, fmt: Format, out: Path | None, limit: int) -> None:
    if out is not None:
        out.write_text(result.to_csv(), encoding="utf-8")
    if fmt is Format.json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
        return
    if fmt is Format.csv:
        sys.stdout.write(result.to_csv())
        return
    p = _out()
    p.print(f"[bold]{escape(result.problem)}[/]", highlight=False)  # type: ignore[attr-defined]
    p.print(f"Complained: {escape(result.complaint_definition)}", highlight=False)  # type: ignore[attr-defined]
    if result.conditions:
        shown_conditions = [
            {"step": c.step, "condition": c.condition, "lift": f"{c.lift:.2f}",
             "95% CI": f"{c.low:.2f}-{c.high:.2f}", "customers": c.n,
             "raised the theme": c.hits, "q_value": f"{c.q_value:.2g}",
             "recall so far": f"{100 * c.recall:.1f}%"}
            for c in result.conditions
        ]  # fmt: skip
        emit(shown_conditions, Format.table, title="Derived conditions (within the group above)")
    rows = [c.to_dict() for c in result.customers]
    shown = rows if limit <= 0 else rows[:limit]
    notes = [result.summary(), *result.notes]
    if len(shown) < len(rows):
        notes.append(f"showing {len(shown)} of {len(rows)}; --limit 0 or --out FILE for all")
    if out is not None:
        notes.append(f"wrote {len(rows):,} row(s) to {out}")
    emit(shown, Format.table, columns=TABLE, title="Call them before they call you",
         notes=notes)  # fmt: skip


@outreach_app.command("incident")
@handle_errors
def incident(
    start: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"], help="First day.")],
    end: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"], help="Last day.")],
    product: Annotated[
        list[str] | None, typer.Option(help="Affected product (repeatable).")
    ] = None,
    segment: Annotated[
        list[str] | None, typer.Option(help="Affected segment (repeatable).")
    ] = None,
    region: Annotated[list[str] | None, typer.Option(help="Affected region (repeatable).")] = None,
    joined_before: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Only customers who joined before this day."),
    ] = None,
    joined_from: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Only customers who joined on or after this day."),
    ] = None,
    reason: Annotated[
        list[str] | None,
        typer.Option(help="A contact for this reason counts as a complaint (repeatable)."),
    ] = None,
    theme: Annotated[
        list[str] | None,
        typer.Option(help="A comment with this theme counts as a complaint (repeatable)."),
    ] = None,
    contact_lag: Annotated[int, typer.Option(help="Days after the end that contacts count.")] = 0,
    comment_lag: Annotated[int, typer.Option(help="Days after the end that comments count.")] = 45,
    name: Annotated[str | None, typer.Option(help="The incident's name.")] = None,
    out: OutOption = None,
    limit: LimitOption = 20,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Customers hit by a dated incident, described by who it hit (active on its first
    day); those who already complained are marked, the rest ranked by value and risk.

    Example: cxloop outreach incident --product "credit card" --joined-before 2021-01-01 --start 2026-02-09 --end 2026-02-20 --reason "billing error" --theme "billing error" --out list.csv
    """  # noqa: E501
    ws = open_workspace(workspace)
    result = incident_outreach(
        ws, start=start.date(), end=end.date(), products=product or (), segments=segment or (),
        regions=region or (), joined_before=as_date(joined_before),
        joined_from=as_date(joined_from), complaint_reasons=reason or (),
        complaint_themes=theme or (), contact_lag_days=contact_lag,
        comment_lag_days=comment_lag, name=name)  # fmt: skip
    _show(result, fmt, out, limit)


@outreach_app.command("theme")
@handle_errors
def theme_cmd(
    theme: Annotated[str, typer.Argument(help='The theme that spiked, e.g. "billing error".')],
    since: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"], help="First day.")],
    until: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"], help="Last day.")],
    lag: Annotated[int, typer.Option(help="Days after the window that comments count.")] = 45,
    out: OutOption = None,
    limit: LimitOption = 20,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Customers a theme spike points at: the customer-level conditions (product, segment,
    region, joining cohort) that over-represent those who raised the theme, with lift and
    support, and everyone matching them.

    Example: cxloop outreach theme "billing error" --since 2026-02-09 --until 2026-02-20
    """
    ws = open_workspace(workspace)
    result = theme_outreach(ws, theme, since=since.date(), until=until.date(), lag_days=lag)
    _show(result, fmt, out, limit)


@outreach_app.command("condition")
@handle_errors
def condition(
    wait_over: Annotated[float | None, typer.Option(help="Waited over this many seconds.")] = 600,
    transfers: Annotated[int | None, typer.Option(help="Transferred this many times or more.")] = 2,
    days: Annotated[int, typer.Option(help="In the last N days.")] = 7,
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Last day (default: the newest contact's day)."),
    ] = None,
    channel: Annotated[
        list[str] | None,
        typer.Option(help="Only these channels (default: metrics.queued_channels)."),
    ] = None,
    out: OutOption = None,
    limit: LimitOption = 20,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Customers whose contacts met an operational condition (a long wait and transfers on
    the same contact) in the last days.

    Example: cxloop outreach condition --wait-over 600 --transfers 2 --days 7
    """
    ws = open_workspace(workspace)
    result = condition_outreach(ws, wait_over=wait_over, transfers=transfers, days=days,
                                as_of=as_date(as_of), channels=channel or None)  # fmt: skip
    _show(result, fmt, out, limit)


@app.command()
@handle_errors
def promoters(
    kind: Annotated[str, typer.Option(help="referral or testimonial.")] = "referral",
    not_invited_days: Annotated[
        int, typer.Option(help="Leave out anyone invited in this many days.")
    ] = 180,
    since: SinceOption = None,
    until: UntilOption = None,
    limit: Annotated[int, typer.Option(help="At most this many (0: all).")] = 20,
    record: Annotated[
        bool, typer.Option("--record", help="Record the listed customers as invited now.")
    ] = False,
    actor: Annotated[str, typer.Option(help="Who sends the invitations (--record).")] = "cli",
    out: OutOption = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Promoters (NPS 9-10, latest answer in the window; default the last 90 days) not
    invited recently, with their own positive comment, ranked for a referral or testimonial
    invitation; --record writes the invitations (audited).

    Example: cxloop promoters --kind testimonial --limit 10 --record --actor amira
    """
    ws = open_workspace(workspace)
    result = promoter_invitations(ws, kind, not_invited_days, as_date(since), as_date(until),
                                  limit=limit or None)  # fmt: skip
    if out is not None:
        out.write_text(result.to_csv(), encoding="utf-8")
    if record and result.invites:
        record_invitations(ws, [i.customer_id for i in result.invites], kind, actor,
                           response_ids={i.customer_id: i.response_id for i in result.invites})  # fmt: skip
    if fmt is Format.json:
        sys.stdout.write(json.dumps(result.to_dict() | {"recorded": record}, indent=2) + "\n")
        return
    if fmt is Format.csv:
        sys.stdout.write(result.to_csv())
        return
    notes = [f"{result.promoters:,} promoter(s) from {result.since} to {result.until}; "
             f"{result.recently_invited:,} invited in the last {not_invited_days} days left out"]  # fmt: skip
    if record:
        notes.append(f"recorded {len(result.invites):,} {kind} invitation(s) by {actor}")
    emit([i.to_dict() for i in result.invites], Format.table, title=f"Invite to {kind}",
         columns=("rank", "customer_id", "nps", "answered_on", "annual_value", "comment"),
         notes=notes)  # fmt: skip


@app.command()
@handle_errors
def referrals(
    by: Annotated[str, typer.Option(help="day, week, month, quarter or year.")] = "year",
    since: SinceOption = None,
    until: UntilOption = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Customers who joined in each period and how many came by referral or recommendation
    (earned new customers, for the earned growth rate).

    Example: cxloop referrals --by quarter --since 2025-01-01
    """
    ws = open_workspace(workspace)
    rows = [r.to_dict() for r in referral_counts(ws, by, as_date(since), as_date(until))]
    if fmt is Format.table:
        for r in rows:
            share = r["earned_share"]
            r["earned_share"] = "–" if share is None else f"{100 * share:.1f}%"
    emit(rows, fmt, title="Customers won by referral or recommendation")


@app.command()
@handle_errors
def customer(
    customer_id: Annotated[str, typer.Argument(help="The customer's id.")],
    limit: Annotated[int, typer.Option(help="Timeline lines shown (0: all).")] = 30,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Customer 360: one timeline (contacts, survey answers and their themes, cases and
    notes, invitations), the account, and a suggested next step with its reason.

    Example: cxloop customer C0001155 --format json
    """
    ws = open_workspace(workspace)
    view = customer_360(ws, customer_id)
    if fmt is Format.json:
        sys.stdout.write(json.dumps(view.to_dict(), indent=2) + "\n")
        return
    rows = [e.to_dict() | {"at": e.at.strftime("%Y-%m-%d %H:%M")} for e in view.timeline]
    if fmt is Format.csv:
        emit(rows, fmt, columns=("at", "kind", "summary"))
        return
    a = view.account
    p = _out()
    value = f"{a['annual_value']:,.0f}" if a["annual_value"] is not None else "unknown"
    p.print(f"[bold]{escape(view.customer_id)}[/]: {escape(str(a['segment']))}, "  # type: ignore[attr-defined]
            f"{escape(str(a['product']))}, {escape(str(a['region']))}; value {value} a year; "
            f"customer since {a['customer_since']} ({a['tenure_years']} years)"
            + (f"; left {a['churned_at']}" if a["churned_at"] else ""), highlight=False)  # fmt: skip
    p.print(f"[bold]Next step:[/] {escape(view.next_step.action)} "  # type: ignore[attr-defined]
            f"{escape(view.next_step.reason)} [dim](rule: {escape(view.next_step.rule)})[/]",
            highlight=False)  # fmt: skip
    shown = rows if limit <= 0 else rows[:limit]
    notes = [f"showing {len(shown)} of {len(rows)}, newest first"] if len(shown) < len(rows) else []
    emit(shown, Format.table, columns=("at", "kind", "summary"), title="Timeline", notes=notes)
