"""What makes a comment worth reading aloud, from its words alone.

* **specific**: concrete details (amounts, durations, times, dates, ratings, numbers,
  quoted words, capitalised names), enough distinct content words, and a length in
  the sweet spot of 15-80 words. Generic praise or blame ("great service, thanks")
  with no detail is marked down, and so is text holding a redaction placeholder
  ("my card number is [CARD]" reads badly aloud).
* **vivid**: strength of feeling (|sentiment score|), first-person experience,
  emotion words ("furious", "relieved") and emphasis ("!", "really").

English word lists; a comment in another language still scores on numbers, length and
its sentiment score.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SWEET_SPOT = (15, 80)  # words

_NUM_WORD = (
    r"(?:an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|"
    r"twenty|thirty|forty|fifty|sixty|several|a few|a couple of)"
)
_UNIT = (
    r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|times|calls?|"
    r"letters?|emails?|visits?|attempts?)"
)
_DETAILS = (
    ("rating", re.compile(r"\b\d{1,2}\s?/\s?(?:10|5)\b|\b\d\s?stars?\b", re.I)),
    ("amount", re.compile(
        r"[£$€¥₹]\s?\d[\d,]*(?:\.\d+)?\s?(?:k|m|bn)?\b|"
        r"\b\d[\d,]*(?:\.\d+)?\s?(?:pounds|quid|dollars|euros|p|pence|gbp|usd|eur)\b", re.I)),
    ("duration", re.compile(
        rf"\b(?:\d+(?:\.\d+)?|{_NUM_WORD})\s?(?:-\s?)?{_UNIT}\b|\b(?:twice|three times)\b", re.I)),
    ("time", re.compile(r"\b\d{1,2}(?::\d{2})?\s?(?:am|pm)\b|\b\d{1,2}:\d{2}\b", re.I)),
    ("date", re.compile(
        r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|"
        r"january|february|march|april|june|july|august|september|october|november|"
        r"december|christmas|last (?:week|month|night)|this morning)\b", re.I)),
    ("number", re.compile(r"\b\d+(?:[.,]\d+)*(?:st|nd|rd|th|%)?\b")),
    ("quote", re.compile(r"[\"“]([^\"”]{3,60})[\"”]")),
)  # fmt: skip
_PLACEHOLDER = re.compile(r"\[(?:EMAIL|PHONE|CARD|ACCOUNT|NAME|ADDRESS|REDACTED)\]")
WORDS = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d+")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n)\W*$")
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'd|I'll|me|my|mine|myself|we|us|our)\b")
_FIRST_PERSON_CASELESS = re.compile(r"\b(?:i|i'm|i've|i'd|i'll|me|my|we|us|our)\b", re.I)
_EMOTION = frozenset(
    """
    angry furious livid fuming annoyed frustrated frustrating infuriating upset distressed
    stressed stressful anxious worried scared panic panicked panicking terrified afraid
    embarrassed humiliated ashamed disgusted disgusting appalled appalling shocking shocked
    outraged outrageous ridiculous unacceptable disgrace shambles nightmare horrendous
    awful horrible dreadful terrible devastated heartbroken cried crying tears despair
    desperate helpless insulted disappointed gutted betrayed exhausted fed-up
    relieved relief delighted thrilled grateful thankful overjoyed ecstatic amazed amazing
    astonished impressed wonderful fantastic brilliant incredible outstanding superb
    lifesaver life-saver saviour hero star angel lovely reassured reassuring calm
    comforted comforting happy happier love loved """.split()
)
_INTENSIFIERS = frozenset(
    "so really absolutely completely totally utterly extremely incredibly truly very".split()
)
_STOP = frozenset(
    """
    the a an and or but so to of in on at for with from by is was were are be been being
    it its this that these those i me my we our you your he she they them their his her
    have has had do did does not no yes just very really also too as if then than there
    here what when who which how all any some more most much many can could would should
    will get got one about again still even only after before over into out up down off
    """.split()
)
_GENERIC = frozenset(
    """
    great good excellent fantastic brilliant amazing lovely nice perfect fine ok okay
    service staff team helpful friendly polite quick fast easy efficient professional
    thanks thank thankyou cheers well done job happy satisfied pleased keep work experience
    bad poor terrible awful rubbish useless slow rude unhelpful disappointing disappointed
    always never everything nothing overall customer best worst recommend would highly
    """.split()
)


_COMMON = _STOP | _GENERIC | _EMOTION | _INTENSIFIERS


@dataclass(frozen=True)
class TextFeatures:
    specific: float
    vivid: float
    details: tuple[str, ...]
    names: frozenset[str]  # the details that are capitalised names
    emotion: str | None
    first_person: bool
    words: int


def text_features(text: str, sentiment_score: float = 0.0) -> TextFeatures:
    """Specificity and vividness of one comment, with the details that earned them."""
    words = WORDS.findall(text)
    n_words = len(words)
    details, names = _details(text)
    content = {w.lower() for w in words if len(w) > 2 and w.lower() not in _STOP}
    generic_share = sum(1 for w in content if w in _GENERIC) / len(content) if content else 1.0
    generic = not details and generic_share >= 0.6
    weight = len(details) - 0.5 * len(names)  # a capitalised word is weaker evidence
    specific = _length_fit(n_words) * (
        0.25 + 0.45 * min(1.0, weight / 2) + 0.30 * min(1.0, len(content) / 10)
    )
    if generic:
        specific *= 0.4
    if _PLACEHOLDER.search(text):
        specific -= 0.15  # reads badly aloud: "my card number is [CARD]"
    caseless = text == text.lower() or text == text.upper()
    person = (_FIRST_PERSON_CASELESS if caseless else _FIRST_PERSON).findall(text)
    lowered = [w.lower() for w in words]
    emotions = [w for w in lowered if w in _EMOTION]
    emphasis = text.count("!") + sum(1 for w in lowered if w in _INTENSIFIERS)
    vivid = (
        0.45 * min(1.0, abs(float(sentiment_score)))
        + 0.25 * min(1.0, len(person) / 2)
        + 0.20 * min(1.0, len(emotions) / 2)
        + 0.10 * min(1.0, emphasis / 2)
    )
    return TextFeatures(
        specific=float(min(1.0, max(0.0, specific))),
        vivid=float(min(1.0, vivid)),
        details=tuple(details),
        names=frozenset(names),
        emotion=emotions[0] if emotions else None,
        first_person=bool(person),
        words=n_words,
    )


def _length_fit(n_words: int) -> float:
    lo, hi = SWEET_SPOT
    if n_words < 4:
        return 0.05
    if n_words < lo:
        return 0.15 + 0.85 * (n_words - 4) / (lo - 4)
    if n_words <= hi:
        return 1.0
    return max(0.3, 1.0 - (n_words - hi) / 120)


def _details(text: str) -> tuple[list[str], list[str]]:
    """Concrete details as written (amounts, durations, times, dates, numbers, names),
    and which of them are capitalised names."""
    found: list[str] = []
    names: list[str] = []
    taken: list[tuple[int, int]] = []
    for _kind, pattern in _DETAILS:
        for m in pattern.finditer(text):
            a, b = m.span()
            if any(a < y and x < b for x, y in taken):
                continue
            taken.append((a, b))
            found.append(m.group(1) if m.lastindex else m.group(0))
    for m in re.finditer(r"\b[A-Z][a-z]+(?:\s[A-Z][a-z]+)*\b", text):
        a, b = m.span()
        if m.group(0) in ("I", "I'm") or any(a < y and x < b for x, y in taken):
            continue
        if _SENTENCE_START.search(text[max(0, a - 3) : a]) or a == 0:
            continue  # a capital at the start of a sentence says nothing
        if text[max(0, a - 1) : a] == "[" or m.group(0).lower() in _COMMON:
            continue
        taken.append((a, b))
        names.append(" ".join(m.group(0).split()))
    found = [" ".join(d.split()) for d in found]
    return list(dict.fromkeys(found + names)), list(dict.fromkeys(names))
