"""The analytics store: canonical tables behind one Ibis connection.

DuckDB (a file in the workspace) is the default; any Ibis backend can be named by
URL in cxloop.toml. Metrics read these tables only through Ibis expressions, so they
run unchanged on another engine. Writes are batched Arrow tables inside one
transaction per ingested file, so a crash leaves the store as it was.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import ibis
import pyarrow as pa
import sqlglot as sg
import sqlglot.expressions as sge

from ..errors import BackendUnsupported, StoreError
from ..model import ENTITIES, ITEMS_TABLES

#: Bookkeeping columns added to every entity table.
ROW_HASH = "_row_hash"
INGEST_ID = "_ingest_id"

QUARANTINE_SCHEMA = pa.schema(
    [
        ("ingest_id", pa.string()),
        ("entity", pa.string()),
        ("source", pa.string()),
        ("row_number", pa.int64()),
        ("field", pa.string()),
        ("reason", pa.string()),
        ("raw", pa.string()),
    ]
)

INGEST_LOG_SCHEMA = pa.schema(
    [
        ("ingest_id", pa.string()),
        ("entity", pa.string()),
        ("source", pa.string()),
        ("source_sha256", pa.string()),
        ("ingested_at", pa.timestamp("us")),
        ("read", pa.int64()),
        ("accepted", pa.int64()),
        ("quarantined", pa.int64()),
        ("duplicates", pa.int64()),
        ("conflicts", pa.int64()),
        ("updated", pa.int64()),
    ]
)

#: What tagging found in each response comment (written by cxloop.text).
COMMENT_TAGS_SCHEMA = pa.schema(
    [
        ("response_id", pa.string()),
        ("text_hash", pa.int64()),
        ("taxonomy_hash", pa.string()),
        ("sentiment", pa.string()),
        ("sentiment_score", pa.float64()),
        ("n_themes", pa.int64()),
        ("tagged_at", pa.timestamp("us")),
    ]
)

#: One row per theme found in a response comment, with its evidence.
COMMENT_THEMES_SCHEMA = pa.schema(
    [
        ("response_id", pa.string()),
        ("theme", pa.string()),
        ("parent", pa.string()),
        ("sentiment", pa.string()),
        ("sentiment_score", pa.float64()),
        ("confidence", pa.float64()),
        ("source", pa.string()),
        ("evidence", pa.string()),
        ("span_start", pa.int64()),
        ("span_end", pa.int64()),
        ("rank", pa.int64()),
    ]
)

#: Sentence embeddings cached by text hash and model, as float32 bytes.
TEXT_EMBEDDINGS_SCHEMA = pa.schema(
    [("text_hash", pa.int64()), ("model", pa.string()), ("vector", pa.binary())]
)

TEXT_TABLES = {
    "comment_tags": COMMENT_TAGS_SCHEMA,
    "comment_themes": COMMENT_THEMES_SCHEMA,
    "text_embeddings": TEXT_EMBEDDINGS_SCHEMA,
}

#: Text columns with few distinct values (dictionary-compressed on DuckDB); other text is
#: ids or free text (FSST).
CATEGORICAL = frozenset(
    {
        "acquired_via", "agent_id", "channel", "instrument", "item", "leader_id",
        "manager_id", "product", "queue", "reason", "region", "role", "segment",
        "site", "team_id", INGEST_ID, "theme", "parent", "sentiment", "source",
        "taxonomy_hash", "model",
    }
)  # fmt: skip

#: DuckDB column type and the compression that fits each Arrow type. Naming the
#: compression spares DuckDB its per-segment analysis: bulk writes take about a third
#: less time for the same file size and query speed (bench/RESULTS.md).
_DUCKDB_COLUMNS = {
    pa.string(): ("VARCHAR", "fsst"),
    pa.int64(): ("BIGINT", "bitpacking"),
    pa.float64(): ("DOUBLE", "alp"),
    pa.timestamp("us"): ("TIMESTAMP", "bitpacking"),
    pa.date32(): ("DATE", "bitpacking"),
    pa.bool_(): ("BOOLEAN", None),
    pa.binary(): ("BLOB", None),
}


def duckdb_table_ddl(name: str, schema: pa.Schema) -> str:
    """CREATE TABLE for DuckDB with each column's compression named.

    Names come from cxloop's own data model, never from input data.
    """
    columns = []
    for field in schema:
        sql_type, compression = _DUCKDB_COLUMNS[field.type]
        if field.name in (ROW_HASH, "text_hash"):
            compression = "uncompressed"  # a hash is random: nothing to compress
        elif field.name in CATEGORICAL:
            compression = "dictionary"
        using = f" USING COMPRESSION {compression}" if compression else ""
        columns.append(f'"{field.name}" {sql_type}{using}')
    return f'CREATE TABLE "{name}" ({", ".join(columns)})'


def table_schemas() -> dict[str, pa.Schema]:
    """The schema of every table the analytics store holds."""
    schemas: dict[str, pa.Schema] = {}
    for ent in ENTITIES.values():
        schemas[ent.name] = ent.arrow_schema.append(pa.field(ROW_HASH, pa.int64())).append(
            pa.field(INGEST_ID, pa.string())
        )
    for items in ITEMS_TABLES.values():
        schemas[items.name] = items.arrow_schema
    schemas["quarantine"] = QUARANTINE_SCHEMA
    schemas["ingest_log"] = INGEST_LOG_SCHEMA
    schemas.update(TEXT_TABLES)
    return schemas


class AnalyticsStore:
    """One Ibis connection to the workspace's analytics tables."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            self.con = ibis.connect(url)
        except Exception as e:  # the backend's own error types vary
            raise StoreError(f"cannot open analytics store {url!r}: {e}") from None
        self.dialect = self.con.name
        self._in_transaction = False

    @classmethod
    def for_path(cls, path: Path) -> AnalyticsStore:
        return cls(f"duckdb://{Path(path).resolve()}")

    # -- schema -----------------------------------------------------------------
    def ensure_schema(self) -> None:
        """Create any canonical table that does not exist yet (empty, typed)."""
        existing = set(self.con.list_tables())
        for name, schema in table_schemas().items():
            if name in existing:
                continue
            if self.dialect == "duckdb" and all(f.type in _DUCKDB_COLUMNS for f in schema):
                self._raw(duckdb_table_ddl(name, schema))
            else:
                self.con.create_table(name, schema=ibis.schema(schema))

    # -- reading ----------------------------------------------------------------
    def table(self, name: str) -> ibis.Table:
        return self.con.table(name)

    def count(self, name: str) -> int:
        return int(self.con.to_pyarrow(self.con.table(name).count()).as_py())

    # -- writing ----------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside happen, or none do (also on Ctrl-C)."""
        if self._in_transaction:
            yield
            return
        self._raw("BEGIN TRANSACTION")
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self._raw("ROLLBACK")
            raise
        else:
            self._raw("COMMIT")
        finally:
            self._in_transaction = False

    def insert(self, name: str, rows: pa.Table) -> None:
        """Append Arrow rows to a table (columns matched by name, in table order)."""
        if rows.num_rows == 0:
            return
        schema = table_schemas().get(name)
        if schema is not None:
            rows = rows.select(schema.names).cast(schema)
        self.con.insert(name, rows)

    def delete_keys(self, name: str, key: str, values: pa.Array) -> None:
        """Delete the rows of ``name`` whose ``key`` is in ``values``."""
        if len(values) == 0:
            return
        tmp = ibis.memtable(pa.table({key: values}))
        subquery = sg.select(sg.column(key, quoted=True)).from_(
            sg.table(tmp.get_name(), quoted=True)
        )
        stmt = sge.delete(sg.table(name, quoted=True)).where(
            sg.column(key, quoted=True).isin(query=subquery)
        )
        self.con._register_in_memory_table(tmp.op())  # noqa: SLF001 - ibis has no public DELETE
        self._raw(stmt.sql(self.dialect))

    def _raw(self, sql: str) -> None:
        try:
            self.con.raw_sql(sql)
        except Exception as e:
            if "BEGIN" in sql:
                raise BackendUnsupported(f"{self.dialect}: transactions unavailable: {e}") from e
            raise

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.con.disconnect()
