"""Calendar periods for trends: the first day of a period, stepping periods, plain labels.

Weeks start on Monday (ISO 8601), as ``cxloop.metrics.dimensions.period_start`` does in
the store.
"""

from __future__ import annotations

import datetime as dt

from ..errors import InputError
from ..metrics.dimensions import PERIODS

_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def check_period(period: str) -> str:
    if period not in PERIODS:
        raise InputError(f"period {period!r}: use one of {', '.join(PERIODS)}")
    return period


def period_floor(day: dt.date, period: str) -> dt.date:
    """The first day of the ``period`` containing ``day``."""
    if period == "day":
        return day
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


def shift(start: dt.date, period: str, k: int) -> dt.date:
    """The first day of the period ``k`` periods after the one starting on ``start``."""
    if period == "day":
        return start + dt.timedelta(days=k)
    if period == "week":
        return start + dt.timedelta(weeks=k)
    months = start.year * 12 + start.month - 1 + k * _MONTHS[period]
    return dt.date(months // 12, months % 12 + 1, 1)


def period_label(start: dt.date, period: str) -> str:
    """``week of 9 Feb 2026``, ``Feb 2026``, ``2026 Q1``, ``2026`` or ``9 Feb 2026``."""
    if period == "week":
        return f"week of {start.day} {start:%b %Y}"
    if period == "month":
        return f"{start:%b %Y}"
    if period == "quarter":
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    if period == "year":
        return str(start.year)
    return f"{start.day} {start:%b %Y}"


def window_words(start: dt.date, end: dt.date, period: str, last: int, latest: bool) -> str:
    """How a sentence names the judged window: ``last week``, ``in Feb 2026``..."""
    if latest:
        if period == "day":
            return "on the latest day" if last == 1 else f"over the last {last} days"
        return f"last {period}" if last == 1 else f"over the last {last} {period}s"
    if last == 1:
        return ("on " if period == "day" else "in the " if period == "week" else "in ") + (
            period_label(start, period)
        )
    return f"from {start.day} {start:%b %Y} to {end.day} {end:%b %Y}"


def day_words(day: dt.date) -> str:
    """``Monday 9 Feb``."""
    return f"{day:%A} {day.day} {day:%b}"
