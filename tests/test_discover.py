"""Discovery of new themes: clusters, labels, statistics, the workspace layer, promotion."""

from __future__ import annotations

import datetime as dt
import json
import tomllib

import numpy as np
import pyarrow as pa
import pytest
import typer
from sklearn.metrics import adjusted_rand_score
from typer.testing import CliRunner

from cxloop.errors import InputError, MissingData
from cxloop.text.discover import Candidate, cluster, discover
from cxloop.text.discover_phrases import phrases_of
from cxloop.text.discover_workspace import (
    discover_themes,
    latest_discovery,
    promote,
    saved_candidate,
)
from cxloop.text.taxonomy import load_taxonomy

PARCEL = [
    "my parcel arrived three days late", "the parcel still has not arrived",
    "courier left my parcel at the wrong address", "parcel delivery was late again",
    "where is my parcel, it is a week late", "the parcel was delivered to a neighbour",
    "late parcel delivery ruined my weekend", "the courier never delivered my parcel",
    "parcel tracking said delivered but nothing came", "my parcel was damaged and late",
    "still waiting for my parcel to be delivered", "the delivery driver lost my parcel",
    "parcel came late and the box was crushed", "nobody knows where my parcel is",
    "the parcel delivery slot was missed twice", "my parcel went to the wrong house",
    "parcel arrived a week after the promised date", "the courier dumped the parcel in the rain",
    "delivery of my parcel keeps getting postponed", "the parcel never turned up",
]  # fmt: skip
APP = [
    "the mobile app crashes when I log in", "app keeps crashing on my phone",
    "the app freezes every time I open it", "mobile app crashed during payment",
    "the app crashes after the latest update", "cannot log in, the app just crashes",
    "the banking app crashes on my android phone", "app crashes whenever I check my balance",
    "the app froze and then crashed again", "the new app version crashes constantly",
    "mobile app keeps closing by itself", "the app crashes on startup",
    "every time I open the app it crashes", "the app crashed twice today",
    "app crashing makes it impossible to pay", "the iphone app crashes at login",
    "the app is unusable, it keeps crashing", "app crash when uploading a document",
    "the mobile app crashes and logs me out", "the app crashes as soon as it loads",
]  # fmt: skip
SAVINGS = [
    "the interest rate on my savings is too low", "savings interest rate was cut again",
    "my savings account pays almost no interest", "the interest on savings is poor",
    "you lowered the savings rate without telling me", "savings rate is worse than other banks",
    "interest rate on my isa is terrible", "the savings interest keeps dropping",
    "new customers get a better savings rate", "my savings earn hardly any interest",
    "the interest rate on my savings account fell", "poor interest rate on fixed savings",
    "savings interest is lower than inflation", "the savings rate cut was not explained",
    "interest paid on my savings is pathetic", "why is the savings interest rate so low",
    "other banks pay more interest on savings", "the bonus savings rate ended without notice",
    "interest on my savings account is a joke", "savings rates have been reduced again",
]  # fmt: skip
TEXTS = PARCEL + APP + SAVINGS
TOPIC = np.repeat([0, 1, 2], 20)
DISTINCTIVE = ({"parcel", "courier", "delivery", "delivered"}, {"app", "crashes", "crash"},
               {"savings", "interest", "rate"})  # fmt: skip


@pytest.fixture(scope="module")
def encoder():
    from cxloop.text.encoder import load_encoder

    return load_encoder()


@pytest.fixture(scope="module")
def vectors(encoder):
    return encoder.encode(TEXTS)


def _labels(candidates: list[Candidate], n: int) -> np.ndarray:
    labels = np.full(n, -1)
    for c in candidates:
        labels[c.members] = c.id
    return labels


# -- the algorithm -----------------------------------------------------------------------------
def test_three_unrelated_topics_are_found_and_named(vectors):
    found = discover(TEXTS, vectors)
    assert adjusted_rand_score(TOPIC, _labels(found, len(TEXTS))) >= 0.9
    assert len(found) == 3
    for c in found:
        topic = np.bincount(TOPIC[c.members]).argmax()
        label_words = set(c.label.replace("/", " ").split())
        assert label_words & DISTINCTIVE[topic], c.label
        assert len(c.representatives) == 5 and len(set(c.examples)) == 5
        assert all(TOPIC[i] == topic for i in c.representatives)
        assert 0.5 < c.cohesion <= 1
    assert sum(c.size for c in found) == len(TEXTS)
    assert found[0].share == pytest.approx(100 * found[0].size / len(TEXTS), abs=0.01)


def test_same_input_same_candidates(vectors):
    first = [c.to_dict(members=True) for c in discover(TEXTS, vectors)]
    again = [c.to_dict(members=True) for c in discover(TEXTS, vectors)]
    assert first == again


def test_texts_in_no_cluster_of_min_size_are_other(vectors):
    labels = cluster(vectors, min_size=21)  # every topic has 20 texts
    assert (labels == -1).all()
    assert discover(TEXTS, vectors, min_size=21) == []
    assert len(discover(TEXTS, vectors, max_candidates=2)) == 2


def test_rising_theme_and_over_represented_team(vectors):
    # the app topic all in the last week, the others spread over six weeks before it;
    # the parcel topic comes mostly from team T9
    start = dt.date(2024, 3, 4)  # a Monday
    dates = [start + dt.timedelta(days=(i * 2) % 42) for i in range(20)]
    dates += [start + dt.timedelta(days=42 + i % 5) for i in range(20)]
    dates += [start + dt.timedelta(days=(i * 2 + 1) % 42) for i in range(20)]
    teams = ["T9"] * 18 + ["T1", "T2"] + [f"T{i % 4 + 1}" for i in range(40)]
    found = discover(TEXTS, vectors, dates=dates, groups={"team_id": teams})
    by_topic = {int(np.bincount(TOPIC[c.members]).argmax()): c for c in found}
    app, parcel = by_topic[1], by_topic[0]
    assert app.trend.period == "week" and len(app.trend.counts) == 7
    assert app.trend.direction == "rising" and app.trend.p_value < 0.001
    assert (app.trend.last_count, app.trend.last_total) == (20, 20)
    assert "rising" in app.trend.statement and "20 of 20" in app.trend.statement
    assert by_topic[2].trend.direction == "falling"
    top = parcel.groups[0]
    assert (top.dimension, top.value, top.count, top.theme_total) == ("team_id", "T9", 18, 20)
    assert top.lift == pytest.approx((18 / 20) / (18 / 60), abs=0.01)
    assert top.p_value < 0.001
    assert app.groups == []  # spread evenly over T1..T4


def test_owners_count_once(vectors):
    # each parcel text appears twice (two clauses of one comment): the size stays 20
    texts = TEXTS + PARCEL
    owners = list(range(60)) + list(range(20))
    vecs = np.vstack([vectors, vectors[:20]])
    found = discover(texts, vecs, owners=owners)
    parcel = next(c for c in found if "parcel" in c.label)
    assert parcel.size == 20 and len(parcel.members) == 40
    assert len({owners[i] for i in parcel.representatives}) == len(parcel.representatives)
    assert sum(c.size for c in found) == 60


def test_phrases_keep_negations_and_phrasal_verbs_but_not_stop_word_edges():
    phrases = phrases_of("My card has not arrived, I want to top up")
    assert "card has not arrived" not in phrases  # four words
    assert {"card", "arrived", "top up"} <= set(phrases)
    assert not any(p.split()[0] in {"my", "to", "i"} for p in phrases)
    assert "not arrived" in phrases_of("still not arrived")


def test_discover_checks_its_inputs(vectors):
    with pytest.raises(ValueError):
        discover(TEXTS[:10], vectors)
    assert discover([], np.zeros((0, 384))) == []


# -- promotion -----------------------------------------------------------------------------------
HOSTILE = 'He said "hi" \\ then """ left\nnew line\ttab \x7f end \'single\' [[theme]]'


def _candidate(**kw) -> Candidate:
    base = dict(id=1, label="card not arrived / new card / still waiting",
                key_phrases=["card not arrived", "new card", "still waiting", "ago"], size=12,
                share=3.0, margin=1.0, cohesion=0.8, representatives=[0, 1, 2, 3],
                examples=["My card has not arrived", HOSTILE, "Still waiting for my card",
                          "fourth"])  # fmt: skip
    return Candidate(**(base | kw))


def test_promote_writes_valid_toml_that_round_trips(tmp_path):
    path = tmp_path / "themes.toml"
    path.write_text('[[theme]]\nname = "Cards"\ndescription = "Anything about cards."\n')
    theme = promote(_candidate(), path, name="Card not arrived", parent="Cards")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    added = data["theme"][-1]
    assert added["name"] == "Card not arrived" and added["parent"] == "Cards"
    assert added["keywords"] == ["card not arrived", "new card", "still waiting"]  # not "ago"
    assert added["examples"] == ["My card has not arrived", " ".join(HOSTILE.split()),
                                 "Still waiting for my card"]  # fmt: skip
    assert added["polarity"] == "either"
    assert added["description"].endswith(".") and "new card" in added["description"]
    tax = load_taxonomy(path)
    assert tax["Card not arrived"] == theme


def test_promote_escapes_hostile_names_and_labels(tmp_path):
    path = tmp_path / "themes.toml"
    promote(_candidate(label=HOSTILE, key_phrases=[HOSTILE]), path)
    promote(HOSTILE + " 2 / second phrase", path)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    names = [t["name"] for t in data["theme"]]
    assert names == [" ".join(HOSTILE.split()), " ".join((HOSTILE + " 2 / second phrase").split())]
    assert data["theme"][0]["keywords"] == [HOSTILE]
    assert data["theme"][1]["keywords"] == [HOSTILE + " 2", "second phrase"]
    assert len(load_taxonomy(path)) == 2


def test_promote_refuses_what_would_break_the_taxonomy(tmp_path):
    path = tmp_path / "themes.toml"
    path.write_text('[[theme]]\nname = "Cards"\ndescription = "Cards."\nkeywords = ["new card"]\n')
    before = path.read_text()
    with pytest.raises(InputError, match="duplicate name"):
        promote(_candidate(), path, name="cards")
    with pytest.raises(InputError, match="unknown parent"):
        promote(_candidate(), path, parent="Nope")
    with pytest.raises(InputError, match="cannot have keywords"):
        promote(_candidate(), path, parent="Cards")  # Cards would become a parent with keywords
    assert path.read_text() == before
    theme = promote(_candidate(), path)
    assert "new card" not in theme.keywords  # owned by Cards already
    assert load_taxonomy(path).names == ["Cards", theme.name]


def test_promote_refuses_a_file_that_is_not_toml(tmp_path):
    path = tmp_path / "themes.toml"
    path.write_text("this is [ not toml")
    with pytest.raises(InputError, match="not valid TOML"):
        promote(_candidate(), path)
    assert path.read_text() == "this is [ not toml"


# -- the workspace layer and the CLI -------------------------------------------------------------
def _rows(table, rows):
    from cxloop.store.analytics import table_schemas

    schema = table_schemas()[table]
    return pa.Table.from_pylist([{k: r.get(k) for k in schema.names} for r in rows], schema)


@pytest.fixture()
def ws(tmp_path):
    from cxloop import Workspace

    ws = Workspace.init(tmp_path / "ws")
    covered = "The agent was friendly and helpful on the phone today"
    comments = TEXTS + [covered] * 10 + ["nope"]
    ws.analytics.insert("responses", _rows("responses", [
        {"response_id": f"R{i:03d}", "responded_at": dt.datetime(2024, 3, 1 + i % 28, 9),
         "team_id": f"T{i % 3}", "channel": "chat" if i < 20 else "phone", "comment": text}
        for i, text in enumerate(comments)
    ]))  # fmt: skip
    yield ws
    ws.close()


def _tag(ws, n_texts=71):
    ws.analytics.insert("comment_tags", _rows("comment_tags", [
        {"response_id": f"R{i:03d}", "taxonomy_hash": "x", "sentiment": "neutral",
         "sentiment_score": 0.0, "n_themes": 1 if 60 <= i < 70 else 0}
        for i in range(n_texts)
    ]))  # fmt: skip


def test_workspace_needs_tags_first(ws):
    with pytest.raises(MissingData, match="cxloop themes tag"):
        discover_themes(ws)


def test_workspace_discovery_is_saved_and_promoted_by_id(ws, encoder, tmp_path):
    _tag(ws)
    found = discover_themes(ws, encoder=encoder)
    assert len(found) == 3 and [c.id for c in found] == [1, 2, 3]
    assert all(not any("friendly" in e for e in c.examples) for c in found)  # covered: left out
    parcel = next(c for c in found if "parcel" in c.label)
    assert parcel.size == 20 and all(i.startswith("R0") for i in parcel.example_ids)
    assert {(g.dimension, g.value) for g in parcel.groups} == {("channel", "chat")}
    run = latest_discovery(ws)
    assert (run["uncovered_comments"], run["clustered_comments"]) == (61, 60)  # "nope" too short
    assert len(run["candidates"]) == 3
    again = saved_candidate(ws, parcel.id)
    assert again.label == parcel.label and again.examples == parcel.examples
    assert again.groups == parcel.groups
    with pytest.raises(InputError, match="no candidate 9"):
        saved_candidate(ws, 9)
    later = discover_themes(ws, since=dt.datetime(2024, 3, 20), encoder=encoder)
    assert sum(c.size for c in later) < 60

    taxonomy = tmp_path / "mine.toml"
    from cxloop.cli.discover import register

    app = typer.Typer()
    register(app)
    runner = CliRunner()
    result = runner.invoke(app, ["discover", "--workspace", str(ws.path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert {c["label"] for c in json.loads(result.output)} == {c.label for c in found}
    result = runner.invoke(app, ["promote", str(parcel.id), "--taxonomy", str(taxonomy),
                                 "--name", "Late parcels", "--workspace", str(ws.path)])  # fmt: skip
    assert result.exit_code == 0, result.output
    theme = load_taxonomy(taxonomy)["Late parcels"]
    assert theme.examples == tuple(parcel.examples[:3])
    result = runner.invoke(app, ["promote", "7", "--taxonomy", str(taxonomy),
                                 "--workspace", str(ws.path)])  # fmt: skip
    assert result.exit_code == 1 and "no candidate 7" in result.output
    for command in ("discover", "promote"):
        assert "Example:" in runner.invoke(app, [command, "--help"]).output
