"""Exact phrase matching of theme keywords: one Aho-Corasick automaton for all themes.

Matching is case-insensitive and on word boundaries ("fee" does not match "feel").
One pass over a comment finds every keyword of every theme, so the cost does not
grow with the number of themes (../shared/PERF-ANCHORS.md: 35x faster than one
regular expression per theme).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import ahocorasick

#: Typographic quotes typed by phones, folded to plain ones (same length, so spans hold).
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


class PhraseMatcher:
    """Finds theme keywords in text; themes are given as indices into ``keywords``."""

    def __init__(self, keywords: Sequence[Iterable[str]]) -> None:
        self._automaton = ahocorasick.Automaton()
        for theme, phrases in enumerate(keywords):
            for phrase in phrases:
                key = " ".join(phrase.casefold().translate(_QUOTES).split())
                if key and not self._automaton.exists(key):
                    self._automaton.add_word(key, (theme, len(key)))
        self.empty = len(self._automaton) == 0
        if not self.empty:
            self._automaton.make_automaton()

    def find(self, text: str) -> list[tuple[int, int, int]]:
        """``(theme, start, end)`` for each whole-word keyword found in ``text``."""
        if self.empty or not text:
            return []
        lowered = text.casefold()
        if len(lowered) != len(text):  # a few characters change length when folded
            lowered = text.lower()
            if len(lowered) != len(text):
                return []
        if "\u2019" in lowered or "\u2018" in lowered or "\u201c" in lowered:
            lowered = lowered.translate(_QUOTES)
        hits = []
        n = len(lowered)
        for end, (theme, length) in self._automaton.iter(lowered):
            start = end - length + 1
            if (start == 0 or not lowered[start - 1].isalnum()) and (
                end + 1 == n or not lowered[end + 1].isalnum()
            ):
                hits.append((theme, start, end + 1))
        return hits

    def find_many(self, texts: Sequence[str]) -> list[list[tuple[int, int, int]]]:
        """:meth:`find` for each text."""
        find = self.find
        return [find(t) for t in texts]
