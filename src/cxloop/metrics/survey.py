"""Survey scores by group and period: NPS, CSAT and CES, each with its n and margin.

Definitions (PRODUCT.md): NPS = %promoters (9-10) − %detractors (0-6) with margin
``1.96·sqrt((p_P + p_D − (p_P − p_D)²)/n)·100``; CSAT = share of 4-5 answers on
1-5; CES = mean of a 1-7 scale (higher is easier). Groups with fewer NPS answers
than ``metrics.min_group_responses`` are flagged ``small_sample`` and not ranked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import ibis

from . import formulas as f
from ._query import aggregate, grouped, rank_within_period, require, rows

#: Columns of every survey_scores row, after the group keys.
COLUMNS = (
    "n",
    "nps",
    "nps_margin",
    "promoters",
    "passives",
    "detractors",
    "csat",
    "csat_margin",
    "csat_n",
    "ces",
    "ces_margin",
    "ces_n",
    "small_sample",
    "rank",
)


def survey_scores(
    ws,
    by: str | Sequence[str] | None = None,
    period: str | None = None,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    where: Mapping[str, Sequence[str]] | None = None,
) -> list[dict[str, Any]]:
    """NPS, CSAT and CES per group (``by``: team, agent, channel, segment, ...) and period.

    ``period`` is day, week, month, quarter, year or None for the whole range; each
    row's ``period`` is the ISO date of the period's first day. ``where`` keeps only
    rows whose dimensions take the given values, e.g. ``{"channel": ["phone"]}``.
    """
    require(ws, "nps")
    t, keys, key_names = grouped(ws, "responses", "responded_at", by, period, since, until, where)
    g = aggregate(
        t,
        keys,
        n=t.nps.count(),
        promoters=(t.nps >= f.PROMOTER_MIN).sum(),
        detractors=(t.nps <= f.DETRACTOR_MAX).sum(),
        csat_n=t.csat.count(),
        csat_top=(t.csat >= f.CSAT_TOP_MIN).sum(),
        ces_n=t.ces.count(),
        # scores are integers; average them as floats on every backend
        ces=t.ces.cast("float64").mean(),
        ces_sd=t.ces.cast("float64").std(),
    )
    minimum = ws.settings.metrics.min_group_responses
    has_n, has_csat, has_ces = g.n > 0, g.csat_n > 0, g.ces_n > 1
    g = g.mutate(
        promoters=g.promoters.fill_null(0),
        detractors=g.detractors.fill_null(0),
        passives=g.n - g.promoters.fill_null(0) - g.detractors.fill_null(0),
        nps=ibis.ifelse(has_n, f.nps(g.promoters, g.detractors, g.n), ibis.null()),
        nps_margin=ibis.ifelse(has_n, f.nps_margin(g.promoters, g.detractors, g.n), ibis.null()),
        csat=ibis.ifelse(g.csat_n > 0, f.share(g.csat_top, g.csat_n), ibis.null()),
        csat_margin=ibis.ifelse(has_csat, f.share_margin(g.csat_top, g.csat_n), ibis.null()),
        ces_margin=ibis.ifelse(has_ces, f.mean_margin(g.ces_sd, g.ces_n), ibis.null()),
        small_sample=g.n < minimum,
    )
    g = g.select(*key_names, *[c for c in COLUMNS if c != "rank"])
    out = rows(ws, g, order=key_names)
    rank_within_period(out, key_names, "nps")
    return out
