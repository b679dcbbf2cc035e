"""SLA clock for cases: business hours in the workspace's time zone.

A case is due ``cases.sla_hours[priority]`` *business* hours after the survey response:
the clock runs only on ``cases.working_days`` between ``cases.day_starts`` and
``cases.day_ends`` (local wall-clock time in ``workspace.timezone``), and never on
``cases.holidays``. A response given outside working hours starts the clock at the next
opening. Example, Monday-Friday 09:00-17:00: a response on Friday at 16:00 with 4 hours
is due Monday at 12:00; one on Saturday with 16 hours is due Tuesday at 17:00.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ..settings import Settings

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MAX_DAYS = 3660  # a clock that never opens (e.g. every day a holiday) stops here


@dataclass(frozen=True)
class BusinessCalendar:
    """Working days and hours in one time zone."""

    tz: ZoneInfo
    weekdays: frozenset[int]
    opens: dt.time
    closes: dt.time
    holidays: frozenset[dt.date] = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings) -> BusinessCalendar:
        c = settings.cases
        return cls(
            tz=ZoneInfo(settings.workspace.timezone),
            weekdays=frozenset(_DAYS.index(d) for d in c.working_days),
            opens=_clock(c.day_starts),
            closes=_clock(c.day_ends),
            holidays=frozenset(dt.date.fromisoformat(d) for d in c.holidays),
        )

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def _bounds(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        start = dt.datetime.combine(day, self.opens, self.tz)
        end = (dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), self.tz)
               if self.closes == dt.time(0) else dt.datetime.combine(day, self.closes, self.tz))  # fmt: skip
        return start, end

    def add_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        """The moment ``hours`` business hours after ``start`` (timezone-aware), in UTC."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        local = start.astimezone(self.tz)
        left = dt.timedelta(hours=hours)
        day = local.date()
        for _ in range(_MAX_DAYS):
            if self.is_working_day(day):
                opens, closes = self._bounds(day)
                cur = max(local, opens)
                if cur < closes:
                    if cur + left <= closes:
                        return (cur + left).astimezone(dt.UTC)
                    left -= closes - cur
            day += dt.timedelta(days=1)
            local = dt.datetime.combine(day, dt.time(0), self.tz)
        raise ValueError("the business calendar has no working hours")

    def hours_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Business hours from ``start`` to ``end`` (0 if ``end`` is not after ``start``)."""
        if end <= start:
            return 0.0
        a, b = start.astimezone(self.tz), end.astimezone(self.tz)
        total = dt.timedelta(0)
        day = a.date()
        while day <= b.date():
            if self.is_working_day(day):
                opens, closes = self._bounds(day)
                lo, hi = max(a, opens), min(b, closes)
                if hi > lo:
                    total += hi - lo
            day += dt.timedelta(days=1)
        return total.total_seconds() / 3600


def _clock(text: str) -> dt.time:
    hour, minute = (int(x) for x in text.split(":"))
    return dt.time(0) if hour == 24 else dt.time(hour, minute)


class DueClock:
    """``add_hours`` for many starts at once: starts outside working hours share the next
    opening, so their due time is computed once (same results, fewer loops)."""

    def __init__(self, calendar: BusinessCalendar) -> None:
        self.calendar = calendar
        self._cache: dict[tuple[dt.date, float], dt.datetime] = {}

    def due(self, start: dt.datetime, hours: float) -> dt.datetime:
        cal = self.calendar
        local = start.astimezone(cal.tz)
        day, clock = local.date(), local.time()
        if cal.closes != dt.time(0) and clock >= cal.closes:
            day += dt.timedelta(days=1)  # after closing: the clock starts the next opening
        elif cal.is_working_day(day) and clock >= cal.opens:
            return cal.add_hours(start, hours)  # within working hours
        key = (day, hours)
        due = self._cache.get(key)
        if due is None:
            due = self._cache[key] = cal.add_hours(dt.datetime.combine(day, dt.time(0), cal.tz),
                                                   hours)  # fmt: skip
        return due
