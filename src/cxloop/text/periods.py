"""Named periods turned into date ranges: "2024-W10", "2024-03", "last-30-days".

Accepted names (dates inclusive):

* a calendar period: ``2024`` (year), ``2024-Q1`` (quarter), ``2024-03`` (month),
  ``2024-W10`` (ISO week, Monday to Sunday), ``2024-03-05`` (day);
* the latest ``day``, ``week``, ``month``, ``quarter`` or ``year`` (the grain names of
  :data:`cxloop.metrics.dimensions.PERIODS`): the one holding the newest data;
* ``last-N-days``, ``last-N-weeks``, ``last-N-months``: up to the newest data;
* ``all`` (or nothing): no limit.

"Newest data" rather than today, so a workspace loaded last month still has a
"last-30-days".
"""

from __future__ import annotations

import datetime as dt
import re

from ..errors import InputError
from ..metrics.dimensions import PERIODS

_FORMS = (
    "2024, 2024-Q1, 2024-03, 2024-W10, 2024-03-05, last-30-days, last-4-weeks, "
    f"last-3-months, {', '.join(PERIODS)} (the latest), all"
)
_LAST = re.compile(r"^last-(\d{1,4})-(day|week|month)s?$")


def period_range(period: str | None, newest: dt.date) -> tuple[dt.date, dt.date] | None:
    """``(first day, last day)`` of ``period``, or None for no limit.

    ``newest`` is the date of the newest data: relative periods end there.
    """
    if period is None:
        return None
    text = period.strip().lower()
    if text in ("", "all"):
        return None
    if text in PERIODS:
        return _containing(text, newest)
    m = _LAST.match(text)
    if m:
        count, unit = int(m.group(1)), m.group(2)
        if count < 1:
            raise InputError(f"period {period!r}: the count must be at least 1")
        if unit == "day":
            return newest - dt.timedelta(days=count - 1), newest
        if unit == "week":
            return newest - dt.timedelta(days=7 * count - 1), newest
        return _add_months(newest, -count) + dt.timedelta(days=1), newest
    try:
        return _calendar(text)
    except ValueError:
        raise InputError(f"unknown period {period!r}; use one of: {_FORMS}") from None


def _calendar(text: str) -> tuple[dt.date, dt.date]:
    if re.fullmatch(r"\d{4}", text):
        y = int(text)
        return dt.date(y, 1, 1), dt.date(y, 12, 31)
    m = re.fullmatch(r"(\d{4})-q([1-4])", text)
    if m:
        start = dt.date(int(m.group(1)), 3 * int(m.group(2)) - 2, 1)
        return start, _add_months(start, 3) - dt.timedelta(days=1)
    m = re.fullmatch(r"(\d{4})-w(\d{1,2})", text)
    if m:
        start = dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
        return start, start + dt.timedelta(days=6)
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
    if m:
        start = dt.date(int(m.group(1)), int(m.group(2)), 1)
        return start, _add_months(start, 1) - dt.timedelta(days=1)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        day = dt.date.fromisoformat(text)
        return day, day
    raise ValueError(text)


def _containing(grain: str, day: dt.date) -> tuple[dt.date, dt.date]:
    if grain == "day":
        return day, day
    if grain == "week":
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    if grain == "month":
        start = day.replace(day=1)
        return start, _add_months(start, 1) - dt.timedelta(days=1)
    if grain == "quarter":
        start = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return start, _add_months(start, 3) - dt.timedelta(days=1)
    return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)


def _add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))
