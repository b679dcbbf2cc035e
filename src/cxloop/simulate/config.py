"""The simulator's fixed calendar, its sizes and the parameters of every planted truth.

Output depends only on (size, seed): the data always runs from ``START`` to ``END``
whatever today's date is. Days are counted from ``START`` (day 0 = 2024-11-01);
times are seconds since ``START`` at midnight, naive local time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

START = dt.date(2024, 11, 1)
END = dt.date(2026, 10, 31)
N_DAYS = (END - START).days + 1
DAY = 86_400

#: England and Wales bank holidays inside the window (phone and branches close on 25 Dec).
BANK_HOLIDAYS = (
    "2024-12-25", "2024-12-26", "2025-01-01", "2025-04-18", "2025-04-21", "2025-05-05",
    "2025-05-26", "2025-08-25", "2025-12-25", "2025-12-26", "2026-01-01", "2026-04-03",
    "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31",
)  # fmt: skip

CHANNELS = ("phone", "chat", "email", "branch", "social")  # same order as cxloop.model
PHONE, CHAT, EMAIL, BRANCH, SOCIAL = range(5)
#: Share of first contacts by channel at the start of the window (chat grows over time).
CHANNEL_SHARE = np.array([0.52, 0.19, 0.13, 0.09, 0.07])
#: Post-contact survey response rate by channel, as a share of answered contacts.
SURVEY_RATE = np.array([0.112, 0.13, 0.085, 0.07, 0.055])


@dataclass(frozen=True)
class Size:
    """How much data one size makes."""

    name: str
    teams: int
    agents_per_team: int
    customers: int
    contacts: int  # first contacts; repeat and incident contacts come on top
    relationship_share: float  # relationship surveys per post-contact survey
    weak_agents: int
    praise_agents: int
    extra_coached: int
    #: Multiplies the planted effects (shifts and the weak-theme rate). Small data
    #: exaggerates them so they stay visible in a few thousand responses.
    effect_scale: float = 1.0


SIZES: dict[str, Size] = {
    "small": Size("small", 20, 6, 4_000, 52_000, 0.06, 8, 2, 2, effect_scale=1.5),
    "medium": Size("medium", 30, 12, 50_000, 440_000, 0.06, 8, 4, 4),
    "large": Size("large", 40, 20, 1_000_000, 9_700_000, 0.06, 12, 6, 6),
}

# -- planted truth 1: a wait-time threshold on the phone --------------------------------
WAIT_THRESHOLD_SECONDS = 240
WAIT_THRESHOLD_SHIFT = -0.9  # latent NPS points lost once the wait passes the threshold
GOS_TARGET_SECONDS = 20
GOS_TARGET_SHARE = 0.8

# -- planted truth 2: a team whose engagement falls a month before its NPS ----------------
ENGAGEMENT_DROP_MONTH = "2026-03"
LOW_MONTHS = 4  # months the drop lasts (engagement M..M+3, NPS M+1..M+4)
ENPS_SHIFT = -1.6  # on the 0-10 pulse eNPS scale
ITEM_SHIFT = -0.8  # on the 1-5 engagement item scale
TEAM_NPS_SHIFT = -1.3  # latent NPS points

# -- planted truth 3: a dated incident ---------------------------------------------------
INCIDENT_NAME = "Credit card monthly fee charged twice"
INCIDENT_THEME = "billing error"
INCIDENT_REASON = "billing error"
INCIDENT_START = dt.date(2026, 2, 9)
INCIDENT_END = dt.date(2026, 2, 20)
INCIDENT_PRODUCT = "credit card"
INCIDENT_OPENED_BEFORE = dt.date(2021, 1, 1)  # accounts still on the legacy billing platform
INCIDENT_CONTACT_SHARE = 0.21  # affected customers who contact the centre about it

# -- planted truths 4 and 5: weak themes, praise, and a coaching programme ---------------
WEAK_THEMES = ("did not listen", "rude or dismissive", "wrong information", "no call back")
BEHAVIOUR_BASE_RATE = 0.025  # chance a contact shows one given weak behaviour
BEHAVIOUR_WEAK_RATE = 0.2  # the same for an agent weak on that theme
PRAISE_BASE_RATE = 0.16  # chance a contact earns "friendly agent" praise
PRAISE_STRONG_RATE = 0.42
NAME_BASE_RATE = 0.3  # chance praise names the agent
NAME_STRONG_RATE = 0.85
COACHING_DATE = dt.date(2025, 11, 3)
PROGRAMME = "Listen, check, confirm"
FOLLOW_UP_DAYS = 28

# -- planted truth 6: personal data in comments -------------------------------------------
PII_SHARE = 0.012


def day_of(date: dt.date | str) -> int:
    """Day index of a date (0 = START)."""
    if isinstance(date, str):
        date = dt.date.fromisoformat(date)
    return (date - START).days


def date_of(day: int) -> dt.date:
    return START + dt.timedelta(days=int(day))


def month_starts() -> np.ndarray:
    """Day index of the first day of each of the 24 months."""
    out, d = [], START
    while d <= END:
        out.append(day_of(d))
        d = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return np.array(out)


MONTH_STARTS = month_starts()
N_MONTHS = len(MONTH_STARTS)
#: Month index (0 = Nov 2024) of every day.
MONTH_OF_DAY = np.searchsorted(MONTH_STARTS, np.arange(N_DAYS), side="right") - 1
#: Weekday of every day (0 = Monday).
WEEKDAY = (np.arange(N_DAYS) + START.weekday()) % 7
HOLIDAY = np.zeros(N_DAYS, dtype=bool)
HOLIDAY[[day_of(h) for h in BANK_HOLIDAYS]] = True
CLOSED = np.zeros(N_DAYS, dtype=bool)  # phone lines and branches shut
CLOSED[[day_of(h) for h in BANK_HOLIDAYS if h.endswith("12-25")]] = True


def month_label(index: int) -> str:
    return date_of(MONTH_STARTS[index]).strftime("%Y-%m")


def month_index(label: str) -> int:
    return int(MONTH_OF_DAY[day_of(label + "-01")])
