"""Reminders and escalations: cases about to be due remind their owner; overdue cases go
to the owner's next manager.

``escalate_overdue`` looks at every open case (not yet contacted):

* due within ``cases.reminder_hours`` business hours and not reminded yet: a reminder to
  the owner (``details.reminded_at`` records it, audited as ``remind``);
* past its due time, and not escalated within the last ``cases.sla_hours[priority]``
  business hours: the owner becomes the owner's manager (employees ``manager_id``),
  ``escalation_level`` goes up by one and ``escalated_at`` is stamped, audited as
  ``escalate`` with the owner before and after; the new owner is notified. A case whose
  owner has no manager on record stays where it is (reported as ``no one above``).

Each case changes in its own transaction with the version it was read at, so a person
editing it at the same moment wins and the case is left for the next run. Notifications
are sent after the changes are written (:mod:`cxloop.act.notify`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from sqlalchemy import select

from ..errors import RecordConflict
from ..store.app import audit
from ..store.app.models import Case, CaseStatus, User
from .cases_sync import SYSTEM_ACTOR, load_org
from .notify import Channel, Notification, channels_from_settings, deliver
from .sla import BusinessCalendar


@dataclass
class EscalationResult:
    reminded: list[int] = field(default_factory=list)
    escalated: list[dict] = field(default_factory=list)  # case_id, from, to, level
    stuck: list[int] = field(default_factory=list)  # overdue, but no one above the owner
    conflicts: list[int] = field(default_factory=list)
    sent: int = 0
    failures: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def escalate_overdue(
    ws, now: dt.datetime | None = None, channels: list[Channel] | None = None
) -> EscalationResult:
    """Send due reminders and escalate overdue cases (see the module docstring)."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    settings = ws.settings
    calendar = BusinessCalendar.from_settings(settings)
    sla = settings.cases.sla_hours
    remind_h = settings.cases.reminder_hours
    channels = channels_from_settings(settings) if channels is None else channels
    store = ws.app
    with store.session("reading open cases") as session:
        cases = list(session.scalars(select(Case).where(Case.status == CaseStatus.open)))
        emails = dict(session.execute(select(User.username, User.email)).all())
    org = load_org(ws) if cases else None
    result = EscalationResult()
    outbox: list[Notification] = []
    for case in cases:
        if case.due_at < now:
            last = case.escalated_at
            if last is not None and calendar.add_hours(last, sla[case.priority]) > now:
                continue
            boss = org.manager.get(org.employee(case.owner) or "")
            if not boss:
                result.stuck.append(case.id)
                continue
            new_owner = org.name(boss)
            change = {"owner": new_owner, "escalation_level": case.escalation_level + 1,
                      "escalated_at": now}  # fmt: skip
            action, kind = "escalate", "escalation"
            subject = (f"Escalated case {case.id}: overdue since "
                       f"{case.due_at:%Y-%m-%d %H:%M} UTC (was {case.owner})")  # fmt: skip
        elif calendar.hours_between(now, case.due_at) <= remind_h and not (case.details or {}).get(
            "reminded_at"
        ):
            new_owner = case.owner
            change = {"details": {**(case.details or {}), "reminded_at": now.isoformat()}}
            action, kind = "remind", "reminder"
            subject = f"Reminder: case {case.id} is due {case.due_at:%Y-%m-%d %H:%M} UTC"
        else:
            continue
        try:
            with store.session(f"escalating case {case.id}") as session:
                row = session.get(Case, case.id)
                if row is None or row.version != case.version or row.status != CaseStatus.open:
                    raise RecordConflict(f"case {case.id} changed")
                before = {k: _plain(getattr(row, k)) for k in change}
                for k, v in change.items():
                    setattr(row, k, v)
                row.updated_at = now
                session.flush()
                audit.add_event(session, actor=SYSTEM_ACTOR, entity="case", entity_id=row.id,
                                action=action, before=before | {"version": case.version},
                                after={k: _plain(v) for k, v in change.items()}
                                | {"version": row.version})  # fmt: skip
                info = row.to_dict()
        except RecordConflict:
            result.conflicts.append(case.id)
            continue
        if kind == "escalation":
            result.escalated.append({"case_id": case.id, "from": case.owner, "to": new_owner,
                                     "level": case.escalation_level + 1})  # fmt: skip
        else:
            result.reminded.append(case.id)
        text = (f"{subject}\n\nCustomer {case.customer_id}, team {case.team_id}, priority "
                f"{case.priority}.\nWhy: {case.reason}\n\n"
                f"cxloop cases show {case.id}\n")  # fmt: skip
        outbox.append(Notification(kind, case.id, new_owner or "", emails.get(new_owner or ""),
                                   subject, text, info))  # fmt: skip
    result.sent, result.failures = deliver(outbox, channels)
    return result


def _plain(value):  # noqa: ANN001, ANN202
    return value.isoformat() if isinstance(value, dt.datetime) else value
