"""Zero-shot tagging on banking77: a taxonomy written from the label names alone.

One theme per label, its name turned into a one-line description by
``cxloop.text.taxonomy.describe_name`` ("card_arrival" -> "The customer talks about
card arrival."), no keywords, no examples: the case of a user who writes only names.
The test split (3,080 real customer queries, 77 labels) is tagged with the shipped
settings; accuracy and macro-F1 of the top theme against the labels are reported,
with and without adapting the prototypes to the corpus, plus how often the thresholded
tagger assigns a theme at all and how often its first theme is right.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import numpy as np

from cxloop.settings import TextSettings
from cxloop.text.taxonomy import from_names
from cxloop.text.workspace_tags import tagger_for

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "banking77"


def macro_f1(truth: np.ndarray, pred: np.ndarray, k: int) -> float:
    scores = []
    for c in range(k):
        tp = np.sum((pred == c) & (truth == c))
        fp = np.sum((pred == c) & (truth != c))
        fn = np.sum((pred != c) & (truth == c))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores))


def run(runtime: str = "onnx-int8") -> dict:
    labels = json.loads((DATA / "categories.json").read_text())
    with open(DATA / "test.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    texts = [r["text"] for r in rows]
    truth = np.array([labels.index(r["category"]) for r in rows])
    tax = from_names(labels)
    out: dict = {"n": len(texts), "labels": len(labels), "runtime": runtime}
    for name, rounds in (("adapted", TextSettings().adapt_rounds), ("plain", 0)):
        tagger = tagger_for(None, tax, TextSettings(adapt_rounds=rounds, runtime=runtime))
        started = time.perf_counter()
        scores = tagger.scores(texts)
        seconds = time.perf_counter() - started
        pred = scores.argmax(axis=1)
        out[name] = {
            "accuracy": float(np.mean(pred == truth)),
            "macro_f1": macro_f1(truth, pred, len(labels)),
            "seconds": seconds,
        }
    tagged = tagger_for(None, tax, TextSettings(runtime=runtime)).tag(texts)
    first = [r.theme_names[0] if r.themes else None for r in tagged]
    assigned = [i for i, t in enumerate(first) if t is not None]
    out["thresholded"] = {
        "coverage": len(assigned) / len(texts),
        "first_theme_precision": float(
            np.mean([labels.index(first[i]) == truth[i] for i in assigned]) if assigned else 0
        ),
    }
    return out


def markdown(r: dict, torch: dict | None = None) -> list[str]:
    a, p, t = r["adapted"], r["plain"], r["thresholded"]
    return [
        "## Zero-shot themes on banking77 (names only)",
        "",
        f"Test split: {r['n']:,} real banking queries, {r['labels']} labels; a taxonomy of one "
        "theme per label with the name turned into a one-line description, no keywords, no "
        "examples (`bench/zeroshot.py`).",
        "",
        "| method | accuracy | macro-F1 | seconds |",
        "|---|---|---|---|",
        f"| prototypes adapted to the corpus (shipped default) | {a['accuracy']:.1%} "
        f"| {a['macro_f1']:.3f} | {a['seconds']:.1f} |",
        f"| name and description only (adapt_rounds = 0) | {p['accuracy']:.1%} "
        f"| {p['macro_f1']:.3f} | {p['seconds']:.1f} |",
        "",
        f"With the shipped threshold the tagger gives {t['coverage']:.1%} of the queries a "
        f"theme; its first theme is the label for {t['first_theme_precision']:.1%} of those.",
        "",
    ] + (
        [
            f"Runtime check: the same run with PyTorch fp32 embeddings instead of ONNX int8 gives "
            f"{torch['adapted']['accuracy']:.1%} accuracy and macro-F1 "
            f"{torch['adapted']['macro_f1']:.3f} (int8: {a['accuracy']:.1%}, {a['macro_f1']:.3f}).",
            "",
        ]
        if torch
        else []
    )


if __name__ == "__main__":
    print("\n".join(markdown(run())))
