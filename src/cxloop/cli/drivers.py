"""`cxloop drivers`: key drivers of a workspace's customer outcome, or of any table's."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import typer

from ..errors import ARROW_CAST_ERRORS, InputError
from ..ingest.sources import read_source
from ..insights.drivers import METHODS, key_drivers
from ..insights.workspace_drivers import KINDS, workspace_drivers
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


def _numbers(path: Path, table: pa.Table, col: str, positive: str | None) -> np.ndarray:
    if col not in table.column_names:
        raise InputError(f"{path}: no column {col!r} (columns: {', '.join(table.column_names)})")
    values = table.column(col)
    if positive is not None:
        flags = pc.equal(values, positive).cast(pa.float64())
        return np.asarray(pc.if_else(pc.is_null(values), None, flags).to_numpy(zero_copy_only=False),
                          dtype=float)  # fmt: skip
    blank = pc.equal(pc.utf8_trim_whitespace(values), "")
    values = pc.if_else(blank, None, values)
    try:
        return np.asarray(values.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
    except ARROW_CAST_ERRORS:
        sample = next((v for v in values.to_pylist() if v is not None), "")
        raise InputError(
            f"{path}: column {col!r} is not numeric (for example {sample!r}); for a yes/no "
            "outcome give --positive VALUE"
        ) from None


@app.command()
@handle_errors
def drivers(
    input: Annotated[
        Path | None,
        typer.Option(
            "--input",
            "-i",
            help="Analyse this table (CSV, Parquet or JSON lines) instead of the workspace.",
        ),
    ] = None,
    outcome: Annotated[
        str,
        typer.Option(
            "--outcome",
            help="Workspace: nps, promoter, detractor, csat or ces. Table: the outcome column.",
        ),
    ] = "nps",
    drivers: Annotated[
        str | None,
        typer.Option(
            "--drivers",
            help="Workspace: kinds among ratings, themes, operations "
            "(default all). Table: driver columns, comma-separated.",
        ),
    ] = None,
    method: Annotated[
        str, typer.Option("--method", help="shapley or relative-weights.")
    ] = "shapley",
    positive: Annotated[
        str | None,
        typer.Option(
            "--positive", help="For a text outcome: the value that counts as 1 (all others 0)."
        ),
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    filters: FilterOption = None,
    resamples: Annotated[int, typer.Option("--resamples", help="Bootstrap resamples.")] = 200,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Which drivers explain the outcome: each one's share of R² with a 95% interval.

    On a workspace, drivers are rating items, complaints and praise from comments, and
    what happened on the contact; they are listed importance-vs-performance: what
    matters most and performs worst first. On a table (--input), rows with a missing
    value in the outcome or a driver are dropped and counted.

    Example: cxloop drivers -w demo --outcome nps --drivers ratings,themes

    Example: cxloop drivers --input survey.csv --outcome nps --drivers wait,friendliness,resolved --format json
    """
    if method not in METHODS:
        raise InputError(f"--method {method!r}: use one of {', '.join(METHODS)}")
    if input is None:
        with open_workspace(workspace) as ws:
            kinds = [k.strip() for k in (drivers or ",".join(KINDS)).split(",") if k.strip()]
            report = workspace_drivers(ws, outcome, kinds, method=method, since=as_date(since),
                                       until=as_date(until), where=parse_where(filters),
                                       resamples=resamples)  # fmt: skip
        _emit_report(report, fmt)
        return
    if not drivers:
        raise InputError("--drivers: name the driver columns of the table, comma-separated")
    names = [d.strip() for d in drivers.split(",") if d.strip()]
    table = read_source(input).table
    y = _numbers(input, table, outcome, positive)
    x = {n: _numbers(input, table, n, None) for n in names}
    keep = np.isfinite(y) & np.all([np.isfinite(v) for v in x.values()], axis=0)
    dropped = int((~keep).sum())
    results, r2 = key_drivers(y[keep], {n: v[keep] for n, v in x.items()}, method=method,
                              resamples=resamples)  # fmt: skip
    rows = [r.to_dict() for r in results]
    if fmt is Format.table:
        for r in rows:
            for k in ("share", "low", "high"):
                r[k] = round(100 * r[k], 1)
    emit(rows, fmt, title=f"Drivers of {outcome} ({method}; R² {r2:.3f}; n {int(keep.sum()):,})",
         notes=[f"{dropped:,} row(s) with a missing value dropped"] if dropped else [])  # fmt: skip


def _emit_report(report, fmt: Format) -> None:
    if fmt is Format.json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
        return
    rows = []
    for d in report.drivers:
        row = d.to_dict()
        if fmt is Format.table:
            row = {"driver": d.driver, "kind": d.kind,
                   "share %": f"{100 * d.share:.1f} ({100 * d.low:.1f}-{100 * d.high:.1f})",
                   "direction": d.direction, "performance": d.performance,
                   "priority": d.priority}  # fmt: skip
        rows.append(row)
    title = (f"Drivers of {report.outcome} ({report.method}; R² {report.r2:.3f}; "
             f"n {report.n:,}): what matters most and performs worst first")  # fmt: skip
    notes = [*report.notes]
    if fmt is Format.table and report.drivers:
        notes.insert(0, report.drivers[0].sentence)
    emit(rows, fmt, title=title, notes=notes)
