"""Check columns that arrive already typed (Parquet, Arrow tables) without a round trip via text.

A float 9.0 is the whole number 9, 7.5 is not a whole number, infinities are
refused, true/false stay as they are, dates and timestamps are range-checked and
timestamps are moved to the workspace's zone exactly as text timestamps are (same
engine, same rules), so a record hashes the same from CSV or Parquet. A typed
column that does not fit the field (a number for a date) is checked as text.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from ..model import Field
from . import timestamps
from .problems import Problems

_WHOLE_LIMIT = 9e18  # beyond this a float cannot be a 64-bit whole number


def convert(values, f: Field, ctx, problems: Problems):
    """The column converted to ``f``'s type with problems recorded, or None to check it as text."""
    t = values.type
    numeric = pa.types.is_integer(t) or pa.types.is_floating(t)
    if f.type == "int" and numeric:
        if pa.types.is_floating(t):
            finite = pc.is_finite(values)
            whole = pc.and_(finite, pc.equal(values, pc.floor(values)))
            whole = pc.and_(whole, pc.less_equal(pc.abs(values), _WHOLE_LIMIT))
            problems.add(pc.invert(whole), f.name, "not a whole number", values)
            values = pc.if_else(whole, values, pa.scalar(None, t))
        return pc.cast(values, pa.int64())
    if f.type == "float" and numeric:
        values = pc.cast(values, pa.float64())
        infinite = pc.invert(pc.is_finite(values))
        problems.add(infinite, f.name, "not a finite number", values)
        return pc.if_else(infinite, pa.scalar(None, pa.float64()), values)
    if f.type == "bool" and pa.types.is_boolean(t):
        return values
    temporal = pa.types.is_timestamp(t) or pa.types.is_date(t)
    if f.type == "timestamp" and temporal or f.type == "date" and pa.types.is_date(t):
        m = ctx.mapping
        out, out_of_range = timestamps.convert_typed(
            ctx.con, values, f.type, m.timezone or ctx.workspace_tz, ctx.workspace_tz
        )
        problems.add(
            out_of_range, f.name, f"outside {timestamps.EARLIEST}-{timestamps.LATEST}", values
        )
        return out
    return None
