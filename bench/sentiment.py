"""Sentiment benchmark: cxloop against VADER on two real, never-trained-on datasets.

    .venv/bin/python bench/sentiment.py          # prints a markdown table

Datasets (text alone; the score only gives the truth label):

- Women's clothing e-commerce reviews: ``Review Text``; Rating 1-2 negative, 3 neutral,
  4-5 positive; empty texts dropped.
- Broadband NPS verbatims: ``text``; NPS_SCORE 0-6 negative, 7-8 neutral, 9-10 positive;
  missing scores dropped.

Measured in one run for both methods: macro-F1 over negative/neutral/positive, accuracy,
n per class and speed in comments/s. cxloop runs on the default embedding runtime
(int8 ONNX); ``--runtimes onnx-int8,torch`` adds fp32 PyTorch for comparison. VADER uses its standard thresholds (compound >= 0.05
positive, <= -0.05 negative, else neutral). cxloop works the way the tagger does: each
comment is cut into clauses (``split_clauses``), the clauses are embedded with MiniLM and
``overall_many`` combines them, weighted by clause length. Embedding the whole comment is
also reported, to show what clause aggregation costs.

Embeddings are cached under /tmp/cxloop-emb/ (the clothing reviews take minutes to embed);
the speed of cxloop is measured fresh on a sample of ``SPEED_SAMPLE`` comments per
dataset (split + embed + combine), and VADER's on every comment.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

import numpy as np

DATA = Path(
    os.environ.get("CXLOOP_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
CACHE = Path(os.environ.get("CXLOOP_EMB_CACHE", "/tmp/cxloop-emb"))
LABELS = ("negative", "neutral", "positive")
SPEED_SAMPLE = 500


def load_clothing() -> tuple[list[str], list[str]]:
    """(texts, labels) of the clothing reviews with a non-empty text."""
    import pandas as pd

    df = pd.read_csv(DATA / "womens-clothing-reviews" / "Womens Clothing E-Commerce Reviews.csv")
    df = df[df["Review Text"].notna()]
    df = df[df["Review Text"].astype(str).str.strip() != ""]
    rating = df["Rating"].astype(int)
    labels = np.where(rating <= 2, "negative", np.where(rating == 3, "neutral", "positive"))
    return df["Review Text"].astype(str).tolist(), labels.tolist()


def load_nps() -> tuple[list[str], list[str]]:
    """(texts, labels) of the NPS verbatims with a score and a non-empty text."""
    import pandas as pd

    df = pd.read_csv(DATA / "nps-comments" / "nps_verbatims.csv")
    df = df[df["NPS_SCORE"].notna() & df["text"].notna()]
    df = df[df["text"].astype(str).str.strip() != ""]
    score = df["NPS_SCORE"].astype(int)
    labels = np.where(score <= 6, "negative", np.where(score <= 8, "neutral", "positive"))
    return df["text"].astype(str).tolist(), labels.tolist()


DATASETS = {"clothing reviews": load_clothing, "broadband NPS": load_nps}


def clause_layout(texts: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Flat clause texts, the comment index of each clause and its length in characters.

    A comment without any clause (only punctuation) keeps its whole text as one clause.
    """
    from cxloop.text.clauses import split_clauses

    clauses: list[str] = []
    owner: list[int] = []
    for i, text in enumerate(texts):
        spans = split_clauses(text) or [(0, len(text))]
        for a, b in spans:
            clauses.append(text[a:b])
            owner.append(i)
    weights = np.array([len(c) for c in clauses], dtype=np.float32)
    return clauses, np.array(owner, dtype=np.int64), weights


def cached_embeddings(
    name: str, texts: list[str], runtime: str | None = None, progress: bool = True
) -> dict[str, np.ndarray]:
    """Whole-comment and clause embeddings of ``texts``, kept in CACHE between runs.

    Clause vectors are cached by clause text, so a change to the clause splitter only
    embeds the clauses that changed.
    """
    import json

    from cxloop.text.encoder import DEFAULT_RUNTIME, load_encoder

    runtime = runtime or DEFAULT_RUNTIME
    encoder = load_encoder(runtime=runtime)
    key = hashlib.sha1("\x1f".join(texts).encode()).hexdigest()[:12]
    model = encoder.name.replace("/", "_").replace("@", "-")
    stem = CACHE / f"sent-{name.replace(' ', '-')}-{key}-{model}"
    CACHE.mkdir(parents=True, exist_ok=True)
    clauses, owner, weights = clause_layout(texts)
    out: dict[str, np.ndarray] = {"owner": owner, "weights": weights}
    whole = Path(f"{stem}-whole.npy")
    if not whole.exists():
        np.save(whole, _embed(encoder, texts, f"{name} whole", progress))
    out["whole"] = np.load(whole)
    vec_path, text_path = Path(f"{stem}-clauses.npy"), Path(f"{stem}-clauses.json")
    known: list[str] = json.loads(text_path.read_text()) if text_path.exists() else []
    vectors = np.load(vec_path) if known else np.zeros((0, 384), dtype=np.float32)
    row = {t: i for i, t in enumerate(known)}
    missing = sorted({c for c in clauses if c not in row})
    if missing:
        offset = len(known)
        vectors = np.concatenate([vectors, _embed(encoder, missing, f"{name} clauses", progress)])
        known += missing
        row.update((t, offset + i) for i, t in enumerate(missing))
        np.save(vec_path, vectors)
        text_path.write_text(json.dumps(known))
    out["clauses"] = vectors[[row[c] for c in clauses]]
    return out


def _embed(encoder, items: list[str], what: str, progress: bool) -> np.ndarray:
    t0 = time.perf_counter()

    def show(done: int, total: int) -> None:
        if progress and (done == total or done % 2048 < 64):
            rate = done / max(time.perf_counter() - t0, 1e-9)
            print(f"  {what}: {done}/{total} ({rate:.0f}/s)", file=sys.stderr, flush=True)

    return encoder.encode(items, progress=show)


def vader_labels(texts: list[str]) -> tuple[list[str], float]:
    """VADER labels with the standard thresholds, and the seconds it took."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    t0 = time.perf_counter()
    out = []
    for text in texts:
        c = analyzer.polarity_scores(text)["compound"]
        out.append("positive" if c >= 0.05 else "negative" if c <= -0.05 else "neutral")
    return out, time.perf_counter() - t0


def cxloop_speed(texts: list[str], runtime: str) -> float:
    """Comments/s of the tagger's sentiment path: split, embed clauses, combine."""
    from cxloop.text.encoder import load_encoder
    from cxloop.text.sentiment import SentimentModel

    model = SentimentModel()
    encoder = load_encoder(runtime=runtime)
    encoder.encode(texts[:16])  # warm up
    t0 = time.perf_counter()
    clauses, owner, weights = clause_layout(texts)
    vectors = encoder.encode(clauses)
    model.overall_many(vectors, weights, owner, len(texts))
    return len(texts) / (time.perf_counter() - t0)


def scores(truth: list[str], pred: list[str]) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    return {
        "macro_f1": float(f1_score(truth, pred, labels=list(LABELS), average="macro")),
        "accuracy": float(accuracy_score(truth, pred)),
    }


def run(report=print, runtimes: tuple[str, ...] | None = None) -> dict:
    """Measure cxloop and VADER on both datasets; ``report`` gets progress lines.

    ``runtimes``: the embedding runtimes to measure cxloop with (default: the default
    runtime only; add "torch" to compare with fp32 PyTorch).
    """
    from cxloop.text.encoder import DEFAULT_RUNTIME
    from cxloop.text.sentiment import SentimentModel

    runtimes = runtimes or (DEFAULT_RUNTIME,)
    model = SentimentModel()
    results: dict[str, dict] = {}
    for name, loader in DATASETS.items():
        texts, truth = loader()
        report(f"{name}: {len(texts):,} comments")
        vader_pred, vader_s = vader_labels(texts)
        rng = np.random.default_rng(0)
        pick = rng.choice(len(texts), min(SPEED_SAMPLE, len(texts)), replace=False)
        sample = [texts[i] for i in pick]
        r = results[name] = {
            "n": len(texts),
            "n_per_class": {lab: int(sum(t == lab for t in truth)) for lab in LABELS},
            "vader": {**scores(truth, vader_pred), "comments_per_s": len(texts) / vader_s},
            "cxloop": {},
        }
        for runtime in runtimes:
            emb = cached_embeddings(name, texts, runtime)
            clause_pred, _ = model.overall_many(
                emb["clauses"], emb["weights"], emb["owner"], len(texts)
            )
            r["cxloop"][runtime] = {
                **scores(truth, clause_pred),
                "comments_per_s": cxloop_speed(sample, runtime),
                "whole_comment": scores(truth, model.label(emb["whole"])),
            }
            m = r["cxloop"][runtime]
            report(
                f"  cxloop ({runtime}) macro-F1 {m['macro_f1']:.3f} (whole comment embedded "
                f"{m['whole_comment']['macro_f1']:.3f}), VADER {r['vader']['macro_f1']:.3f}"
            )
    return results


def table(results: dict) -> str:
    """The results as a markdown table."""
    lines = [
        "| dataset | n (neg / neu / pos) | method | macro-F1 | accuracy | comments/s |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        c = r["n_per_class"]
        n = f"{r['n']:,} ({c['negative']:,} / {c['neutral']:,} / {c['positive']:,})"
        rows = []
        for runtime, m in r["cxloop"].items():
            rows.append(
                (f"cxloop, clauses as tagged ({runtime})", m, f"{m['comments_per_s']:,.0f}")
            )
            rows.append((f"cxloop, whole comment embedded ({runtime})", m["whole_comment"], ""))
        rows.append(
            (
                "VADER (compound >= 0.05 / <= -0.05)",
                r["vader"],
                f"{r['vader']['comments_per_s']:,.0f}",
            )
        )
        for method, m, speed in rows:
            lines.append(
                f"| {name} | {n} | {method} | {m['macro_f1'] * 100:.1f} "
                f"| {m['accuracy'] * 100:.1f} | {speed} |"
            )
        for runtime, m in r["cxloop"].items():
            gain = (m["macro_f1"] - r["vader"]["macro_f1"]) * 100
            lines.append(f"| {name} | | cxloop ({runtime}) - VADER | {gain:+.1f} points | | |")
    return "\n".join(lines)


if __name__ == "__main__":
    import argparse

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runtimes", help="comma-separated embedding runtimes (default: the default one)"
    )
    args = parser.parse_args()
    chosen = tuple(args.runtimes.split(",")) if args.runtimes else None
    print(table(run(lambda line: print(line, file=sys.stderr, flush=True), chosen)))
