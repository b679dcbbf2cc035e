"""The app store keeps users, edited settings and the audit trail safely, on SQLite and PostgreSQL.

Contract guarded (every test runs on both backends, against the real database):
the migrations create exactly the modelled schema, are idempotent and reversible; users are
unique by username and employee, and bad input or duplicates raise cxloop's typed errors;
settings are versioned, and a stale or racing edit raises RecordConflict and never
overwrites; every setting change leaves an audit event with the value before and after.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from cxloop.errors import RecordConflict, RecordInvalid, StoreError
from cxloop.store.app import AppStore, Base, Role, User, app_settings
from cxloop.workspace import Workspace

APP_TABLES = {"users", "settings", "audit_events", "cases", "case_notes", "actions", "invitations",
              "coaching_sessions", "coaching_attendees", "checkins"}  # fmt: skip
HEAD = "0004"  # the newest migration


@pytest.fixture
def store(app_store_url):
    with AppStore(app_store_url) as s:
        s.upgrade()
        yield s


def _tables(store: AppStore) -> set[str]:
    return set(inspect(store.engine).get_table_names())


# -- schema ------------------------------------------------------------------------------------
def test_upgrade_creates_the_tables_and_running_it_again_changes_nothing(app_store_url):
    with AppStore(app_store_url) as store:
        assert store.current_revision() is None
        assert not _tables(store) & APP_TABLES
        store.upgrade()
        assert APP_TABLES <= _tables(store)
        assert store.current_revision() == store.head_revision() == HEAD
        store.add_user(username="amira", display_name="Amira", role="agent", actor="admin")
        store.upgrade()
        assert store.current_revision() == HEAD
        assert [u.username for u in store.list_users()] == ["amira"]


def test_migrated_schema_matches_the_models(store):
    with store.engine.connect() as con:
        diffs = compare_metadata(MigrationContext.configure(con), Base.metadata)
    assert diffs == []
    names = {c["name"] for c in inspect(store.engine).get_unique_constraints("users")}
    assert names == {"uq_users_username", "uq_users_employee_id"}


def test_downgrade_to_base_and_up_again(store):
    store.set_setting("targets.nps", 40, actor="amira")
    store.downgrade("base")
    assert store.current_revision() is None
    assert not _tables(store) & APP_TABLES
    store.upgrade()
    assert store.current_revision() == HEAD
    assert store.get_setting("targets.nps") is None


def test_upgrading_from_0001_keeps_the_records(app_store_url):
    with AppStore(app_store_url) as store:
        store.upgrade("0001")
        store.set_setting("targets.nps", 40, actor="amira")
        store.upgrade()
        assert store.current_revision() == HEAD
        assert store.get_setting("targets.nps").value == 40
        assert {"cases", "case_notes", "actions", "invitations"} <= _tables(store)
        store.downgrade("0001")
        assert not {"cases", "actions"} & _tables(store)
        assert store.get_setting("targets.nps").value == 40


def test_unknown_revision_is_a_store_error(store):
    with pytest.raises(StoreError, match="nope"):
        store.upgrade("nope")
    assert store.current_revision() == HEAD


def test_unreachable_store_is_a_store_error(app_store_url, tmp_path):
    url = make_url(app_store_url)
    if url.get_backend_name() == "sqlite":
        broken = url.set(database=str(tmp_path / "no such folder" / "app.sqlite"))
    else:
        broken = url.set(port=1)
    with AppStore(broken.render_as_string(hide_password=False)) as store:
        with pytest.raises(StoreError, match="cannot be used"):
            store.upgrade()
        with pytest.raises(StoreError):
            store.get_user("amira")


@pytest.mark.parametrize(
    "url",
    ["not a url", "nosuchdb://x", "sqlite+nosuchdriver:///x", "postgresql+nosuchdriver://h/d"],
)
def test_bad_url_is_a_store_error(url):
    with pytest.raises(StoreError, match="app store"):
        AppStore(url)


def test_in_memory_sqlite_store_works():
    """SQLite only: the migrations run on the store's own connection, so memory works."""
    with AppStore("sqlite://") as store:
        store.upgrade()
        store.add_user(username="amira", display_name="Amira", role="agent", actor="x")
        assert store.current_revision() == HEAD
        assert [u.username for u in store.list_users()] == ["amira"]


def test_workspace_opens_its_app_store_from_the_settings(app_store_url, tmp_path):
    folder = tmp_path / "ws"
    Workspace.init(folder).close()
    toml = folder / "cxloop.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace('app_url = ""', f'app_url = "{app_store_url}"'),
        encoding="utf-8",
    )
    with Workspace.open(folder) as ws:
        assert ws.app.dialect == make_url(app_store_url).get_backend_name()
        ws.app.upgrade()
        assert ws.app.current_revision() == HEAD


# -- users -------------------------------------------------------------------------------------
def test_users_are_added_found_and_listed(store):
    before = datetime.now(UTC)
    amira = store.add_user(
        username=" amira ",
        display_name="Amira K.",
        role="team_leader",
        email="amira@example.com",
        employee_id="E1",
        team_id="T1",
        password_hash="$argon2id$opaque",
        actor="admin",
    )
    store.add_user(username="ben", display_name="Ben", role=Role.agent, team_id="T1", actor="admin")
    store.add_user(username="cy", display_name="Cy", role="agent", team_id="T2", actor="admin")
    store.add_user(username="dee", display_name="Dee", role="finance", active=False, actor="admin")

    got = store.get_user("amira")
    assert got is not None and got.id == amira.id
    assert (got.username, got.display_name, got.email) == ("amira", "Amira K.", "amira@example.com")
    assert (got.role, got.employee_id, got.team_id) == (Role.team_leader, "E1", "T1")
    assert got.password_hash == "$argon2id$opaque" and got.active is True
    assert got.created_at.tzinfo is not None and got.created_at >= before
    assert store.get_user("dee").active is False
    assert store.get_user("nobody") is None

    assert [u.username for u in store.list_users()] == ["amira", "ben", "cy", "dee"]
    assert [u.username for u in store.list_users(role="agent")] == ["ben", "cy"]
    assert [u.username for u in store.list_users(team_id="T1")] == ["amira", "ben"]
    assert [u.username for u in store.list_users(role=Role.agent, team_id="T2")] == ["cy"]
    assert store.list_users(role="admin") == []


def test_adding_a_user_is_audited_without_the_password_hash(store):
    store.add_user(
        username="amira", display_name="Amira", role="agent", password_hash="secret", actor="root"
    )
    [event] = store.audit_trail("user", "amira")
    assert (event.actor, event.action, event.before) == ("root", "create", None)
    assert event.after["role"] == "agent" and event.after["username"] == "amira"
    assert "password_hash" not in event.after and "secret" not in str(event.after)


def test_duplicate_username_or_employee_is_a_record_conflict(store):
    store.add_user(username="amira", display_name="A", role="agent", employee_id="E1", actor="x")
    with pytest.raises(RecordConflict, match="user 'amira' already exists"):
        store.add_user(username="amira", display_name="B", role="head", actor="x")
    with pytest.raises(RecordConflict, match="employee 'E1' already has a user: 'amira'"):
        store.add_user(
            username="other", display_name="B", role="agent", employee_id="E1", actor="x"
        )
    assert [u.display_name for u in store.list_users()] == ["A"]
    assert len(store.audit_trail("user", "amira")) == 1


def test_duplicate_key_refused_by_the_database_is_a_record_conflict(store):
    store.add_user(username="amira", display_name="A", role="agent", actor="x")
    with pytest.raises(RecordConflict, match="already exists"):
        with store.session() as session:
            session.add(User(username="amira", display_name="B", role=Role.head))
    assert store.get_user("amira").display_name == "A"


def test_the_database_itself_refuses_an_unknown_role(store):
    with pytest.raises(StoreError) as caught:
        with store.session() as session:
            session.execute(
                text("INSERT INTO users (username, display_name, role) VALUES (:u, :d, :r)"),
                {"u": "eve", "d": "Eve", "r": "boss"},
            )
    assert not isinstance(caught.value, RecordConflict)
    assert store.get_user("eve") is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"role": "boss"}, "unknown role 'boss'; the roles are: agent, team_leader"),
        ({"username": "   "}, "username must not be empty"),
        ({"username": "a\x00b"}, "NUL"),
        ({"username": "x" * 65}, "65 characters long; the limit is 64"),
        ({"display_name": None}, "display name must be text"),
        ({"email": "not-an-address"}, "has no @"),
    ],
)
def test_invalid_user_is_a_record_invalid_and_stores_nothing(store, fields, message):
    user = {"username": "amira", "display_name": "Amira", "role": "agent", "actor": "x"} | fields
    with pytest.raises(RecordInvalid, match=message):
        store.add_user(**user)
    assert store.list_users() == []
    with pytest.raises(RecordInvalid, match="unknown role"):
        store.list_users(role="boss")


# -- settings people edit ----------------------------------------------------------------------
def test_settings_are_versioned_and_keep_their_json_value(store):
    value = {"target": 45.5, "teams": ["T1", "T2"], "on": True, "note": "Héllo ✓", "none": None}
    first = store.set_setting("targets.nps", value, actor="amira", expected_version=0)
    assert (first.version, first.updated_by) == (1, "amira")
    got = store.get_setting("targets.nps")
    assert got.value == value and got.version == 1
    assert got.updated_at.tzinfo is not None

    second = store.set_setting("targets.nps", 50, actor="ben", expected_version=1)
    assert second.version == 2
    third = store.set_setting("targets.nps", [1, 2], actor="cy")  # no expected version
    assert third.version == 3 and third.updated_at >= second.updated_at
    assert store.get_setting("targets.nps").value == [1, 2]
    assert store.get_setting("missing") is None

    same = store.set_setting("targets.nps", [1, 2], actor="dee")  # same value: nothing to do
    assert (same.version, same.updated_by) == (3, "cy")
    assert len(store.audit_trail("setting", "targets.nps")) == 3


def test_stale_expected_version_is_a_conflict_and_overwrites_nothing(store):
    store.set_setting("targets.csat", 0.8, actor="amira")
    store.set_setting("targets.csat", 0.85, actor="ben", expected_version=1)
    with pytest.raises(RecordConflict, match="at version 2, not 1: 'ben' changed it"):
        store.set_setting("targets.csat", 0.9, actor="cy", expected_version=1)
    with pytest.raises(RecordConflict, match="version 2, not 0"):
        store.set_setting("targets.csat", 0.9, actor="cy", expected_version=0)
    with pytest.raises(RecordConflict, match="does not exist"):
        store.set_setting("targets.fcr", 0.7, actor="cy", expected_version=3)
    got = store.get_setting("targets.csat")
    assert (got.value, got.version, got.updated_by) == (0.85, 2, "ben")
    assert store.get_setting("targets.fcr") is None
    assert len(store.audit_trail("setting", "targets.csat")) == 2


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (float("nan"), "cannot be stored as JSON"),
        ({1, 2}, "cannot be stored as JSON"),
        ("a\x00", "NUL"),
    ],
)
def test_a_value_that_is_not_portable_json_is_refused(store, value, message):
    with pytest.raises(RecordInvalid, match=message):
        store.set_setting("x", value, actor="amira")
    with pytest.raises(RecordInvalid, match="expected version"):
        store.set_setting("x", 1, actor="amira", expected_version=-1)
    assert store.get_setting("x") is None


def test_two_sessions_racing_on_one_setting_one_wins_the_other_conflicts(store):
    """Both sessions read version 1, then both write: the slower write must fail."""
    store.set_setting("targets.nps", 40, actor="amira")
    both_read = threading.Barrier(2, timeout=30)
    outcomes: dict[str, str] = {}

    def edit(name: str, value: int) -> None:
        try:
            with store.session() as session:
                row = app_settings.get_setting(session, "targets.nps")
                assert row.version == 1
                both_read.wait()
                row.value = value
                row.updated_by = name
            outcomes[name] = "won"
        except RecordConflict:
            outcomes[name] = "conflict"

    threads = [threading.Thread(target=edit, args=(n, v)) for n, v in (("ben", 45), ("cy", 50))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes.values()) == ["conflict", "won"]
    [winner] = [n for n, o in outcomes.items() if o == "won"]
    got = store.get_setting("targets.nps")
    assert (got.version, got.updated_by, got.value) == (2, winner, {"ben": 45, "cy": 50}[winner])


def test_concurrent_edits_with_the_same_expected_version_exactly_one_wins(store):
    store.set_setting("targets.ces", 5.0, actor="amira")
    editors = [f"editor{i}" for i in range(4)]
    start = threading.Barrier(len(editors), timeout=30)
    outcomes: dict[str, str] = {}

    def edit(name: str) -> None:
        start.wait()
        try:
            store.set_setting("targets.ces", name, actor=name, expected_version=1)
            outcomes[name] = "won"
        except RecordConflict:
            outcomes[name] = "conflict"

    threads = [threading.Thread(target=edit, args=(n,)) for n in editors]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes.values()) == ["conflict"] * 3 + ["won"]
    [winner] = [n for n, o in outcomes.items() if o == "won"]
    got = store.get_setting("targets.ces")
    assert (got.value, got.version, got.updated_by) == (winner, 2, winner)
    updates = [e for e in store.audit_trail("setting", "targets.ces") if e.action == "update"]
    assert [(e.actor, e.before, e.after) for e in updates] == [
        (winner, {"value": 5.0, "version": 1}, {"value": winner, "version": 2})
    ]


# -- audit trail -------------------------------------------------------------------------------
def test_setting_changes_are_audited_with_before_and_after(store):
    store.set_setting("huddle.day", "Monday", actor="amira")
    store.set_setting("huddle.day", "Tuesday", actor="ben", expected_version=1)
    store.set_setting("other", 1, actor="cy")
    trail = store.audit_trail("setting", "huddle.day")
    assert [(e.actor, e.action, e.before, e.after) for e in trail] == [
        ("amira", "create", None, {"value": "Monday", "version": 1}),
        ("ben", "update", {"value": "Monday", "version": 1}, {"value": "Tuesday", "version": 2}),
    ]
    assert trail[0].at <= trail[1].at and trail[0].at.tzinfo is not None


def test_any_record_can_be_audited(store):
    store.record_audit(
        actor="amira", entity="case", entity_id=17, action="open", after={"status": "open"}
    )
    event = store.record_audit(
        actor="ben",
        entity="case",
        entity_id="17",
        action="close",
        before={"status": "open"},
        after={"status": "closed", "note": "called back ✓"},
    )
    store.record_audit(actor="ben", entity="case", entity_id=18, action="open")
    trail = store.audit_trail("case", 17)
    assert [(e.actor, e.action, e.entity_id) for e in trail] == [
        ("amira", "open", "17"),
        ("ben", "close", "17"),
    ]
    assert trail[1].id == event.id
    assert trail[1].before == {"status": "open"}
    assert trail[1].after == {"status": "closed", "note": "called back ✓"}
    assert store.audit_trail("case", 99) == []
    with pytest.raises(RecordInvalid, match="audit before must be a mapping"):
        store.record_audit(actor="x", entity="case", entity_id=1, action="a", before=[1])
    with pytest.raises(RecordInvalid, match="actor must not be empty"):
        store.record_audit(actor="", entity="case", entity_id=1, action="a")


def test_a_failed_transaction_leaves_neither_change_nor_audit_event(store):
    with pytest.raises(RuntimeError, match="boom"):
        with store.session() as session:
            app_settings.set_setting(session, "targets.nps", 40, actor="amira")
            raise RuntimeError("boom")
    assert store.get_setting("targets.nps") is None
    assert store.audit_trail("setting", "targets.nps") == []
