"""Tag a workspace's response comments, incrementally, into the analytics store.

Only comments that are new, whose text changed, or that were tagged with another
taxonomy or other settings are tagged again; everything else is kept. Results go to
``comment_tags`` (one row per comment: overall sentiment, theme count) and
``comment_themes`` (one row per theme found, with its sentiment and evidence).
Each chunk of comments is written in one transaction, so an interrupted run loses
at most the chunk in progress and the next run carries on.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import ibis
import pyarrow as pa

from ..errors import MissingData
from ..store.analytics import COMMENT_TAGS_SCHEMA, COMMENT_THEMES_SCHEMA
from ..workspace import Workspace
from .cache import text_hash
from .encoder import workspace_encoder
from .sentiment import SentimentModel
from .tagger import TaggedComment, Tagger
from .taxonomy import Taxonomy, default_taxonomy, load_taxonomy

CHUNK = 4096

Progress = Callable[[int, int], None]


@dataclass
class TagRun:
    """What one tagging run did."""

    comments: int  # responses with a non-empty comment
    tagged: int  # tagged in this run
    unchanged: int  # already tagged with this taxonomy and settings
    removed: int  # tags dropped because the comment disappeared or emptied
    with_themes: int  # of those tagged now, how many got at least one theme
    seconds: float
    taxonomy: str

    @property
    def per_second(self) -> float:
        return self.tagged / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict:
        return asdict(self) | {"comments_per_second": round(self.per_second, 1)}


def workspace_taxonomy(ws: Workspace, path: str | Path | None = None) -> Taxonomy:
    """The taxonomy to use: ``path``, else the workspace's setting, else the default."""
    chosen = path or ws.settings.text.taxonomy
    if not chosen:
        return default_taxonomy()
    chosen = Path(chosen)
    return load_taxonomy(chosen if chosen.is_absolute() else ws.path / chosen)


def tagger_for(ws: Workspace | None, taxonomy: Taxonomy, settings=None) -> Tagger:
    """A tagger configured from the workspace's ``[text]`` settings (or ``settings``)."""
    text = settings or ws.settings.text
    return Tagger(
        taxonomy,
        workspace_encoder(text),
        theme_threshold=text.theme_threshold,
        theme_margin=text.theme_margin,
        adapt_rounds=text.adapt_rounds,
        sentiment=SentimentModel(text.sentiment_negative_below, text.sentiment_positive_above),
        store=ws.analytics if ws is not None else None,
    )


def settings_fingerprint(taxonomy: Taxonomy, text_settings) -> str:
    """Changes when the taxonomy or any setting that affects tags changes."""
    keys = text_settings.model_dump(exclude={"taxonomy"})
    raw = f"{taxonomy.fingerprint}|{sorted(keys.items())}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def tag_workspace(
    ws: Workspace,
    *,
    taxonomy: str | Path | None = None,
    retag: bool = False,
    progress: Progress | None = None,
) -> TagRun:
    """Tag every response comment that needs it; ``progress(done, total)`` in comments."""
    started = time.perf_counter()
    tax = workspace_taxonomy(ws, taxonomy)
    fingerprint = settings_fingerprint(tax, ws.settings.text)
    store = ws.analytics
    comments = _comments(ws)
    hashes = pa.array([text_hash(t) for t in comments.column("comment").to_pylist()], pa.int64())
    comments = comments.append_column("text_hash", hashes)
    todo, unchanged, stale = _plan(ws, comments, fingerprint, retag)
    removed = 0
    if len(stale):
        with store.transaction():
            store.delete_keys("comment_tags", "response_id", stale)
            store.delete_keys("comment_themes", "response_id", stale)
        removed = len(stale)
    tagger = tagger_for(ws, tax) if todo.num_rows else None
    with_themes = 0
    done = 0
    if progress:
        progress(0, todo.num_rows)
    for offset in range(0, todo.num_rows, CHUNK):
        chunk = todo.slice(offset, CHUNK)
        results = tagger.tag(chunk.column("comment").to_pylist())
        with_themes += sum(1 for r in results if r.themes)
        _write(ws, chunk, results, fingerprint)
        done += chunk.num_rows
        if progress:
            progress(done, todo.num_rows)
    return TagRun(
        comments=comments.num_rows,
        tagged=todo.num_rows,
        unchanged=unchanged,
        removed=removed,
        with_themes=with_themes,
        seconds=time.perf_counter() - started,
        taxonomy=tax.source,
    )


def _comments(ws: Workspace) -> pa.Table:
    responses = ws.analytics.table("responses")
    has_text = responses.comment.notnull() & (responses.comment.strip().length() > 0)
    query = responses.filter(has_text).select("response_id", "comment").order_by("response_id")
    return ws.analytics.con.to_pyarrow(query)


def _plan(ws: Workspace, comments: pa.Table, fingerprint: str, retag: bool):
    """Comments to tag now, how many are unchanged, and tag rows to drop."""
    store = ws.analytics
    tags = store.table("comment_tags").select("response_id", "text_hash", "taxonomy_hash")
    existing = store.con.to_pyarrow(tags)
    current = dict(zip(comments.column("response_id").to_pylist(),
                       comments.column("text_hash").to_pylist(), strict=True))  # fmt: skip
    done_ids = existing.column("response_id").to_pylist()
    fresh = set()
    gone = []  # tagged comments that no longer exist (or are now empty)
    for rid, h, fp in zip(done_ids, existing.column("text_hash").to_pylist(),
                          existing.column("taxonomy_hash").to_pylist(), strict=True):  # fmt: skip
        if rid not in current:
            gone.append(rid)
        elif not retag and current[rid] == h and fp == fingerprint:
            fresh.add(rid)
    mask = pa.array([rid not in fresh for rid in current])
    return comments.filter(mask), len(fresh), pa.array(gone, pa.string())


def _write(ws: Workspace, chunk: pa.Table, results: list[TaggedComment], fingerprint: str):
    store = ws.analytics
    ids = chunk.column("response_id").to_pylist()
    now = datetime.now(UTC).replace(tzinfo=None)
    tags = pa.table(
        {
            "response_id": ids,
            "text_hash": chunk.column("text_hash"),
            "taxonomy_hash": [fingerprint] * len(ids),
            "sentiment": [r.sentiment for r in results],
            "sentiment_score": [r.sentiment_score for r in results],
            "n_themes": [len(r.themes) for r in results],
            "tagged_at": pa.array([now] * len(ids), pa.timestamp("us")),
        },
        schema=COMMENT_TAGS_SCHEMA,
    )
    rows = [
        {"response_id": rid, **asdict(hit), "rank": rank}
        for rid, r in zip(ids, results, strict=True)
        for rank, hit in enumerate(r.themes, start=1)
    ]
    themes = pa.Table.from_pylist(rows, schema=COMMENT_THEMES_SCHEMA)
    key = pa.array(ids, pa.string())
    with store.transaction():
        store.delete_keys("comment_tags", "response_id", key)
        store.delete_keys("comment_themes", "response_id", key)
        store.insert("comment_tags", tags)
        store.insert("comment_themes", themes)


def require_tags(ws: Workspace) -> None:
    """Raise :class:`MissingData` unless the workspace's comments have been tagged."""
    if ws.analytics.count("comment_tags") == 0:
        raise MissingData("no tagged comments: run `cxloop themes tag --workspace WS` first")


def tagged_comments(ws: Workspace) -> ibis.Table:
    """Responses joined with their tags (only tagged comments)."""
    responses = ws.analytics.table("responses")
    tags = ws.analytics.table("comment_tags").drop("text_hash", "taxonomy_hash", "tagged_at")
    return responses.inner_join(tags, "response_id")
