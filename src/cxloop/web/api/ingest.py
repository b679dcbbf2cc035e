"""POST /api/v1/ingest/{entity}: a JSON list of records into the analytics store.

The same pipeline as ``cxloop ingest`` (:func:`cxloop.ingest.ingest_rows`, ``source="api"``):
rows that fail validation are quarantined with their reasons and the rest stored; posting
the same batch again stores nothing twice (duplicates). The answer is the
``IngestResult``; 422 only when nothing in the batch was usable. Needs an API token (or a
session) with the ``ingest`` scope, held by an admin.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse

from ...errors import NotPermitted
from ...ingest import ingest_rows
from ...store.app.models import Role
from ...workspace import Workspace
from ..deps import Principal, get_workspace, require_scope
from .common import jsonable, result_cache

router = APIRouter(tags=["ingest"])
#: who may load data over HTTP
INGEST_ROLES = frozenset({Role.admin})
#: at most this many records per request
MAX_ROWS = 50_000
Entity = Literal["customers", "employees", "interactions", "responses", "pulses", "checkins"]


@router.post(
    "/ingest/{entity}",
    response_model=dict[str, Any],
    summary="Ingest a batch",
    responses={422: {"description": "Nothing in the batch was usable"}},
)
def ingest(
    request: Request,
    entity: Entity,
    rows: Annotated[
        list[dict[str, Any]],
        Body(
            max_length=MAX_ROWS,
            description="Records, one "
            "object per row, with the entity's field names (docs/data-model.md)",
        ),
    ],
    ws: Annotated[Workspace, Depends(get_workspace)],
    who: Annotated[Principal, Depends(require_scope("ingest"))],
) -> Any:
    """Validate and store the records; returns read, accepted, quarantined, duplicates,
    conflicts and the first reasons rows were turned away."""
    if who.role not in INGEST_ROLES:
        raise NotPermitted(f"{who.username!r} ({who.role.value}) may not load data: admins may")
    result = ingest_rows(ws, entity, rows, source="api")
    result_cache(request).forget()
    body = jsonable(result)
    body["reasons"] = [str(p) for p in result.reasons]
    if not result.usable and result.read:
        first = body["reasons"][0] if body["reasons"] else "no usable row"
        return JSONResponse(
            {"detail": f"nothing usable in {result.read} row(s): {first}", "result": body},
            status_code=422,
        )
    return body
