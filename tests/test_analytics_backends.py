"""The same ingest and metrics give the same numbers on DuckDB and on PostgreSQL.

Metrics are Ibis expressions, so naming another backend in cxloop.toml is all it
takes to run them on a warehouse (C15).
"""

import datetime as dt

import pytest

from cxloop import Workspace, metrics
from cxloop.ingest import ingest_rows

RESPONSES = [
    {
        "response_id": f"r{i}",
        "responded_at": f"2026-0{1 + i % 3}-{10 + i % 7} 09:30:00",
        "team_id": "Harbour" if i % 2 else "Meadow",
        "channel": ("phone", "chat", "email")[i % 3],
        "nps": str(i % 11),
        "csat": str(1 + i % 5),
        "ces": str(1 + i % 7) if i % 4 else None,
    }
    for i in range(60)
]
INTERACTIONS = [
    {
        "interaction_id": f"i{i}",
        "started_at": f"2026-01-{1 + i % 28:02d} {8 + i % 9:02d}:00:00",
        "channel": ("phone", "chat", "email")[i % 3],
        "customer_id": f"c{i % 9}",
        "team_id": "Harbour" if i % 2 else "Meadow",
        "offered": "true",
        "answered": "false" if i % 10 == 0 else "true",
        "abandoned": "true" if i % 10 == 0 else "false",
        "wait_seconds": str(5 * (i % 13)),
        "talk_seconds": str(100 + i),
        "hold_seconds": "10",
        "wrap_seconds": "30",
        "transfers": str(i % 3 == 0 and 1 or 0),
        "resolved": "true" if i % 4 else "false",
    }
    for i in range(80)
]


@pytest.fixture
def ws(tmp_path, analytics_url):
    ws = Workspace.init(tmp_path / "ws")
    ws.settings.stores.analytics_url = analytics_url
    ws.__dict__.pop("analytics", None)  # reopen on the chosen backend
    ingest_rows(ws, "responses", RESPONSES, source="test")
    ingest_rows(ws, "interactions", INTERACTIONS, source="test")
    yield ws
    ws.close()


def _expected_nps(rows):
    scores = [int(r["nps"]) for r in rows]
    return (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores) * 100


def test_survey_scores_on_each_backend(ws):
    assert ws.analytics.dialect in ("duckdb", "postgres")
    rows = metrics.survey_scores(ws, by="team", period="month")
    assert len(rows) == 6
    jan_harbour = next(
        r for r in rows if r["team"] == "Harbour" and r["period"] == dt.date(2026, 1, 1)
    )
    source = [r for r in RESPONSES if r["team_id"] == "Harbour" and r["responded_at"][5:7] == "01"]
    assert jan_harbour["n"] == len(source)
    assert jan_harbour["nps"] == pytest.approx(_expected_nps(source))


def test_kpis_on_each_backend(ws):
    (k,) = metrics.contact_centre_kpis(ws)
    queued = [r for r in INTERACTIONS if r["channel"] != "email"]
    answered = [r for r in queued if r["answered"] == "true"]
    within = [r for r in answered if float(r["wait_seconds"]) <= 20]
    assert k["offered"] == len(queued)
    assert k["grade_of_service"] == pytest.approx(100 * len(within) / len(queued))
    assert k["asa"] == pytest.approx(
        sum(float(r["wait_seconds"]) for r in answered) / len(answered)
    )
    assert k["fcr"] is not None and 0 <= k["fcr"] <= 100


def test_ingest_is_idempotent_on_each_backend(ws):
    again = ingest_rows(ws, "responses", RESPONSES, source="test")
    assert again.accepted == 0 and again.duplicates == len(RESPONSES)
    assert ws.analytics.count("responses") == len(RESPONSES)


def test_tagging_is_incremental_on_every_backend(ws):
    """Tags, theme rows and the embedding cache (a binary column) on DuckDB and PostgreSQL."""
    from cxloop.text import tag_workspace, theme_summary

    ingest_rows(ws, "responses", [
        {"response_id": "c1", "responded_at": "2024-03-01 10:00", "team_id": "T1", "nps": 2,
         "comment": "Rude agent, and I was on hold for 50 minutes"},
        {"response_id": "c2", "responded_at": "2024-03-02 10:00", "team_id": "T1", "nps": 10,
         "comment": "Lovely helpful lady, sorted first time"},
    ], source="test")  # fmt: skip
    first = tag_workspace(ws)
    assert (first.tagged, first.unchanged) == (2, 0)
    assert ws.analytics.count("text_embeddings") > 0
    again = tag_workspace(ws)
    assert (again.tagged, again.unchanged) == (0, 2)
    rows = {r["theme"]: r for r in theme_summary(ws, parents=False)}
    assert (
        rows["rude or dismissive"]["mentions"] == 1 and rows["rude or dismissive"]["comments"] == 2
    )
