"""Settings people edit in the app (targets, thresholds, wording), versioned and audited.

Not to be confused with cxloop.toml (how a workspace is set up). Each setting is a JSON
value with a version; a change names the version it was based on, so two people editing
the same setting never overwrite each other silently: the second gets RecordConflict.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from ...errors import RecordConflict, RecordInvalid
from . import audit, checks
from .models import Setting


def set_setting(
    session: Session,
    key: str,
    value: Any,
    *,
    actor: str,
    expected_version: int | None = None,
) -> Setting:
    """Create or change a setting and write its audit event (before and after).

    ``expected_version`` is the version the editor saw: 0 means "it must not exist yet",
    None means "whatever it is now" (still safe against a change made between this
    function's read and its write). A stale version raises RecordConflict and changes
    nothing. Setting the value it already has changes nothing and writes no event.
    """
    key = checks.text(key, field="setting key", max_length=200)
    value = checks.json_value(value, field=f"setting {key!r}")
    actor = checks.text(actor, field="actor", max_length=64)
    if expected_version is not None and (
        isinstance(expected_version, bool)
        or not isinstance(expected_version, int)
        or expected_version < 0
    ):
        raise RecordInvalid(
            f"expected version must be a whole number >= 0, not {expected_version!r}"
        )
    row = get_setting(session, key)
    if row is None:
        if expected_version not in (None, 0):
            raise RecordConflict(
                f"setting {key!r} does not exist, so it is not at version {expected_version}"
            )
        row = Setting(key=key, value=value, updated_by=actor)
        session.add(row)
        session.flush()
        action, before = "create", None
    else:
        if expected_version is not None and row.version != expected_version:
            raise RecordConflict(
                f"setting {key!r} is at version {row.version}, not {expected_version}: "
                f"{row.updated_by!r} changed it; reload it and try again"
            )
        if checks.canonical_json(row.value) == checks.canonical_json(value):
            return row
        action, before = "update", {"value": row.value, "version": row.version}
        row.value = value
        flag_modified(row, "value")
        row.updated_by = actor
        session.flush()  # UPDATE ... WHERE version = <read>; StaleDataError if it moved
    audit.add_event(
        session,
        actor=actor,
        entity="setting",
        entity_id=key,
        action=action,
        before=before,
        after={"value": row.value, "version": row.version},
    )
    return row


def get_setting(session: Session, key: str) -> Setting | None:
    """The setting with this key, or None."""
    return session.scalar(select(Setting).where(Setting.key == key))
