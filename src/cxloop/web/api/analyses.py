"""GET /api/v1 analyses: scores, KPIs, eNPS, themes, stories, changes, drivers and more.

Every route runs the same Python function as the CLI on the caller's scoped workspace
(:func:`cxloop.web.api.common.scoped`), so a team leader's NPS is their team's NPS and an
agent's stories are about them. Results are cached per (route, parameters, scope) until the
analytics store changes. Finance and people leads get aggregates only: never per agent and
never customers' words.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from ...insights.changes import changes
from ...insights.channels import channel_gaps
from ...insights.fair_scores import fair_scores
from ...insights.kpi_alignment import kpi_alignment
from ...insights.linkage import engagement_linkage
from ...insights.workspace_drivers import workspace_drivers
from ...metrics.contact_centre import contact_centre_kpis
from ...metrics.employee import employee_nps
from ...metrics.survey import survey_scores
from ...scope import ScopedWorkspace
from ...text.summary import theme_summary
from ...text.workspace_stories import stories as pick_stories
from .common import cached, no_people, parse_where, scoped

router = APIRouter(tags=["analyses"])

Period = Literal["day", "week", "month", "quarter", "year", "all"]
Rows = list[dict[str, Any]]
Report = dict[str, Any]


By = Annotated[
    str | None,
    Query(
        description="Group by, comma-separated: team, agent, channel, "
        "instrument, segment, product, region, queue, reason, site",
        max_length=200,
    ),
]
Where = Annotated[
    list[str] | None,
    Query(
        description="Filters, each dimension=value[,value...], e.g. channel=phone", max_length=20
    ),
]
Since = Annotated[dt.date | None, Query(description="First day included (ISO date)")]
Until = Annotated[dt.date | None, Query(description="Last day included (ISO date)")]
Scoped = Annotated[ScopedWorkspace, Depends(scoped)]
Resamples = Annotated[int, Query(ge=0, le=1000, description="Bootstrap resamples")]
Seed = Annotated[int, Query(ge=0, le=2**31)]


@router.get("/metrics", response_model=Rows, summary="Survey scores: NPS, CSAT, CES")
def metrics(
    request: Request,
    sw: Scoped,
    by: By = None,
    period: Period | None = None,
    since: Since = None,
    until: Until = None,
    where: Where = None,
) -> Any:
    """NPS, CSAT and CES with their margins of error per group and period, within the
    caller's scope. Row columns: the ``by`` dimensions, ``period``, n, promoters, passives,
    detractors, nps, nps_margin, csat, csat_margin, csat_n, ces, ces_margin, ces_n,
    small_sample, rank."""
    filters = parse_where(where)
    no_people(sw.scope, by, filters)
    params = {"by": by, "period": period, "since": since, "until": until, "where": filters}
    return cached(request, sw, "metrics", params, lambda: survey_scores(sw, **params))


@router.get("/kpis", response_model=Rows, summary="Contact-centre KPIs")
def kpis(
    request: Request,
    sw: Scoped,
    by: By = None,
    period: Period | None = None,
    since: Since = None,
    until: Until = None,
    where: Where = None,
) -> Any:
    """Grade of service, ASA, abandonment, AHT, transfer rate and FCR per group and period."""
    filters = parse_where(where)
    no_people(sw.scope, by, filters)
    params = {"by": by, "period": period, "since": since, "until": until, "where": filters}
    return cached(request, sw, "kpis", params, lambda: contact_centre_kpis(sw, **params))


@router.get("/enps", response_model=Rows, summary="Employee NPS (anonymity enforced)")
def enps(
    request: Request,
    sw: Scoped,
    by: Literal["team", "none"] = "team",
    period: Period = "month",
    since: Since = None,
    until: Until = None,
) -> Any:
    """eNPS per team (or overall: ``by=none``) and period; groups smaller than
    ``privacy.min_pulse_group`` come back suppressed with no score. Columns: team, period,
    n, enps, enps_margin, suppressed."""
    params = {"by": None if by == "none" else by, "period": period, "since": since, "until": until}
    return cached(request, sw, "enps", params, lambda: employee_nps(sw, **params))


@router.get("/themes", response_model=Rows, summary="Theme summary")
def themes(
    request: Request,
    sw: Scoped,
    by: Literal["team_id", "agent_id", "channel", "instrument"] | None = None,
    since: Since = None,
    until: Until = None,
    parents: bool = True,
) -> Any:
    """One row per theme (and group), most mentioned first: mentions, share of comments,
    sentiment split."""
    no_people(sw.scope, "agent" if by == "agent_id" else None)
    params = {"by": by, "since": since, "until": until, "parents": parents}
    return cached(request, sw, "themes", params, lambda: theme_summary(sw, **params))


@router.get("/stories", response_model=Rows, summary="Stories for the huddle")
def stories(
    request: Request,
    sw: Scoped,
    team: Annotated[str | None, Query(max_length=128)] = None,
    theme: Annotated[str | None, Query(max_length=200)] = None,
    period: Annotated[
        str | None,
        Query(max_length=40, description="2024-W10, 2024-03, 2024-Q1, last-30-days, month..."),
    ] = None,
    since: Since = None,
    until: Until = None,
    n: Annotated[int, Query(ge=1, le=50)] = 5,
    sentiment: Literal["positive", "praise", "negative", "pain", "neutral"] | None = None,
) -> Any:
    """Up to ``n`` real comments worth reading aloud, praise as well as pain (row-level:
    not for finance or people leads)."""
    sw.scope.require_rows("comments")
    params = {
        "team": team,
        "theme": theme,
        "period": period,
        "since": since,
        "until": until,
        "n": n,
        "sentiment": sentiment,
    }
    return cached(request, sw, "stories", params, lambda: pick_stories(sw, **params))


@router.get("/changes", response_model=Report, summary="What changed")
def what_changed(
    request: Request,
    sw: Scoped,
    period: Literal["day", "week", "month", "quarter"] = "week",
    last: Annotated[int, Query(ge=1, le=52)] = 1,
    until: Until = None,
) -> Any:
    """What moved in the last ``last`` period(s) against the usual, ranked, in words."""
    params = {"period": period, "last": last, "until": until}
    return cached(request, sw, "changes", params, lambda: changes(sw, **params))


@router.get("/drivers", response_model=Report, summary="Key drivers")
def drivers(
    request: Request,
    sw: Scoped,
    outcome: Literal["nps", "promoter", "detractor", "csat", "ces"] = "nps",
    kinds: Annotated[list[Literal["ratings", "themes", "operations"]] | None, Query()] = None,
    method: Literal["shapley", "relative-weights"] = "shapley",
    since: Since = None,
    until: Until = None,
    where: Where = None,
    resamples: Resamples = 200,
    seed: Seed = 0,
) -> Any:
    """What moves ``outcome`` most among rating items, themes and operations, with intervals."""
    filters = parse_where(where)
    no_people(sw.scope, None, filters)
    params = {
        "outcome": outcome,
        "kinds": tuple(kinds or ("ratings", "themes", "operations")),
        "method": method,
        "since": since,
        "until": until,
        "where": filters,
        "resamples": resamples,
        "seed": seed,
    }
    return cached(request, sw, "drivers", params, lambda: workspace_drivers(sw, **params))


@router.get("/kpi-alignment", response_model=Report, summary="KPI alignment")
def alignment(
    request: Request,
    sw: Scoped,
    outcome: Annotated[str, Query(max_length=100)] = "nps",
    kpis: Annotated[list[str] | None, Query(max_length=20)] = None,
    channel: Annotated[str | None, Query(max_length=40)] = None,
    since: Since = None,
    until: Until = None,
    resamples: Resamples = 200,
    seed: Seed = 0,
) -> Any:
    """How ``outcome`` (nps, csat, ces or a rating item) responds to each KPI: the curve,
    any threshold, and whether the KPI target sits where customers notice."""
    params = {
        "outcome": outcome,
        "kpis": tuple(kpis) if kpis else None,
        "channel": channel,
        "since": since,
        "until": until,
        "resamples": resamples,
        "seed": seed,
    }
    return cached(request, sw, "kpi-alignment", params, lambda: kpi_alignment(sw, **params))


@router.get("/channels", response_model=Report, summary="Channel consistency")
def channels(request: Request, sw: Scoped, since: Since = None, until: Until = None) -> Any:
    """Each channel's NPS, CSAT, detractor share and theme shares against the others."""
    params = {"since": since, "until": until}
    return cached(request, sw, "channels", params, lambda: channel_gaps(sw, **params))


@router.get("/scores", response_model=Rows, summary="Fair scores")
def scores(
    request: Request,
    sw: Scoped,
    metric: Annotated[str, Query(max_length=200, description="nps, csat or theme:<name>")] = "nps",
    level: Literal["agent", "team"] = "agent",
    since: Since = None,
    until: Until = None,
    team: Annotated[str | None, Query(max_length=128)] = None,
) -> Any:
    """Fair (shrunk) scores per agent or team, worst first; agents with fewer answers than
    the minimum are never ranked."""
    no_people(sw.scope, level)
    params = {"metric": metric, "level": level, "since": since, "until": until, "team": team}
    return cached(request, sw, "scores", params, lambda: fair_scores(sw, **params))


@router.get("/linkage", response_model=Rows, summary="Engagement and customer linkage")
def linkage(
    request: Request,
    sw: Scoped,
    lags: Annotated[int, Query(ge=0, le=12)] = 3,
    since: Since = None,
    until: Until = None,
) -> Any:
    """Correlations of each engagement measure with NPS and CSAT, team-months, lags 0..n."""
    params = {"lags": lags, "since": since, "until": until}
    return cached(request, sw, "linkage", params, lambda: engagement_linkage(sw, **params))
