"""Shared pytest fixtures. Each section belongs to one area of cxloop; keep sections
self-contained (their own imports and names) so areas can be added without touching others.
"""

# =============================================================================================
# App store (cxloop.store.app): `app_store_url` runs a test once on SQLite and once on
# PostgreSQL. SQLite is a file in tmp_path. PostgreSQL is the server at 127.0.0.1:5432
# (database "test", user "postgres"; override with $CXLOOP_TEST_POSTGRES_URL): one fresh
# schema per test session, emptied before each test and dropped at the end. If the server
# does not answer, the PostgreSQL cases are skipped with the reason.
# =============================================================================================
import os as _app_os
import uuid as _app_uuid

import pytest

APP_STORE_PG_URL = _app_os.environ.get(
    "CXLOOP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _app_pg_conninfo() -> tuple[str, str]:
    """(libpq connection string, "host:port") of the test PostgreSQL server."""
    from sqlalchemy.engine import make_url

    url = make_url(APP_STORE_PG_URL)
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return conninfo, where


def _app_pg_reset(schema: str, *, create: bool) -> None:
    import psycopg
    from psycopg import sql

    conninfo, _ = _app_pg_conninfo()
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as con:
        con.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        if create:
            con.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))


@pytest.fixture(scope="session")
def app_store_pg_schema():
    """Name of a fresh PostgreSQL schema for this test session; skips if there is no server."""
    conninfo, where = _app_pg_conninfo()
    try:
        import psycopg
    except ImportError as e:
        pytest.skip(f"PostgreSQL not reachable at {where}: psycopg is not installed ({e})")
    try:
        psycopg.connect(conninfo, connect_timeout=3).close()
    except psycopg.Error as e:
        pytest.skip(f"PostgreSQL not reachable at {where}: {str(e).strip().splitlines()[0]}")
    schema = f"cxloop_test_{_app_uuid.uuid4().hex[:12]}"
    _app_pg_reset(schema, create=True)
    yield schema
    _app_pg_reset(schema, create=False)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def app_store_url(request, tmp_path) -> str:
    """SQLAlchemy URL of an empty app database: a SQLite file, or an empty PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'app.sqlite'}"
    from sqlalchemy.engine import make_url

    schema = request.getfixturevalue("app_store_pg_schema")
    _app_pg_reset(schema, create=True)
    url = make_url(APP_STORE_PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


# ============================================================================ end of app store


# =============================================================================================
# Ingest (cxloop.ingest): `ingest_ws` is a fresh, empty workspace per test, copied from one
# made once per session (Workspace.init builds the app store, which takes seconds).
# `bad_dir` is the bad-input corpus in tests/data/bad/.
# =============================================================================================


@pytest.fixture(scope="session")
def _ingest_template(tmp_path_factory):
    from cxloop import Workspace

    path = tmp_path_factory.mktemp("ingest-template") / "ws"
    Workspace.init(path).close()
    return path


@pytest.fixture
def ingest_ws(_ingest_template, tmp_path):
    """An empty workspace in tmp_path/ws, opened."""
    import shutil

    from cxloop import Workspace

    path = tmp_path / "ws"
    shutil.copytree(_ingest_template, path)
    ws = Workspace.open(path)
    yield ws
    ws.close()


@pytest.fixture
def bad_dir():
    """The bad-input corpus."""
    from pathlib import Path

    return Path(__file__).parent / "data" / "bad"


# ============================================================================== end of ingest


# =============================================================================================
# Analytics store (cxloop.store.analytics): `analytics_url` runs a test once on the default
# DuckDB file and once on PostgreSQL through Ibis's postgres backend, in a fresh schema
# created for the test and dropped after it. Skipped with the reason if no server answers.
# =============================================================================================
def postgres_or_skip() -> str:
    """libpq conninfo of the test server at 127.0.0.1:5432; skips the test if it is down."""
    import psycopg

    conninfo = "host=127.0.0.1 port=5432 dbname=test user=postgres"
    try:
        psycopg.connect(conninfo, connect_timeout=3).close()
    except psycopg.Error as e:
        pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432: {str(e).strip().splitlines()[0]}")
    return conninfo


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def analytics_url(request, tmp_path):
    """Ibis URL of an empty analytics store."""
    if request.param == "duckdb":
        yield f"duckdb://{tmp_path / 'analytics.duckdb'}"
        return
    import psycopg

    conninfo = postgres_or_skip()
    schema = f"cxloop_an_{_app_uuid.uuid4().hex[:12]}"
    with psycopg.connect(conninfo, autocommit=True) as con:
        con.execute(f'CREATE SCHEMA "{schema}"')
    yield f"postgres://postgres@127.0.0.1:5432/test?schema={schema}"
    with psycopg.connect(conninfo, autocommit=True) as con:
        con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


# ======================================================================= end of analytics store


# =============================================================================================
# Insights (cxloop.insights): `small_demo` is the small demo workspace (seed 7, comments
# tagged), built once per test session; its planted truths are `small_demo.truth`. Tests
# must not change it: copy it (`copy_of_small_demo`) to add or alter data. `medium_demo`
# is the medium size, for the few planted truths the small demo is too thin to show.
# =============================================================================================
import json as _insights_json  # noqa: E402
import shutil as _insights_shutil  # noqa: E402
from dataclasses import dataclass as _insights_dataclass  # noqa: E402
from pathlib import Path as _InsightsPath  # noqa: E402


@_insights_dataclass(frozen=True)
class DemoWorkspace:
    path: _InsightsPath
    truth: dict

    def open(self):
        from cxloop import Workspace

        return Workspace.open(self.path)


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory) -> DemoWorkspace:
    from cxloop.demo import build_demo

    path = tmp_path_factory.mktemp("insights") / "demo"
    build_demo(path, size="small", seed=7).workspace.close()
    return DemoWorkspace(path, _insights_json.loads((path / "truth.json").read_text()))


@pytest.fixture(scope="session")
def medium_demo(tmp_path_factory) -> DemoWorkspace:
    """The medium demo (what `make demo` builds): for planted truths the small one is too
    thin to show. About a minute to build; use it only for those."""
    from cxloop.demo import build_demo

    path = tmp_path_factory.mktemp("insights-medium") / "demo"
    build_demo(path, size="medium", seed=7).workspace.close()
    return DemoWorkspace(path, _insights_json.loads((path / "truth.json").read_text()))


@pytest.fixture
def copy_of_small_demo(small_demo, tmp_path) -> DemoWorkspace:
    path = tmp_path / "demo"
    _insights_shutil.copytree(
        small_demo.path, path, ignore=_insights_shutil.ignore_patterns("source")
    )
    return DemoWorkspace(path, small_demo.truth)


@pytest.fixture(scope="session")
def small_demo_on_postgres(small_demo, tmp_path_factory):
    """A copy of the small demo whose analytics store is a fresh PostgreSQL schema (every
    table copied), as a real Workspace; skipped with the reason if no server answers."""
    import psycopg

    from cxloop import Workspace

    conninfo = postgres_or_skip()
    schema = f"cxloop_demo_{_app_uuid.uuid4().hex[:12]}"
    with psycopg.connect(conninfo, autocommit=True) as con:
        con.execute(f'CREATE SCHEMA "{schema}"')
    path = tmp_path_factory.mktemp("insights-pg") / "demo"
    _insights_shutil.copytree(small_demo.path, path,
                              ignore=_insights_shutil.ignore_patterns("source", "analytics.duckdb"))  # fmt: skip
    toml = path / "cxloop.toml"
    url = f"postgres://postgres@127.0.0.1:5432/test?schema={schema}"
    toml.write_text(toml.read_text().replace('analytics_url = ""', f'analytics_url = "{url}"'))
    with small_demo.open() as src, Workspace.open(path) as ws:
        for name in src.analytics.con.list_tables():
            rows = src.analytics.con.to_pyarrow(src.analytics.table(name))
            ws.analytics.insert(name, rows)
    yield DemoWorkspace(path, small_demo.truth)
    with psycopg.connect(conninfo, autocommit=True) as con:
        con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


# ============================================================================= end of insights


# =============================================================================================
# Notifications (cases, coaching follow-ups): a real local webhook receiver and a real
# local SMTP server (aiosmtpd), each yielding its address and what it received.
# =============================================================================================
import json as _notify_json  # noqa: E402
import socket as _notify_socket  # noqa: E402
import threading as _notify_threading  # noqa: E402
from http.server import BaseHTTPRequestHandler as _Handler  # noqa: E402
from http.server import HTTPServer as _HTTPServer  # noqa: E402


class _Hook(_Handler):
    received: list = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(_notify_json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def webhook():
    """(url, received JSON bodies) of a webhook receiver on loopback."""
    _Hook.received = []
    server = _HTTPServer(("127.0.0.1", 0), _Hook)
    thread = _notify_threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Hook.received
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp_server():
    """(port, [(recipients, message text)]) of an SMTP server on loopback."""
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
            return "250 OK"

    with _notify_socket.socket() as probe:  # a free port (aiosmtpd's readiness check needs one)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox.messages
    controller.stop()


# ======================================================================= end of notifications
