"""What one signed-in user may see, enforced where the analyses read their tables.

A :class:`Scope` is decided once per user from the app store (role, employee id, team) and
the organisation (:func:`cxloop.act.cases_sync.load_org`):

* **agent**: their own rows (``agent_id`` is their employee id) and the customers they served;
* **team leader**: their team (``team_id``) and its people;
* **manager**: every team whose current leader is in their manager subtree; **head**: all;
* **finance**: aggregates only: no row-level records, no comment text, no people;
* **people lead**: engagement aggregates only (pulses, never below ``privacy.min_pulse_group``,
  enforced by :func:`cxloop.metrics.employee.employee_nps`): no customers, no comments;
* **admin**: everything.

:class:`ScopedWorkspace` behaves like a :class:`~cxloop.workspace.Workspace` for the
analyses (same ``settings``, ``path``, ``app``) but its ``analytics`` hands out tables that
are already filtered, so every analysis run on it sees only the rows in scope. The
connection it exposes refuses anything that could read a table around ``table()`` (raw SQL,
``con.table``) and every write. Check-in notes never come through it: they are read by
:mod:`cxloop.coach.checkins` on the plain workspace, under its own rules.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field

import ibis
from sqlalchemy import select

from .act.cases_sync import Org, load_org
from .errors import NotPermitted
from .store.app.models import Role, User

#: Roles that see aggregates only: their row-level endpoints refuse.
AGGREGATE_ROLES = frozenset({Role.finance, Role.people_lead})
#: Roles that see every team.
ALL_TEAMS = frozenset({Role.head, Role.admin})
#: Free-text columns blanked for aggregate roles.
TEXT_COLUMNS = {"responses": ("comment",), "pulses": ("comment",), "comment_themes": ("evidence",)}
#: Tables only an admin may read (raw input rows, ingest bookkeeping).
ADMIN_TABLES = frozenset({"quarantine", "ingest_log"})
#: Tables keyed by response id (semi-joined to the visible responses).
BY_RESPONSE = frozenset({"response_ratings", "comment_tags", "comment_themes"})


@dataclass(frozen=True)
class Scope:
    """One user's view: ``teams``/``employees`` None mean "all"; ``agent`` limits to one."""

    username: str
    role: Role
    employee_id: str | None = None
    team_id: str | None = None
    teams: frozenset[str] | None = None
    employees: frozenset[str] | None = None
    agent: str | None = None
    key: str = field(default="", compare=False)

    @property
    def aggregates_only(self) -> bool:
        return self.role in AGGREGATE_ROLES

    @property
    def everything(self) -> bool:
        return self.role in ALL_TEAMS

    def require_rows(self, what: str = "records") -> None:
        """NotPermitted for aggregates-only roles (finance, people lead)."""
        if self.aggregates_only:
            raise NotPermitted(f"{self.username!r} ({self.role.value}) may see aggregates "
                               f"only, not individual {what}")  # fmt: skip

    def require_team(self, team_id: str) -> None:
        """NotPermitted unless the team is within the scope."""
        if self.aggregates_only or (self.teams is not None and team_id not in self.teams):
            raise NotPermitted(f"{self.username!r} ({self.role.value}) may not see team "
                               f"{team_id!r}")  # fmt: skip

    def sees_team(self, team_id: str | None) -> bool:
        if self.aggregates_only:
            return False
        return self.teams is None or (team_id is not None and team_id in self.teams)

    def sees_case(self, owner: str | None, team_id: str | None, agent_id: str | None) -> bool:
        """Whether a case (app store) is in scope: cases they own, or about their rows."""
        if self.aggregates_only:
            return False
        if self.everything or (owner is not None and owner in (self.username, self.employee_id)):
            return True
        if self.agent is not None:
            return agent_id is not None and agent_id == self.agent
        return self.sees_team(team_id)

    def sees_employee(self, employee_id: str | None) -> bool:
        if self.aggregates_only:
            return False
        return self.employees is None or (employee_id is not None and employee_id in self.employees)


def subtree(org: Org, root: str) -> set[str]:
    """Everyone below ``root`` in the manager tree, and ``root``."""
    reports: dict[str, list[str]] = {}
    for eid, boss in org.manager.items():
        if boss:
            reports.setdefault(boss, []).append(eid)
    out, todo = {root}, [root]
    while todo:
        for eid in reports.get(todo.pop(), ()):
            if eid not in out:
                out.add(eid)
                todo.append(eid)
    return out


def build_scope(org: Org, username: str, role: Role | str, employee_id: str | None = None,
                team_id: str | None = None) -> Scope:  # fmt: skip
    """The scope of a user with this role, employee id and team in this organisation."""
    role = Role(role)
    team_id = team_id or (org.team.get(employee_id) if employee_id else None)
    teams: frozenset[str] | None = None
    employees: frozenset[str] | None = None
    agent = None
    if role == Role.agent:
        agent = employee_id or ""
        teams = frozenset()
        employees = frozenset({employee_id} if employee_id else ())
    elif role == Role.team_leader:
        teams = frozenset({team_id} if team_id else ())
        employees = _people(org, teams, {employee_id} if employee_id else set())
    elif role == Role.manager:
        below = subtree(org, employee_id) if employee_id else set()
        teams = frozenset(t for t, leader in org.leader_of_team.items() if leader in below)
        employees = _people(org, teams, below)
    elif role in AGGREGATE_ROLES:
        teams, employees = frozenset(), frozenset()
    raw = repr((username, role.value, employee_id, team_id, sorted(teams or ()) if teams
                is not None else None, agent))  # fmt: skip
    key = hashlib.sha256(raw.encode()).hexdigest()[:16]
    return Scope(username, role, employee_id, team_id, teams, employees, agent, key)


def scope_for_user(ws, username: str) -> Scope:
    """The scope of an active app-store user; NotPermitted if there is none."""
    with ws.app.session() as session:
        user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise NotPermitted(f"{username!r} is not an active user of this workspace")
    return build_scope(load_org(ws), user.username, user.role, user.employee_id, user.team_id)


def _people(org: Org, teams: Iterable[str], extra: set[str]) -> frozenset[str]:
    teams = set(teams)
    return frozenset(extra | {e for e, t in org.team.items() if t in teams})


class ScopedConnection:
    """The Ibis connection, read-only, with ``table()`` going through the scope."""

    def __init__(self, store: ScopedAnalytics) -> None:
        self._store = store
        self._con = store.inner.con
        self.name = self._con.name

    def table(self, name: str, *args, **kwargs) -> ibis.Table:
        return self._store.table(name)

    def list_tables(self, *args, **kwargs) -> list[str]:
        return self._con.list_tables(*args, **kwargs)

    def to_pyarrow(self, expr, *args, **kwargs):
        return self._con.to_pyarrow(expr, *args, **kwargs)

    def to_pandas(self, expr, *args, **kwargs):
        return self._con.to_pandas(expr, *args, **kwargs)

    def execute(self, expr, *args, **kwargs):
        if isinstance(expr, str):
            raise NotPermitted("raw SQL is not allowed on a scoped workspace")
        return self._con.execute(expr, *args, **kwargs)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        raise NotPermitted(f"{name!r} is not allowed on a scoped workspace's connection")


class ScopedAnalytics:
    """An analytics store whose tables hold only the rows the scope may see."""

    def __init__(self, inner, scope: Scope) -> None:
        self.inner = inner
        self.scope = scope
        self.url = inner.url
        self.dialect = inner.dialect
        self.con = ScopedConnection(self)
        self._cache: dict[str, ibis.Table] = {}

    def table(self, name: str) -> ibis.Table:
        if name not in self._cache:
            self._cache[name] = self._scoped(name)
        return self._cache[name]

    def count(self, name: str) -> int:
        return int(self.inner.con.to_pyarrow(self.table(name).count()).as_py())

    def ensure_schema(self) -> None:
        """Nothing to do: the inner store's schema is ensured when the workspace opens it."""

    def transaction(self):
        raise NotPermitted("a scoped workspace is read-only")

    def insert(self, name: str, rows) -> None:
        """Only the embeddings cache (text hashes and vectors: no text, no person)."""
        if name != "text_embeddings":
            raise NotPermitted("a scoped workspace is read-only")
        self.inner.insert(name, rows)

    def delete_keys(self, name: str, key: str, values) -> None:
        raise NotPermitted("a scoped workspace is read-only")

    def close(self) -> None:
        """The inner store belongs to the workspace: closing a view closes nothing."""

    # -- the filters --------------------------------------------------------------
    def _scoped(self, name: str) -> ibis.Table:
        t = base_table(self.inner, name)
        s = self.scope
        if name == "checkins" or (name in ADMIN_TABLES and s.role != Role.admin):
            return _none(t)
        if s.aggregates_only:
            return self._aggregate_view(name, t)
        if s.everything:
            return t
        if name in ("responses", "interactions"):
            if s.agent is not None:
                return t.filter(t.agent_id == s.agent)
            return t.filter(t.team_id.isin(sorted(s.teams or ())))
        if name in BY_RESPONSE:
            r = self.table("responses")
            return t.semi_join(r.select("response_id"), "response_id")
        if name == "customers":
            ids = self.table("responses").select("customer_id").union(
                self.table("interactions").select("customer_id"))  # fmt: skip
            return t.semi_join(ids, "customer_id")
        if name == "employees":
            return t.filter(t.employee_id.isin(sorted(s.employees or ())))
        if name == "pulses":
            return t.filter(t.team_id.isin(sorted(s.teams or ())))
        if name == "pulse_ratings":
            return t.semi_join(self.table("pulses").select("pulse_response_id"),
                               "pulse_response_id")  # fmt: skip
        if name == "text_embeddings":
            return t  # vectors keyed by text hash: no text, no person
        return _none(t)

    def _aggregate_view(self, name: str, t: ibis.Table) -> ibis.Table:
        """Finance and people leads: whole tables for counting, without text or people."""
        s = self.scope
        if name == "employees" or name in ADMIN_TABLES:
            return _none(t)
        if s.role == Role.people_lead and name not in ("pulses", "pulse_ratings"):
            return _none(t)
        blank = {c: ibis.null().cast(t[c].type()) for c in TEXT_COLUMNS.get(name, ())
                 if c in t.columns}  # fmt: skip
        if "agent_id" in t.columns:
            blank["agent_id"] = ibis.null().cast("string")
        return t.mutate(**blank) if blank else t


_BASE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def base_table(store, name: str) -> ibis.Table:
    """``store.table(name)``, kept per store: asking the backend for a table's schema costs a
    query, and the canonical tables' schemas never change while a store is open."""
    tables = _BASE.setdefault(store, {})
    if name not in tables:
        tables[name] = store.table(name)
    return tables[name]


def _none(t: ibis.Table) -> ibis.Table:
    return t.filter(ibis.literal(False))


class ScopedWorkspace:
    """A workspace seen through a scope: analyses run on it return only rows in scope."""

    def __init__(self, ws, scope: Scope) -> None:
        self.ws = ws
        self.scope = scope
        self.path = ws.path
        self.settings = ws.settings
        self.analytics = ScopedAnalytics(ws.analytics, scope)

    @property
    def app(self):
        return self.ws.app

    def close(self) -> None:
        """The underlying workspace stays open: it is shared."""

    def __getattr__(self, name: str):
        return getattr(self.ws, name)

    def __repr__(self) -> str:
        return f"ScopedWorkspace({str(self.path)!r}, {self.scope.username!r})"
