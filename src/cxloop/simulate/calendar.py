"""When contacts arrive: day-of-week, month and holiday seasonality and opening hours.

Phone lines open 08:00-20:00 on weekdays, 09:00-17:00 on Saturdays and 10:00-16:00 on
Sundays; chat 08:00-22:00 every day; branches 09:00-17:00 Monday to Saturday; email
and social arrive around the clock. Mondays and January are busiest; chat grows over
the window while phone shrinks.
"""

from __future__ import annotations

import numpy as np

from . import config as C

_WEEKDAY = np.array(
    [
        [1.30, 1.12, 1.05, 1.02, 0.98, 0.50, 0.22],  # phone
        [1.15, 1.08, 1.05, 1.03, 1.00, 0.72, 0.60],  # chat
        [1.25, 1.10, 1.05, 1.00, 0.95, 0.45, 0.40],  # email
        [1.10, 1.00, 1.00, 1.00, 1.15, 1.20, 0.00],  # branch
        [1.00, 1.00, 1.00, 1.00, 1.00, 0.90, 0.90],  # social
    ]
)
_MONTH = np.array([1.18, 1.05, 1.0, 0.98, 0.97, 0.96, 0.95, 0.9, 1.0, 1.02, 1.0, 0.85])
_HOLIDAY = np.array([0.35, 0.6, 0.5, 0.0, 0.8])
_TREND = np.array([-0.10, 0.35, 0.0, -0.15, 0.2])  # relative change over the window


def _hours(start: int, values: list[float]) -> np.ndarray:
    out = np.zeros(24)
    out[start : start + len(values)] = values
    return out


_EMAIL = [0.1, 0.05, 0.03, 0.03, 0.03, 0.05, 0.15, 0.4, 0.7, 0.9, 0.9, 0.85]
_EMAIL += [0.9, 0.85, 0.8, 0.75, 0.7, 0.7, 0.75, 0.8, 0.75, 0.6, 0.4, 0.2]
_SOCIAL = [0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.2, 0.45, 0.6, 0.7, 0.7, 0.75]
_SOCIAL += [0.8, 0.75, 0.7, 0.7, 0.7, 0.75, 0.85, 0.95, 1.0, 0.9, 0.7, 0.4]
_CHAT = [0.5, 0.8, 0.9, 0.9, 1.0, 0.95, 0.85, 0.8, 0.75, 0.7, 0.75, 0.8, 0.65, 0.45]
#: Hourly arrival profile by channel and day type (weekday, Saturday, Sunday or holiday).
HOURS = np.array(
    [
        [
            _hours(8, [0.7, 1.0, 0.95, 0.85, 0.8, 0.85, 0.8, 0.75, 0.7, 0.55, 0.4, 0.3]),
            _hours(9, [0.6, 0.7, 0.7, 0.6, 0.5, 0.45, 0.4, 0.3]),
            _hours(10, [0.3, 0.35, 0.35, 0.3, 0.3, 0.2]),
        ],
        [_hours(8, _CHAT), _hours(8, _CHAT), _hours(8, _CHAT)],
        [_hours(0, _EMAIL), _hours(0, _EMAIL), _hours(0, _EMAIL)],
        [
            _hours(9, [0.6, 0.9, 1.0, 1.1, 1.0, 0.9, 0.8, 0.6]),
            _hours(9, [0.8, 1.0, 1.0, 0.8]),
            np.zeros(24),
        ],
        [_hours(0, _SOCIAL), _hours(0, _SOCIAL), _hours(0, _SOCIAL)],
    ]
)
CALENDAR_MONTH = np.array([C.date_of(d).month - 1 for d in range(C.N_DAYS)])
DAY_TYPE = np.where(C.HOLIDAY | (C.WEEKDAY == 6), 2, np.where(C.WEEKDAY == 5, 1, 0))


def day_weights(channel: int) -> np.ndarray:
    """Relative contact volume on each day of the window for one channel."""
    w = _WEEKDAY[channel, C.WEEKDAY] * _MONTH[CALENDAR_MONTH]
    w = w * (1 + _TREND[channel] * np.arange(C.N_DAYS) / C.N_DAYS)
    w = np.where(C.HOLIDAY, w * _HOLIDAY[channel], w)
    if channel in (C.PHONE, C.BRANCH):
        w = np.where(C.CLOSED, 0.0, w)
    return w


_OPEN = np.array([day_weights(c) > 0 for c in range(5)])


def next_open(channel: np.ndarray, day: np.ndarray) -> np.ndarray:
    """The first day on or after ``day`` when the channel is open (may pass the end)."""
    day = day.copy()
    for _ in range(4):
        inside = day < C.N_DAYS
        shut = inside.copy()
        shut[inside] = ~_OPEN[channel[inside], day[inside]]
        if not shut.any():
            break
        day[shut] += 1
    return day


def sample_days(rng: np.random.Generator, channel: int, n: int) -> np.ndarray:
    w = day_weights(channel)
    return rng.choice(C.N_DAYS, n, p=w / w.sum()).astype(np.int32)


def sample_seconds(rng: np.random.Generator, channel: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Second of the day of each contact, following the channel's opening hours."""
    kind = DAY_TYPE[np.minimum(day, C.N_DAYS - 1)]
    kind = np.where((channel == C.BRANCH) & (kind == 2), 0, kind)  # defensive: branches shut
    hour = np.zeros(len(day), dtype=np.int64)
    for c in range(5):
        for k in range(3):
            mask = (channel == c) & (kind == k)
            m = int(mask.sum())
            if m:
                p = HOURS[c, k]
                hour[mask] = rng.choice(24, m, p=p / p.sum())
    return hour * 3600 + rng.integers(0, 3600, len(day))


def load(channel: np.ndarray, day: np.ndarray, second: np.ndarray) -> np.ndarray:
    """How busy the channel is at that moment, 0..1 (drives queue congestion)."""
    kind = DAY_TYPE[day]
    hourly = HOURS[channel, kind, second // 3600]
    weekly = _WEEKDAY[channel, C.WEEKDAY[day]] / _WEEKDAY[channel].max()
    return np.clip(hourly * weekly, 0, 1)


def first_contacts(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Channel, day and second of ``n`` first contacts."""
    channel = rng.choice(5, n, p=C.CHANNEL_SHARE).astype(np.int8)
    day = np.zeros(n, dtype=np.int32)
    for c in range(5):
        mask = channel == c
        day[mask] = sample_days(rng, c, int(mask.sum()))
    return channel, day, sample_seconds(rng, channel, day)
