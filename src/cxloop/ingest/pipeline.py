"""One ingest, start to finish: map, check, compare, then write everything or nothing.

The steps, each vectorised over the whole source: match columns
(``columns``), convert and validate (``convert``), check references into the
loaded organisation, hash and classify rows against the file and the store
(``dedupe``), then, inside one store transaction, delete replaced rows (with
``update``), insert the new rows and their rating items, the rejects
(``quarantine`` table) and one ``ingest_log`` row. The rejects CSV is moved into
place only as the transaction commits: a crash or Ctrl-C at any point leaves the
workspace as it was before this source.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputUnreadable, SettingsError
from ..model import Entity
from ..store.analytics import INGEST_ID, INGEST_LOG_SCHEMA, ROW_HASH
from . import dedupe, engine, rejects, storeio
from .columns import resolve
from .convert import Checked, Context, check
from .mapping import Mapping
from .problems import SCHEMA as PROBLEM_SCHEMA
from .problems import quoted
from .rawtable import RawTable
from .redact import Redactor
from .result import IngestResult, Problem
from .storeio import Progress

EMPLOYEE_REFERENCE = "employees.employee_id"


@dataclass
class Compared:
    """The rows that passed every check (positions ``good``), typed, hashed and classified."""

    good: pa.Array
    content: list
    items: dict
    keys: pa.Array
    hashes: pa.ChunkedArray
    classified: dedupe.Classified


def run(
    ws,
    entity: Entity,
    raw: RawTable,
    mapping: Mapping,
    *,
    source: str,
    update: bool = False,
    progress: Progress | None = None,
) -> IngestResult:
    """Ingest a source already read into ``raw`` (see the module docstring)."""
    result = IngestResult(entity=entity.name, source=source, warnings=list(raw.warnings))
    if raw.table.num_columns == 0:
        _refuse_unreadable(raw, source)
    resolved = resolve(raw, entity, mapping, source)  # missing columns are said first
    if raw.table.num_rows == 0:
        _refuse_unreadable(raw, source)
    if raw.blank:
        result.warnings.append(f"skipped {raw.blank} blank row(s)")
    result.warnings += resolved.warnings
    redactor = Redactor(ws.settings.privacy.account_patterns)
    checked, compared = _check_and_compare(
        ws, entity, resolved, raw, mapping, redactor, update, progress
    )
    result.warnings += checked.warnings
    if progress:
        progress("compare", raw.table.num_rows, raw.table.num_rows)
    problems = checked.problems.table()
    _count(result, raw, problems, compared.classified)
    rej = rejects.collect(
        problems,
        raw.bad,
        _conflicts(entity, compared),
        raw.table,
        raw.rows,
        resolved.source_columns,
        raw.table.column_names,
        redactor,
    )
    first = rej.table.slice(0, IngestResult.MAX_EXAMPLES).select(["row", "field", "reason"])
    result.reasons = [Problem(r["row"], r["field"], r["reason"]) for r in first.to_pylist()]
    result.reason_counts = rejects.kinds(rej)
    result.ingest_id = f"{dt.datetime.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    new_rows, item_rows, replaced = _writes(entity, compared, result.ingest_id)
    _commit(
        ws, entity, result, new_rows, item_rows, replaced, rej, _log_row(ws, result, raw), progress
    )
    return result


def _refuse_unreadable(raw: RawTable, source: str) -> None:
    """Not one record could be read: the file is unusable, not a set of bad rows."""
    first = raw.bad[0] if raw.bad else None
    if first is None:
        raise InputUnreadable(source, "no records")
    raise InputUnreadable(
        source,
        f"no readable records ({len(raw.bad)} tried); first: {first.reason}",
        line=first.row,
    )


def _check_and_compare(ws, entity, resolved, raw, mapping, redactor, update, progress):
    """Validate every value, then hash and classify the rows that passed."""
    n = raw.table.num_rows
    con = engine.connect()
    try:
        ctx = Context(mapping, _workspace_zone(ws), redactor, con)
        checked = check(resolved.table, entity, ctx, raw.rows)
        _check_references(ws.analytics, entity, checked)
        if progress:
            progress("check", n, n)
        good = pc.indices_nonzero(pc.invert(checked.problems.bad_rows()))
        content = [_take(checked.columns[f.name], good, n) for f in entity.fields]
        items = {name: _take(values, good, n) for name, values in checked.items.items()}
        keys = content[entity.names.index(entity.key)]
        version = dedupe.version(con, entity)
        hashes = dedupe.row_hashes(con, content, dedupe.items_hash(items, len(good)), version)
        stored = storeio.stored_hashes(ws.analytics, entity, keys)
        stored = _rehash_stale(ws.analytics, con, entity, stored, version)
        classified = dedupe.classify(con, keys, hashes, stored, update)
    finally:
        con.close()
    return checked, Compared(good, content, items, keys, hashes, classified)


def _count(result: IngestResult, raw: RawTable, problems: pa.Table, c: dedupe.Classified) -> None:
    result.read = raw.read
    result.quarantined = len(raw.bad) + (len(pc.unique(problems["pos"])) if len(problems) else 0)
    counts = {s: pc.sum(pc.equal(c.status, s)).as_py() or 0 for s in range(4)}
    result.accepted = counts[dedupe.ACCEPTED] + counts[dedupe.UPDATED]
    result.updated = counts[dedupe.UPDATED]
    result.duplicates = counts[dedupe.DUPLICATE]
    result.conflicts = counts[dedupe.CONFLICT]
    result.check()


def _writes(entity: Entity, c: Compared, ingest_id: str):
    """The entity rows and rating items to insert, and the keys whose stored rows they replace."""
    write = pc.indices_nonzero(c.classified.write)
    m = len(c.keys)
    new_rows = pa.table(
        {f.name: _take(col, write, m) for f, col in zip(entity.fields, c.content, strict=True)}
        | {
            ROW_HASH: _take(c.hashes, write, m),
            INGEST_ID: pa.repeat(pa.scalar(ingest_id), len(write)),
        }
    )
    replaced = c.keys.filter(pc.and_(c.classified.write, c.classified.replaces))
    item_rows = _item_rows(
        entity, _take(c.keys, write, m), {k: _take(v, write, m) for k, v in c.items.items()}
    )
    return new_rows, item_rows, replaced


def _workspace_zone(ws) -> str:
    zone = ws.settings.workspace.timezone
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"workspace.timezone: {zone!r} is not an IANA time zone") from None
    return zone


def _take(values, indices: pa.Array, n: int):
    """``values.take(indices)``, without a copy when ``indices`` is every row (0..n-1)."""
    return values if len(indices) == n else values.take(indices)


def _rehash_stale(store, con, entity: Entity, stored: pa.Table, version: int) -> pa.Table:
    """Stored hashes made by another hash version, recomputed from the stored content."""
    if stored.num_rows == 0:
        return stored
    current = pa.array(dedupe.version_of(stored.column(1)) == version)
    if pc.all(current).as_py():
        return stored
    stale = stored.column(0).filter(pc.invert(current))
    content, item_rows = storeio.stored_content(store, entity, stale)
    keys = content.column(entity.key)
    folded = (
        dedupe.stored_items_hash(con, keys.combine_chunks(), item_rows)
        if item_rows is not None
        else dedupe.items_hash({}, content.num_rows)
    )
    fresh = dedupe.row_hashes(con, content.columns, folded, version)
    rehashed = pa.table({stored.column_names[0]: keys, stored.column_names[1]: fresh})
    return pa.concat_tables([stored.filter(current), rehashed.cast(stored.schema)])


def _check_references(store, entity: Entity, checked: Checked) -> None:
    """Unknown employees (agent, leader, manager) are problems once the organisation is loaded."""
    fields = [f for f in entity.fields if f.references == EMPLOYEE_REFERENCE]
    if not fields:
        return
    known = storeio.known_keys(store, "employees")
    if known is None:
        return
    if entity.name == "employees":
        known = pa.concat_arrays([known, checked.columns[entity.key].combine_chunks()])
    for f in fields:
        values = checked.columns[f.name]
        unknown = pc.and_(pc.is_valid(values), pc.invert(pc.is_in(values, value_set=known)))
        label = f.name.removesuffix("_id").replace("_", " ")
        checked.problems.add(
            unknown,
            f.name,
            "not among the loaded employees",
            values,
            f"unknown {label} {{value}} is {{kind}}",
        )


def _conflicts(entity: Entity, c: Compared) -> pa.Table:
    """One rejects line per conflicting row, saying where the other content is."""
    keys, good, classified = c.keys, c.good, c.classified
    mask = pc.equal(classified.status, dedupe.CONFLICT)
    idx = pc.indices_nonzero(mask)
    if len(idx) == 0:
        return PROBLEM_SCHEMA.empty_table()
    stored = classified.replaces.filter(mask)
    shown = quoted(keys.take(idx))
    where = pc.if_else(
        stored,
        " is already stored with different content (--update replaces it)",
        " appears earlier in this source with different content",
    )
    return pa.table(
        {
            "pos": good.take(idx).cast(pa.int64()),
            "field": pa.array([entity.key] * len(idx), pa.string()),
            "kind": pa.array(["conflict"] * len(idx), pa.string()),
            "reason": pc.binary_join_element_wise("conflict: ", entity.key, " ", shown, where, ""),
        },
        schema=PROBLEM_SCHEMA,
    )


def _item_rows(entity: Entity, keys, items: dict) -> pa.Table | None:
    """The long (key, item, value) rows of the items table for the non-empty rating values,
    ordered by key then item (DuckDB stores runs of the same key faster)."""
    if not entity.items_table or not items:
        return None
    names = sorted(items)
    values = np.column_stack(
        [items[name].to_numpy(zero_copy_only=False).astype(np.float64) for name in names]
    )
    rows, cols = np.nonzero(~np.isnan(values))
    item = pa.DictionaryArray.from_arrays(pa.array(cols.astype(np.int32)), pa.array(names))
    return pa.table(
        {
            entity.key: keys.take(pa.array(rows)),
            "item": item.cast(pa.string()),
            "value": pa.array(values[rows, cols]),
        }
    )


def _log_row(ws, result: IngestResult, raw: RawTable) -> pa.Table:
    now = dt.datetime.now(ZoneInfo(ws.settings.workspace.timezone)).replace(tzinfo=None)
    row = {
        "ingest_id": result.ingest_id,
        "entity": result.entity,
        "source": result.source,
        "source_sha256": raw.sha256,
        "ingested_at": now,
        "read": result.read,
        "accepted": result.accepted,
        "quarantined": result.quarantined,
        "duplicates": result.duplicates,
        "conflicts": result.conflicts,
        "updated": result.updated,
    }
    return pa.Table.from_pylist([row], schema=INGEST_LOG_SCHEMA)


def _commit(ws, entity, result, new_rows, item_rows, replaced, rej, log, progress) -> None:
    """All writes for one source in one transaction; the rejects file appears only on success."""
    store = ws.analytics
    tmp = final = None
    if not rej.empty:
        tmp, final = rejects.write_file(rej, ws.log_dir, entity.name, result.source)
    moved = False
    total = new_rows.num_rows + (item_rows.num_rows if item_rows is not None else 0)
    try:
        with store.transaction():
            if len(replaced):
                storeio.delete(store, entity.name, entity.key, replaced)
                if entity.items_table:
                    storeio.delete(store, entity.items_table, entity.key, replaced)
            done = storeio.write_rows(store, entity.name, new_rows, progress, total=total)
            if item_rows is not None:
                storeio.write_rows(
                    store, entity.items_table, item_rows, progress, done=done, total=total
                )
            if not rej.empty:
                store.insert(
                    "quarantine",
                    rejects.quarantine_rows(rej, result.ingest_id, entity.name, result.source),
                )
            store.insert("ingest_log", log)
            if tmp is not None:
                tmp.replace(final)
                moved = True
                result.rejects_file = str(final)
    except BaseException:
        if moved and final is not None:
            final.unlink(missing_ok=True)
        result.rejects_file = None
        raise
    finally:
        if tmp is not None and not moved:
            Path(tmp).unlink(missing_ok=True)
    if progress:
        progress("done", result.read, result.read)
