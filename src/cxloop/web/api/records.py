"""/api/v1 records: cases (list, one with its audit trail, update), improvement actions with
their impact, Customer 360 and outreach lists, all within the caller's scope.

Cases live in the app store, so their scope is checked here with
:meth:`cxloop.scope.Scope.sees_case` (cases the caller owns, or about their team's or their
own responses); the rights to change one stay with :func:`cxloop.act.cases.update_case`.
Customer 360 and outreach run on the scoped workspace: a customer outside the scope is
unknown (404), and a customer's timeline keeps only the answers and cases the caller may see.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import HTTPException
from pydantic import BaseModel, ConfigDict, Field

from ...act import actions as act_actions
from ...act import cases as act_cases
from ...act import outreach as act_outreach
from ...act.customer360 import customer_360
from ...act.impact import action_impact
from ...errors import NotPermitted, RecordInvalid
from ...scope import ScopedWorkspace
from ...store.app.models import Role
from .common import cached, jsonable, locked, scoped, scoped_with

router = APIRouter(tags=["records"])
#: who may build outreach lists (customers across teams, with their value)
OUTREACH_ROLES = frozenset({Role.manager, Role.head, Role.admin})
Record = dict[str, Any]
Reader = Annotated[ScopedWorkspace, Depends(scoped)]
Writer = Annotated[ScopedWorkspace, Depends(scoped_with("write"))]
Text = Annotated[str | None, Query(max_length=128)]
Texts = Annotated[list[str] | None, Query(max_length=20)]
Records = list[dict[str, Any]]


class CaseUpdate(BaseModel):
    """A change to a case; ``expected_version`` is the version you read (409 if it moved)."""

    model_config = ConfigDict(extra="forbid")
    expected_version: int = Field(ge=0)
    status: str | None = Field(
        None, max_length=32, description="open, contacted, resolved, closed..."
    )
    note: str | None = Field(None, max_length=5000)
    resolution_code: str | None = Field(None, max_length=64)
    root_cause_theme: str | None = Field(None, max_length=200)
    issue_fixed: bool | None = None
    refund: float | None = Field(None, ge=0, le=1e9)


def _visible_case(sw: ScopedWorkspace, case_id: int) -> act_cases.CaseDetail:
    sw.scope.require_rows("cases")
    try:
        detail = act_cases.get_case(sw.ws, case_id)
    except RecordInvalid:
        raise HTTPException(404, f"no case {case_id}") from None
    c = detail.case
    if not sw.scope.sees_case(c.owner, c.team_id, c.agent_id):
        raise NotPermitted(f"case {case_id} is outside what {sw.scope.username!r} may see")
    return detail


@router.get("/cases", response_model=Records, summary="Cases in scope, most urgent first")
def cases(
    sw: Reader,
    team: Text = None,
    status: Text = None,
    owner: Text = None,
    overdue: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
) -> Any:
    """Cases the caller may see (their own, their team's, their part of the organisation),
    optionally one team, status, owner, or overdue only. Not for finance or people leads."""
    sw.scope.require_rows("cases")
    found = act_cases.list_cases(sw.ws, team=team, status=status, owner=owner, overdue=overdue)
    return jsonable(
        [c for c in found if sw.scope.sees_case(c.owner, c.team_id, c.agent_id)][:limit]
    )


@router.get("/cases/{case_id}", response_model=Record, summary="One case with its audit trail")
def case(case_id: int, sw: Reader) -> Any:
    """The case, its notes and its audit trail (oldest first)."""
    return jsonable(_visible_case(sw, case_id))


@router.post("/cases/{case_id}", response_model=Record, summary="Update a case")
def update_case(request: Request, case_id: int, change: CaseUpdate, sw: Writer) -> Any:
    """Change status, add a note, record a resolution or a refund, within the caller's
    decision rights; 409 if someone changed the case since ``expected_version``."""
    _visible_case(sw, case_id)
    with locked(request):  # the caller's rights may need the org (analytics store)
        info = act_cases.update_case(
            sw.ws, case_id, actor=sw.scope.username, **change.model_dump(exclude_none=True)
        )
    return jsonable(info)


@router.get("/actions", response_model=Records, summary="Improvement actions")
def actions(sw: Reader, status: Texts = None) -> Any:
    """Improvement actions, newest start first (optionally some statuses only)."""
    return jsonable(act_actions.list_actions(sw.ws, status=status or None))


@router.get("/actions/{action_id}", response_model=Record, summary="One action and its history")
def action(action_id: int, sw: Reader) -> Any:
    """The action and its audit trail."""
    try:
        found = act_actions.get_action(sw.ws, action_id)
    except RecordInvalid:
        raise HTTPException(404, f"no action {action_id}") from None
    return {
        "action": jsonable(found),
        "history": jsonable(act_actions.action_history(sw.ws, action_id)),
    }


@router.get("/actions/{action_id}/impact", response_model=Record, summary="Action before/after")
def impact(
    request: Request,
    action_id: int,
    sw: Reader,
    window_days: Annotated[int, Query(ge=7, le=365)] = 42,
    sigma: Annotated[float, Query(gt=0, le=5)] = 1.96,
) -> Any:
    """Each theme of the action before and after its start, within the caller's scope."""
    try:
        act_actions.get_action(sw.ws, action_id)
    except RecordInvalid:
        raise HTTPException(404, f"no action {action_id}") from None
    params = {"action_id": action_id, "window_days": window_days, "sigma": sigma}
    return cached(request, sw, "impact", params, lambda: action_impact(sw, **params))


@router.get("/customers/{customer_id}", response_model=Record, summary="Customer 360")
def customer(request: Request, customer_id: str, sw: Reader, as_of: dt.date | None = None) -> Any:
    """One customer's account, timeline and next step; 404 unless the customer is in scope."""
    sw.scope.require_rows("customers")
    with locked(request):
        view = jsonable(customer_360(sw, customer_id[:128], as_of=as_of))
        r = sw.analytics.table("responses")
        r = r.filter(r.customer_id == view["customer_id"]).select("response_id")
        visible = set(sw.analytics.con.to_pyarrow(r).column(0).to_pylist())
    ids = {e["detail"].get("case_id") for e in view["timeline"]} - {None}
    cases = {i: act_cases.get_case(sw.ws, i).case for i in sorted(ids)}
    view["timeline"] = [
        e for e in view["timeline"] if _event_visible(sw, e["detail"], visible, cases)
    ]
    return view


def _event_visible(sw: ScopedWorkspace, detail: dict, responses: set, cases: dict) -> bool:
    """A timeline event is shown if its case is in scope, or its answer is."""
    case_id = detail.get("case_id")
    if case_id is not None:
        c = cases.get(case_id)
        return c is not None and sw.scope.sees_case(c.owner, c.team_id, c.agent_id)
    rid = detail.get("response_id")
    return rid is None or rid in responses


def _outreach(sw: ScopedWorkspace) -> None:
    if sw.scope.role not in OUTREACH_ROLES:
        raise NotPermitted(
            f"{sw.scope.username!r} ({sw.scope.role.value}) may not build "
            "outreach lists: managers, the head and admins may"
        )


@router.get("/outreach/incident", response_model=Record, summary="Outreach: a dated incident")
def incident(
    request: Request,
    sw: Reader,
    start: dt.date,
    end: dt.date,
    products: Texts = None,
    segments: Texts = None,
    regions: Texts = None,
    complaint_reasons: Texts = None,
    complaint_themes: Texts = None,
    contact_lag_days: Annotated[int, Query(ge=0, le=365)] = 0,
    comment_lag_days: Annotated[int, Query(ge=0, le=365)] = 45,
) -> Any:
    """Customers hit by an incident between ``start`` and ``end``, ranked by risk and value."""
    _outreach(sw)
    params = {
        "start": start,
        "end": end,
        "products": tuple(products or ()),
        "segments": tuple(segments or ()),
        "regions": tuple(regions or ()),
        "complaint_reasons": tuple(complaint_reasons or ()),
        "complaint_themes": tuple(complaint_themes or ()),
        "contact_lag_days": contact_lag_days,
        "comment_lag_days": comment_lag_days,
    }
    return cached(
        request,
        sw,
        "outreach/incident",
        params,
        lambda: act_outreach.incident_outreach(sw, **params),
    )


@router.get("/outreach/theme", response_model=Record, summary="Outreach: a theme spike")
def theme(
    request: Request,
    sw: Reader,
    theme: Annotated[str, Query(max_length=200)],
    since: dt.date,
    until: dt.date,
    lag_days: Annotated[int, Query(ge=0, le=365)] = 45,
) -> Any:
    """Customers a theme spike between ``since`` and ``until`` points at."""
    _outreach(sw)
    params = {"theme": theme, "since": since, "until": until, "lag_days": lag_days}
    return cached(
        request, sw, "outreach/theme", params, lambda: act_outreach.theme_outreach(sw, **params)
    )


@router.get("/outreach/condition", response_model=Record, summary="Outreach: a bad experience")
def condition(
    request: Request,
    sw: Reader,
    wait_over: Annotated[float | None, Query(ge=0, le=86400)] = 600,
    transfers: Annotated[int | None, Query(ge=0, le=100)] = 2,
    days: Annotated[int, Query(ge=1, le=365)] = 7,
    as_of: dt.date | None = None,
    channels: Texts = None,
) -> Any:
    """Customers whose contacts waited too long or were transferred too often lately."""
    _outreach(sw)
    params = {
        "wait_over": wait_over,
        "transfers": transfers,
        "days": days,
        "as_of": as_of,
        "channels": tuple(channels) if channels else None,
    }
    return cached(
        request,
        sw,
        "outreach/condition",
        params,
        lambda: act_outreach.condition_outreach(sw, **params),
    )
