"""Rebuild the sentiment head from the hand-written seed corpus (a developer tool).

    python -m cxloop.text.sentiment_train            # writes sentiment_head.npz

The seed (``sentiment_seed.jsonl``) holds short customer comments from many sectors,
each labelled negative, neutral or positive by hand; neutral covers lukewarm ("it was
ok"), mixed ("good X but bad Y") and factual comments. Each seed comment is embedded
whole with MiniLM; a multinomial logistic regression (L2-penalised, fitted by
accelerated gradient descent in numpy, so the result is deterministic and needs no
scikit-learn) maps a 384-d vector to P(negative), P(neutral), P(positive).

Thresholds are calibrated by 5-fold cross-validation on the seed: every seed comment
is cut into clauses as the tagger does, each clause is scored by the model of the fold
that did not see the comment, the clause scores are combined with
:func:`cxloop.text.sentiment.combine` and the pair of thresholds that maximises
macro-F1 of those out-of-fold overall labels is kept. The head (weights, bias,
thresholds, a hash of the seed) is written to ``sentiment_head.npz``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .clauses import split_clauses
from .sentiment import CLASSES, HEAD_PATH, combine, scores_from_probabilities

SEED_PATH = Path(__file__).with_name("sentiment_seed.jsonl")
L2 = 1e-4
FOLDS = 5
ITERATIONS = 600
FACTUAL = 3  # the head's fourth class: neutral without any opinion
N_CLASSES = 4
#: Class mixes (negative, neutral, positive) the thresholds must serve at once: real
#: feedback is rarely balanced (reviews lean positive, complaint surveys negative).
PRIORS = ((1 / 3, 1 / 3, 1 / 3), (0.7, 0.15, 0.15), (0.15, 0.7, 0.15), (0.15, 0.15, 0.7))
GRID = np.round(np.arange(-0.6, 0.61, 0.02), 2)


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


def load_seed(path: Path = SEED_PATH) -> tuple[list[str], np.ndarray]:
    """Seed texts and their classes: 0 negative, 1 neutral, 2 positive, 3 factual.

    A seed line is ``{"text": ..., "label": "negative" | "neutral" | "positive"}``;
    a neutral line without any opinion also carries ``"factual": true``.
    """
    texts, labels = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            texts.append(row["text"])
            labels.append(FACTUAL if row.get("factual") else CLASSES.index(row["label"]))
    return texts, np.array(labels, dtype=np.int64)


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
    """Weights (d, 3) and bias (3,) of an L2-penalised multinomial logistic regression.

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
    kappa = smooth / l2
    momentum = (np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)
    w = np.zeros((d, k))
    b = np.log(onehot.mean(axis=0) + 1e-3)
    vw, vb = w.copy(), b.copy()
    for _ in range(ITERATIONS):
        logits = xc @ vw + vb
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        err = (p - onehot) / n
        gw = xc.T @ err + l2 * vw
        gb = err.sum(axis=0)
        w_next, b_next = vw - step * gw, vb - step * gb
        vw = w_next + momentum * (w_next - w)
        vb = b_next + momentum * (b_next - b)
        w, b = w_next, b_next
    return w.astype(np.float32), (b - centre @ w).astype(np.float32)


def probabilities(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    logits = x.astype(np.float64) @ w + b
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


def folds(y: np.ndarray, k: int = FOLDS) -> np.ndarray:
    """A fold number for every example, stratified by class, from a fixed permutation."""
    rng = np.random.default_rng(20261122)
    fold = np.empty(len(y), dtype=np.int64)
    for c in range(N_CLASSES):
        idx = np.flatnonzero(y == c)
        idx = idx[rng.permutation(len(idx))]
        fold[idx] = np.arange(len(idx)) % k
    return fold


def out_of_fold(
    whole: np.ndarray,
    clauses: np.ndarray,
    owner: np.ndarray,
    y: np.ndarray,
    l2: float = L2,
    k: int = N_CLASSES,
    train_on: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold (n, 4) head outputs of every seed comment and of every clause.

    ``train_on`` (a mask over comments) limits which comments each fold's head learns
    from; every comment is still scored.
    """
    fold = folds(y)
    train_on = np.ones(len(y), dtype=bool) if train_on is None else train_on
    p_whole = np.zeros((len(y), k))
    p_clause = np.zeros((len(owner), k))
    for f in range(FOLDS):
        fit = (fold != f) & train_on
        w, b = fit_head(whole[fit], y[fit], l2, k)
        p_whole[fold == f] = probabilities(whole[fold == f], w, b)
        held = fold[owner] == f
        p_clause[held] = probabilities(clauses[held], w, b)
    return p_whole, p_clause


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
    """Whole-comment and clause embeddings of the seed."""
    from .encoder import load_encoder

    encoder = encoder or load_encoder()
    clauses, owner, weights = clause_layout(texts)
    return {
        "whole": encoder.encode(list(texts)),
        "clauses": encoder.encode(clauses),
        "owner": owner,
        "weights": weights,
    }


def train(
    seed: Path = SEED_PATH, emb: dict[str, np.ndarray] | None = None, l2: float = L2
) -> dict[str, np.ndarray]:
    """The head's arrays, ready for ``np.savez``; prints the cross-validated figures."""
    texts, y = load_seed(seed)
    emb = emb or embed_seed(texts)
    _, p_clause = out_of_fold(emb["whole"], emb["clauses"], emb["owner"], y, l2)
    overall = combine(p_clause, emb["weights"], emb["owner"], len(y))
    lo, hi, f1 = calibrate(scores_from_probabilities(overall), np.where(y == FACTUAL, 1, y))
    w, b = fit_head(emb["whole"], y, l2)
    return {
        "weights": w,
        "bias": b,
        "negative_below": np.float32(lo),
        "positive_above": np.float32(hi),
        "cv_macro_f1": np.float32(f1),
        "n_seed": np.int64(len(y)),
        "seed_sha256": np.array(hashlib.sha256(seed.read_bytes()).hexdigest()),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=Path, default=SEED_PATH)
    parser.add_argument("--out", type=Path, default=HEAD_PATH)
    args = parser.parse_args(argv)
    head = train(args.seed)
    np.savez(args.out, **head)
    print(
        f"{args.out}: {int(head['n_seed'])} seed comments, cross-validated macro-F1 "
        f"{float(head['cv_macro_f1']):.3f}, negative below {float(head['negative_below']):+.2f}, "
        f"positive above {float(head['positive_above']):+.2f}"
    )


if __name__ == "__main__":
    main()
