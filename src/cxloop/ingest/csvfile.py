"""Read a CSV file into Arrow as text, keeping every record's row number.

Every value is read as a string, so "ten" or "11" survive to be quarantined with a
reason instead of breaking the read. Row numbers are the ones a spreadsheet shows:
the header is row 1, the first record row 2, and a record with a newline inside a
quoted value is still one row. A record with the wrong number of fields is not
fatal: it comes back as a ``BadRecord`` for the quarantine. Blank lines and rows of
empty fields are skipped (they hold nothing to lose) but keep their row numbers.

The delimiter is sniffed from the header when not given (comma, semicolon, tab or
pipe). A value bigger than Arrow's block (a 5 MB comment) is handled by retrying
with a bigger block.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from ..errors import InputUnreadable
from .encoding import NotUtf8
from .rawtable import BadRecord, RawTable

DELIMITERS = (",", ";", "\t", "|")
_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def delimiter_name(d: str) -> str:
    return {"\t": "tab", ",": "','", ";": "';'", "|": "'|'"}.get(d, repr(d))


def parse_delimiter(value: str | None) -> str | None:
    """A delimiter given on the command line: a single character, or tab/comma/semicolon/pipe."""
    if value is None or value == "":
        return None
    value = _NAMES.get(value.lower(), value)
    if len(value) != 1 or value in '"\r\n':
        raise InputUnreadable("--delimiter", f"{value!r} is not a usable delimiter (one character)")
    return value


def sniff_delimiter(header_line: str) -> str:
    """The candidate delimiter that occurs most often in the header, outside quotes."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(path: str, data: bytes, delimiter: str | None = None) -> RawTable:
    """Parse UTF-8 CSV bytes (see the module docstring)."""
    offset = _leading_blank_lines(data)
    body = data[offset:] if offset else data
    header_row = 1 + (data.count(b"\n", 0, offset) if offset else 0)
    if not body[:65536].strip() and not body.strip():
        raise InputUnreadable(path, "the file is empty: no header and no rows")
    head_text = body[: 1 << 20].decode("utf-8", errors="replace")
    first_line = head_text.split("\n", 1)[0]
    given = delimiter is not None
    delimiter = delimiter or sniff_delimiter(first_line)
    try:
        header = next(csv.reader(io.StringIO(head_text), delimiter=delimiter))
    except (csv.Error, StopIteration) as e:
        raise InputUnreadable(path, f"cannot read the header: {e}", line=header_row) from None
    names = _clean_names(path, header, header_row)
    body = _without_trailing_blank_lines(body)
    table, invalid = _parse(path, body, delimiter, len(names))
    if _may_be_unclosed(table) and body.count(b'"') % 2:
        _check_quotes(path, body, delimiter, header_row)
    total = table.num_rows + len(invalid)
    numbers = np.arange(1, total + 1, dtype=np.int64)
    bad: list[BadRecord] = []
    blank = 0
    if invalid:
        taken = np.zeros(total, dtype=bool)
        for number, actual, text in invalid:
            taken[number - 1] = True
            if text.strip():
                bad.append(
                    BadRecord(
                        row=number + header_row - 1,
                        reason=f"expected {_fields(len(names))}, found {actual}",
                        values=_split(text, delimiter),
                    )
                )
            else:
                blank += 1
        numbers = numbers[~taken]
    table = table.slice(1).rename_columns(names)  # record 1 is the header itself
    rows = pa.array(numbers[1:] + (header_row - 1))
    table, rows, empty = _drop_empty_rows(table, rows)
    if table.num_rows == 0 and not bad:
        raise InputUnreadable(
            path, "no data rows: the file has a header and nothing under it", line=header_row + 1
        )
    return RawTable(
        table=table,
        rows=rows,
        bad=bad,
        blank=blank + empty,
        fmt="csv",
        delimiter=delimiter,
        delimiter_given=given,
        header_row=header_row,
    )


def _fields(n: int) -> str:
    return f"{n} field" if n == 1 else f"{n} fields"


def _leading_blank_lines(data: bytes) -> int:
    """Byte offset of the first line that is not blank."""
    head = data[:65536]
    stripped = head.lstrip(b" \t\r\n")
    if len(stripped) == len(head):
        return 0
    if not stripped:
        stripped = data.lstrip(b" \t\r\n")
        head = data
    cut = len(head) - len(stripped)
    nl = data.rfind(b"\n", 0, cut)
    return nl + 1 if nl >= 0 else 0


def _without_trailing_blank_lines(data: bytes) -> bytes:
    """Blank lines at the end hold no records and would make Arrow read the file twice."""
    end = len(data)
    while end and data[end - 1] in b" \t\r\n":
        end -= 1
    if data.count(b"\n", end) <= 1:
        return data
    return data[:end] + b"\n"


def _clean_names(path: str, header: list[str], line: int) -> list[str]:
    names = [h.strip().lstrip("\ufeff").strip() for h in header]
    seen: dict[str, str] = {}
    for name in names:
        key = name.casefold()
        if name and key in seen:
            raise InputUnreadable(
                path, f"column {name!r} appears more than once in the header", line=line
            )
        seen[key] = name
    return names


def _parse(path: str, data: bytes, delimiter: str, ncols: int) -> tuple[pa.Table, list]:
    """Arrow's multi-threaded reader; single-threaded again only if some records were bad."""
    block = min(max(1 << 20, len(data) // 32), 16 << 20)
    table, invalid = _attempt(path, data, delimiter, ncols, block, threads=True)
    if invalid:  # the parallel reader cannot number bad records: read again in order
        table, invalid = _attempt(path, data, delimiter, ncols, block, threads=False)
    return table, invalid


def _attempt(path: str, data: bytes, delimiter: str, ncols: int, block: int, threads: bool):
    cols = [f"c{i}" for i in range(ncols)]
    while True:
        invalid: list[tuple[int, int, str]] = []

        def handler(row: pcsv.InvalidRow, invalid: list = invalid) -> str:
            invalid.append((row.number or 0, row.actual_columns, row.text))
            return "skip"

        try:
            table = pcsv.read_csv(
                pa.py_buffer(data),
                read_options=pcsv.ReadOptions(
                    column_names=cols, use_threads=threads, block_size=block
                ),
                parse_options=pcsv.ParseOptions(
                    delimiter=delimiter,
                    newlines_in_values=True,
                    ignore_empty_lines=False,
                    invalid_row_handler=handler,
                ),
                convert_options=pcsv.ConvertOptions(
                    column_types=dict.fromkeys(cols, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            return table, invalid
        except pa.ArrowInvalid as e:
            if "UTF8" in str(e) or "UTF-8" in str(e):
                raise NotUtf8(str(e)) from None
            if "straddl" in str(e) and block <= len(data):
                block = min(block * 8, len(data) + 1)
                continue
            raise _parse_error(path, data, delimiter, e) from None


def _parse_error(path: str, data: bytes, delimiter: str, error: Exception) -> InputUnreadable:
    """The error Arrow raised, with the line found by reading the file strictly."""
    message = str(error).replace("CSV parse error: ", "").split("\n")[0]
    reader = csv.reader(
        io.StringIO(data.decode("utf-8", errors="replace")), delimiter=delimiter, strict=True
    )
    start = 1
    try:
        for _ in reader:
            start = reader.line_num + 1
    except csv.Error as e:
        text = str(e)
        if "unexpected end of data" in text or "EOF" in text:
            text = 'a quoted value is never closed (a missing ")'
        return InputUnreadable(path, text, line=start)
    return InputUnreadable(path, f"cannot parse the CSV: {message}")


def _may_be_unclosed(table: pa.Table) -> bool:
    """A quote never closed swallows the rest of the file into the last record's last value,
    newlines included; only then is the (slower) quote check worth running."""
    if table.num_rows == 0:
        return False
    last = table.slice(table.num_rows - 1)
    return any(pc.any(pc.match_substring(col, "\n")).as_py() for col in last.columns)


def _check_quotes(path: str, data: bytes, delimiter: str, header_row: int) -> None:
    """An odd number of quote marks may be a quoted value never closed: find it, or pass."""
    text = data.decode("utf-8", errors="replace")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    start = 1
    while True:
        try:
            next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            if "unexpected end of data" in str(e):
                raise InputUnreadable(
                    path,
                    'a quoted value opened on this line is never closed (a missing ")',
                    line=start + header_row - 1,
                ) from None
        start = reader.line_num + 1


def _split(text: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(text), delimiter=delimiter))
    except (csv.Error, StopIteration):
        return [text]


def _drop_empty_rows(table: pa.Table, rows: pa.Array) -> tuple[pa.Table, pa.Array, int]:
    """Remove records whose every field is empty (",,,," rows left by spreadsheets)."""
    if table.num_rows == 0 or table.num_columns == 0:
        return table, rows, 0
    empty = pc.equal(pc.binary_length(table.column(0)), 0)
    if not pc.any(empty).as_py():
        return table, rows, 0
    for col in table.columns[1:]:
        is_empty = pc.equal(pc.binary_length(col), 0)
        empty = is_empty if empty is None else pc.and_(empty, is_empty)
    count = pc.sum(empty).as_py() or 0
    if count == 0:
        return table, rows, 0
    keep = pc.invert(empty)
    return table.filter(keep), rows.filter(keep.combine_chunks()), count
