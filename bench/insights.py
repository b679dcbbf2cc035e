"""Insights benchmarks (issue 4): each analysis over the medium demo workspace, in seconds.

The target is absolute (under 2 s per analysis over the medium demo). As a yardstick
from the same process, each run also times a plain DuckDB query of NPS by team and
month over the same workspace file. Key drivers are also timed on the airline
passenger-satisfaction data (~100,000 rows, 14 drivers), the issue's other target.

The analyses come from ``bench/insights_*.py``: each module's ``CASES`` is a list of
``(label, call)`` where ``call(workspace)`` runs one analysis through the Python API.
"""

from __future__ import annotations

import importlib
import statistics
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEMO = HERE / "data" / "demo-medium"
AIRLINE = HERE.parents[1] / "shared" / "data" / "airline-passenger-satisfaction" / "train.csv"
TARGET_S = 2.0
AIRLINE_DRIVERS = (
    "Inflight wifi service", "Departure/Arrival time convenient", "Ease of Online booking",
    "Gate location", "Food and drink", "Online boarding", "Seat comfort",
    "Inflight entertainment", "On-board service", "Leg room service", "Baggage handling",
    "Checkin service", "Inflight service", "Cleanliness",
)  # fmt: skip

NPS_BY_TEAM_MONTH = """
SELECT team_id, date_trunc('month', responded_at) AS month, count(nps) AS n,
       (count(*) FILTER (WHERE nps >= 9) - count(*) FILTER (WHERE nps <= 6)) * 100.0
         / count(nps) AS nps
FROM responses GROUP BY ALL
"""


def _median_time(call, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def ensure_demo() -> Path:
    """The medium demo workspace (seed 7, comments tagged), built once and kept."""
    if not (DEMO / "cxloop.toml").exists():
        from cxloop.demo import build_demo

        print("building the medium demo workspace (about a minute)...", flush=True)
        build_demo(DEMO, size="medium", seed=7, force=True).workspace.close()
    return DEMO


def cases() -> list[tuple[str, str, object]]:
    """Every (area, label, call) from bench/insights_*.py."""
    out = []
    for path in sorted(HERE.glob("insights_*.py")):
        module = importlib.import_module(path.stem)
        out += [(path.stem.removeprefix("insights_"), label, call) for label, call in module.CASES]
    return out


def airline(rounds: int) -> list[dict]:
    import numpy as np
    import pyarrow.csv as pcsv

    from cxloop.insights.drivers import key_drivers

    if not AIRLINE.exists():
        return []
    table = pcsv.read_csv(AIRLINE)
    y = (np.asarray(table.column("satisfaction").to_pylist()) == "satisfied").astype(float)
    x = {c: table.column(c).to_numpy().astype(float) for c in AIRLINE_DRIVERS}
    out = []
    for method in ("shapley", "relative-weights"):
        seconds = _median_time(lambda m=method: key_drivers(y, x, method=m, resamples=200),
                               rounds)  # fmt: skip
        out.append({"label": f"key drivers, airline {len(y):,} rows x 14 drivers, {method}, "
                    "200 bootstrap resamples", "seconds": seconds})  # fmt: skip
    return out


def run(rounds: int = 3) -> dict:
    import duckdb

    from cxloop import Workspace

    path = ensure_demo()
    with Workspace.open(path) as ws:
        counts = {t: ws.analytics.count(t) for t in ("responses", "interactions", "comment_tags")}
        results = []
        for area, label, call in cases():
            call(ws)  # warm: first imports, caches
            results.append({"area": area, "label": label,
                            "seconds": _median_time(lambda c=call: c(ws), rounds)})  # fmt: skip
            print(f"{area:8s} {results[-1]['seconds']:6.3f} s  {label}", flush=True)
    con = duckdb.connect(str(path / "analytics.duckdb"), read_only=True)
    reference = _median_time(lambda: con.execute(NPS_BY_TEAM_MONTH).fetchall(), rounds)
    con.close()
    return {"counts": counts, "cases": results, "reference_s": reference,
            "airline": airline(rounds)}  # fmt: skip


def markdown(data: dict) -> list[str]:
    c = data["counts"]
    lines = [
        "## Insights over the medium demo workspace",
        "",
        f"Each analysis through the Python API over the medium demo ({c['responses']:,} "
        f"responses, {c['interactions']:,} interactions, {c['comment_tags']:,} tagged "
        f"comments); median of the rounds. Target: under {TARGET_S:g} s each. Yardstick: "
        f"plain DuckDB SQL of NPS by team and month over the same file takes "
        f"{data['reference_s']:.3f} s. Each is timed warm, after one call: the first call "
        "in a process adds about a second of imports (and, for linkage, loading the "
        "sentence model to score check-in notes).",
        "",
        "| area | analysis | seconds | x the yardstick | target | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for r in data["cases"]:
        verdict = "met" if r["seconds"] < TARGET_S else "NOT met"
        lines.append(f"| {r['area']} | {r['label']} | {r['seconds']:.3f} "
                     f"| {r['seconds'] / data['reference_s']:.0f}x | < {TARGET_S:g} s "
                     f"| {verdict} |")  # fmt: skip
    for r in data["airline"]:
        verdict = "met" if r["seconds"] < TARGET_S else "NOT met"
        lines.append(f"| drivers | {r['label']} | {r['seconds']:.3f} | | < {TARGET_S:g} s "
                     f"| {verdict} |")  # fmt: skip
    return [*lines, ""]


def update_results(path: Path, new: list[str]) -> str:
    """Replace (or add) one section (``new``: its lines, heading first) of an existing
    RESULTS.md, keeping the rest."""
    lines = path.read_text().splitlines() if path.exists() else ["# Benchmark results", ""]
    if new[0] in lines:
        start = lines.index(new[0])
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
                   len(lines))  # fmt: skip
        lines[start:end] = new
    else:
        lines += ["", *new]
    path.write_text("\n".join(lines) + "\n")
    return "\n".join(new)
