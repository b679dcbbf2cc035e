"""Parquet, JSON lines, Arrow tables and lists of dicts go through the same checks as CSV.

Typed Parquet columns are re-checked like text (a float 9.0 is a whole number, NaN
is missing, an offset-aware timestamp is converted); JSON lines are numbered by
line and a line that is not JSON is quarantined; batches are numbered from 1. The
same record from any source is a duplicate of itself.
"""

import datetime as dt
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cxloop.errors import InputUnreadable
from cxloop.ingest import ingest_file, ingest_rows, ingest_table


def stored(ws, table="responses", key="response_id"):
    return {r[key]: r for r in ws.analytics.table(table).to_pyarrow().to_pylist()}


def test_parquet_with_typed_columns(ingest_ws, tmp_path):
    utc = dt.UTC
    table = pa.table(
        {
            "response_id": ["p1", "p2", "p3", "p4"],
            "responded_at": pa.array(
                [dt.datetime(2024, 6, 1, 10, tzinfo=utc)] * 4, pa.timestamp("us", "UTC")
            ),
            "nps": pa.array([9.0, float("nan"), 11.0, 7.5]),
            "csat": pa.array([5, 4, None, None], pa.int32()),
            "channel": pa.array(["phone", "chat", "email", "branch"]).dictionary_encode(),
        }
    )
    f = tmp_path / "r.parquet"
    pq.write_table(table, f)
    ingest_ws.settings.workspace.timezone = "Europe/London"
    r = ingest_file(ingest_ws, "responses", f)
    assert (r.read, r.accepted, r.quarantined) == (4, 2, 2)
    assert {(p.row, p.field) for p in r.reasons} == {(3, "nps"), (4, "nps")}
    rows = stored(ingest_ws)
    assert (rows["p1"]["nps"], rows["p2"]["nps"], rows["p2"]["csat"]) == (9, None, 4)
    assert rows["p1"]["responded_at"] == dt.datetime(2024, 6, 1, 11)  # 10:00 UTC is 11:00 BST
    assert ingest_file(ingest_ws, "responses", f).duplicates == 2


def test_json_lines_numbered_by_line(ingest_ws, tmp_path):
    f = tmp_path / "r.jsonl"
    f.write_text(
        json.dumps(
            {
                "response_id": "j1",
                "responded_at": "2024-06-01T10:00:00Z",
                "nps": 9,
                "comment": "ok",
                "extra": {"nested": True},
            }
        )
        + "\n"
        "\n"
        '{"response_id": "j2", "responded_at": "2024-06-01", "nps": "ten"}\n'
        "{not json}\n"
        '["a list"]\n'
        '{"response_id": "j3", "responded_at": "2024-06-01", "csat": 5, "nps": null}\n'
    )
    r = ingest_file(ingest_ws, "responses", f)
    assert (r.read, r.accepted, r.quarantined) == (5, 2, 3)
    assert {(p.row, p.field) for p in r.reasons} == {(3, "nps"), (4, ""), (5, "")}
    assert any(p.reason.startswith("not valid JSON") for p in r.reasons)
    assert stored(ingest_ws)["j3"]["csat"] == 5


def test_jsonl_where_nothing_is_json_is_unreadable(ingest_ws, tmp_path):
    f = tmp_path / "r.jsonl"
    f.write_text("response_id,responded_at\nx,y\n")
    with pytest.raises(InputUnreadable) as e:
        ingest_file(ingest_ws, "responses", f)
    assert e.value.line == 1 and "not valid JSON" in str(e.value)


def test_a_json_array_file(ingest_ws, tmp_path):
    f = tmp_path / "r.json"
    f.write_text(json.dumps([{"response_id": "a1", "responded_at": "2024-06-01", "ces": 6}]))
    assert ingest_file(ingest_ws, "responses", f).accepted == 1


def test_ingest_rows_and_ingest_table(ingest_ws):
    batch = [
        {"response_id": "b1", "responded_at": "2024-06-01 09:00", "nps": 10, "channel": "Chat"},
        {"response_id": "b2", "responded_at": "2024-06-01 09:00", "nps": 42},
        {"response_id": "b3", "responded_at": dt.datetime(2024, 6, 1, 9), "ces": 7},
    ]
    r = ingest_rows(ingest_ws, "responses", batch, source="api:batch-1")
    assert (r.accepted, r.quarantined) == (2, 1)
    assert [(p.row, p.field) for p in r.reasons] == [(2, "nps")]
    assert stored(ingest_ws)["b1"]["channel"] == "chat"
    log = ingest_ws.analytics.table("ingest_log").to_pyarrow().to_pylist()
    assert log[0]["source"] == "api:batch-1" and log[0]["source_sha256"] is None

    table = pa.table({"response_id": ["t1"], "responded_at": ["2024-06-02"], "csat": [4]})
    assert ingest_table(ingest_ws, "responses", table, source="api:t").accepted == 1
    empty = ingest_table(ingest_ws, "responses", table.slice(0, 0), source="api:empty")
    assert empty.to_dict()["read"] == 0


def test_other_entities_use_their_own_rules(ingest_ws, tmp_path):
    f = tmp_path / "pulses.csv"
    f.write_text(
        "pulse_response_id,respondent,team_id,period,enps,rating_growth,comment\n"
        "p1,t-1,T1,2024-06-01,8,4,My manager listens\n"
        "p2,t-2,T1,2024-06-01,9,6,rating out of 1-5\n"
        "p3,t-3,,2024-06-01,7,3,no team\n"
    )
    r = ingest_file(ingest_ws, "pulses", f)
    assert (r.accepted, r.quarantined) == (1, 2)
    assert {(p.row, p.field, p.reason) for p in r.reasons} == {
        (3, "rating_growth", "'6' is above the maximum 5"),
        (4, "team_id", "required value missing"),
    }
    assert len(ingest_ws.analytics.table("pulse_ratings").to_pyarrow()) == 1

    c = tmp_path / "customers.csv"
    c.write_text(
        "customer_id,annual_value,customer_since,segment\n"
        "c1,1200.50,2019-04-01,affluent\nc2,-5,2019-04-01,mass\nc3,lots,01/02/2020,mass\n"
    )
    r = ingest_file(ingest_ws, "customers", c)
    assert (r.accepted, r.quarantined) == (1, 2)
    assert {(p.row, p.field) for p in r.reasons} == {
        (3, "annual_value"),
        (4, "annual_value"),
        (4, "customer_since"),
    }
    assert stored(ingest_ws, "customers", "customer_id")["c1"]["customer_since"] == dt.date(
        2019, 4, 1
    )


def test_typed_parquet_and_the_same_rows_as_csv_are_duplicates(ingest_ws, tmp_path):
    table = pa.table(
        {
            "interaction_id": ["i1", "i2", "i3", "i4"],
            "started_at": pa.array(
                [
                    dt.datetime(2024, 3, 31, 0, 30),
                    dt.datetime(2024, 7, 1, 9),
                    dt.datetime(2024, 7, 1, 9),
                    dt.datetime(1850, 1, 1),
                ]
            ),
            "answered": [True, False, None, True],
            "wait_seconds": pa.array([12.5, float("inf"), 3.0, 1.0]),
            "transfers": pa.array([0, 1, -2, 0], pa.int16()),
        }
    )
    pq.write_table(table, tmp_path / "calls.parquet")
    mapping = {"timestamps": {"timezone": "Europe/Paris"}}
    r = ingest_file(ingest_ws, "interactions", tmp_path / "calls.parquet", mapping=mapping)
    assert (r.accepted, r.quarantined) == (1, 3)
    assert {(p.row, p.field, p.reason) for p in r.reasons} == {
        (2, "wait_seconds", "'inf' is not a finite number"),
        (3, "transfers", "'-2' is below the minimum 0"),
        (4, "started_at", "'1850-01-01 00:00:00.000000' is outside 1900-2199"),
    }
    [stored_row] = ingest_ws.analytics.table("interactions").to_pyarrow().to_pylist()
    assert stored_row["started_at"] == dt.datetime(2024, 3, 30, 23, 30)  # Paris 00:30 is 23:30 UTC

    (tmp_path / "calls.csv").write_text(
        "interaction_id,started_at,answered,wait_seconds,transfers\n"
        "i1,2024-03-31 00:30:00,true,12.50,0\n"
    )
    again = ingest_file(ingest_ws, "interactions", tmp_path / "calls.csv", mapping=mapping)
    assert (again.duplicates, again.conflicts) == (1, 0)
