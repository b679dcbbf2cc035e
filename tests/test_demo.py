"""`cxloop demo` builds, ingests and analyses a small company quickly, and returns.

The demo goes through the public ingest path, so every simulated row must be
accepted; the planted truths are written beside the workspace.
"""

import json
import time

import pytest
from typer.testing import CliRunner

from cxloop import Workspace, metrics
from cxloop.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "ws"
    started = time.perf_counter()
    result = runner.invoke(
        app, ["demo", "--workspace", str(path), "--size", "small", "--seed", "7"]
    )
    return path, result, time.perf_counter() - started


def test_small_demo_is_fast_and_prints_a_summary(demo):
    path, result, seconds = demo
    assert result.exit_code == 0, result.output
    assert seconds < 10, f"small demo took {seconds:.1f} s"
    for words in ("NPS", "grade of service", "FCR", "eNPS", "truth.json"):
        assert words in result.stdout


def test_every_simulated_row_is_accepted(demo):
    path, result, _ = demo
    assert "quarantined" in result.stdout
    ws = Workspace.open(path)
    sim_counts = json.loads((path / "truth.json").read_text())["counts"]
    for entity in ("employees", "customers", "interactions", "responses", "pulses", "checkins"):
        assert ws.analytics.count(entity) == sim_counts[entity], entity
    assert ws.analytics.count("quarantine") == 0
    ws.close()


def test_demo_metrics_have_ranked_and_small_teams(demo):
    path, *_ = demo
    ws = Workspace.open(path)
    rows = metrics.survey_scores(ws, by="agent", period="month")
    assert any(r["small_sample"] for r in rows)
    assert all(r["rank"] is None for r in rows if r["small_sample"])
    ws.close()


def test_demo_refuses_to_overwrite_without_force(demo):
    path, *_ = demo
    result = runner.invoke(app, ["demo", "--workspace", str(path), "--size", "small"])
    assert result.exit_code == 1
    assert "already exists" in result.stderr
