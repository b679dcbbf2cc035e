"""Coaching records: sessions, follow-ups, reminders, check-ins, visibility and import.

Contract guarded (the app-store tests run on SQLite and PostgreSQL): the 0003 migration
goes up and down; sessions are logged with rights and an audit trail and listed with
visibility (an agent never sees another agent's sessions or check-ins; the leader's
manager does; an unrelated team leader does not; notes only to the employee, their leader
and the leader's manager); follow-ups are scheduled, linked, completed with a version
check (a stale edit is a RecordConflict), reminded once to the leader and, once overdue,
notified once to the leader's manager by e-mail (a real local SMTP server) and webhook (a
real local HTTP server); importing the demo's coaching.csv is idempotent and links
follow-ups; bad rows are reported one line each; CLI errors are one line.

The tiny organisation (``tiny``):

    H1 head
    ├── M1 manager ── L1 team leader (T1) ── A1, A2 agents (T1)
    └── M2 manager ── L2 team leader (T2) ── A3 agent (T2)

Users: lee (L1, lee@example.com), mo (M1, mo@example.com), root (admin), pat (people lead).
"""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from typer.testing import CliRunner

from cxloop import Workspace
from cxloop.cli import app
from cxloop.coach import (
    checkins,
    complete_follow_up,
    follow_ups,
    get_session,
    import_sessions,
    list_sessions,
    log_checkin,
    log_session,
    require_can_see_agent,
    require_can_see_leader,
    send_follow_up_reminders,
    visible_agents,
)
from cxloop.errors import (
    InputUnreadable,
    NotPermitted,
    RecordConflict,
    RecordInvalid,
    StoreError,
)
from cxloop.store.app import AppStore
from workspaces import insert_rows, open_copy

D = dt.date
EMPLOYEES = [
    {"employee_id": "H1", "role": "head"},
    {"employee_id": "M1", "role": "manager", "manager_id": "H1"},
    {"employee_id": "M2", "role": "manager", "manager_id": "H1"},
    {"employee_id": "L1", "role": "team_leader", "team_id": "T1", "manager_id": "M1"},
    {"employee_id": "L2", "role": "team_leader", "team_id": "T2", "manager_id": "M2"},
    {"employee_id": "A1", "role": "agent", "team_id": "T1", "manager_id": "L1"},
    {"employee_id": "A2", "role": "agent", "team_id": "T1", "manager_id": "L1"},
    {"employee_id": "A3", "role": "agent", "team_id": "T2", "manager_id": "L2"},
]
INGESTED_CHECKINS = [
    {"checkin_id": "K1", "employee_id": "A1", "leader_id": "L1", "held_on": D(2026, 10, 1),
     "notes": "Ingested: talked about <b>[red]workload[/red]</b>"},
    {"checkin_id": "K2", "employee_id": "A2", "leader_id": "L1", "held_on": D(2026, 10, 2),
     "notes": "A2's private note"},
]  # fmt: skip


@pytest.fixture(scope="module")
def _template(tmp_path_factory):
    path = tmp_path_factory.mktemp("coach") / "tiny"
    with Workspace.init(path) as ws:
        insert_rows(ws, "employees", EMPLOYEES)
        insert_rows(ws, "checkins", INGESTED_CHECKINS)
    return path


def _tiny(template, tmp_path, app_url: str | None = None, **cases_settings) -> Workspace:
    ws = open_copy(template, tmp_path, app_url, **cases_settings)
    for username, role, eid, email in (("lee", "team_leader", "L1", "lee@example.com"),
                                       ("mo", "manager", "M1", "mo@example.com"),
                                       ("root", "admin", None, None),
                                       ("pat", "people_lead", None, None)):  # fmt: skip
        ws.app.add_user(username=username, display_name=username.title(), role=role,
                        employee_id=eid, email=email, actor="test")  # fmt: skip
    return ws


@pytest.fixture
def tiny(_template, tmp_path, app_store_url):
    ws = _tiny(_template, tmp_path, app_store_url)
    yield ws
    ws.close()


@pytest.fixture
def tiny_sqlite(_template, tmp_path):
    ws = _tiny(_template, tmp_path)
    yield ws
    ws.close()


# -- migration ---------------------------------------------------------------------------------
def test_migration_0003_goes_up_and_down(app_store_url):
    from sqlalchemy import inspect

    coaching = {"coaching_sessions", "coaching_attendees", "checkins"}
    with AppStore(app_store_url) as store:
        store.upgrade("0002")
        assert not coaching & set(inspect(store.engine).get_table_names())
        store.upgrade("0003")
        assert store.current_revision() == "0003"
        assert coaching <= set(inspect(store.engine).get_table_names())
        store.downgrade("0002")
        assert not coaching & set(inspect(store.engine).get_table_names())
        assert store.current_revision() == "0002"


# -- sessions ----------------------------------------------------------------------------------
def test_log_and_list_sessions_with_visibility(tiny):
    s = log_session(tiny, actor="lee", agents="A1", held_on="2026-11-02",
                    focus_areas="Did not listen, nps", agreed_actions="Summarise first",
                    notes="Worried about the new product")  # fmt: skip
    assert (s.kind, s.leader_id, s.agents, s.focus_areas) == (
        "one_to_one", "L1", ["A1"], ["did not listen", "nps"])  # fmt: skip
    assert s.follow_up_on == D(2026, 11, 30) and s.version == 1  # follow_up_days = 28
    w = log_session(tiny, actor="M1", agents=["A1", "A2"], held_on=D(2026, 11, 3),
                    focus_areas=["rude or dismissive"], follow_up_on=False, programme="Care")  # fmt: skip
    assert (w.kind, w.follow_up_on, w.leader_id) == ("workshop", None, "M1")
    log_session(tiny, actor="L2", agents="A3", held_on="2026-11-04", focus_areas="csat")
    trail = tiny.app.audit_trail("coaching_session", s.id)
    assert [e.action for e in trail] == ["log"] and trail[0].actor == "lee"
    assert trail[0].after["notes"] == "(given)"  # the private text stays out of the trail

    def ids(actor):
        return [x.id for x in list_sessions(tiny, actor=actor)]

    assert len(list_sessions(tiny)) == 3 and list_sessions(tiny)[0].notes is None
    assert ids("A1") == [s.id, w.id]
    assert [x.agents for x in list_sessions(tiny, actor="A2")] == [["A2"]]  # not A1's name
    assert ids("A3") == [w.id + 1]
    assert ids("L2") == [x.id for x in list_sessions(tiny, agent="A3")]  # not T1's sessions
    assert ids("mo") == [s.id, w.id] and ids("H1") == ids("root") == [s.id, w.id, w.id + 1]
    with pytest.raises(NotPermitted):
        list_sessions(tiny, actor="nobody")
    # notes: the agent, their leader and the leader's manager; not the head or an admin
    notes = {a: get_session(tiny, s.id, actor=a).notes for a in ("A1", "lee", "M1", "H1", "root")}
    assert notes == {"A1": "Worried about the new product", "lee": "Worried about the new product",
                     "M1": "Worried about the new product", "H1": None, "root": None}  # fmt: skip
    with pytest.raises(NotPermitted):
        get_session(tiny, s.id, actor="A2")
    # filters
    assert [x.id for x in list_sessions(tiny, team="T1")] == [s.id, w.id]
    assert [x.id for x in list_sessions(tiny, programme="Care")] == [w.id]
    assert [x.id for x in list_sessions(tiny, since=D(2026, 11, 3), until=D(2026, 11, 3))] == [w.id]
    assert [x.id for x in list_sessions(tiny, leader="L1")] == [s.id]


def test_who_may_log_a_session_and_bad_input(tiny_sqlite):
    ws = tiny_sqlite
    ok = {"held_on": "2026-11-02", "focus_areas": "did not listen"}
    for actor, agent in (("A1", "A2"), ("A1", "A1"), ("L2", "A1"), ("M2", "A1"), ("pat", "A1"),
                         ("lee", "L1")):  # fmt: skip
        with pytest.raises(NotPermitted):
            log_session(ws, actor=actor, agents=agent, **ok)
    assert log_session(ws, actor="H1", agents="A3", **ok).leader_id == "H1"
    assert log_session(ws, actor="root", agents="A3", **ok).leader_id == "root"
    assert log_session(ws, actor="mo", agents="L1", **ok).agents == ["L1"]  # a TL coached
    with pytest.raises(RecordInvalid, match="unknown employee"):
        log_session(ws, actor="lee", agents="A9", **ok)
    with pytest.raises(RecordInvalid, match="unknown focus area 'talks too fast'"):
        log_session(
            ws, actor="lee", agents="A1", held_on="2026-11-02", focus_areas="talks too fast"
        )
    with pytest.raises(RecordInvalid, match="not a date"):
        log_session(ws, actor="lee", agents="A1", held_on="2 Nov", focus_areas="nps")
    with pytest.raises(RecordInvalid, match="must come after"):
        log_session(ws, actor="lee", agents="A1", follow_up_on="2026-11-01", **ok)
    with pytest.raises(RecordInvalid, match="session kind"):
        log_session(ws, actor="lee", agents="A1", kind="seminar", **ok)
    assert len(list_sessions(ws)) == 3  # nothing refused was stored


def test_follow_ups_link_complete_and_conflict(tiny):
    first = log_session(tiny, actor="lee", agents="A1", held_on="2026-11-02",
                        focus_areas="did not listen")  # fmt: skip
    other = log_session(tiny, actor="lee", agents="A2", held_on="2026-11-02", focus_areas="nps")
    now = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    due = follow_ups(tiny, now=now)
    assert [(f.session_id, f.status, f.days_overdue) for f in due] == [
        (first.id, "overdue", 1), (other.id, "overdue", 1)]  # fmt: skip
    assert due[0].leader_manager == "M1"
    later = log_session(tiny, actor="lee", agents="A1", held_on="2026-12-01",
                        focus_areas="did not listen", follow_up_of=first.id)  # fmt: skip
    assert later.follow_up_of == first.id
    again = get_session(tiny, first.id)
    assert (again.followed_up_on, again.version) == (D(2026, 12, 1), 2)
    assert [f.session_id for f in follow_ups(tiny, now=now)] == [other.id, later.id]
    with pytest.raises(RecordInvalid, match="none of this session's agents"):
        log_session(tiny, actor="lee", agents="A2", held_on="2026-12-02", focus_areas="nps",
                    follow_up_of=first.id)  # fmt: skip
    # completing: only the leader or someone who coaches the agent; the version read
    with pytest.raises(NotPermitted):
        complete_follow_up(tiny, other.id, actor="A2", expected_version=1)
    with pytest.raises(NotPermitted):
        complete_follow_up(tiny, other.id, actor="L2", expected_version=1)
    done = complete_follow_up(tiny, other.id, actor="lee", expected_version=1, on="2026-11-28")
    assert (done.followed_up_on, done.version) == (D(2026, 11, 28), 2)
    with pytest.raises(RecordConflict, match="at version 2, not 1"):
        complete_follow_up(tiny, other.id, actor="mo", expected_version=1)
    with pytest.raises(RecordInvalid, match="was done on 2026-11-28"):
        complete_follow_up(tiny, other.id, actor="mo", expected_version=2)
    assert [e.action for e in tiny.app.audit_trail("coaching_session", other.id)] == [
        "log", "follow-up done"]  # fmt: skip
    assert [f.session_id for f in follow_ups(tiny, now=now)] == [later.id]


def test_racing_completions_one_wins_the_other_conflicts(tiny):
    """Two people, each with their own workspace handle, complete the same follow-up at
    the same moment with the version they both read: exactly one wins."""
    s = log_session(tiny, actor="lee", agents="A1", held_on="2026-11-02", focus_areas="nps")
    handles = [Workspace.open(tiny.path), Workspace.open(tiny.path)]
    for h in handles:  # open both stores before the race
        h.app, h.analytics.con.list_tables()
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def complete(ws, actor: str) -> None:
        barrier.wait()
        try:
            complete_follow_up(ws, s.id, actor=actor, expected_version=1)
            outcomes.append("ok")
        except (RecordConflict, RecordInvalid, StoreError) as e:  # StoreError: a busy database
            outcomes.append(type(e).__name__)

    threads = [threading.Thread(target=complete, args=(h, a))
               for h, a in zip(handles, ("lee", "mo"), strict=True)]  # fmt: skip
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for h in handles:
            h.close()
    assert outcomes.count("ok") == 1 and len(outcomes) == 2, outcomes
    assert get_session(tiny, s.id).version == 2


def test_overdue_follow_ups_are_visible_to_the_leaders_manager(tiny):
    s = log_session(tiny, actor="lee", agents="A1", held_on="2026-10-01", focus_areas="nps")
    log_session(tiny, actor="L2", agents="A3", held_on="2026-10-01", focus_areas="csat")
    now = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)

    def seen(actor):
        return [f.session_id for f in follow_ups(tiny, actor=actor, overdue=True, now=now)]

    assert seen("mo") == seen("lee") == seen("A1") == [s.id]
    assert seen("A2") == [] and seen("M2") == [s.id + 1] and seen("L2") == [s.id + 1]
    assert len(seen("H1")) == 2
    assert follow_ups(tiny, overdue=False, now=now) == []
    assert [f.session_id for f in follow_ups(tiny, leader="L1", due_within_days=3, now=now)] == [
        s.id]  # fmt: skip


# -- reminders ---------------------------------------------------------------------------------
def test_reminder_to_the_leader_then_overdue_notice_to_their_manager_once_each(
    _template, tmp_path, webhook, smtp_server
):
    url, posted = webhook
    port, mails = smtp_server
    ws = _tiny(_template, tmp_path, smtp_host="127.0.0.1", smtp_port=port,
               notify_email="cx-leads@example.com", webhook_url=url)  # fmt: skip
    try:
        s = log_session(ws, actor="lee", agents="A1", held_on="2026-11-01",
                        focus_areas="did not listen")  # due 11-29  # fmt: skip
        t = log_session(ws, actor="L2", agents="A3", held_on="2026-11-01", focus_areas="nps")

        def at(day):
            return dt.datetime(2026, 11, day, 8, tzinfo=dt.UTC)

        assert send_follow_up_reminders(ws, now=at(26)).reminded == []  # 3 days ahead: not yet
        first = send_follow_up_reminders(ws, now=at(27))  # reminder_days = 2
        assert sorted(first.reminded) == [s.id, t.id] and first.failures == []
        assert first.sent == 4  # 2 e-mails (L2 has no user: the fallback address) + 2 posts
        assert sorted(m[0][0] for m in mails) == ["cx-leads@example.com", "lee@example.com"]
        assert {p["record"] for p in posted} == {"coaching_session"}
        assert {p["kind"] for p in posted} == {"reminder"} and posted[0]["case_id"] is None
        assert send_follow_up_reminders(ws, now=at(28)).reminded == []  # once only
        late = send_follow_up_reminders(ws, now=dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC))
        assert sorted((o["session_id"], o["to"]) for o in late.overdue) == [
            (s.id, "mo"), (t.id, "M2")]  # fmt: skip
        assert mails[-2:] and any(m[0] == ["mo@example.com"] and "Overdue" in m[1] for m in mails)
        assert posted[-1]["kind"] == "overdue"
        again = send_follow_up_reminders(ws, now=dt.datetime(2026, 12, 2, tzinfo=dt.UTC))
        assert again.overdue == [] and again.reminded == [] and again.sent == 0
        actions = [e.action for e in ws.app.audit_trail("coaching_session", s.id)]
        assert actions == ["log", "reminder", "overdue"]
    finally:
        ws.close()


# -- check-ins ---------------------------------------------------------------------------------
def test_checkins_are_readable_by_the_employee_their_leader_and_the_leaders_manager_only(tiny):
    c = log_checkin(tiny, actor="lee", employee_id="A1", held_on="2026-11-05",
                    notes="Feels more confident")  # fmt: skip
    assert c.leader_id == "L1"
    log_checkin(tiny, actor="A1", employee_id="A1", held_on="2026-11-06", notes="My own note")
    for actor, employee in (("A2", "A1"), ("mo", "A1"), ("L2", "A1"), ("H1", "A1")):
        with pytest.raises(NotPermitted):
            log_checkin(tiny, actor=actor, employee_id=employee, held_on="2026-11-05", notes="x")
    for reader in ("A1", "lee", "L1", "mo", "M1"):
        got = checkins(tiny, actor=reader, employee_id="A1")
        assert [(x.held_on, x.source) for x in got] == [
            (D(2026, 11, 6), "cxloop"), (D(2026, 11, 5), "cxloop"), (D(2026, 10, 1), "ingest")]  # fmt: skip
    for outsider in ("A2", "A3", "L2", "M2", "H1", "root", "pat"):
        with pytest.raises(NotPermitted, match="only the employee, their leader"):
            checkins(tiny, actor=outsider, employee_id="A1")
    assert [x.notes for x in checkins(tiny, actor="A2", employee_id="A2")] == ["A2's private note"]


def test_visibility_helpers(tiny_sqlite):
    ws = tiny_sqlite
    assert visible_agents(ws, "H1") is None and visible_agents(ws, "root") is None
    assert visible_agents(ws, "A1") == {"A1"}
    assert visible_agents(ws, "lee") == {"L1", "A1", "A2"}
    assert visible_agents(ws, "M1") == {"M1", "L1", "A1", "A2"}
    assert visible_agents(ws, "pat") == set()
    require_can_see_agent(ws, "mo", "A2")
    require_can_see_agent(ws, "M1", "A1", what="notes")
    with pytest.raises(NotPermitted):
        require_can_see_agent(ws, "A2", "A1")
    with pytest.raises(NotPermitted):
        require_can_see_agent(ws, "H1", "A1", what="notes")
    for actor in ("lee", "mo", "H1", "root"):
        require_can_see_leader(ws, actor, "L1")
    require_can_see_leader(ws, "H1", "lee")  # a leader named by username
    for actor in ("A1", "L2", "M2", "pat"):
        with pytest.raises(NotPermitted):
            require_can_see_leader(ws, actor, "L1")


# -- import ------------------------------------------------------------------------------------
def test_demo_coaching_history_is_imported_once_with_follow_ups_linked(copy_of_small_demo,
                                                                      small_demo):  # fmt: skip
    source = small_demo.path / "source" / "coaching.csv"
    rows = source.read_text().count("\n") - 1
    with copy_of_small_demo.open() as ws:
        before = list_sessions(ws)  # build_demo imported it already
        assert len(before) == rows
        again = import_sessions(ws, source)
        assert (again.added, again.already, again.skipped) == (0, rows, [])
        assert len(list_sessions(ws)) == rows
        truth = small_demo.truth["coaching"]
        programme = [s for s in before if s.programme == truth["programme"]]
        first = {s.agents[0]: s for s in programme if s.held_on.isoformat() == truth["date"]}
        assert set(first) == set(truth["coached"])
        for agent in truth["helped"]:
            assert first[agent].followed_up_on is not None, agent
            follow = [s for s in programme if s.follow_up_of == first[agent].id]
            assert [s.agents for s in follow] == [[agent]]
        for agent in truth["not_helped"]:
            assert first[agent].followed_up_on is None, agent
        assert all(s.source == "import" for s in before)


def test_import_reports_bad_rows_and_refuses_a_file_with_nothing_usable(tiny, tmp_path):
    tiny_sqlite = tiny  # both backends
    path = tmp_path / "coaching.csv"
    path.write_text(
        "employee_id,leader_id,held_on,focus_theme,programme\n"
        "A1,L1,2026-01-05,did not listen,Care\n"
        "A9,L1,2026-01-05,did not listen,\n"
        "A1,L1,5 Jan,did not listen,\n"
        "A1,L1,2026-01-06,talks too fast,\n"
        "A1,L1,2026-02-02,Did Not Listen,Care\n"
        'A2,L1,2026-01-05,"nps, csat",\n'
    )
    result = import_sessions(tiny_sqlite, path)
    assert (result.rows, result.added, result.linked) == (6, 3, 1)
    assert result.skipped == [
        "coaching.csv: row 3: employee_id: unknown employee 'A9'",
        "coaching.csv: row 4: held_on: '5 Jan' is not a date (YYYY-MM-DD)",
        "coaching.csv: row 5: focus_theme: unknown focus area 'talks too fast'",
    ]
    sessions = {(s.agents[0], s.held_on): s for s in list_sessions(tiny_sqlite)}
    first, second = sessions[("A1", D(2026, 1, 5))], sessions[("A1", D(2026, 2, 2))]
    assert second.follow_up_of == first.id and first.followed_up_on == D(2026, 2, 2)
    assert sessions[("A2", D(2026, 1, 5))].focus_areas == ["nps", "csat"]
    assert import_sessions(tiny_sqlite, path).added == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("employee_id,leader_id,held_on,focus_theme\nA9,L1,2026-01-05,nps\n")
    with pytest.raises(InputUnreadable, match="no usable coaching session"):
        import_sessions(tiny_sqlite, bad)
    bad.write_text("employee,leader\nA1,L1\n")
    with pytest.raises(InputUnreadable, match="missing column"):
        import_sessions(tiny_sqlite, bad)


# -- CLI ---------------------------------------------------------------------------------------
def test_cli_commands_and_one_line_errors(tiny_sqlite, tmp_path):
    runner = CliRunner()
    w = ["-w", str(tiny_sqlite.path)]

    def run(*args):
        return runner.invoke(app, ["coach", *args, *w])

    res = run("log", "A1", "--focus", "did not listen", "--actor", "lee", "--held-on",
              "2026-11-02", "--actions", "Summarise first", "--notes", "[red]private[/red]")  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "Logged session 1 (one_to_one) for A1" in res.stdout and "2026-11-30" in res.stdout
    res = run("sessions", "--actor", "mo", "--format", "json")
    assert res.exit_code == 0, res.output
    [row] = json.loads(res.stdout)
    assert row["notes"] == "[red]private[/red]" and row["agents"] == ["A1"]
    res = run("sessions", "--actor", "mo")
    assert res.exit_code == 0 and "[red]private[/red]" in res.stdout  # escaped, not styled
    res = run("sessions", "--actor", "A2", "--format", "json")
    assert json.loads(res.stdout) == []
    res = run("follow-ups", "--overdue", "--actor", "mo", "--now", "2026-12-01", "-f", "json")
    assert [f["session_id"] for f in json.loads(res.stdout)] == [1]
    res = run("follow-ups", "--remind", "--now", "2026-11-29")
    assert res.exit_code == 0 and "1 reminders" in res.stdout, res.output
    res = run("done", "1", "--actor", "lee", "--version", "1")
    assert res.exit_code == 1 and "at version 2, not 1" in res.output  # the reminder changed it
    assert len(res.output.strip().splitlines()) == 1
    res = run("done", "1", "--actor", "lee", "--version", "2", "--on", "2026-11-30")
    assert res.exit_code == 0 and "is done" in res.stdout, res.output
    res = run("checkin", "A1", "--notes", "Going well", "--actor", "lee", "--held-on", "2026-11-05")
    assert res.exit_code == 0 and "Logged check-in" in res.stdout, res.output
    res = run("checkins", "A1", "--actor", "mo")
    assert res.exit_code == 0 and "Going well" in res.stdout and "\\[red]workload" not in res.stdout
    assert "[red]workload[/red]" in res.stdout  # hostile text printed literally
    res = run("checkins", "A1", "--actor", "A2")
    assert res.exit_code == 1 and "may not read the notes of 'A1'" in res.output
    assert len(res.output.strip().splitlines()) == 1 and "Traceback" not in res.output
    csv_path = tmp_path / "c.csv"
    csv_path.write_text("employee_id,leader_id,held_on,focus_theme\nA2,L1,2026-01-05,nps\n"
                        "A9,L1,2026-01-05,nps\n")  # fmt: skip
    res = run("import", str(csv_path))
    assert res.exit_code == 0 and "1 sessions added" in res.stdout and "row 3" in res.stdout
    res = run("log", "A1", "--focus", "nps", "--actor", "A2")
    assert res.exit_code == 1 and len(res.output.strip().splitlines()) == 1
    res = run("import", str(tmp_path / "missing.csv"))
    assert res.exit_code == 2 and "no such file" in res.output
