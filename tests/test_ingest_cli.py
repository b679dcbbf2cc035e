"""`cxloop ingest` prints one JSON object or a short summary, and a progress bar only on a terminal.

--format json prints exactly one object whose first keys are read, accepted,
quarantined, duplicates, conflicts, rejects_file (read equals the sum of the four
counts); nothing else goes to stdout or stderr. The progress bar (rows, rows/s)
goes to stderr and only when stderr is a terminal and the format is text.
"""

import io
import json

from rich.console import Console
from typer.testing import CliRunner

from cxloop.cli import app
from cxloop.cli import ingest as ingest_cli

runner = CliRunner()

CSV = (
    "response_id,responded_at,nps,comment\n"
    "a,2024-05-01,9,ok\nb,2024-05-01,12,too high\nc,2024-05-01,7,fine\na,2024-05-01,9,ok\n"
)


def test_json_output_is_one_object_with_the_contract_keys(ingest_ws, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text(CSV)
    result = runner.invoke(
        app, ["ingest", "responses", str(f), "-w", str(ingest_ws.path), "--format", "json"]
    )
    assert result.exit_code == 0 and result.stderr == ""
    out = json.loads(result.stdout)
    assert list(out) == [
        "read",
        "accepted",
        "quarantined",
        "duplicates",
        "conflicts",
        "rejects_file",
        "updated",
        "warnings",
    ]
    assert (out["read"], out["accepted"], out["quarantined"], out["duplicates"]) == (4, 2, 1, 1)
    assert (
        out["read"] == out["accepted"] + out["quarantined"] + out["duplicates"] + out["conflicts"]
    )
    assert out["rejects_file"].startswith(str(ingest_ws.path / "logs" / "rejects-responses-"))


def test_no_progress_bar_when_stderr_is_not_a_terminal(ingest_ws, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text(CSV)
    result = runner.invoke(app, ["ingest", "responses", str(f), "-w", str(ingest_ws.path)])
    assert result.exit_code == 0 and result.stderr == ""
    assert (
        "accepted 2" in result.stdout
        and "row 3, nps: '12' is above the maximum 10" in result.stdout
    )


def test_progress_bar_on_a_terminal(ingest_ws, tmp_path, monkeypatch):
    screen = io.StringIO()
    monkeypatch.setattr(
        ingest_cli, "err_console", Console(file=screen, force_terminal=True, width=120)
    )
    f = tmp_path / "r.csv"
    f.write_text(CSV)
    result = runner.invoke(app, ["ingest", "responses", str(f), "-w", str(ingest_ws.path)])
    assert result.exit_code == 0
    assert "rows/s" in screen.getvalue() and "rows" in screen.getvalue()
    screen.seek(0)
    screen.truncate(0)
    result = runner.invoke(
        app, ["ingest", "responses", str(f), "-w", str(ingest_ws.path), "-f", "json"]
    )
    assert screen.getvalue() == ""
