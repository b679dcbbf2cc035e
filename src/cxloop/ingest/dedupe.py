"""Duplicates and conflicts: a content hash per row, compared by key with the file and the store.

``_row_hash`` fingerprints a row's canonical content: every field of the entity
after conversion and redaction, and its non-empty rating items, so the same record
read from CSV, Parquet or JSON hashes the same. It is a 64-bit integer: 48 bits of
DuckDB's ``hash`` of those values (rating items folded in by ``items_hash``) under a
16-bit *version*, taken from the hash of a fixed sample row of the entity's fields. If a DuckDB upgrade changes the hash function, or the data model
gains a field, the version changes; stored rows with another version are then
re-hashed from their stored content before comparing, so nothing is misreported.

For each key, in file order:

- a row whose hash is already stored for that key, or came earlier in the file
  under that key, is a duplicate;
- otherwise the first new content for a key that is not stored is accepted;
- any other content is a conflict, or, with ``update``, accepted as an update.
  With ``update`` the last row for a key is what ends up stored.

All of it runs in the in-process DuckDB over Arrow tables; the SQL names only
columns generated here, and values travel as parameters.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..model import Entity
from .engine import ordered, positions, register

ACCEPTED, UPDATED, DUPLICATE, CONFLICT = 0, 1, 2, 3
#: Bump to invalidate every stored hash (forces re-hashing from stored content).
SCHEME = "1"
_SAMPLES = {
    "string": pa.scalar("cxloop"),
    "text": pa.scalar("Thank you, [EMAIL]!"),
    "int": pa.scalar(7, pa.int64()),
    "float": pa.scalar(0.5, pa.float64()),
    "bool": pa.scalar(True),
    "timestamp": pa.scalar(dt.datetime(2000, 1, 2, 3, 4, 5, 6), pa.timestamp("us")),
    "date": pa.scalar(dt.date(2000, 1, 2), pa.date32()),
}


@dataclass
class Classified:
    """Per valid row (in input order): its status, whether to write it, and whether it replaces."""

    status: pa.Array
    write: pa.Array
    replaces: pa.Array


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a well-spread 64-bit hash of 64-bit inputs (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _item_hash(name: str, values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A 64-bit hash of (item name, value) per row; 0 where the value is empty."""
    salt = np.uint64(
        int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")
    )
    v = values.to_numpy(zero_copy_only=False).astype(np.float64) + 0.0  # -0.0 becomes 0.0
    present = ~np.isnan(v)
    return np.where(present, _mix(np.where(present, v, 0.0).view(np.uint64) ^ salt), np.uint64(0))


def items_hash(items: dict[str, pa.Array | pa.ChunkedArray], n: int) -> pa.Array:
    """Each row's non-empty rating items folded into one 64-bit value (0 for none).

    Order-free (XOR of per-item hashes), so stored items can be folded the same way.
    Computed with numpy: our own, stable across library versions.
    """
    out = np.zeros(n, dtype=np.uint64)
    for name, values in items.items():
        out ^= _item_hash(name, values)
    return pa.array(out)


def row_hashes(
    con: duckdb.DuckDBPyConnection,
    columns: list[pa.Array | pa.ChunkedArray],
    items: pa.Array,
    version: int,
) -> pa.ChunkedArray:
    """Each row's fingerprint (int64): ``version`` in the top 16 bits, then 48 bits of DuckDB's
    hash of the columns in order and ``items_hash``."""
    n = len(items)
    arrays = list(columns) + [items]
    table = pa.table({"pos": positions(n)} | {f"c{i}": a for i, a in enumerate(arrays)})
    args = ", ".join(f"c{i}" for i in range(len(arrays)))
    sql = f"SELECT pos, hash({args}) AS h FROM hash_src"  # noqa: S608
    register(con, "hash_src", table)
    try:
        hashes = ordered(con, sql, None, n)["h"].combine_chunks()
    finally:
        con.unregister("hash_src")
    raw = hashes.to_numpy(zero_copy_only=False).astype(np.uint64)
    tagged = (raw & _LOW48) | (np.uint64(version) << np.uint64(48))
    return pa.chunked_array([pa.array(tagged.view(np.int64))])


_LOW48 = np.uint64((1 << 48) - 1)


def version_of(hashes: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The hash version (top 16 bits) of each stored fingerprint."""
    values = hashes.to_numpy(zero_copy_only=False).astype(np.int64)
    return (values.view(np.uint64) >> np.uint64(48)).astype(np.int64)


def version(con: duckdb.DuckDBPyConnection, entity: Entity) -> int:
    """The 16-bit hash version of ``entity`` on this engine (see the module docstring)."""
    columns = [pa.array([_SAMPLES[f.type].as_py()], f.arrow_type) for f in entity.fields]
    columns.append(pa.array([f"{entity.name}:{SCHEME}:" + ",".join(entity.names)]))
    sample = row_hashes(con, columns, items_hash({"a": pa.array([1.5])}, 1), 0)[0].as_py()
    return (sample >> 24) & 0xFFFF


_CLASSIFY = """
WITH a AS (
  SELECT i.pos, i.k, i.h, s.sh, min(i.pos) OVER (PARTITION BY i.k, i.h) AS fpos
  FROM incoming i LEFT JOIN stored s ON i.k = s.k),
b AS (SELECT *, pos <> fpos OR coalesce(h = sh, false) AS dup FROM a),
c AS (
  SELECT *, min(CASE WHEN NOT dup THEN pos END) OVER (PARTITION BY k) AS first_new,
         max(pos) OVER (PARTITION BY k) AS last_pos
  FROM b)
SELECT pos,
  CAST(CASE WHEN dup THEN 2
            WHEN sh IS NULL AND pos = first_new THEN 0
            WHEN $update THEN 1
            ELSE 3 END AS TINYINT) AS status,
  CASE WHEN $update THEN pos = last_pos AND (sh IS NULL OR h <> sh)
       ELSE NOT dup AND sh IS NULL AND pos = first_new END AS write,
  sh IS NOT NULL AS replaces
FROM c
"""

_CLASSIFY_UNIQUE = """
SELECT i.pos,
  CAST(CASE WHEN s.sh IS NULL THEN 0 WHEN i.h = s.sh THEN 2 WHEN $update THEN 1 ELSE 3 END
       AS TINYINT) AS status,
  s.sh IS NULL OR (i.h <> s.sh AND $update) AS write,
  s.sh IS NOT NULL AS replaces
FROM incoming i LEFT JOIN stored s ON i.k = s.k
"""


def classify(
    con: duckdb.DuckDBPyConnection,
    keys: pa.Array | pa.ChunkedArray,
    hashes: pa.Array | pa.ChunkedArray,
    stored: pa.Table,
    update: bool,
) -> Classified:
    """Status of each row given the stored (key, hash) pairs (see the module docstring)."""
    n = len(keys)
    if n == 0:
        empty = pa.array([], pa.bool_())
        return Classified(pa.array([], pa.int8()), empty, empty)
    unique = _unique(con, keys)
    if unique and stored.num_rows == 0:  # the common first load: everything is new
        yes, no = pa.array(np.ones(n, dtype=bool)), pa.array(np.zeros(n, dtype=bool))
        return Classified(pa.array(np.zeros(n, dtype=np.int8)), yes, no)
    register(con, "incoming", pa.table({"pos": positions(n), "k": keys, "h": hashes}))
    register(con, "stored", stored.rename_columns(["k", "sh"]))
    try:
        out = ordered(con, _CLASSIFY_UNIQUE if unique else _CLASSIFY, {"update": update}, n)
    finally:
        con.unregister("incoming")
        con.unregister("stored")
    return Classified(
        status=out["status"].combine_chunks(),
        write=out["write"].combine_chunks(),
        replaces=out["replaces"].combine_chunks(),
    )


def _unique(con: duckdb.DuckDBPyConnection, keys: pa.Array | pa.ChunkedArray) -> bool:
    """True if no key occurs twice (instant when the keys come sorted, as exports often do)."""
    flat = keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys
    if len(flat) < 2:
        return True
    if pc.all(pc.greater(flat.slice(1), flat.slice(0, len(flat) - 1))).as_py():
        return True
    register(con, "keys_src", pa.table({"k": flat}))
    try:
        sql = "SELECT count(*) FROM (SELECT k FROM keys_src GROUP BY k HAVING count(*) > 1)"
        return con.execute(sql).fetchone()[0] == 0
    finally:
        con.unregister("keys_src")


_ITEMS_BY_KEY = """
SELECT s.pos, coalesce(a.h, 0) AS h
FROM keys_src s LEFT JOIN (SELECT k, bit_xor(h) AS h FROM stored_items GROUP BY k) a ON s.k = a.k
"""


def stored_items_hash(
    con: duckdb.DuckDBPyConnection, keys: pa.Array, item_rows: pa.Table
) -> pa.Array:
    """``items_hash`` for stored rows, from (key, item, value) rows of the items table."""
    names = item_rows.column(1).combine_chunks()
    values = item_rows.column(2).combine_chunks()
    h = np.zeros(len(names), dtype=np.uint64)
    for name in pc.unique(names).to_pylist():
        mask = pc.equal(names, name).to_numpy(zero_copy_only=False)
        h[mask] = _item_hash(name, values.filter(pa.array(mask)))
    register(con, "stored_items", pa.table({"k": item_rows.column(0), "h": pa.array(h)}))
    register(con, "keys_src", pa.table({"pos": positions(len(keys)), "k": keys}))
    try:
        return ordered(con, _ITEMS_BY_KEY, None, len(keys))["h"].combine_chunks()
    finally:
        for name in ("stored_items", "keys_src"):
            con.unregister(name)
