"""Tagging comments: clause-level themes with their own sentiment, the CSV command,
and incremental tagging of a workspace (through the CLI and the Python API)."""

from __future__ import annotations

import csv

import pytest
from typer.testing import CliRunner

from cxloop.cli import app
from cxloop.ingest import ingest_rows
from cxloop.settings import TextSettings
from cxloop.text.phrases import PhraseMatcher
from cxloop.text.summary import theme_summary
from cxloop.text.taxonomy import default_taxonomy, from_names
from cxloop.text.workspace_tags import tag_workspace, tagger_for
from cxloop.workspace import Workspace

runner = CliRunner()


@pytest.fixture(scope="module")
def tagger():
    return tagger_for(None, default_taxonomy(), TextSettings())


def test_each_clause_gets_its_own_theme_and_sentiment(tagger):
    text = "The agent was really friendly but I waited 40 minutes on hold."
    [result] = tagger.tag([text])
    found = {h.theme: h for h in result.themes}
    assert "friendly agent" in found and "long wait" in found
    assert found["friendly agent"].sentiment == "positive"
    assert found["long wait"].sentiment == "negative"
    wait = found["long wait"]
    assert text[wait.span_start : wait.span_end] == wait.evidence
    assert "40 minutes" in wait.evidence and "friendly" not in wait.evidence


def test_meaning_is_found_without_any_keyword(tagger):
    texts = [
        "I was stuck in the queue for well over an hour and nearly gave up",
        "Everything got fixed during that one phone call, brilliant",
        "They took money from my account twice for the same bill",
    ]
    results = tagger.tag(texts)
    assert results[0].theme_names and results[0].theme_names[0] in {
        "long wait",
        "hard to get through",
    }
    assert results[0].sentiment == "negative"
    assert "issue resolved" in results[1].theme_names and results[1].sentiment == "positive"
    assert "billing error" in results[2].theme_names
    assert all(h.source == "semantic" for r in results for h in r.themes if h.confidence < 1)


def test_empty_and_off_topic_comments_get_no_theme(tagger):
    results = tagger.tag(["", "   ", "n/a"])
    assert [r.themes for r in results] == [[], [], []]
    assert [r.sentiment for r in results] == ["neutral"] * 3


def test_phrases_match_whole_words_only():
    matcher = PhraseMatcher([["fee"], ["on hold"]])
    assert matcher.find("I feel fine") == []
    assert matcher.find("The FEE was silly; put on  hold") == [(0, 4, 7)]
    assert [t for t, *_ in matcher.find("on hold, fee.")] == [1, 0]


def test_names_only_taxonomy_tags_by_meaning():
    tax = from_names(["card_arrival", "exchange_rate", "pin_blocked"])
    tagger = tagger_for(None, tax, TextSettings(theme_threshold=0.3))
    results = tagger.tag(
        ["my new card still hasn't come in the post", "PIN is locked after 3 tries"]
    )
    assert results[0].theme_names[:1] == ["card_arrival"]
    assert results[1].theme_names[:1] == ["pin_blocked"]


def _read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_csv_command_writes_one_row_per_input_row(tmp_path):
    src = tmp_path / "comments.csv"
    src.write_text(
        "ref,text\n"
        'A1,"Friendly agent but I waited 40 minutes"\n'
        "A2,\n"
        'A3,"=HYPERLINK(""http://x"") they charged me twice"\n'
        'A4,"line one\nline two: the app keeps crashing"\n',
        encoding="utf-8",
    )
    out = tmp_path / "tagged.csv"
    result = runner.invoke(
        app, ["themes", "tag", "--input", str(src), "--text-col", "text", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = _read(out)
    assert list(rows[0]) == ["id", "themes", "theme_sentiments", "sentiment", "sentiment_score"]
    assert [r["id"] for r in rows] == ["1", "2", "3", "4"]
    for r in rows:
        themes = [t for t in r["themes"].split(";") if t]
        sentiments = [s for s in r["theme_sentiments"].split(";") if s]
        assert len(themes) == len(sentiments)
        assert r["sentiment"] in {"negative", "neutral", "positive"}
        assert -1 <= float(r["sentiment_score"]) <= 1
    assert rows[1]["themes"] == "" and rows[1]["sentiment"] == "neutral"
    assert "long wait" in rows[0]["themes"].split(";")
    assert "app and online banking" in rows[3]["themes"].split(";")
    with_ids = tmp_path / "ids.csv"
    result = runner.invoke(app, ["themes", "tag", "-i", str(src), "--text-col", "text",
                                 "--id-col", "ref", "--out", str(with_ids)])  # fmt: skip
    assert [r["id"] for r in _read(with_ids)] == ["A1", "A2", "A3", "A4"]


def test_csv_command_names_a_missing_column(tmp_path):
    src = tmp_path / "c.csv"
    src.write_text("comment\nhello\n")
    result = runner.invoke(app, ["themes", "tag", "-i", str(src), "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 1
    assert "no column 'text' for --text-col (columns: comment)" in result.output
    assert "Traceback" not in result.output


RESPONSES = [
    {"response_id": "R1", "responded_at": "2024-03-01 10:00", "team_id": "T1",
     "nps": 2, "comment": "Rude agent, and I was on hold for 50 minutes"},
    {"response_id": "R2", "responded_at": "2024-03-02 10:00", "team_id": "T1",
     "nps": 10, "comment": "Lovely helpful lady sorted my card out first time"},
    {"response_id": "R3", "responded_at": "2024-03-03 10:00", "team_id": "T2",
     "nps": 7, "comment": ""},
    {"response_id": "R4", "responded_at": "2024-03-04 10:00", "team_id": "T2",
     "nps": 3, "comment": "You charged me twice and nobody called me back"},
]  # fmt: skip


def test_workspace_tagging_is_incremental(tmp_path):
    ws = Workspace.init(tmp_path / "ws")
    ingest_rows(ws, "responses", RESPONSES, source="test")
    first = tag_workspace(ws)
    assert (first.comments, first.tagged, first.unchanged) == (3, 3, 0)
    cached = ws.analytics.count("text_embeddings")
    again = tag_workspace(ws)
    assert (again.tagged, again.unchanged) == (0, 3)
    assert ws.analytics.count("text_embeddings") == cached
    changed = dict(RESPONSES[3], comment="The app crashed when I tried to pay")
    ingest_rows(ws, "responses", [changed], source="test2", update=True)
    third = tag_workspace(ws)
    assert (third.tagged, third.unchanged) == (1, 2)
    themes = ws.analytics.con.to_pyarrow(ws.analytics.table("comment_themes")).to_pylist()
    r4 = [t["theme"] for t in themes if t["response_id"] == "R4"]
    assert "app and online banking" in r4 and "billing error" not in r4
    assert tag_workspace(ws, retag=True).tagged == 3
    ws.close()


def test_cli_tags_a_workspace_and_summarises(tmp_path):
    ws = Workspace.init(tmp_path / "ws")
    ingest_rows(ws, "responses", RESPONSES, source="test")
    ws.close()
    result = runner.invoke(app, ["themes", "tag", "-w", str(tmp_path / "ws")])
    assert result.exit_code == 0, result.output
    assert "3 comments: tagged 3" in result.output
    result = runner.invoke(app, ["themes", "summary", "-w", str(tmp_path / "ws"), "-f", "json"])
    assert result.exit_code == 0, result.output
    with Workspace.open(tmp_path / "ws") as ws:
        rows = theme_summary(ws, by="team_id")
    wait = [r for r in rows if r["theme"] == "long wait"]
    assert wait and wait[0]["team_id"] == "T1" and wait[0]["mentions"] == 1
    assert wait[0]["comments"] == 2 and wait[0]["share"] == 50.0 and wait[0]["margin"] > 0


def test_summary_before_tagging_says_what_to_do(tmp_path):
    ws = Workspace.init(tmp_path / "ws")
    ws.close()
    result = runner.invoke(app, ["themes", "summary", "-w", str(tmp_path / "ws")])
    assert result.exit_code == 1
    assert "cxloop themes tag" in result.output


def test_sentiment_settings_default_to_the_calibrated_thresholds():
    from cxloop.text import sentiment

    text = TextSettings()
    assert text.sentiment_negative_below == sentiment.NEGATIVE_BELOW
    assert text.sentiment_positive_above == sentiment.POSITIVE_ABOVE


def test_clauses_split_where_the_sentence_turns():
    from cxloop.text.clauses import clause_texts

    assert clause_texts("Friendly agent but I waited 40 minutes.") == [
        "Friendly agent", "but I waited 40 minutes."]  # fmt: skip
    assert clause_texts("Rude agent, and I was on hold for 50 minutes") == [
        "Rude agent", "and I was on hold for 50 minutes"]  # fmt: skip
    assert clause_texts("The lady was kind only downside was that nothing got fixed") == [
        "The lady was kind", "only downside was that nothing got fixed"]  # fmt: skip
    assert clause_texts("I've had nothing but problems since switching") == [
        "I've had nothing but problems since switching"]  # fmt: skip
    assert clause_texts("N/A.") == clause_texts("-") == clause_texts("none") == []
