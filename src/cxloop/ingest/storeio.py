"""Everything ingest reads from or writes to the analytics store, through its public methods.

Reads use Ibis expressions (so another backend works); writes go through
``AnalyticsStore.insert`` / ``delete_keys`` inside the caller's transaction, one
table at a time, calling ``progress`` after each.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from ..model import ENTITIES, Entity
from ..store.analytics import ROW_HASH
from .engine import batched

Progress = Callable[[str, int, int], None]


def stored_hashes(store, entity: Entity, keys: pa.Array | pa.ChunkedArray) -> pa.Table:
    """(key, _row_hash) of the stored rows whose key is among ``keys``."""
    empty = pa.table({entity.key: pa.array([], pa.string()), ROW_HASH: pa.array([], pa.int64())})
    if len(keys) == 0:
        return empty
    table = store.table(entity.name)
    wanted = ibis.memtable(batched(pa.table({"_k": keys})))
    expr = table.semi_join(wanted, table[entity.key] == wanted["_k"]).select(entity.key, ROW_HASH)
    out = expr.to_pyarrow()
    return pa.table(
        {entity.key: out.column(0).cast(pa.string()), ROW_HASH: out.column(1).cast(pa.int64())}
    )


def stored_content(store, entity: Entity, keys: pa.Array) -> tuple[pa.Table, pa.Table | None]:
    """The stored rows (canonical fields) whose key is among ``keys``, and their rating items."""
    wanted = ibis.memtable(batched(pa.table({"_k": pc.unique(keys)})))
    table = store.table(entity.name)
    rows = table.semi_join(wanted, table[entity.key] == wanted["_k"]).select(*entity.names)
    content = rows.to_pyarrow().cast(entity.arrow_schema)
    items = None
    if entity.items_table:
        it = store.table(entity.items_table)
        expr = it.semi_join(wanted, it[entity.key] == wanted["_k"]).select(
            entity.key, "item", "value"
        )
        items = expr.to_pyarrow()
    return content, items


def known_keys(store, name: str) -> pa.Array | None:
    """Every key of entity ``name`` in the store, or None when that table is empty."""
    key = ENTITIES[name].key
    out = store.table(name).select(key).distinct().to_pyarrow()
    if out.num_rows == 0:
        return None
    return out.column(0).combine_chunks().cast(pa.string())


def write_rows(
    store,
    name: str,
    rows: pa.Table,
    progress: Progress | None,
    stage: str = "write",
    done: int = 0,
    total: int | None = None,
) -> int:
    """Insert ``rows`` into table ``name`` in one statement; returns rows written so far.

    On DuckDB, insertion order is not preserved during the insert (rows of a table
    have no order anyway), which lets DuckDB compress and write in parallel.
    """
    total = total if total is not None else rows.num_rows
    if rows.num_rows:
        with _unordered_inserts(store):
            store.insert(name, batched(rows))
    done += rows.num_rows
    if progress:
        progress(stage, done, total)
    return done


@contextlib.contextmanager
def _unordered_inserts(store) -> Iterator[None]:
    if getattr(store, "dialect", None) != "duckdb":
        yield
        return
    store.con.raw_sql("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        store.con.raw_sql("RESET preserve_insertion_order")


def delete(store, name: str, key: str, keys: pa.Array) -> None:
    if len(keys):
        store.delete_keys(name, key, keys)
