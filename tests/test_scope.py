"""Scoping in the query layer (cxloop.scope): each role's tables hold exactly its rows."""

from __future__ import annotations

import pytest

from cxloop.act.cases_sync import load_org
from cxloop.errors import NotPermitted
from cxloop.metrics.employee import employee_nps
from cxloop.metrics.survey import survey_scores
from cxloop.scope import ScopedWorkspace, build_scope, scope_for_user, subtree
from cxloop.store.app.models import Role
from cxloop.store.app.users import add_user


@pytest.fixture(scope="module")
def demo(small_demo):
    ws = small_demo.open()
    yield ws, load_org(ws)
    ws.close()


def _ids(ws, table: str, column: str, expr=None) -> set:
    t = expr if expr is not None else ws.analytics.table(table)
    return set(ws.analytics.con.to_pyarrow(t.select(column)).column(0).to_pylist())


def _raw(ws, table, column, **eq) -> set:
    t = ws.analytics.table(table)
    for k, v in eq.items():
        t = t.filter(t[k].isin(v) if isinstance(v, (set, list)) else t[k] == v)
    return _ids(ws, table, column, t)


def _an_agent(org) -> str:
    return sorted(e for e, r in org.role.items() if r == "agent" and org.team.get(e))[0]


def test_an_agent_sees_exactly_their_own_rows(demo):
    ws, org = demo
    me = _an_agent(org)
    sw = ScopedWorkspace(ws, build_scope(org, "a", Role.agent, me))
    assert _ids(sw, "responses", "response_id") == _raw(ws, "responses", "response_id", agent_id=me)
    assert _ids(sw, "interactions", "interaction_id") == _raw(
        ws, "interactions", "interaction_id", agent_id=me
    )
    served = _raw(ws, "responses", "customer_id", agent_id=me) | _raw(
        ws, "interactions", "customer_id", agent_id=me
    )
    assert _ids(sw, "customers", "customer_id") == served - {None}
    assert _ids(sw, "employees", "employee_id") == {me}
    mine = _raw(ws, "responses", "response_id", agent_id=me)
    assert _ids(sw, "comment_themes", "response_id") <= mine
    assert _ids(sw, "response_ratings", "response_id") <= mine
    assert sw.analytics.count("pulses") == 0
    assert sw.analytics.count("checkins") == 0
    assert sw.analytics.count("responses") == len(mine)


def test_a_team_leader_sees_exactly_their_team(demo):
    ws, org = demo
    team, leader = sorted(org.leader_of_team.items())[0]
    sw = ScopedWorkspace(ws, build_scope(org, "tl", Role.team_leader, leader))
    assert sw.scope.teams == {team}
    assert _ids(sw, "responses", "response_id") == _raw(
        ws, "responses", "response_id", team_id=team
    )
    assert _ids(sw, "responses", "team_id") == {team}
    assert _ids(sw, "pulses", "team_id") <= {team}
    assert _ids(sw, "employees", "employee_id") == {e for e, t in org.team.items() if t == team} | {
        leader
    }
    rows = survey_scores(sw, by="team")
    assert [r["team"] for r in rows] == [team]
    assert rows[0]["n"] == len(
        _raw(ws, "responses", "response_id", team_id=team)
        & _raw(ws, "responses", "response_id", nps=list(range(11)))
    )


def test_a_manager_sees_their_subtree(demo):
    ws, org = demo
    manager = sorted(e for e, r in org.role.items() if r == "manager")[0]
    # independently: the teams whose current leader reports (up the chain) to the manager
    teams = set()
    for team, leader in org.leader_of_team.items():
        boss = org.manager.get(leader)
        while boss:
            if boss == manager:
                teams.add(team)
                break
            boss = org.manager.get(boss)
    assert teams and len(teams) < len(org.leader_of_team)
    sw = ScopedWorkspace(ws, build_scope(org, "m", Role.manager, manager))
    assert sw.scope.teams == teams
    assert _ids(sw, "responses", "response_id") == _raw(
        ws, "responses", "response_id", team_id=teams
    )
    assert _ids(sw, "employees", "employee_id") <= subtree(org, manager) | {
        e for e, t in org.team.items() if t in teams
    }
    assert {r["team"] for r in survey_scores(sw, by="team")} <= teams


def test_the_head_and_admin_see_everything_but_checkins(demo):
    ws, org = demo
    head = next(e for e, r in org.role.items() if r == "head")
    for scope in (build_scope(org, "h", Role.head, head), build_scope(org, "ad", Role.admin)):
        sw = ScopedWorkspace(ws, scope)
        assert sw.analytics.count("responses") == ws.analytics.count("responses")
        assert sw.analytics.count("checkins") == 0
    assert ScopedWorkspace(ws, build_scope(org, "h", Role.head)).analytics.count("quarantine") == 0


def test_finance_gets_counts_without_text_or_people(demo):
    ws, org = demo
    sw = ScopedWorkspace(ws, build_scope(org, "f", Role.finance))
    assert sw.analytics.count("responses") == ws.analytics.count("responses")
    assert _ids(sw, "responses", "comment") == {None}
    assert _ids(sw, "responses", "agent_id") == {None}
    assert _ids(sw, "comment_themes", "evidence") <= {None}
    assert sw.analytics.count("employees") == 0
    total = survey_scores(ws)[0]
    assert survey_scores(sw)[0]["n"] == total["n"]
    with pytest.raises(NotPermitted, match="aggregates"):
        sw.scope.require_rows()
    assert not sw.scope.sees_team("T01")


def test_people_lead_gets_engagement_aggregates_only(demo):
    ws, org = demo
    sw = ScopedWorkspace(ws, build_scope(org, "p", Role.people_lead))
    for table in ("responses", "interactions", "customers", "employees", "comment_themes"):
        assert sw.analytics.count(table) == 0, table
    assert sw.analytics.count("pulses") == ws.analytics.count("pulses")
    assert _ids(sw, "pulses", "comment") == {None}
    minimum = ws.settings.privacy.min_pulse_group
    rows = employee_nps(sw, by="team", period="month")
    assert rows and all(r["suppressed"] or r["n"] >= minimum for r in rows)


def test_nothing_reads_around_table_and_nothing_writes(demo):
    ws, org = demo
    sw = ScopedWorkspace(ws, build_scope(org, "a", Role.agent, _an_agent(org)))
    t = sw.analytics.con.table("responses")  # goes through the scope
    assert sw.analytics.con.to_pyarrow(t.count()).as_py() == sw.analytics.count("responses")
    for bad in ("raw_sql", "sql", "insert", "create_table", "read_parquet"):
        with pytest.raises(NotPermitted):
            getattr(sw.analytics.con, bad)
    with pytest.raises(NotPermitted):
        sw.analytics.con.execute("SELECT * FROM responses")
    with pytest.raises(NotPermitted):
        sw.analytics.insert("responses", None)
    with pytest.raises(NotPermitted):
        sw.analytics.transaction()
    assert sw.settings is ws.settings and sw.path == ws.path and sw.app is ws.app


def test_scope_for_user_reads_the_app_store(copy_of_small_demo):
    with copy_of_small_demo.open() as ws:
        org = load_org(ws)
        team, leader = sorted(org.leader_of_team.items())[1]
        with ws.app.session() as session:
            add_user(session, username="lead", display_name="Lead", role="team_leader",
                     actor="test", employee_id=leader)  # fmt: skip
            add_user(session, username="gone", display_name="Gone", role="agent",
                     actor="test", active=False)  # fmt: skip
        scope = scope_for_user(ws, "lead")
        assert (scope.role, scope.team_id, scope.teams) == (Role.team_leader, team, {team})
        assert scope.key == build_scope(org, "lead", Role.team_leader, leader).key
        assert scope.key != build_scope(org, "lead", Role.manager, leader).key
        for who in ("gone", "nobody"):
            with pytest.raises(NotPermitted):
                scope_for_user(ws, who)


def test_cases_in_scope(demo):
    ws, org = demo
    me = _an_agent(org)
    team = org.team[me]
    agent = build_scope(org, "a", Role.agent, me)
    assert agent.sees_case(None, team, me) and agent.sees_case("a", "T99", "E0")
    assert not agent.sees_case(None, team, "someone else")
    leader = build_scope(org, "tl", Role.team_leader, org.leader_of_team[team])
    assert leader.sees_case(None, team, "anyone") and not leader.sees_case(None, "T99", me)
    assert not build_scope(org, "f", Role.finance).sees_case("f", team, me)
    assert build_scope(org, "h", Role.head).sees_case(None, None, None)
    sw = ScopedWorkspace(ws, agent)
    assert not hasattr(sw.analytics.con, "__wrapped__")  # dunders: plain AttributeError
