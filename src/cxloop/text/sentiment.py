"""How a customer feels, from the text: negative, neutral or positive, with a score.

A small head on MiniLM sentence embeddings (``sentiment_head.npz``: a 384 x 4
multinomial logistic regression, trained by ``python -m cxloop.text.sentiment_train``
on the hand-written, multi-sector seed ``sentiment_seed.jsonl``) gives, for a clause,
P(negative), P(neutral), P(positive) and P(factual): neutral is a lukewarm or mixed
opinion ("it was ok", "good X but bad Y"), factual is no opinion at all ("I called
to update my address"). Outside this module factual counts as neutral. The score is
P(positive) - P(negative), in [-1, 1]. Run time is numpy only: one small matrix
product next to the embedding.

A comment's overall sentiment comes from its clauses (the tagger embeds clauses, not
whole comments): :func:`combine` treats each opinionated clause as a piece of
evidence and multiplies their probabilities (sums their logs, weighted by clause
length), while factual clauses carry no weight. So three glowing sentences around
"I'm 5'5 and got the small" make a clearly positive review, and "friendly agent but I
waited 40 minutes" cancels out towards neutral. On the seed (cross-validated) this
beat averaging the clause probabilities, most of all on comments of three or more
clauses.

Labels come from the score with two thresholds: negative below
:data:`NEGATIVE_BELOW`, positive above :data:`POSITIVE_ABOVE`, neutral between
(settings ``text.sentiment_negative_below`` / ``text.sentiment_positive_above``).
They are calibrated, not guessed: the trainer scores every seed comment's clauses
with 5-fold cross-validation (each comment by a model that never saw it, on both the
fp32 and the int8 embedding runtime), combines them as above and keeps the
threshold pair with the best macro-F1 over the three classes, averaged over a
balanced mix and mixes where each class makes up 70% (details in
:func:`cxloop.text.sentiment_train.calibrate`). The calibrated pair is also stored in
the npz; a test checks these constants match it. The same thresholds label single
clauses (a theme's sentiment).

Measured against VADER on real reviews and NPS comments in ``bench/sentiment.py``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

CLASSES = ("negative", "neutral", "positive")
HEAD_PATH = Path(__file__).with_name("sentiment_head.npz")
NEGATIVE_BELOW = -0.32
POSITIVE_ABOVE = 0.32


def scores_from_probabilities(p: np.ndarray) -> np.ndarray:
    """P(positive) - P(negative) for each row of an (n, 3) probability matrix."""
    return (p[:, 2] - p[:, 0]).astype(np.float64)


def labels_from_scores(
    scores: np.ndarray,
    negative_below: float = NEGATIVE_BELOW,
    positive_above: float = POSITIVE_ABOVE,
) -> list[str]:
    """negative / neutral / positive for each score."""
    idx = np.where(scores < negative_below, 0, np.where(scores > positive_above, 2, 1))
    return [CLASSES[i] for i in idx]


def combine(
    clause_q: np.ndarray, clause_weights: np.ndarray, owner: np.ndarray, n_comments: int
) -> np.ndarray:
    """Comment probabilities (n_comments, 3) from clause evidence.

    ``clause_q`` is (clauses, 4): P(negative), P(neutral), P(positive), P(factual), or
    (clauses, 3) without the factual column. ``owner[i]`` is the comment of clause
    ``i``; ``clause_weights`` are clause lengths.

    Each opinionated clause is one piece of evidence: the comment's opinion is the
    product of its clauses' opinion probabilities (a sum of logs), each weighted by its
    share of the comment's length times the number of clauses, and by how opinionated
    it is relative to the comment's most opinionated clause. So factual clauses ("I'm
    5'5 and got the small") carry no weight, and a comment is factual only when all its
    clauses are (the product of their P(factual)); factual counts as neutral. A
    one-clause comment keeps its clause's probabilities exactly; a comment without
    clauses gets (0, 1, 0).
    """
    q = np.asarray(clause_q, dtype=np.float64)
    owner = np.asarray(owner, dtype=np.int64)
    length = np.asarray(clause_weights, dtype=np.float64)
    factual = q[:, 3] if q.shape[1] > 3 else np.zeros(len(q))
    opinion = np.clip(1.0 - factual, 1e-6, 1.0)
    r = np.clip(q[:, :3] / opinion[:, None], 1e-6, 1.0)
    k = np.bincount(owner, minlength=n_comments).astype(np.float64)
    total = np.bincount(owner, weights=length, minlength=n_comments)
    share = np.divide(length, total[owner], out=np.ones_like(length), where=total[owner] > 0)
    most = np.zeros(n_comments)
    np.maximum.at(most, owner, opinion)
    v = k[owner] * share * opinion / most[owner]
    logr = np.log(r) * v[:, None]
    acc = np.stack(
        [np.bincount(owner, weights=logr[:, c], minlength=n_comments) for c in range(3)], 1
    )
    acc -= acc.max(axis=1, keepdims=True)
    out = np.exp(acc)
    out /= out.sum(axis=1, keepdims=True)
    all_factual = np.exp(
        np.bincount(owner, weights=np.log(np.clip(factual, 1e-12, 1.0)), minlength=n_comments)
    )
    all_factual[k == 0] = 1.0
    out *= (1.0 - all_factual)[:, None]
    out[:, 1] += all_factual
    return out


class SentimentModel:
    """The sentiment head: probabilities, scores and labels from sentence vectors.

    ``SentimentModel(negative_below, positive_above)`` uses the shipped head with those
    thresholds (settings ``text.sentiment_negative_below`` / ``_positive_above``).
    """

    def __init__(
        self,
        negative_below: float = NEGATIVE_BELOW,
        positive_above: float = POSITIVE_ABOVE,
        head: Path = HEAD_PATH,
    ) -> None:
        self.weights, self.bias = _load_head(Path(head))
        self.negative_below = float(negative_below)
        self.positive_above = float(positive_above)

    @classmethod
    def load(cls, head: Path = HEAD_PATH) -> SentimentModel:
        """The head in ``head`` with the thresholds calibrated when it was trained."""
        with np.load(head) as arrays:
            lo, hi = float(arrays["negative_below"]), float(arrays["positive_above"])
        return cls(lo, hi, head)

    def evidence(self, vectors: np.ndarray) -> np.ndarray:
        """(n, 4) P(negative), P(neutral), P(positive), P(factual): the head's raw output.

        "Neutral" here is a lukewarm or mixed opinion; "factual" is no opinion at all.
        """
        logits = np.atleast_2d(vectors).astype(np.float32) @ self.weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """(n, 3) P(negative), P(neutral), P(positive); factual counts as neutral."""
        q = self.evidence(vectors)
        p = q[:, :3].copy()
        p[:, 1] += q[:, 3:].sum(axis=1)
        return p

    def score(self, vectors: np.ndarray) -> np.ndarray:
        """Scores in [-1, 1]: P(positive) - P(negative)."""
        return scores_from_probabilities(self.probabilities(vectors))

    def label(self, vectors: np.ndarray) -> list[str]:
        """negative / neutral / positive for each vector."""
        return labels_from_scores(self.score(vectors), self.negative_below, self.positive_above)

    def label_of(self, score: float) -> str:
        """negative / neutral / positive for one score."""
        if score < self.negative_below:
            return "negative"
        return "positive" if score > self.positive_above else "neutral"

    def overall(self, clause_vectors: np.ndarray, clause_weights: np.ndarray) -> tuple[str, float]:
        """(label, score) of one comment from the vectors and lengths of its clauses."""
        n = len(clause_weights)
        labels, scores = self.overall_many(
            clause_vectors, clause_weights, np.zeros(n, dtype=np.int64), 1
        )
        return labels[0], float(scores[0])

    def overall_many(
        self,
        clause_vectors: np.ndarray,
        clause_weights: np.ndarray,
        owner: np.ndarray,
        n_comments: int,
    ) -> tuple[list[str], np.ndarray]:
        """Labels and scores of ``n_comments`` comments from a flat clause matrix.

        ``owner[i]`` is the index (0 .. n_comments-1) of the comment clause ``i`` belongs
        to; ``clause_weights`` are clause lengths in characters.
        """
        owner = np.asarray(owner, dtype=np.int64)
        if len(owner) == 0:
            scores = np.zeros(n_comments)
        else:
            p = combine(self.evidence(clause_vectors), clause_weights, owner, n_comments)
            scores = scores_from_probabilities(p)
        return labels_from_scores(scores, self.negative_below, self.positive_above), scores


@lru_cache(maxsize=4)
def _load_head(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(weights, bias) of a head file, read once per process."""
    with np.load(path) as head:
        return head["weights"].astype(np.float32), head["bias"].astype(np.float32)


@lru_cache(maxsize=1)
def default_model() -> SentimentModel:
    """The shipped head with the default thresholds, loaded once per process."""
    return SentimentModel()


def overall(clause_vectors: np.ndarray, clause_weights: np.ndarray) -> tuple[str, float]:
    """(label, score) of one comment with the shipped model; see SentimentModel.overall."""
    return default_model().overall(clause_vectors, clause_weights)


def overall_many(
    clause_vectors: np.ndarray, clause_weights: np.ndarray, owner: np.ndarray, n_comments: int
) -> tuple[list[str], np.ndarray]:
    """Labels and scores of many comments with the shipped model; see SentimentModel."""
    return default_model().overall_many(clause_vectors, clause_weights, owner, n_comments)
