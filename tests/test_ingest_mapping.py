"""A mapping file turns any export into canonical fields: columns, value maps, time formats.

Value maps translate source values (case-insensitively) before type checks; the
declared formats and time zone decide how timestamps are read, and everything is
stored as naive local time in the workspace's zone. A mapping that does not fit
(unknown field, missing column, bad TOML or zone) is refused before anything is
written, naming the mapping file and the key; the CLI exits 2.
"""

import re
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cxloop.cli import app
from cxloop.errors import MappingError
from cxloop.ingest import ingest_file, mapping_from_dict
from cxloop.model import ENTITIES

runner = CliRunner()

SURVEY = (
    "Survey ID;Completed;Channel;Q1 Recommend;Q2 Speed;Q3 Comments;Internal notes\n"
    "S-1;01/06/2024 14:30;Tel;9;4;Great;x\n"
    "S-2;2024-06-01T14:30:00+02:00;web chat;7;;Fine;y\n"
    "S-3;2024-06-01 14:30;Fax;8;3;Which channel?;z\n"
    "S-4;13/13/2024 10:00;Tel;8;12;bad date and rating;z\n"
)
SURVEY_MAP = """
[columns]
response_id = "Survey ID"
responded_at = "Completed"
channel = "Channel"
nps = "Q1 Recommend"
comment = "Q3 Comments"
rating.speed = "Q2 Speed"

[values.channel]
"Tel" = "phone"
"Web chat" = "chat"

[timestamps]
formats = ["%d/%m/%Y %H:%M"]
timezone = "Europe/London"

[csv]
delimiter = ";"
"""


@pytest.fixture
def survey(tmp_path):
    (tmp_path / "survey.csv").write_text(SURVEY)
    (tmp_path / "map.toml").write_text(SURVEY_MAP)
    return tmp_path / "survey.csv", tmp_path / "map.toml"


def stored(ws, table, key):
    return {r[key]: r for r in ws.analytics.table(table).to_pyarrow().to_pylist()}


def test_mapping_with_value_maps_formats_and_zone(ingest_ws, survey):
    f, m = survey
    r = ingest_file(ingest_ws, "responses", f, mapping=m)
    assert (r.read, r.accepted, r.quarantined) == (4, 2, 2)
    rows = stored(ingest_ws, "responses", "response_id")
    assert rows["S-1"]["channel"] == "phone" and rows["S-2"]["channel"] == "chat"
    # workspace zone is UTC: 14:30 in London in June is 13:30 UTC; +02:00 is 12:30 UTC
    assert rows["S-1"]["responded_at"].isoformat() == "2024-06-01T13:30:00"
    assert rows["S-2"]["responded_at"].isoformat() == "2024-06-01T12:30:00"
    assert {(p.row, p.field, p.reason) for p in r.reasons} == {
        (4, "channel", "'Fax' is not one of phone, chat, email, branch, social"),
        (5, "responded_at", "unparseable date '13/13/2024 10:00'"),
        (5, "rating_speed", "'12' is above the maximum 10"),
    }
    items = stored(ingest_ws, "response_ratings", "response_id")
    assert items == {"S-1": {"response_id": "S-1", "item": "speed", "value": 4.0}}
    assert any("Internal notes" in w for w in r.warnings)


def test_times_are_stored_in_the_workspace_zone(ingest_ws, survey):
    f, m = survey
    ingest_ws.settings.workspace.timezone = "Europe/London"
    ingest_file(ingest_ws, "responses", f, mapping=m)
    rows = stored(ingest_ws, "responses", "response_id")
    assert rows["S-1"]["responded_at"].isoformat() == "2024-06-01T14:30:00"
    assert rows["S-2"]["responded_at"].isoformat() == "2024-06-01T13:30:00"


def test_boolean_value_maps_and_empty_targets(ingest_ws, tmp_path):
    (tmp_path / "calls.csv").write_text(
        "Call ID,Start,Answered,Resolved,Wait (s),Media\n"
        "c1,2024-06-01 09:00,Y,N,12.5,Phone\n"
        "c2,2024-06-01 09:05,n,?,3,CHAT\n"
        "c3,2024-06-01 09:10,maybe,Y,-4,phone\n"
    )
    (tmp_path / "calls.toml").write_text(
        '[columns]\ninteraction_id = "Call ID"\nstarted_at = "Start"\nanswered = "Answered"\n'
        'resolved = "Resolved"\nwait_seconds = "Wait (s)"\nchannel = "Media"\n'
        "[values.answered]\nY = true\nN = false\n"
        '[values.resolved]\nY = true\nN = false\n"?" = ""\n'
    )
    r = ingest_file(
        ingest_ws, "interactions", tmp_path / "calls.csv", mapping=tmp_path / "calls.toml"
    )
    assert (r.accepted, r.quarantined) == (2, 1)
    rows = stored(ingest_ws, "interactions", "interaction_id")
    assert (rows["c1"]["answered"], rows["c1"]["resolved"], rows["c1"]["wait_seconds"]) == (
        True,
        False,
        12.5,
    )
    assert (rows["c2"]["answered"], rows["c2"]["resolved"], rows["c2"]["channel"]) == (
        False,
        None,
        "chat",
    )
    assert {(p.row, p.field) for p in r.reasons} == {(4, "answered"), (4, "wait_seconds")}


def test_headers_match_canonical_names_loosely(ingest_ws, tmp_path):
    f = tmp_path / "loose.csv"
    f.write_text("Response ID, Responded At ,NPS,Rating - Ease\nq1,2024-06-01,10,5\n")
    r = ingest_file(ingest_ws, "responses", f)
    assert r.accepted == 1
    assert stored(ingest_ws, "response_ratings", "response_id")["q1"]["item"] == "ease"


@pytest.mark.parametrize(
    "text, words",
    [
        ('[columns]\nnpss = "Q1 Recommend"\n', "[columns] npss: not a field of responses"),
        ('[columns]\nnps = "Q9"\n', "[columns] nps = 'Q9'"),
        ("[columns\n", "not valid TOML"),
        ("[colums]\n", "unknown section [colums]"),
        ('[timestamps]\ntimezone = "Mars/Olympus"\n', "not an IANA time zone"),
        ('[timestamps]\nformats = ["dd/mm/yyyy"]\n', "not a strptime format"),
        ('[values.nps]\n"ten" = [10]\n', "[values.nps] 'ten'"),
        ('[columns]\nrating.speed = ""\n', "columns.rating.speed must be a non-empty string"),
    ],
)
def test_bad_mappings_name_the_file_and_key(ingest_ws, survey, text, words):
    f, m = survey
    m.write_text(text)
    with pytest.raises(MappingError) as e:
        ingest_file(ingest_ws, "responses", f, mapping=m, delimiter=";")
    assert str(e.value).startswith(str(m)) and words in str(e.value)
    assert ingest_ws.analytics.table("responses").count().to_pyarrow().as_py() == 0


def test_cli_refuses_a_bad_mapping_with_exit_2(ingest_ws, survey):
    f, m = survey
    m.write_text('[columns]\nnpss = "Q1 Recommend"\n')
    result = runner.invoke(
        app, ["ingest", "responses", str(f), "-m", str(m), "-w", str(ingest_ws.path)]
    )
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "npss" in lines[0] and "Traceback" not in result.output


def test_mapping_given_as_a_dict(ingest_ws, survey):
    f, _ = survey
    mapping = {
        "columns": {"response_id": "Survey ID", "responded_at": "Completed", "nps": "Q1 Recommend"},
        "values": {"channel": {"tel": "phone", "web chat": "chat"}},
        "timestamps": {"formats": ["%d/%m/%Y %H:%M"]},
    }
    r = ingest_file(ingest_ws, "responses", f, mapping=mapping, delimiter=";")
    assert (r.accepted, r.quarantined) == (2, 2)
    assert {p.row for p in r.reasons} == {4, 5}


def test_the_mapping_examples_in_the_docs_are_valid():
    text = (Path(__file__).parents[1] / "docs" / "ingest.md").read_text()
    blocks = re.findall(r"```toml\n(.*?)```", text, re.S)
    assert len(blocks) == 2
    survey = mapping_from_dict(tomllib.loads(blocks[0]), ENTITIES["responses"], "docs")
    assert survey.ratings == {"speed": "Q3 Speed of answer", "knowledge": "Q4 Agent knowledge"}
    assert survey.values["instrument"]["n/a"] is None and survey.delimiter == ";"
    calls = mapping_from_dict(tomllib.loads(blocks[1]), ENTITIES["interactions"], "docs")
    assert calls.values["resolved"] == {"y": "true", "n": "false", "?": None}
