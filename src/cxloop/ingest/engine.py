"""The in-process DuckDB that ingest uses as a compute engine over Arrow tables.

DuckDB scans Arrow in parallel and does not always return rows in input order, so
every query here carries a ``pos`` column and ``ordered`` puts rows back in input
order (an O(n) scatter, no sort). SQL texts are constants of this package; values
are passed only as parameters.
"""

from __future__ import annotations

import threading
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

_DATABASE: duckdb.DuckDBPyConnection | None = None
_LOCK = threading.Lock()


def connect() -> duckdb.DuckDBPyConnection:
    """A fresh connection to a private in-memory DuckDB (shared by the process, cheap to open;
    each connection has its own registered tables, so concurrent ingests do not meet)."""
    global _DATABASE
    with _LOCK:
        if _DATABASE is None:
            _DATABASE = duckdb.connect(":memory:")
        con = _DATABASE.cursor()
    con.execute("SET enable_progress_bar = false")
    return con


#: DuckDB's row-group size: Arrow input is split into batches this big so DuckDB can
#: scan (and write) them on all cores; one huge batch is scanned by one thread.
BATCH = 122_880


def batched(table: pa.Table) -> pa.Table:
    """The same rows as record batches of at most ``BATCH`` rows (slices: nothing is copied)."""
    if all(len(c) <= BATCH for col in table.columns for c in col.chunks) and table.num_rows:
        return table
    return pa.Table.from_batches(table.to_batches(max_chunksize=BATCH), schema=table.schema)


def register(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    """Make an Arrow table queryable as ``name`` (in parallel-friendly batches)."""
    con.register(name, batched(table))


def positions(n: int) -> pa.Array:
    return pa.array(np.arange(n, dtype=np.int64))


def ordered(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None, n: int
) -> pa.Table:
    """Run ``sql`` (whose result has a ``pos`` column 0..n-1) and return rows in ``pos`` order."""
    out = con.execute(sql, params or {}).to_arrow_table()
    pos = out["pos"].to_numpy()
    if len(pos) != n:
        raise AssertionError(f"compute query returned {len(pos)} rows for {n}")
    if n > 1 and not bool(np.all(pos[1:] > pos[:-1])):
        order = np.empty(n, dtype=np.int64)
        order[pos] = np.arange(n, dtype=np.int64)
        out = out.take(pa.array(order))
    return out.drop_columns(["pos"])
