"""Redact personal data from free text on the way in, a whole column at a time.

Emails become ``[EMAIL]``, account numbers (the regular expressions in
``privacy.account_patterns``; IBAN by default) ``[ACCOUNT]``, card numbers
(13-19 digits, optionally grouped by spaces or dashes, that pass the Luhn check)
``[CARD]`` and phone numbers (UK and international formats) ``[PHONE]``.

Speed: one pass of Arrow's RE2 engine over the column (in parallel slices) finds
the few values that could hold personal data; those are rewritten with vectorised
RE2 replacements, and only values with a card-like number go through Python, where
the Luhn check runs on each match. A million comments cost one vectorised scan,
not a million Python calls.

HTML, scripts and spreadsheet formulas are not personal data: they are kept as
text here and escaped on output.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ARROW_CAST_ERRORS, SettingsError

EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
CARD = r"\b(?:\d[ -]?){12,18}\d\b"
PHONE = "|".join(
    (
        # international: +44 7700 900123, +1 (555) 123-4567, +442079460958
        r"\+\d{1,3}[ .-]?(?:\(0?\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){2,4}\b",
        # UK national: 07700 900123, 020 7946 0958, (020) 7946 0958, 0800 123 4567
        r"(?:\(0\d{1,4}\)|\b0\d{2,4})[ .-]?\d{3,4}[ .-]?\d{3,4}\b",
        # North American: 555-123-4567, (555) 123 4567
        r"(?:\(\d{3}\) ?|\b\d{3}[ .-])\d{3}[ .-]\d{4}\b",
    )
)


def luhn_ok(digits: str) -> bool:
    """True if a string of digits passes the Luhn checksum (as every card number does)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _redact_card(match: re.Match[str]) -> str:
    """[CARD] for a Luhn-valid number; a Luhn-valid run of whole groups inside it otherwise."""
    text = match.group(0)
    digits = re.sub(r"\D", "", text)
    if luhn_ok(digits):
        return "[CARD]"
    groups = re.split(r"([ -])", text)  # digit groups with their separators between
    parts = groups[0::2]
    for start in range(len(parts)):
        for stop in range(len(parts), start, -1):
            run = "".join(parts[start:stop])
            if 13 <= len(run) <= 19 and luhn_ok(run):
                before = "".join(groups[: 2 * start])
                after = "".join(groups[2 * stop - 1 :]) if stop < len(parts) else ""
                return before + "[CARD]" + after
    return text


class Redactor:
    """Redacts one column of text; built once per ingest from the workspace's account patterns."""

    def __init__(self, account_patterns: Sequence[str] = ()) -> None:
        self.account_patterns = tuple(account_patterns)
        for i, pattern in enumerate(self.account_patterns):
            _check_pattern(i, pattern)
        pieces = [EMAIL, CARD, PHONE, *self.account_patterns]
        self.candidate = "|".join(f"(?:{p})" for p in pieces)
        self._card = re.compile(CARD, re.ASCII)

    def text(self, value: str) -> str:
        """One value redacted."""
        return self.column(pa.array([value], pa.string()))[0].as_py()

    def column(self, values: pa.Array | pa.ChunkedArray) -> pa.Array:
        """A string column with personal data replaced by typed placeholders."""
        values = _as_array(values)
        if len(values) == 0 or values.null_count == len(values):
            return values
        flagged = self.flags(values)
        if not pc.any(flagged).as_py():
            return values
        return pc.replace_with_mask(values, flagged, self._clean(values.filter(flagged)))

    def _clean(self, suspects: pa.Array) -> pa.Array:
        """Redact the few flagged values: RE2 for most patterns, Python only for card checks."""
        out = pc.replace_substring_regex(suspects, EMAIL, "[EMAIL]")
        for pattern in self.account_patterns:
            out = pc.replace_substring_regex(out, pattern, "[ACCOUNT]")
        cards = pc.fill_null(pc.match_substring_regex(out, CARD), False)
        if pc.any(cards).as_py():
            checked = [self._card.sub(_redact_card, v) for v in out.filter(cards).to_pylist()]
            out = pc.replace_with_mask(out, cards, pa.array(checked, pa.string()))
        return pc.replace_substring_regex(out, PHONE, "[PHONE]")

    def flags(self, values: pa.Array) -> pa.Array:
        """Boolean mask of values that may hold personal data (RE2, in parallel slices)."""
        n = len(values)
        step = max(65_536, -(-n // 8))
        slices = [values.slice(i, step) for i in range(0, n, step)]
        if len(slices) == 1:
            parts = [self._flag(slices[0])]
        else:
            with ThreadPoolExecutor(max_workers=min(4, len(slices))) as pool:
                parts = list(pool.map(self._flag, slices))
        return pa.concat_arrays(parts)

    def _flag(self, values: pa.Array) -> pa.Array:
        return pc.fill_null(pc.match_substring_regex(values, self.candidate), False)


def _as_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], values.type)
    return values.cast(pa.string()) if values.type != pa.string() else values


def _check_pattern(i: int, pattern: str) -> None:
    where = f"privacy.account_patterns[{i}]"
    try:
        re.compile(pattern)
    except re.error as e:
        raise SettingsError(f"{where}: not a valid regular expression: {e}") from None
    try:
        _re2_compiles(pattern)
    except ARROW_CAST_ERRORS as e:
        raise SettingsError(
            f"{where}: {pattern!r} uses syntax the RE2 engine lacks "
            f"(look-arounds, back-references): {e}"
        ) from None


@lru_cache(maxsize=64)
def _re2_compiles(pattern: str) -> None:
    pc.match_substring_regex(pa.array(["x"]), pattern)
