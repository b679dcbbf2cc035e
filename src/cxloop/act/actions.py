"""Improvement actions, the "we did" of "you said, we did": records in the app store.

An action is an improvement initiative tied to one or more themes of the workspace's
taxonomy (a theme, or a parent theme meaning all its children), with an owner, a start
day, a status (planned, in_progress, done, dropped), the effect expected and who it is
told to (customers, employees or everyone).

    a = add_action(ws, title="Fix the billing statement", themes=["billing error"],
                   owner="amira", started_on=date(2026, 2, 21), actor="amira")
    a = update_action(ws, a.id, actor="ben", expected_version=a.version, status="done")

Every change is versioned (a stale ``expected_version`` raises ``RecordConflict``, nothing
is overwritten) and written to the audit trail with the record before and after, in the
same transaction as the change (``action_history``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from ..errors import RecordConflict, RecordInvalid
from ..store.app import audit, checks
from ..store.app.models import Action, ActionStatus

AUDIENCES = ("customers", "employees", "everyone")
_EDITABLE = ("title", "description", "themes", "owner", "started_on", "status",
             "expected_effect", "audience")  # fmt: skip
_UNSET: Any = object()


@dataclass
class ImprovementAction:
    """One action as plain values (detached from the store)."""

    id: int
    title: str
    description: str | None
    themes: list[str]
    owner: str
    started_on: dt.date
    status: str
    expected_effect: str | None
    audience: str
    created_by: str
    version: int
    created_at: dt.datetime | None
    updated_at: dt.datetime | None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for k in ("started_on", "created_at", "updated_at"):
            out[k] = out[k].isoformat() if out[k] is not None else None
        return out


def _view(row: Action) -> ImprovementAction:
    return ImprovementAction(
        id=row.id, title=row.title, description=row.description, themes=list(row.themes or []),
        owner=row.owner, started_on=row.started_on, status=str(row.status),
        expected_effect=row.expected_effect, audience=row.audience, created_by=row.created_by,
        version=row.version, created_at=row.created_at, updated_at=row.updated_at)  # fmt: skip


def _audit_doc(row: Action) -> dict[str, Any]:
    """What the audit trail keeps of an action (the editable fields and the version)."""
    doc = {k: getattr(row, k) for k in _EDITABLE}
    doc["started_on"] = row.started_on.isoformat()
    doc["status"] = str(row.status)
    doc["themes"] = list(row.themes or [])
    doc["version"] = row.version
    return doc


# -- checks -----------------------------------------------------------------------------------
def check_themes(ws, themes: Any) -> list[str]:
    """``themes`` as names of the workspace taxonomy (its own spelling), or RecordInvalid.

    Accepts a list or one comma-separated string; matching ignores case and spaces around.
    """
    from ..text.workspace_tags import workspace_taxonomy

    if isinstance(themes, str):
        themes = [t for t in themes.split(",")]
    if not isinstance(themes, (list, tuple)):
        raise RecordInvalid(f"themes must be a list of theme names, not {type(themes).__name__}")
    names = workspace_taxonomy(ws).names
    by_lower = {n.lower(): n for n in names}
    out: list[str] = []
    for t in themes:
        if not isinstance(t, str) or not t.strip():
            continue
        name = by_lower.get(" ".join(t.split()).lower())
        if name is None:
            raise RecordInvalid(f"{t.strip()!r} is not a theme or parent theme of the taxonomy; "
                                "see `cxloop themes summary`")  # fmt: skip
        if name not in out:
            out.append(name)
    if not out:
        raise RecordInvalid("an action needs at least one theme")
    return out


def _status(value: Any) -> ActionStatus:
    try:
        return ActionStatus(str(value).strip().lower().replace(" ", "_").replace("-", "_"))
    except ValueError:
        known = ", ".join(s.value for s in ActionStatus)
        raise RecordInvalid(f"unknown action status {value!r}; the statuses are: {known}") from None


def _audience(value: Any) -> str:
    a = str(value).strip().lower() if value is not None else ""
    if a not in AUDIENCES:
        raise RecordInvalid(f"unknown audience {value!r}; choose from: {', '.join(AUDIENCES)}")
    return a


def _day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise RecordInvalid(f"start day {value!r} is not a date (YYYY-MM-DD)")


def _version(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RecordInvalid(f"expected version must be a whole number >= 1, not {value!r}")
    return value


# -- API ----------------------------------------------------------------------------------------
def add_action(
    ws,
    *,
    title: str,
    themes: list[str] | str,
    owner: str,
    started_on: dt.date | str,
    actor: str,
    description: str | None = None,
    status: str = "planned",
    expected_effect: str | None = None,
    audience: str = "everyone",
) -> ImprovementAction:
    """Add an action (audited "create"); themes are checked against the taxonomy."""
    row = Action(
        title=checks.text(title, field="title", max_length=200),
        description=checks.optional_text(description, field="description", max_length=20_000),
        themes=check_themes(ws, themes),
        owner=checks.text(owner, field="owner", max_length=128),
        started_on=_day(started_on),
        status=_status(status),
        expected_effect=checks.optional_text(
            expected_effect, field="expected effect", max_length=20_000
        ),  # fmt: skip
        audience=_audience(audience),
        created_by=checks.text(actor, field="actor", max_length=64),
    )
    with ws.app.session("adding an action") as session:
        session.add(row)
        session.flush()
        audit.add_event(session, actor=row.created_by, entity="action", entity_id=row.id,
                        action="create", after=_audit_doc(row))  # fmt: skip
        return _view(row)


def update_action(
    ws,
    action_id: int,
    *,
    actor: str,
    expected_version: int,
    title: str = _UNSET,
    description: str | None = _UNSET,
    themes: list[str] | str = _UNSET,
    owner: str = _UNSET,
    started_on: dt.date | str = _UNSET,
    status: str = _UNSET,
    expected_effect: str | None = _UNSET,
    audience: str = _UNSET,
) -> ImprovementAction:
    """Change an action: only the fields given. ``expected_version`` is the version the
    editor read; if someone changed the action since, RecordConflict and nothing changes.
    A change that changes nothing writes no event and keeps the version."""
    actor = checks.text(actor, field="actor", max_length=64)
    expected_version = _version(expected_version)
    new: dict[str, Any] = {}
    if title is not _UNSET:
        new["title"] = checks.text(title, field="title", max_length=200)
    if description is not _UNSET:
        new["description"] = checks.optional_text(description, field="description",
                                                  max_length=20_000)  # fmt: skip
    if themes is not _UNSET:
        new["themes"] = check_themes(ws, themes)
    if owner is not _UNSET:
        new["owner"] = checks.text(owner, field="owner", max_length=128)
    if started_on is not _UNSET:
        new["started_on"] = _day(started_on)
    if status is not _UNSET:
        new["status"] = _status(status)
    if expected_effect is not _UNSET:
        new["expected_effect"] = checks.optional_text(expected_effect, field="expected effect",
                                                      max_length=20_000)  # fmt: skip
    if audience is not _UNSET:
        new["audience"] = _audience(audience)
    with ws.app.session(f"changing action {action_id}") as session:
        row = _get(session, action_id)
        if row.version != expected_version:
            raise RecordConflict(
                f"action {action_id} is at version {row.version}, not {expected_version}: "
                "someone changed it since you read it; reload it and try again")  # fmt: skip
        changed = {k: v for k, v in new.items() if getattr(row, k) != v}
        if not changed:
            return _view(row)
        before = _audit_doc(row)
        for k, v in changed.items():
            setattr(row, k, v)
        if "themes" in changed:
            flag_modified(row, "themes")
        session.flush()  # UPDATE ... WHERE version = <read>: StaleDataError if it moved
        audit.add_event(session, actor=actor, entity="action", entity_id=row.id,
                        action="update", before=before, after=_audit_doc(row))  # fmt: skip
        return _view(row)


def _get(session: Session, action_id: int) -> Action:
    if isinstance(action_id, bool) or not isinstance(action_id, int):
        raise RecordInvalid(f"action id must be a whole number, not {action_id!r}")
    row = session.get(Action, action_id)
    if row is None:
        raise RecordInvalid(f"no action {action_id}; see `cxloop actions list`")
    return row


def get_action(ws, action_id: int) -> ImprovementAction:
    """One action; RecordInvalid if there is none with this id."""
    with ws.app.session() as session:
        return _view(_get(session, action_id))


def list_actions(ws, status: str | list[str] | None = None) -> list[ImprovementAction]:
    """Actions, newest start first; only those with ``status`` (one or several) if given."""
    query = select(Action).order_by(Action.started_on.desc(), Action.id.desc())
    if status is not None:
        wanted = [status] if isinstance(status, str) else list(status)
        query = query.where(Action.status.in_([_status(s) for s in wanted]))
    with ws.app.session() as session:
        return [_view(r) for r in session.scalars(query)]


def action_history(ws, action_id: int) -> list[dict[str, Any]]:
    """The action's audit trail, oldest first: who, when, what, before and after."""
    return [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "before": e.before,
             "after": e.after} for e in ws.app.audit_trail("action", action_id)]  # fmt: skip
