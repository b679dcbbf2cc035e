"""Discovery benchmark: cxloop's theme discovery against BERTopic on banking77.

    .venv/bin/python bench/discovery.py          # prints a markdown table

banking77 holds real banking customer-service queries with 77 intent labels. Both
methods get the texts alone (never the labels, nor how many there are) and are scored
by the adjusted Rand index (ARI) of their clusters against the labels. Outliers
(BERTopic's topic -1, cxloop's "other") count as one more cluster, as each method
reports them; the ARI over the texts each method did cluster is shown for information.

Measured in the same run, after both models are loaded and warmed up (BERTopic's UMAP
and HDBSCAN compile with numba on first use; a warm-up fit on 300 texts keeps that out
of its times, which favours BERTopic):

- end to end on the test split, the two methods alternated over ``E2E_ROUNDS`` rounds
  (median time): BERTopic with default settings, given its default
  embedding model (all-MiniLM-L6-v2 from the installed package, loaded as a
  SentenceTransformer, since nothing may be downloaded), ``fit_transform(docs)``;
  cxloop ``load_encoder().encode(texts)`` then ``discover(texts, vectors)``.
- clustering only, on the test and train splits: both given the same precomputed
  MiniLM vectors (cxloop's encoder matches sentence-transformers at cosine 1.0).

BERTopic's UMAP has no fixed seed by default, so its clustering-only runs on the test
split are repeated (``BERTOPIC_RUNS``) and the median, minimum and maximum reported.
cxloop is deterministic; its times are the median of ``CXLOOP_RUNS``. BERTopic (with
umap-learn and hdbscan) is a dev-time comparison only: ``pip install -e .[bench]``.
"""

from __future__ import annotations

import csv
import hashlib
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

DATA = Path(
    os.environ.get("CXLOOP_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
CACHE = Path(os.environ.get("CXLOOP_EMB_CACHE", "/tmp/cxloop-emb"))
SPLITS = ("test", "train")
END_TO_END = ("test",)
BERTOPIC_RUNS = 3
CXLOOP_RUNS = 3
E2E_ROUNDS = 2


def load(split: str) -> tuple[list[str], list[str]]:
    with open(DATA / "banking77" / f"{split}.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["category"] for r in rows]


def cached_vectors(split: str, texts: list[str]) -> np.ndarray:
    """cxloop's MiniLM vectors of ``texts``, computed once and kept in CACHE."""
    key = hashlib.sha1("\x1f".join(texts).encode()).hexdigest()[:12]
    path = CACHE / f"banking77-{split}-{key}.npy"
    if path.exists():
        return np.load(path)
    from cxloop.text.encoder import load_encoder

    vectors = load_encoder().encode(texts)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def scores(truth: list[str], labels) -> dict:
    from sklearn.metrics import adjusted_rand_score

    labels = np.asarray(labels)
    truth_arr = np.asarray(truth)
    kept = labels >= 0
    return {
        "ari": float(adjusted_rand_score(truth_arr, labels)),
        "ari_clustered": float(adjusted_rand_score(truth_arr[kept], labels[kept])),
        "clusters": int(len(set(labels[kept].tolist()))),
        "outliers": float(1 - kept.mean()),
    }


def cxloop_labels(texts: list[str], vectors: np.ndarray) -> np.ndarray:
    from cxloop.text.discover import discover

    labels = np.full(len(texts), -1)
    for c in discover(texts, vectors, max_candidates=None):
        labels[c.members] = c.id
    return labels


def bertopic_labels(texts: list[str], vectors: np.ndarray | None, model=None) -> np.ndarray:
    from bertopic import BERTopic

    topic_model = BERTopic(embedding_model=model) if model is not None else BERTopic()
    topics, _ = topic_model.fit_transform(texts, embeddings=vectors)
    return np.asarray(topics)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def run(report=print) -> dict:
    """Measure both methods; ``report`` gets progress lines."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    from cxloop.text.encoder import DEFAULT_MODEL, load_encoder, model_folder

    encoder = load_encoder()
    st_model = SentenceTransformer(str(model_folder(DEFAULT_MODEL)), device="cpu")
    warm_texts, _ = load("train")
    warm_texts = warm_texts[:300]
    report("warming up both methods on 300 texts")
    warm = encoder.encode(warm_texts)
    cxloop_labels(warm_texts, warm)
    bertopic_labels(warm_texts, None, st_model)
    results: dict[str, dict] = {}
    for split in SPLITS:
        texts, truth = load(split)
        vectors = cached_vectors(split, texts)
        r: dict = {"n": len(texts), "labels": len(set(truth))}
        report(f"{split}: {len(texts):,} texts, {r['labels']} labels")
        times, labels = [], None
        for _ in range(CXLOOP_RUNS):
            s, labels = timed(lambda t=texts, v=vectors: cxloop_labels(t, v))
            times.append(s)
        r["cxloop"] = {**scores(truth, labels), "cluster_s": statistics.median(times)}
        runs = []
        for _ in range(BERTOPIC_RUNS if split == "test" else 1):
            s, topics = timed(lambda t=texts, v=vectors: bertopic_labels(t, v))
            runs.append({**scores(truth, topics), "cluster_s": s})
        r["bertopic"] = _median_run(runs)
        report(f"  clustering only: cxloop ARI {r['cxloop']['ari']:.3f} in "
               f"{r['cxloop']['cluster_s']:.2f} s; BERTopic ARI {r['bertopic']['ari']:.3f} in "
               f"{r['bertopic']['cluster_s']:.2f} s")  # fmt: skip
        if split in END_TO_END:
            r.update(_end_to_end(texts, truth, encoder, st_model))
            report(f"  end to end: cxloop ARI {r['cxloop_e2e']['ari']:.3f} in "
                   f"{r['cxloop_e2e']['seconds']:.1f} s (embedding {r['cxloop_e2e']['embed_s']:.1f}"
                   f" s); BERTopic ARI {r['bertopic_e2e']['ari']:.3f} in "
                   f"{r['bertopic_e2e']['seconds']:.1f} s ({r['speedup']:.2f}x)")  # fmt: skip
        results[split] = r
    return results


def _end_to_end(texts: list[str], truth: list[str], encoder, st_model) -> dict:
    """Both methods from raw text, alternated over E2E_ROUNDS rounds; median times."""
    cx, bt = [], []
    for _ in range(E2E_ROUNDS):
        embed_s, vectors = timed(lambda: encoder.encode(texts))
        cluster_s, labels = timed(lambda v=vectors: cxloop_labels(texts, v))
        cx.append({**scores(truth, labels), "seconds": embed_s + cluster_s, "embed_s": embed_s})
        seconds, topics = timed(lambda: bertopic_labels(texts, None, st_model))
        bt.append({**scores(truth, topics), "seconds": seconds})
    out = {
        "cxloop_e2e": {**cx[-1], "seconds": statistics.median(c["seconds"] for c in cx),
                       "embed_s": statistics.median(c["embed_s"] for c in cx)},
        "bertopic_e2e": {**_median_run([{**b, "cluster_s": b["seconds"]} for b in bt]),
                         "seconds": statistics.median(b["seconds"] for b in bt)},
        "e2e_rounds": E2E_ROUNDS,
    }  # fmt: skip
    out["speedup"] = out["bertopic_e2e"]["seconds"] / out["cxloop_e2e"]["seconds"]
    return out


def _median_run(runs: list[dict]) -> dict:
    aris = [r["ari"] for r in runs]
    middle = sorted(runs, key=lambda r: r["ari"])[len(runs) // 2]
    return {
        **middle,
        "cluster_s": statistics.median(r["cluster_s"] for r in runs),
        "runs": len(runs),
        "ari_min": min(aris),
        "ari_max": max(aris),
    }


def markdown(results: dict) -> list[str]:
    """The results as markdown lines for bench/RESULTS.md."""
    lines = [
        "",
        "## Discovery of new themes: cxloop against BERTopic on banking77",
        "",
        "Adjusted Rand index (ARI) against the 77 intent labels; outliers (BERTopic's -1, "
        'cxloop\'s "other") count as one cluster. Neither method is told the number of labels. '
        "BERTopic: default settings; its UMAP is unseeded, so its clustering-only runs on the "
        "test split are repeated and the median run shown with the range. Both warmed up first.",
        "",
        "| split | method | ARI | ARI of clustered texts | clusters | outliers | clustering s "
        "| end to end s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for split, r in results.items():
        for name, key in (("cxloop", "cxloop"), ("BERTopic", "bertopic")):
            m = r[key]
            spread = f" ({m['ari_min']:.3f}-{m['ari_max']:.3f}, {m['runs']} runs)" if m.get(
                "runs", 1) > 1 else ""  # fmt: skip
            e2e = r.get(f"{key}_e2e")
            e2e_text = f"{e2e['seconds']:.1f} (ARI {e2e['ari']:.3f})" if e2e else "–"
            if e2e and "embed_s" in e2e:
                e2e_text += f", embedding {e2e['embed_s']:.1f}"
            lines.append(
                f"| {split} ({r['n']:,}) | {name} | {m['ari']:.3f}{spread} "
                f"| {m['ari_clustered']:.3f} | {m['clusters']} | {100 * m['outliers']:.1f}% "
                f"| {m['cluster_s']:.2f} | {e2e_text} |"
            )
    lines.append("")
    for split, r in results.items():
        c, b = r["cxloop"], r["bertopic"]
        verdict = "met" if c["ari"] >= b["ari"] else "NOT met"
        lines.append(
            f"- {split}: ARI {c['ari']:.3f} vs {b['ari']:.3f} (target >= BERTopic: {verdict}); "
            f"clustering {b['cluster_s'] / c['cluster_s']:.1f}x faster."
        )
        if "speedup" in r:
            verdict = "met" if r["speedup"] >= 2 else "NOT met"
            lines.append(
                f"- {split} end to end (embedding included, median of {r['e2e_rounds']} "
                f"alternated rounds): {r['speedup']:.2f}x faster (target >= 2x: {verdict}); "
                "the same model embeds for both (cxloop through its default ONNX int8 runtime, BERTopic "
                "through sentence-transformers), and embedding is most of both times."
            )
    return lines


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    print("\n".join(markdown(run(lambda line: print(line, file=sys.stderr, flush=True)))))
