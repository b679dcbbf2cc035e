"""Tag the comments of any CSV (or Parquet / JSON lines) file, with no workspace.

One output row per input record, in input order, with the columns ``id``,
``themes`` (";"-separated, most confident first), ``theme_sentiments`` (same
order), ``sentiment`` and ``sentiment_score``. The output is formula-safe CSV.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..export import write_csv
from ..ingest.sources import read_source
from ..settings import TextSettings
from .taxonomy import Taxonomy, default_taxonomy, load_taxonomy
from .workspace_tags import tagger_for

COLUMNS = ("id", "themes", "theme_sentiments", "sentiment", "sentiment_score")
CHUNK = 2048


@dataclass
class FileTagRun:
    """What tagging a file did."""

    rows: int
    with_themes: int
    empty: int
    seconds: float
    out: str
    warnings: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict:
        return {
            "rows": self.rows,
            "with_themes": self.with_themes,
            "empty": self.empty,
            "seconds": round(self.seconds, 2),
            "comments_per_second": round(self.per_second, 1),
            "out": self.out,
            "warnings": self.warnings,
        }


def tag_file(
    input_path: str | Path,
    out_path: str | Path,
    *,
    text_col: str,
    id_col: str | None = None,
    taxonomy: str | Path | Taxonomy | None = None,
    settings: TextSettings | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> FileTagRun:
    """Tag ``text_col`` of every record of ``input_path`` and write ``out_path``."""
    started = time.perf_counter()
    tax = taxonomy if isinstance(taxonomy, Taxonomy) else (
        load_taxonomy(taxonomy) if taxonomy else default_taxonomy()
    )  # fmt: skip
    raw = read_source(input_path)
    names = raw.table.column_names
    for option, col in (("--text-col", text_col), ("--id-col", id_col)):
        if col is not None and col not in names:
            raise InputError(
                f"{input_path}: no column {col!r} for {option} (columns: {', '.join(names)})"
            )
    texts = [t or "" for t in raw.table.column(text_col).to_pylist()]
    ids = raw.table.column(id_col).to_pylist() if id_col else [None] * len(texts)
    warnings = list(raw.warnings)
    order = sorted(
        [(int(r), "ok", i) for i, r in enumerate(raw.rows.to_pylist())]
        + [(b.row, "bad", b) for b in raw.bad]
    )
    if raw.bad:
        rows_text = ", ".join(str(b.row) for b in raw.bad[:5])
        warnings.append(
            f"{len(raw.bad)} record(s) could not be parsed (row {rows_text}"
            f"{', ...' if len(raw.bad) > 5 else ''}): written with empty results"
        )
    tagger = tagger_for(None, tax, settings or TextSettings())
    results = []
    for start in range(0, len(texts), CHUNK):
        results.extend(tagger.tag(texts[start : start + CHUNK]))
        if progress:
            progress(min(start + CHUNK, len(texts)), len(texts))
    out_rows = []
    for ordinal, (_row, kind, ref) in enumerate(order, start=1):
        if kind == "bad":
            pos = names.index(id_col) if id_col else -1
            bad_id = ref.values[pos] if id_col and pos < len(ref.values) else ordinal
            out_rows.append({"id": bad_id})
            continue
        r = results[ref]
        out_rows.append(
            {
                "id": ids[ref] if id_col else ordinal,
                "themes": ";".join(h.theme for h in r.themes),
                "theme_sentiments": ";".join(h.sentiment for h in r.themes),
                "sentiment": r.sentiment if texts[ref].strip() else "neutral",
                "sentiment_score": round(r.sentiment_score, 4) if texts[ref].strip() else 0.0,
            }
        )
    out_path = Path(out_path)
    try:
        with out_path.open("w", encoding="utf-8", newline="") as out:
            write_csv(out_rows, COLUMNS, out)
    except OSError as e:
        raise InputError(f"{out_path}: cannot write: {e.strerror or e}") from None
    return FileTagRun(
        rows=len(out_rows),
        with_themes=sum(1 for r in results if r.themes),
        empty=sum(1 for t in texts if not t.strip()),
        seconds=time.perf_counter() - started,
        out=str(out_path),
        warnings=warnings,
    )
