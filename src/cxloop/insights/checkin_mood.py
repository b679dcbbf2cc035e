"""The mood of 1:1 check-ins: the mean sentiment of a team's check-in notes each month.

Each note is scored by the comment sentiment model (``cxloop.text.sentiment``, −1 to 1)
on its sentence embedding, cached by text in the analytics store like comments' (notes
repeat a lot, so the medium demo's 7,700 notes are 258 texts to embed, once). Only
agents' check-ins count, and a team-month with fewer than ``privacy.min_pulse_group``
scored notes is left out: check-ins are restricted records, and a mean of one or two
would be one person's conversation.
"""

from __future__ import annotations

import numpy as np

from ..metrics.dimensions import apply_filters, period_start
from ..text.cache import embed_cached
from ..text.encoder import workspace_encoder
from ..text.sentiment import default_model

MEASURE = "checkin_mood"


def add_checkin_mood(ws, cells: dict, since, until) -> None:
    """Set ``cells[(team, month)]["checkin_mood"]`` where enough notes were scored."""
    store = ws.analytics
    if store.count("checkins") == 0:
        return
    emp = store.table("employees")
    staff = emp.filter(emp.role == "agent").select("employee_id", "team_id")
    c = apply_filters(store.table("checkins"), "held_on", since, until)
    c = c.filter(c.notes.notnull()).inner_join(staff, "employee_id")
    rows = store.con.to_pyarrow(
        c.select("team_id", "notes", month=period_start(c.held_on, "month"))
    ).to_pydict()
    if not rows["notes"]:
        return
    vectors = embed_cached(store, workspace_encoder(ws.settings.text), rows["notes"])
    scores = default_model().score(vectors)
    groups: dict[tuple, list[float]] = {}
    for team, month, score in zip(rows["team_id"], rows["month"], scores, strict=True):
        groups.setdefault((team, month), []).append(float(score))
    minimum = ws.settings.privacy.min_pulse_group
    for key, values in groups.items():
        if key in cells and len(values) >= minimum:
            cells[key][MEASURE] = float(np.mean(values))
