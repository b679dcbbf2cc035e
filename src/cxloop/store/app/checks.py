"""Checks on values before they reach the app store, so every backend behaves the same.

SQLite accepts text of any length and NUL characters; PostgreSQL refuses both, and its
JSON refuses NaN. Checking here gives one clear ``RecordInvalid`` message on either.
"""

from __future__ import annotations

import json
from typing import Any

from ...errors import RecordInvalid


def text(value: Any, *, field: str, max_length: int) -> str:
    """``value`` as non-empty text of at most ``max_length`` characters, without NUL."""
    if not isinstance(value, str):
        raise RecordInvalid(f"{field} must be text, not {type(value).__name__}")
    checked = optional_text(value, field=field, max_length=max_length)
    if checked is None:
        raise RecordInvalid(f"{field} must not be empty")
    return checked


def optional_text(value: Any, *, field: str, max_length: int) -> str | None:
    """Like ``text`` but None (or blank) means "not given"."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordInvalid(f"{field} must be text, not {type(value).__name__}")
    value = value.strip()
    if not value:
        return None
    if "\x00" in value:
        raise RecordInvalid(f"{field} must not contain a NUL character")
    if len(value) > max_length:
        raise RecordInvalid(f"{field} is {len(value)} characters long; the limit is {max_length}")
    return value


def json_value(value: Any, *, field: str) -> Any:
    """``value`` if it can be stored as JSON on every backend, else RecordInvalid."""
    try:
        encoded = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise RecordInvalid(f"{field} cannot be stored as JSON: {e}") from None
    if "\\u0000" in encoded:
        raise RecordInvalid(f"{field} must not contain a NUL character")
    return value


def canonical_json(value: Any) -> str:
    """One spelling of a JSON value, to tell a real change from a rewrite of the same value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
