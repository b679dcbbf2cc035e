"""Stories worth reading aloud in a team huddle: scoring and choosing real comments.

Each candidate comment gets three scores in [0, 1]:

* **specific** and **vivid**, from its words (:mod:`cxloop.text.story_text`): "Great
  service" scores low; "waited 40 minutes, then Sam fixed the £25 fee" scores high;
* **recent**: halves every ``half_life_days`` of age before the reference date
  (the end of the period looked at).

Quality = 0.40 specific + 0.35 vivid + 0.25 recent. The best candidates of each
sentiment are embedded, then chosen by maximal marginal relevance: each next story
maximises ``0.6 quality - 0.4 redundancy``, where redundancy is the highest
similarity (cosine of sentence vectors, blended with theme overlap) to a story
already chosen; a near-duplicate (cosine >= 0.85 or the same words) is never chosen.
Unless one sentiment is asked for, at least 40% of the stories are praise and 40%
pain whenever there are enough of each.

Pure: numpy and the standard library only; embedding is passed in as a function.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .story_text import WORDS, TextFeatures, text_features

W_SPECIFIC, W_VIVID, W_RECENT = 0.40, 0.35, 0.25
MMR_LAMBDA = 0.6
NEAR_DUPLICATE = 0.85
SHARE_EACH = 0.40  # minimum share of praise and of pain when both exist
SENTIMENTS = ("positive", "negative", "neutral")
_LABEL = {"positive": "praise", "negative": "pain", "neutral": "neutral"}

Embed = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Candidate:
    """A tagged comment that could become a story."""

    response_id: str
    text: str
    date: dt.date
    sentiment: str  # negative | neutral | positive
    sentiment_score: float  # in [-1, 1]
    themes: tuple[str, ...] = ()
    team: str | None = None
    channel: str | None = None
    nps: int | None = None
    agent_id: str | None = None


@dataclass(frozen=True)
class PraisedEmployee:
    """The employee a praise story names (for recognition)."""

    employee_id: str
    name: str
    mention: str  # the words as the customer wrote them


@dataclass(frozen=True)
class Story:
    """A comment chosen to be read aloud, with why it was chosen."""

    response_id: str
    text: str
    date: dt.date
    team: str | None
    channel: str | None
    nps: int | None
    sentiment: str
    sentiment_score: float
    themes: tuple[str, ...]
    why: str
    score: float
    specific: float
    vivid: float
    recent: float
    details: tuple[str, ...] = ()
    praised_employee: PraisedEmployee | None = None
    employee_note: str | None = None
    agent_id: str | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON: dates as ISO strings, the employee as a dict."""
        out = asdict(self)
        out["date"] = self.date.isoformat()
        out["themes"] = list(self.themes)
        out["details"] = list(self.details)
        out.pop("agent_id")
        return out


# -- scoring and choosing -------------------------------------------------------------
@dataclass(frozen=True)
class Scored:
    """A candidate with its scores."""

    candidate: Candidate
    specific: float
    vivid: float
    recent: float
    score: float
    features: TextFeatures
    age_days: int


def score_candidates(
    candidates: Sequence[Candidate],
    reference: dt.date | None = None,
    half_life_days: float = 30.0,
) -> list[Scored]:
    """Every candidate scored; ``reference`` defaults to the newest candidate's date."""
    if not candidates:
        return []
    ref = reference or max(c.date for c in candidates)
    out = []
    for c in candidates:
        f = text_features(c.text, c.sentiment_score)
        age = max(0, (ref - c.date).days)
        recent = 0.5 ** (age / max(half_life_days, 0.5))
        score = W_SPECIFIC * f.specific + W_VIVID * f.vivid + W_RECENT * recent
        out.append(Scored(c, f.specific, f.vivid, recent, score, f, age))
    return out


def pick_stories(
    candidates: Sequence[Candidate],
    embed: Embed,
    n: int = 5,
    *,
    sentiment: str | None = None,
    reference: dt.date | None = None,
    half_life_days: float = 30.0,
    shortlist: int | None = None,
) -> list[Story]:
    """The ``n`` best, mutually different stories among ``candidates``.

    ``embed(texts)`` returns L2-normalised vectors (one row per text); it is called
    once, on a shortlist of the best candidates of each sentiment (``shortlist`` each,
    by default ``max(30, 8 n)``). ``sentiment`` keeps only that sentiment (and turns
    the praise/pain balance off).
    """
    if n <= 0:
        return []
    pool = [c for c in candidates if sentiment is None or c.sentiment == sentiment]
    scored = _dedupe(score_candidates(pool, reference, half_life_days))
    k = shortlist or max(30, 8 * n)
    short: list[Scored] = []
    for s in SENTIMENTS:
        same = sorted((x for x in scored if x.candidate.sentiment == s), key=lambda x: -x.score)
        short.extend(same[:k])
    short.extend(x for x in scored if x.candidate.sentiment not in SENTIMENTS)
    if not short:
        return []
    vectors = np.asarray(embed([x.candidate.text for x in short]), dtype=np.float32)
    if vectors.shape[0] != len(short):
        raise ValueError("embed returned a different number of vectors than texts")
    balance = sentiment is None
    chosen = select(short, vectors, n, balance=balance)
    return [_story(short[i]) for i in chosen]


def select(scored: Sequence[Scored], vectors: np.ndarray, n: int, *, balance: bool = True):
    """Indices of up to ``n`` stories by maximal marginal relevance, praise/pain balanced."""
    m = len(scored)
    if m == 0:
        return []
    quality = np.array([s.score for s in scored])
    sims = vectors @ vectors.T
    themes = [set(s.candidate.themes) for s in scored]
    sent = [s.candidate.sentiment for s in scored]
    want = int(SHARE_EACH * n + 0.5) if balance else 0
    available = {s: sent.count(s) for s in ("positive", "negative")}
    need = {s: min(want, available[s]) for s in ("positive", "negative")}
    blocked = np.zeros(m, dtype=bool)
    redundancy = np.zeros(m)
    chosen: list[int] = []
    while len(chosen) < n:
        open_ = ~blocked
        if chosen:
            open_[chosen] = False
        left = n - len(chosen)
        forced = [s for s in need if need[s] > 0]
        if forced and sum(need[s] for s in forced) >= left:
            mask = np.array([x in forced for x in sent])
            if (open_ & mask).any():
                open_ &= mask
        if not open_.any():
            break
        value = MMR_LAMBDA * quality - (1 - MMR_LAMBDA) * redundancy
        value[~open_] = -np.inf
        i = int(np.argmax(value))
        chosen.append(i)
        if sent[i] in need:
            need[sent[i]] = max(0, need[sent[i]] - 1)
        blocked |= sims[i] >= NEAR_DUPLICATE
        overlap = np.array([_jaccard(themes[i], t) for t in themes])
        redundancy = np.maximum(redundancy, 0.8 * np.clip(sims[i], 0, 1) + 0.2 * overlap)
    return chosen


def _jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _dedupe(scored: list[Scored]) -> list[Scored]:
    """One candidate per distinct wording (the best scored)."""
    best: dict[str, Scored] = {}
    for s in scored:
        key = " ".join(w.lower() for w in WORDS.findall(s.candidate.text))
        if key and (key not in best or s.score > best[key].score):
            best[key] = s
    return list(best.values())


def _story(s: Scored) -> Story:
    c, f = s.candidate, s.features
    return Story(
        response_id=c.response_id,
        text=c.text,
        date=c.date,
        team=c.team,
        channel=c.channel,
        nps=c.nps,
        sentiment=c.sentiment,
        sentiment_score=float(c.sentiment_score),
        themes=tuple(c.themes),
        why=why(s),
        score=round(s.score, 3),
        specific=round(s.specific, 3),
        vivid=round(s.vivid, 3),
        recent=round(s.recent, 3),
        details=f.details,
        agent_id=c.agent_id,
    )


def why(s: Scored) -> str:
    """A short plain reason: "specific: mentions 40 minutes, £25; vivid: 'furious'; praise"."""
    f = s.features
    parts = []
    shown = [d for d in f.details if d not in f.names] or list(f.details)
    if shown:
        parts.append("specific: mentions " + ", ".join(shown[:2]))
    elif s.specific >= 0.5:
        parts.append(f"specific: a full account in {f.words} words")
    if s.vivid >= 0.45:
        bits = [f"'{f.emotion}'" if f.emotion else "strong feeling"]
        if f.first_person:
            bits.append("first-hand")
        parts.append("vivid: " + ", ".join(bits))
    if s.recent >= 0.5:
        parts.append("recent" if s.age_days <= 1 else f"recent: {s.age_days} days old")
    parts.append(_LABEL.get(s.candidate.sentiment, s.candidate.sentiment))
    return "; ".join(parts)
