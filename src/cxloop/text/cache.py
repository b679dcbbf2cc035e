"""Embeddings cached by text hash in the analytics store, so nothing is embedded twice.

A text's vector is looked up by ``(text_hash, model)``; only texts not yet cached
are sent to the encoder, and their vectors are stored for the next run. Identical
texts within one call are embedded once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import ibis
import numpy as np
import pyarrow as pa

from ..store.analytics import AnalyticsStore
from .encoder import Encoder

TABLE = "text_embeddings"


def text_hash(text: str) -> int:
    """A stable signed 64-bit hash of ``text`` (the cache key)."""
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def embed_cached(
    store: AnalyticsStore | None,
    encoder: Encoder,
    texts: Sequence[str],
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Vectors for ``texts`` (rows in order), from the cache where possible.

    With ``store=None`` nothing is cached across calls, but duplicates within the call
    are still embedded once. ``progress(done, total)`` counts texts sent to the model.
    """
    hashes = np.fromiter((text_hash(t) for t in texts), dtype=np.int64, count=len(texts))
    unique, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    vectors = np.zeros((len(unique), encoder.dim), dtype=np.float32)
    known = np.zeros(len(unique), dtype=bool)
    if store is not None and len(unique):
        found_hashes, found_vectors = _lookup(store, encoder, unique)
        if len(found_hashes):
            pos = np.searchsorted(unique, found_hashes)
            vectors[pos] = found_vectors
            known[pos] = True
    missing = np.flatnonzero(~known)
    if len(missing):
        new = encoder.encode([texts[first[i]] for i in missing], progress=progress)
        vectors[missing] = new
        if store is not None:
            _store(store, encoder, unique[missing], new)
    elif progress:
        progress(0, 0)
    return vectors[inverse.reshape(-1)]


def _lookup(store: AnalyticsStore, encoder: Encoder, hashes: np.ndarray):
    table = store.table(TABLE)
    wanted = ibis.memtable(pa.table({"text_hash": pa.array(hashes, pa.int64())}))
    query = table.filter(table.model == encoder.name).semi_join(wanted, "text_hash")
    result = store.con.to_pyarrow(query.select("text_hash", "vector"))
    if result.num_rows == 0:
        return np.empty(0, np.int64), np.empty((0, encoder.dim), np.float32)
    found = result.column("text_hash").to_numpy()
    order = np.argsort(found)
    blobs = result.column("vector").to_pylist()
    matrix = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), encoder.dim)
    _, keep = np.unique(found[order], return_index=True)  # tolerate duplicate cache rows
    return found[order][keep], matrix[order][keep]


def _store(store: AnalyticsStore, encoder: Encoder, hashes: np.ndarray, vectors: np.ndarray):
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    size = vectors.shape[1] * 4
    raw = vectors.tobytes()
    blobs = pa.array([raw[i * size : (i + 1) * size] for i in range(len(vectors))], pa.binary())
    rows = pa.table(
        {
            "text_hash": pa.array(hashes, pa.int64()),
            "model": pa.array([encoder.name] * len(hashes), pa.string()),
            "vector": blobs,
        }
    )
    store.insert(TABLE, rows)
