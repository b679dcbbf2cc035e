"""`cxloop cases`: open cases from the rules, list, show and update them, escalate overdue
ones, and the loop metrics."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Annotated, Any

import typer
from rich.markup import escape

from ..act.cases import get_case, list_cases, update_case
from ..act.cases_sync import sync_cases
from ..act.escalation import escalate_overdue
from ..act.loop_metrics import loop_metrics
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

cases_app = typer.Typer(
    help="Cases: every response that meets a rule gets an owner and a due time (the inner loop).",
    no_args_is_help=True,
)
app.add_typer(cases_app, name="cases")

NowOption = Annotated[
    dt.datetime | None,
    typer.Option(formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d"],
                 help="Pretend it is this time (UTC), e.g. to replay a day.", show_default=False),
]  # fmt: skip
LIST_COLUMNS = ("id", "status", "priority", "team_id", "owner", "customer_id", "rule",
                "responded_at", "due_at", "overdue", "escalation_level", "version")  # fmt: skip
METRIC_COLUMNS = ("group", "period", "met_rule", "cases", "detractors", "in_sla_share",
                  "in_sla_margin", "contacted", "median_hours_to_contact", "closed",
                  "resolution_rate", "resolution_margin", "unactioned", "unactioned_share",
                  "unactioned_margin")  # fmt: skip


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    return value.replace(tzinfo=dt.UTC) if value is not None else None


def _json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


def _short(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for k in ("responded_at", "due_at", "opened_at", "first_contact_at", "closed_at"):
        if isinstance(out.get(k), str):
            out[k] = out[k][:16].replace("T", " ")
    return out


@cases_app.command("sync")
@handle_errors
def sync(
    since: SinceOption = None,
    until: UntilOption = None,
    now: NowOption = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Open a case for every new response that meets a rule in cxloop.toml ([[cases.rules]]);
    running it again opens nothing twice.

    Example: cxloop cases sync --since 2026-10-01
    """
    ws = open_workspace(workspace)
    result = sync_cases(ws, _utc(now), since=as_date(since), until=as_date(until))
    if fmt is Format.json:
        return _json(result.to_dict())
    rows = [{"rule": k, "opened": v} for k, v in sorted(result.by_rule.items())]
    emit(rows, fmt, columns=("rule", "opened"), title=f"Opened {result.opened:,} cases",
         notes=[f"{result.already_open:,} responses meeting a rule already had a case; "
                f"{result.seconds:.2f} s"])  # fmt: skip


@cases_app.command("list")
@handle_errors
def list_(
    team: Annotated[str | None, typer.Option(help="Only this team.")] = None,
    status: Annotated[
        str | None, typer.Option(help="open, contacted, resolved or unable_to_reach.")
    ] = None,  # fmt: skip
    owner: Annotated[str | None, typer.Option(help="Only cases this person owns.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only open cases past due.")] = False,
    limit: Annotated[int | None, typer.Option(help="At most this many cases.")] = None,
    now: NowOption = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Cases, most urgent first.

    Example: cxloop cases list --team T03 --status open --overdue
    """
    ws = open_workspace(workspace)
    cases = list_cases(ws, team=team, status=status, owner=owner,
                       overdue=True if overdue else None, now=_utc(now), limit=limit)  # fmt: skip
    rows = [c.to_dict() for c in cases]
    if fmt is Format.json:
        return _json(rows)
    emit([_short(r) for r in rows], fmt, columns=LIST_COLUMNS, title=f"{len(rows):,} cases")


@cases_app.command("show")
@handle_errors
def show(
    case_id: Annotated[int, typer.Argument(help="The case number.")],
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """One case with its notes and its audit trail (who changed what, when).

    Example: cxloop cases show 17
    """
    detail = get_case(open_workspace(workspace), case_id)
    if fmt is not Format.table:
        return _json(detail.to_dict())
    c = detail.case
    out = console if console.is_terminal else type(console)(width=200)
    out.print(f"[bold]Case {c.id}[/] {c.status} · priority {c.priority} · version {c.version}"
              f"{' · [red]OVERDUE[/]' if c.overdue else ''}")  # fmt: skip
    for label, value in (("customer", c.customer_id), ("response", c.response_id),
                         ("team / agent", f"{c.team_id} / {c.agent_id}"), ("owner", c.owner),
                         ("why", c.reason), ("responded", c.responded_at), ("due", c.due_at),
                         ("first contact", c.first_contact_at), ("closed", c.closed_at),
                         ("resolution", c.resolution_code), ("root cause", c.root_cause_theme),
                         ("issue fixed", c.issue_fixed),
                         ("escalation level", c.escalation_level)):  # fmt: skip
        text = value.strftime("%Y-%m-%d %H:%M UTC") if isinstance(value, dt.datetime) else value
        out.print(f"  {label:<17}{escape(str('–' if text is None else text))}", highlight=False)
    out.print("[bold]Notes[/]" + ("" if detail.notes else " (none)"))
    for n in detail.notes:
        out.print(f"  {n['at'][:16]} {escape(n['author'])}: {escape(n['text'])}", highlight=False)
    out.print("[bold]Audit trail[/]")
    for e in detail.trail:
        e = _compact_details(e)
        change = ", ".join(f"{k}: {(e['before'] or {}).get(k, '–')} -> {v}"
                           for k, v in (e["after"] or {}).items())  # fmt: skip
        out.print(
            f"  {e['at'][:16]} {escape(e['actor'])} {e['action']}: {escape(change)}",
            highlight=False,
        )


@cases_app.command("update")
@handle_errors
def update(
    case_id: Annotated[int, typer.Argument(help="The case number.")],
    actor: Annotated[str, typer.Option(help="Who makes the change (username or employee id).")],
    version: Annotated[int, typer.Option(help="The case version you read (cases show).")],
    status: Annotated[
        str | None, typer.Option(help="contacted, resolved, unable_to_reach, or open to reopen.")
    ] = None,  # fmt: skip
    note: Annotated[str | None, typer.Option(help="A note: what was said or done.")] = None,
    resolution_code: Annotated[str | None, typer.Option(help="How it was resolved.")] = None,
    root_cause: Annotated[str | None, typer.Option(help="Root-cause theme.")] = None,
    fixed: Annotated[
        bool | None, typer.Option("--fixed/--not-fixed", help="Was the customer's issue fixed?")
    ] = None,  # fmt: skip
    refund: Annotated[
        float | None,
        typer.Option(help="Refund approved (decision rights apply: cases.refund_limits)."),
    ] = None,  # fmt: skip
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Change a case: status, note, resolution, root cause, refund. Checked against the
    version you read (someone else's change in between is a conflict) and the actor's
    decision rights; audited.

    Example: cxloop cases update 17 --status contacted --note "Called, refund agreed" --actor E00040 --version 1
    """
    info = update_case(open_workspace(workspace), case_id, actor=actor, expected_version=version,
                       status=status, note=note, resolution_code=resolution_code,
                       root_cause_theme=root_cause, issue_fixed=fixed, refund=refund)  # fmt: skip
    if fmt is not Format.table:
        return _json(info.to_dict())
    console.print(f"Case {info.id} is {info.status}, owner {escape(str(info.owner))}, "
                  f"version {info.version}", highlight=False)  # fmt: skip


@cases_app.command("escalate")
@handle_errors
def escalate(
    now: NowOption = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Remind owners of cases about to be due and move overdue cases to the owner's manager;
    notifications go by e-mail and webhook as set in cxloop.toml.

    Example: cxloop cases escalate
    """
    result = escalate_overdue(open_workspace(workspace), _utc(now))
    if fmt is Format.json:
        return _json(result.to_dict())
    emit(result.escalated[:50], fmt, columns=("case_id", "from", "to", "level"),
         title=f"Escalated {len(result.escalated):,} cases",
         notes=[f"{len(result.reminded):,} reminders; {len(result.stuck):,} overdue with no "
                f"one above the owner; {len(result.conflicts):,} changed meanwhile (left for "
                f"the next run); {result.sent:,} notifications sent",
                *result.failures[:10]])  # fmt: skip


@cases_app.command("metrics")
@handle_errors
def metrics(
    by: Annotated[str, typer.Option(help="team, rule, priority, channel or all.")] = "team",
    period: Annotated[str, typer.Option(help="day, week, month, quarter or all.")] = "month",
    since: SinceOption = None,
    until: UntilOption = None,
    now: NowOption = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Loop metrics: detractors contacted within SLA, time to first contact, resolution
    rate and unactioned feedback, each with n and a 95% margin.

    Example: cxloop cases metrics --by team --period month --since 2026-10-01
    """
    rows = loop_metrics(open_workspace(workspace), by=by, period=period, since=as_date(since),
                        until=as_date(until), now=_utc(now))  # fmt: skip
    if fmt is Format.json:
        return _json([r.to_dict() for r in rows])
    if fmt is Format.table:
        emit([_readable(r.to_dict()) for r in rows], fmt, title=f"Loop metrics by {by} and {period}",
             notes=["Shares in % ± the 95% Agresti-Coull margin (n); hours: median from response "
                    "to first contact [95% interval] (n)."])  # fmt: skip
        return
    emit([r.to_dict() for r in rows], fmt, columns=METRIC_COLUMNS,
         title=f"Loop metrics by {by} and {period}",
         notes=["Shares in %, ± the 95% Agresti-Coull margin; hours: median from response "
                "to first contact."])  # fmt: skip


def _pm(share: float | None, margin: float | None, n: int) -> str:
    return "–" if share is None else f"{share:.1f} ± {margin:.1f} ({n:,})"


def _readable(r: dict[str, Any]) -> dict[str, Any]:
    hours = r["median_hours_to_contact"]
    return {
        by_key: r[by_key] for by_key in ("group", "period", "met_rule", "cases")
    } | {
        "contacted in SLA %": _pm(r["in_sla_share"], r["in_sla_margin"], r["detractors"]),
        "hours to contact": "–" if hours is None else
        f"{hours:.1f} [{r['median_hours_low']:.1f}-{r['median_hours_high']:.1f}] ({r['contacted']:,})",
        "resolved %": _pm(r["resolution_rate"], r["resolution_margin"], r["closed"]),
        "unactioned %": _pm(r["unactioned_share"], r["unactioned_margin"], r["met_rule"]),
    }  # fmt: skip


def _compact_details(event: dict[str, Any]) -> dict[str, Any]:
    """Show only what changed inside ``details`` (e.g. a refund added)."""
    before, after = dict(event["before"] or {}), dict(event["after"] or {})
    if isinstance(after.get("details"), dict):
        old = before.pop("details", None) or {}
        new = after.pop("details")
        for k, v in new.items():
            if old.get(k) != v:
                before[k], after[k] = old.get(k, "–"), v
    return event | {"before": before, "after": after}
