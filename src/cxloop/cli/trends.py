"""`cxloop changes`, `cxloop control-chart`, `cxloop channels`: signal, not noise."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from ..export import plain
from ..insights.changes import changes as find_changes
from ..insights.channels import channel_gaps
from ..insights.control import METRICS, control_chart, fmt_value
from ..insights.run_rules import RULE_WORDS
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
    parse_where,
)

PeriodOption = Annotated[str, typer.Option(help="day, week, month, quarter or year.")]
WhereOption = Annotated[
    list[str] | None,
    typer.Option(
        "--filter", "--where", help="Keep only DIM=VALUE (repeatable), e.g. --where channel=phone."
    ),
]
EverythingOption = Annotated[
    bool, typer.Option("--all", help="Show every candidate tested, not only the significant.")
]


def _num(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


@app.command()
@handle_errors
def changes(
    period: PeriodOption = "week",
    last: Annotated[int, typer.Option(help="How many periods to judge, ending at --until.")] = 1,
    until: UntilOption = None,
    everything: EverythingOption = False,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """What moved in the last period(s), beyond the usual noise (Benjamini-Hochberg).

    Themes, contact reasons, NPS, detractor share, CSAT, and the NPS of teams, channels,
    segments, products, regions and contact reasons, against the insights.baseline_periods
    periods before. Each change with its effect, 95% interval, n and when it started.

    Example: cxloop changes --period week --last 1 --until 2026-02-15 --format json
    """
    ws = open_workspace(workspace)
    report = find_changes(ws, period=period, last=last, until=as_date(until))
    found = report.candidates if everything else report.changes
    notes = [
        report.sentence,
        f"window {report.window_start} to {report.window_end}; usual = {report.baseline_start} "
        f"to {report.baseline_end}; {report.not_tested} group(s) under "
        f"{ws.settings.metrics.min_group_responses} answers not tested.",
    ]
    if fmt is not Format.table:
        emit([c.to_dict() for c in found], fmt)
        return
    rows = []
    for i, c in enumerate(found, start=1):
        unit = "x" if c.effect_kind == "ratio" else " pts"
        rows.append(
            {
                "#": i,
                "what": c.label,
                "now": _num(c.window_value),
                "usual": _num(c.usual_value),
                "effect": f"{c.effect:.1f}{unit}",
                "95% CI": f"{c.low:.1f} to {c.high:.1f}",
                "n": c.window_n,
                "started": c.started,
                "q": f"{c.q_value:.2g}",
            }
        )
    sentences = [f"{i}. {c.sentence}" for i, c in enumerate(found, start=1)]
    title = f"What changed ({report.period}, last {report.last})"
    emit(rows, fmt, title=title, notes=[*sentences, *notes])


@app.command("control-chart")
@handle_errors
def control_chart_command(
    metric: Annotated[
        str,
        typer.Argument(help=f"{', '.join(METRICS)}, or theme:NAME (a theme's share of comments)."),
    ],
    period: PeriodOption = "week",
    by: Annotated[str | None, typer.Option(help="One chart per team, channel, ...")] = None,
    filters: WhereOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    centre: Annotated[
        str,
        typer.Option(
            help="history: centre line from the whole chart; trailing: from the "
            "insights.baseline_periods periods before each point."
        ),
    ] = "history",
    rules: Annotated[
        str,
        typer.Option(help="beyond_limits,run (default) or all (adds the zone and trend rules)."),
    ] = "beyond_limits,run",
    show_last: Annotated[
        int, typer.Option("--last", help="Show only the last N periods of each chart (0: all).")
    ] = 0,
    signals_only: Annotated[
        bool, typer.Option("--signals", help="Show only the periods with a signal.")
    ] = False,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """A control chart per period: limits that follow each period's n, and run rules.

    A point outside the limits, or insights.run_length points in a row on one side of the
    centre, is a signal; anything else is the usual noise.

    Example: cxloop control-chart detractor_share --period week --by channel --last 12
    """
    ws = open_workspace(workspace)
    chart = control_chart(
        ws, metric, period=period, by=by, where=parse_where(filters), since=as_date(since),
        until=as_date(until), centre=centre, rules=rules,
    )  # fmt: skip
    points = chart.points
    if show_last > 0:
        by_group: dict[str | None, list] = {}
        for p in points:
            by_group.setdefault(p.group, []).append(p)
        points = [p for ps in by_group.values() for p in ps[-show_last:]]
    if signals_only:
        points = [p for p in points if p.signals]
    if fmt is not Format.table:
        emit([p.to_dict() for p in points], fmt)
        return
    unit = chart.unit
    rows = [
        {
            **({"group": p.group} if chart.by else {}),
            "period": p.period,
            "n": p.n,
            "value": fmt_value(p.value, unit),
            "centre": fmt_value(p.centre, unit),
            "limits": f"{fmt_value(p.lower, unit)} to {fmt_value(p.upper, unit)}"
            if p.centre is not None
            else None,
            "signal": "; ".join(RULE_WORDS[s] for s in p.signals) or None,
        }
        for p in points
    ]
    emit(
        rows,
        fmt,
        title=f"{chart.label} per {chart.period}: {chart.chart} chart, ±{chart.sigma:g} sigma, "
        f"centre from {chart.centre}",
        notes=chart.sentences,
    )


@app.command()
@handle_errors
def channels(
    since: SinceOption = None,
    until: UntilOption = None,
    everything: EverythingOption = False,
    top: Annotated[
        int, typer.Option(help="Table: show at most this many gaps, biggest first (0: all).")
    ] = 25,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Channel consistency: NPS, CSAT, detractor share and themes of each channel vs the rest.

    Only gaps that stay significant after Benjamini-Hochberg are shown (--all: every one).
    JSON output is one object: {"channels": [...], "gaps": [...], ...}.

    Example: cxloop channels --since 2026-01-01 --format json
    """
    ws = open_workspace(workspace)
    report = channel_gaps(ws, since=as_date(since), until=as_date(until))
    if fmt is Format.json:
        data = report.to_dict(everything=everything)
        sys.stdout.write(json.dumps(data, indent=2, default=plain) + "\n")
        return
    gaps = report.all_gaps if everything else report.gaps
    if fmt is Format.csv:
        emit([g.to_dict() for g in gaps], fmt)
        return
    scores = [
        {
            "channel": s.channel,
            "n": s.n,
            "NPS": _pm(s.nps, s.nps_margin, ""),
            "CSAT": _pm(s.csat, s.csat_margin, "%"),
            "detractors": _pm(s.detractor_share, s.detractor_margin, "%"),
            "comments": s.comments,
        }
        for s in sorted(report.channels, key=lambda s: -(s.nps if s.nps is not None else -999))
    ]
    emit(scores, fmt, title="Outcomes by channel (± 95% margin)")
    more = len(gaps) - top if 0 < top < len(gaps) else 0
    gaps = gaps[:top] if more else gaps
    rows = [
        {
            "#": i,
            "channel": g.channel,
            "measure": g.theme if g.theme else g.measure,
            "channel value": _num(g.value),
            "other channels": _num(g.rest_value),
            "effect": f"{g.effect:.1f}{'x' if g.effect_kind == 'ratio' else ' pts'}",
            "q": f"{g.q_value:.2g}",
        }
        for i, g in enumerate(gaps, start=1)
    ]
    sentences = [f"{i}. {g.sentence}" for i, g in enumerate(gaps, start=1)]
    tail = [f"{more} more gap(s) not shown: --top 0 shows all."] if more else []
    emit(rows, fmt, title="Channel gaps", notes=[*sentences, report.sentence, *tail])


def _pm(value: float | None, margin: float | None, unit: str) -> str | None:
    if value is None:
        return None
    return f"{value:.1f}{unit}\u00a0±\u00a0{margin:.1f}" if margin is not None else f"{value:.1f}"
