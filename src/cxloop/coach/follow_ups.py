"""Follow-ups of coaching sessions: which are due or overdue, marking one done, and the
reminders.

A session is to be followed up on ``follow_up_on`` (set when it is logged); the follow-up
is open until it is done: a later session names it (``follow_up_of``) or someone marks it
done (``complete_follow_up``), which sets ``followed_up_on``. Days are the workspace's
local days (``workspace.timezone``).

``send_follow_up_reminders`` (run it daily, like ``cxloop cases escalate``):

* ``coaching.reminder_days`` before the due day (up to the due day), a reminder to the
  leader who held the session, once (``reminded_at``);
* once the due day has passed, the leader's manager (employees ``manager_id``) is told,
  once (``overdue_notified_at``): overdue follow-ups are visible to the leader's manager.

Notifications go through the channels of the cases issue (``[cases]`` smtp_host and
webhook_url, :mod:`cxloop.act.notify`), each session changed in its own transaction at
the version it was read, audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..act.cases_sync import SYSTEM_ACTOR, load_org
from ..act.notify import Channel, Notification, channels_from_settings, deliver
from ..errors import NotPermitted, RecordConflict, RecordInvalid
from ..store.app import audit
from ..store.app.models import CoachingSession, User
from .access import viewer
from .sessions import ENTITY, SessionInfo, _attendees, as_day


@dataclass
class FollowUp:
    """One open follow-up: the session, who must follow it up, when, and how late it is."""

    session_id: int
    leader_id: str
    agents: list[str]
    focus_areas: list[str]
    programme: str | None
    held_on: dt.date
    due_on: dt.date
    status: str  # "due" (not yet past) or "overdue"
    days_overdue: int
    leader_manager: str | None
    reminded_at: dt.datetime | None
    overdue_notified_at: dt.datetime | None
    version: int

    def to_dict(self) -> dict[str, Any]:
        return {k: v.isoformat() if isinstance(v, dt.date) else v
                for k, v in asdict(self).items()}  # fmt: skip


@dataclass
class ReminderResult:
    """What one run of the reminders did."""

    reminded: list[int] = field(default_factory=list)  # session ids
    overdue: list[dict] = field(default_factory=list)  # session_id, leader, to, days_overdue
    stuck: list[int] = field(default_factory=list)  # overdue, but the leader has no manager
    conflicts: list[int] = field(default_factory=list)
    sent: int = 0
    failures: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def local_today(ws, now: dt.datetime | None) -> tuple[dt.datetime, dt.date]:
    """(now in UTC, today in the workspace's time zone)."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return now, now.astimezone(ZoneInfo(ws.settings.workspace.timezone)).date()


def follow_ups(
    ws,
    *,
    actor: str | None = None,
    leader: str | None = None,
    agent: str | None = None,
    due_within_days: int | None = None,
    overdue: bool | None = None,
    now: dt.datetime | None = None,
) -> list[FollowUp]:
    """Open follow-ups, most overdue first; optionally one leader's or agent's, due within
    ``due_within_days``, only overdue (True) or only not yet overdue (False). With
    ``actor``, only those the actor may see: their own, their agents', and (for a manager)
    those of the leaders below them."""
    _, today = local_today(ws, now)
    query = (select(CoachingSession)
             .where(CoachingSession.follow_up_on.is_not(None),
                    CoachingSession.followed_up_on.is_(None))
             .order_by(CoachingSession.follow_up_on, CoachingSession.id))  # fmt: skip
    if leader is not None:
        query = query.where(CoachingSession.leader_id == leader)
    if overdue is True:
        query = query.where(CoachingSession.follow_up_on < today)
    elif overdue is False:
        query = query.where(CoachingSession.follow_up_on >= today)
    if due_within_days is not None:
        query = query.where(CoachingSession.follow_up_on
                            <= today + dt.timedelta(days=int(due_within_days)))  # fmt: skip
    with ws.app.session("listing follow-ups") as session:
        rows = list(session.scalars(query))
        attendees = _attendees(session, [r.id for r in rows])
    v = viewer(ws, actor) if actor is not None else None
    org = v.org if v is not None else load_org(ws)
    out = []
    for r in rows:
        agents = attendees.get(r.id, [])
        if agent is not None and agent not in agents:
            continue
        if v is not None:
            mine = v.me is not None and v.me == r.leader_id or v.actor == r.leader_id
            if not (mine or v.can_see_leader(r.leader_id)
                    or any(v.can_see_agent(a) for a in agents)):  # fmt: skip
                continue
            agents = [a for a in agents if v.can_see_agent(a)] if not mine else agents
        late = (today - r.follow_up_on).days
        boss = org.manager.get(org.employee(r.leader_id) or r.leader_id)
        out.append(FollowUp(r.id, r.leader_id, sorted(agents), list(r.focus_areas or []),
                            r.programme, r.held_on, r.follow_up_on,
                            "overdue" if late > 0 else "due", max(late, 0), boss,
                            r.reminded_at, r.overdue_notified_at, r.version))  # fmt: skip
    out.sort(key=lambda f: (-f.days_overdue, f.due_on, f.session_id))
    return out


def complete_follow_up(
    ws,
    session_id: int,
    *,
    actor: str,
    expected_version: int,
    on: dt.date | str | None = None,
    now: dt.datetime | None = None,
) -> SessionInfo:
    """Mark a session's follow-up done on ``on`` (default today), audited; returns the
    session at its new version.

    Only the leader who held the session or someone who may coach its agents may; the
    session must be at ``expected_version`` (else RecordConflict, nothing written).
    """
    _, today = local_today(ws, now)
    day = as_day(on, "on") if on is not None else today
    v = viewer(ws, actor)
    with ws.app.session(f"completing the follow-up of session {session_id}") as session:
        row = session.get(CoachingSession, int(session_id))
        if row is None:
            raise RecordInvalid(f"there is no coaching session {session_id}")
        agents = _attendees(session, [row.id]).get(row.id, [])
        if row.version != expected_version:
            raise RecordConflict(f"coaching session {row.id} is at version {row.version}, not "
                                 f"{expected_version}; reload it and try again")  # fmt: skip
        if not (v.me == row.leader_id or v.actor == row.leader_id
                or any(v.can_coach(a) for a in agents)):  # fmt: skip
            raise NotPermitted(f"{actor!r} may not complete the follow-up of session {row.id}: "
                               "only its leader or someone who coaches its agents may")  # fmt: skip
        if row.follow_up_on is None:
            raise RecordInvalid(f"coaching session {row.id} has no follow-up to complete")
        if row.followed_up_on is not None:
            raise RecordInvalid(f"the follow-up of session {row.id} was done on "
                                f"{row.followed_up_on}")  # fmt: skip
        if day < row.held_on:
            raise RecordInvalid(f"a follow-up ({day}) cannot come before the session "
                                f"({row.held_on})")  # fmt: skip
        row.followed_up_on = day
        session.flush()  # UPDATE ... WHERE version = <read>: a lost race is a RecordConflict
        audit.add_event(session, actor=v.actor, entity=ENTITY, entity_id=row.id,
                        action="follow-up done",
                        before={"followed_up_on": None, "version": expected_version},
                        after={"followed_up_on": day.isoformat(), "version": row.version})  # fmt: skip
        return SessionInfo.of(row, agents)


def send_follow_up_reminders(
    ws, now: dt.datetime | None = None, channels: list[Channel] | None = None
) -> ReminderResult:
    """Remind leaders of follow-ups coming due and tell their managers of overdue ones,
    each once (see the module docstring)."""
    now, today = local_today(ws, now)
    ahead = dt.timedelta(days=ws.settings.coaching.reminder_days)
    channels = channels_from_settings(ws.settings) if channels is None else channels
    open_ones = follow_ups(ws, now=now)
    result = ReminderResult()
    if not open_ones:
        return result
    org = load_org(ws)
    with ws.app.session() as session:
        emails = dict(session.execute(select(User.username, User.email)).all())
    outbox: list[Notification] = []
    for f in open_ones:
        leader = org.employee(f.leader_id) or f.leader_id
        if f.due_on < today and f.overdue_notified_at is None:
            boss = org.manager.get(leader)
            if not boss:
                result.stuck.append(f.session_id)
                continue
            stamp, kind, to = "overdue_notified_at", "overdue", org.name(boss)
            subject = (f"Overdue coaching follow-up: {f.leader_id}'s session of {f.held_on} "
                       f"was due {f.due_on} ({f.days_overdue} days ago)")  # fmt: skip
        elif f.due_on - ahead <= today <= f.due_on and f.reminded_at is None:
            stamp, kind, to = "reminded_at", "reminder", org.name(leader)
            subject = f"Reminder: coaching follow-up due {f.due_on} (session of {f.held_on})"
        else:
            continue
        try:
            with ws.app.session(f"stamping follow-up {f.session_id}") as session:
                row = session.get(CoachingSession, f.session_id)
                if row is None or row.version != f.version or row.followed_up_on is not None:
                    raise RecordConflict(f"coaching session {f.session_id} changed")
                setattr(row, stamp, now)
                session.flush()
                audit.add_event(session, actor=SYSTEM_ACTOR, entity=ENTITY, entity_id=row.id,
                                action=kind, before={stamp: None, "version": f.version},
                                after={stamp: now.isoformat(), "version": row.version,
                                       "to": to})  # fmt: skip
        except RecordConflict:
            result.conflicts.append(f.session_id)
            continue
        if kind == "overdue":
            result.overdue.append({"session_id": f.session_id, "leader": f.leader_id, "to": to,
                                   "days_overdue": f.days_overdue})  # fmt: skip
        else:
            result.reminded.append(f.session_id)
        text = (f"{subject}\n\nAgents: {', '.join(f.agents)}. Focus: "
                f"{', '.join(f.focus_areas)}.\n\ncxloop coach follow-ups --leader "
                f"{f.leader_id}\ncxloop coach done {f.session_id} --actor ... "
                f"--version {f.version + 1}\n")  # fmt: skip
        outbox.append(Notification(kind, None, to, emails.get(to), subject, text,
                                   record=ENTITY, record_id=f.session_id,
                                   details=f.to_dict() | {"version": f.version + 1}))  # fmt: skip
    result.sent, result.failures = deliver(outbox, channels)
    return result
