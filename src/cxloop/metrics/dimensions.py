"""Grouping dimensions and periods shared by every metric.

A dimension is a name a CX lead uses (team, agent, channel, segment, product,
queue...) resolved to a column of the fact table, joining customers, employees or
interactions where the fact table does not carry it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import ibis

from ..errors import UnknownDimension

PERIODS = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}


@dataclass(frozen=True)
class Dimension:
    """Where a grouping dimension lives: a column on the fact table or a joined one."""

    name: str
    column: str
    via: str | None = None  # "customers", "employees" or "interactions"


#: What each fact table can be grouped by.
DIMENSIONS: dict[str, dict[str, Dimension]] = {
    "responses": {
        "team": Dimension("team", "team_id"),
        "agent": Dimension("agent", "agent_id"),
        "channel": Dimension("channel", "channel"),
        "instrument": Dimension("instrument", "instrument"),
        "segment": Dimension("segment", "segment", via="customers"),
        "product": Dimension("product", "product", via="customers"),
        "region": Dimension("region", "region", via="customers"),
        "queue": Dimension("queue", "queue", via="interactions"),
        "reason": Dimension("reason", "reason", via="interactions"),
        "site": Dimension("site", "site", via="employees"),
    },
    "interactions": {
        "team": Dimension("team", "team_id"),
        "agent": Dimension("agent", "agent_id"),
        "channel": Dimension("channel", "channel"),
        "queue": Dimension("queue", "queue"),
        "reason": Dimension("reason", "reason"),
        "segment": Dimension("segment", "segment", via="customers"),
        "product": Dimension("product", "product", via="customers"),
        "region": Dimension("region", "region", via="customers"),
        "site": Dimension("site", "site", via="employees"),
    },
    "pulses": {"team": Dimension("team", "team_id")},
}

_JOIN_KEYS = {"customers": "customer_id", "employees": "agent_id", "interactions": "interaction_id"}
_TARGET_KEYS = {
    "customers": "customer_id",
    "employees": "employee_id",
    "interactions": "interaction_id",
}


def parse_by(by: str | Sequence[str] | None) -> list[str]:
    """``"team,channel"`` or ``["team", "channel"]`` -> ``["team", "channel"]``."""
    if by is None:
        return []
    items = by.split(",") if isinstance(by, str) else list(by)
    return [b.strip().lower() for b in items if b and b.strip()]


def resolve(fact: str, names: Iterable[str]) -> list[Dimension]:
    known = DIMENSIONS[fact]
    out = []
    for name in names:
        if name not in known:
            raise UnknownDimension(
                f"cannot group {fact} by {name!r}; choose from: {', '.join(known)}"
            )
        out.append(known[name])
    return out


def with_dimensions(store, fact: str, table: ibis.Table, dims: Sequence[Dimension]) -> ibis.Table:
    """``table`` plus one column per dimension, named after the dimension."""
    joined = table
    extra: dict[str, ibis.Value] = {}
    for via in sorted({d.via for d in dims if d.via}):
        target = store.table(via)
        wanted = [d.column for d in dims if d.via == via]
        right = target.select(
            **{f"__{via}_key": target[_TARGET_KEYS[via]]},
            **{f"__{via}_{c}": target[c] for c in wanted},
        )
        joined = joined.left_join(right, joined[_JOIN_KEYS[via]] == right[f"__{via}_key"])
    for d in dims:
        extra[d.name] = joined[f"__{d.via}_{d.column}"] if d.via else joined[d.column]
    return joined.mutate(**extra) if extra else joined


def period_start(ts: ibis.Value, period: str | None) -> ibis.Value | None:
    """The first day of the period containing ``ts``, as a date."""
    if period is None or period == "all":
        return None
    try:
        unit = PERIODS[period]
    except KeyError:
        raise UnknownDimension(
            f"unknown period {period!r}; choose from: {', '.join(PERIODS)}, all"
        ) from None
    return ts.truncate(unit).date() if ts.type().is_timestamp() else ts.truncate(unit)


def apply_filters(
    table: ibis.Table,
    time_column: str,
    since: dt.date | None = None,
    until: dt.date | None = None,
    where: Mapping[str, Sequence[str]] | None = None,
) -> ibis.Table:
    """Keep rows in [since, until] (dates inclusive) whose dimensions match ``where``."""
    col = table[time_column]
    if since is not None:
        table = table.filter(
            col >= ibis.literal(since)
            if not col.type().is_timestamp()
            else col >= ibis.timestamp(dt.datetime.combine(since, dt.time()))
        )
    if until is not None:
        end = until + dt.timedelta(days=1)
        table = table.filter(
            col < ibis.literal(end)
            if not col.type().is_timestamp()
            else col < ibis.timestamp(dt.datetime.combine(end, dt.time()))
        )
    for name, values in (where or {}).items():
        table = table.filter(table[name].isin(list(values)))
    return table
