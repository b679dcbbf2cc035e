"""The audit trail: who changed which record, when, and what it looked like before and after.

Functions here take an open session, so a change and its audit event are written in the
same transaction (both or neither). ``AppStore.record_audit`` / ``audit_trail`` wrap them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...errors import RecordInvalid
from . import checks
from .models import AuditEvent


def add_event(
    session: Session,
    *,
    actor: str,
    entity: str,
    entity_id: str | int,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit event to ``session`` (written when the session commits)."""
    for name, doc in (("before", before), ("after", after)):
        if doc is not None and not isinstance(doc, dict):
            raise RecordInvalid(f"audit {name} must be a mapping or None, not {type(doc).__name__}")
        checks.json_value(doc, field=f"audit {name}")
    event = AuditEvent(
        actor=checks.text(actor, field="actor", max_length=64),
        entity=checks.text(entity, field="entity", max_length=64),
        entity_id=checks.text(str(entity_id), field="entity id", max_length=200),
        action=checks.text(action, field="action", max_length=32),
        before=before,
        after=after,
    )
    session.add(event)
    session.flush()
    return event


def events(session: Session, entity: str, entity_id: str | int) -> list[AuditEvent]:
    """Every audit event of one record, oldest first."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == str(entity_id))
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return list(session.scalars(query))
