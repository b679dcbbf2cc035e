"""Check and convert text columns to canonical types, a whole column at a time.

For each field of the entity (``cxloop.model.Field``): trim, empty means missing,
apply the mapping's value map, then convert to the field's type and check it —
whole numbers, finite numbers, true/false, dates, the field's minimum/maximum and
choices (case-folded, "Web Chat" is ``web_chat``) — then required values, the
entity's "at least one of" rule and ``rating_<item>`` values in the entity's item
range. Every failure is recorded in ``Problems`` with the row, the field and the
value; the row is quarantined later. Free text is redacted here.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ARROW_CAST_ERRORS
from ..model import Entity, Field
from . import timestamps, typed
from .columns import RATING_PREFIX
from .mapping import Mapping
from .problems import Problems
from .redact import Redactor

INTEGER = r"^[+-]?\d{1,18}(\.0*)?$"
NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?$"
TRUE = ("true", "t", "yes", "y", "1")
FALSE = ("false", "f", "no", "n", "0")
SPREADSHEET_CELL = 32_767  # the most characters a spreadsheet cell holds


@dataclass
class Checked:
    """Typed canonical columns (absent fields are null), rating items, and the problems."""

    columns: dict[str, pa.ChunkedArray | pa.Array]
    items: dict[str, pa.ChunkedArray | pa.Array]
    problems: Problems
    warnings: list[str] = field(default_factory=list)


@dataclass
class Context:
    """What conversion needs besides the data: mapping, zones, redaction, compute engine."""

    mapping: Mapping
    workspace_tz: str
    redactor: Redactor
    con: duckdb.DuckDBPyConnection


def check(table: pa.Table, entity: Entity, ctx: Context, rows: pa.Array) -> Checked:
    """Convert and validate every canonical column of ``table`` (text) for ``entity``."""
    n = table.num_rows
    problems = Problems(n)
    columns: dict[str, pa.ChunkedArray | pa.Array] = {}
    warnings: list[str] = []
    present = [c for c in table.column_names if c in entity.names or c.startswith(RATING_PREFIX)]
    with ThreadPoolExecutor(max_workers=4) as pool:  # Arrow kernels release the GIL
        texts = dict(
            zip(
                present,
                pool.map(lambda c: clean(table.column(c), ctx.mapping.values.get(c)), present),
                strict=True,
            )
        )
    for f in entity.fields:
        if f.name not in texts:
            columns[f.name] = pa.nulls(n, f.arrow_type)
            continue
        columns[f.name] = _convert(texts[f.name], f, ctx, problems)
        if f.required:
            missing = pc.and_(pc.is_null(columns[f.name]), pc.invert(problems.failed(f.name)))
            problems.add(missing, f.name, "required value missing")
        if f.type == "text":
            warnings += _long_text_warning(f.name, columns[f.name], rows)
    if entity.one_of:
        _one_of(entity, columns, problems)
    items: dict[str, pa.ChunkedArray | pa.Array] = {}
    for name in present:
        if name.startswith(RATING_PREFIX):
            items[name[len(RATING_PREFIX) :]] = _rating(name, texts[name], entity, problems)
    return Checked(columns, items, problems, warnings)


def clean(values: pa.ChunkedArray, value_map: dict[str, str | None] | None = None):
    """Trimmed text, empty as null, mapped through the mapping's value map (case-insensitive).

    Typed columns pass through unchanged, unless a value map needs them as text."""
    if values.type != pa.string():
        if not value_map:
            return values
        values = pc.cast(values, pa.string())
    if _may_need_trim(values):
        values = pc.utf8_trim_whitespace(values)
    empty = pc.equal(pc.binary_length(values), 0)
    if pc.any(empty).as_py():
        values = pc.if_else(empty, pa.scalar(None, pa.string()), values)
    if value_map:
        keys = pa.array(list(value_map), pa.string())
        targets = pa.array(list(value_map.values()), pa.string())
        index = pc.index_in(pc.utf8_lower(values), value_set=keys)
        values = pc.if_else(pc.is_valid(index), pc.take(targets, index), values)
    return values


#: First or last bytes that may be (part of) whitespace: ASCII spaces and any non-ASCII byte.
_EDGE = np.zeros(256, dtype=bool)
_EDGE[[9, 10, 11, 12, 13, 32]] = True
_EDGE[128:] = True


def _may_need_trim(values: pa.ChunkedArray | pa.Array) -> bool:
    """False when no value can start or end with whitespace (checked on the raw buffers with
    numpy: only each value's first and last byte are read), so trimming can be skipped."""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    for chunk in chunks:
        if chunk.type != pa.string():
            return True
        n = len(chunk)
        _, offsets_buf, data_buf = chunk.buffers()
        if n == 0 or data_buf is None or data_buf.size == 0:
            continue
        offsets = np.frombuffer(offsets_buf, np.int32, count=n + 1, offset=4 * chunk.offset)
        data = np.frombuffer(data_buf, np.uint8)
        starts, ends = offsets[:-1], offsets[1:]
        edge = _EDGE[data.take(starts, mode="clip")] | _EDGE[data.take(ends - 1, mode="clip")]
        if (edge & (ends > starts)).any():
            return True
    return False


def _convert(text, f: Field, ctx: Context, problems: Problems):
    if text.type != pa.string():
        done = typed.convert(text, f, ctx, problems)
        if done is not None:
            return _range(done, text, f.name, f.minimum, f.maximum, problems)
        text = pc.cast(text, pa.string())
    if f.type in ("string", "text"):
        if f.choices:
            return _choice(text, f, problems)
        return ctx.redactor.column(text) if f.redact else text
    if f.type == "int":
        values = _integers(text, f.name, problems)
    elif f.type == "float":
        values = _floats(text, f.name, problems)
    elif f.type == "bool":
        return _bools(text, f.name, problems)
    else:  # timestamp or date
        m = ctx.mapping
        values, unparseable, out_of_range = timestamps.parse(
            ctx.con,
            text,
            f.type,
            m.formats,
            m.timezone or ctx.workspace_tz,
            ctx.workspace_tz,
            m.path,
        )
        problems.add(unparseable, f.name, "unparseable date", text, "unparseable date {value}")
        problems.add(
            out_of_range, f.name, f"outside {timestamps.EARLIEST}-{timestamps.LATEST}", text
        )
        return values
    return _range(values, text, f.name, f.minimum, f.maximum, problems)


def _integers(text, name: str, problems: Problems):
    try:
        return pc.cast(text, pa.int64())  # fast path: every value is a plain whole number
    except ARROW_CAST_ERRORS:
        pass
    ok = pc.match_substring_regex(text, INTEGER)
    bad = pc.and_(pc.is_valid(text), pc.invert(ok))
    number = pc.match_substring_regex(text, NUMBER)
    problems.add(pc.and_(bad, number), name, "not a whole number", text)
    problems.add(pc.and_(bad, pc.invert(number)), name, "not a number", text)
    kept = pc.if_else(ok, text, pa.scalar(None, pa.string()))
    return pc.cast(pc.replace_substring_regex(kept, r"\.0*$", ""), pa.int64())


def _floats(text, name: str, problems: Problems):
    try:
        values = pc.cast(text, pa.float64())
        ok = pc.match_substring_regex(text, NUMBER) if pc.any(pc.is_nan(values)).as_py() else None
    except ARROW_CAST_ERRORS:
        ok = pc.match_substring_regex(text, NUMBER)
        values = pc.cast(pc.if_else(ok, text, pa.scalar(None, pa.string())), pa.float64())
    if ok is not None:
        problems.add(pc.and_(pc.is_valid(text), pc.invert(ok)), name, "not a number", text)
        values = pc.if_else(ok, values, pa.scalar(None, pa.float64()))
    infinite = pc.invert(pc.is_finite(values))
    problems.add(infinite, name, "not a finite number", text)
    return pc.if_else(infinite, pa.scalar(None, pa.float64()), values)


def _range(values, text, name: str, lo: float | None, hi: float | None, problems: Problems):
    bad = None
    if lo is not None:
        low = pc.less(values, lo)
        problems.add(low, name, f"below the minimum {_num(lo)}", text)
        bad = low
    if hi is not None:
        high = pc.greater(values, hi)
        problems.add(high, name, f"above the maximum {_num(hi)}", text)
        bad = high if bad is None else pc.or_(bad, high)
    if bad is None:
        return values
    return pc.if_else(pc.fill_null(bad, False), pa.scalar(None, values.type), values)


def _bools(text, name: str, problems: Problems):
    lower = pc.utf8_lower(text)
    yes = pc.is_in(lower, value_set=pa.array(TRUE))
    no = pc.is_in(lower, value_set=pa.array(FALSE))
    bad = pc.and_(pc.is_valid(text), pc.invert(pc.or_(yes, no)))
    problems.add(bad, name, "not true/false (yes/no, y/n, 1/0)", text)
    return pc.if_else(yes, True, pc.if_else(no, False, pa.scalar(None, pa.bool_())))


def _choice(text, f: Field, problems: Problems):
    known = pc.or_(pc.is_in(text, value_set=pa.array(f.choices)), pc.is_null(text))
    if pc.all(known).as_py():
        return text  # every value is already canonical
    folded = pc.replace_substring_regex(pc.utf8_lower(text), r"[\s-]+", "_")
    ok = pc.is_in(folded, value_set=pa.array(f.choices))
    bad = pc.and_(pc.is_valid(text), pc.invert(ok))
    problems.add(bad, f.name, "not one of " + ", ".join(f.choices or ()), text)
    return pc.if_else(ok, folded, pa.scalar(None, pa.string()))


def _one_of(entity: Entity, columns: dict, problems: Problems) -> None:
    none = None
    for name in entity.one_of:
        absent = pc.and_(pc.is_null(columns[name]), pc.invert(problems.failed(name)))
        none = absent if none is None else pc.and_(none, absent)
    label = " or ".join(entity.one_of)
    problems.add(
        none, label, "no score: at least one of " + ", ".join(entity.one_of) + " is needed"
    )


def _rating(name: str, text, entity: Entity, problems: Problems):
    values = None
    if text.type != pa.string():
        values = typed.convert(text, Field(name, "float", "rating item"), None, problems)
        if values is None:
            text = pc.cast(text, pa.string())
    if values is None:
        values = _floats(text, name, problems)
    lo, hi = entity.item_range or (None, None)
    return _range(values, text, name, lo, hi, problems)


def _long_text_warning(name: str, values, rows: pa.Array) -> list[str]:
    if (pc.max(pc.binary_length(values)).as_py() or 0) <= SPREADSHEET_CELL:
        return []  # bytes >= characters: nothing can be too long
    long = pc.fill_null(pc.greater(pc.utf8_length(values), SPREADSHEET_CELL), False)
    count = pc.sum(long).as_py() or 0
    if not count:
        return []
    where = ", ".join(str(r) for r in rows.filter(_flat(long)).to_pylist()[:5])
    return [
        f"{count} {name} value(s) longer than {SPREADSHEET_CELL:,} characters (more than a "
        f"spreadsheet cell holds) were kept whole; rows {where}"
    ]


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _flat(mask):
    return mask.combine_chunks() if isinstance(mask, pa.ChunkedArray) else mask
