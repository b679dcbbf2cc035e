"""The source as read, before any mapping or validation: text columns and row numbers."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa


@dataclass
class BadRecord:
    """A record that could not even be split into columns (or parsed as JSON)."""

    row: int
    reason: str
    values: list[str]


@dataclass
class RawTable:
    """Source columns under their own names, one row number per record, and what went wrong.

    ``rows`` holds the number a person would use to find each record: the spreadsheet
    row for CSV (header = 1), the line for JSON lines, the position (from 1) for
    Parquet and batches.
    """

    table: pa.Table
    rows: pa.Array
    bad: list[BadRecord] = field(default_factory=list)
    blank: int = 0
    fmt: str = "table"
    delimiter: str | None = None
    delimiter_given: bool = False
    header_row: int = 1
    warnings: list[str] = field(default_factory=list)
    sha256: str | None = None
    #: Row numbers are line numbers (JSON lines) rather than rows.
    row_word: str = "row"

    @property
    def read(self) -> int:
        return self.table.num_rows + len(self.bad)
