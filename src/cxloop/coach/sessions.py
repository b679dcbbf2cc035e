"""Coaching sessions: log a 1:1 or a workshop, and list them, with rights and an audit trail.

A session records who coached (``leader_id``), which agents, when, on which focus areas
(:mod:`cxloop.coach.focus`), the agreed actions, private notes, and when it is to be
followed up (``coaching.follow_up_days`` after it unless told otherwise). A session that
follows up an earlier one names it (``follow_up_of``); the earlier one is then marked
followed up on the later one's date.

Rights (:mod:`cxloop.coach.access`): a team leader logs for their own team's agents, a
manager for their part of the organisation, the head and admins for anyone; agents,
finance and people leads cannot log sessions. Reading applies the visibility rules when an
``actor`` is given; notes are returned only to those who may read them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import NotPermitted, RecordInvalid
from ..store.app import audit, checks
from ..store.app.models import CoachingAttendee, CoachingSession, SessionKind
from .access import Viewer, viewer
from .focus import parse_focus_areas

ENTITY = "coaching_session"


@dataclass
class SessionInfo:
    """One coaching session as plain values; ``notes`` only for those allowed to read them."""

    id: int
    kind: str
    leader_id: str
    held_on: dt.date
    programme: str | None
    focus_areas: list[str]
    agreed_actions: str | None
    agents: list[str]
    follow_up_on: dt.date | None
    follow_up_of: int | None
    followed_up_on: dt.date | None
    source: str
    version: int
    notes: str | None = None
    created_by: str = ""

    @classmethod
    def of(cls, row: CoachingSession, agents: list[str], notes: bool = False) -> SessionInfo:
        return cls(
            id=row.id, kind=str(row.kind), leader_id=row.leader_id, held_on=row.held_on,
            programme=row.programme, focus_areas=list(row.focus_areas or []),
            agreed_actions=row.agreed_actions, agents=sorted(agents),
            follow_up_on=row.follow_up_on, follow_up_of=row.follow_up_of,
            followed_up_on=row.followed_up_on, source=row.source, version=row.version,
            notes=row.notes if notes else None, created_by=row.created_by,
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {k: v.isoformat() if isinstance(v, dt.date) else v
                for k, v in asdict(self).items()}  # fmt: skip


def parse_kind(value: str | SessionKind | None, n_agents: int) -> SessionKind:
    """The session kind; by default a 1:1 for one agent and a workshop for several."""
    if value is None:
        return SessionKind.one_to_one if n_agents == 1 else SessionKind.workshop
    key = str(value).strip().lower().replace("-", "_").replace(":", "_to_")
    key = {"1_to_1": "one_to_one", "1to1": "one_to_one", "1_1": "one_to_one"}.get(key, key)
    try:
        return SessionKind(key)
    except ValueError:
        raise RecordInvalid(f"unknown session kind {value!r}: one_to_one or workshop") from None


def agent_list(agents: list[str] | str) -> list[str]:
    """Agents as a list (a list, or one comma-separated string), duplicates dropped."""
    items = agents.split(",") if isinstance(agents, str) else list(agents)
    out = list(dict.fromkeys(a.strip() for a in items if a and a.strip()))
    if not out:
        raise RecordInvalid("a session needs at least one agent")
    return out


def as_day(value: Any, field_name: str) -> dt.date:
    """A date from a date, a datetime or an ISO text (YYYY-MM-DD)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise RecordInvalid(f"{field_name} {value!r} is not a date (YYYY-MM-DD)") from None


def log_session(
    ws,
    *,
    actor: str,
    agents: list[str] | str,
    held_on: dt.date | str,
    focus_areas: list[str] | str,
    kind: str | None = None,
    agreed_actions: str | None = None,
    follow_up_on: dt.date | str | bool | None = None,
    follow_up_of: int | None = None,
    programme: str | None = None,
    notes: str | None = None,
) -> SessionInfo:
    """Log a coaching session (audited) and return it.

    ``follow_up_on`` defaults to ``held_on + coaching.follow_up_days``; ``False`` means no
    follow-up. ``follow_up_of`` names the session this one follows up (it is then marked
    followed up on ``held_on``). RecordInvalid for unknown agents, focus areas or dates;
    NotPermitted if the actor may not coach one of the agents.
    """
    v = viewer(ws, actor)
    agents = agent_list(agents)
    unknown = [a for a in agents if a not in v.org.role]
    if unknown:
        raise RecordInvalid(
            f"unknown employee(s): {', '.join(unknown)} (not in the employees table)"
        )
    refused = [a for a in agents if not v.can_coach(a)]
    if refused:
        raise NotPermitted(
            f"{actor!r} ({v.rights.role.value}) may not log coaching for {', '.join(refused)}: "
            "team leaders coach their own team, managers their part of the organisation"
        )
    held = as_day(held_on, "held_on")
    focus = [f.name for f in parse_focus_areas(ws, focus_areas)]
    due = follow_up_day(ws, held, follow_up_on)
    row = CoachingSession(
        kind=parse_kind(kind, len(agents)), leader_id=v.me or v.actor, held_on=held,
        programme=checks.optional_text(programme, field="programme", max_length=200),
        focus_areas=focus,
        agreed_actions=checks.optional_text(agreed_actions, field="agreed actions",
                                            max_length=10_000),
        notes=checks.optional_text(notes, field="notes", max_length=20_000),
        follow_up_on=due, source="cxloop", created_by=v.actor,
    )  # fmt: skip
    with ws.app.session("logging a coaching session") as session:
        if follow_up_of is not None:
            mark_followed_up(session, int(follow_up_of), held, agents, actor=v.actor)
            row.follow_up_of = int(follow_up_of)
        session.add(row)
        session.flush()
        session.add_all(CoachingAttendee(session_id=row.id, employee_id=a) for a in agents)
        info = SessionInfo.of(row, agents, notes=True)
        audit.add_event(session, actor=v.actor, entity=ENTITY, entity_id=row.id, action="log",
                        after=_audited(info))  # fmt: skip
    return info


def follow_up_day(ws, held: dt.date, follow_up_on: Any) -> dt.date | None:
    """When a session held on ``held`` is to be followed up (None: not at all)."""
    if follow_up_on is False or (isinstance(follow_up_on, str)
                                 and follow_up_on.strip().lower() in ("none", "no", "")):  # fmt: skip
        return None
    if follow_up_on is None or follow_up_on is True:
        return held + dt.timedelta(days=ws.settings.coaching.follow_up_days)
    due = as_day(follow_up_on, "follow_up_on")
    if due <= held:
        raise RecordInvalid(f"the follow-up ({due}) must come after the session ({held})")
    return due


def mark_followed_up(
    session: Session, session_id: int, on: dt.date, agents: list[str], *, actor: str
) -> CoachingSession:
    """Mark an earlier session followed up on ``on`` by a session with ``agents`` (audited)."""
    earlier = session.get(CoachingSession, session_id)
    if earlier is None:
        raise RecordInvalid(f"there is no coaching session {session_id} to follow up")
    theirs = set(session.scalars(select(CoachingAttendee.employee_id)
                                 .where(CoachingAttendee.session_id == session_id)))  # fmt: skip
    if not theirs & set(agents):
        raise RecordInvalid(f"session {session_id} coached {', '.join(sorted(theirs))}, "
                            "none of this session's agents")  # fmt: skip
    if on < earlier.held_on:
        raise RecordInvalid(f"a follow-up ({on}) cannot come before session {session_id} "
                            f"({earlier.held_on})")  # fmt: skip
    if earlier.followed_up_on is None:
        before = earlier.version
        earlier.followed_up_on = on
        session.flush()
        audit.add_event(session, actor=actor, entity=ENTITY, entity_id=earlier.id,
                        action="followed up", before={"followed_up_on": None, "version": before},
                        after={"followed_up_on": on.isoformat(), "version": earlier.version})  # fmt: skip
    return earlier


def list_sessions(
    ws,
    *,
    agent: str | None = None,
    leader: str | None = None,
    team: str | None = None,
    programme: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    actor: str | None = None,
) -> list[SessionInfo]:
    """Sessions, oldest first, optionally for one agent, leader, team (the agents now in
    it), programme or date range. With ``actor``, only sessions with at least one agent
    the actor may see (and only those agents); notes only where the actor may read the
    notes of every agent at the session. Without ``actor`` no notes are returned."""
    v: Viewer | None = viewer(ws, actor) if actor is not None else None
    query = select(CoachingSession).order_by(CoachingSession.held_on, CoachingSession.id)
    if leader is not None:
        query = query.where(CoachingSession.leader_id == leader)
    if programme is not None:
        query = query.where(CoachingSession.programme == programme)
    if since is not None:
        query = query.where(CoachingSession.held_on >= since)
    if until is not None:
        query = query.where(CoachingSession.held_on <= until)
    if agent is not None:
        query = query.where(CoachingSession.id.in_(
            select(CoachingAttendee.session_id).where(CoachingAttendee.employee_id == agent)))  # fmt: skip
    with ws.app.session("listing coaching sessions") as session:
        rows = list(session.scalars(query))
        attendees = _attendees(session, [r.id for r in rows])
    org = v.org if v is not None else None
    if team is not None:
        if org is None:
            from ..act.cases_sync import load_org

            org = load_org(ws)
        rows = [r for r in rows if any(org.team.get(a) == team for a in attendees.get(r.id, []))]
    out = []
    for r in rows:
        agents = attendees.get(r.id, [])
        if v is None:
            out.append(SessionInfo.of(r, agents))
            continue
        seen = [a for a in agents if v.can_see_agent(a)]
        if not seen and not (v.me is not None and v.me == r.leader_id):
            continue
        may_read_notes = bool(agents) and all(v.can_see_agent(a, "notes") for a in agents)
        out.append(SessionInfo.of(r, seen if seen else agents, notes=may_read_notes))
    return out


def get_session(ws, session_id: int, *, actor: str | None = None) -> SessionInfo:
    """One session (visibility as in :func:`list_sessions`); RecordInvalid if there is none."""
    with ws.app.session(f"reading coaching session {session_id}") as session:
        row = session.get(CoachingSession, int(session_id))
        if row is None:
            raise RecordInvalid(f"there is no coaching session {session_id}")
        agents = _attendees(session, [row.id]).get(row.id, [])
    if actor is None:
        return SessionInfo.of(row, agents)
    v = viewer(ws, actor)
    seen = [a for a in agents if v.can_see_agent(a)]
    if not seen and v.me != row.leader_id:
        raise NotPermitted(f"{actor!r} may not see coaching session {session_id}")
    notes = bool(agents) and all(v.can_see_agent(a, "notes") for a in agents)
    return SessionInfo.of(row, seen or agents, notes=notes)


def _attendees(session: Session, ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        pairs = session.execute(select(CoachingAttendee.session_id, CoachingAttendee.employee_id)
                                .where(CoachingAttendee.session_id.in_(chunk)))  # fmt: skip
        for sid, eid in pairs:
            out.setdefault(sid, []).append(eid)
    return out


def _audited(info: SessionInfo) -> dict[str, Any]:
    """The session for the audit trail: everything but the private notes' text."""
    out = info.to_dict()
    out["notes"] = "(given)" if info.notes else None
    return out
