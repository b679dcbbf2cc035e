"""Arrow tables from the simulated columns, and the files they are written to.

Column names are the canonical ones of ``cxloop.model`` (rating items as
``rating_<item>``). CSV is written with pyarrow: timestamps as naive local
"YYYY-MM-DD HH:MM:SS", dates as "YYYY-MM-DD", booleans as true/false, nulls empty.
Interactions go to Parquet (typed) in row groups, so the large size stays in memory.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..model import ENTITIES
from . import config as C

_EPOCH_DAY = (C.START - dt.date(1970, 1, 1)).days
_EPOCH_SECOND = _EPOCH_DAY * C.DAY


def ids(prefix: str, n: int, width: int) -> pa.Array:
    """``prefix`` followed by 1..n zero-padded to ``width`` digits."""
    digits = pc.utf8_lpad(
        pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), width=width, padding="0"
    )
    return pc.binary_join_element_wise(prefix, digits, "")


def pick(values: pa.Array | list[str], idx: np.ndarray) -> pa.Array:
    """``values[idx]``, null where ``idx`` is negative."""
    values = values if isinstance(values, pa.Array) else pa.array(values, pa.string())
    idx = np.asarray(idx)
    return pc.take(values, pa.array(np.maximum(idx, 0), mask=idx < 0))


def timestamps(seconds: np.ndarray) -> pa.Array:
    """Naive local timestamps from seconds since START at midnight."""
    return pa.array((seconds.astype(np.int64) + _EPOCH_SECOND), pa.timestamp("s")).cast(
        pa.timestamp("us")
    )


def timestamp_text(seconds: np.ndarray) -> pa.Array:
    return pc.strftime(
        pa.array(seconds.astype(np.int64) + _EPOCH_SECOND, pa.timestamp("s")),
        format="%Y-%m-%d %H:%M:%S",
    )


def dates(days: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """Dates from day indices (null where ``missing``)."""
    values = np.asarray(days, dtype=np.int64) + _EPOCH_DAY
    return pa.array(values.astype(np.int32), pa.date32(), mask=missing)


def ints(values: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    values = np.asarray(values)
    if missing is None and values.dtype.kind == "f":
        missing = np.isnan(values)
        values = np.nan_to_num(values)
    return pa.array(values.astype(np.int64), pa.int64(), mask=missing)


def floats(values: np.ndarray) -> pa.Array:
    values = np.asarray(values, dtype=np.float64)
    return pa.array(values, pa.float64(), mask=np.isnan(values))


def texts(values: list[str | None]) -> pa.Array:
    return pa.array(values, pa.string())


def table(
    entity: str, columns: dict[str, pa.Array], items: dict[str, pa.Array] | None = None
) -> pa.Table:
    """A table with the entity's canonical columns in order, then its rating items."""
    order = list(ENTITIES[entity].names)
    missing = set(order) - set(columns)
    if missing:
        raise ValueError(f"{entity}: simulator lacks columns {sorted(missing)}")
    data = {n: columns[n] for n in order}
    data.update({f"rating_{k}": v for k, v in (items or {}).items()})
    return pa.table(data)


def write_csv(tab: pa.Table, path: Path) -> Path:
    """CSV with a plain header line; text values quoted, nulls empty."""
    with open(path, "wb") as f:
        f.write((",".join(tab.column_names) + "\n").encode("utf-8"))
        pacsv.write_csv(tab, f, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    return path


class ParquetSink:
    """Writes a Parquet file chunk by chunk."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = path
        self.writer = pq.ParquetWriter(path, schema, compression="zstd")

    def write(self, tab: pa.Table) -> None:
        self.writer.write_table(tab, row_group_size=1_000_000)

    def close(self) -> Path:
        self.writer.close()
        return self.path
