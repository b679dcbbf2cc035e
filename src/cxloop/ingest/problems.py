"""Collect validation problems as Arrow columns: which rows, which field, what is wrong.

Checks add a boolean mask of failing rows at a time, so finding problems in a
million rows is a handful of vectorised operations; reasons are only spelled out
for the rows that fail.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

SCHEMA = pa.schema(
    [("pos", pa.int64()), ("field", pa.string()), ("kind", pa.string()), ("reason", pa.string())]
)
_SHOWN = 60  # longest value quoted in a reason


def quoted(values: pa.Array) -> pa.Array:
    """Values as 'value' for a reason, cut to a readable length."""
    values = pc.cast(values, pa.string())
    long = pc.greater(pc.utf8_length(values), _SHOWN)
    short = pc.utf8_slice_codeunits(values, 0, _SHOWN)
    cut = pc.if_else(long, pc.binary_join_element_wise(short, "...", ""), values)
    return pc.binary_join_element_wise("'", cut, "'", "")


class Problems:
    """Problems found so far, and the mask of rows that have any."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._parts: list[pa.Table] = []
        self._bad_fields: dict[str, pa.Array] = {}

    def add(
        self,
        mask: pa.Array | pa.ChunkedArray,
        field: str,
        kind: str,
        values: pa.Array | pa.ChunkedArray | None = None,
        template: str = "{value} is {kind}",
    ) -> None:
        """Record ``kind`` for the rows where ``mask`` is true.

        With ``values``, each reason quotes the row's value: ``template`` holds
        ``{value}`` (the quoted value) and ``{kind}``.
        """
        if not pc.any(mask).as_py():  # nulls are skipped: a null mask entry is "no problem"
            return
        mask = _array(pc.fill_null(mask, False))
        pos = pc.indices_nonzero(mask)
        self._bad_fields[field] = (
            pc.or_(self._bad_fields[field], mask) if field in self._bad_fields else mask
        )
        if values is None:
            reasons = pa.array([kind] * len(pos), pa.string())
        else:
            shown = quoted(_array(values).take(pos))
            before, _, after = template.format(value="\x00", kind=kind).partition("\x00")
            reasons = pc.binary_join_element_wise(before, shown, after, "")
        self._parts.append(
            pa.table(
                {
                    "pos": pos.cast(pa.int64()),
                    "field": pa.array([field] * len(pos), pa.string()),
                    "kind": pa.array([kind] * len(pos), pa.string()),
                    "reason": reasons,
                },
                schema=SCHEMA,
            )
        )

    def failed(self, field: str) -> pa.Array:
        """Mask of rows where ``field`` already has a problem."""
        return self._bad_fields.get(field, pa.nulls(self.n, pa.bool_()).fill_null(False))

    def bad_rows(self) -> pa.Array:
        """Mask of rows with any problem."""
        mask = pa.nulls(self.n, pa.bool_()).fill_null(False)
        for m in self._bad_fields.values():
            mask = pc.or_(mask, m)
        return mask

    def table(self) -> pa.Table:
        """All problems, ordered by position then field order of discovery."""
        if not self._parts:
            return SCHEMA.empty_table()
        return pa.concat_tables(self._parts).sort_by([("pos", "ascending")])


def _array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks() if values.num_chunks else pa.array([], values.type)
    return values
