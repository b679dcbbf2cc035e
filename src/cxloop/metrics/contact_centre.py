"""Contact-centre KPIs by group and period, each with its n and 95% margin.

Definitions (PRODUCT.md): grade of service (GOS) = share of offered contacts
answered within the target time; ASA = mean time to answer; abandonment =
abandoned / offered; AHT = talk + hold + wrap; FCR = share of contacts resolved with
no repeat contact in N days. Transfer rate = share of answered contacts transferred
at least once.

Queue measures (GOS, ASA, abandonment) use only queued channels
(``metrics.queued_channels``, phone and chat by default): an email answered in four
hours is not a late phone call. FCR counts answered contacts of known customers;
the repeat may come on any channel, also after the reporting window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import ibis

from . import formulas as f
from ._query import aggregate, grouped, rank_within_period, require, rows

COLUMNS = (
    "offered",
    "answered",
    "abandoned",
    "grade_of_service",
    "grade_of_service_margin",
    "asa",
    "asa_margin",
    "abandonment",
    "abandonment_margin",
    "handled",
    "aht",
    "aht_margin",
    "transfer_rate",
    "transfer_rate_margin",
    "fcr",
    "fcr_margin",
    "fcr_n",
    "small_sample",
    "rank",
)


def with_repeat_flag(t: ibis.Table, repeat_days: int) -> ibis.Table:
    """Mark contacts followed by another contact of the same customer within N days."""
    # interaction_id breaks ties, so two contacts at the same second give one answer
    w = ibis.window(group_by=t.customer_id, order_by=[t.started_at, t.interaction_id])
    next_at = t.started_at.lead().over(w)
    repeat = next_at.notnull() & (next_at <= t.started_at + ibis.interval(days=repeat_days))
    return t.mutate(repeated=repeat.fill_null(False))


def contact_centre_kpis(
    ws,
    by: str | Sequence[str] | None = None,
    period: str | None = None,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    where: Mapping[str, Sequence[str]] | None = None,
) -> list[dict[str, Any]]:
    """GOS, ASA, abandonment, AHT, transfer rate and FCR per group and period."""
    require(ws, "grade_of_service")
    cfg = ws.settings.metrics
    base = with_repeat_flag(ws.analytics.table("interactions"), cfg.fcr_repeat_days)
    t, keys, key_names = grouped(
        ws, "interactions", "started_at", by, period, since, until, where, table=base
    )
    queued = t.channel.isnull() | t.channel.isin(list(cfg.queued_channels))
    offered = queued & t.offered.fill_null(True)
    answered = t.answered.fill_null(False)
    handle = t.talk_seconds.fill_null(0) + t.hold_seconds.fill_null(0) + t.wrap_seconds.fill_null(0)
    within = offered & answered & (t.wait_seconds <= cfg.gos_target_seconds)
    fcr_base = answered & t.customer_id.notnull() & t.resolved.notnull()
    g = aggregate(
        t,
        keys,
        offered=offered.sum(),
        answered=(offered & answered).sum(),
        abandoned=(offered & t.abandoned.fill_null(False)).sum(),
        within=within.sum(),
        asa_n=(offered & answered & t.wait_seconds.notnull()).sum(),
        asa=t.wait_seconds.mean(where=offered & answered),
        asa_sd=t.wait_seconds.std(where=offered & answered),
        handled=answered.sum(),
        aht=handle.mean(where=answered),
        aht_sd=handle.std(where=answered),
        transferred=(answered & (t.transfers.fill_null(0) > 0)).sum(),
        fcr_n=fcr_base.sum(),
        fcr_hits=(fcr_base & t.resolved & ~t.repeated).sum(),
    )
    has_offered, has_handled = g.offered > 0, g.handled > 0
    none = ibis.null()
    g = g.mutate(
        grade_of_service=ibis.ifelse(has_offered, f.share(g.within, g.offered), none),
        grade_of_service_margin=ibis.ifelse(has_offered, f.share_margin(g.within, g.offered), none),
        asa_margin=ibis.ifelse(g.asa_n > 1, f.mean_margin(g.asa_sd, g.asa_n), none),
        abandonment=ibis.ifelse(has_offered, f.share(g.abandoned, g.offered), none),
        abandonment_margin=ibis.ifelse(has_offered, f.share_margin(g.abandoned, g.offered), none),
        aht_margin=ibis.ifelse(g.handled > 1, f.mean_margin(g.aht_sd, g.handled), none),
        transfer_rate=ibis.ifelse(has_handled, f.share(g.transferred, g.handled), none),
        transfer_rate_margin=ibis.ifelse(
            has_handled, f.share_margin(g.transferred, g.handled), none
        ),
        fcr=ibis.ifelse(g.fcr_n > 0, f.share(g.fcr_hits, g.fcr_n), none),
        fcr_margin=ibis.ifelse(g.fcr_n > 0, f.share_margin(g.fcr_hits, g.fcr_n), none),
        small_sample=g.handled < cfg.min_group_responses,
    )
    g = g.select(*key_names, *[c for c in COLUMNS if c != "rank"])
    out = rows(ws, g, order=key_names)
    rank_within_period(out, key_names, "fcr")
    return out
