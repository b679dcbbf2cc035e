"""Calibrate the theme threshold on comments someone has labelled.

Given texts and the themes a person gave each, the tagger is run at several
thresholds and every (comment, theme) pair it outputs is scored against the labels:
micro precision, recall and F1. Texts are embedded once, whatever the number of
thresholds. ``best`` is the threshold with the highest F1 (the lowest on a tie, since a
missed theme costs more than an extra one). ``bench/calibrate.py`` used this to choose
the shipped default; ``cxloop themes calibrate`` runs it on a user's own sample.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..settings import TextSettings
from .taxonomy import Taxonomy
from .workspace_tags import tagger_for

THRESHOLDS = (0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65)


@dataclass
class Calibration:
    """F1 of the tagger against labels at each threshold."""

    rows: list[dict]
    best: float
    labelled: int


class _Memo:
    """Wraps an encoder, keeping every vector for the next threshold."""

    def __init__(self, encoder) -> None:
        self.encoder, self.name, self.dim = encoder, encoder.name, encoder.dim
        self.seen: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str], progress=None) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in self.seen]
        if new:
            for t, v in zip(new, self.encoder.encode(new, progress=progress), strict=True):
                self.seen[t] = v
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.seen[t] for t in texts])


def score(found: list[set[str]], wanted: list[set[str]]) -> dict[str, float]:
    """Micro precision, recall and F1 of found themes against wanted ones."""
    tp = sum(len(f & w) for f, w in zip(found, wanted, strict=True))
    fp = sum(len(f - w) for f, w in zip(found, wanted, strict=True))
    fn = sum(len(w - f) for f, w in zip(found, wanted, strict=True))
    p, r = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return {"precision": p, "recall": r, "f1": 2 * p * r / max(p + r, 1e-12)}


def read_labelled(path, text_col: str, labels_col: str) -> tuple[list[str], list[set[str]]]:
    """Texts and their ";"-separated theme labels from any file ingest can read."""
    from ..ingest.sources import read_source

    table = read_source(path).table
    for option, col in (("--text-col", text_col), ("--labels-col", labels_col)):
        if col not in table.column_names:
            raise InputError(f"{path}: no column {col!r} for {option} "
                             f"(columns: {', '.join(table.column_names)})")  # fmt: skip
    texts = [t or "" for t in table.column(text_col).to_pylist()]
    labels = [{x.strip() for x in (v or "").split(";") if x.strip()}
              for v in table.column(labels_col).to_pylist()]  # fmt: skip
    return texts, labels


def calibrate(
    taxonomy: Taxonomy,
    texts: Sequence[str],
    labels: Sequence[set[str]],
    *,
    settings: TextSettings | None = None,
    thresholds: Sequence[float] = THRESHOLDS,
    progress: Callable[[int, int], None] | None = None,
) -> Calibration:
    """Score the tagger against ``labels`` at each of ``thresholds``."""
    names = set(taxonomy.names)
    unknown = sorted({t for ls in labels for t in ls} - names)
    if unknown:
        raise InputError(f"labels name themes not in the taxonomy: {', '.join(unknown[:5])}")
    if not texts:
        raise InputError("no labelled comments to calibrate on")
    settings = settings or TextSettings()
    parents_used = {t for ls in labels for t in ls if taxonomy.children(t)}
    memo = None
    rows = []
    for i, threshold in enumerate(thresholds):
        tagger = tagger_for(
            None, taxonomy, settings.model_copy(update={"theme_threshold": threshold})
        )
        memo = memo or _Memo(tagger.encoder)
        tagger.encoder = memo
        found = []
        for r in tagger.tag(list(texts)):  # a labelled parent counts when a child is found
            themes = set(r.theme_names)
            found.append(themes | ({taxonomy[t].parent for t in themes} & parents_used))
        wanted = [set(ls) for ls in labels]
        rows.append({"threshold": threshold, **{k: round(v, 4) for k, v in
                                                score(found, wanted).items()}})  # fmt: skip
        if progress:
            progress(i + 1, len(thresholds))
    best = max(rows, key=lambda r: (r["f1"], -r["threshold"]))["threshold"]
    return Calibration(rows, best, len(texts))
