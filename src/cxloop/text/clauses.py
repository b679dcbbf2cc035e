"""Cut a comment into clauses: the unit a theme and its sentiment are found in.

"Friendly agent but I waited 40 minutes" is two clauses, so staff attitude can be
positive while the wait is negative. Cuts fall at sentence ends, semicolons, line
breaks and contrastive connectives (but, however, although, ...). Spans are
character offsets into the original text, so evidence can be quoted exactly.
"""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|[;\n\r]+|\s+-\s+|(?<=[.!?])(?=[A-Z])")
_CONTRAST = re.compile(
    r",?\s+\b(?:but|however|although|though|except that|except|yet|whereas|"
    r"on the other hand|on the plus side|on the downside|apart from that|other than that|"
    r"having said that|that said|saying that|mind you|credit where due|"
    r"(?:the )?only (?:downside|problem|issue|thing)|shame that|pity that|"
    r"unfortunately|sadly|luckily|thankfully|fortunately)\b",
    re.IGNORECASE,
)
#: "nothing but problems", "all but useless": "but" that does not turn the sentence.
_NOT_A_CONTRAST = re.compile(r"\b(?:nothing|anything|all|none|everything|everyone)\s*$",
                             re.IGNORECASE)  # fmt: skip
#: ", and I was...": a comma, "and" and a new subject start another clause.
_NEW_SUBJECT = re.compile(
    r",\s*(?:and|so|then)\s+(?=(?:i|we|they|he|she|you|it|nobody|no one|someone|"
    r"the \w+)\b)",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+")
MIN_WORDS = 2
#: Answers that say "no comment": treated as empty (no clause, no theme, neutral).
NO_COMMENT = frozenset({
    "n/a", "na", "n a", "none", "nil", "nothing", "no", "no comment", "no comments",
    "nothing to add", "nothing to say", "not applicable", "see above", "as above", "x",
})  # fmt: skip


def split_clauses(text: str) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of the clauses of ``text``, in order.

    A fragment of fewer than two words is joined to its neighbour rather than
    standing alone; whitespace and punctuation around a clause are trimmed.
    """
    if not text or not text.strip() or is_no_comment(text):
        return []
    cuts = {0, len(text)}
    for m in _SENTENCE_END.finditer(text):
        cuts.add(m.start())
        cuts.add(m.end())
    for m in _CONTRAST.finditer(text):
        if not _NOT_A_CONTRAST.search(text, 0, m.start() + 1):
            cuts.add(m.start())
    for m in _NEW_SUBJECT.finditer(text):
        cuts.add(m.start())
    bounds = sorted(cuts)
    spans: list[tuple[int, int]] = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        start, end = _trim(text, start, end)
        if end > start:
            spans.append((start, end))
    return _merge_short(text, spans)


def is_no_comment(text: str) -> bool:
    """True for answers such as "n/a", "None." or "-" that carry no comment at all."""
    folded = " ".join(re.sub(r"[^\w/ ]+", " ", text.casefold()).split())
    return not folded or (len(folded) <= 20 and folded in NO_COMMENT)


def clause_texts(text: str) -> list[str]:
    """The clauses of ``text`` as strings."""
    return [text[a:b] for a, b in split_clauses(text)]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not (text[end - 1].isalnum() or text[end - 1] in "!?.)%'\""):
        end -= 1
    return start, end


def _merge_short(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for span in spans:
        words = len(_WORD.findall(text[span[0] : span[1]]))
        if merged and (words < MIN_WORDS or _words(text, merged[-1]) < MIN_WORDS):
            merged[-1] = (merged[-1][0], span[1])
        else:
            merged.append(span)
    return merged


def _words(text: str, span: tuple[int, int]) -> int:
    return len(_WORD.findall(text[span[0] : span[1]]))
