"""`cxloop kpi-alignment`: do our KPIs measure what customers value?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError
from ..insights.kpi_alignment import KpiAlignment, KpiResult, kpi_alignment
from ..insights.kpi_table import kpi_alignment_table
from ..insights.kpi_verdict import band, short
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


def _pm(value: float | None, low: float | None = None, high: float | None = None,
        scale: float = 1, digits: int = 0) -> str:  # fmt: skip
    if value is None:
        return "–"
    text = f"{value * scale:.{digits}f}"
    if low is not None and high is not None:
        text += f" ({low * scale:.{digits}f} to {high * scale:.{digits}f})"
    return text.replace("-", "−")


def _summary(r: KpiResult, kind: str) -> dict:
    """One readable row per KPI (and channel); a mean outcome (CES, a rating) with 2 decimals."""
    t = r.threshold
    d = 2 if kind == "mean" else 0
    found = t is not None and t.shape in ("threshold", "steady", "difference")
    cut = None
    if t is not None and t.shape == "threshold":
        cut = f"{short(t.cut, r.unit)} ({short(t.cut_low, r.unit)} to {short(t.cut_high, r.unit)})"
    row = {
        "kpi": r.label,
        "channel": r.channel or "all",
        "n": r.n,
        "shape": t.shape if t else "too few",
        "threshold": cut,
        "at or below": _pm(t.below, digits=d) if found else None,
        "above": _pm(t.above, digits=d) if found else None,
        "change": _pm(t.change, t.change_low, t.change_high, digits=d) if found else None,
        "driver share %": _pm(r.driver_share, r.driver_low, r.driver_high, 100),
        "verdict": r.sentence,
    }
    if t is not None and t.shape == "difference":
        row["at or below"] = f"{_pm(t.below, digits=d)} (no)"
        row["above"] = f"{_pm(t.above, digits=d)} (yes)"
    return row


def _show(report: KpiAlignment, fmt: Format, curves: bool, title: str) -> None:
    if fmt is Format.json:
        emit([r.to_dict() for r in report.results], fmt)
        return
    rows = [_summary(r, report.kind) for r in report.results]
    notes = []
    if fmt is Format.table:  # the verdicts read best as full lines under the table
        for row in rows:
            where = f" ({row['channel']})" if row["channel"] != "all" else ""
            notes.append(f"{row.pop('kpi')}{where}: {row.pop('verdict')}")
            row["kpi"] = notes[-1].split(":")[0]
            row.pop("channel")
        rows = [{"kpi": r.pop("kpi"), **r} for r in rows]
    notes += report.notes
    if report.drivers_r2 is not None:
        notes.append(
            f"driver shares: Shapley decomposition of R² = {report.drivers_r2:.3f} over "
            f"{report.drivers_n:,} answers with every KPI (95% bootstrap intervals)"
        )
    emit(rows, fmt, title=title, notes=notes)
    if not curves or fmt is not Format.table:
        return
    for r in report.results:
        bands = [{"band": band(b, r.unit, i == 0), "n": b.n, report.outcome: b.value,
                  "± margin": b.margin} for i, b in enumerate(r.curve)]  # fmt: skip
        emit(bands, fmt, title=f"{report.outcome} by {r.label.lower()}"
             + (f" ({r.channel})" if r.channel else ""))  # fmt: skip


@app.command("kpi-alignment")
@handle_errors
def kpi_alignment_command(
    outcome: Annotated[
        str,
        typer.Option(help="nps, csat, ces or a rating item; with --input: the outcome column."),
    ] = "nps",
    kpis: Annotated[
        str | None,
        typer.Option(
            help="Comma list: wait, gos, aht, hold, talk, wrap, transfers, resolved, fcr or an "
            "interactions field; with --input: columns."
        ),
    ] = None,
    channel: Annotated[str | None, typer.Option(help="Keep one channel, e.g. phone.")] = None,
    input: Annotated[
        Path | None,
        typer.Option("--input", "-i", help="Analyse a CSV, Parquet or JSON-lines file instead."),
    ] = None,
    positive: Annotated[
        str | None,
        typer.Option(help="With --input: the outcome value that counts as a success."),
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    curves: Annotated[bool, typer.Option("--curves", help="Also print each binned curve.")] = False,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples.")] = 200,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Do our KPIs measure what customers value? How the outcome responds across each KPI's
    range: a binned curve, a threshold found in the data (with intervals), each KPI's
    driver share and a verdict in plain words, including whether the GOS target protects it.

    Example: cxloop kpi-alignment -w demo --kpis wait,aht,transfers --channel phone

    Example: cxloop kpi-alignment --input flights.csv --outcome satisfaction --positive satisfied --kpis "Arrival Delay in Minutes"
    """
    if input is not None:
        if not kpis:
            raise InputError("--input needs --kpis COL1,COL2 (the KPI columns)")
        from ..ingest.sources import read_source

        table = read_source(input).table
        names = [k.strip() for k in kpis.split(",") if k.strip()]
        report = kpi_alignment_table(table, outcome, names, positive=positive, resamples=resamples)
        title = f"{report.outcome} across {', '.join(names)} ({input.name})"
    else:
        ws = open_workspace(workspace)
        report = kpi_alignment(ws, outcome, kpis, channel=channel, since=as_date(since),
                               until=as_date(until), resamples=resamples)  # fmt: skip
        title = f"{report.outcome} across internal KPIs" + (f" ({channel})" if channel else "")
    _show(report, fmt, curves, title)
