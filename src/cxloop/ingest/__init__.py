"""Ingest: bring survey responses, interactions and org data into a workspace, losing nothing.

    from cxloop.ingest import ingest_file
    result = ingest_file(ws, "responses", "survey.csv", mapping="map.toml")
    result.to_dict()   # {"read", "accepted", "quarantined", "duplicates", "conflicts", ...}

Sources: CSV (any delimiter, quoted newlines, BOM, UTF-8 or a declared encoding),
Parquet and JSON lines; Arrow tables and lists of dicts (an HTTP batch) go
through the same pipeline. Every row read is accepted, quarantined with its row
number and reason, a duplicate, or a conflict; personal data in free text is
redacted on the way in; each source is written all or nothing; ingesting the same
source twice adds nothing. The guide is docs/ingest.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping as MappingType
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..errors import InputError
from ..model import ENTITIES, Entity
from .csvfile import parse_delimiter
from .mapping import Mapping, load_mapping, mapping_from_dict
from .pipeline import run
from .result import IngestResult, Problem
from .sources import read_source, rows_to_raw, table_to_raw
from .storeio import Progress

__all__ = [
    "IngestResult",
    "Mapping",
    "Problem",
    "ingest_file",
    "ingest_rows",
    "ingest_table",
    "load_mapping",
    "mapping_from_dict",
]

MappingArg = Mapping | str | Path | dict[str, Any] | None


def ingest_file(
    ws,
    entity: str,
    path: str | Path,
    *,
    mapping: MappingArg = None,
    update: bool = False,
    encoding: str | None = None,
    delimiter: str | None = None,
    progress: Progress | None = None,
) -> IngestResult:
    """Ingest one file (CSV, Parquet or JSON lines) into ``entity``'s table, all or nothing.

    ``mapping`` is a mapping file (TOML), its parsed dict or a ``Mapping``; without
    one the header must use canonical names. ``update`` replaces stored rows whose
    key comes again with different content (otherwise they are conflicts).
    ``encoding`` and ``delimiter`` override the mapping's ``[csv]`` section.
    ``progress(stage, done, total)`` is called as the work advances.

    Raises ``InputUnreadable`` if the file cannot be used at all, ``MappingError``
    for a bad mapping.
    """
    ent = _entity(entity)
    m = _mapping(mapping, ent)
    sep = parse_delimiter(delimiter) or parse_delimiter(m.delimiter)
    if progress:
        progress("read", 0, 0)
    raw = read_source(path, encoding or m.encoding, sep)
    if progress:
        progress("read", raw.read, raw.read)
    return run(ws, ent, raw, m, source=str(path), update=update, progress=progress)


def ingest_table(
    ws,
    entity: str,
    table: pa.Table,
    *,
    source: str,
    mapping: MappingArg = None,
    update: bool = False,
    progress: Progress | None = None,
) -> IngestResult:
    """Ingest an Arrow table (rows numbered from 1), through the same pipeline as a file."""
    return _ingest_batch(
        ws, entity, table_to_raw(table, source=source), source, mapping, update, progress
    )


def ingest_rows(
    ws,
    entity: str,
    rows: Iterable[MappingType[str, Any]],
    *,
    source: str,
    mapping: MappingArg = None,
    update: bool = False,
    progress: Progress | None = None,
) -> IngestResult:
    """Ingest a batch of records given as dicts (for example a JSON body posted over HTTP)."""
    return _ingest_batch(
        ws, entity, rows_to_raw(rows, source=source), source, mapping, update, progress
    )


def _ingest_batch(ws, entity, raw, source, mapping, update, progress) -> IngestResult:
    """The shared tail of ingest_table and ingest_rows: an empty batch reads 0 rows."""
    ent = _entity(entity)
    m = _mapping(mapping, ent)
    if raw.table.num_rows == 0:
        return IngestResult(entity=ent.name, source=source)
    return run(ws, ent, raw, m, source=source, update=update, progress=progress)


def _entity(name: str) -> Entity:
    try:
        return ENTITIES[name]
    except KeyError:
        raise InputError(f"unknown entity {name!r}; known: {', '.join(ENTITIES)}") from None


def _mapping(mapping: MappingArg, entity: Entity) -> Mapping:
    if mapping is None:
        return Mapping()
    if isinstance(mapping, Mapping):
        return mapping
    if isinstance(mapping, dict):
        return mapping_from_dict(mapping, entity)
    return load_mapping(mapping, entity)
