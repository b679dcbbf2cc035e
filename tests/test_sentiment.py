"""Sentiment from text: clear cases, clause-level mixed feelings, shapes, and a trainer
that rebuilds the shipped head deterministically from the hand-written seed.

None of the example sentences below is in the seed corpus (a test checks that), so the
clear cases test generalisation, not memory.
"""

import hashlib
import json

import numpy as np
import pytest

from cxloop.text import sentiment, sentiment_train
from cxloop.text.clauses import clause_texts, split_clauses
from cxloop.text.encoder import load_encoder
from cxloop.text.sentiment import SentimentModel

CLEAR = {
    "the agent was rude and unhelpful": "negative",
    "absolutely brilliant service, thank you": "positive",
    "I called to update my address": "neutral",
}
MIXED = "friendly agent but I waited 40 minutes"
NEGATION = "not bad at all"


@pytest.fixture(scope="module")
def encoder():
    return load_encoder()


@pytest.fixture(scope="module")
def model():
    return SentimentModel.load()


def test_examples_are_not_in_the_seed():
    seen = {t.lower().strip(" .!") for t in sentiment_train.load_seed().texts}
    examples = [*CLEAR, MIXED, NEGATION, *clause_texts(MIXED)]
    assert not [e for e in examples if e.lower().strip(" .!") in seen]


def test_clear_cases(encoder, model):
    vectors = encoder.encode(list(CLEAR))
    assert model.label(vectors) == list(CLEAR.values())


def test_negation_is_not_negative(encoder, model):
    assert model.label(encoder.encode([NEGATION])) != ["negative"]
    assert model.score(encoder.encode([NEGATION]))[0] > model.negative_below


def test_mixed_comment_has_positive_then_negative_clause(encoder, model):
    clauses = clause_texts(MIXED)
    assert len(clauses) == 2
    assert model.label(encoder.encode(clauses)) == ["positive", "negative"]


def test_shapes_and_ranges(encoder, model):
    vectors = encoder.encode(["great service", "awful", "the bill arrived", "ok I guess"])
    p = model.probabilities(vectors)
    assert p.shape == (4, 3)
    assert np.allclose(p.sum(axis=1), 1.0) and (p >= 0).all()
    s = model.score(vectors)
    assert s.shape == (4,) and (s >= -1).all() and (s <= 1).all()
    assert np.allclose(s, p[:, 2] - p[:, 0])
    assert set(model.label(vectors)) <= {"negative", "neutral", "positive"}
    assert model.score(vectors[0])[0] > 0.5  # one vector on its own


def test_overall_of_one_clause_is_that_clause(encoder, model):
    vectors = encoder.encode(["the delivery was late and the box was crushed"])
    label, score = model.overall(vectors, np.array([44.0]))
    assert label == model.label(vectors)[0] == "negative"
    assert score == pytest.approx(model.score(vectors)[0], abs=1e-6)


def test_overall_many_matches_overall_and_handles_empty_comments(encoder, model):
    comments = [MIXED, "", "Lovely staff. The room was spotless and the bed so comfy."]
    spans = [split_clauses(c) for c in comments]
    flat = [c[a:b] for c, s in zip(comments, spans, strict=True) for a, b in s]
    owner = np.array([i for i, s in enumerate(spans) for _ in s])
    weights = np.array([len(t) for t in flat], dtype=float)
    vectors = encoder.encode(flat)
    labels, scores = model.overall_many(vectors, weights, owner, len(comments))
    assert labels[1] == "neutral" and scores[1] == 0.0
    assert labels[2] == "positive"
    for i in (0, 2):
        one = model.overall(vectors[owner == i], weights[owner == i])
        assert one == (labels[i], pytest.approx(scores[i], abs=1e-6))
    # the mixed comment lands between its clauses
    clause_scores = model.score(vectors[owner == 0])
    assert clause_scores.min() < scores[0] < clause_scores.max()
    # module-level helpers use the shipped head
    assert sentiment.overall(vectors[owner == 2], weights[owner == 2])[0] == "positive"


def test_thresholds_are_the_calibrated_ones():
    with np.load(sentiment.HEAD_PATH) as head:
        assert float(head["negative_below"]) == pytest.approx(sentiment.NEGATIVE_BELOW)
        assert float(head["positive_above"]) == pytest.approx(sentiment.POSITIVE_ABOVE)
        assert sentiment.NEGATIVE_BELOW < sentiment.POSITIVE_ABOVE
        assert (
            str(head["seed_sha256"])
            == hashlib.sha256(sentiment_train.SEED_PATH.read_bytes()).hexdigest()
        ), "sentiment_head.npz is stale: run python -m cxloop.text.sentiment_train"


def test_seed_is_well_formed_and_balanced():
    lines = sentiment_train.SEED_PATH.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert all({"text", "label"} <= set(r) <= {"text", "label", "factual", "clause"} for r in rows)
    assert all(r["text"].strip() and r["label"] in sentiment.CLASSES for r in rows)
    assert all(r["label"] == "neutral" for r in rows if r.get("factual"))
    assert len({r["text"].lower() for r in rows}) == len(rows)
    comments = [r for r in rows if not r.get("clause")]
    counts = {c: sum(r["label"] == c for r in comments) for c in sentiment.CLASSES}
    assert sum(counts.values()) >= 1500
    assert min(counts.values()) >= 0.25 * sum(counts.values())


def test_trainer_is_deterministic(tmp_path):
    lines = sentiment_train.SEED_PATH.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    pick = []
    for label, factual in (
        ("negative", None),
        ("neutral", None),
        ("positive", None),
        ("neutral", True),
    ):
        pick += [r for r in rows if r["label"] == label and r.get("factual") is factual][:6]
    seed = tmp_path / "seed.jsonl"
    seed.write_text("".join(json.dumps(r) + "\n" for r in pick))
    first = sentiment_train.train(seed)
    second = sentiment_train.train(seed)
    for key in ("weights", "bias", "negative_below", "positive_above"):
        assert np.allclose(first[key], second[key], atol=1e-6, rtol=0)
    assert first["weights"].shape == (384, 4)
    assert first["negative_below"] < first["positive_above"]


@pytest.mark.slow
def test_full_retrain_reproduces_the_shipped_head():
    rebuilt = sentiment_train.train()
    with np.load(sentiment.HEAD_PATH) as head:
        for key in ("weights", "bias", "negative_below", "positive_above"):
            assert np.allclose(rebuilt[key], head[key], atol=1e-6, rtol=0)
