"""Calibrate ``text.theme_threshold`` on labelled data (how the shipped default was chosen).

Two labelled sets, neither used by the benchmarks that judge the tagger:

* banking77's *training* split (10,003 real queries, one label each), with a taxonomy
  written from the label names alone, like a user who writes only names;
* the simulator's small demo (3,900 comments with planted themes,
  ``comment_truth.parquet``), with the shipped default taxonomy.

For each threshold, every (comment, theme) pair the tagger outputs is scored against
the labels (``cxloop.text.calibrate``): micro precision, recall and F1. The shipped
threshold maximises the mean F1 of the two sets. ``python bench/calibrate.py`` prints
the table (a few minutes on 2 cores).
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from cxloop.text.calibrate import calibrate
from cxloop.text.taxonomy import default_taxonomy, from_names

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "banking77"
THRESHOLDS = (0.35, 0.4, 0.45, 0.5, 0.55, 0.6)


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
    sets = {
        "banking77 train (names only)": banking77(),
        "simulator (default taxonomy)": simulator(),
    }
    results = {name: calibrate(tax, texts, wanted, thresholds=THRESHOLDS)
               for name, (texts, wanted, tax) in sets.items()}  # fmt: skip
    print("| threshold | " + " | ".join(f"{n}: P / R / F1" for n in sets) + " | mean F1 |")
    print("|---" * (len(sets) + 2) + "|")
    for i, threshold in enumerate(THRESHOLDS):
        rows = [r.rows[i] for r in results.values()]
        cells = [f"{r['precision']:.3f} / {r['recall']:.3f} / {r['f1']:.3f}" for r in rows]
        mean = np.mean([r["f1"] for r in rows])
        print(f"| {threshold} | " + " | ".join(cells) + f" | {mean:.3f} |")


if __name__ == "__main__":
    sys.exit(main())
