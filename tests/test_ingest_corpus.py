"""Every case of the bad-input corpus (tests/data/bad/) ends the way its README says.

Bad values are quarantined with the spreadsheet row number, the field and the
reason while good rows are kept; a file that cannot be used at all exits 2 with
one line on stderr naming the file and the line, never a traceback.
"""

import csv
import io

import pytest
from typer.testing import CliRunner

from cxloop.cli import app
from cxloop.errors import InputUnreadable
from cxloop.ingest import ingest_file

runner = CliRunner()


def cli(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def one_line_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def problems(result) -> set[tuple[int, str, str]]:
    return {(p.row, p.field, p.reason) for p in result.reasons}


def stored(ws, table: str, key: str = "response_id") -> dict[str, dict]:
    return {r[key]: r for r in ws.analytics.table(table).to_pyarrow().to_pylist()}


def read_rejects(path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize(
    "name, words, line",
    [
        ("empty.csv", "the file is empty", None),
        ("header_only.csv", "no data rows", 2),
        ("unclosed_quote.csv", "never closed", 3),
        ("missing_columns.csv", "missing required column(s) for responses", 1),
        ("colon_delimited.csv", "missing required column(s)", 1),
        ("workbook.xlsx", "Excel workbook", None),
    ],
)
def test_unusable_files_exit_2_with_file_and_line(ingest_ws, bad_dir, name, words, line):
    result = cli("ingest", "responses", bad_dir / name, "-w", ingest_ws.path)
    assert result.exit_code == 2
    message = one_line_error(result)
    assert name in message and words in message
    if line:
        assert f"line {line}:" in message
    assert ingest_ws.analytics.table("ingest_log").count().to_pyarrow().as_py() == 0


def test_missing_columns_names_what_is_missing_and_what_was_found(ingest_ws, bad_dir):
    with pytest.raises(InputUnreadable) as e:
        ingest_file(ingest_ws, "responses", bad_dir / "missing_columns.csv")
    text = str(e.value)
    assert "response_id, responded_at, nps or csat or ces" in text
    assert "columns found: id, when, score" in text and "--mapping" in text


def test_wrong_delimiter_is_guessed_or_named(ingest_ws, bad_dir):
    f = bad_dir / "wrong_delimiter.csv"
    result = cli("ingest", "responses", f, "-w", ingest_ws.path, "--delimiter", ",")
    assert result.exit_code == 2
    message = one_line_error(result)
    assert "line 1:" in message and "--delimiter ';'" in message
    assert ingest_file(ingest_ws, "responses", f).accepted == 2


def test_latin1_is_read_as_cp1252_with_a_warning(ingest_ws, bad_dir):
    f = bad_dir / "latin1.csv"
    r = ingest_file(ingest_ws, "responses", f)
    assert (r.accepted, r.quarantined) == (3, 0)
    assert any("line 2" in w and "Windows-1252" in w for w in r.warnings)
    comments = {k: v["comment"] for k, v in stored(ingest_ws, "responses").items()}
    assert comments == {
        "L1": "Très bien, merci",
        "L2": "Paid £20 fee",
        "L3": "Señora García was great",
    }


def test_latin1_declared_or_refused(ingest_ws, bad_dir):
    f = bad_dir / "latin1.csv"
    r = ingest_file(ingest_ws, "responses", f, encoding="latin-1")
    assert r.accepted == 3 and r.warnings == []
    result = cli("ingest", "responses", f, "-w", ingest_ws.path, "--encoding", "utf-8")
    assert result.exit_code == 2
    message = one_line_error(result)
    assert "line 2:" in message and "UTF-8" in message and "--encoding" in message


@pytest.mark.parametrize("name", ["bom.csv", "utf16.csv"])
def test_byte_order_marks(ingest_ws, bad_dir, name):
    r = ingest_file(ingest_ws, "responses", bad_dir / name)
    assert r.quarantined == 0 and r.accepted >= 1 and r.warnings == []


def test_embedded_newlines_and_quotes_keep_row_numbers(ingest_ws, bad_dir):
    r = ingest_file(ingest_ws, "responses", bad_dir / "embedded_newlines.csv")
    assert (r.read, r.accepted, r.quarantined) == (5, 3, 2)
    assert problems(r) == {
        (4, "nps", "'11' is above the maximum 10"),
        (6, "nps", "'ten' is not a number"),
    }
    comments = {k: v["comment"] for k, v in stored(ingest_ws, "responses").items()}
    assert comments["E1"] == "First line\nsecond line\nthird line"
    assert comments["E2"] == 'She said "call back" and never did'
    assert comments["E4"] == 'ends with a quote "'


def test_a_5mb_comment_is_kept_whole_and_redacted(ingest_ws, tmp_path):
    body = ("word " * 1_048_576)[:5_000_000]
    comment = body[:2_500_000] + " write to huge@example.com " + body[2_500_000:]
    f = tmp_path / "huge.csv"
    f.write_text(
        "response_id,responded_at,nps,comment\n"
        f'H1,2024-03-01,9,"{comment}"\nH2,2024-03-01,11,short\nH3,2024-03-01,8,after\n'
    )
    r = ingest_file(ingest_ws, "responses", f)
    assert (r.read, r.accepted, r.quarantined) == (3, 2, 1)
    assert problems(r) == {(3, "nps", "'11' is above the maximum 10")}
    kept = stored(ingest_ws, "responses")["H1"]["comment"]
    assert kept == comment.strip().replace("huge@example.com", "[EMAIL]")
    assert any("longer than 32,767" in w and "rows 2" in w for w in r.warnings)


def test_scores_out_of_range_or_not_numbers(ingest_ws, bad_dir):
    r = ingest_file(ingest_ws, "responses", bad_dir / "scores_out_of_range.csv")
    assert (r.read, r.accepted, r.quarantined, r.duplicates, r.conflicts) == (10, 2, 8, 0, 0)
    assert problems(r) == {
        (2, "nps", "'11' is above the maximum 10"),
        (3, "nps", "'-1' is below the minimum 0"),
        (4, "nps", "'ten' is not a number"),
        (5, "nps", "'7.5' is not a whole number"),
        (6, "csat", "'6' is above the maximum 5"),
        (7, "ces", "'0' is below the minimum 1"),
        (8, "nps or csat or ces", "no score: at least one of nps, csat, ces is needed"),
        (9, "response_id", "required value missing"),
    }
    rows = stored(ingest_ws, "responses")
    assert (rows["S9"]["nps"], rows["S10"]["nps"]) == (9, 10)


def test_duplicate_ids_in_one_file(ingest_ws, bad_dir):
    f = bad_dir / "duplicate_ids.csv"
    r = ingest_file(ingest_ws, "responses", f)
    assert (r.read, r.accepted, r.duplicates, r.conflicts, r.quarantined) == (5, 3, 1, 1, 0)
    assert stored(ingest_ws, "responses")["D2"]["comment"] == "first version"
    [conflict] = [p for p in r.reasons]
    assert (conflict.row, conflict.field) == (5, "response_id")
    assert "earlier in this source" in conflict.reason
    rejects = read_rejects(r.rejects_file)
    assert [(x["row"], x["response_id"], x["comment"]) for x in rejects] == [
        ("5", "D2", "second version")
    ]


def test_mixed_dates_without_a_mapping(ingest_ws, bad_dir):
    r = ingest_file(ingest_ws, "responses", bad_dir / "mixed_dates.csv")
    assert (r.accepted, r.quarantined) == (5, 4)
    assert {(p.row, p.field) for p in r.reasons} == {
        (7, "responded_at"),
        (8, "responded_at"),
        (9, "responded_at"),
        (10, "responded_at"),
    }
    assert "unparseable date 'yesterday'" in {p.reason for p in r.reasons}
    times = {k: v["responded_at"].isoformat() for k, v in stored(ingest_ws, "responses").items()}
    assert times == {
        "M1": "2024-03-01T09:30:00",
        "M2": "2024-03-01T09:30:00",
        "M3": "2024-03-01T09:30:00",
        "M4": "2024-03-01T09:30:00",
        "M5": "2024-03-01T00:00:00",
    }


def test_mixed_dates_with_declared_formats(ingest_ws, bad_dir):
    r = ingest_file(
        ingest_ws,
        "responses",
        bad_dir / "mixed_dates.csv",
        mapping=bad_dir / "mixed_dates_map.toml",
    )
    assert (r.accepted, r.quarantined) == (7, 2)
    rows = stored(ingest_ws, "responses")
    assert rows["M6"]["responded_at"].isoformat() == "2024-03-01T09:30:00"  # 1 March, not 3 Jan
    assert rows["M7"]["responded_at"].isoformat() == "2024-12-31T00:00:00"
    assert {p.reason for p in r.reasons} == {
        "unparseable date 'yesterday'",
        "unparseable date '2024-02-30'",
    }


def test_formulas_are_stored_as_text_and_defused_in_the_rejects(ingest_ws, bad_dir):
    r = ingest_file(ingest_ws, "responses", bad_dir / "formulas.csv")
    assert (r.accepted, r.quarantined) == (4, 1)
    comments = {k: v["comment"] for k, v in stored(ingest_ws, "responses").items()}
    assert comments["F1"] == '=HYPERLINK("http://evil.example","click")'
    assert comments["F2"] == "+cmd|' /C calc'!A0"
    assert (comments["F3"], comments["F4"]) == ("-2+3", "@SUM(A1:A2)")
    text = open(r.rejects_file, encoding="utf-8").read()
    [rejected] = list(csv.DictReader(io.StringIO(text)))
    assert rejected["comment"] == "'" + '=HYPERLINK("http://evil.example","bad score")'


def test_html_and_script_survive_intact(ingest_ws, bad_dir):
    r = ingest_file(ingest_ws, "responses", bad_dir / "html_script.csv")
    assert (r.accepted, r.quarantined) == (2, 1)
    comments = {k: v["comment"] for k, v in stored(ingest_ws, "responses").items()}
    assert comments == {
        "H1": "<script>alert('x')</script> thanks",
        "H2": "<b>bold</b> &amp; <i>brave</i>",
    }
    [rejected] = read_rejects(r.rejects_file)
    assert rejected["comment"] == "<img src=x onerror=alert(1)>"


def test_malformed_rows_are_quarantined_and_blank_rows_skipped(ingest_ws, bad_dir):
    r = ingest_file(ingest_ws, "responses", bad_dir / "malformed_rows.csv")
    assert (r.read, r.accepted, r.quarantined) == (4, 2, 2)
    assert problems(r) == {
        (3, "", "expected 3 fields, found 2"),
        (4, "", "expected 3 fields, found 4"),
    }
    assert "skipped 2 blank row(s)" in r.warnings
    assert set(stored(ingest_ws, "responses")) == {"R1", "R4"}


def test_unknown_agent_is_quarantined_once_the_organisation_is_loaded(ingest_ws, bad_dir):
    f = bad_dir / "responses_unknown_agent.csv"
    before = ingest_file(ingest_ws, "responses", f)
    assert before.accepted == 3  # no employees loaded: references are not enforced

    result = cli("ingest", "employees", bad_dir / "employees.csv", "-w", ingest_ws.path)
    assert result.exit_code == 0, result.output
    roles = {k: v["role"] for k, v in stored(ingest_ws, "employees", "employee_id").items()}
    assert roles == {"E0": "team_leader", "E1": "agent", "E2": "agent"}  # "Agent" case-folded

    again = ingest_file(ingest_ws, "responses", f, update=True)
    assert (again.duplicates, again.quarantined) == (2, 1)
    assert problems(again) == {
        (3, "agent_id", "unknown agent 'E404' is not among the loaded employees")
    }


def test_cli_text_summary_and_exit_codes(ingest_ws, bad_dir):
    f = bad_dir / "scores_out_of_range.csv"
    result = cli("ingest", "responses", f, "-w", ingest_ws.path)
    assert result.exit_code == 0
    out = result.stdout
    assert "accepted 2" in out and "quarantined 8" in out and "duplicates 0" in out
    assert "rejects: " in out and "row 2, nps: '11' is above the maximum 10" in out
    again = cli("ingest", "responses", f, "-w", ingest_ws.path)
    assert again.exit_code == 0 and "duplicates 2" in again.stdout  # re-running is safe

    all_bad = ingest_ws.path.parent / "all_bad.csv"
    all_bad.write_text("response_id,responded_at,nps\nX1,2024-03-01,11\nX2,never,5\n")
    result = cli("ingest", "responses", all_bad, "-w", ingest_ws.path)
    assert result.exit_code == 1 and "nothing was accepted" in result.stdout
