"""cxloop benchmarks: our speed as a ratio to a reference run in the same process.

    make bench                # or: .venv/bin/python bench/run.py [--rounds 3]

Builds the simulator's large size once (cached in bench/data/), then measures:

1. Ingest of the 1,000,000-response CSV (validation, dedupe, redaction) against
   DuckDB's own ``read_csv`` into a table on the same file; peak memory of the ingest
   measured in a child process.
2. NPS by team x week with margins through ``cxloop.metrics.survey_scores`` against a
   hand-written DuckDB SQL query giving the same numbers.
3. Contact-centre KPIs by team x month over 10,000,000 interactions through
   ``cxloop.metrics.contact_centre_kpis`` against hand-written SQL.

Results are printed and written to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SOURCE = DATA / "source"
WS = DATA / "ws"

NPS_SQL = """
SELECT team_id AS team, CAST(date_trunc('week', responded_at) AS DATE) AS period,
       count(nps) AS n,
       (sum(CAST(nps >= 9 AS INT)) - sum(CAST(nps <= 6 AS INT))) / count(nps) * 100 AS nps,
       1.96 * sqrt((sum(CAST(nps >= 9 AS INT)) / count(nps) + sum(CAST(nps <= 6 AS INT)) / count(nps)
         - power(sum(CAST(nps >= 9 AS INT)) / count(nps) - sum(CAST(nps <= 6 AS INT)) / count(nps), 2))
         / count(nps)) * 100 AS nps_margin,
       sum(CAST(csat >= 4 AS INT)) / count(csat) * 100 AS csat,
       avg(ces) AS ces, 1.96 * stddev_samp(ces) / sqrt(count(ces)) AS ces_margin
FROM responses GROUP BY ALL ORDER BY period, team
"""

KPI_SQL = """
WITH x AS (
  SELECT *, coalesce(lead(started_at) OVER (PARTITION BY customer_id ORDER BY started_at)
                     <= started_at + INTERVAL 7 DAY, false) AS repeated
  FROM interactions)
SELECT team_id AS team, CAST(date_trunc('month', started_at) AS DATE) AS period,
  count(*) FILTER (WHERE channel IN ('phone','chat') AND coalesce(offered, true)) AS offered,
  count(*) FILTER (WHERE channel IN ('phone','chat') AND coalesce(offered, true) AND answered
                   AND wait_seconds <= 20) * 100.0
    / count(*) FILTER (WHERE channel IN ('phone','chat') AND coalesce(offered, true))
    AS grade_of_service,
  avg(wait_seconds) FILTER (WHERE channel IN ('phone','chat') AND coalesce(offered, true)
                            AND answered) AS asa,
  avg(coalesce(talk_seconds,0) + coalesce(hold_seconds,0) + coalesce(wrap_seconds,0))
    FILTER (WHERE answered) AS aht,
  count(*) FILTER (WHERE answered AND customer_id IS NOT NULL AND resolved AND NOT repeated)
    * 100.0 / count(*) FILTER (WHERE answered AND customer_id IS NOT NULL AND resolved IS NOT NULL)
    AS fcr
FROM x GROUP BY ALL ORDER BY period, team
"""


def timed(fn, rounds: int) -> tuple[float, object]:
    """Median wall time of ``rounds`` calls, and the last result."""
    times, result = [], None
    for _ in range(rounds):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def ensure_data() -> dict:
    from cxloop.simulate import build

    marker = SOURCE / "truth.json"
    if not marker.exists():
        print("building the large simulation (once; cached in bench/data/)...", flush=True)
        t0 = time.perf_counter()
        build(SOURCE, size="large", seed=7)
        print(f"  built in {time.perf_counter() - t0:.0f} s", flush=True)
    return json.loads(marker.read_text())


def child_ingest(ws: str, entity: str, path: str) -> None:
    """Run in a child process: ingest one file, print the result and peak RSS."""
    from cxloop import Workspace
    from cxloop.ingest import ingest_file

    w = Workspace.open(ws)
    t0 = time.perf_counter()
    r = ingest_file(w, entity, path)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mib": peak, **r.to_dict()}))


def run_child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "child", *args], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_ingest(rounds: int) -> dict:
    from cxloop import Workspace

    csv = SOURCE / "responses.csv"
    def duck() -> int:
        con = duckdb.connect()
        con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(csv)])
        n = con.execute("SELECT count(*) FROM t").fetchone()[0]
        con.close()
        return n

    ref_s, rows = timed(duck, rounds)
    ours = []
    for _ in range(rounds):
        if WS.exists():
            shutil.rmtree(WS)
        Workspace.init(WS).close()
        run_child(str(WS), "employees", str(SOURCE / "employees.csv"))
        ours.append(run_child(str(WS), "responses", str(csv)))
    again = run_child(str(WS), "responses", str(csv))  # all duplicates
    ours_s = statistics.median(r["seconds"] for r in ours)
    return {
        "rows": rows,
        "duckdb_s": ref_s,
        "cxloop_s": ours_s,
        "ratio": ref_s / ours_s,
        "peak_mib": max(r["peak_mib"] for r in ours),
        "rerun_s": again["seconds"],
        "rerun_duplicates": again["duplicates"],
        "accepted": ours[-1]["accepted"],
        "quarantined": ours[-1]["quarantined"],
    }


def bench_queries(rounds: int) -> dict:
    from cxloop import Workspace, metrics
    from cxloop.ingest import ingest_file

    ws = Workspace.open(WS)
    if ws.analytics.count("interactions") == 0:
        print("ingesting 10M interactions for the KPI benchmark...", flush=True)
        t0 = time.perf_counter()
        r = ingest_file(ws, "interactions", SOURCE / "interactions.parquet")
        print(f"  {r.accepted:,} rows in {time.perf_counter() - t0:.1f} s", flush=True)
    con = ws.analytics.con.con  # the raw DuckDB connection, for the reference queries
    out = {}
    cases = {
        "nps_team_week": (NPS_SQL, lambda: metrics.survey_scores(ws, by="team", period="week")),
        "kpi_team_month": (KPI_SQL, lambda: metrics.contact_centre_kpis(ws, by="team", period="month")),
    }
    for name, (sql, api) in cases.items():
        con.execute(sql).fetchall()  # warm
        api()
        ref_s, ref = timed(lambda sql=sql: con.execute(sql).fetchall(), rounds)
        api_s, rows = timed(api, rounds)
        check = _compare(ref, rows, name)
        out[name] = {"groups": len(rows), "sql_s": ref_s, "api_s": api_s,
                     "ratio": api_s / ref_s, "max_abs_diff": check}
    return out


def _compare(ref: list[tuple], rows: list[dict], name: str) -> float:
    """Largest absolute difference between the reference and the API numbers."""
    fields = ("n", "nps", "nps_margin", "csat", "ces", "ces_margin") if name.startswith("nps") \
        else ("offered", "grade_of_service", "asa", "aht", "fcr")
    api = {(r["team"], r["period"]): r for r in rows}
    worst = 0.0
    assert len(ref) == len(api), (len(ref), len(api))
    for rec in ref:
        mine = api[(rec[0], rec[1])]
        for value, field in zip(rec[2:], fields, strict=True):
            if value is None and mine[field] is None:
                continue
            worst = max(worst, abs(float(value) - float(mine[field])))
    return worst


def write_results(ingest: dict, queries: dict, truth_counts: dict | None) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Measured {dt.datetime.now():%Y-%m-%d %H:%M} on {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, duckdb {duckdb.__version__}; "
        "median of the rounds, same process and same files for cxloop and the reference. "
        "Re-run with `make bench`.",
        "",
        "| case | reference | reference s | cxloop s | ratio | target | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    ok = lambda cond: "met" if cond else "NOT met"  # noqa: E731
    lines.append(
        f"| ingest {ingest['rows']:,} responses (CSV, validate, dedupe, redact) "
        f"| DuckDB read_csv into a table | {ingest['duckdb_s']:.2f} | {ingest['cxloop_s']:.2f} "
        f"| {ingest['ratio']:.2f}x of DuckDB's rows/s | >= 0.3x | {ok(ingest['ratio'] >= 0.3)} |"
    )
    lines.append(
        f"| ingest peak memory | | | {ingest['peak_mib']:,.0f} MiB | | < 2,048 MiB "
        f"| {ok(ingest['peak_mib'] < 2048)} |"
    )
    for name, label in (("nps_team_week", "NPS by team x week, 1M responses"),
                        ("kpi_team_month", "KPIs by team x month, 10M interactions")):
        q = queries[name]
        lines.append(
            f"| {label} ({q['groups']:,} groups) | hand-written DuckDB SQL | {q['sql_s']:.3f} "
            f"| {q['api_s']:.3f} | {q['ratio']:.2f}x the time | <= 3x | {ok(q['ratio'] <= 3)} |"
        )
    lines += [
        "",
        f"Re-ingesting the same 1M-row file: {ingest['rerun_s']:.2f} s, "
        f"{ingest['rerun_duplicates']:,} duplicates, nothing added. "
        f"First ingest: {ingest['accepted']:,} accepted, {ingest['quarantined']:,} quarantined.",
        "Largest absolute difference between the API's numbers and the reference SQL: "
        + ", ".join(f"{k} {v['max_abs_diff']:.2e}" for k, v in queries.items()) + ".",
        "",
    ]
    text = "\n".join(lines)
    (HERE / "RESULTS.md").write_text(text)
    return text


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        child_ingest(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    truth = ensure_data()
    ingest = bench_ingest(args.rounds)
    print(json.dumps(ingest, indent=1), flush=True)
    queries = bench_queries(max(args.rounds, 5))
    print(json.dumps(queries, indent=1), flush=True)
    print(write_results(ingest, queries, truth.get("counts")))


if __name__ == "__main__":
    main()
