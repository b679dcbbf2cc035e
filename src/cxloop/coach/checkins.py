"""1:1 check-in notes: the richer signal the texts value above surveys (PRODUCT.md C7), kept
private.

Notes come from two places: logged in cxloop (the app store's ``checkins``) and ingested
from a file (the analytics store's ``checkins``: checkin_id, employee_id, leader_id,
held_on, notes). Reading them is allowed to the employee, their leader and that leader's
manager only, not to admins, HR or the head (:mod:`cxloop.coach.access`); anyone else gets
``NotPermitted``. Logging one is allowed to the employee's leader or the employee.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select

from ..errors import NotPermitted
from ..store.app import audit, checks
from ..store.app.models import Checkin
from .access import leader_of, require_can_see_agent, viewer
from .sessions import as_day


@dataclass
class CheckinInfo:
    """One check-in note; ``source`` is "cxloop" (logged) or "ingest" (from a file)."""

    id: str
    employee_id: str
    leader_id: str | None
    held_on: dt.date
    notes: str | None
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {k: v.isoformat() if isinstance(v, dt.date) else v
                for k, v in asdict(self).items()}  # fmt: skip


def log_checkin(
    ws, *, actor: str, employee_id: str, held_on: dt.date | str, notes: str
) -> CheckinInfo:
    """Store a check-in note (audited without its text); the actor must be the employee's
    leader or the employee."""
    v = viewer(ws, actor)
    if employee_id not in v.org.role:
        raise NotPermitted(f"{employee_id!r} is not an employee of this workspace")
    leader = leader_of(v.org, employee_id)
    if v.me is None or v.me not in (employee_id, leader):
        raise NotPermitted(f"{actor!r} may not log a check-in for {employee_id!r}: only the "
                           "employee and their leader may")  # fmt: skip
    day = as_day(held_on, "held_on")
    text = checks.text(notes, field="notes", max_length=20_000)
    with ws.app.session("logging a check-in") as session:
        row = Checkin(employee_id=employee_id, leader_id=leader, held_on=day, notes=text,
                      created_by=v.actor)  # fmt: skip
        session.add(row)
        session.flush()
        audit.add_event(session, actor=v.actor, entity="checkin", entity_id=row.id, action="log",
                        after={"employee_id": employee_id, "leader_id": leader,
                               "held_on": day.isoformat(), "notes": "(given)"})  # fmt: skip
    return CheckinInfo(str(row.id), employee_id, leader, day, text, "cxloop")


def checkins(ws, *, actor: str, employee_id: str) -> list[CheckinInfo]:
    """The employee's check-in notes, logged and ingested, newest first; NotPermitted unless
    the actor is the employee, their leader or the leader's manager."""
    require_can_see_agent(ws, actor, employee_id, what="notes")
    with ws.app.session("reading check-ins") as session:
        rows = session.scalars(select(Checkin).where(Checkin.employee_id == employee_id))
        out = [CheckinInfo(str(r.id), r.employee_id, r.leader_id, r.held_on, r.notes, "cxloop")
               for r in rows]  # fmt: skip
    if "checkins" in ws.analytics.con.list_tables():
        t = ws.analytics.table("checkins")
        expr = t.filter(t.employee_id == employee_id).select(
            "checkin_id", "employee_id", "leader_id", "held_on", "notes")  # fmt: skip
        cols = ws.analytics.con.to_pyarrow(expr).to_pydict()
        out.extend(CheckinInfo(*values, "ingest") for values in zip(*cols.values(), strict=True))
    out.sort(key=lambda c: (c.held_on, c.source, c.id), reverse=True)
    return out
