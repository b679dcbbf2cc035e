"""`cxloop metrics`, `cxloop kpis`, `cxloop enps`: scores by group and period, with margins."""

from __future__ import annotations

from typing import Annotated

import typer

from .. import metrics
from ..metrics.contact_centre import COLUMNS as KPI_COLUMNS
from ..metrics.employee import COLUMNS as ENPS_COLUMNS
from ..metrics.survey import COLUMNS as SURVEY_COLUMNS
from . import app
from .common import (
    FilterOption,
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

ByOption = Annotated[
    str | None,
    typer.Option(help="Group by: team, agent, channel, segment, product, queue... (comma list)."),
]
PeriodOption = Annotated[str, typer.Option(help="day, week, month, quarter, year or all.")]


def _keys(rows: list[dict], columns: tuple[str, ...]) -> list[str]:
    return [k for k in (rows[0] if rows else {}) if k not in columns]


def _pm(value: float | None, margin: float | None, unit: str = "") -> str | None:
    if value is None:
        return None
    # non-breaking spaces keep "25.0 ± 8.1" on one line in narrow terminals
    return f"{value:.1f}{unit}" if margin is None else f"{value:.1f}{unit}\u00a0±\u00a0{margin:.1f}"


def _show(
    rows: list[dict], keys: list[str], spec: dict[str, tuple[str, str | None, str]]
) -> tuple[list[dict], list[str]]:
    """Rows for the table view: each value beside its margin, e.g. ``25.0 ± 8.1``."""
    out = []
    for r in rows:
        shown = {k: r[k] for k in keys}
        for label, (value, margin, unit) in spec.items():
            shown[label] = (
                _pm(r[value], r[margin] if margin else None, unit) if unit != "raw" else r[value]
            )
        out.append(shown)
    return out, [*keys, *spec]


@app.command("metrics")
@handle_errors
def metrics_command(
    by: ByOption = None,
    period: PeriodOption = "month",
    since: SinceOption = None,
    until: UntilOption = None,
    filters: FilterOption = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """NPS (with margin of error), CSAT and CES by group and period.

    Groups under metrics.min_group_responses are flagged small_sample and not ranked.

    Example: cxloop metrics --by team --period month --format json
    """
    ws = open_workspace(workspace)
    rows = metrics.survey_scores(
        ws,
        by=by,
        period=period,
        since=as_date(since),
        until=as_date(until),
        where=parse_where(filters),
    )
    keys = _keys(rows, SURVEY_COLUMNS)
    columns = keys + list(SURVEY_COLUMNS)
    if fmt is Format.table:
        rows, columns = _show(
            rows,
            keys,
            {
                "n": ("n", None, "raw"),
                "NPS": ("nps", "nps_margin", ""),
                "CSAT": ("csat", "csat_margin", "%"),
                "CES": ("ces", "ces_margin", ""),
                "small": ("small_sample", None, "raw"),
                "rank": ("rank", None, "raw"),
            },
        )
    emit(
        rows,
        fmt,
        columns=columns,
        title="Survey scores (± 95% margin)",
        notes=[
            f"small_sample: fewer than {ws.settings.metrics.min_group_responses} NPS answers; "
            "never ranked."
        ],
    )


@app.command()
@handle_errors
def kpis(
    by: ByOption = None,
    period: PeriodOption = "month",
    since: SinceOption = None,
    until: UntilOption = None,
    filters: FilterOption = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Contact-centre KPIs: grade of service, ASA, abandonment, AHT, transfers, FCR.

    Example: cxloop kpis --by queue --period week
    """
    ws = open_workspace(workspace)
    rows = metrics.contact_centre_kpis(
        ws,
        by=by,
        period=period,
        since=as_date(since),
        until=as_date(until),
        where=parse_where(filters),
    )
    keys = _keys(rows, KPI_COLUMNS)
    columns = keys + list(KPI_COLUMNS)
    if fmt is Format.table:
        rows, columns = _show(
            rows,
            keys,
            {
                "offered": ("offered", None, "raw"),
                "GOS": ("grade_of_service", "grade_of_service_margin", "%"),
                "ASA s": ("asa", "asa_margin", ""),
                "abandon": ("abandonment", "abandonment_margin", "%"),
                "AHT s": ("aht", "aht_margin", ""),
                "transfer": ("transfer_rate", "transfer_rate_margin", "%"),
                "FCR": ("fcr", "fcr_margin", "%"),
                "small": ("small_sample", None, "raw"),
            },
        )
    cfg = ws.settings.metrics
    emit(
        rows,
        fmt,
        columns=columns,
        title="Contact-centre KPIs",
        notes=[
            f"grade_of_service: % of offered {'/'.join(cfg.queued_channels)} contacts "
            f"answered within {cfg.gos_target_seconds:g} s; ASA and AHT in seconds; "
            f"FCR: resolved, no repeat within {cfg.fcr_repeat_days} days."
        ],
    )


@app.command()
@handle_errors
def enps(
    by: ByOption = "team",
    period: PeriodOption = "month",
    since: SinceOption = None,
    until: UntilOption = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Employee NPS from pulses; groups under the anonymity minimum are suppressed.

    Example: cxloop enps --by team --period quarter
    """
    ws = open_workspace(workspace)
    rows = metrics.employee_nps(
        ws, by=by, period=period, since=as_date(since), until=as_date(until)
    )
    keys = _keys(rows, ENPS_COLUMNS)
    columns = keys + list(ENPS_COLUMNS)
    if fmt is Format.table:
        rows, columns = _show(
            rows,
            keys,
            {
                "n": ("n", None, "raw"),
                "eNPS": ("enps", "enps_margin", ""),
                "suppressed": ("suppressed", None, "raw"),
            },
        )
    emit(
        rows,
        fmt,
        columns=columns,
        title="Employee NPS (95% margins)",
        notes=[f"suppressed: fewer than {ws.settings.privacy.min_pulse_group} respondents."],
    )
