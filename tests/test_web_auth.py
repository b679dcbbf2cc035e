"""The web app's foundation: passwords, sign-in and its rate limit, sessions and their
cookie, CSRF, API tokens and their scopes, the deps contract, `cxloop serve/users/tokens`,
and the demo's sign-ins."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from typing import Annotated

import pytest
from argon2 import PasswordHasher
from fastapi import Depends
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from cxloop import Workspace
from cxloop.cli import app as cli_app
from cxloop.errors import RecordInvalid
from cxloop.store.app.models import Role, User, utcnow
from cxloop.store.app.models_web import ApiToken, LoginAttempt, WebSession
from cxloop.store.app.passwords import hash_password, needs_rehash, verify_password
from cxloop.web import create_app, tokens
from cxloop.web.auth import BAD_SIGN_IN, change_password, sign_in
from cxloop.web.deps import Principal, WorkspaceDep, get_principal, require_scope
from cxloop.web.pages import safe_next

PASSWORD = "correct-horse-1"


# -- fixtures -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def _template(tmp_path_factory):
    path = tmp_path_factory.mktemp("web-auth") / "ws"
    with Workspace.init(path) as ws:
        for username, role, team in (("amira", "team_leader", "T1"), ("ben", "agent", "T1"),
                                     ("root", "admin", None)):  # fmt: skip
            ws.app.add_user(username=username, display_name=username.title(), role=role,
                            team_id=team, password_hash=hash_password(PASSWORD), actor="test")  # fmt: skip
    return path


@pytest.fixture
def ws_path(_template, tmp_path):
    path = tmp_path / "ws"
    shutil.copytree(_template, path)
    return path


def _with_test_routes(app):
    """Routes that use the deps contract the way the API's routes do."""

    @app.get("/t/read")
    def read(who: Annotated[Principal, Depends(require_scope("read"))], ws: WorkspaceDep):
        return {"username": who.username, "role": who.role.value, "team_id": who.team_id,
                "via": who.via, "scopes": sorted(who.scopes), "workspace": ws.path.name}  # fmt: skip

    @app.post("/t/write")
    def write(who: Annotated[Principal, Depends(require_scope("write"))]):
        return {"ok": who.username}

    @app.post("/t/ingest")
    def ingest(who: Annotated[Principal, Depends(require_scope("ingest"))]):
        return {"ok": who.username}

    @app.get("/t/boom")
    def boom(who: Annotated[Principal, Depends(get_principal)]):
        raise RuntimeError("secret internals")

    @app.get("/t/number")
    def number(n: int):
        return {"n": n}

    return app


@pytest.fixture
def app(ws_path):
    return _with_test_routes(create_app(ws_path))


@pytest.fixture
def client(app):
    with TestClient(app) as c:
        yield c


def store_of(app):
    return app.state.cxloop.ws.app


def login_token(client) -> str:
    page = client.get("/login")
    assert page.status_code == 200
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def sign_in_as(client, username="amira", password=PASSWORD, **extra):
    token = login_token(client)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token, **extra}, follow_redirects=False)  # fmt: skip


def session_csrf(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text).group(1)


# -- passwords ----------------------------------------------------------------------------
def test_passwords_are_argon2id_and_verified():
    stored = hash_password(PASSWORD)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert verify_password(stored, PASSWORD)
    assert not verify_password(stored, PASSWORD + "x")
    assert not verify_password(None, PASSWORD) and not verify_password("garbage", PASSWORD)
    assert not needs_rehash(stored)
    with pytest.raises(RecordInvalid, match="at least 8"):
        hash_password("short")


def test_an_outdated_hash_is_upgraded_at_sign_in(app):
    store = store_of(app)
    weak = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
    with store.session() as s:
        s.execute(update(User).where(User.username == "ben").values(password_hash=weak))
    assert needs_rehash(weak)
    sign_in(store, "ben", PASSWORD, client_ip="1.2.3.4")
    stored = store.get_user("ben").password_hash
    assert stored != weak and not needs_rehash(stored) and verify_password(stored, PASSWORD)


# -- signing in -----------------------------------------------------------------------------
def test_sign_in_sets_a_session_cookie_with_safe_flags(client, app):
    r = sign_in_as(client, next="/api/docs")
    assert r.status_code == 303 and r.headers["location"] == "/api/docs"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("cxloop_session="))
    flags = {f.strip().split("=")[0].lower() for f in cookie.split(";")}
    assert {"httponly", "path", "max-age"} <= flags and "secure" not in flags
    assert "samesite=lax" in cookie.lower() and "path=/" in cookie.lower()
    value = cookie.split(";")[0].split("=", 1)[1]
    with store_of(app).session() as s:
        row = s.scalar(select(WebSession))
    assert row.username == "amira" and value not in row.token_hash and len(row.token_hash) == 64
    assert row.expires_at - row.created_at == timedelta(days=7)
    home = client.get("/")
    assert home.status_code == 200 and "Amira" in home.text and "team leader" in home.text
    assert "/api/docs" in home.text


def test_secure_cookies_over_https_or_when_asked(ws_path, monkeypatch):
    app = create_app(ws_path)
    with TestClient(app, base_url="https://cx.example") as c:
        cookie = sign_in_as(c).headers["set-cookie"]
        assert "secure" in cookie.lower()
    # behind a proxy that ends TLS the app sees http; the browser still gets Secure cookies
    monkeypatch.setenv("CXLOOP_SECURE_COOKIES", "1")
    with TestClient(app) as c:
        assert "secure" in c.get("/login").headers["set-cookie"].lower()


def test_wrong_password_and_unknown_user_fail_alike(client):
    wrong = sign_in_as(client, password="not-the-password")
    unknown = sign_in_as(client, username="nobody")
    assert wrong.status_code == unknown.status_code == 401
    assert BAD_SIGN_IN in wrong.text and BAD_SIGN_IN in unknown.text
    assert "cxloop_session" not in wrong.headers.get("set-cookie", "")
    assert client.get("/").status_code == 401


def test_five_failures_lock_the_username_out(client, app):
    for _ in range(5):
        assert sign_in_as(client, password="not-the-password").status_code == 401
    locked = sign_in_as(client)  # even the right password
    assert locked.status_code == 429
    assert 800 < int(locked.headers["retry-after"]) <= 900
    assert "too many failed sign-ins" in locked.text
    # the lock is in the app store: a second app (another worker) sees it too
    with TestClient(create_app(app.state.cxloop.ws.path)) as other:
        assert sign_in_as(other).status_code == 429


def test_the_lock_lifts_after_fifteen_minutes(client, app):
    for _ in range(5):
        sign_in_as(client, password="not-the-password")
    with store_of(app).session() as s:
        s.execute(update(LoginAttempt).values(attempted_at=utcnow() - timedelta(minutes=16)))
    assert sign_in_as(client).status_code == 303


def test_a_success_clears_the_usernames_failures(client, app):
    for _ in range(4):
        sign_in_as(client, password="not-the-password")
    assert sign_in_as(client).status_code == 303
    with store_of(app).session() as s:
        assert s.scalar(select(func.count()).select_from(LoginAttempt)) == 0
    client.cookies.clear()
    for _ in range(4):
        assert sign_in_as(client, password="not-the-password").status_code == 401
    assert sign_in_as(client).status_code == 303


def test_five_failures_from_one_address_lock_it_out(client):
    for name in ("a1", "a2", "a3", "a4", "a5"):
        assert sign_in_as(client, username=name, password="whatever-123").status_code == 401
    assert sign_in_as(client, username="ben").status_code == 429


def test_the_login_form_needs_its_csrf_cookie(client, app):
    login_token(client)
    r = client.post("/login", data={"username": "amira", "password": PASSWORD,
                                    "csrf_token": "forged"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 403 and "sign-in form expired" in r.json()["detail"]
    client.cookies.clear()
    r = client.post(
        "/login", data={"username": "amira", "password": PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 403


@pytest.mark.parametrize("target,expected", [
    ("/cases?team=T1", "/cases?team=T1"), ("//evil.example/x", "/"),
    ("https://evil.example", "/"), ("/\\evil.example", "/"), ("", "/"), ("cases", "/")])  # fmt: skip
def test_next_stays_on_this_site(target, expected):
    assert safe_next(target) == expected


def test_a_browser_is_sent_to_the_login_page(client):
    r = client.get("/?x=1", headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/%3Fx%3D1"
    r = client.get("/t/read", headers={"accept": "application/json"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert r.json() == {"detail": "not signed in: sign in at /login or send an API token"}


# -- sessions and CSRF ------------------------------------------------------------------------
def test_state_changing_requests_need_the_csrf_token(client):
    sign_in_as(client)
    assert client.get("/t/read").json()["via"] == "session"
    refused = client.post("/t/write")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert client.post("/t/write", headers={"X-CSRF-Token": "wrong"}).status_code == 403
    token = session_csrf(client)
    assert client.post("/t/write", headers={"X-CSRF-Token": token}).json() == {"ok": "amira"}
    assert client.post("/t/write", data={"csrf_token": token}).status_code == 200


def test_logout_ends_the_session(client, app):
    sign_in_as(client)
    old = client.cookies.get("cxloop_session")
    assert client.post("/logout", follow_redirects=False).status_code == 403  # no CSRF token
    r = client.post("/logout", data={"csrf_token": session_csrf(client)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    with store_of(app).session() as s:
        assert s.scalar(select(func.count()).select_from(WebSession)) == 0
    client.cookies.set("cxloop_session", old)
    assert client.get("/t/read").status_code == 401


@pytest.mark.parametrize("column,age", [("last_seen_at", timedelta(hours=8, minutes=1)),
                                        ("expires_at", timedelta(seconds=1))])  # fmt: skip
def test_sessions_expire_when_idle_and_after_seven_days(client, app, column, age):
    sign_in_as(client)
    assert client.get("/t/read").status_code == 200
    with store_of(app).session() as s:
        s.execute(update(WebSession).values({column: utcnow() - age}))
    assert client.get("/t/read").status_code == 401
    with store_of(app).session() as s:  # deleted on sight
        assert s.scalar(select(func.count()).select_from(WebSession)) == 0


def test_abandoned_sessions_are_deleted_at_the_next_sign_in(app):
    with TestClient(app) as first, TestClient(app) as second:
        sign_in_as(first)
        with store_of(app).session() as s:
            s.execute(update(WebSession).values(last_seen_at=utcnow() - timedelta(hours=9)))
        sign_in_as(second, username="ben")
    with store_of(app).session() as s:
        assert s.scalars(select(WebSession.username)).all() == ["ben"]


def test_a_live_session_is_kept_alive(client, app):
    sign_in_as(client)
    with store_of(app).session() as s:
        s.execute(update(WebSession).values(last_seen_at=utcnow() - timedelta(hours=7)))
    assert client.get("/t/read").status_code == 200
    with store_of(app).session() as s:
        assert utcnow() - s.scalar(select(WebSession.last_seen_at)) < timedelta(minutes=1)


def test_a_password_change_ends_the_other_sessions(app):
    with TestClient(app) as here, TestClient(app) as there:
        sign_in_as(here)
        sign_in_as(there)
        store = store_of(app)
        with store.session() as s:
            keep = s.scalars(select(WebSession.token_hash).order_by(WebSession.id)).first()
        assert (
            change_password(store, "amira", "another-pass-1", actor="amira", keep_session=keep) == 1
        )
        assert here.get("/t/read").status_code == 200
        assert there.get("/t/read").status_code == 401
        there.cookies.clear()
        assert sign_in_as(there, password="another-pass-1").status_code == 303


def test_an_inactive_user_is_signed_out(client, app):
    sign_in_as(client)
    with store_of(app).session() as s:
        s.execute(update(User).where(User.username == "amira").values(active=False))
    assert client.get("/t/read").status_code == 401
    client.cookies.clear()
    assert sign_in_as(client).status_code == 401


# -- API tokens -----------------------------------------------------------------------------
def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_a_token_acts_as_its_user_within_its_scopes(client, app):
    store = store_of(app)
    secret, token = tokens.create(store, username="amira", name="dashboard", scopes=["read"],
                                  actor="root")  # fmt: skip
    assert secret.startswith("cxl_") and len(secret) > 40 and token.token_hash != secret
    me = client.get("/t/read", headers=bearer(secret)).json()
    assert me == {"username": "amira", "role": "team_leader", "team_id": "T1", "via": "token",
                  "scopes": ["read"], "workspace": "ws"}  # fmt: skip
    refused = client.post("/t/write", headers=bearer(secret))
    assert refused.status_code == 403 and refused.json() == {
        "detail": "this API token lacks the 'write' scope"}  # fmt: skip
    assert tokens.list_tokens(store)[0].last_used_at is not None
    assert [e.action for e in store.audit_trail("api_token", token.id)] == ["create"]


def test_token_calls_need_no_csrf_token(client, app):
    secret, _ = tokens.create(store_of(app), username="amira", name="bot", scopes=["read", "write"],
                              actor="root")  # fmt: skip
    assert client.post("/t/write", headers=bearer(secret)).json() == {"ok": "amira"}


def test_ingest_and_admin_scopes_need_an_admin_user(client, app):
    store = store_of(app)
    with pytest.raises(RecordInvalid, match="need an admin user"):
        tokens.create(store, username="amira", name="x", scopes=["ingest"], actor="root")
    with pytest.raises(RecordInvalid, match="unknown scope 'delete'"):
        tokens.create(store, username="root", name="x", scopes=["delete"], actor="root")
    secret, _ = tokens.create(
        store, username="root", name="loader", scopes=["ingest"], actor="root"
    )
    assert client.post("/t/ingest", headers=bearer(secret)).json() == {"ok": "root"}
    assert client.get("/t/read", headers=bearer(secret)).status_code == 403
    # a session has what its role has: a team leader cannot ingest
    sign_in_as(client)
    r = client.post("/t/ingest", headers={"X-CSRF-Token": session_csrf(client)})
    assert r.status_code == 403 and "may not do this" in r.json()["detail"]


def test_revoked_expired_and_unknown_tokens_are_refused(client, app):
    store = store_of(app)
    secret, token = tokens.create(store, username="ben", name="x", scopes=["read"], actor="root")
    tokens.revoke(store, token.id, actor="root")
    r = client.get("/t/read", headers=bearer(secret))
    assert r.status_code == 401 and r.json() == {"detail": "this API token was revoked"}
    old, _ = tokens.create(store, username="ben", name="y", scopes=["read"], actor="root",
                           expires_at=utcnow() + timedelta(hours=1))  # fmt: skip
    assert client.get("/t/read", headers=bearer(old)).status_code == 200
    with store.session() as s:
        s.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get("/t/read", headers=bearer(old)).json() == {
        "detail": "this API token has expired"}  # fmt: skip
    assert client.get("/t/read", headers=bearer("cxl_" + "x" * 43)).status_code == 401
    assert client.get("/t/read", headers={"Authorization": "Basic abc"}).status_code == 401


# -- the workspace lock ------------------------------------------------------------------------
def test_workspace_requests_take_turns_without_starving(ws_path):
    """More requests than the thread pool (40) queue for the workspace; none deadlocks."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    app = create_app(ws_path)
    inside, peak, guard = [0], [0], threading.Lock()

    @app.get("/t/slow")
    def slow(ws: WorkspaceDep):
        with guard:
            inside[0] += 1
            peak[0] = max(peak[0], inside[0])
        ws.analytics.count("responses")
        time.sleep(0.005)
        with guard:
            inside[0] -= 1
        return {"ok": True}

    secret, _ = tokens.create(store_of(app), username="ben", name="x", scopes=["read"],
                              actor="root")  # fmt: skip
    with TestClient(app) as c, ThreadPoolExecutor(60) as pool:
        codes = list(pool.map(lambda _: c.get("/t/slow", headers=bearer(secret)).status_code,
                              range(60)))  # fmt: skip
    assert codes == [200] * 60 and peak[0] == 1


# -- errors at the edge -----------------------------------------------------------------------
def test_errors_are_one_line_json_never_a_traceback(ws_path):
    app = _with_test_routes(create_app(ws_path))
    with TestClient(app, raise_server_exceptions=False) as c:
        secret, _ = tokens.create(store_of(app), username="ben", name="x", scopes=["read"],
                                  actor="root")  # fmt: skip
        r = c.get("/t/boom", headers=bearer(secret))
        assert r.status_code == 500 and "secret internals" not in r.text
        assert r.json() == {"detail": "internal error; the server log has the details"}
        r = c.get("/t/number", params={"n": "abc"})
        assert r.status_code == 422 and r.json()["detail"].startswith("query.n: ")
        r = c.get("/no/such/page")
        assert r.status_code == 404 and r.json() == {"detail": "Not Found"}
        assert r.headers["x-content-type-options"] == "nosniff"


def test_app_store_on_sqlite_and_postgresql(tmp_path, app_store_url):
    path = tmp_path / "pgws"
    Workspace.init(path).close()
    toml = path / "cxloop.toml"
    toml.write_text(toml.read_text().replace('app_url = ""', f'app_url = "{app_store_url}"'))
    app = _with_test_routes(create_app(path))
    assert store_of(app).dialect == app_store_url.split(":")[0].split("+")[0]
    store_of(app).add_user(username="amira", display_name="Amira", role=Role.team_leader,
                           team_id="T1", password_hash=hash_password(PASSWORD), actor="t")  # fmt: skip
    with TestClient(app) as c:
        for _ in range(5):
            sign_in_as(c, password="not-the-password")
        assert sign_in_as(c).status_code == 429
        with store_of(app).session() as s:
            s.execute(update(LoginAttempt).values(attempted_at=utcnow() - timedelta(minutes=20)))
        assert sign_in_as(c).status_code == 303
        assert c.get("/t/read").json()["role"] == "team_leader"
        secret, _ = tokens.create(store_of(app), username="amira", name="x", scopes=["read"],
                                  actor="t")  # fmt: skip
        c.cookies.clear()
        assert c.get("/t/read", headers=bearer(secret)).json()["via"] == "token"


# -- the CLI --------------------------------------------------------------------------------
def run(*args, input=None):
    return CliRunner().invoke(cli_app, list(args), input=input)


def test_cli_users_and_tokens(ws_path):
    w = ("--workspace", str(ws_path))
    r = run("users", "add", "cy", "--role", "agent", "--name", "Cy", "--team", "T2",
            "--password-stdin", *w, input="cy-password-1\n")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "Added cy (agent, team T2)" in r.output
    r = run("users", "add", "dee", "--role", "boss", "--password-stdin", *w, input="dee-pass-12\n")
    assert r.exit_code == 1 and "unknown role 'boss'" in r.output
    r = run("users", "list", "--format", "csv", *w)
    assert "cy,Cy,,agent,,T2,True,True" in r.output
    r = run("users", "passwd", "cy", "--password-stdin", *w, input="cy-password-2\n")
    assert r.exit_code == 0 and "0 session(s) signed out" in r.output
    with Workspace.open(ws_path) as ws:
        assert verify_password(ws.app.get_user("cy").password_hash, "cy-password-2")
    r = run("tokens", "create", "--user", "root", "--name", "loader", "--scope", "ingest",
            "--scope", "read", "--expires-days", "30", *w)  # fmt: skip
    assert r.exit_code == 0, r.output
    secret = r.output.strip().splitlines()[-1]
    assert secret.startswith("cxl_")
    r = run("tokens", "list", "--format", "csv", *w)
    assert "loader,root,read ingest" in r.output and secret not in r.output
    assert run("tokens", "revoke", "1", *w).exit_code == 0
    with Workspace.open(ws_path) as ws:
        assert tokens.list_tokens(ws.app)[0].revoked_at is not None
    r = run("tokens", "create", "--user", "cy", "--name", "x", "--scope", "admin", *w)
    assert r.exit_code == 1 and "need an admin user" in r.output


def test_cli_users_add_links_an_employee_and_their_team(copy_of_small_demo):
    from cxloop.act.cases_sync import load_org

    with copy_of_small_demo.open() as ws:
        org = load_org(ws)
    agent = next(e for e, role in sorted(org.role.items()) if role == "agent"
                 and e not in org.username)  # fmt: skip
    w = ("--workspace", str(copy_of_small_demo.path))
    r = run("users", "add", "newbie", "--role", "agent", "--employee", agent,
            "--password-stdin", *w, input="newbie-pass-1\n")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert f"team {org.team[agent]}" in r.output
    r = run("users", "add", "ghost", "--role", "agent", "--employee", "E99999",
            "--password-stdin", *w, input="ghost-pass-1\n")  # fmt: skip
    assert r.exit_code == 1 and "no employee 'E99999'" in r.output


def test_cli_serve_help_and_remote_refusal(ws_path):
    r = run("serve", "--help")
    assert r.exit_code == 0 and "--allow-remote" in r.output and "Example:" in r.output
    r = run("serve", "--host", "0.0.0.0", "--workspace", str(ws_path))
    assert r.exit_code == 1 and "--allow-remote" in r.output
    r = run("serve", "--workers", "2", "--workspace", str(ws_path))
    assert r.exit_code == 1 and "one process only" in r.output
    for sub in ("users", "tokens"):
        assert run(sub, "--help").exit_code == 0


def test_is_loopback():
    from cxloop.cli.web import is_loopback

    assert all(map(is_loopback, ("127.0.0.1", "127.0.1.1", "::1", "localhost")))
    assert not any(map(is_loopback, ("0.0.0.0", "10.0.0.7", "::", "example.com")))


# -- the demo's sign-ins ----------------------------------------------------------------------
def test_the_demo_has_one_sign_in_per_role(small_demo):
    from cxloop.act.cases_sync import load_org

    with small_demo.open() as ws:
        users = {u.username: u for u in ws.app.list_users()}
        org = load_org(ws)
    assert set(users) >= {r.value for r in Role}
    for role in Role:
        user = users[role.value]
        assert user.role is role and verify_password(user.password_hash, f"demo-{role.value}")
    agent, leader = users["agent"], users["team_leader"]
    assert org.role[agent.employee_id] == "agent" and agent.team_id == org.team[agent.employee_id]
    assert org.leader_of_team[agent.team_id] == leader.employee_id
    assert org.manager[leader.employee_id] == users["manager"].employee_id
    assert org.role[users["manager"].employee_id] == "manager"
    assert org.role[users["head"].employee_id] == "head"
    for role in ("finance", "people_lead", "admin"):
        assert users[role].employee_id is None


def test_cxloop_demo_prints_the_sign_ins(capsys):
    from cxloop.cli.demo import print_logins
    from cxloop.demo import DemoLogin

    print_logins([DemoLogin("agent", "demo-agent", "agent", "E00185", "T15", "Laura C.")])
    out = capsys.readouterr().out
    assert "Web sign-ins" in out and "demo-agent" in out and "Laura C., E00185, team T15" in out


def test_the_demo_sign_ins_work(copy_of_small_demo):
    app = create_app(copy_of_small_demo.path)
    with TestClient(app) as c:
        for role in Role:
            c.cookies.clear()
            assert (
                sign_in_as(c, username=role.value, password=f"demo-{role.value}").status_code == 303
            )
            assert role.value.replace("_", " ") in c.get("/").text
