"""`cxloop drivers`: key driver analysis of any table's outcome column."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import typer

from ..errors import InputError
from ..ingest.sources import read_source
from ..insights.drivers import METHODS, key_drivers
from . import app
from .common import Format, FormatOption, emit, handle_errors


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
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        sample = next((v for v in values.to_pylist() if v is not None), "")
        raise InputError(
            f"{path}: column {col!r} is not numeric (for example {sample!r}); for a yes/no "
            "outcome give --positive VALUE"
        ) from None


@app.command()
@handle_errors
def drivers(
    input: Annotated[Path, typer.Option("--input", "-i", help="CSV, Parquet or JSON lines.")],
    outcome: Annotated[str, typer.Option("--outcome", help="The outcome column.")],
    drivers: Annotated[str, typer.Option("--drivers", help="Driver columns, comma-separated.")],
    method: Annotated[
        str, typer.Option("--method", help="shapley or relative-weights.")
    ] = "shapley",
    positive: Annotated[
        str | None,
        typer.Option(
            "--positive", help="For a text outcome: the value that counts as 1 (all others 0)."
        ),
    ] = None,
    resamples: Annotated[int, typer.Option("--resamples", help="Bootstrap resamples.")] = 100,
    fmt: FormatOption = Format.table,
) -> None:
    """Which drivers explain the outcome: each one's share of R² with a 95% interval.

    Rows with a missing value in the outcome or a driver are dropped and counted.

    Example: cxloop drivers --input survey.csv --outcome nps --drivers wait,friendliness,resolved --format json
    """
    if method not in METHODS:
        raise InputError(f"--method {method!r}: use one of {', '.join(METHODS)}")
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
