"""For any mix of good, bad, duplicate and conflicting rows, every row is accounted for.

``read == accepted + quarantined + duplicates + conflicts`` always; the counts match
a plain model of the rules (first content wins, or the last row wins with update);
the stored rows are exactly what the model says; a second run adds nothing.
"""

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxloop import Workspace
from cxloop.ingest import ingest_file

KINDS = st.sampled_from(["good", "good", "bad_score", "bad_date", "no_id", "repeat", "change"])


def build(kinds: list[str], ids: list[int]) -> tuple[str, list[tuple[str, int] | None]]:
    """CSV text and, per row, (id, nps) for valid rows or None for rows that must be quarantined."""
    lines = ["response_id,responded_at,nps"]
    rows: list[tuple[str, int] | None] = []
    valid: list[tuple[str, int]] = []
    for kind, n in zip(kinds, ids, strict=True):
        if kind in ("repeat", "change") and valid:
            rid, nps = valid[n % len(valid)]
            nps = nps if kind == "repeat" else (nps + 1) % 11
        else:
            rid, nps = f"r{n}", n % 11
        if kind == "bad_score":
            lines.append(f"{rid},2024-05-01,{11 + n % 3}")
            rows.append(None)
        elif kind == "bad_date":
            lines.append(f"{rid},2024-13-{n % 28 + 1:02d},{nps}")
            rows.append(None)
        elif kind == "no_id":
            lines.append(f",2024-05-01,{nps}")
            rows.append(None)
        else:
            lines.append(f"{rid},2024-05-01,{nps}")
            rows.append((rid, nps))
            valid.append((rid, nps))
    return "\n".join(lines) + "\n", rows


def model(rows, stored: dict[str, set[int]], final: dict[str, int], update: bool) -> dict:
    counts = dict.fromkeys(["accepted", "quarantined", "duplicates", "conflicts", "updated"], 0)
    for row in rows:
        if row is None:
            counts["quarantined"] += 1
            continue
        rid, nps = row
        if nps in stored.get(rid, set()):
            counts["duplicates"] += 1
        elif rid not in stored:
            counts["accepted"] += 1
            final[rid] = nps
        elif update:
            counts["accepted"] += 1
            counts["updated"] += 1
        else:
            counts["conflicts"] += 1
        stored.setdefault(rid, set()).add(nps)
        if update:
            final[rid] = nps
    return counts


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kinds=st.lists(KINDS, min_size=1, max_size=30),
    seed=st.lists(st.integers(0, 40), min_size=30, max_size=30),
    update=st.booleans(),
)
def test_every_row_is_accounted_for(_ingest_template, kinds, seed, update):
    text, rows = build(kinds, seed[: len(kinds)])
    folder = Path(tempfile.mkdtemp())
    try:
        shutil.copytree(_ingest_template, folder / "ws")
        (folder / "r.csv").write_text(text)
        with Workspace.open(folder / "ws") as ws:
            result = ingest_file(ws, "responses", folder / "r.csv", update=update)
            out = result.to_dict()
            assert list(out)[:6] == [
                "read",
                "accepted",
                "quarantined",
                "duplicates",
                "conflicts",
                "rejects_file",
            ]
            assert out["read"] == len(rows)
            assert out["read"] == (
                out["accepted"] + out["quarantined"] + out["duplicates"] + out["conflicts"]
            )
            final: dict[str, int] = {}
            expected = model(rows, {}, final, update)
            assert {k: out[k] for k in expected} == expected
            table = ws.analytics.table("responses").to_pyarrow().to_pylist()
            assert {r["response_id"]: r["nps"] for r in table} == final
            assert (out["rejects_file"] is None) == (
                expected["quarantined"] + expected["conflicts"] == 0
            )

            again = ingest_file(ws, "responses", folder / "r.csv", update=update).to_dict()
            assert again["accepted"] == 0 or update
            assert again["quarantined"] == expected["quarantined"]
            table2 = ws.analytics.table("responses").to_pyarrow().to_pylist()
            assert {r["response_id"]: r["nps"] for r in table2} == final
    finally:
        shutil.rmtree(folder, ignore_errors=True)
