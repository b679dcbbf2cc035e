"""Cases (the inner loop): rules open cases with owners and business-hours SLAs; cases move
through their states with decision rights, versions and an audit trail; overdue cases
escalate with notifications by e-mail (a real local SMTP server) and webhook (a real local
HTTP server); the loop metrics are right on a tiny case computed by hand.

The tiny workspace (``tiny``): one week of November 2026 (UTC, Monday-Friday 09:00-17:00).
Employees: head H1 > manager M1 > team leader L1 (team T1) > agent A1; agent A2 (team T2,
no team leader) reports to M1. Responses:

    R1 T1 nps 3  Mon 11-02 10:00           detractor, normal: due Wed 11-04 10:00
    R2 T1 nps 8  Fri 11-06 16:00 unfair-  hardship rule, high: due Mon 11-09 12:00
    R3 T1 nps 2  Tue 11-03 09:00 hardship- both rules, high wins: due Tue 11-03 13:00
    R4 T2 nps 5  Sat 11-07 12:00           detractor (left out of the sync: no case)
    R5 T1 nps 9  Mon 11-02 11:00 unfair+  positive theme: no case
    R6 T2 nps 10 Mon 11-02 12:00           no case
    R7 T2 nps 0  Wed 11-04 09:00           detractor, normal: due Thu 11-05 17:00, owner M1
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import tomllib

import pytest
from typer.testing import CliRunner

from cxloop import Workspace
from cxloop.act.cases import (
    actor_rights,
    apply_update,
    get_case,
    list_cases,
    load_case,
    update_case,
)
from cxloop.act.cases_sync import sync_cases
from cxloop.act.escalation import escalate_overdue
from cxloop.act.loop_metrics import loop_metrics
from cxloop.act.notify import Notification, SmtpChannel, WebhookChannel
from cxloop.act.sla import BusinessCalendar
from cxloop.cli import app
from cxloop.errors import (
    NotificationFailed,
    NotPermitted,
    RecordConflict,
    RecordInvalid,
    SettingsError,
)
from cxloop.metrics.formulas import share_margin
from cxloop.settings import Settings
from cxloop.settings_file import to_toml
from workspaces import insert_rows, open_copy

UTC = dt.UTC


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in November 2026, UTC."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=UTC)


EMPLOYEES = [
    {"employee_id": "H1", "role": "head"},
    {"employee_id": "M1", "role": "manager", "manager_id": "H1"},
    {"employee_id": "L1", "role": "team_leader", "team_id": "T1", "manager_id": "M1"},
    {
        "employee_id": "L0",
        "role": "team_leader",
        "team_id": "T1",
        "manager_id": "M1",
        "left_on": dt.date(2025, 1, 1),
    },  # fmt: skip
    {"employee_id": "A1", "role": "agent", "team_id": "T1", "manager_id": "L1"},
    {"employee_id": "A2", "role": "agent", "team_id": "T2", "manager_id": "M1"},
]


def _r(rid, day, hour, team, nps, agent=None):  # noqa: ANN001, ANN202
    agent = agent or {"T1": "A1", "T2": "A2"}[team]
    return {"response_id": rid, "responded_at": dt.datetime(2026, 11, day, hour), "nps": nps,
            "team_id": team, "agent_id": agent, "customer_id": f"C-{rid}", "channel": "phone"}  # fmt: skip


RESPONSES = [_r("R1", 2, 10, "T1", 3), _r("R2", 6, 16, "T1", 8), _r("R3", 3, 9, "T1", 2),
             _r("R4", 7, 12, "T2", 5), _r("R5", 2, 11, "T1", 9), _r("R6", 2, 12, "T2", 10),
             _r("R7", 4, 9, "T2", 0)]  # fmt: skip
THEMES = [
    {"response_id": "R2", "theme": "unfair treatment", "sentiment": "negative"},
    {"response_id": "R3", "theme": "financial difficulty", "sentiment": "negative"},
    {"response_id": "R5", "theme": "unfair treatment", "sentiment": "positive"},
]


@pytest.fixture(scope="module")
def _tiny_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("cases") / "tiny"
    with Workspace.init(path) as ws:
        insert_rows(ws, "employees", EMPLOYEES)
        insert_rows(ws, "responses", RESPONSES)
        insert_rows(ws, "comment_themes", THEMES)
    return path


def _tiny(template, tmp_path, app_url: str | None = None, **cases_settings) -> Workspace:
    ws = open_copy(template, tmp_path, app_url, **cases_settings)
    ws.app.add_user(username="lee", display_name="Lee", role="team_leader", employee_id="L1",
                    team_id="T1", email="lee@example.com", actor="admin")  # fmt: skip
    ws.app.add_user(username="ann", display_name="Ann", role="agent", employee_id="A1",
                    team_id="T1", actor="admin")  # fmt: skip
    ws.app.add_user(username="fin", display_name="Fin", role="finance", actor="admin")
    return ws


@pytest.fixture
def tiny(_tiny_template, tmp_path):
    ws = _tiny(_tiny_template, tmp_path)
    yield ws
    ws.close()


def _by_response(ws) -> dict:
    return {c.response_id: c for c in list_cases(ws)}


# -- settings ------------------------------------------------------------------------------
def test_default_rules_and_their_toml_round_trip():
    s = Settings()
    assert [(r.name, r.nps_min, r.nps_max, r.priority) for r in s.cases.rules] == [
        ("detractor", 0, 6, "normal"), ("unfair treatment or hardship", None, None, "high")]  # fmt: skip
    assert "financial difficulty" in s.cases.rules[1].themes
    text = to_toml(s)
    assert "[[cases.rules]]" in text and "sla_hours = {" in text
    assert Settings.from_dict(tomllib.loads(text)) == s


def test_rules_written_by_hand_load_and_bad_rules_are_refused(tmp_path):
    good = {"cases": {"sla_hours": {"urgent": 2, "normal": 16},
                      "rules": [{"name": "chat detractor", "nps_max": 6, "channels": ["chat"],
                                 "priority": "urgent"}]}}  # fmt: skip
    s = Settings.from_dict(good)
    assert s.cases.rules[0].channels == ["chat"] and s.cases.sla_hours["urgent"] == 2
    with pytest.raises(SettingsError, match="has no condition"):
        Settings.from_dict({"cases": {"rules": [{"name": "x"}]}})
    with pytest.raises(SettingsError, match="priority 'urgent' is not in sla_hours"):
        Settings.from_dict({"cases": {"rules": [{"name": "x", "nps_max": 6,
                                                 "priority": "urgent"}]}})  # fmt: skip
    with pytest.raises(SettingsError, match="working days"):
        Settings.from_dict({"cases": {"working_days": ["funday"]}})


def test_init_writes_a_valid_toml_and_settings_command_shows_the_rules(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["init", str(tmp_path / "ws")])
    assert result.exit_code == 0, result.output
    assert Workspace.open(tmp_path / "ws").settings == Settings.from_dict(
        tomllib.loads((tmp_path / "ws" / "cxloop.toml").read_text()))  # fmt: skip
    result = runner.invoke(app, ["settings", "-w", str(tmp_path / "ws"), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {r["key"]: r for r in json.loads(result.stdout)}
    assert rows["cases.rules"]["value"][0]["name"] == "detractor"
    assert rows["cases.sla_hours"]["default"] == {"high": 4.0, "normal": 16.0, "low": 40.0}
    assert runner.invoke(app, ["settings", "-w", str(tmp_path / "ws")]).exit_code == 0


# -- SLA in business hours -----------------------------------------------------------------
def test_business_hours_by_hand():
    cal = BusinessCalendar.from_settings(Settings())  # Mon-Fri 09:00-17:00 UTC
    assert cal.add_hours(at(6, 16), 4) == at(9, 12)  # Fri 16:00 + 4h: 1h Fri, 3h Mon
    assert cal.add_hours(at(7, 12), 16) == at(10, 17)  # Sat: clock starts Mon 09:00
    assert cal.add_hours(at(2, 7), 8) == at(2, 17)  # before opening: starts at 09:00
    assert cal.add_hours(at(2, 18), 1) == at(3, 10)  # after closing: next morning
    assert cal.add_hours(at(2, 10), 16) == at(4, 10)  # "two business days"
    assert cal.hours_between(at(6, 16), at(9, 12)) == 4
    assert cal.hours_between(at(2, 10), at(3, 15)) == 13  # 7 Mon + 6 Tue
    assert cal.hours_between(at(4, 9), at(5, 18)) == 16
    assert cal.hours_between(at(5, 18), at(4, 9)) == 0


def test_business_hours_with_holidays_and_a_time_zone():
    s = Settings.from_dict({"workspace": {"timezone": "Europe/London"},
                            "cases": {"holidays": ["2026-11-09"], "day_starts": "08:30"}})  # fmt: skip
    cal = BusinessCalendar.from_settings(s)
    # Friday 16:00 GMT (= UTC in November) + 4h: 1h Friday, Monday is a holiday, 3h Tuesday
    assert cal.add_hours(at(6, 16), 4) == at(10, 11, 30)
    # across the clock change (Sunday 29 March): Friday 15:00 GMT + 4h = 2h Friday, then
    # Monday 08:30 BST + 2h = 10:30 BST = 09:30 UTC
    assert cal.add_hours(dt.datetime(2026, 3, 27, 15, tzinfo=UTC), 4) == dt.datetime(
        2026, 3, 30, 9, 30, tzinfo=UTC)  # fmt: skip
    # in summer time: Friday 3 April 16:00 BST (15:00 UTC) + 4h -> Monday 11:30 BST
    assert cal.add_hours(dt.datetime(2026, 4, 3, 15, tzinfo=UTC), 4) == dt.datetime(
        2026, 4, 6, 10, 30, tzinfo=UTC)  # fmt: skip
    assert cal.hours_between(dt.datetime(2026, 4, 3, 15, tzinfo=UTC),
                             dt.datetime(2026, 4, 6, 10, 30, tzinfo=UTC)) == 4  # fmt: skip


def test_the_due_clock_shortcut_gives_the_same_due_times():
    import random

    from cxloop.act.sla import DueClock

    rng = random.Random(5)
    for zone, extra in (("UTC", {}), ("Europe/London", {"holidays": ["2026-03-30"],
                        "day_ends": "24:00"}), ("America/New_York", {"working_days": ["sun", "wed"]})):  # fmt: skip
        cal = BusinessCalendar.from_settings(
            Settings.from_dict({"workspace": {"timezone": zone}, "cases": extra}))  # fmt: skip
        clock = DueClock(cal)
        for _ in range(3000):
            start = dt.datetime(2026, 3, 1, tzinfo=UTC) + dt.timedelta(
                minutes=rng.randint(0, 90 * 1440)
            )
            hours = rng.choice([0.5, 4, 16, 40])
            assert clock.due(start, hours) == cal.add_hours(start, hours), (zone, start, hours)


# -- sync ----------------------------------------------------------------------------------
def test_sync_opens_cases_by_the_rules_with_owners_and_due_times(tiny):
    result = sync_cases(tiny, at(8, 12), until=dt.date(2026, 11, 6))
    assert (result.opened, result.already_open) == (4, 0)
    assert result.by_rule == {"detractor": 2, "unfair treatment or hardship": 2}
    cases = _by_response(tiny)
    assert set(cases) == {"R1", "R2", "R3", "R7"}
    got = {rid: (c.rule, c.priority, c.owner, c.due_at, c.status) for rid, c in cases.items()}
    assert got == {
        "R1": ("detractor", "normal", "lee", at(4, 10), "open"),
        "R2": ("unfair treatment or hardship", "high", "lee", at(9, 12), "open"),
        "R3": ("unfair treatment or hardship", "high", "lee", at(3, 13), "open"),
        "R7": ("detractor", "normal", "M1", at(5, 17), "open"),  # no team leader: manager
    }
    assert (
        "detractor (NPS 0-6)" in cases["R3"].reason and "financial difficulty" in cases["R3"].reason
    )
    assert cases["R3"].details["rules"] == ["unfair treatment or hardship", "detractor"]
    assert (cases["R1"].opened_at, cases["R1"].version, cases["R1"].customer_id) == (
        at(8, 12), 1, "C-R1")  # fmt: skip
    again = sync_cases(tiny, at(9, 12))  # idempotent; now R4 too
    assert (again.opened, again.already_open) == (1, 4)
    assert _by_response(tiny)["R4"].due_at == at(10, 17)
    assert sync_cases(tiny).opened == 0
    [event, *_] = [e for e in tiny.app.audit_trail("cases", f"sync {at(8, 12).isoformat()} #1")]
    assert event.action == "sync" and event.after["opened"] == 4


def test_sync_on_the_small_demo_matches_the_rules_and_is_idempotent(copy_of_small_demo):
    with copy_of_small_demo.open() as ws:
        con = ws.analytics.con
        r, t = ws.analytics.table("responses"), ws.analytics.table("comment_themes")
        detractors = set(con.to_pyarrow(r.filter(r.nps <= 6).response_id).to_pylist())
        themed = t.filter(t.theme.isin(["unfair treatment", "financial difficulty",
                                        "complaint handling"]), t.sentiment == "negative")  # fmt: skip
        themed = set(con.to_pyarrow(themed.response_id).to_pylist())
        assert detractors and themed - detractors
        demo_cases = {c.response_id for c in list_cases(ws)}  # the demo opened last month's
        assert demo_cases and demo_cases < detractors | themed
        result = sync_cases(ws)
        assert result.opened == len(detractors | themed) - len(demo_cases)
        assert result.already_open == len(demo_cases)
        cases = list_cases(ws)
        assert {c.response_id for c in cases} == detractors | themed
        assert {c.response_id for c in cases if c.priority == "high"} == themed
        # owners: the team's current team leader
        e = ws.analytics.table("employees")
        leaders = con.to_pyarrow(e.filter(e.role == "team_leader", e.left_on.isnull())
                                 .select("team_id", "employee_id")).to_pydict()  # fmt: skip
        leader = dict(zip(leaders["team_id"], leaders["employee_id"], strict=True))
        # a leader who signs in (the demo's team_leader login) owns cases by username
        username = {u.employee_id: u.username for u in ws.app.list_users() if u.employee_id}
        with_team = [c for c in cases if c.team_id in leader]
        assert with_team and all(c.owner in (leader[c.team_id], username.get(leader[c.team_id]))
                                 for c in with_team)  # fmt: skip
        assert any(c.owner == "team_leader" for c in with_team)  # cases opened after the login
        assert all(c.due_at > c.responded_at for c in cases)
        assert sync_cases(ws).opened == 0
        rows = loop_metrics(ws, by="all", period="all")
        assert rows[0].met_rule == rows[0].cases == len(cases)
        assert rows[0].unactioned == 0 and rows[0].contacted == 0


def test_rules_match_the_same_responses_on_postgres(small_demo, small_demo_on_postgres):
    from cxloop.act.rules import match_rules

    with small_demo.open() as duck, small_demo_on_postgres.open() as pg:
        on_duck, on_pg = match_rules(duck), match_rules(pg)
    assert on_duck and on_duck.keys() == on_pg.keys()
    assert all(on_duck[k].rules == on_pg[k].rules for k in on_duck)


# -- updates: state machine, decision rights, audit ------------------------------------------
@pytest.fixture
def tiny_on_both(_tiny_template, tmp_path, app_store_url):
    """The tiny workspace with its app store on SQLite, then on PostgreSQL."""
    ws = _tiny(_tiny_template, tmp_path, app_url=app_store_url)
    yield ws
    ws.close()


def test_state_machine_decision_rights_and_audit(tiny_on_both):
    tiny = tiny_on_both
    sync_cases(tiny, at(8, 12), until=dt.date(2026, 11, 6))
    c = _by_response(tiny)
    r1 = c["R1"].id
    got = update_case(tiny, r1, actor="ann", expected_version=1, status="contacted",
                      note="Called; customer wants the fee back", now=at(3, 15))  # fmt: skip
    assert (got.status, got.first_contact_at, got.version) == ("contacted", at(3, 15), 2)
    with pytest.raises(NotPermitted, match="refund of 80.00 is above what agent may approve"):
        update_case(tiny, r1, actor="ann", expected_version=2, refund=80)
    update_case(tiny, r1, actor="ann", expected_version=2, refund=30, now=at(3, 16))
    with pytest.raises(RecordInvalid, match="needs a resolution code"):
        update_case(tiny, r1, actor="lee", expected_version=3, status="resolved")
    with pytest.raises(RecordInvalid, match="cannot go from contacted to unable_to_reach"):
        update_case(tiny, r1, actor="lee", expected_version=3, status="unable_to_reach")
    done = update_case(tiny, r1, actor="lee", expected_version=3, status="resolved", refund=80,
                       resolution_code="refund", root_cause_theme="fees and charges",
                       issue_fixed=True, now=at(3, 17))  # fmt: skip
    assert (done.status, done.closed_at, done.issue_fixed, done.version) == (
        "resolved", at(3, 17), True, 4)  # fmt: skip
    assert [x["amount"] for x in done.details["refunds"]] == [30.0, 80.0]
    with pytest.raises(RecordInvalid, match="can only be reopened"):
        update_case(tiny, r1, actor="lee", expected_version=4, status="open")  # no note
    with pytest.raises(NotPermitted, match="may read cases, not change them"):
        update_case(tiny, r1, actor="fin", expected_version=4, note="hello")
    with pytest.raises(NotPermitted, match="neither a user nor an employee"):
        update_case(tiny, r1, actor="nobody", expected_version=4, note="hello")
    # another team's case: the agent may not; the manager (an employee, no user) may
    r7 = c["R7"].id
    with pytest.raises(NotPermitted, match="belongs to team T2"):
        update_case(tiny, r7, actor="ann", expected_version=1, status="contacted")
    assert update_case(tiny, r7, actor="M1", expected_version=1, status="contacted").version == 2
    reopened = update_case(tiny, r1, actor="lee", expected_version=4, status="contacted",
                           note="Customer called back: fee charged again", now=at(5, 9))  # fmt: skip
    assert (reopened.status, reopened.closed_at, reopened.first_contact_at) == (
        "contacted", None, at(3, 15))  # fmt: skip

    detail = get_case(tiny, r1)
    assert [n["author"] for n in detail.notes] == ["ann", "lee"]
    trail = detail.trail
    assert [(e["actor"], e["action"]) for e in trail] == [
        ("cxloop", "open"), ("ann", "status contacted"), ("ann", "update"),
        ("lee", "status resolved"), ("lee", "status contacted")]  # fmt: skip
    assert trail[1]["before"] == {"status": "open", "first_contact_at": None, "version": 1}
    assert trail[1]["after"]["status"] == "contacted"
    assert trail[1]["after"]["note"] == "Called; customer wants the fee back"
    assert trail[3]["after"]["resolution_code"] == "refund" and trail[3]["after"]["version"] == 4
    assert trail[4]["before"]["status"] == "resolved" and trail[4]["after"]["closed_at"] is None


def test_a_stale_version_is_a_clear_conflict_and_changes_nothing(tiny):
    sync_cases(tiny, at(8, 12), until=dt.date(2026, 11, 6))
    r1 = _by_response(tiny)["R1"].id
    update_case(tiny, r1, actor="lee", expected_version=1, note="first")
    with pytest.raises(RecordConflict, match=r"case \d+ is at version 2, not 1: 'lee' changed it"):
        update_case(tiny, r1, actor="ann", expected_version=1, status="contacted", note="late")
    detail = get_case(tiny, r1)
    assert detail.case.status == "open" and [n["text"] for n in detail.notes] == ["first"]


def test_two_people_editing_one_case_at_once_the_second_conflicts(_tiny_template, tmp_path,
                                                                  app_store_url):  # fmt: skip
    """Both sessions read version 1, then both write: one wins, the other gets
    RecordConflict, on SQLite and PostgreSQL; only the winner's change and audit event exist."""
    ws = _tiny(_tiny_template, tmp_path, app_url=app_store_url)
    try:
        sync_cases(ws, at(8, 12), until=dt.date(2026, 11, 6))
        case_id = _by_response(ws)["R1"].id
        rights = {name: actor_rights(ws, name) for name in ("lee", "ann")}
        both_read = threading.Barrier(2, timeout=30)
        outcomes: dict[str, str] = {}

        def edit(name: str, status: str) -> None:
            try:
                with ws.app.session(f"updating case {case_id}") as session:
                    case = load_case(session, case_id)
                    assert case.version == 1
                    both_read.wait()
                    apply_update(session, case, rights[name], expected_version=1,
                                 status=status, note=f"{name} was here",
                                 resolution_code="explained")  # fmt: skip
                outcomes[name] = "won"
            except RecordConflict as e:
                assert "changed by someone else" in str(e) and "try again" in str(e)
                outcomes[name] = "conflict"

        threads = [threading.Thread(target=edit, args=a)
                   for a in (("lee", "resolved"), ("ann", "contacted"))]  # fmt: skip
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(outcomes.values()) == ["conflict", "won"]
        [winner] = [n for n, o in outcomes.items() if o == "won"]
        detail = get_case(ws, case_id)
        assert detail.case.version == 2
        assert detail.case.status == {"lee": "resolved", "ann": "contacted"}[winner]
        assert [n["author"] for n in detail.notes] == [winner]
        assert [e["actor"] for e in detail.trail] == ["cxloop", winner]
    finally:
        ws.close()


# -- loop metrics by hand --------------------------------------------------------------------
def _work_the_cases(ws) -> dict[str, int]:
    sync_cases(ws, at(8, 12), until=dt.date(2026, 11, 6))  # R4 gets no case: unactioned
    ids = {rid: c.id for rid, c in _by_response(ws).items()}
    update_case(ws, ids["R1"], actor="ann", expected_version=1, status="contacted",
                now=at(3, 15))  # in SLA (due Wed 10:00)  # fmt: skip
    update_case(ws, ids["R1"], actor="lee", expected_version=2, status="resolved",
                resolution_code="refund", now=at(4, 9))  # fmt: skip
    update_case(ws, ids["R3"], actor="ann", expected_version=1, status="unable_to_reach",
                now=at(3, 12))  # closed with no contact and no note: no action  # fmt: skip
    update_case(ws, ids["R7"], actor="M1", expected_version=1, status="contacted",
                now=at(5, 18))  # late (due Thu 17:00)  # fmt: skip
    update_case(ws, ids["R2"], actor="lee", expected_version=1, status="resolved",
                resolution_code="no_action", now=at(9, 11))  # fmt: skip
    return ids


def test_loop_metrics_by_hand(tiny_on_both):
    tiny = tiny_on_both
    _work_the_cases(tiny)
    [row] = loop_metrics(tiny, by="all", period="all", now=at(20, 12))
    # rule met: R1 R2 R3 R4 R7; cases: all but R4
    assert (row.met_rule, row.cases) == (5, 4)
    # detractors R1 (in SLA), R3 (closed, never contacted), R4 (no case), R7 (late): 1 of 4
    assert (row.detractors, row.contacted_in_sla, row.in_sla_share) == (4, 1, 25.0)
    assert row.in_sla_margin == 33.5 == round(share_margin(1, 4), 1)  # p~ = 3/8
    # first contact: R1 29 h, R7 33 h, R2 67 h (resolved on first contact) -> median 33 h;
    # business hours 13, 16, 3 -> 13; n = 3: order-statistic interval [x1, x3]
    assert row.contacted == 3
    assert (row.median_hours_to_contact, row.median_business_hours_to_contact) == (33.0, 13.0)
    assert (row.median_hours_low, row.median_hours_high) == (29.0, 67.0)
    # closed: R1 resolved, R2 resolved, R3 unable to reach: 2 of 3
    assert (row.closed, row.resolved, row.resolution_rate, row.resolution_margin) == (
        3, 2, 66.7, 36.7)  # fmt: skip
    # unactioned: R4 (no case) + R3 (closed, no contact, no note) + R2 (code no_action)
    assert (row.no_case, row.closed_no_action, row.unactioned) == (1, 2, 3)
    assert (row.unactioned_share, row.unactioned_margin) == (60.0, 32.5)

    teams = {r.group: r for r in loop_metrics(tiny, by="team", period="month", now=at(20, 12))}
    assert set(teams) == {"T1", "T2"} and teams["T1"].period == "2026-11"
    assert (teams["T1"].met_rule, teams["T1"].detractors, teams["T1"].contacted_in_sla) == (3, 2, 1)
    assert (teams["T2"].met_rule, teams["T2"].detractors, teams["T2"].contacted_in_sla) == (2, 2, 0)
    assert (teams["T2"].no_case, teams["T2"].unactioned) == (1, 1)
    weeks = [r.period for r in loop_metrics(tiny, by="all", period="week", now=at(20, 12))]
    assert weeks == ["2026-W45"]


def test_an_open_case_not_yet_due_is_left_out_of_the_sla_share(tiny):
    sync_cases(tiny, at(2, 10), until=dt.date(2026, 11, 2))  # R1 only, due Wed 10:00
    day = dt.date(2026, 11, 2)
    [row] = loop_metrics(tiny, by="all", period="all", until=day, now=at(3, 12))
    assert (row.met_rule, row.detractors, row.in_sla_share) == (1, 0, None)
    [row] = loop_metrics(tiny, by="all", period="all", until=day, now=at(4, 11))  # overdue
    assert (row.detractors, row.contacted_in_sla) == (1, 0)


# -- escalation and notifications -------------------------------------------------------------
def test_overdue_cases_escalate_with_email_and_webhook(_tiny_template, tmp_path, webhook,
                                                       smtp_server):  # fmt: skip
    url, posted = webhook
    port, mails = smtp_server
    ws = _tiny(_tiny_template, tmp_path, smtp_host="127.0.0.1", smtp_port=port,
               notify_email="cx-leads@example.com", webhook_url=url)  # fmt: skip
    try:
        sync_cases(ws, at(2, 12), until=dt.date(2026, 11, 6))
        ids = {rid: c.id for rid, c in _by_response(ws).items()}
        # Wed 12:00: R1 (due Wed 10:00) and R3 (due Tue 13:00) are overdue -> lee's manager
        first = escalate_overdue(ws, now=at(4, 12))
        moved = sorted((e["case_id"], e["from"], e["to"], e["level"]) for e in first.escalated)
        assert moved == sorted([(ids["R1"], "lee", "M1", 1), (ids["R3"], "lee", "M1", 1)])
        assert first.reminded == [] and first.failures == [] and first.sent == 4
        assert sorted(m[0][0] for m in mails) == ["cx-leads@example.com"] * 2  # M1: no user
        assert any(f"Escalated case {ids['R1']}" in m[1] for m in mails)
        assert sorted(p["case_id"] for p in posted) == sorted([ids["R1"], ids["R3"]])
        assert {p["kind"] for p in posted} == {"escalation"} and posted[0]["case"]["owner"] == "M1"
        case = _by_response(ws)["R1"]
        assert (case.owner, case.escalation_level, case.escalated_at, case.version) == (
            "M1", 1, at(4, 12), 2)  # fmt: skip
        trail = get_case(ws, ids["R1"]).trail
        assert (trail[-1]["action"], trail[-1]["before"]["owner"], trail[-1]["after"]["owner"]) == (
            "escalate", "lee", "M1")  # fmt: skip
        assert escalate_overdue(ws, now=at(4, 12)).escalated == []  # not twice at once
        # Thu 16:00: R7 is due at 17:00 -> a reminder to its owner, M1; R3 (high: 4 business
        # hours) is still open 4 business hours after its escalation -> up again, to the head
        second = escalate_overdue(ws, now=at(5, 16))
        assert second.reminded == [ids["R7"]]
        assert second.escalated == [{"case_id": ids["R3"], "from": "M1", "to": "H1", "level": 2}]
        assert posted[-1]["kind"] == "reminder" and "Reminder" in mails[-1][1]
        assert escalate_overdue(ws, now=at(5, 16, 30)).reminded == []  # reminded once
        # Mon 13:00: R1 a full SLA (16 h) after its escalation -> the head; R7 overdue -> the
        # head; R2 overdue -> M1; R3 is with the head already: no one above
        third = escalate_overdue(ws, now=at(9, 13))
        assert sorted((e["case_id"], e["to"], e["level"]) for e in third.escalated) == sorted(
            [(ids["R1"], "H1", 2), (ids["R7"], "H1", 1), (ids["R2"], "M1", 1)])  # fmt: skip
        assert third.stuck == [ids["R3"]]
        mail_to_lee = [m for m in mails if m[0] == ["lee@example.com"]]
        assert mail_to_lee == []  # lee was never the recipient: only new owners are told
        # no one above the head: the case stays put
        assert sorted(escalate_overdue(ws, now=at(20, 13)).stuck) == sorted(
            [ids["R1"], ids["R3"], ids["R7"]])  # fmt: skip
    finally:
        ws.close()


def test_smtp_channel_with_an_owner_address_and_failures_are_reported(smtp_server):
    port, mails = smtp_server
    n = Notification("reminder", 7, "lee", "lee@example.com", "Reminder: case 7", "Call back")
    assert SmtpChannel("127.0.0.1", port).send(n) is True
    [(to, body)] = mails
    assert to == ["lee@example.com"] and "Subject: Reminder: case 7" in body and "Call back" in body
    assert SmtpChannel("127.0.0.1", port).send(Notification("r", 1, "x", None, "s", "t")) is False
    with pytest.raises(NotificationFailed, match="e-mail to lee@example.com"):
        SmtpChannel("127.0.0.1", 1, timeout=2).send(n)
    with pytest.raises(NotificationFailed, match="webhook"):
        WebhookChannel("http://127.0.0.1:1/hook", timeout=2).send(n)


# -- CLI -------------------------------------------------------------------------------------
def test_cli_commands(tiny):
    runner = CliRunner()
    w = ["-w", str(tiny.path)]
    res = runner.invoke(app, ["cases", "sync", "--until", "2026-11-06", "--now",
                              "2026-11-08T12:00", *w])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "Opened 4 cases" in res.stdout
    res = runner.invoke(app, ["cases", "list", "--team", "T1", "--status", "open", "--now",
                              "2026-11-04T12:00", "--overdue", "--format", "json", *w])  # fmt: skip
    assert res.exit_code == 0, res.output
    listed = json.loads(res.stdout)
    assert sorted(c["response_id"] for c in listed) == ["R1", "R3"]
    r1 = next(c for c in listed if c["response_id"] == "R1")["id"]
    res = runner.invoke(app, ["cases", "update", str(r1), "--status", "contacted", "--note",
                              "Called =1+1", "--actor", "ann", "--version", "1", *w])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "is contacted" in res.stdout and "version 2" in res.stdout
    res = runner.invoke(app, ["cases", "update", str(r1), "--note", "x", "--actor", "ann",
                              "--version", "1", *w])  # fmt: skip
    assert res.exit_code == 1 and "at version 2, not 1" in res.output
    res = runner.invoke(app, ["cases", "update", str(r1), "--refund", "500", "--actor", "ann",
                              "--version", "2", *w])  # fmt: skip
    assert res.exit_code == 1 and "above what agent may approve" in res.output
    res = runner.invoke(app, ["cases", "show", str(r1), *w])
    assert res.exit_code == 0, res.output
    assert "Called =1+1" in res.stdout and "status contacted" in res.stdout
    res = runner.invoke(app, ["cases", "escalate", "--now", "2026-11-04T12:00", *w])
    assert res.exit_code == 0, res.output
    assert "Escalated 1 cases" in res.stdout  # R3 (R1 was contacted)
    res = runner.invoke(app, ["cases", "metrics", "--by", "team", "--period", "month",
                              "--format", "json", *w])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert {r["group"] for r in json.loads(res.stdout)} == {"T1", "T2"}
    assert runner.invoke(app, ["cases", "metrics", *w]).exit_code == 0
    res = runner.invoke(app, ["cases", "metrics", "--by", "nothing", *w])
    assert res.exit_code == 1 and "cannot group" in res.output
    res = runner.invoke(app, ["cases", "show", "999", *w])
    assert res.exit_code == 1 and "no case 999" in res.output
