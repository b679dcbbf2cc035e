"""Stories: real comments worth reading aloud, chosen well and linked to the people praised.

Guards: near-duplicates are never picked twice; praise and pain are balanced unless one
sentiment is asked for; a specific comment beats a generic one and a recent one an old
one; praise names are linked to the right employee (the response's own agent first,
ambiguous names to nobody, common words never); named periods mean what they say; and
on a demo workspace the API and the CLI give stories of the asked team and theme, with
the simulator's planted named praise linked to the agent who was praised.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from cxloop.errors import InputError, MissingData
from cxloop.text.employee_names import EmployeeNames, name_parts
from cxloop.text.periods import period_range
from cxloop.text.stories import Candidate, pick_stories, text_features

DAY = dt.date(2024, 3, 31)
SPECIFIC_PAIN = [
    "I waited 40 minutes on hold on Monday and then the line went dead, so I rang again.",
    "Charged a £25 fee twice this month and nobody could tell me why when I called.",
    "My card was blocked at 9pm in a shop and it took three calls to get it unblocked.",
    "The branch closed at 3pm on Friday although the website said 5pm, wasted my trip.",
    "Still waiting for a £120 refund promised 3 weeks ago, I have chased it twice now.",
    "The app logged me out 5 times while I was paying my rent, I was really stressed.",
    "Transferred four times between departments and told my complaint number was wrong.",
]
SPECIFIC_PRAISE = [
    "Priya stayed on the line for 20 minutes until my payment went through, so grateful.",
    "Refunded the £30 charge on the spot and explained exactly why it happened, thank you.",
    "I got through in under a minute at 8am and my new card arrived in 2 days.",
]


def _cands(texts, sentiment, score, day=DAY, prefix="r"):
    return [
        Candidate(f"{prefix}{i}", t, day, sentiment, score, themes=(f"theme {prefix}{i}",))
        for i, t in enumerate(texts)
    ]


def _embedder(vectors: dict[str, np.ndarray]):
    def embed(texts):
        return np.stack([vectors[t] for t in texts])

    return embed


def _orthogonal(texts, dim=64, start=0):
    out = {}
    for i, t in enumerate(texts):
        v = np.zeros(dim, np.float32)
        v[start + i] = 1.0
        out[t] = v
    return out


# -- choosing -----------------------------------------------------------------------------
def _complaint_versions(noise: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    versions = [
        f"I waited {m} minutes on hold on Monday and the line went dead, I was furious!"
        for m in (40, 41, 42, 43, 44)
    ]
    others = [
        "Called about my mortgage, the agent was short with me and I felt stupid.",
        "The app crashes every time I try to log in on my phone, so annoying.",
        "Nobody called me back although it was promised last week, still waiting.",
        "I was passed around three teams before anyone could help me.",
    ]
    base = np.zeros(64, np.float32)
    base[0] = 1.0
    vectors = {}
    for t in versions:
        v = base + rng.normal(0, noise, 64).astype(np.float32)
        vectors[t] = v / np.linalg.norm(v)
    vectors.update(_orthogonal(others, start=10))
    cands = [
        Candidate(f"d{i}", t, DAY, "negative", -0.9, themes=("long wait",))
        for i, t in enumerate(versions)
    ] + _cands(others, "negative", -0.5)
    sims = [float(vectors[versions[0]] @ vectors[v]) for v in versions[1:]]
    return cands, vectors, versions, sims


def test_five_versions_of_one_complaint_give_one_story():
    cands, vectors, versions, sims = _complaint_versions(noise=0.01)
    assert min(sims) > 0.9
    picked = pick_stories(cands, _embedder(vectors), n=5)
    texts = [s.text for s in picked]
    assert len(picked) == 5
    assert sum(t in versions for t in texts) == 1, texts


def test_paraphrases_of_one_complaint_do_not_crowd_out_the_rest():
    cands, vectors, versions, sims = _complaint_versions(noise=0.09)
    assert 0.6 < float(np.mean(sims)) < 0.85  # like MiniLM on two wordings of one complaint
    picked = pick_stories(cands, _embedder(vectors), n=5)
    assert sum(s.text in versions for s in picked) <= 2, [s.text for s in picked]
    assert picked[0].text in versions  # the most vivid and specific still comes first


def test_praise_is_at_least_two_in_five_when_there_is_praise():
    pain = _cands(SPECIFIC_PAIN, "negative", -0.95, prefix="p")
    praise = _cands(SPECIFIC_PRAISE, "positive", 0.3, prefix="g")
    vectors = _orthogonal(SPECIFIC_PAIN + SPECIFIC_PRAISE)
    picked = pick_stories(pain + praise, _embedder(vectors), n=5)
    sentiments = [s.sentiment for s in picked]
    assert sentiments.count("positive") >= 2
    assert sentiments.count("negative") >= 2
    # without balancing, strong pain would have filled every place
    only_pain = pick_stories(pain + praise, _embedder(vectors), n=5, sentiment="negative")
    assert [s.sentiment for s in only_pain] == ["negative"] * 5
    no_praise = pick_stories(pain, _embedder(vectors), n=5)
    assert len(no_praise) == 5


def test_a_specific_comment_beats_a_generic_one():
    generic = "Great service, thank you very much, really good."
    specific = "Waited 40 minutes on Monday, then Sam refunded the £25 fee in one call."
    cands = [
        Candidate("g", generic, DAY, "positive", 0.9),
        Candidate("s", specific, DAY, "positive", 0.9),
    ]
    picked = pick_stories(cands, _embedder(_orthogonal([generic, specific])), n=1)
    assert [s.response_id for s in picked] == ["s"]
    assert "40 minutes" in picked[0].why and "praise" in picked[0].why
    assert text_features(specific).specific > 2 * text_features(generic).specific


def test_length_sweet_spot():
    short = text_features("Rubbish.").specific
    mid = text_features(SPECIFIC_PAIN[0]).specific
    rambling = text_features(" ".join([SPECIFIC_PAIN[0]] * 12)).specific
    assert short < 0.1 < rambling < mid


def test_a_recent_comment_beats_an_old_one_of_the_same_kind():
    old_text, new_text = SPECIFIC_PAIN[0], SPECIFIC_PAIN[1]
    cands = [
        Candidate("old", old_text, DAY - dt.timedelta(days=60), "negative", -0.8),
        Candidate("new", new_text, DAY, "negative", -0.8),
    ]
    picked = pick_stories(
        cands, _embedder(_orthogonal([old_text, new_text])), n=2, half_life_days=15
    )
    assert [s.response_id for s in picked] == ["new", "old"]
    assert picked[0].recent == 1.0 and picked[1].recent < 0.1
    assert "recent" in picked[0].why and "recent" not in picked[1].why


def test_story_as_dict_is_plain_json():
    picked = pick_stories(
        _cands(SPECIFIC_PRAISE[:1], "positive", 0.8), _embedder(_orthogonal(SPECIFIC_PRAISE[:1]))
    )
    data = json.loads(json.dumps(picked[0].as_dict()))
    assert data["date"] == DAY.isoformat()
    for key in ("why", "score", "specific", "vivid", "recent", "themes", "praised_employee"):
        assert key in data


# -- linking praise to employees -----------------------------------------------------------
STAFF = EmployeeNames(
    [
        ("E1", "Sarah Jones"),
        ("E2", "Sarah Patel"),
        ("E3", "Priya Shah"),
        ("E4", "Will Turner"),
        ("E5", "Grace Lee"),
        ("E6", "Tom Ward"),
        ("E7", None),
    ]
)


def _who(text, agent=None, **kw):
    link = STAFF.praised(text, agent, praise=True, **kw)
    return None if link is None else (link.employee.employee_id if link.employee else "?")


def test_the_responses_own_agent_is_preferred():
    assert _who("Sarah was brilliant, thank you!", agent="E2") == "E2"
    assert _who("Sarah was brilliant, thank you!", agent="E1") == "E1"


def test_a_shared_first_name_with_another_agent_is_ambiguous():
    link = STAFF.praised("Thanks to Sarah for sorting it.", "E3", praise=True)
    assert link.employee is None and "ambiguous" in link.note
    assert _who("Sarah Patel sorted it in minutes.", agent="E6") == "E2"  # full name is unique
    assert _who("Thanks to Priya for sorting it.", agent="E6") == "E3"  # the only Priya


def test_common_words_and_parts_of_words_are_not_names():
    for text in (
        "Will you ever call me back? I was told in May to wait.",
        "Tomorrow is fine. Priyanka in the branch was lovely.",
        "Mark my words, I am leaving. Hope you fix it by June.",
        "the grace period was fine and I will stay",
    ):
        assert STAFF.mentions(text, "E6") == [], text
    assert _who("Big thanks to Will, all sorted.", agent="E6") == "E4"
    assert _who("Grace was so patient with me.", agent="E6") == "E5"


def test_a_name_at_the_start_of_a_sentence_is_linked():
    assert _who("Priya sorted everything. Great.", agent="E6") == "E3"
    assert _who("Great call. Tom's help was amazing.", agent="E6") == "E6"


def test_text_without_capitals_links_only_the_own_agent():
    assert _who("thanks priya for the help", agent="E3") == "E3"
    assert _who("thanks priya for the help", agent="E6") is None


def test_praise_spans_decide_for_mixed_comments():
    text = "Sarah Patel was lovely but I waited an hour and Tom cut me off."
    spans = [(0, 21)]
    praised = STAFF.praised(text, "E6", praise_spans=spans)
    assert praised.employee.employee_id == "E2"
    assert STAFF.praised(text, "E6", praise_spans=[(26, 62)]) is None or (
        STAFF.praised(text, "E6", praise_spans=[(26, 62)]).employee.employee_id == "E6"
    )
    assert STAFF.praised(text, "E6") is None  # not praise, no positive span


def test_name_parts():
    assert name_parts("Jones, Sarah") == ("Sarah", "Sarah Jones")
    assert name_parts("MRS SARAH JONES") == ("Sarah", "Sarah Jones")
    assert name_parts(" ") is None


# -- periods --------------------------------------------------------------------------------
def test_named_periods():
    newest = dt.date(2024, 3, 20)
    assert period_range("2024-W10", newest) == (dt.date(2024, 3, 4), dt.date(2024, 3, 10))
    assert period_range("2024-03", newest) == (dt.date(2024, 3, 1), dt.date(2024, 3, 31))
    assert period_range("2024-Q1", newest) == (dt.date(2024, 1, 1), dt.date(2024, 3, 31))
    assert period_range("last-30-days", newest) == (dt.date(2024, 2, 20), newest)
    assert period_range("last-1-months", newest) == (dt.date(2024, 2, 21), newest)
    assert period_range("month", newest) == (dt.date(2024, 3, 1), dt.date(2024, 3, 31))
    assert period_range("all", newest) is None
    with pytest.raises(InputError, match="2024-W10"):
        period_range("March", newest)


# -- a hand-built workspace -----------------------------------------------------------------
class _HashEncoder:
    """A stand-in model: a fixed random unit vector per text (no model to load)."""

    name = "test-hash-encoder"
    dim = 32

    def encode(self, texts, progress=None):
        out = np.stack(
            [np.random.default_rng(zlib.crc32(t.encode())).normal(size=self.dim) for t in texts]
        ).astype(np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def _rows(table, rows):
    from cxloop.store.analytics import table_schemas

    schema = table_schemas()[table]
    return pa.Table.from_pylist([{k: r.get(k) for k in schema.names} for r in rows], schema)


@pytest.fixture()
def small_ws(tmp_path):
    from cxloop import Workspace

    ws = Workspace.init(tmp_path / "ws")
    people = [("E1", "Tom Ward"), ("E2", "Sarah Jones"), ("E3", "Sarah Patel"), ("E4", "Ann Lee")]
    comments = [  # id, day, agent, sentiment, text, positive evidence span (or None)
        ("R1", 3, "E1", "positive", "Tom was rude at first but Sarah Jones fixed my £40 "
         "refund in ten minutes, brilliant.", (26, 84)),
        ("R2", 4, "E4", "positive", "Sarah stayed on the line for 20 minutes until my card "
         "worked, I was so relieved.", None),
        ("R3", 5, "E4", "negative", "Waited 45 minutes on Monday, email me at jo@example.com "
         "if you ever fix it.", None),
        ("R4", 20, "E1", "negative", "My direct debit bounced twice in March and I was "
         "charged £12 each time, furious.", None),
    ]  # fmt: skip
    store = ws.analytics
    store.insert(
        "employees",
        _rows("employees", [{"employee_id": e, "name": n, "role": "agent"} for e, n in people]),
    )
    store.insert(
        "responses",
        _rows("responses", [
            {"response_id": r, "responded_at": dt.datetime(2024, 3, d, 12), "agent_id": a,
             "team_id": "T1", "channel": "phone", "nps": 10 if s == "positive" else 2,
             "comment": text}
            for r, d, a, s, text, _ in comments
        ]),
    )  # fmt: skip
    store.insert(
        "comment_tags",
        _rows("comment_tags", [
            {"response_id": r, "sentiment": s, "sentiment_score": 0.8 if s == "positive" else -0.8,
             "n_themes": 1}
            for r, _, _, s, _, _ in comments
        ]),
    )  # fmt: skip
    store.insert(
        "comment_themes",
        _rows("comment_themes", [
            {"response_id": r, "theme": "staff attitude" if span else "long wait",
             "parent": "Staff" if span else "Wait", "sentiment": s, "rank": 1,
             "span_start": span[0] if span else None, "span_end": span[1] if span else None}
            for r, _, _, s, _, span in comments
        ]),
    )  # fmt: skip
    yield ws
    ws.close()


def test_the_api_links_praise_within_its_evidence(small_ws):
    from cxloop.text.workspace_stories import stories

    picked = {s.response_id: s for s in stories(small_ws, n=4, encoder=_HashEncoder())}
    assert set(picked) == {"R1", "R2", "R3", "R4"}
    # the positive evidence names Sarah Jones; Tom (the agent) is in the rude part
    assert picked["R1"].praised_employee.employee_id == "E2"
    assert "praises Sarah Jones" in picked["R1"].why
    # two Sarahs and the agent is neither: linked to nobody, and said so
    assert picked["R2"].praised_employee is None
    assert "ambiguous" in picked["R2"].employee_note
    # complaints praise nobody; personal data is redacted again before it is shown
    assert picked["R4"].praised_employee is None
    assert "jo@example.com" not in picked["R3"].text and "[EMAIL]" in picked["R3"].text


def test_the_api_filters_by_period_sentiment_and_parent_theme(small_ws):
    from cxloop.text.workspace_stories import stories

    enc = _HashEncoder()
    week = stories(small_ws, period="2024-W10", encoder=enc)
    assert {s.response_id for s in week} == {"R2", "R3"}
    assert {s.response_id for s in stories(small_ws, period="last-7-days", encoder=enc)} == {"R4"}
    pain = stories(small_ws, sentiment="pain", until=dt.date(2024, 3, 10), encoder=enc)
    assert [s.response_id for s in pain] == ["R3"]
    staff = stories(small_ws, theme="Staff", encoder=enc)
    assert {s.response_id for s in staff} == {"R1"}
    assert stories(small_ws, period="2023-01", encoder=enc) == []
    with pytest.raises(InputError, match="sentiment"):
        stories(small_ws, sentiment="angry", encoder=enc)


# -- a demo workspace --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory):
    """The small demo company (employees and responses, ingested the public way), its
    comments tagged from the simulator's truth so no tagging model runs."""
    from cxloop import Workspace
    from cxloop.ingest import ingest_file
    from cxloop.simulate import build

    path = tmp_path_factory.mktemp("stories") / "ws"
    ws = Workspace.init(path)
    sim = build(path / "source", size="small", seed=7)
    for entity in ("employees", "responses"):
        ingest_file(ws, entity, sim.files[entity])
    _tag_from_truth(ws, path / "source" / "comment_truth.parquet")
    yield ws, json.loads(sim.truth_path.read_text())
    ws.close()


STAFF_THEMES = {"friendly agent", "knowledgeable agent", "went the extra mile",
                "rude or dismissive", "did not listen"}  # fmt: skip


def _tag_from_truth(ws, truth_path):
    store = ws.analytics
    t = store.table("responses")
    rows = store.con.to_pyarrow(t.select("response_id", "nps")).to_pylist()
    scores = {r["response_id"]: r["nps"] for r in rows}
    tags, themes = [], []
    for row in pq.read_table(truth_path).to_pylist():
        nps = scores.get(row["response_id"])
        nps = 7 if nps is None else nps
        mood = "positive" if nps >= 9 else "negative" if nps <= 6 else "neutral"
        tags.append({"response_id": row["response_id"], "text_hash": 0, "taxonomy_hash": "t",
                     "sentiment": mood, "sentiment_score": (nps - 5) / 5,
                     "n_themes": len(row["themes"]), "tagged_at": dt.datetime(2026, 11, 1)})  # fmt: skip
        for rank, (theme, sent) in enumerate(
            zip(row["themes"], row["sentiments"], strict=True), start=1
        ):
            themes.append({"response_id": row["response_id"], "theme": theme,
                           "parent": "Staff" if theme in STAFF_THEMES else None,
                           "sentiment": sent, "sentiment_score": 0.0, "confidence": 1.0,
                           "source": "phrase", "evidence": "", "span_start": None,
                           "span_end": None, "rank": rank})  # fmt: skip
    with store.transaction():
        store.insert("comment_tags", pa.Table.from_pylist(tags))
        store.insert("comment_themes", pa.Table.from_pylist(themes))


def test_planted_named_praise_links_to_the_praised_agent(demo_ws):
    ws, truth = demo_ws
    store = ws.analytics
    r = store.table("responses")
    e = store.con.to_pyarrow(store.table("employees").select("employee_id", "name"))
    names = EmployeeNames(zip(e.column(0).to_pylist(), e.column(1).to_pylist(), strict=True))
    rows = {
        x["response_id"]: x
        for x in store.con.to_pyarrow(r.select("response_id", "agent_id", "comment")).to_pylist()
    }
    named = pq.read_table(ws.path / "source" / "comment_truth.parquet").to_pylist()
    linked = wrong = 0
    planted = {p["agent_id"] for p in truth["praise_agents"]}
    planted_hits = set()
    for row in (x for x in named if x["names_agent"]):
        resp = rows[row["response_id"]]
        link = names.praised(resp["comment"], resp["agent_id"], praise=True)
        if link and link.employee:
            linked += 1
            wrong += link.employee.employee_id != resp["agent_id"]
            planted_hits |= {link.employee.employee_id} & planted
    total = sum(x["names_agent"] for x in named)
    assert wrong == 0
    assert linked >= 0.95 * total, (linked, total)
    assert planted_hits == planted


def test_stories_of_a_team_on_a_demo_workspace(demo_ws):
    from cxloop.text.workspace_stories import stories

    ws, truth = demo_ws
    agent = truth["praise_agents"][0]
    picked = stories(ws, team=agent["team_id"], n=5)
    assert len(picked) == 5
    assert len({s.response_id for s in picked}) == 5
    assert {s.team for s in picked} == {agent["team_id"]}
    moods = [s.sentiment for s in picked]
    assert moods.count("positive") >= 2 and moods.count("negative") >= 2
    assert not any("@" in s.text for s in picked)
    for s in picked:
        if s.praised_employee:
            assert s.praised_employee.employee_id == s.agent_id
            assert s.praised_employee.name.split()[0] in s.text


def test_theme_filter_takes_a_parent_and_its_children(demo_ws):
    from cxloop.text.workspace_stories import stories

    ws, _ = demo_ws
    picked = stories(ws, theme="staff", period="2026-Q3", n=4, sentiment="praise")
    assert picked
    assert all(set(s.themes) & STAFF_THEMES for s in picked)
    assert {s.sentiment for s in picked} == {"positive"}
    assert all(dt.date(2026, 7, 1) <= s.date <= dt.date(2026, 9, 30) for s in picked)
    with pytest.raises(InputError, match="did you mean"):
        stories(ws, theme="long waits")
    with pytest.raises(InputError, match="team"):
        stories(ws, team="no such team")


def test_the_cli_prints_stories_and_json(demo_ws):
    from cxloop.cli.stories import register

    ws, truth = demo_ws
    app = typer.Typer()
    register(app)
    app.callback()(lambda: None)
    team = truth["praise_agents"][0]["team_id"]
    runner = CliRunner()
    out = runner.invoke(app, ["stories", "-w", str(ws.path), "--team", team, "-f", "json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout[out.stdout.index("[") :])
    assert len(rows) == 5 and {r["team"] for r in rows} == {team}
    assert {"text", "why", "praised_employee", "themes", "specific"} <= set(rows[0])
    table = runner.invoke(app, ["stories", "-w", str(ws.path), "--team", team, "--n", "2"])
    assert table.exit_code == 0 and "why" in table.stdout
    help_text = runner.invoke(app, ["stories", "--help"]).stdout
    assert "Example:" in help_text


def test_stories_need_tagged_comments(tmp_path):
    from cxloop import Workspace
    from cxloop.cli.stories import register
    from cxloop.text.workspace_stories import stories

    ws = Workspace.init(tmp_path / "empty")
    with pytest.raises(MissingData, match="cxloop themes tag"):
        stories(ws)
    app = typer.Typer()
    register(app)
    app.callback()(lambda: None)
    out = CliRunner().invoke(app, ["stories", "-w", str(tmp_path / "empty")])
    assert out.exit_code == 1 and "themes tag" in out.output and "Traceback" not in out.output
    ws.close()
