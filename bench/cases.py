"""Opening cases for 100,000 new responses: ``cxloop.act.cases_sync.sync_cases`` against a
plain bulk insert of the same rows.

    .venv/bin/python bench/cases.py [--n 100000] [--app-url postgresql+psycopg://...]

Builds an empty workspace in a temporary folder with ``n`` detractor responses (every one
meets the default "detractor" rule; one in ten also carries a negative "unfair treatment"
theme, so both rules are queried) across 40 teams with their team leaders. Then times:

1. ``sync_cases`` end to end: the rule queries on the analytics store, the read of the
   response ids that already have a case, owners, business-hours due times and the inserts
   (one transaction per 5,000 rows, each with its audit event);
2. the reference: the same rows (read back from the cases table) bulk-inserted with
   SQLAlchemy Core into a fresh app store, 5,000 rows per transaction.

Target (issue 5): under 10 s for 100,000 responses, query included. Prints the numbers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
from sqlalchemy import insert, select

from cxloop import Workspace
from cxloop.act.cases_sync import sync_cases
from cxloop.store.analytics import table_schemas
from cxloop.store.app import AppStore
from cxloop.store.app.models import Case


def _table(name: str, columns: dict) -> pa.Table:
    schema = table_schemas()[name]
    n = len(next(iter(columns.values())))
    return pa.table({f.name: columns.get(f.name, [None] * n) for f in schema}, schema=schema)


def build(path: Path, n: int) -> None:
    with Workspace.init(path) as ws:
        teams = [f"T{i:02d}" for i in range(40)]
        ws.analytics.insert("employees", _table("employees", {
            "employee_id": [f"L{t}" for t in teams] + [f"A{i:03d}" for i in range(400)],
            "role": ["team_leader"] * 40 + ["agent"] * 400,
            "team_id": teams + [teams[i % 40] for i in range(400)],
            "manager_id": ["M1"] * 40 + [f"L{teams[i % 40]}" for i in range(400)],
        }))  # fmt: skip
        start = dt.datetime(2026, 1, 1, 8)
        ids = [f"R{i:07d}" for i in range(n)]
        ws.analytics.insert("responses", _table("responses", {
            "response_id": ids,
            "responded_at": [start + dt.timedelta(minutes=3 * i) for i in range(n)],
            "customer_id": [f"C{i % 50_000:06d}" for i in range(n)],
            "agent_id": [f"A{i % 400:03d}" for i in range(n)],
            "team_id": [teams[(i % 400) % 40] for i in range(n)],
            "channel": ["phone"] * n,
            "nps": [i % 7 for i in range(n)],
        }))  # fmt: skip
        themed = ids[::10]
        ws.analytics.insert("comment_themes", _table("comment_themes", {
            "response_id": themed, "theme": ["unfair treatment"] * len(themed),
            "sentiment": ["negative"] * len(themed),
        }))  # fmt: skip


def measure(n: int = 100_000, app_url: str = "") -> dict:
    """Seconds for ``sync_cases`` and for the plain bulk insert of the same rows."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ws"
        build(path, n)
        if app_url:
            toml = path / "cxloop.toml"
            toml.write_text(toml.read_text().replace('app_url = ""', f'app_url = "{app_url}"'))
        with Workspace.open(path) as ws:
            ws.app.upgrade()
            t0 = time.perf_counter()
            result = sync_cases(ws)
            sync_s = time.perf_counter() - t0
            assert result.opened == n, result
            with ws.app.session() as session:
                rows = [
                    {
                        c.key: getattr(case, c.key)
                        for c in Case.__table__.columns
                        if c.key not in ("id", "created_at", "updated_at")
                    }  # as sync writes them
                    for case in session.scalars(select(Case))
                ]
            again = time.perf_counter()
            assert sync_cases(ws).opened == 0
            again_s = time.perf_counter() - again
            if app_url:  # a second schema is not ours to make: reuse this one, emptied
                with ws.app.session() as session:
                    session.execute(Case.__table__.delete())
                ref_store = ws.app
            else:
                ref_store = AppStore(f"sqlite:///{Path(tmp) / 'reference.sqlite'}")
                ref_store.upgrade()
            t0 = time.perf_counter()
            for i in range(0, len(rows), 5000):
                with ref_store.session() as session:
                    session.execute(insert(Case.__table__), rows[i : i + 5000])
            ref_s = time.perf_counter() - t0
    backend = "postgresql" if app_url.startswith("postgres") else "sqlite"
    return {"n": n, "backend": backend, "sync_s": sync_s, "insert_s": ref_s,
            "again_s": again_s}  # fmt: skip


def postgres_schema_url() -> tuple[str, callable]:
    """An app-store URL on a fresh schema of the local test server, and its cleanup."""
    import uuid

    import psycopg

    schema = f"cxloop_bench_{uuid.uuid4().hex[:8]}"
    conninfo = "host=127.0.0.1 port=5432 dbname=test user=postgres"
    with psycopg.connect(conninfo, autocommit=True) as con:
        con.execute(f'CREATE SCHEMA "{schema}"')

    def drop() -> None:
        with psycopg.connect(conninfo, autocommit=True) as con:
            con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    url = ("postgresql+psycopg://postgres@127.0.0.1:5432/test"
           f"?options=-csearch_path%3D{schema}")  # fmt: skip
    return url, drop


def run() -> list[dict]:
    """Both app stores, for bench/run.py."""
    out = [measure()]
    try:
        url, drop = postgres_schema_url()
    except Exception as e:  # no server: say so in the results
        print(f"PostgreSQL not measured: {e}", flush=True)
        return out
    try:
        out.append(measure(app_url=url))
    finally:
        drop()
    return out


def markdown(rows: list[dict]) -> list[str]:
    lines = [
        "## Opening cases for 100,000 new responses",
        "",
        "`cxloop cases sync` end to end (the rule queries on DuckDB, the read of existing",
        "cases, owners, business-hours due times, inserts of 5,000 rows per transaction with",
        "an audit event each) against a plain SQLAlchemy Core bulk insert of the same rows",
        "(`bench/cases.py`). Target: under 10 s.",
        "",
        "| app store | sync_cases s | plain insert s | ratio | second sync (nothing new) s | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['backend']} | {r['sync_s']:.2f} | {r['insert_s']:.2f} "
                     f"| {r['sync_s'] / r['insert_s']:.2f}x | {r['again_s']:.2f} "
                     f"| {'met' if r['sync_s'] < 10 else 'NOT met'} |")  # fmt: skip
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--app-url", default="", help="App store URL (default: SQLite file).")
    args = parser.parse_args()
    r = measure(args.n, args.app_url)
    print(f"cases sync, {args.n:,} new responses ({r['backend']} app store, DuckDB analytics):")
    print(f"  sync_cases (query + owners + SLA + insert + audit): {r['sync_s']:6.2f} s "
          f"({args.n / r['sync_s']:,.0f} cases/s)")  # fmt: skip
    print(f"  plain bulk insert of the same rows:                 {r['insert_s']:6.2f} s")
    print(f"  ratio sync / plain insert:                          "
          f"{r['sync_s'] / r['insert_s']:6.2f}x")  # fmt: skip
    print(f"  second sync (nothing new):                          {r['again_s']:6.2f} s")
    print(f"  target < 10 s: {'met' if r['sync_s'] < 10 else 'NOT met'}")
    sys.exit(0 if r["sync_s"] < 10 else 1)


if __name__ == "__main__":
    main()
