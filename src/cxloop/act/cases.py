"""Working a case: list, show and update, with decision rights, versions and an audit trail.

A case moves ``open -> contacted -> resolved`` or ``-> unable_to_reach`` (``open ->
resolved`` is allowed when the first contact resolves it); a closed case may be reopened
(to ``contacted`` if the customer was reached before, else ``open``) with a note. The first
move to contacted or resolved stamps ``first_contact_at``; closing stamps ``closed_at``;
resolving needs a resolution code.

Every change names the ``version`` the editor read (``expected_version``): if someone else
changed the case since, ``RecordConflict`` and nothing is written. Every change writes one
audit event (who, when, the fields before and after) in the same transaction.

Decision rights (``cases.refund_limits``): the actor is an app-store user (their role), or
an employee id from the employees table (their role there). Finance and people leads only
read cases; agents and team leaders change the cases of their own team or that they own;
managers, heads and admins any case. A refund above the actor role's limit raises
``NotPermitted`` and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import NotPermitted, RecordConflict, RecordInvalid
from ..store.app import audit, checks
from ..store.app.models import Case, CaseNote, CaseStatus, Role, User
from .cases_sync import load_org

OPEN, CONTACTED, RESOLVED, UNREACHABLE = (CaseStatus.open, CaseStatus.contacted,
                                          CaseStatus.resolved, CaseStatus.unable_to_reach)  # fmt: skip
CLOSED = frozenset({RESOLVED, UNREACHABLE})
#: Where each status may go next (reopening is handled separately).
MOVES = {OPEN: {CONTACTED, RESOLVED, UNREACHABLE}, CONTACTED: {RESOLVED}}
READ_ONLY_ROLES = frozenset({Role.finance, Role.people_lead})
TEAM_ROLES = frozenset({Role.agent, Role.team_leader})
#: Resolution code meaning "closed, nothing done" (counted as unactioned feedback).
NO_ACTION = "no_action"


@dataclass
class CaseInfo:
    """One case as plain values, with whether its first contact is overdue."""

    id: int
    response_id: str
    customer_id: str | None
    agent_id: str | None
    team_id: str | None
    rule: str
    reason: str
    priority: str
    status: str
    owner: str | None
    responded_at: dt.datetime
    opened_at: dt.datetime
    due_at: dt.datetime
    first_contact_at: dt.datetime | None
    closed_at: dt.datetime | None
    resolution_code: str | None
    root_cause_theme: str | None
    issue_fixed: bool | None
    escalation_level: int
    escalated_at: dt.datetime | None
    version: int
    details: dict | None
    overdue: bool

    @classmethod
    def of(cls, case: Case, now: dt.datetime) -> CaseInfo:
        values = {f.name: getattr(case, f.name) for f in fields(cls) if f.name != "overdue"}
        values["status"] = str(case.status)
        return cls(**values, overdue=case.status == OPEN and case.due_at < now)

    def to_dict(self) -> dict[str, Any]:
        return {k: v.isoformat() if isinstance(v, dt.datetime) else v
                for k, v in asdict(self).items()}  # fmt: skip


@dataclass
class CaseDetail:
    """A case with its notes and its audit trail (oldest first)."""

    case: CaseInfo
    notes: list[dict[str, Any]]
    trail: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"case": self.case.to_dict(), "notes": self.notes, "trail": self.trail}


@dataclass(frozen=True)
class Rights:
    """What one actor may do: their role, team, employee id and refund limit."""

    actor: str
    role: Role
    team_id: str | None
    employee_id: str | None
    refund_limit: float


def _now(now: dt.datetime | None) -> dt.datetime:
    return (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)


def list_cases(
    ws,
    *,
    team: str | None = None,
    status: str | None = None,
    owner: str | None = None,
    overdue: bool | None = None,
    now: dt.datetime | None = None,
    limit: int | None = None,
) -> list[CaseInfo]:
    """Cases, most urgent first (due time); optionally one team, status, owner, or only
    those overdue (open and past their due time) or not."""
    now = _now(now)
    query = select(Case).order_by(Case.due_at, Case.id)
    if team is not None:
        query = query.where(Case.team_id == team)
    if status is not None:
        query = query.where(Case.status == parse_status(status))
    if owner is not None:
        query = query.where(Case.owner == owner)
    if overdue is True:
        query = query.where(Case.status == OPEN, Case.due_at < now)
    elif overdue is False:
        query = query.where((Case.status != OPEN) | (Case.due_at >= now))
    if limit is not None:
        query = query.limit(limit)
    with ws.app.session("listing cases") as session:
        return [CaseInfo.of(c, now) for c in session.scalars(query)]


def get_case(ws, case_id: int, now: dt.datetime | None = None) -> CaseDetail:
    """One case with its notes and audit trail; RecordInvalid if there is no such case."""
    now = _now(now)
    with ws.app.session(f"reading case {case_id}") as session:
        case = load_case(session, case_id)
        notes = session.scalars(select(CaseNote).where(CaseNote.case_id == case.id)
                                .order_by(CaseNote.created_at, CaseNote.id))  # fmt: skip
        notes = [{"at": n.created_at.isoformat(), "author": n.author, "text": n.text}
                 for n in notes]  # fmt: skip
        trail = [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action,
                  "before": e.before, "after": e.after}
                 for e in audit.events(session, "case", case.id)]  # fmt: skip
        opened = {"at": case.opened_at.isoformat(), "actor": "cxloop", "action": "open",
                  "before": None, "after": {"rule": case.rule, "owner": case.owner,
                                            "due_at": case.due_at.isoformat()}}  # fmt: skip
        return CaseDetail(CaseInfo.of(case, now), notes, [opened, *trail])


def load_case(session: Session, case_id: int) -> Case:
    """The case row (in ``session``), or RecordInvalid."""
    case = session.get(Case, int(case_id))
    if case is None:
        raise RecordInvalid(f"there is no case {case_id}")
    return case


def parse_status(value: str | CaseStatus) -> CaseStatus:
    try:
        return CaseStatus(str(value).strip().lower().replace(" ", "_"))
    except ValueError:
        known = ", ".join(s.value for s in CaseStatus)
        raise RecordInvalid(f"unknown case status {value!r}; the statuses are: {known}") from None


def actor_rights(ws, actor: str) -> Rights:
    """The actor's role and limits: an active app-store user, else an employee id."""
    actor = checks.text(actor, field="actor", max_length=64)
    limits = ws.settings.cases.refund_limits
    with ws.app.session() as session:
        user = session.scalar(select(User).where(User.username == actor))
    if user is not None:
        if not user.active:
            raise NotPermitted(f"user {actor!r} is not active")
        org = load_org(ws) if user.team_id is None and user.employee_id else None
        team = user.team_id or (org.team.get(user.employee_id) if org else None)
        return Rights(actor, user.role, team, user.employee_id, limits.get(str(user.role), 0.0))
    org = load_org(ws)
    if actor in org.role:
        try:
            role = Role(org.role[actor])
        except ValueError:
            raise NotPermitted(f"employee {actor!r} has role {org.role[actor]!r}, which "
                               "has no rights on cases") from None  # fmt: skip
        return Rights(actor, role, org.team.get(actor), actor, limits.get(role.value, 0.0))
    raise NotPermitted(f"{actor!r} is neither a user nor an employee of this workspace")


def check_scope(rights: Rights, case: Case) -> None:
    """NotPermitted unless the actor may change this case at all."""
    if rights.role in READ_ONLY_ROLES:
        raise NotPermitted(
            f"{rights.actor!r} ({rights.role.value}) may read cases, not change them"
        )
    if rights.role in TEAM_ROLES:
        own = case.owner in (rights.actor, rights.employee_id)
        if not own and (case.team_id is None or case.team_id != rights.team_id):
            raise NotPermitted(
                f"case {case.id} belongs to team {case.team_id}; {rights.actor!r} "
                f"({rights.role.value}, team {rights.team_id}) may change only their "
                "own team's cases or cases they own"
            )


def update_case(
    ws,
    case_id: int,
    *,
    actor: str,
    expected_version: int,
    status: str | None = None,
    note: str | None = None,
    resolution_code: str | None = None,
    root_cause_theme: str | None = None,
    issue_fixed: bool | None = None,
    refund: float | None = None,
    now: dt.datetime | None = None,
) -> CaseInfo:
    """Change a case (audited); see the module docstring for the rules it enforces."""
    rights = actor_rights(ws, actor)
    with ws.app.session(f"updating case {case_id}") as session:
        case = load_case(session, case_id)
        return apply_update(
            session, case, rights, expected_version=expected_version, status=status,
            note=note, resolution_code=resolution_code, root_cause_theme=root_cause_theme,
            issue_fixed=issue_fixed, refund=refund, now=now,
        )  # fmt: skip


def apply_update(
    session: Session,
    case: Case,
    rights: Rights,
    *,
    expected_version: int,
    status: str | None = None,
    note: str | None = None,
    resolution_code: str | None = None,
    root_cause_theme: str | None = None,
    issue_fixed: bool | None = None,
    refund: float | None = None,
    now: dt.datetime | None = None,
) -> CaseInfo:
    """:func:`update_case` on a case already read in ``session`` (one transaction)."""
    now = _now(now)
    if case.version != expected_version:
        last = audit.events(session, "case", case.id)
        who = f": {last[-1].actor!r} changed it at {last[-1].at:%Y-%m-%d %H:%M} UTC" if last else ""
        raise RecordConflict(f"case {case.id} is at version {case.version}, not "
                             f"{expected_version}{who}; reload it and try again")  # fmt: skip
    check_scope(rights, case)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}

    def change(name: str, value: Any) -> None:
        old = getattr(case, name)
        if old != value:
            before[name], after[name] = _plain(old), _plain(value)
            setattr(case, name, value)

    note = checks.optional_text(note, field="note", max_length=10_000)
    if status is not None:
        new = parse_status(status)
        old = case.status
        if new != old:
            if old in CLOSED:
                if new not in (OPEN, CONTACTED) or not note:
                    raise RecordInvalid(f"case {case.id} is {old.value}: it can only be "
                                        "reopened (open or contacted), with a note")  # fmt: skip
                if new == CONTACTED and case.first_contact_at is None:
                    raise RecordInvalid(f"case {case.id} was never contacted; reopen it as open")
                change("closed_at", None)
            elif new not in MOVES.get(old, set()):
                raise RecordInvalid(f"case {case.id} cannot go from {old.value} to {new.value}")
            if new in (CONTACTED, RESOLVED) and case.first_contact_at is None:
                change("first_contact_at", now)
            if new in CLOSED:
                change("closed_at", now)
            change("status", new)
    if resolution_code is not None:
        change("resolution_code", checks.text(resolution_code, field="resolution code",
                                              max_length=64))  # fmt: skip
    if root_cause_theme is not None:
        change("root_cause_theme", checks.text(root_cause_theme, field="root-cause theme",
                                               max_length=200))  # fmt: skip
    if issue_fixed is not None:
        change("issue_fixed", bool(issue_fixed))
    if case.status == RESOLVED and not case.resolution_code:
        raise RecordInvalid(f"resolving case {case.id} needs a resolution code")
    if refund is not None:
        amount = float(refund)
        if not amount > 0:
            raise RecordInvalid(f"a refund must be above 0, not {refund!r}")
        if amount > rights.refund_limit:
            raise NotPermitted(
                f"a refund of {amount:,.2f} is above what {rights.role.value} may approve "
                f"({rights.refund_limit:,.2f}); ask a team leader or higher with a larger "
                "limit (cases.refund_limits)"
            )
        details = dict(case.details or {})
        details["refunds"] = [
            *details.get("refunds", []),
            {"amount": amount, "by": rights.actor, "at": now.isoformat()},
        ]
        change("details", details)  # fmt: skip
    if note:
        session.add(CaseNote(case_id=case.id, author=rights.actor, text=note))
        after["note"] = note
    if not after:
        return CaseInfo.of(case, now)
    case.updated_at = now
    session.flush()  # UPDATE ... WHERE version = <read>: a lost race raises RecordConflict
    before["version"], after["version"] = expected_version, case.version
    action = f"status {case.status.value}" if "status" in after else "update"
    audit.add_event(session, actor=rights.actor, entity="case", entity_id=case.id,
                    action=action, before=before, after=after)  # fmt: skip
    return CaseInfo.of(case, now)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, CaseStatus):
        return value.value
    return value
