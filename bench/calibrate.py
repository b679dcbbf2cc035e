"""Calibrate ``text.theme_threshold`` on labelled data (how the shipped default was chosen).

Two labelled sets, neither used by the benchmarks that judge the tagger:

* banking77's *training* split (10,003 real queries, one label each), with a taxonomy
  written from the label names alone, like a user who writes only names;
* the simulator's small demo (3,900 comments with planted themes,
  ``comment_truth.parquet``), with the shipped default taxonomy.

For each threshold, every (comment, theme) pair the tagger outputs is scored against
the labels: micro precision, recall and F1. The shipped threshold maximises the mean
F1 of the two sets. ``python bench/calibrate.py`` prints the table (about 5 minutes
on 2 cores; embeddings are memoised in memory across thresholds).
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from cxloop.settings import TextSettings
from cxloop.text.encoder import load_encoder
from cxloop.text.taxonomy import default_taxonomy, from_names
from cxloop.text.workspace_tags import tagger_for

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "banking77"
THRESHOLDS = (0.35, 0.4, 0.45, 0.5, 0.55, 0.6)


class Memo:
    """The real encoder, remembering every vector for the next threshold."""

    def __init__(self) -> None:
        self.encoder = load_encoder()
        self.name, self.dim = self.encoder.name, self.encoder.dim
        self.seen: dict[str, np.ndarray] = {}

    def encode(self, texts, progress=None):
        new = [t for t in dict.fromkeys(texts) if t not in self.seen]
        for t, v in zip(new, self.encoder.encode(new), strict=True):
            self.seen[t] = v
        return np.stack([self.seen[t] for t in texts]) if texts else np.zeros((0, self.dim))


def prf(found: list[set], wanted: list[set]) -> tuple[float, float, float]:
    tp = sum(len(f & w) for f, w in zip(found, wanted, strict=True))
    fp = sum(len(f - w) for f, w in zip(found, wanted, strict=True))
    fn = sum(len(w - f) for f, w in zip(found, wanted, strict=True))
    p, r = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return p, r, 2 * p * r / max(p + r, 1e-9)


def banking77() -> tuple[list[str], list[set], object]:
    labels = json.loads((DATA / "categories.json").read_text())
    with open(DATA / "train.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [{r["category"]} for r in rows], from_names(labels)


def simulator() -> tuple[list[str], list[set], object]:
    from cxloop.demo import build_demo

    with tempfile.TemporaryDirectory() as tmp:
        sim = build_demo(Path(tmp) / "ws", size="small", seed=7, tag=False)
        truth = {r["response_id"]: set(r["themes"]) for r in pq.read_table(
            Path(tmp) / "ws" / "source" / "comment_truth.parquet").to_pylist()}  # fmt: skip
        ws = sim.workspace
        t = ws.analytics.table("responses")
        rows = ws.analytics.con.to_pyarrow(
            t.filter(t.comment.notnull()).select("response_id", "comment")
        ).to_pylist()
        ws.close()
    return [r["comment"] for r in rows], [truth.get(r["response_id"], set()) for r in rows], (
        default_taxonomy()
    )  # fmt: skip


def main() -> None:
    memo = Memo()
    sets = {"banking77 train (names only)": banking77(), "simulator (default taxonomy)": simulator()}
    print("| threshold | " + " | ".join(f"{n}: P / R / F1" for n in sets) + " | mean F1 |")
    print("|---" * (len(sets) + 2) + "|")
    for threshold in THRESHOLDS:
        cells, f1s = [], []
        for texts, wanted, tax in sets.values():
            tagger = tagger_for(None, tax, TextSettings(theme_threshold=threshold))
            tagger.encoder = memo
            found = [set(r.theme_names) for r in tagger.tag(texts)]
            p, r, f1 = prf(found, wanted)
            cells.append(f"{p:.3f} / {r:.3f} / {f1:.3f}")
            f1s.append(f1)
        print(f"| {threshold} | " + " | ".join(cells) + f" | {np.mean(f1s):.3f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
