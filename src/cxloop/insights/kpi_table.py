"""KPI alignment on any table: how an outcome column responds across numeric columns
(e.g. flight delays vs passenger satisfaction), by the method of ``kpi_alignment``:
binned curve with margins, threshold with bootstrap intervals, driver shares, verdict."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ARROW_CAST_ERRORS, AnalysisError, InputError
from ..metrics.formulas import DETRACTOR_MAX, PROMOTER_MIN
from .kpi_alignment import Kpi, KpiAlignment, _analyse, _drivers
from .kpi_verdict import sentence
from .threshold import Measure


def _column(table: pa.Table, name: str) -> pa.ChunkedArray:
    if name not in table.column_names:
        raise InputError(f"no column {name!r} (columns: {', '.join(table.column_names)})")
    return table.column(name)


def _numeric(col: pa.ChunkedArray, name: str) -> np.ndarray:
    if pa.types.is_boolean(col.type):
        col = col.cast(pa.int64())
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        col = pc.if_else(pc.equal(pc.utf8_trim_whitespace(col), ""), None, col)
    try:
        return np.asarray(col.cast(pa.float64()).to_numpy(zero_copy_only=False), float)
    except ARROW_CAST_ERRORS:
        raise InputError(f"column {name!r} is not numeric") from None


def _label(name: str) -> str:
    """A column name as words: "Arrival Delay in Minutes" -> "arrival delay"."""
    text = re.sub(r"[\s_]*(in\s+)?(minutes|seconds|mins|secs)$", "", name, flags=re.I)
    words = text.replace("_", " ").split() or [name]
    return " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words)


def _unit(name: str, values: np.ndarray, col_type: pa.DataType) -> str:
    low = name.lower()
    if pa.types.is_boolean(col_type) or set(np.unique(values)) <= {0.0, 1.0}:
        return "binary"
    if "minute" in low:
        return "minutes"
    if "second" in low:
        return "seconds"
    if np.all(values == np.round(values)) and len(np.unique(values)) <= 12:
        return "count"
    return ""


def kpi_alignment_table(
    table: pa.Table | Mapping[str, Any],
    outcome: str,
    kpis: Sequence[str],
    *,
    positive: Any = None,
    kind: str | None = None,
    min_n: int = 30,
    resamples: int = 200,
    seed: int = 0,
) -> KpiAlignment:
    """KPI alignment on any table: how ``outcome`` responds to each numeric ``kpis`` column.

    With ``positive`` the outcome is the share of rows equal to it (e.g. "satisfied");
    else ``kind`` "nps" scores a 0-10 column as NPS, and the default is its mean. Rows
    missing the outcome or a KPI are left out of that KPI (counted in the notes).
    """
    if not isinstance(table, pa.Table):
        table = pa.table({k: pa.array(v) for k, v in table.items()})
    ycol = _column(table, outcome)
    if positive is not None:
        hit = pc.equal(ycol.cast(pa.string()), str(positive)).cast(pa.float64())
        y = (
            np.asarray(
                pc.if_else(pc.is_null(ycol), None, hit).to_numpy(zero_copy_only=False), float
            )
            * 100
        )  # noqa: E501
        measure = Measure.share(f"The share {positive}", f"share {positive}")
    elif kind == "nps":
        raw = _numeric(ycol, outcome)
        y = np.where(raw >= PROMOTER_MIN, 100.0, np.where(raw <= DETRACTOR_MAX, -100.0, 0.0))
        y[np.isnan(raw)] = np.nan
        measure = Measure.nps()
    else:
        y = _numeric(ycol, outcome)
        measure = Measure.mean(y[np.isfinite(y)], f"Mean {outcome}", f"mean {outcome}")
    report = KpiAlignment(measure.label, [], measure.kind)
    xs_all: dict[str, np.ndarray] = {}
    for name in kpis:
        col = _column(table, name)
        x = _numeric(col, name)
        keep = np.isfinite(x) & np.isfinite(y)
        if not keep.any():
            raise AnalysisError(f"no row has both {outcome!r} and {name!r}")
        if (~keep).sum():
            report.notes.append(
                f"{name}: {int((~keep).sum()):,} row(s) with a missing value left out"
            )  # noqa: E501
        kpi = Kpi(name, _label(name), _unit(name, x[keep], col.type))
        report.results.append(_analyse(kpi, x[keep], y[keep], measure, min_n, resamples, seed))
        xs_all[name] = x
    if len(kpis) >= 2:
        keep = np.isfinite(y) & np.all([np.isfinite(v) for v in xs_all.values()], axis=0)
        data = pa.table({"score": y[keep], **{n: v[keep] for n, v in xs_all.items()}})
        _drivers(report, data, list(kpis), seed)
    for res in report.results:
        res.sentence = sentence(res.label, res.unit, measure, res.curve, res.threshold)
    return report
