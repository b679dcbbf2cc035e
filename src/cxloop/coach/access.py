"""Who may see which coaching records: one set of rules, enforced by the API functions.

The organisation comes from the employees table (``manager_id``, ``team_id``, role) and the
app store's users (:func:`cxloop.act.cases_sync.load_org`); the actor is an app-store
username or an employee id (:func:`cxloop.act.cases.actor_rights`).

* **Notes** (1:1 check-in notes, session notes) are the most private: the employee, their
  leader and that leader's manager ONLY (not admins, not HR, not the head). An employee's
  leader is the current team leader of their team; a team leader's leader is their manager.
* **Plans, sessions (without notes) and effects** of an agent: the agent, their leader,
  anyone up the manager chain (the agent's and their leader's), the head and admins.
* **A team leader's own view** (cadence, follow-ups, their team's outcomes): the leader,
  their manager chain, the head and admins.

An agent can never read another agent's plan, sessions or check-ins. Breaking a rule raises
``NotPermitted``, naming the actor and what they asked for, and nothing is returned.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..act.cases import Rights, actor_rights
from ..act.cases_sync import Org, load_org
from ..errors import NotPermitted
from ..store.app.models import Role

#: Roles that may see every agent's plan, sessions and effects (never their notes).
SEE_ALL = frozenset({Role.head, Role.admin})
#: Roles that may log coaching sessions (within their part of the organisation).
COACHES = frozenset({Role.team_leader, Role.manager, Role.head, Role.admin})


def leader_of(org: Org, employee_id: str) -> str | None:
    """The employee's leader: the current team leader of their team, else their manager."""
    team = org.team.get(employee_id)
    leader = org.leader_of_team.get(team) if team else None
    if leader and leader != employee_id:
        return leader
    return org.manager.get(employee_id)


def manager_chain(org: Org, employee_id: str | None) -> Iterator[str]:
    """The employee's manager, their manager's manager, ... up to the top (no cycles)."""
    seen = {employee_id}
    current = org.manager.get(employee_id) if employee_id else None
    while current and current not in seen:
        yield current
        seen.add(current)
        current = org.manager.get(current)


@dataclass
class Viewer:
    """One actor's view of the organisation: what they may see, decided without queries."""

    rights: Rights
    org: Org

    @property
    def actor(self) -> str:
        return self.rights.actor

    @property
    def me(self) -> str | None:
        """The actor's employee id (None for an app-store user with no employee record)."""
        return self.rights.employee_id

    @property
    def sees_all(self) -> bool:
        return self.rights.role in SEE_ALL

    def supervisors(self, employee_id: str) -> set[str]:
        """The employee's leader and everyone up their and their leader's manager chains."""
        leader = leader_of(self.org, employee_id)
        out = set(manager_chain(self.org, employee_id))
        if leader:
            out.add(leader)
            out.update(manager_chain(self.org, leader))
        return out

    def notes_readers(self, employee_id: str) -> set[str]:
        """Who may read the employee's notes: themself, their leader, the leader's manager."""
        leader = leader_of(self.org, employee_id)
        boss = self.org.manager.get(leader) if leader else None
        return {r for r in (employee_id, leader, boss) if r}

    def can_see_agent(self, employee_id: str, what: str = "plan") -> bool:
        """Whether the actor may see the employee's plan/sessions/effects, or their notes."""
        if what == "notes":
            return self.me is not None and self.me in self.notes_readers(employee_id)
        if self.sees_all:
            return True
        if self.me is None:
            return False
        return self.me == employee_id or self.me in self.supervisors(employee_id)

    def can_see_leader(self, leader_id: str) -> bool:
        """Whether the actor may see a team leader's own development view."""
        if self.sees_all:
            return True
        leader = self.org.employee(leader_id) or leader_id
        return self.me is not None and (
            self.me == leader or self.me in manager_chain(self.org, leader)
        )

    def can_coach(self, employee_id: str) -> bool:
        """Whether the actor may log coaching for the employee (never for themself)."""
        if self.rights.role not in COACHES or self.me == employee_id:
            return False
        return self.sees_all or (self.me is not None and self.me in self.supervisors(employee_id))

    def visible_agents(self) -> set[str] | None:
        """Employees whose plan the actor may see; None means everyone."""
        if self.sees_all:
            return None
        return {e for e in self.org.role if self.can_see_agent(e)}


def viewer(ws, actor: str) -> Viewer:
    """The actor's view; NotPermitted if the actor is neither a user nor an employee."""
    return Viewer(actor_rights(ws, actor), load_org(ws))


def require_can_see_agent(ws, actor: str, employee_id: str, what: str = "plan") -> Viewer:
    """NotPermitted unless ``actor`` may see the employee's ``what`` ("plan" or "notes")."""
    if what not in ("plan", "notes"):
        raise ValueError(f"what must be 'plan' or 'notes', not {what!r}")
    v = viewer(ws, actor)
    if not v.can_see_agent(employee_id, what):
        raise NotPermitted(_refusal(v, employee_id, what))
    return v


def require_can_see_leader(ws, actor: str, leader_id: str) -> Viewer:
    """NotPermitted unless ``actor`` is the leader, in their manager chain, head or admin."""
    v = viewer(ws, actor)
    if not v.can_see_leader(leader_id):
        raise NotPermitted(
            f"{actor!r} may not see the team-leader view of {leader_id!r}: only the leader, "
            "their managers, the head and admins may"
        )
    return v


def visible_agents(ws, actor: str) -> set[str] | None:
    """The employees whose plans, sessions and effects ``actor`` may see (None: everyone)."""
    return viewer(ws, actor).visible_agents()


def _refusal(v: Viewer, employee_id: str, what: str) -> str:
    if what == "notes":
        return (f"{v.actor!r} may not read the notes of {employee_id!r}: only the employee, "
                "their leader and the leader's manager may")  # fmt: skip
    return (f"{v.actor!r} ({v.rights.role.value}) may not see the coaching of {employee_id!r}: "
            "only the agent, their leader, their managers, the head and admins may")  # fmt: skip
