"""The metrics Python API: periods, dimensions through joins, filters, eNPS anonymity."""

import datetime as dt

import pytest

from cxloop import Workspace, metrics
from cxloop.errors import UnknownDimension
from cxloop.ingest import ingest_rows


@pytest.fixture
def ws(tmp_path):
    ws = Workspace.init(tmp_path / "ws")
    ingest_rows(
        ws,
        "customers",
        [
            {"customer_id": "c1", "segment": "affluent", "product": "loan"},
            {"customer_id": "c2", "segment": "mass", "product": "card"},
        ],
        source="test",
    )
    ingest_rows(
        ws,
        "responses",
        [
            # Monday 2026-03-02 and Sunday 2026-03-08 fall in the same ISO week
            {
                "response_id": "r1",
                "responded_at": "2026-03-02 08:00:00",
                "customer_id": "c1",
                "nps": "10",
            },
            {
                "response_id": "r2",
                "responded_at": "2026-03-08 23:00:00",
                "customer_id": "c1",
                "nps": "0",
            },
            {
                "response_id": "r3",
                "responded_at": "2026-03-09 00:30:00",
                "customer_id": "c2",
                "nps": "9",
            },
            {
                "response_id": "r4",
                "responded_at": "2026-03-10 00:30:00",
                "customer_id": None,
                "nps": "7",
            },
        ],
        source="test",
    )
    yield ws
    ws.close()


def test_weeks_start_on_monday(ws):
    rows = metrics.survey_scores(ws, period="week")
    assert [(r["period"], r["n"]) for r in rows] == [
        (dt.date(2026, 3, 2), 2),
        (dt.date(2026, 3, 9), 2),
    ]
    assert rows[0]["nps"] == pytest.approx(0.0)
    assert rows[1]["nps"] == pytest.approx(50.0)


def test_segment_comes_through_the_customer(ws):
    rows = {r["segment"]: r for r in metrics.survey_scores(ws, by="segment")}
    assert rows["affluent"]["n"] == 2 and rows["mass"]["n"] == 1
    assert rows[None]["n"] == 1  # a response with no known customer is still counted


def test_filters_and_dates(ws):
    rows = metrics.survey_scores(ws, where={"product": ["card"]})
    assert rows[0]["n"] == 1 and rows[0]["nps"] == 100
    rows = metrics.survey_scores(ws, since=dt.date(2026, 3, 9), until=dt.date(2026, 3, 9))
    assert rows[0]["n"] == 1


def test_unknown_names_raise_typed_errors(ws):
    with pytest.raises(UnknownDimension, match="choose from"):
        metrics.survey_scores(ws, by="star_sign")
    with pytest.raises(UnknownDimension, match="fortnight"):
        metrics.survey_scores(ws, period="fortnight")


def test_enps_is_suppressed_under_the_anonymity_minimum(ws):
    rows = [
        {
            "pulse_response_id": f"p{i}",
            "team_id": "Harbour" if i < 6 else "Meadow",
            "period": "2026-03-01",
            "enps": str(10 if i % 2 else 3),
        }
        for i in range(10)
    ]
    ingest_rows(ws, "pulses", rows, source="test")
    out = {r["team"]: r for r in metrics.employee_nps(ws, by="team", period="month")}
    # Harbour: 6 answers (10,3,10,3,10,3) -> 50% - 50% = 0; shown
    assert out["Harbour"]["suppressed"] is False and out["Harbour"]["n"] == 6
    assert out["Harbour"]["enps"] == pytest.approx(0.0)
    # Meadow: 4 answers < 5 -> nothing shown, not even n
    assert out["Meadow"]["suppressed"] is True
    assert out["Meadow"]["n"] is None and out["Meadow"]["enps"] is None
