"""Name a group of comments by the phrases that set it apart from the other groups.

Class-based TF-IDF (as in BERTopic's c-TF-IDF) over word 1-3-grams: a phrase scores
high for a group when many of the group's texts use it and few texts elsewhere do.
Phrases may not start or end with a stop word ("of the card" is not a phrase), but
negations stay inside ("card not arrived"). The label joins the top two or three
phrases that do not repeat each other: "card not arrived / new card / still waiting".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

NEGATIONS = frozenset({"not", "no", "never", "nor", "cannot", "nothing", "none"})
#: Function words, which carry no topic of their own (negations are kept: they do carry
#: meaning). Not sklearn's list: it drops "call", "bill", "top", "system", "amount".
STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because
    been before being below between both but by can could couldn't did didn't do does
    doesn't doing don't down during each even ever few for from further get gets getting
    had hadn't has hasn't have haven't having he her here hers herself him himself his how
    i i'd i'll i'm i've if in into is isn't it it's its itself just let me more most my
    myself of off ok okay on once only or other our ours ourselves out over own please
    really same she should shouldn't so some such than that that's the their theirs them
    themselves then there there's these they this those through to too under until up upon
    us very was wasn't we were weren't what when where which while who whom why will with
    won't would wouldn't yet you your yours yourself yourselves hi hello hey thanks thank
    able want need know tell im s t""".split()
)
#: Stop words that may sit inside a phrase: "delete my account", "top up to the card".
CONNECTORS = (
    frozenset("my the a an to of for on in with your our and at from by it".split()) | NEGATIONS
)
#: Particles that end phrasal verbs: "top up", "cut off", "go through" (not "in", "on":
#: they end far more phrases as prepositions, "rate on").
PARTICLES = frozenset("up out off down through away".split())
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
MAX_N = 3
LABEL_PHRASES = 3


def phrases_of(text: str) -> list[str]:
    """The candidate phrases (word 1-3-grams) of one text."""
    words = _TOKEN.findall(text.lower())
    out = []
    for n in range(1, MAX_N + 1):
        for i in range(len(words) - n + 1):
            first, last = words[i], words[i + n - 1]
            if (first in STOP_WORDS and not _negation(first)) or _negation(last):
                continue
            if last in STOP_WORDS and not (
                n > 1 and last in PARTICLES and words[i + n - 2] not in STOP_WORDS
            ):
                continue
            if n == 1 and (_negation(first) or first.isdigit()):
                continue
            if n == 3 and not _inner(words[i + 1]):
                continue
            out.append(" ".join(words[i : i + n]))
    return out


def _inner(word: str) -> bool:
    """May ``word`` stand inside a phrase?"""
    return word not in STOP_WORDS or word in CONNECTORS or _negation(word)


def _negation(word: str) -> bool:
    return word in NEGATIONS or word.endswith("n't")


def distinctive_phrases(
    texts: Sequence[str], labels: np.ndarray, n_groups: int, top: int = 6
) -> list[list[str]]:
    """For each group ``0..n_groups-1``, its most distinctive phrases, best first.

    ``labels[i]`` is text i's group; -1 ("other") counts as one more group in the
    comparison but gets no phrases. Phrases in at least 10% of the group's texts come
    first; phrases in fewer (but at least two) only fill up the list.
    """
    labels = np.asarray(labels)
    result: list[list[str]] = [[] for _ in range(n_groups)]
    if n_groups == 0 or len(texts) == 0:
        return result
    vectorizer = CountVectorizer(analyzer=phrases_of, binary=True, min_df=2, dtype=np.float64)
    try:
        docs = vectorizer.fit_transform(texts)
    except ValueError:  # no phrase occurs twice in the whole corpus
        return result
    vocab = vectorizer.get_feature_names_out()
    group_of = np.where(labels < 0, n_groups, labels)
    member = sparse.csr_matrix(
        (np.ones(len(texts)), (group_of, np.arange(len(texts)))), shape=(n_groups + 1, len(texts))
    )
    counts = (member @ docs).toarray()  # texts of each group that use each phrase
    sizes = np.bincount(group_of, minlength=n_groups + 1).astype(np.float64)
    totals = counts.sum(axis=0)
    average = counts.sum() / max(1, (sizes > 0).sum())
    idf = np.log1p(average / np.maximum(totals, 1))
    tf = counts / np.maximum(sizes, 1)[:, None]
    # longer phrases read better as labels: a small bonus breaks near-ties their way
    length_bonus = 1 + 0.15 * (np.char.count(vocab.astype(str), " "))
    scores = tf * idf[None, :] * length_bonus[None, :]
    for g in range(n_groups):
        common = counts[g] >= max(2.0, 0.1 * sizes[g])
        rare = (counts[g] >= 2) & ~common
        order = np.concatenate([_by_score(np.flatnonzero(m), scores[g]) for m in (common, rare)])
        result[g] = _non_redundant((str(vocab[i]) for i in order), top)
    return result


def _by_score(index: np.ndarray, scores: np.ndarray) -> np.ndarray:
    return index[np.argsort(-scores[index], kind="stable")]


def _non_redundant(phrases: Iterable[str], top: int) -> list[str]:
    """The first ``top`` phrases, skipping any that repeat the words of one already taken."""
    chosen: list[str] = []
    chosen_words: list[set[str]] = []
    for p in phrases:
        words = {_stem(w) for w in p.split() if w not in STOP_WORDS}
        if any(words <= c or c <= words for c in chosen_words):
            continue
        chosen.append(p)
        chosen_words.append(words)
        if len(chosen) == top:
            break
    return chosen


def _stem(word: str) -> str:
    """Plural and singular count as one word when checking for repeats."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def label_from(phrases: Sequence[str]) -> str:
    """A readable label from a group's phrases: "card not arrived / new card / still waiting"."""
    return " / ".join(phrases[:LABEL_PHRASES])
