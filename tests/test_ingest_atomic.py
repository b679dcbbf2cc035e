"""Each file is ingested all or nothing: an error or Ctrl-C midway leaves the workspace as before.

Every table (entity rows, rating items, quarantine, ingest log) and the logs folder
(no rejects file, no temporary file) are exactly as they were before the
interrupted file; running the same file again afterwards works normally.
"""

import pytest
from typer.testing import CliRunner

from cxloop.cli import app
from cxloop.ingest import ingest_file, storeio

runner = CliRunner()

BASE = "response_id,responded_at,nps,rating_speed\na,2024-05-01,9,8\nb,2024-05-01,3,2\n"
NEXT = (
    "response_id,responded_at,nps,rating_speed\n"
    "a,2024-05-01,9,8\n"  # duplicate
    "b,2024-05-01,4,3\n"  # changed: replaced with update=True (delete + insert)
    "c,2024-05-01,10,9\n"  # new
    "d,2024-05-01,eleven,1\n"  # quarantined: a rejects file and quarantine rows
)
TABLES = ("responses", "response_ratings", "quarantine", "ingest_log")


def snapshot(ws):
    state = {t: sorted(map(repr, ws.analytics.table(t).to_pyarrow().to_pylist())) for t in TABLES}
    state["logs"] = sorted(p.name for p in ws.log_dir.iterdir())
    return state


@pytest.fixture
def files(ingest_ws, tmp_path):
    (tmp_path / "base.csv").write_text(BASE)
    (tmp_path / "next.csv").write_text(NEXT)
    ingest_file(ingest_ws, "responses", tmp_path / "base.csv")
    return tmp_path / "next.csv"


def interrupt_after(stage):
    calls = []

    def progress(name, done, total):
        calls.append(name)
        if name == stage:
            raise KeyboardInterrupt

    return progress, calls


def test_ctrl_c_after_the_first_write_changes_nothing(ingest_ws, files):
    before = snapshot(ingest_ws)
    progress, calls = interrupt_after("write")
    with pytest.raises(KeyboardInterrupt):
        ingest_file(ingest_ws, "responses", files, update=True, progress=progress)
    assert calls[-1] == "write"
    assert snapshot(ingest_ws) == before

    r = ingest_file(ingest_ws, "responses", files, update=True)
    assert (r.accepted, r.updated, r.duplicates, r.quarantined) == (2, 1, 1, 1)
    after = snapshot(ingest_ws)
    assert len(after["responses"]) == 3 and len(after["ingest_log"]) == 2
    assert len(after["logs"]) == 1 and after["logs"][0].startswith("rejects-responses-")


def test_a_failure_in_the_last_write_changes_nothing(ingest_ws, files, monkeypatch):
    before = snapshot(ingest_ws)
    store = ingest_ws.analytics
    insert = store.insert

    def failing(name, rows):
        if name == "ingest_log":
            raise RuntimeError("disk full")
        insert(name, rows)

    monkeypatch.setattr(store, "insert", failing)
    with pytest.raises(RuntimeError):
        ingest_file(ingest_ws, "responses", files, update=True)
    monkeypatch.undo()
    assert snapshot(ingest_ws) == before


def test_cli_reports_the_interruption_and_keeps_nothing(ingest_ws, files, monkeypatch):
    before = snapshot(ingest_ws)
    write = storeio.write_rows

    def write_then_interrupt(*args, **kwargs):
        write(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(storeio, "write_rows", write_then_interrupt)
    result = runner.invoke(app, ["ingest", "responses", str(files), "-w", str(ingest_ws.path)])
    assert result.exit_code == 130
    assert "interrupted" in result.stderr and "Traceback" not in result.output
    monkeypatch.undo()
    ingest_ws.close()
    assert snapshot(ingest_ws) == before
