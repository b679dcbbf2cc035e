"""The mapping file (TOML): which source column holds which canonical field, and how to read it.

    [columns]                 # canonical field = "Source column"
    response_id = "Survey ID"
    nps = "Q1 How likely..."
    rating.speed = "Q2 Speed"  # a rating item (goes to the entity's items table)

    [values.channel]          # source value = canonical value (case-insensitive)
    "Tel" = "phone"

    [timestamps]
    formats = ["%d/%m/%Y %H:%M", "%d/%m/%Y"]   # tried in order, then ISO 8601
    timezone = "Europe/London"                 # for values without an offset

    [csv]
    delimiter = ";"
    encoding = "cp1252"

A file whose header already uses the canonical names needs no mapping; source
columns are matched to canonical names ignoring case, spaces and punctuation
("Response ID" is ``response_id``). The mapping itself is checked before any row
is read: an unknown field or section raises ``MappingError`` naming the mapping
file and the key.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import MappingError
from ..model import Entity

_SECTIONS = {"columns", "values", "timestamps", "csv"}


@dataclass
class Mapping:
    """A parsed, checked mapping (empty means: the header uses canonical names)."""

    path: str = "mapping"
    columns: dict[str, str] = field(default_factory=dict)
    ratings: dict[str, str] = field(default_factory=dict)
    #: canonical field -> {lower-cased source value: canonical value as text, or None}
    values: dict[str, dict[str, str | None]] = field(default_factory=dict)
    formats: list[str] = field(default_factory=list)
    timezone: str | None = None
    delimiter: str | None = None
    encoding: str | None = None


def normalise(name: str) -> str:
    """A column name reduced for matching: lower case, runs of non-alphanumerics as '_'."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def load_mapping(path: str | Path, entity: Entity) -> Mapping:
    """Read and check a mapping file for ``entity``."""
    name = str(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise MappingError(f"{name}: mapping file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise MappingError(f"{name}: cannot read the mapping file: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise MappingError(f"{name}: not valid TOML: {e}") from None
    return mapping_from_dict(data, entity, name)


def mapping_from_dict(data: dict[str, Any], entity: Entity, name: str = "mapping") -> Mapping:
    """Check a mapping given as a dict (the parsed TOML) against ``entity``."""
    m = Mapping(path=name)
    for key in data:
        if key not in _SECTIONS:
            raise MappingError(
                f"{name}: unknown section [{key}] (known: {', '.join(sorted(_SECTIONS))})"
            )
    fields = set(entity.names)
    for canonical, source in _table(data, "columns", name).items():
        if canonical == "rating" and isinstance(source, dict):
            for item, src in source.items():
                m.ratings[_item(name, item)] = _text(name, f"columns.rating.{item}", src)
            continue
        if canonical.startswith("rating."):
            m.ratings[_item(name, canonical[7:])] = _text(name, f"columns.{canonical}", source)
            continue
        if canonical not in fields:
            raise MappingError(_unknown(name, f"[columns] {canonical}", entity))
        m.columns[canonical] = _text(name, f"columns.{canonical}", source)
    if m.ratings and not entity.items_table:
        raise MappingError(f"{name}: [columns] rating.*: {entity.name} have no rating items")
    for canonical, table in _table(data, "values", name).items():
        if canonical not in fields:
            raise MappingError(_unknown(name, f"[values.{canonical}]", entity))
        if not isinstance(table, dict):
            raise MappingError(f"{name}: [values.{canonical}] must be a table of source = value")
        m.values[canonical] = _value_map(name, canonical, table)
    ts = _table(data, "timestamps", name)
    for key, value in ts.items():
        if key in ("formats", "format"):
            m.formats = _formats(name, key, value)
        elif key == "timezone":
            m.timezone = _zone(name, _text(name, "timestamps.timezone", value))
        else:
            raise MappingError(f"{name}: [timestamps] unknown key {key!r} (formats, timezone)")
    for key, value in _table(data, "csv", name).items():
        if key not in ("delimiter", "encoding"):
            raise MappingError(f"{name}: [csv] unknown key {key!r} (delimiter, encoding)")
        setattr(m, key, _text(name, f"csv.{key}", value))
    return m


def _table(data: dict[str, Any], key: str, name: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise MappingError(f"{name}: {key} must be a section ([{key}])")
    return value


def _text(name: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise MappingError(f"{name}: {key} must be a non-empty string, not {value!r}")
    return value


def _item(name: str, item: str) -> str:
    clean = normalise(item)
    if not clean:
        raise MappingError(f"{name}: [columns] rating.{item}: empty rating item name")
    return clean


def _unknown(name: str, key: str, entity: Entity) -> str:
    return (
        f"{name}: {key}: not a field of {entity.name} "
        f"(fields: {', '.join(entity.names)}; rating items as rating.<item>)"
    )


def _value_map(name: str, canonical: str, table: dict[str, Any]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for source, value in table.items():
        key = source.strip().lower()
        if key in out:
            raise MappingError(f"{name}: [values.{canonical}] {source!r} is listed twice")
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (int, float, str)):
            out[key] = str(value) if value != "" else None
        else:
            raise MappingError(
                f"{name}: [values.{canonical}] {source!r}: value must be text, a number or "
                f"true/false, not {value!r}"
            )
    return out


def _formats(name: str, key: str, value: Any) -> list[str]:
    formats = [value] if isinstance(value, str) else value
    if not isinstance(formats, list) or not formats:
        raise MappingError(f"{name}: [timestamps] {key} must be a list of strptime formats")
    for f in formats:
        if not isinstance(f, str) or "%" not in f:
            raise MappingError(
                f"{name}: [timestamps] {key}: {f!r} is not a strptime format like '%d/%m/%Y %H:%M'"
            )
    return list(formats)


def _zone(name: str, zone: str) -> str:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise MappingError(
            f"{name}: [timestamps] timezone {zone!r} is not an IANA time zone like Europe/London"
        ) from None
    return zone
