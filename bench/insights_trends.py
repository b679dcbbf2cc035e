"""Trends timings on the medium demo workspace (run by bench/run.py's insights step).

Each case is one call of the Python API on an open workspace; the target is under 2 s.
The incident window (week of 9 Feb 2026) is the seed-7 demo's planted billing incident.
"""

import datetime as dt

from cxloop.insights import changes, channel_gaps, control_chart

CASES = [
    ("changes: latest week", lambda ws: changes(ws, period="week", last=1)),
    (
        "changes: incident week",
        lambda ws: changes(ws, period="week", last=1, until=dt.date(2026, 2, 15)),
    ),
    ("changes: latest month", lambda ws: changes(ws, period="month", last=1)),
    ("control chart: detractor share by week", lambda ws: control_chart(ws, "detractor_share")),
    (
        "control chart: NPS by team and month",
        lambda ws: control_chart(ws, "nps", period="month", by="team"),
    ),
    (
        "control chart: theme share by week",
        lambda ws: control_chart(ws, "theme:billing error", period="week"),
    ),
    ("control chart: AHT by week", lambda ws: control_chart(ws, "aht", period="week")),
    ("channel gaps: all time", lambda ws: channel_gaps(ws)),
]
