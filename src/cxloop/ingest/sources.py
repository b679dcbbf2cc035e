"""Open any supported source as a ``RawTable``: CSV, Parquet, JSON lines, an Arrow table or rows.

The kind of file is told by its extension (.csv .tsv .txt, .parquet .pq, .jsonl
.ndjson .json) or, failing that, by its first bytes. Anything that stops the file
being read at all raises ``InputUnreadable`` naming the file and, where known,
the line.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputUnreadable
from .csvfile import read_csv
from .encoding import NotUtf8, to_utf8
from .rawtable import BadRecord, RawTable

CSV_EXT = {".csv", ".tsv", ".txt", ".tab"}
PARQUET_EXT = {".parquet", ".pq"}
JSON_EXT = {".jsonl", ".ndjson", ".json"}


def read_source(
    path: str | Path, encoding: str | None = None, delimiter: str | None = None
) -> RawTable:
    """Read a file (see the module docstring)."""
    path = Path(path)
    name = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputUnreadable(name, "no such file") from None
    except IsADirectoryError:
        raise InputUnreadable(name, "is a folder, not a file") from None
    except OSError as e:
        raise InputUnreadable(name, f"cannot read: {e.strerror or e}") from None
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(lambda: hashlib.sha256(data).hexdigest())  # runs beside the parse
        kind = _kind(path, data)
        if kind == "parquet":
            raw = _read_parquet(name, data)
        elif kind == "json":
            decoded = to_utf8(name, data, encoding)
            raw = _read_jsonl(name, decoded.data)
            raw.warnings[:0] = decoded.warnings
        else:
            if path.suffix.lower() == ".tsv" and delimiter is None:
                delimiter = "\t"
            decoded = to_utf8(name, data, encoding, check=False)  # Arrow checks UTF-8 itself
            try:
                raw = read_csv(name, decoded.data, delimiter)
            except NotUtf8:
                decoded = to_utf8(name, data, encoding)
                raw = read_csv(name, decoded.data, delimiter)
            raw.warnings[:0] = decoded.warnings
        raw.sha256 = digest.result()
    return raw


def _kind(path: Path, data: bytes) -> str:
    ext = path.suffix.lower()
    if ext in PARQUET_EXT or data[:4] == b"PAR1":
        return "parquet"
    if ext in JSON_EXT:
        return "json"
    if ext in CSV_EXT:
        return "csv"
    return "json" if data.lstrip()[:1] in (b"{", b"[") else "csv"


def _read_parquet(name: str, data: bytes) -> RawTable:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as e:
        raise InputUnreadable(name, f"not a readable Parquet file: {e}") from None
    if table.num_rows == 0:
        raise InputUnreadable(name, "no data rows: the Parquet file has columns but no rows")
    raw = table_to_raw(table, source=name)
    raw.fmt = "parquet"
    return raw


def _read_jsonl(name: str, data: bytes) -> RawTable:
    """JSON lines (one object per line); a file holding one JSON array of objects works too."""
    text = data.decode("utf-8")
    if not text.strip():
        raise InputUnreadable(name, "the file is empty: no records")
    if text.lstrip().startswith("["):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as e:
            raise InputUnreadable(name, f"not valid JSON: {e.msg}", line=e.lineno) from None
        if not isinstance(records, list):
            raise InputUnreadable(name, "expected a JSON array of objects or JSON lines")
        numbered: Iterable[tuple[int, Any]] = enumerate(records, start=1)
        word = "record"
    else:
        numbered = _json_lines(text)
        word = "line"
    good: list[dict[str, str | None]] = []
    rows: list[int] = []
    bad: list[BadRecord] = []
    for number, record in numbered:
        if isinstance(record, BadRecord):
            bad.append(record)
        elif not isinstance(record, dict):
            bad.append(BadRecord(number, "not a JSON object", []))
        else:
            good.append({str(k): stringify(v) for k, v in record.items()})
            rows.append(number)
    if not good and not bad:
        raise InputUnreadable(name, "the file is empty: no records")
    raw = RawTable(table=_table_of_strings(good), rows=pa.array(rows, pa.int64()), bad=bad)
    raw.fmt, raw.row_word = "json", word
    return raw


def _json_lines(text: str) -> Iterable[tuple[int, Any]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as e:
            # the line itself is not kept: it may hold anything, unredactable by column
            yield number, BadRecord(number, f"not valid JSON: {e.msg} (column {e.colno})", [])


def stringify(value: Any) -> str | None:
    """A source value as the text a CSV would hold (validation then treats all sources alike)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _table_of_strings(records: list[dict[str, str | None]]) -> pa.Table:
    names: dict[str, None] = {}
    for rec in records:
        names.update(dict.fromkeys(rec))
    return (
        pa.table({n: pa.array([rec.get(n) for rec in records], pa.string()) for n in names})
        if names
        else pa.table({})
    )


def table_to_raw(table: pa.Table, source: str = "table", first_row: int = 1) -> RawTable:
    """An Arrow table with plain columns: text, numbers, true/false, dates and timestamps stay
    typed (and are checked as such); anything else becomes text or is refused."""
    columns = {}
    for name, col in zip(table.column_names, table.columns, strict=True):
        columns[str(name)] = _plain(source, str(name), col)
    rows = pa.array(range(first_row, first_row + table.num_rows), pa.int64())
    return RawTable(table=pa.table(columns) if columns else table, rows=rows)


def rows_to_raw(rows: Iterable[Mapping[str, Any]], source: str = "batch") -> RawTable:
    """A list of dicts (an HTTP batch) as text columns, numbered from 1."""
    records = []
    for i, rec in enumerate(rows, start=1):
        if not isinstance(rec, Mapping):
            raise InputUnreadable(source, f"record {i} is not an object", line=None)
        records.append({str(k): stringify(v) for k, v in rec.items()})
    return RawTable(
        table=_table_of_strings(records), rows=pa.array(range(1, len(records) + 1), pa.int64())
    )


def _plain(source: str, name: str, col: pa.ChunkedArray) -> pa.ChunkedArray:
    t = col.type
    if pa.types.is_dictionary(t):
        col = col.cast(t.value_type)
        t = col.type
    if pa.types.is_string(t):
        return col
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return col.cast(pa.string())
    if pa.types.is_floating(t):  # NaN is how pandas writes "missing"
        return pc.if_else(pc.is_nan(col), pa.scalar(None, t), col)
    if pa.types.is_decimal(t):
        return col.cast(pa.float64())
    if (
        pa.types.is_boolean(t)
        or pa.types.is_integer(t)
        or pa.types.is_timestamp(t)
        or pa.types.is_date(t)
    ):
        return col
    if pa.types.is_temporal(t):  # times of day, durations: as text
        return col.cast(pa.string())
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        try:
            return col.cast(pa.string())
        except pa.ArrowInvalid:
            raise InputUnreadable(
                source, f"column {name!r} holds bytes that are not UTF-8 text"
            ) from None
    raise InputUnreadable(
        source, f"column {name!r} has type {t}, which cannot be ingested (only plain values)"
    )
