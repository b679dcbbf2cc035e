"""/api/v1/coaching: plans, team plans, sessions, coaching effect and a leader's own view.

Coaching has its own visibility rules (:mod:`cxloop.coach.access`: an agent sees only their
own plan, a leader their team's, managers their part of the organisation, never notes
beyond the leader's manager), so these routes call the coaching functions on the whole
workspace with ``actor=`` the caller's username and let them refuse (403).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from ...coach.effect import coaching_effect
from ...coach.effect_summary import coaching_effect_summary
from ...coach.leader_view import leader_view
from ...coach.plan_team import team_plan
from ...coach.recommend import coaching_plan
from ...coach.sessions import list_sessions
from ...scope import ScopedWorkspace
from .common import cached, jsonable, locked, scoped

router = APIRouter(prefix="/coaching", tags=["coaching"])

Id = Annotated[str, Path(max_length=128)]
OptionalId = Annotated[str | None, Query(max_length=128)]
Name = Annotated[str | None, Query(max_length=200)]
Reader = Annotated[ScopedWorkspace, Depends(scoped)]


@router.get("/plans/{agent}", response_model=dict[str, Any], summary="An agent's coaching plan")
def plan(
    request: Request,
    sw: Reader,
    agent: Id,
    as_of: dt.date | None = None,
    since: dt.date | None = None,
) -> Any:
    """The agent's focus areas and strengths with their evidence (the agent, their leader,
    their managers, the head and admins only)."""
    params = {"as_of": as_of, "since": since}
    return cached(
        request,
        sw,
        "coaching/plan",
        {"agent": agent, **params},
        lambda: coaching_plan(sw.ws, agent, actor=sw.scope.username, **params),
    )


@router.get("/team/{team}", response_model=dict[str, Any], summary="A team's coaching plan")
def team(
    request: Request,
    sw: Reader,
    team: Id,
    as_of: dt.date | None = None,
    since: dt.date | None = None,
) -> Any:
    """The team's shared focus and each agent's plan (the team's leader and above)."""
    params = {"as_of": as_of, "since": since}
    return cached(
        request,
        sw,
        "coaching/team",
        {"team": team, **params},
        lambda: team_plan(sw.ws, team, actor=sw.scope.username, **params),
    )


@router.get("/sessions", response_model=list[dict[str, Any]], summary="Coaching sessions")
def sessions(
    request: Request,
    sw: Reader,
    agent: OptionalId = None,
    leader: OptionalId = None,
    team: OptionalId = None,
    programme: Name = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> Any:
    """Sessions the caller may see, oldest first (never their notes here)."""
    with locked(request):  # who may see whom comes from the org (analytics store)
        found = list_sessions(
            sw.ws,
            agent=agent,
            leader=leader,
            team=team,
            programme=programme,
            since=since,
            until=until,
            actor=sw.scope.username,
        )
    return jsonable(found)


@router.get("/effect", response_model=list[dict[str, Any]], summary="Did coaching work?")
def effect(
    request: Request,
    sw: Reader,
    agent: OptionalId = None,
    leader: OptionalId = None,
    team: OptionalId = None,
    programme: Name = None,
    focus: Name = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    by: Literal["area", "programme", "leader", "kind", "followed_up", "focus"] = "area",
) -> Any:
    """Each coached area against uncoached peers (``by=area``), or pooled per programme,
    leader, kind, follow-up or focus."""
    params = {
        "agent": agent,
        "leader": leader,
        "team": team,
        "programme": programme,
        "focus": focus,
        "since": since,
        "until": until,
        "actor": sw.scope.username,
    }
    if by == "area":
        return cached(
            request, sw, "coaching/effect", params, lambda: coaching_effect(sw.ws, **params)
        )
    return cached(
        request,
        sw,
        "coaching/effect",
        {**params, "by": by},
        lambda: coaching_effect_summary(sw.ws, by=by, **params),
    )


@router.get("/leader/{leader}", response_model=dict[str, Any], summary="A team leader's view")
def leader(
    request: Request,
    sw: Reader,
    leader: Id,
    months: Annotated[int, Query(ge=1, le=24)] = 6,
    until: dt.date | None = None,
) -> Any:
    """The leader's coaching cadence, follow-ups and their team's outcomes (the leader,
    their managers, the head and admins)."""
    params = {"months": months, "until": until}
    return cached(
        request,
        sw,
        "coaching/leader",
        {"leader": leader, **params},
        lambda: leader_view(sw.ws, leader, actor=sw.scope.username, **params),
    )
