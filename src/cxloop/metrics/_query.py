"""Running a grouped metric query and shaping its rows; shared by every metric module."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import ibis

from ..errors import MissingData
from ..model import METRIC_NEEDS
from . import dimensions as dims


def grouped(
    ws,
    fact: str,
    time_column: str,
    by: str | Sequence[str] | None,
    period: str | None,
    since: dt.date | None,
    until: dt.date | None,
    where: Mapping[str, Sequence[str]] | None,
    table: ibis.Table | None = None,
) -> tuple[ibis.Table, dict[str, ibis.Value], list[str]]:
    """The fact table (or ``table`` derived from it), filtered, with its group keys.

    Returns ``(table, keys, key_names)``.
    """
    store = ws.analytics
    names = dims.parse_by(by)
    wanted = list(dict.fromkeys([*names, *(where or {})]))
    if table is None:
        table = store.table(fact)
    table = dims.with_dimensions(store, fact, table, dims.resolve(fact, wanted))
    table = dims.apply_filters(table, time_column, since, until, where)
    keys: dict[str, ibis.Value] = {n: table[n] for n in names}
    start = dims.period_start(table[time_column], period)
    if start is not None:
        keys["period"] = start
    return table, keys, list(keys)


def aggregate(table: ibis.Table, keys: dict[str, ibis.Value], **metrics: ibis.Value) -> ibis.Table:
    """Group by ``keys`` (or aggregate the whole table when there are none)."""
    if keys:
        return table.group_by(**keys).agg(**metrics)
    return table.aggregate(**metrics)


def require(ws, metric: str) -> None:
    """Fail with a clear message when the data a metric needs was never loaded."""
    entity, _columns = METRIC_NEEDS[metric]
    if ws.analytics.count(entity) == 0:
        raise MissingData(
            f"{metric} needs {entity} data and none is loaded; run `cxloop ingest {entity} FILE`"
        )


def rows(ws, expr: ibis.Table, order: Sequence[str]) -> list[dict[str, Any]]:
    """Execute and return plain dict rows ordered by ``order``."""
    order = [c for c in dict.fromkeys(("period", *order)) if c in order]
    if order:
        expr = expr.order_by([expr[c] for c in order])
    return ws.analytics.con.to_pyarrow(expr).to_pylist()


def rank_within_period(
    out: list[dict[str, Any]], key_names: Sequence[str], score: str, small: str = "small_sample"
) -> None:
    """Add ``rank`` (1 = best ``score``) among groups of the same period that are not small.

    Small groups are never ranked (PRODUCT.md, Small groups): their rank is None. Nor is
    the bucket of answers with no group (no team, say): it is not a group of people.
    """
    groups = [k for k in key_names if k != "period"]
    if not groups:
        for r in out:
            r["rank"] = None
        return
    by_period: dict[Any, list[dict[str, Any]]] = {}
    for r in out:
        r["rank"] = None
        unattributed = any(r.get(k) is None for k in groups)
        if not r.get(small) and r.get(score) is not None and not unattributed:
            by_period.setdefault(r.get("period"), []).append(r)
    for group in by_period.values():
        group.sort(key=lambda r: r[score], reverse=True)
        for i, r in enumerate(group, start=1):
            r["rank"] = i
