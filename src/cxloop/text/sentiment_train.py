"""Rebuild the sentiment head from the hand-written seed corpus (a developer tool).

    python -m cxloop.text.sentiment_train            # writes sentiment_head.npz

The seed (``sentiment_seed.jsonl``) holds customer comments from many sectors
(telecom, banking, retail and fashion, utilities, travel, hotels, insurance, health,
software, delivery, restaurants, public services), written by hand and labelled
negative, neutral or positive. Neutral covers lukewarm ("it was ok"), mixed ("good X
but bad Y") and factual comments; factual ones (no opinion at all) are flagged
``"factual": true`` and become the head's fourth class. Lines flagged
``"clause": true`` are pieces cut from longer comments ("but the wait was long") so
the head learns what a clause says on its own.

Each seed line is embedded whole with MiniLM, twice: with PyTorch (fp32) and with the
default int8 ONNX runtime, whose dynamic quantization makes a text's vector depend
slightly on its batch (scores of one-word comments move by up to 0.15). Training on
both makes the head hold up on whichever runtime ``text.runtime`` selects. A
multinomial logistic regression (L2-penalised, fitted by accelerated gradient descent
in numpy, so the result is deterministic and needs no scikit-learn) maps a 384-d
vector to P(negative), P(neutral), P(positive), P(factual).

Thresholds are calibrated by 5-fold cross-validation on the seed: every seed comment
(not the clause lines) is cut into clauses as the tagger does, each clause is scored
by the head of the fold that did not see the comment (a clause line shares the fold
of the comment it was cut from), the clauses are combined with
:func:`cxloop.text.sentiment.combine`, and the pair of thresholds with the best
macro-F1 (averaged over several class mixes, see :func:`calibrate`) is kept. The
head, the thresholds and a hash of the seed are written to ``sentiment_head.npz``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .clauses import split_clauses
from .sentiment import CLASSES, HEAD_PATH, combine, scores_from_probabilities

SEED_PATH = Path(__file__).with_name("sentiment_seed.jsonl")
L2 = 3e-4
FOLDS = 5
ITERATIONS = 600
RUNTIMES = ("torch", "onnx-int8")  # the seed is embedded with each
FACTUAL = 3  # the head's fourth class: neutral without any opinion
N_CLASSES = 4
#: Class mixes (negative, neutral, positive) the thresholds must serve at once: real
#: feedback is rarely balanced (reviews lean positive, complaint surveys negative).
PRIORS = ((1 / 3, 1 / 3, 1 / 3), (0.7, 0.15, 0.15), (0.15, 0.7, 0.15), (0.15, 0.15, 0.7))
GRID = np.round(np.arange(-0.6, 0.61, 0.02), 2)


@dataclass(frozen=True)
class Seed:
    """The seed corpus: texts, classes (0 neg, 1 neutral, 2 pos, 3 factual), clause flags."""

    texts: list[str]
    classes: np.ndarray
    is_clause: np.ndarray

    @property
    def labels(self) -> np.ndarray:
        """Three-class labels (factual counts as neutral)."""
        return np.where(self.classes == FACTUAL, 1, self.classes)


def load_seed(path: Path = SEED_PATH) -> Seed:
    """Read the seed: one ``{"text", "label"[, "factual"][, "clause"]}`` per line."""
    texts, classes, is_clause = [], [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            texts.append(row["text"])
            classes.append(FACTUAL if row.get("factual") else CLASSES.index(row["label"]))
            is_clause.append(bool(row.get("clause")))
    return Seed(texts, np.array(classes, dtype=np.int64), np.array(is_clause, dtype=bool))


def macro_f1(
    truth: np.ndarray, pred: np.ndarray, k: int = len(CLASSES), weight: np.ndarray | None = None
) -> float:
    """Mean over classes of F1, optionally with sample weights (a class never
    predicted nor present scores 0)."""
    w = np.ones(len(truth)) if weight is None else weight
    f1 = []
    for c in range(k):
        tp = np.sum(w[(pred == c) & (truth == c)])
        fp = np.sum(w[(pred == c) & (truth != c)])
        fn = np.sum(w[(pred != c) & (truth == c)])
        f1.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(f1))


def clause_layout(texts: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Flat clause texts, the index of the comment each belongs to, and their lengths."""
    clauses, owner = [], []
    for i, text in enumerate(texts):
        for a, b in split_clauses(text) or [(0, len(text))]:
            clauses.append(text[a:b])
            owner.append(i)
    weights = np.array([len(c) for c in clauses], dtype=np.float64)
    return clauses, np.array(owner, dtype=np.int64), weights


def fit_head(
    x: np.ndarray, y: np.ndarray, l2: float = L2, k: int = N_CLASSES
) -> tuple[np.ndarray, np.ndarray]:
    """Weights (d, k) and bias (k,) of an L2-penalised multinomial logistic regression.

    Features are centred (the centre is folded into the bias), then Nesterov's
    accelerated gradient runs a fixed number of steps: deterministic for given inputs.
    """
    x = np.asarray(x, dtype=np.float64)
    centre = x.mean(axis=0)
    xc = x - centre
    n, d = xc.shape
    onehot = np.eye(k)[y]
    smooth = 0.5 * float(np.linalg.eigvalsh(xc.T @ xc / n)[-1]) + 0.5 + l2
    step = 1.0 / smooth
    root = np.sqrt(smooth / l2)
    momentum = (root - 1) / (root + 1)
    w = np.zeros((d, k))
    b = np.log(onehot.mean(axis=0) + 1e-3)
    vw, vb = w.copy(), b.copy()
    for _ in range(ITERATIONS):
        err = (_softmax(xc @ vw + vb) - onehot) / n
        w_next = vw - step * (xc.T @ err + l2 * vw)
        b_next = vb - step * err.sum(axis=0)
        vw = w_next + momentum * (w_next - w)
        vb = b_next + momentum * (b_next - b)
        w, b = w_next, b_next
    return w.astype(np.float32), (b - centre @ w).astype(np.float32)


def _softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


def folds(seed: Seed, k: int = FOLDS) -> np.ndarray:
    """A fold for every seed line, stratified by class, from a fixed permutation.

    A line that is a clause of another seed comment gets that comment's fold, so no
    fold's head has seen a piece of a comment it is scored on.
    """
    source = np.arange(len(seed.texts))
    home: dict[str, int] = {}
    for i, text in enumerate(seed.texts):
        spans = split_clauses(text)
        if len(spans) > 1:
            for a, b in spans:
                home.setdefault(_key(text[a:b]), i)
    for i, text in enumerate(seed.texts):
        source[i] = home.get(_key(text), i)
    rng = np.random.default_rng(20261122)
    fold = np.empty(len(source), dtype=np.int64)
    roots = np.flatnonzero(source == np.arange(len(source)))
    for c in range(N_CLASSES):
        idx = roots[seed.classes[roots] == c]
        idx = idx[rng.permutation(len(idx))]
        fold[idx] = np.arange(len(idx)) % k
    return fold[source]


def _key(text: str) -> str:
    return text.lower().strip(" .!,;")


def out_of_fold(
    seed: Seed, embs: Sequence[dict[str, np.ndarray]], l2: float = L2
) -> list[np.ndarray]:
    """Out-of-fold (clauses, 4) head outputs for every clause, one array per embedding.

    Each fold's head learns from the training lines' vectors of every embedding.
    """
    fold = folds(seed)
    outs = [np.zeros((len(e["owner"]), N_CLASSES)) for e in embs]
    for f in range(FOLDS):
        x = np.concatenate([e["whole"][fold != f] for e in embs])
        y = np.tile(seed.classes[fold != f], len(embs))
        w, b = fit_head(x, y, l2)
        for e, out in zip(embs, outs, strict=True):
            held = fold[e["owner"]] == f
            out[held] = _softmax(e["clauses"][held].astype(np.float64) @ w + b)
    return outs


def calibrate(scores: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(negative_below, positive_above, macro-F1) for 3-class labels ``y``.

    Every pair of thresholds on a 0.02 grid is scored by macro-F1 averaged over the
    class mixes in ``PRIORS`` (the seed reweighted to each mix), so the thresholds hold
    up whichever sentiment dominates a customer's comments. To avoid a lucky spike,
    each pair's score is averaged with its neighbours within 0.04; the best wins. The
    macro-F1 returned is that pair's own on the seed as it is.
    """
    freq = np.bincount(y, minlength=3) / len(y)
    weights = [np.asarray(prior)[y] / freq[y] for prior in PRIORS]
    n = len(GRID)
    f1 = np.full((n, n), np.nan)
    for i, lo in enumerate(GRID):
        for j, hi in enumerate(GRID):
            if hi > lo:
                pred = np.where(scores < lo, 0, np.where(scores > hi, 2, 1))
                f1[i, j] = np.mean([macro_f1(y, pred, weight=w) for w in weights])
    smooth = np.full_like(f1, -1.0)
    for i in range(n):
        for j in range(n):
            if not np.isnan(f1[i, j]):
                smooth[i, j] = np.nanmean(f1[max(i - 2, 0) : i + 3, max(j - 2, 0) : j + 3])
    i, j = np.unravel_index(np.argmax(smooth), smooth.shape)
    lo, hi = float(GRID[i]), float(GRID[j])
    pred = np.where(scores < lo, 0, np.where(scores > hi, 2, 1))
    return lo, hi, macro_f1(y, pred)


def embed_seed(texts: Sequence[str], encoder=None) -> dict[str, np.ndarray]:
    """Whole-line and clause embeddings of the seed with one encoder."""
    from .encoder import load_encoder

    encoder = encoder or load_encoder()
    clauses, owner, weights = clause_layout(texts)
    return {
        "whole": encoder.encode(list(texts)),
        "clauses": encoder.encode(clauses),
        "owner": owner,
        "weights": weights,
    }


def embed_seed_all(texts: Sequence[str]) -> list[dict[str, np.ndarray]]:
    """The seed embedded with each runtime in ``RUNTIMES``."""
    from .encoder import load_encoder

    return [embed_seed(texts, load_encoder(runtime=r)) for r in RUNTIMES]


def overall_out_of_fold(
    seed: Seed, embs: Sequence[dict[str, np.ndarray]], l2: float = L2
) -> tuple[np.ndarray, np.ndarray]:
    """Cross-validated overall scores of the seed's comments (every embedding in
    turn, concatenated), and their labels."""
    comments = ~seed.is_clause
    scores = []
    for e, p_clause in zip(embs, out_of_fold(seed, embs, l2), strict=True):
        overall = combine(p_clause, e["weights"], e["owner"], len(seed.texts))
        scores.append(scores_from_probabilities(overall)[comments])
    return np.concatenate(scores), np.tile(seed.labels[comments], len(embs))


def train(
    path: Path = SEED_PATH, embs: Sequence[dict[str, np.ndarray]] | None = None, l2: float = L2
) -> dict[str, np.ndarray]:
    """The head's arrays, ready for ``np.savez``."""
    seed = load_seed(path)
    embs = embs or embed_seed_all(seed.texts)
    lo, hi, f1 = calibrate(*overall_out_of_fold(seed, embs, l2))
    x = np.concatenate([e["whole"] for e in embs])
    w, b = fit_head(x, np.tile(seed.classes, len(embs)), l2)
    return {
        "weights": w,
        "bias": b,
        "negative_below": np.float32(lo),
        "positive_above": np.float32(hi),
        "cv_macro_f1": np.float32(f1),
        "n_seed": np.int64(len(seed.texts)),
        "seed_sha256": np.array(hashlib.sha256(path.read_bytes()).hexdigest()),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=Path, default=SEED_PATH)
    parser.add_argument("--out", type=Path, default=HEAD_PATH)
    args = parser.parse_args(argv)
    head = train(args.seed)
    np.savez(args.out, **head)
    print(
        f"{args.out}: {int(head['n_seed'])} seed lines, cross-validated macro-F1 "
        f"{float(head['cv_macro_f1']):.3f} on the seed's comments, negative below "
        f"{float(head['negative_below']):+.2f}, positive above {float(head['positive_above']):+.2f}"
    )


if __name__ == "__main__":
    main()
