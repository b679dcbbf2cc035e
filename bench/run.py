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
4. Comments (bench/tagging.py, sentiment.py, discovery.py, zeroshot.py) and insights
   over the medium demo workspace (bench/insights.py).

Results are printed and written to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import report  # noqa: E402  (beside this file)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the text benchmarks live beside this file
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
  SELECT *, coalesce(lead(started_at) OVER (PARTITION BY customer_id
                                           ORDER BY started_at, interaction_id)
                     <= started_at + INTERVAL 7 DAY, false) AS repeated
  FROM interactions)
SELECT team_id AS team, CAST(date_trunc('month', started_at) AS DATE) AS period,
  count(*) FILTER (WHERE channel IN ('phone','chat') AND coalesce(offered, true)) AS offered,
  count(*) FILTER (WHERE channel IN ('phone','chat') AND coalesce(offered, true) AND answered
                   AND wait_seconds <= 20) * 100.0
    / nullif(count(*) FILTER (WHERE channel IN ('phone','chat') AND coalesce(offered, true)), 0)
    AS grade_of_service,
  avg(wait_seconds) FILTER (WHERE channel IN ('phone','chat') AND coalesce(offered, true)
                            AND answered) AS asa,
  avg(coalesce(talk_seconds,0) + coalesce(hold_seconds,0) + coalesce(wrap_seconds,0))
    FILTER (WHERE answered) AS aht,
  count(*) FILTER (WHERE answered AND customer_id IS NOT NULL AND resolved AND NOT repeated)
    * 100.0 / nullif(count(*) FILTER (WHERE answered AND customer_id IS NOT NULL
                                      AND resolved IS NOT NULL), 0) AS fcr
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


def ensure_data() -> None:
    from cxloop.simulate import build

    marker = SOURCE / "truth.json"
    if not marker.exists():
        print("building the large simulation (once; cached in bench/data/)...", flush=True)
        t0 = time.perf_counter()
        build(SOURCE, size="large", seed=7)
        print(f"  built in {time.perf_counter() - t0:.0f} s", flush=True)


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
    ref_file = DATA / "reference.duckdb"

    def duck(database: str) -> int:
        for leftover in (ref_file, Path(f"{ref_file}.wal")):
            leftover.unlink(missing_ok=True)
        con = duckdb.connect(database)
        con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(csv)])
        n = con.execute("SELECT count(*) FROM t").fetchone()[0]
        con.close()
        return n

    ref_s, rows = timed(lambda: duck(":memory:"), rounds)
    ref_file_s, _ = timed(lambda: duck(str(ref_file)), rounds)
    ref_file.unlink(missing_ok=True)
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
        "duckdb_file_s": ref_file_s,
        "cxloop_s": ours_s,
        "ratio": ref_s / ours_s,
        "ratio_file": ref_file_s / ours_s,
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
        "kpi_team_month": (
            KPI_SQL,
            lambda: metrics.contact_centre_kpis(ws, by="team", period="month"),
        ),
    }
    for name, (sql, api) in cases.items():
        con.execute(sql).fetchall()  # warm
        api()
        ref_s, ref = timed(lambda sql=sql: con.execute(sql).fetchall(), rounds)
        api_s, rows = timed(api, rounds)
        check = _compare(ref, rows, name)
        out[name] = {
            "groups": len(rows),
            "sql_s": ref_s,
            "api_s": api_s,
            "ratio": api_s / ref_s,
            "max_abs_diff": check,
        }
    return out


def _compare(ref: list[tuple], rows: list[dict], name: str) -> float:
    """Largest absolute difference between the reference and the API numbers."""
    fields = (
        ("n", "nps", "nps_margin", "csat", "ces", "ces_margin")
        if name.startswith("nps")
        else ("offered", "grade_of_service", "asa", "aht", "fcr")
    )
    api = {(r["team"], r["period"]): r for r in rows}
    worst = 0.0
    assert len(ref) == len(api), (len(ref), len(api))
    for rec in ref:
        mine = api[(rec[0], rec[1])]
        for value, field in zip(rec[2:], fields, strict=True):
            if value is None or mine[field] is None:
                if value is not None or mine[field] is not None:
                    worst = float("inf")
                continue
            worst = max(worst, abs(float(value) - float(mine[field])))
    return worst


def bench_tagging() -> dict:
    """Phrase matching over 1M simulated comments; full tagging of 20k real reviews."""
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv
    import sentiment
    import tagging

    table = pcsv.read_csv(SOURCE / "responses.csv", convert_options=pcsv.ConvertOptions(
        include_columns=["comment"], column_types={"comment": "string"}))  # fmt: skip
    comments = pc.drop_null(table.column("comment")).to_pylist()
    million = (comments * (1_000_000 // len(comments) + 1))[:1_000_000]
    out = {"phrases": tagging.phrases(million)}
    print(json.dumps(out, indent=1), flush=True)
    reviews = sentiment.load_clothing()[0][:20_000]
    out["full"] = tagging.full(reviews)
    print(json.dumps(out["full"], indent=1), flush=True)
    return out


def bench_text() -> dict:
    """Tagging speed, sentiment against VADER, discovery against BERTopic, zero-shot."""
    import discovery
    import sentiment
    import zeroshot

    out = bench_tagging()
    for name, module in (("sentiment", sentiment), ("discovery", discovery),
                         ("zeroshot", zeroshot)):  # fmt: skip
        out[name] = module.run()
        print(json.dumps(out[name], indent=1, default=str), flush=True)
    out["zeroshot_torch"] = zeroshot.run("torch")
    return out


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        child_ingest(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", help="run one part", choices=[
        "ingest", "queries", "text", "tagging", "sentiment", "insights", "cases"])  # fmt: skip
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    if args.only not in ("insights", "cases"):
        ensure_data()
    last = HERE / "data" / "last.json"
    previous = json.loads(last.read_text()) if last.exists() else {}
    if args.only in (None, "ingest"):
        previous["ingest"] = bench_ingest(args.rounds)
        print(json.dumps(previous["ingest"], indent=1), flush=True)
        last.write_text(json.dumps(previous))
    if args.only == "ingest":
        return
    if args.only in (None, "queries"):
        previous["queries"] = bench_queries(max(args.rounds, 5))
        print(json.dumps(previous["queries"], indent=1), flush=True)
        last.write_text(json.dumps(previous))
    if args.only in (None, "text"):
        previous["text"] = bench_text()
        last.write_text(json.dumps(previous, default=str))
    if args.only == "tagging":
        previous["text"].update(bench_tagging())
        last.write_text(json.dumps(previous, default=str))
    if args.only == "sentiment":
        import sentiment

        previous["text"]["sentiment"] = sentiment.run()
        last.write_text(json.dumps(previous, default=str))
    if args.only in (None, "insights"):
        import insights

        previous["insights"] = insights.run(args.rounds)
        last.write_text(json.dumps(previous, default=str))
        if "ingest" not in previous:  # only this part was ever run here: splice it in
            print(
                insights.update_results(
                    HERE / "RESULTS.md", insights.markdown(previous["insights"])
                )
            )
            return
    if args.only in (None, "cases"):
        import cases
        import insights

        previous["cases"] = cases.run()
        last.write_text(json.dumps(previous, default=str))
        if "ingest" not in previous:
            print(insights.update_results(HERE / "RESULTS.md", cases.markdown(previous["cases"])))
            return
    print(report.write_results(previous))


if __name__ == "__main__":
    main()
