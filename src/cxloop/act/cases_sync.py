"""Opening cases: every new survey response that meets a rule gets one case, with an owner
and a due time.

``sync_cases`` is idempotent (a response never gets a second case: the app store's unique
key on ``response_id``, inserts that skip existing keys) and set-based: one analytics query
per rule, one read of the response ids that already have a case, then inserts of up to
``chunk_size`` rows per transaction, each chunk with one audit event (``entity="cases"``,
``action="sync"``) naming how many cases it opened under which rules.

The owner is the current team leader of the response's team (employees: role
``team_leader``, same ``team_id``, not left), else the agent's manager (``manager_id``), else
``cases.queue_owner``; an employee with an app-store user is named by username, otherwise by
employee id. The case is due ``cases.sla_hours[priority]`` business hours after the
response (the customer's clock, see :mod:`cxloop.act.sla`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite

from ..store.app import audit
from ..store.app.models import Case, User
from .rules import match_rules, reason
from .sla import BusinessCalendar, DueClock

SYSTEM_ACTOR = "cxloop"


@dataclass
class SyncResult:
    """What one sync did."""

    opened: int
    already_open: int  # responses meeting a rule that already had a case
    by_rule: dict[str, int] = field(default_factory=dict)
    by_priority: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Org:
    """Who reports to whom: the employees table, plus app-store usernames."""

    role: dict[str, str]
    team: dict[str, str | None]
    manager: dict[str, str | None]
    leader_of_team: dict[str, str]
    username: dict[str, str]  # employee id -> username
    employee_of_user: dict[str, str]  # username -> employee id

    def name(self, employee_id: str) -> str:
        """How an employee is named as an owner: their username, else their employee id."""
        return self.username.get(employee_id, employee_id)

    def employee(self, owner: str | None) -> str | None:
        """The employee id behind an owner (a username or an employee id)."""
        if owner is None:
            return None
        return self.employee_of_user.get(owner, owner if owner in self.role else None)

    def owner_for(self, agent_id: str | None, team_id: str | None, queue: str) -> str:
        """The team leader of the team, else the agent's manager, else the queue owner."""
        team = team_id or (self.team.get(agent_id) if agent_id else None)
        leader = self.leader_of_team.get(team) if team else None
        if leader is not None and leader != agent_id:
            return self.name(leader)
        boss = self.manager.get(agent_id) if agent_id else None
        return self.name(boss) if boss else queue


def load_org(ws) -> Org:
    """The organisation from the analytics store's employees and the app store's users."""
    role: dict[str, str] = {}
    team: dict[str, str | None] = {}
    manager: dict[str, str | None] = {}
    leaders: dict[str, tuple[bool, str, str]] = {}
    if "employees" in ws.analytics.con.list_tables():
        e = ws.analytics.table("employees")
        cols = ws.analytics.con.to_pyarrow(
            e.select("employee_id", "role", "team_id", "manager_id", "started_on", "left_on")
        ).to_pydict()
        for eid, r, t, m, started, left in zip(*cols.values(), strict=True):
            role[eid], team[eid], manager[eid] = r, t, m
            if r == "team_leader" and t:
                key = (left is None, str(started or ""), eid)  # current, then newest
                if t not in leaders or key > leaders[t]:
                    leaders[t] = key
    with ws.app.session() as session:
        pairs = session.execute(select(User.username, User.employee_id).where(
            User.employee_id.is_not(None), User.active.is_(True))).all()  # fmt: skip
    return Org(role, team, manager, {t: k[2] for t, k in leaders.items()},
               {eid: u for u, eid in pairs}, {u: eid for u, eid in pairs})  # fmt: skip


def sync_cases(
    ws,
    now: dt.datetime | None = None,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    chunk_size: int = 5000,
) -> SyncResult:
    """Open a case for every response meeting a rule that has none yet; returns the counts.

    ``since``/``until`` limit the responses considered by answer date (local days).
    """
    started = time.perf_counter()
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    settings = ws.settings
    tz = ZoneInfo(settings.workspace.timezone)
    calendar = BusinessCalendar.from_settings(settings)
    sla = settings.cases.sla_hours
    rules = {r.name: r for r in settings.cases.rules}
    store = ws.app
    matches = match_rules(ws, since, until)
    with store.session("reading the open cases") as session:
        existing = set(session.scalars(select(Case.response_id)))
    new = [m for rid, m in sorted(matches.items()) if rid not in existing]
    org = load_org(ws) if new else None
    reasons: dict[tuple[str, ...], str] = {}
    clock = DueClock(calendar)
    rows = []
    for m in new:
        at = m.responded_at.replace(tzinfo=tz) if m.responded_at.tzinfo is None else m.responded_at
        why = reasons.get(tuple(m.rules))
        if why is None:
            why = reasons[tuple(m.rules)] = reason(m, rules)
        rows.append({
            "response_id": m.response_id, "customer_id": m.customer_id, "agent_id": m.agent_id,
            "team_id": m.team_id, "rule": m.rule, "reason": why,
            "priority": m.priority, "status": "open",
            "owner": org.owner_for(m.agent_id, m.team_id, settings.cases.queue_owner),
            "responded_at": at.astimezone(dt.UTC), "opened_at": now,
            "due_at": clock.due(at, sla[m.priority]), "escalation_level": 0,
            "version": 1,  # created_at, updated_at: the database's clock
            "details": {"rules": m.rules, "nps": m.nps, "channel": m.channel},
        })  # fmt: skip
    dialect = postgresql if store.dialect == "postgresql" else sqlite
    statement = dialect.insert(Case.__table__).on_conflict_do_nothing(
        index_elements=["response_id"]
    ) if store.dialect in ("postgresql", "sqlite") else insert(Case.__table__)  # fmt: skip
    for i in range(0, len(rows), chunk_size):
        chunk = rows[i : i + chunk_size]
        with store.session("opening cases") as session:
            session.execute(statement, chunk)
            audit.add_event(
                session, actor=SYSTEM_ACTOR, entity="cases",
                entity_id=f"sync {now.isoformat()} #{i // chunk_size + 1}", action="sync",
                after={"opened": len(chunk), "by_rule": dict(Counter(r["rule"] for r in chunk)),
                       "first_response": chunk[0]["response_id"],
                       "last_response": chunk[-1]["response_id"]},
            )  # fmt: skip
    return SyncResult(
        opened=len(rows),
        already_open=len(matches) - len(rows),
        by_rule=dict(Counter(r["rule"] for r in rows)),
        by_priority=dict(Counter(r["priority"] for r in rows)),
        seconds=round(time.perf_counter() - started, 3),
    )
