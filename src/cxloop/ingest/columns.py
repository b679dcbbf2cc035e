"""Match source columns to canonical fields (through the mapping, or by name).

Also where a file that cannot be used at all is caught early: a wrong delimiter
(one column whose name holds another delimiter) and missing required columns,
each with the columns that were found and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from ..errors import InputUnreadable, MappingError
from ..model import Entity
from .csvfile import DELIMITERS, delimiter_name
from .mapping import Mapping, normalise
from .rawtable import RawTable

RATING_PREFIX = "rating_"


@dataclass
class Resolved:
    """Canonical columns (text), each with the source column it came from."""

    table: pa.Table
    origin: dict[str, str]
    items: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def source_columns(self) -> list[str]:
        return list(dict.fromkeys(self.origin.values()))


def resolve(raw: RawTable, entity: Entity, mapping: Mapping, source: str) -> Resolved:
    """Pick and rename the source columns the entity needs (see the module docstring)."""
    names = raw.table.column_names
    exact = {n: n for n in names}
    folded = {n.strip().casefold(): n for n in names}
    loose = {normalise(n): n for n in names if normalise(n)}
    origin: dict[str, str] = {}

    def find(label: str, wanted: str) -> str:
        hit = (
            exact.get(wanted)
            or folded.get(wanted.strip().casefold())
            or loose.get(normalise(wanted))
        )
        if hit is None:
            raise MappingError(
                f"{mapping.path}: [columns] {label} = {wanted!r}: {source} has no such column "
                f"(columns found: {_listing(names)})"
            )
        return hit

    for canonical, wanted in mapping.columns.items():
        origin[canonical] = find(canonical, wanted)
    items: list[str] = []
    for item, wanted in mapping.ratings.items():
        origin[RATING_PREFIX + item] = find(f"rating.{item}", wanted)
        items.append(item)
    taken = set(origin.values())
    for canonical in entity.names:
        if canonical not in origin and canonical in loose and loose[canonical] not in taken:
            origin[canonical] = loose[canonical]
            taken.add(loose[canonical])
    warnings: list[str] = []
    for norm, name in loose.items():
        if name in taken or not norm.startswith(RATING_PREFIX) or len(norm) == len(RATING_PREFIX):
            continue
        if not entity.items_table:
            continue
        item = norm[len(RATING_PREFIX) :]
        if RATING_PREFIX + item not in origin:
            origin[RATING_PREFIX + item] = name
            items.append(item)
            taken.add(name)
    _check_usable(raw, entity, origin, source)
    ignored = [n for n in names if n not in taken]
    if ignored:
        warnings.append(f"ignored columns that are not {entity.name} fields: {_listing(ignored)}")
    table = pa.table({c: raw.table.column(src) for c, src in origin.items()})
    return Resolved(table=table, origin=origin, items=items, warnings=warnings)


def _check_usable(raw: RawTable, entity: Entity, origin: dict[str, str], source: str) -> None:
    names = raw.table.column_names
    missing = [f.name for f in entity.fields if f.required and f.name not in origin]
    if entity.one_of and not any(c in origin for c in entity.one_of):
        missing.append(" or ".join(entity.one_of))
    if not missing:
        return
    line = raw.header_row if raw.fmt == "csv" else None
    if raw.fmt == "csv" and len(names) == 1:
        others = [d for d in DELIMITERS if d != raw.delimiter and d in names[0]]
        if others:
            how = "was given" if raw.delimiter_given else "was guessed"
            raise InputUnreadable(
                source,
                f"found a single column {names[0][:80]!r}: the delimiter "
                f"{delimiter_name(raw.delimiter or ',')} {how} but the header is split by "
                f"{delimiter_name(others[0])}; pass --delimiter {_shell(others[0])}",
                line=line,
            )
    required = [f.name for f in entity.fields if f.required]
    if entity.one_of:
        required.append("one of " + ", ".join(entity.one_of))
    raise InputUnreadable(
        source,
        f"missing required column(s) for {entity.name}: {', '.join(missing)} "
        f"(needs {', '.join(required)}); columns found: {_listing(names)}. "
        "Rename the columns or pass --mapping (see docs/ingest.md)",
        line=line,
    )


def _shell(d: str) -> str:
    return "tab" if d == "\t" else f"'{d}'"


def _listing(names: list[str], limit: int = 12) -> str:
    shown = ", ".join(repr(n)[1:-1] if n else "(blank)" for n in names[:limit])
    if len(names) > limit:
        shown += f" and {len(names) - limit} more"
    return shown or "none"
