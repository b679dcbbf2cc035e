"""Parse timestamp and date columns, vectorised, with an in-process DuckDB as the engine.

Accepted without a mapping: ISO 8601 (``T`` or a space, optional seconds and
fraction, ``Z`` or an offset such as ``+01:00``) and plain dates. The mapping's
``[timestamps] formats`` (strptime) are tried first, in order, then ISO 8601.

Time zones: a value with an offset is an exact instant and is converted to the
workspace's zone; a value without one is taken to be in the mapping's zone (or,
with none, the workspace's). Everything is stored as naive local time in the
workspace's zone. Dates are calendar days and are never shifted.

Formats and zones reach DuckDB only as query parameters; the SQL text is fixed.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ARROW_CAST_ERRORS, MappingError
from .engine import ordered, positions, register

#: A time of day followed by Z or a numeric offset: the value names its own instant.
OFFSET = r"\d:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|z|[+-]\d{2}(:?\d{2})?)$"
EARLIEST, LATEST = 1900, 2199


def _naive(expr: str) -> str:
    """SQL turning a naive local timestamp in $src into naive local time in $ws."""
    return f"CASE WHEN $same THEN {expr} ELSE timezone($ws, timezone($src, {expr})) END"


_TIMESTAMP_SQL = f"""
SELECT CASE
  WHEN NOT regexp_matches(v, '[0-9]') THEN NULL  -- DuckDB reads 'epoch', 'infinity'
  WHEN regexp_matches(v, $offset) THEN coalesce(
      timezone($ws, CASE WHEN $has_tz_formats THEN try_strptime(v, $tz_formats) END),
      timezone($ws, try_cast(v AS TIMESTAMPTZ)))
  ELSE coalesce(
      {_naive("CASE WHEN $has_formats THEN try_strptime(v, $formats) END")},
      {_naive("try_cast(v AS TIMESTAMP)")},
      {_naive("try_strptime(v, ['%Y-%m-%dT%H', '%Y-%m-%d %H'])")},
      {_naive("CAST(try_cast(v AS DATE) AS TIMESTAMP)")})
END"""

_DATE_SQL = """
SELECT CASE
  WHEN NOT regexp_matches(v, '[0-9]') THEN NULL  -- DuckDB reads 'epoch', 'infinity'
  WHEN regexp_matches(v, $offset) THEN CAST(timezone($ws, try_cast(v AS TIMESTAMPTZ)) AS DATE)
  ELSE coalesce(
      CASE WHEN $has_formats THEN CAST(try_strptime(v, $formats) AS DATE) END,
      try_cast(v AS DATE),
      CAST(try_cast(v AS TIMESTAMP) AS DATE))
END"""


_WRAP = """
SELECT pos, CASE WHEN ok THEN t END AS t,
       v IS NOT NULL AND t IS NULL AS unparseable,
       t IS NOT NULL AND NOT ok AS out_of_range
FROM (SELECT pos, v, t, coalesce(isfinite(t) AND year(t) BETWEEN $lo AND $hi, false) AS ok
      FROM (SELECT pos, v, (@PARSE) AS t FROM src))
"""


def _checked(parse_sql: str) -> str:
    """Wrap a parse expression (constant SQL of this module): keep plausible values, flag the
    unparseable and the out-of-range."""
    return _WRAP.replace("@PARSE", parse_sql.strip())


_SQL = {"timestamp": _checked(_TIMESTAMP_SQL), "date": _checked(_DATE_SQL)}


def _arrow_iso(values, kind: str):
    """Arrow's strict ISO 8601 parser, when every value is plain ISO without an offset.

    Returns None (use DuckDB) if any value is not, or is out of range. Arrow accepts a
    subset of what the DuckDB path accepts, with the same results.
    """
    target = pa.timestamp("us") if kind == "timestamp" else pa.date32()
    try:
        parsed = pc.cast(values, target)
    except ARROW_CAST_ERRORS:
        return None
    bounds = pc.min_max(parsed).as_py()
    if bounds["min"] is not None and not (
        EARLIEST <= bounds["min"].year and bounds["max"].year <= LATEST
    ):
        return None
    none = pa.repeat(pa.scalar(False), len(parsed))
    return parsed, none, none


def parse(
    con: duckdb.DuckDBPyConnection,
    values: pa.ChunkedArray | pa.Array,
    kind: str,
    formats: list[str],
    source_tz: str,
    workspace_tz: str,
    mapping_path: str = "mapping",
) -> tuple[pa.ChunkedArray, pa.ChunkedArray, pa.ChunkedArray]:
    """(parsed values, unparseable mask, out-of-range mask) for a text column."""
    if not formats and source_tz == workspace_tz:
        fast = _arrow_iso(values, kind)
        if fast is not None:
            return fast
    tz_formats = [f for f in formats if "%z" in f or "%Z" in f]
    naive_formats = [f for f in formats if f not in tz_formats]
    params = {
        "offset": OFFSET,
        "ws": workspace_tz,
        "has_formats": bool(naive_formats),
        "formats": naive_formats or ["%Y"],
        "lo": EARLIEST,
        "hi": LATEST,
    }
    if kind == "timestamp":
        params |= {
            "src": source_tz,
            "same": source_tz == workspace_tz,
            "has_tz_formats": bool(tz_formats),
            "tz_formats": tz_formats or ["%Y%z"],
        }
    register(con, "src", pa.table({"pos": positions(len(values)), "v": values}))
    try:
        out = ordered(con, _SQL[kind], params, len(values))
    except duckdb.InvalidInputException as e:
        raise MappingError(f"{mapping_path}: [timestamps] formats: {e}") from None
    finally:
        con.unregister("src")
    target = pa.timestamp("us") if kind == "timestamp" else pa.date32()
    return out["t"].cast(target), out["unparseable"], out["out_of_range"]


_TYPED_SQL = {
    "aware": "SELECT pos, timezone($ws, v) AS t FROM src",
    "naive": "SELECT pos, timezone($ws, timezone($src, CAST(v AS TIMESTAMP))) AS t FROM src",
}


def convert_typed(
    con: duckdb.DuckDBPyConnection, values, kind: str, source_tz: str, workspace_tz: str
) -> tuple[pa.ChunkedArray | pa.Array, pa.Array]:
    """Typed dates or timestamps as ``kind`` in the workspace's zone, and the out-of-range mask.

    Zone-aware timestamps are exact instants; naive ones are in ``source_tz``. The zone
    arithmetic is DuckDB's, as for text, so both paths agree to the microsecond.
    """
    t = values.type
    if kind == "date":
        out = pc.cast(values, pa.date32())
    elif (
        pa.types.is_timestamp(t)
        and t.tz is None
        and source_tz == workspace_tz
        or pa.types.is_date(t)
        and source_tz == workspace_tz
    ):
        out = pc.cast(values, pa.timestamp("us"))
    else:
        aware = pa.types.is_timestamp(t) and t.tz is not None
        register(con, "src", pa.table({"pos": positions(len(values)), "v": values}))
        try:
            params = {"ws": workspace_tz} | ({} if aware else {"src": source_tz})
            out = ordered(con, _TYPED_SQL["aware" if aware else "naive"], params, len(values))["t"]
        finally:
            con.unregister("src")
        out = out.cast(pa.timestamp("us"))
    years = pc.year(out)
    bad = pc.fill_null(pc.or_(pc.less(years, EARLIEST), pc.greater(years, LATEST)), False)
    return pc.if_else(bad, pa.scalar(None, out.type), out), bad
