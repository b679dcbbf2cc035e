"""Employee NPS (eNPS) from anonymous pulses, never shown for groups under the anonymity minimum.

eNPS uses the NPS formula on "how likely are you to recommend working here"
(PRODUCT.md, eNPS). A group with fewer respondents than ``privacy.min_pulse_group``
is returned with ``suppressed: true`` and no scores (PRODUCT.md, Anonymity): not
even its n is shown, so a filter cannot narrow it down to a person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import ibis

from . import formulas as f
from ._query import aggregate, grouped, require, rows

COLUMNS = ("n", "enps", "enps_margin", "suppressed")


def employee_nps(
    ws,
    by: str | Sequence[str] | None = "team",
    period: str | None = "month",
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[dict[str, Any]]:
    """eNPS per team (or overall with ``by=None``) and period, anonymity enforced."""
    require(ws, "enps")
    t, keys, key_names = grouped(ws, "pulses", "period", by, period, since, until, None)
    minimum = ws.settings.privacy.min_pulse_group
    g = aggregate(
        t,
        keys,
        n=t.enps.count(),
        promoters=(t.enps >= f.PROMOTER_MIN).sum(),
        detractors=(t.enps <= f.DETRACTOR_MAX).sum(),
    )
    shown = g.n >= minimum
    g = g.mutate(
        enps=ibis.ifelse(shown, f.nps(g.promoters, g.detractors, g.n), ibis.null()),
        enps_margin=ibis.ifelse(shown, f.nps_margin(g.promoters, g.detractors, g.n), ibis.null()),
        n=ibis.ifelse(shown, g.n, ibis.null()),
        suppressed=~shown,
    )
    return rows(ws, g.select(*key_names, *COLUMNS), order=key_names)
