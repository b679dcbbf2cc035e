"""The rejects: every quarantined row and conflict, with the row, field, reason and raw values.

Written two ways: a formula-safe CSV in the workspace's log folder (columns
``row, field, reason`` then the source columns that were used), and rows of the
analytics store's ``quarantine`` table. One line per problem, so a row with two
bad values appears twice. Raw values are redacted like free text first: personal
data is never stored, not even in the rejects.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ..export import write_csv
from ..store.analytics import QUARANTINE_SCHEMA
from .rawtable import BadRecord
from .redact import Redactor

FIXED = ("row", "field", "reason")


@dataclass
class Rejects:
    """Rejected lines, sorted by row: row, field, kind, reason and the raw source values."""

    table: pa.Table
    columns: list[str]

    @property
    def empty(self) -> bool:
        return self.table.num_rows == 0


def collect(
    problems: pa.Table,
    bad: list[BadRecord],
    extra: pa.Table,
    source: pa.Table,
    rows: pa.Array,
    columns: list[str],
    all_columns: list[str],
    redactor: Redactor,
) -> Rejects:
    """Put problems (by position in ``source``), malformed records and ``extra`` lines together.

    ``extra`` has the same shape as ``problems`` (pos, field, kind, reason): conflicts.
    """
    parts = []
    for table in (problems, extra):
        if table.num_rows:
            pos = table["pos"]
            part = {
                "row": rows.take(pos),
                "field": table["field"],
                "kind": table["kind"],
                "reason": table["reason"],
            }
            for c in columns:
                part["v:" + c] = source.column(c).take(pos)
            parts.append(pa.table(part))
    if bad:
        index = {c: all_columns.index(c) for c in columns}
        part = {
            "row": pa.array([b.row for b in bad], pa.int64()),
            "field": pa.array([""] * len(bad)),
            "kind": pa.array([re.split(r"[:,(]", b.reason)[0].strip() for b in bad]),
            "reason": pa.array([b.reason for b in bad]),
        }
        for c in columns:
            i = index[c]
            part["v:" + c] = pa.array([b.values[i] if i < len(b.values) else None for b in bad])
        parts.append(pa.table(part))
    if not parts:
        schema = [
            ("row", pa.int64()),
            ("field", pa.string()),
            ("kind", pa.string()),
            ("reason", pa.string()),
        ] + [("v:" + c, pa.string()) for c in columns]
        return Rejects(pa.schema(schema).empty_table(), columns)
    table = pa.concat_tables(parts, promote_options="permissive").sort_by([("row", "ascending")])
    for name in ["reason"] + ["v:" + c for c in columns]:
        i = table.schema.get_field_index(name)
        table = table.set_column(i, name, redactor.column(table.column(name).cast(pa.string())))
    return Rejects(table, columns)


def write_file(rejects: Rejects, log_dir: Path, entity: str, source_name: str) -> tuple[Path, Path]:
    """Write the rejects CSV to a temporary file; returns (temporary path, final path)."""
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(source_name).stem)[:60] or "batch"
    final = log_dir / f"rejects-{entity}-{stamp}-{stem}.csv"
    n = 1
    while final.exists():
        n += 1
        final = log_dir / f"rejects-{entity}-{stamp}-{stem}-{n}.csv"
    log_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".rejects-", suffix=".tmp", dir=log_dir)
    header = list(FIXED) + _display_names(rejects.columns)
    keys = list(FIXED) + ["v:" + c for c in rejects.columns]
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
        records = (
            dict(zip(header, (rec[k] for k in keys), strict=True))
            for rec in rejects.table.select(keys).to_pylist()
        )
        write_csv(records, header, out)
    return Path(tmp), final


def _display_names(columns: list[str]) -> list[str]:
    out = []
    for c in columns:
        name = c
        while name in FIXED or name in out:
            name = f"{name} (source)"
        out.append(name)
    return out


def quarantine_rows(rejects: Rejects, ingest_id: str, entity: str, source: str) -> pa.Table:
    """The rejects as rows of the store's ``quarantine`` table (raw values as a JSON object)."""
    n = rejects.table.num_rows
    values = rejects.table.select(["v:" + c for c in rejects.columns]).to_pylist()
    raw = [
        json.dumps({c: v["v:" + c] for c in rejects.columns}, ensure_ascii=False) for v in values
    ]
    return pa.table(
        {
            "ingest_id": pa.array([ingest_id] * n, pa.string()),
            "entity": pa.array([entity] * n, pa.string()),
            "source": pa.array([source] * n, pa.string()),
            "row_number": rejects.table["row"],
            "field": rejects.table["field"],
            "reason": rejects.table["reason"],
            "raw": pa.array(raw, pa.string()),
        },
        schema=QUARANTINE_SCHEMA,
    )


def kinds(rejects: Rejects) -> dict[str, int]:
    """How many lines of each kind: {"nps: above the maximum 10": 12, ...}, most frequent first."""
    if rejects.empty:
        return {}
    label = pc.binary_join_element_wise(rejects.table["field"], rejects.table["kind"], ": ")
    label = pc.if_else(pc.equal(rejects.table["field"], ""), rejects.table["kind"], label)
    counts = pc.value_counts(label).to_pylist()
    return dict(sorted(((c["values"], c["counts"]) for c in counts), key=lambda kv: -kv[1]))
