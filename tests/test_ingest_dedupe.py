"""Ingesting is idempotent, and a changed row is a conflict unless --update says replace.

Same key and same content is a duplicate (nothing added); same key and different
content is a conflict (nothing overwritten), or with update=True replaces the stored
row and its rating items (last row wins within a file). Hashes made by another
hash version are recomputed from stored content, so an upgrade never turns
duplicates into conflicts.
"""

import json

import pyarrow as pa
from typer.testing import CliRunner

from cxloop.cli import app
from cxloop.ingest import dedupe, ingest_file, ingest_rows
from cxloop.ingest.engine import connect

runner = CliRunner()

HEADER = "response_id,responded_at,nps,rating_speed,rating_ease,comment\n"
FIRST = HEADER + "a,2024-05-01 10:00,9,8,,fine\nb,2024-05-01 11:00,3,2,4,slow\n"
CHANGED = HEADER + "a,2024-05-01 10:00,9,8,,fine\nb,2024-05-01 11:00,5,6,,better now\n"


def rows(ws, table):
    return ws.analytics.table(table).to_pyarrow().to_pylist()


def snapshot(ws):
    return {t: sorted(map(str, rows(ws, t))) for t in ("responses", "response_ratings")}


def test_same_file_twice_adds_nothing(ingest_ws, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text(FIRST)
    first = ingest_file(ingest_ws, "responses", f)
    assert first.to_dict() == {
        "read": 2,
        "accepted": 2,
        "quarantined": 0,
        "duplicates": 0,
        "conflicts": 0,
        "rejects_file": None,
        "updated": 0,
        "warnings": [],
    }
    before = snapshot(ingest_ws)
    assert len(before["response_ratings"]) == 3  # a.speed, b.speed, b.ease
    second = ingest_file(ingest_ws, "responses", f)
    assert (second.accepted, second.duplicates, second.conflicts) == (0, 2, 0)
    assert snapshot(ingest_ws) == before
    log = rows(ingest_ws, "ingest_log")
    assert [(r["accepted"], r["duplicates"]) for r in log] == [(2, 0), (0, 2)]
    assert len({r["source_sha256"] for r in log}) == 1


def test_stored_rows_carry_hash_and_ingest_id(ingest_ws, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text(FIRST)
    r = ingest_file(ingest_ws, "responses", f)
    stored = rows(ingest_ws, "responses")
    assert {s["_ingest_id"] for s in stored} == {r.ingest_id}
    assert len({s["_row_hash"] for s in stored}) == 2


def test_changed_row_is_a_conflict_not_an_overwrite(ingest_ws, tmp_path):
    (tmp_path / "1.csv").write_text(FIRST)
    (tmp_path / "2.csv").write_text(CHANGED)
    ingest_file(ingest_ws, "responses", tmp_path / "1.csv")
    before = snapshot(ingest_ws)
    r = ingest_file(ingest_ws, "responses", tmp_path / "2.csv")
    assert (r.read, r.accepted, r.duplicates, r.conflicts, r.updated) == (2, 0, 1, 1, 0)
    assert snapshot(ingest_ws) == before
    [p] = r.reasons
    assert (p.row, p.field) == (3, "response_id") and "already stored" in p.reason
    q = rows(ingest_ws, "quarantine")
    assert [(x["row_number"], x["field"]) for x in q] == [(3, "response_id")]
    assert json.loads(q[0]["raw"])["comment"] == "better now"


def test_update_replaces_the_row_and_its_items(ingest_ws, tmp_path):
    (tmp_path / "1.csv").write_text(FIRST)
    (tmp_path / "2.csv").write_text(CHANGED)
    ingest_file(ingest_ws, "responses", tmp_path / "1.csv")
    result = runner.invoke(
        app,
        [
            "ingest",
            "responses",
            str(tmp_path / "2.csv"),
            "-w",
            str(ingest_ws.path),
            "--update",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert list(out)[:6] == [
        "read",
        "accepted",
        "quarantined",
        "duplicates",
        "conflicts",
        "rejects_file",
    ]
    assert (out["accepted"], out["updated"], out["duplicates"], out["conflicts"]) == (1, 1, 1, 0)
    b = {r["response_id"]: r for r in rows(ingest_ws, "responses")}["b"]
    assert (b["nps"], b["comment"]) == (5, "better now")
    items = sorted(
        (r["response_id"], r["item"], r["value"]) for r in rows(ingest_ws, "response_ratings")
    )
    assert items == [("a", "speed", 8.0), ("b", "speed", 6.0)]
    assert ingest_file(ingest_ws, "responses", tmp_path / "2.csv").duplicates == 2


def test_within_one_file_last_wins_with_update(ingest_ws, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text(
        "response_id,responded_at,nps\n"
        "k,2024-05-01,1\nk,2024-05-01,2\nk,2024-05-01,2\nk,2024-05-01,3\n"
    )
    r = ingest_file(ingest_ws, "responses", f)
    assert (r.accepted, r.duplicates, r.conflicts) == (1, 1, 2)
    assert [x["nps"] for x in rows(ingest_ws, "responses")] == [1]

    f.write_text("response_id,responded_at,nps\nk,2024-05-01,4\nk,2024-05-01,5\n")
    r = ingest_file(ingest_ws, "responses", f, update=True)
    assert (r.accepted, r.updated, r.conflicts, r.duplicates) == (2, 2, 0, 0)
    assert [x["nps"] for x in rows(ingest_ws, "responses")] == [5]


def test_same_content_from_rows_and_from_csv_is_a_duplicate(ingest_ws, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text(FIRST)
    ingest_file(ingest_ws, "responses", f)
    batch = [
        {
            "response_id": "a",
            "responded_at": "2024-05-01T10:00:00",
            "nps": 9,
            "rating_speed": 8.0,
            "comment": "fine",
        },
    ]
    r = ingest_rows(ingest_ws, "responses", batch, source="api")
    assert (r.duplicates, r.accepted) == (1, 0)


def test_a_new_hash_version_rehashes_stored_rows(ingest_ws, tmp_path, monkeypatch):
    f = tmp_path / "r.csv"
    f.write_text(FIRST)
    ingest_file(ingest_ws, "responses", f)
    monkeypatch.setattr(dedupe, "SCHEME", "test-upgrade")
    again = ingest_file(ingest_ws, "responses", f)
    assert (again.duplicates, again.conflicts) == (2, 0)
    (tmp_path / "2.csv").write_text(CHANGED)
    monkeypatch.setattr(dedupe, "SCHEME", "another")
    changed = ingest_file(ingest_ws, "responses", tmp_path / "2.csv")
    assert (changed.duplicates, changed.conflicts) == (1, 1)


def test_row_hash_covers_every_field_and_item():
    con = connect()
    base = [pa.array(["a", "a"]), pa.array([1, 1])]

    def hashes(columns, items):
        return dedupe.row_hashes(con, columns, dedupe.items_hash(items, 2), 7).to_pylist()

    same = hashes(
        base, {"speed": pa.array([1.0, 1.0]), "ease": pa.array([None, None], pa.float64())}
    )
    assert same[0] == same[1] and list(dedupe.version_of(pa.array(same))) == [7, 7]
    assert hashes(base, {})[0] != same[0]  # an item present or not
    assert len(set(hashes([pa.array(["a", "a"]), pa.array([1, None])], {}))) == 2
    assert len(set(hashes(base, {"speed": pa.array([1.0, 2.0])}))) == 2
    swapped = hashes(base, {"speed": pa.array([1.0, 2.0]), "ease": pa.array([2.0, 1.0])})
    assert swapped[0] != swapped[1]  # the item's name counts, not only its value
