"""Fair scores for people and engagement linkage (issue 4).

Guards: the shrinkage and correlation arithmetic against hand-computed numbers; no
person ranked on a handful of answers; the planted weak agents flagged and almost no
one else; the planted team whose engagement falls before its NPS found; pulse groups
under the anonymity minimum invisible in every output, even by subtraction.
"""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from cxloop.errors import UnknownMetric
from cxloop.ingest import ingest_rows
from cxloop.insights import people_shrinkage as eb
from cxloop.insights.fair_scores import fair_scores, support_flags
from cxloop.insights.linkage import engagement_linkage, fisher_interval
from cxloop.insights.people_drops import engagement_drops

# -- arithmetic by hand ------------------------------------------------------------------------


def test_normal_shrinkage_by_hand():
    """Three people, one group, s² = 0.1 each: w = 10, Q = 10·(0.25 + 0.25) = 5, df = 2,
    c = 30 − 300/30 = 20, τ² = (5 − 2)/20 = 0.15; B = 0.1/0.25 = 0.4, so each keeps 60%
    of their distance from the mean, with posterior variance 0.6 · 0.1 = 0.06."""
    y, s2, g = np.array([0.5, -0.5, 0.0]), np.full(3, 0.1), np.zeros(3)
    tau2 = eb.between_variance(y, s2, g)
    assert tau2 == pytest.approx(0.15)
    fit = eb.shrink_normal(y, s2, np.zeros(3), tau2, 0.95)
    assert fit.estimate == pytest.approx([0.3, -0.3, 0.0])
    half = 1.959964 * math.sqrt(0.06)
    assert fit.low == pytest.approx([0.3 - half, -0.3 - half, -half], abs=1e-5)
    # no real differences (τ² = 0): everyone sits on the group mean, interval of width 0
    assert eb.between_variance(np.array([0.1, -0.1]), np.full(2, 1.0), np.zeros(2)) == 0.0


def test_nps_variance_is_the_product_definition():
    # 50 promoters, 20 detractors of 100: 0.5 + 0.2 − 0.3² = 0.61
    assert eb.nps_variance(np.array([50]), np.array([20]), np.array([100]))[0] == pytest.approx(
        0.61
    )


def test_share_posterior_by_hand():
    """Prior ½ at 10%, ½ at 50%; 1 of 2: likelihoods 0.1·0.9 = 0.09 and 0.25, so the
    posterior is 0.09/0.34 at 10% and 0.25/0.34 at 50%; mean (0.009 + 0.125)/0.34."""
    grid = np.array([0.1, 0.5])
    fit = eb.shrink_share(np.array([1]), np.array([2]), grid, np.array([0.5, 0.5]), 0.5)
    assert fit.estimate[0] == pytest.approx(0.134 / 0.34)
    assert (fit.low[0], fit.high[0]) == (0.1, 0.5)  # 25% quantile at 10%, 75% at 50%


def test_share_prior_finds_the_two_groups():
    """Two people at 0 of 5 and one at 5 of 5, grid points far apart: mass ⅔ and ⅓."""
    grid = np.array([0.01, 0.99])
    w = eb.fit_share_prior(np.array([0, 0, 5]), np.array([5, 5, 5]), grid)
    assert w == pytest.approx([2 / 3, 1 / 3], abs=1e-3)


def test_fisher_interval_by_hand():
    # r = 0.5 from 30 pairs (df 28): atanh 0.5 = 0.5493, ± 1.96/sqrt(27) = 0.3772
    low, high = fisher_interval(0.5, 28)
    assert (low, high) == pytest.approx((math.tanh(0.5493 - 0.3772), math.tanh(0.5493 + 0.3772)),
                                        abs=1e-3)  # fmt: skip


def test_within_team_correlation_by_hand():
    """Two teams of 3 months. Demeaned: x = (−1, 0, 1) in both; y = (−2, 0, 2) and
    (1, 0, −1). Σxy = 4 − 2 = 2, Σx² = 4, Σy² = 10: r = 2/sqrt(40); df = 6 − 2 − 1 = 3."""
    from cxloop.insights.linkage import _within

    x = np.array([1.0, 2, 3, 10, 11, 12])
    y = np.array([2.0, 4, 6, 0, -1, -2])
    link = _within("engagement", "nps", 0, x, y, np.array(["A"] * 3 + ["B"] * 3, dtype=object))
    assert link.r == pytest.approx(2 / math.sqrt(40), abs=1e-3)
    low, high = fisher_interval(2 / math.sqrt(40), 3)
    assert (link.low, link.high) == pytest.approx((low, high), abs=1e-3)
    assert (link.teams, link.team_months) == (2, 6)


# -- fair scores on the demo ----------------------------------------------------------------


def test_three_zeros_are_not_enough_data_and_not_ranked_last(copy_of_small_demo):
    ws = copy_of_small_demo.open()
    ingest_rows(ws, "employees", [{"employee_id": "E99999", "name": "New Starter",
                                   "role": "agent", "team_id": "T01"}], source="test")  # fmt: skip
    ingest_rows(ws, "responses", [
        {"response_id": f"RX{i}", "responded_at": "2026-10-20T10:00:00", "agent_id": "E99999",
         "team_id": "T01", "channel": "phone", "nps": 0} for i in range(3)
    ], source="test")  # fmt: skip
    people = fair_scores(ws, "nps", "agent")
    new = next(p for p in people if p.id == "E99999")
    assert (new.n, new.raw, new.status, new.rank) == (3, -100.0, "not enough data", None)
    assert new.shrunk > -50  # pulled most of the way back to the team
    ranked = [p for p in people if p.rank is not None]
    assert ranked and all(p.n >= ws.settings.insights.min_person_responses for p in ranked)
    assert max(ranked, key=lambda p: p.rank).id != "E99999"
    assert "no rank" in new.sentence
    ws.close()


def _planted(truth):
    return {(w["agent_id"], w["theme"]) for w in truth["weak_agents"]}


def test_support_flags_find_planted_weak_agents_and_spare_the_rest(small_demo):
    """Default settings, whole history (the default window). On the small demo only 5 of
    the 8 weak agents have 30 comments, and the tagger finds 31-55% of three of the
    four weak themes (issue-3 tags), so this guards: at least one planted (agent, theme)
    flagged, and fewer than 5% of the unplanted agents with enough data flagged
    (measured: 1 of 5, and 0 of 31)."""
    ws = small_demo.open()
    flags = support_flags(ws)
    planted = _planted(small_demo.truth)
    weak = {a for a, _ in planted}
    hits = {(p.id, p.metric[6:]) for p in flags} & planted
    assert len(hits) >= 1
    eligible = {p.id for p in fair_scores(ws, "theme:did not listen")
                if p.status != "not enough data"}  # fmt: skip
    wrong = {p.id for p in flags} - weak
    assert len(wrong) < 0.05 * len(eligible - weak)
    assert all(p.n >= ws.settings.insights.min_person_responses for p in flags)
    assert all(p.low > p.group_value for p in flags)
    ws.close()


def test_support_flags_on_the_medium_demo(medium_demo):
    """The medium demo has about 80 comments per weak agent. Default settings, whole
    history: measured 5 of the 8 planted (agent, theme) pairs flagged and 1 of 634 other
    agents. The three missed: two improved after coaching (their history is diluted) and
    one whose tagged rate (7%) the fitted prior cannot tell from the usual 2%."""
    with medium_demo.open() as ws:
        flags = support_flags(ws)
        eligible = {p.id for p in fair_scores(ws, "theme:did not listen")
                    if p.status != "not enough data"}  # fmt: skip
    planted = _planted(medium_demo.truth)
    weak = {a for a, _ in planted}
    hits = {(p.id, p.metric[6:]) for p in flags} & planted
    assert len(hits) >= 5, hits
    not_helped = {(w["agent_id"], w["theme"]) for w in medium_demo.truth["weak_agents"]
                  if not w["helped"]}  # fmt: skip
    assert len(hits & not_helped) >= 3  # those still weak at the end are found
    assert len({p.id for p in flags} - weak) < 0.05 * len(eligible - weak)


def test_with_true_themes_every_weak_agent_with_enough_data_is_flagged(
    small_demo, copy_of_small_demo
):
    """The method is not the bottleneck: with the simulator's own theme labels in place
    of the tagger's, the weak agents with 30+ comments are flagged and almost no one else
    (measured: 4 of the 5 with enough comments; the fifth improved after coaching; 0 of
    34 others)."""
    ws = copy_of_small_demo.open()
    truth = pq.read_table(small_demo.path / "source" / "comment_truth.parquet").to_pylist()
    rows = [{"response_id": r["response_id"], "theme": t, "parent": None} for r in truth
            for t in r["themes"]]  # fmt: skip
    store = ws.analytics
    old = store.con.to_pyarrow(store.table("comment_themes").select("response_id"))
    store.delete_keys("comment_themes", "response_id", old.column(0).unique())
    schema = store.table("comment_themes").schema().to_pyarrow()
    table = pa.Table.from_pylist([{c: r.get(c) for c in schema.names} for r in rows], schema)
    store.insert("comment_themes", table)
    flags = support_flags(ws)
    planted = _planted(copy_of_small_demo.truth)
    weak = {a for a, _ in planted}
    enough = {p.id for p in fair_scores(ws, "theme:did not listen")
              if p.status != "not enough data"}  # fmt: skip
    hits = {(p.id, p.metric[6:]) for p in flags} & planted
    assert len(hits) >= len(weak & enough) - 1, (hits, weak & enough)
    assert len({p.id for p in flags} - weak) < 0.05 * len(enough - weak)
    ws.close()


def test_scores_by_team_and_theme_have_sentences(small_demo):
    ws = small_demo.open()
    teams = fair_scores(ws, "nps", "team")
    assert {p.status for p in teams} <= {"needs support", "stands out", "in line with the group",
                                          "not enough data"}  # fmt: skip
    assert all(p.low <= p.shrunk <= p.high and p.sentence for p in teams)
    csat = fair_scores(ws, "csat", "agent", team="T01")
    assert csat and {p.team_id for p in csat} == {"T01"}
    parent = fair_scores(ws, "theme:Staff manner", "team")  # a parent: any of its children
    child = {p.id: p for p in fair_scores(ws, "theme:rude or dismissive", "team")}
    assert all(p.n == child[p.id].n and p.raw >= child[p.id].raw for p in parent)
    with pytest.raises(UnknownMetric, match="unknown theme"):
        fair_scores(ws, "theme:no such theme")
    ws.close()


# -- linkage --------------------------------------------------------------------------------


def test_finds_the_team_whose_engagement_falls_before_its_nps(small_demo):
    truth = small_demo.truth["engagement_drop"]
    ws = small_demo.open()
    drops = engagement_drops(ws, 3)
    first = drops[0]
    assert (first.team_id, first.engagement_drop_month, first.nps_drop_month) == (
        truth["team_id"],
        truth["engagement_drop_month"],
        truth["nps_drop_month"],
    )
    assert first.lead_months == 1 and "not prove" in first.sentence
    ws.close()


def test_engagement_links_positively_across_teams(small_demo):
    ws = small_demo.open()
    links = engagement_linkage(ws, 3, measures=["enps", "engagement"])
    between = next(x for x in links if x.kind == "between-teams" and x.measure == "enps"
                   and x.outcome == "nps")  # fmt: skip
    observed = small_demo.truth["engagement_link"]["observed_team_correlation"]
    assert between.r == pytest.approx(observed, abs=0.15)
    assert between.low > 0 and between.teams == 20
    lags = {x.lag for x in links if x.kind == "within-team"}
    assert lags == {0, 1, 2, 3}
    assert all("not proof" in x.sentence for x in links if x.r is not None)
    ws.close()


def _outputs(ws):
    return json.dumps([x.to_dict() for x in engagement_linkage(ws, 1)]
                      + [d.to_dict() for d in engagement_drops(ws, 1)], sort_keys=True)  # fmt: skip


def test_small_pulse_groups_never_show_even_by_subtraction(copy_of_small_demo):
    """A team-month of 3 pulse answers (under the minimum of 5) leaves no trace: every
    output is the same whatever those 3 people answered, so no difference of two
    outputs (a team total minus an allowed part) can reveal them."""
    ws = copy_of_small_demo.open()

    def add(enps, item, tag):
        ingest_rows(ws, "pulses", [
            {"pulse_response_id": f"P{tag}{i}", "team_id": "T01", "period": "2027-01-01",
             "enps": enps} for i in range(3)], source=f"test{tag}")  # fmt: skip
        ws.analytics.insert("pulse_ratings", pa.table({
            "pulse_response_id": [f"P{tag}{i}" for i in range(3)],
            "item": ["workload"] * 3, "value": [float(item)] * 3}))  # fmt: skip

    ingest_rows(ws, "responses", [
        {"response_id": f"RQ{i}", "responded_at": "2027-01-15T10:00:00", "team_id": "T01",
         "channel": "phone", "nps": 9} for i in range(10)], source="cust")  # fmt: skip
    before = _outputs(ws)
    add(0, 1, "a")
    low = _outputs(ws)
    ws.analytics.delete_keys("pulses", "pulse_response_id", pa.array([f"Pa{i}" for i in range(3)]))
    ws.analytics.delete_keys("pulse_ratings", "pulse_response_id",
                             pa.array([f"Pa{i}" for i in range(3)]))  # fmt: skip
    add(10, 5, "b")
    high = _outputs(ws)
    assert before == low == high
    assert "2027-01" not in high
    ws.close()


def test_a_group_at_the_minimum_does_show(copy_of_small_demo):
    ws = copy_of_small_demo.open()
    from cxloop.insights.linkage import team_months

    minimum = ws.settings.privacy.min_pulse_group
    cells = team_months(ws)
    assert all(c.get("enps_n", minimum) >= minimum and c.get("engagement_n", minimum) >= minimum
               for c in cells.values())  # fmt: skip
    ingest_rows(ws, "pulses", [
        {"pulse_response_id": f"PZ{i}", "team_id": "T01", "period": "2027-02-01", "enps": 10}
        for i in range(minimum)], source="five")  # fmt: skip
    cells = team_months(ws)
    assert cells[("T01", dt.date(2027, 2, 1))]["enps"] == 1.0
    ws.close()


# -- CLI ------------------------------------------------------------------------------------


def test_cli_json(small_demo):
    from cxloop.cli import app

    runner = CliRunner()
    out = runner.invoke(app, ["scores", "-w", str(small_demo.path), "--metric", "nps",
                              "--level", "team", "--format", "json"])  # fmt: skip
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert {"id", "n", "raw", "shrunk", "low", "high", "status", "rank", "sentence"} <= set(rows[0])
    out = runner.invoke(app, ["scores", "-w", str(small_demo.path), "--flags", "-f", "json"])
    assert out.exit_code == 0, out.output
    assert all(r["status"] == "needs support" for r in json.loads(out.stdout))
    out = runner.invoke(app, ["linkage", "-w", str(small_demo.path), "--drops", "-f", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)[0]["team_id"] == small_demo.truth["engagement_drop"]["team_id"]
    out = runner.invoke(app, ["linkage", "-w", str(small_demo.path), "--lags", "1"])
    assert out.exit_code == 0 and "within-team" in out.stdout
    out = runner.invoke(app, ["scores", "-w", str(small_demo.path), "--metric", "theme:nope"])
    assert out.exit_code == 1 and "unknown theme" in out.output


# -- PostgreSQL ------------------------------------------------------------------------------


def _close(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 0.011  # equal up to the last rounded digit
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a if k != "sentence")
    return a == b


def _key(d: dict) -> str:
    return json.dumps({k: v for k, v in d.items() if isinstance(v, str) and k != "sentence"},
                      sort_keys=True)  # fmt: skip


@pytest.mark.postgres
def test_same_answers_on_postgresql(small_demo, small_demo_on_postgres):
    """Ibis only: the small demo copied to PostgreSQL gives the same scores and links."""
    calls = [
        lambda w: fair_scores(w, "nps", "agent"),
        lambda w: fair_scores(w, "theme:no call back", "agent"),
        lambda w: support_flags(w),
        lambda w: engagement_linkage(w, 1),
        lambda w: engagement_drops(w, 2),
    ]
    with small_demo_on_postgres.open() as ws, small_demo.open() as src:
        assert ws.analytics.dialect == "postgres"
        for call in calls:
            on_pg = [x.to_dict() for x in call(ws)]
            on_duckdb = [x.to_dict() for x in call(src)]
            assert len(on_pg) == len(on_duckdb)
            for a, b in zip(sorted(on_pg, key=_key), sorted(on_duckdb, key=_key), strict=True):
                assert _close(a, b), (a, b)


def test_checkin_mood_is_the_mean_sentiment_of_enough_notes(small_demo):
    """Each team-month's check-in mood is the mean sentiment score of its agents' notes,
    and a team-month with fewer than privacy.min_pulse_group notes has none."""
    from cxloop.insights.linkage import team_months
    from cxloop.text.cache import embed_cached
    from cxloop.text.encoder import workspace_encoder
    from cxloop.text.sentiment import default_model

    with small_demo.open() as ws:
        cells = team_months(ws)
        con = ws.analytics.con
        rows = con.to_pyarrow(con.sql(
            "SELECT e.team_id, CAST(date_trunc('month', c.held_on) AS DATE) AS month, c.notes "
            "FROM checkins c "
            "JOIN employees e USING (employee_id) WHERE e.role = 'agent' AND c.notes IS NOT NULL"
        )).to_pylist()  # fmt: skip
        minimum = ws.settings.privacy.min_pulse_group
        encoder = workspace_encoder(ws.settings.text)
        groups: dict = {}
        for r in rows:
            groups.setdefault((r["team_id"], r["month"]), []).append(r["notes"])
        checked = small = 0
        for key, notes in sorted(groups.items())[:40]:
            if key not in cells:
                continue
            if len(notes) < minimum:
                assert "checkin_mood" not in cells[key]
                small += 1
                continue
            # the notes' embeddings as the analysis stored them (the int8 encoder's output
            # shifts slightly with the batch a text comes in: docs/themes.md)
            vectors = embed_cached(ws.analytics, encoder, notes)
            expected = float(np.mean(default_model().score(vectors)))
            assert cells[key]["checkin_mood"] == pytest.approx(expected, abs=1e-6)
            checked += 1
        assert checked >= 10
        links = engagement_linkage(ws, 1, measures=["checkin_mood"])
    assert {link.measure for link in links} == {"checkin_mood"}
    assert all("check-in mood" in link.sentence for link in links)
