"""`cxloop metrics`, `kpis` and `enps` print hand-checkable numbers in every format.

The JSON shape of `cxloop metrics --format json` is a contract: one object per group
and period, keyed by the dimension's name, with period, n, nps, nps_margin, csat,
ces and small_sample.
"""

import csv
import io
import json
import math

import pytest
from typer.testing import CliRunner

from cxloop.cli import app

runner = CliRunner()

RESPONSES = """response_id,responded_at,team_id,channel,nps,csat,ces,comment
a1,2026-01-05 09:00:00,Harbour,phone,10,5,7,Lovely
a2,2026-01-06 09:00:00,Harbour,phone,9,5,6,
a3,2026-01-07 09:00:00,Harbour,chat,9,4,6,
a4,2026-01-08 09:00:00,Harbour,chat,8,4,5,
a5,2026-01-09 09:00:00,Harbour,phone,7,3,5,
a6,2026-01-12 09:00:00,Harbour,phone,6,2,3,Slow
a7,2026-01-13 09:00:00,Harbour,phone,0,1,1,=HYPERLINK("http://x")
a8,2026-01-14 09:00:00,Harbour,email,10,,,
b1,2026-02-02 09:00:00,Meadow,phone,10,5,7,
b2,2026-02-03 09:00:00,Meadow,phone,5,2,,
"""

INTERACTIONS = """interaction_id,started_at,channel,customer_id,team_id,offered,answered,abandoned,wait_seconds,talk_seconds,hold_seconds,wrap_seconds,transfers,resolved
i1,2026-01-05 10:00:00,phone,c1,Harbour,true,true,false,10,100,0,20,0,true
i2,2026-01-07 10:00:00,phone,c1,Harbour,true,true,false,30,200,10,30,1,true
i3,2026-01-20 10:00:00,email,c2,Harbour,true,true,false,3600,50,,10,0,true
i4,2026-01-21 10:00:00,chat,c3,Harbour,true,false,true,50,,,,0,
"""


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


@pytest.fixture
def ws(tmp_path):
    path = tmp_path / "ws"
    assert invoke("init", path).exit_code == 0
    (tmp_path / "responses.csv").write_text(RESPONSES)
    (tmp_path / "interactions.csv").write_text(INTERACTIONS)
    assert invoke("ingest", "responses", tmp_path / "responses.csv", "-w", path).exit_code == 0
    assert (
        invoke("ingest", "interactions", tmp_path / "interactions.csv", "-w", path).exit_code == 0
    )
    return path


def test_metrics_json_by_team_and_month(ws):
    result = invoke("metrics", "--by", "team", "--period", "month", "-w", ws, "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["team"], r["period"]) for r in rows] == [
        ("Harbour", "2026-01-01"),
        ("Meadow", "2026-02-01"),
    ]
    harbour, meadow = rows
    # Harbour: promoters 10,9,9,10 = 4; detractors 6,0 = 2; n = 8 -> NPS 25
    assert harbour["n"] == 8
    assert harbour["nps"] == pytest.approx(25.0)
    p, d = 4 / 8, 2 / 8
    assert harbour["nps_margin"] == pytest.approx(
        1.96 * math.sqrt((p + d - (p - d) ** 2) / 8) * 100
    )
    # CSAT: 4-5 answers among 7 answered (5,5,4,4,3,2,1) -> 4/7
    assert harbour["csat"] == pytest.approx(400 / 7)
    assert harbour["ces"] == pytest.approx((7 + 6 + 6 + 5 + 5 + 3 + 1) / 7)
    assert harbour["small_sample"] is True  # default minimum is 30
    assert meadow["nps"] == pytest.approx(0.0) and meadow["ces"] == 7
    for key in ("team", "period", "n", "nps", "nps_margin", "csat", "ces", "small_sample"):
        assert key in harbour


def test_small_groups_are_flagged_and_never_ranked(ws):
    toml = ws / "cxloop.toml"
    toml.write_text(toml.read_text().replace("min_group_responses = 30", "min_group_responses = 5"))
    rows = json.loads(
        invoke("metrics", "--by", "team", "--period", "all", "-w", ws, "-f", "json").stdout
    )
    by_team = {r["team"]: r for r in rows}
    assert by_team["Harbour"]["small_sample"] is False and by_team["Harbour"]["rank"] == 1
    assert by_team["Meadow"]["small_sample"] is True and by_team["Meadow"]["rank"] is None


def test_answers_with_no_team_are_shown_but_never_ranked(ws, tmp_path):
    toml = ws / "cxloop.toml"
    toml.write_text(toml.read_text().replace("min_group_responses = 30", "min_group_responses = 5"))
    rows = "response_id,responded_at,nps\n" + "".join(
        f"n{i},2026-01-1{i} 09:00:00,10\n" for i in range(6)
    )
    (tmp_path / "unassigned.csv").write_text(rows)
    assert invoke("ingest", "responses", tmp_path / "unassigned.csv", "-w", ws).exit_code == 0
    out = json.loads(
        invoke("metrics", "--by", "team", "--period", "all", "-w", ws, "-f", "json").stdout
    )
    by_team = {r["team"]: r for r in out}
    # six promoters with no team: NPS 100 on enough answers, yet not a team to rank first
    assert by_team[None]["nps"] == 100 and by_team[None]["small_sample"] is False
    assert by_team[None]["rank"] is None and by_team["Harbour"]["rank"] == 1


def test_metrics_filter_and_csv_is_formula_safe(ws):
    result = invoke(
        "metrics",
        "--by",
        "channel",
        "--period",
        "all",
        "--filter",
        "team=Harbour",
        "-w",
        ws,
        "-f",
        "csv",
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {r["channel"]: int(r["n"]) for r in rows} == {"chat": 2, "email": 1, "phone": 5}


def test_metrics_table_output_names_the_margin(ws):
    result = invoke("metrics", "--by", "team", "-w", ws)
    assert result.exit_code == 0
    text = result.stdout.replace("\u00a0", " ")
    assert "Harbour" in text and "25.0 ± 57.5" in text  # the margin sits beside the value


def test_kpis_hand_computed(ws):
    rows = json.loads(invoke("kpis", "--period", "all", "-w", ws, "-f", "json").stdout)
    (k,) = rows
    # queued (phone, chat): i1, i2, i4 offered; i1 answered within 20 s
    assert k["offered"] == 3 and k["answered"] == 2 and k["abandoned"] == 1
    assert k["grade_of_service"] == pytest.approx(100 / 3)
    assert k["asa"] == pytest.approx(20.0)
    assert k["abandonment"] == pytest.approx(100 / 3)
    # AHT over answered contacts, any channel: (120 + 240 + 60) / 3
    assert k["aht"] == pytest.approx(140.0)
    assert k["transfer_rate"] == pytest.approx(100 / 3)
    # FCR: i1 is followed by i2 two days later (repeat); i2 and i3 count -> 2/3
    assert k["fcr"] == pytest.approx(200 / 3) and k["fcr_n"] == 3


def test_unknown_dimension_is_one_line_error(ws):
    result = invoke("metrics", "--by", "planet", "-w", ws)
    assert result.exit_code == 1
    assert "planet" in result.stderr and "team" in result.stderr
    assert "Traceback" not in result.output


def test_metric_without_data_says_what_to_load(tmp_path):
    invoke("init", tmp_path / "empty")
    result = invoke("kpis", "-w", tmp_path / "empty")
    assert result.exit_code == 1
    assert "cxloop ingest interactions" in result.stderr


def test_workspace_from_environment(ws, monkeypatch):
    monkeypatch.setenv("CXLOOP_WORKSPACE", str(ws))
    result = invoke("metrics", "--period", "all", "-f", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)[0]["n"] == 10


def test_no_workspace_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("CXLOOP_WORKSPACE", raising=False)
    result = invoke("metrics", "-w", tmp_path / "nowhere")
    assert result.exit_code == 1
    assert "not a cxloop workspace" in result.stderr
