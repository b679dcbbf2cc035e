"""Coaching plans (cxloop.coach.recommend, plan_team, `cxloop coach plan|team`): focus
areas grounded in the agent's own feedback, never a guess on too little of it; evidence
that is the agent's own, redacted and escaped; visibility; and the planted truths of the
demo (the weak agents' theme comes first, unplanted agents are rarely flagged)."""

from __future__ import annotations

import datetime as dt
import statistics

import duckdb
import numpy as np
import pytest
from typer.testing import CliRunner

from cxloop.cli import app
from cxloop.coach import coaching_plan, coaching_plans, team_plan
from cxloop.coach.plan_evidence import Counts
from cxloop.coach.plan_kpis import _slope
from cxloop.coach.plan_model import WATCH, fit_means, fit_shares
from cxloop.coach.plan_types import NOT_ENOUGH, PLAN
from cxloop.errors import MissingData, NotPermitted
from cxloop.insights.threshold import Bin

runner = CliRunner()
COACHING_DAY = dt.date(2025, 11, 3)


# -- the model on hand-made numbers --------------------------------------------------------


def test_one_clear_outlier_is_flagged_and_the_rest_are_not():
    ids = [f"A{i:02d}" for i in range(40)]
    n = np.full(40, 100.0)
    k = np.full(40, 2.0)
    k[0] = 20  # 20% against about 2.4%
    fit = fit_shares(Counts(ids, ["T1"] * 40, n, k), 0.9)
    p, sig, score = fit.worse(0, True)
    assert sig and p > 0.99 and score > 1
    assert fit.group[0] == pytest.approx(98 / 4000)
    for i in range(1, 40):
        p, sig, _ = fit.worse(i, True)
        assert not sig and p < WATCH


def test_kpi_means_are_compared_with_the_team():
    # team T1 averages 0.3 transfers per contact, T2 0.6; B02 sits at T2's level, so
    # within T2 nothing is wrong, while A01 at 0.6 in T1 is clearly worse than T1
    ids = ["A01", "A02", "A03", "A04", "B01", "B02", "B03", "B04"]
    teams = ["T1"] * 4 + ["T2"] * 4
    n = np.full(8, 800.0)
    mean = np.array([0.6, 0.3, 0.3, 0.3, 0.6, 0.6, 0.6, 0.6])
    sd = np.full(8, 0.5)
    fit = fit_means(ids, teams, n, mean, sd, 0.9)
    assert fit.group[0] == pytest.approx(0.375)
    assert fit.group[5] == pytest.approx(0.6)
    p, sig, _ = fit.worse(0, True)
    assert sig and p > 0.99
    assert not fit.worse(5, True)[1]


def test_nps_slope_of_a_yes_no_kpi_is_the_difference_between_its_bands():
    curve = [Bin(0, 0, 100, -10.0, 5.0), Bin(0, 1, 300, 30.0, 3.0)]
    assert _slope(curve, "binary") == pytest.approx(40.0)
    counts = [Bin(0, 0, 100, 20.0, 5.0), Bin(0, 1, 100, 0.0, 5.0), Bin(1, 2, 100, -20.0, 5.0)]
    assert _slope(counts, "count") == pytest.approx(-20.0)


# -- the small demo -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_plans(small_demo):
    with small_demo.open() as ws:
        yield coaching_plans(ws), ws.settings.insights.min_person_responses


def test_too_little_feedback_gives_no_focus_and_no_guess(small_plans):
    plans, minimum = small_plans
    thin = [p for p in plans if p.status == NOT_ENOUGH]
    assert thin, "the small demo has agents under the minimum"
    for p in plans:
        assert (p.status == NOT_ENOUGH) == (p.n_comments < minimum)
    for p in thin:
        assert p.focus_areas == [] and p.strength is None
        assert "not enough feedback yet" in p.sentence


def test_focus_areas_are_ranked_and_carry_their_numbers(small_plans):
    plans, _ = small_plans
    with_focus = [p for p in plans if p.focus_areas]
    assert with_focus
    for p in with_focus:
        assert len(p.focus_areas) <= 3
        keys = [-a.score for a in p.focus_areas]
        assert keys == sorted(keys)
        for a in p.focus_areas:
            assert a.n > 0 and a.low <= a.shrunk <= a.high and a.sentence
            assert a.significant or a.prob_worse >= WATCH
            assert a.significant == (a.status == "focus")


def test_evidence_is_the_agents_own_comments_carrying_the_theme(small_demo, small_plans):
    plans, _ = small_plans
    pairs = [(p.agent_id, a.name, e.response_id) for p in plans for a in p.focus_areas
             if a.kind == "theme" for e in a.evidence]  # fmt: skip
    assert pairs
    with small_demo.open() as ws:
        r = ws.analytics.table("responses")
        ct = ws.analytics.table("comment_themes")
        got = ws.analytics.con.to_pyarrow(r.select("response_id", "agent_id")).to_pydict()
        agent_of = dict(zip(got["response_id"], got["agent_id"], strict=True))
        rows = ws.analytics.con.to_pyarrow(ct.select("response_id", "theme", "parent")).to_pylist()
    carried = {(x["response_id"], x["theme"]) for x in rows} | {
        (x["response_id"], x["parent"]) for x in rows}  # fmt: skip
    for agent, theme, rid in pairs:
        assert agent_of[rid] == agent
        assert (rid, theme) in carried
    for p in plans:  # KPI evidence: comments of the agent's own customers too
        for a in p.focus_areas:
            assert all(agent_of[e.response_id] == p.agent_id for e in a.evidence)
        if p.strength:
            assert all(agent_of[e.response_id] == p.agent_id for e in p.strength.evidence)
    for p in plans:
        for a in p.focus_areas:
            if a.kind == "theme":
                assert 1 <= len(a.evidence) <= 3
                dates = [e.date for e in a.evidence]
                assert all(d <= p.as_of for d in dates)


def test_a_strength_is_kept_for_every_plan_with_praise(small_plans):
    plans, _ = small_plans
    kept = [p.strength for p in plans if p.status == PLAN and p.strength]
    assert kept
    for s in kept:
        assert s.hits > 0 and s.sentence.startswith("Keep:")
        assert not s.stands_out or s.low > s.group_value


def test_team_plan_suggests_workshops_only_for_shared_clear_focus(small_demo, small_plans):
    plans, _ = small_plans
    team = next(p.team_id for p in plans if p.focus_areas)
    with small_demo.open() as ws:
        t = team_plan(ws, team)
        need = ws.settings.coaching.workshop_min_agents
    assert t.n_agents == len([p for p in plans if p.team_id == team])
    for f in t.focus_areas:
        assert f.workshop == (len(f.agents) >= need)
        assert f.sentence
    assert t.workshops == [f.label for f in t.focus_areas if f.workshop]
    assert t.sentence.startswith(f"Team {team}:")


def test_unknown_agent_and_team_are_one_line_errors(small_demo):
    with small_demo.open() as ws:
        with pytest.raises(MissingData):
            coaching_plan(ws, "E99999")
    got = runner.invoke(app, ["coach", "team", "T99", "-w", str(small_demo.path)])
    assert got.exit_code == 1
    assert "no agents in team 'T99'" in got.output and "Traceback" not in got.output


def test_visibility_an_agent_cannot_read_another_agents_plan(small_demo, small_plans):
    from cxloop.act.cases_sync import load_org

    plans, _ = small_plans
    with small_demo.open() as ws:
        org = load_org(ws)
        agent = next(p.agent_id for p in plans if p.status == PLAN
                     and org.leader_of_team.get(org.team.get(p.agent_id)))  # fmt: skip
        peer = next(e for e, t in org.team.items() if org.role[e] == "agent" and e != agent)
        leader = org.leader_of_team[org.team[agent]]
        assert coaching_plan(ws, agent, actor=agent).agent_id == agent
        assert coaching_plan(ws, agent, actor=leader).agent_id == agent
        with pytest.raises(NotPermitted):
            coaching_plan(ws, agent, actor=peer)
        other_leader = next(t for team, t in org.leader_of_team.items()
                            if team != org.team[agent])  # fmt: skip
        with pytest.raises(NotPermitted):
            team_plan(ws, org.team[agent], actor=other_leader)
    got = runner.invoke(app, ["coach", "plan", agent, "--actor", peer, "-w", str(small_demo.path)])
    assert got.exit_code == 1 and got.output.count("\n") == 1 and "may not see" in got.output


def test_hostile_comment_text_is_redacted_and_escaped_in_the_cli(copy_of_small_demo):
    with copy_of_small_demo.open() as ws:
        plans = coaching_plans(ws)
    plan = next(p for p in plans if any(a.kind == "theme" for a in p.focus_areas))
    area = next(a for a in plan.focus_areas if a.kind == "theme")
    hostile = (
        "[bold red]Sack them[/] <script>alert(1)</script> mail me at eve@example.com "
        '=HYPERLINK("http://x") the agent did not listen at all for 20 minutes'
    )
    con = duckdb.connect(str(copy_of_small_demo.path / "analytics.duckdb"))
    for e in area.evidence:
        con.execute(
            "UPDATE responses SET comment = ? WHERE response_id = ?", [hostile, e.response_id]
        )
    con.close()
    got = runner.invoke(app, ["coach", "plan", plan.agent_id, "-w", str(copy_of_small_demo.path)])
    assert got.exit_code == 0, got.output
    text = " ".join(got.output.split())
    assert "[bold red]Sack them[/]" in text  # shown literally, not as markup
    assert "<script>alert(1)</script>" in text
    assert "eve@example.com" not in text and "[EMAIL]" in text


def test_cli_plan_json_and_table(small_demo, small_plans):
    import json

    plans, _ = small_plans
    p = next(p for p in plans if p.focus_areas)
    got = runner.invoke(
        app, ["coach", "plan", p.agent_id, "-w", str(small_demo.path), "-f", "json"]
    )
    assert got.exit_code == 0, got.output
    data = json.loads(got.output)
    assert (
        data["agent_id"] == p.agent_id and data["focus_areas"][0]["name"] == p.focus_areas[0].name
    )
    got = runner.invoke(app, ["coach", "team", p.team_id, "-w", str(small_demo.path)])
    assert got.exit_code == 0 and "each agent's top focus" in got.output


# -- the planted truths of the medium demo -------------------------------------------------


@pytest.mark.parametrize("as_of", [COACHING_DAY, None], ids=["coaching-day", "latest"])
def test_planted_weak_agents_get_their_theme_first_and_others_are_rarely_flagged(
    medium_demo, as_of
):
    weak = {w["agent_id"]: w["theme"] for w in medium_demo.truth["weak_agents"]}
    with medium_demo.open() as ws:
        plans = {p.agent_id: p for p in coaching_plans(ws, as_of=as_of)}
    first = [a for a, theme in weak.items()
             if plans[a].top_focus and plans[a].top_focus.name == theme]  # fmt: skip
    listed = [a for a, theme in weak.items() if theme in [f.name for f in plans[a].focus_areas]]
    # measured on two builds of the demo (tagging differs a little between builds): 7 or 8
    # of 8 on both days; the misses are thin data, e.g. E00213's "wrong information"
    # diluted over the whole history after coaching removed it
    assert len(first) >= 6, first  # 7 or 8 measured; one spare for tagging noise
    assert len(listed) >= 7, listed
    others = [p for a, p in plans.items() if a not in weak and p.status == PLAN]
    flagged = [p for p in others if any(f.significant and f.kind == "theme" for f in p.focus_areas)]
    # measured: 0 of 291 on the coaching day, 6 of 420 (1.4%) at the latest data
    assert len(flagged) / len(others) <= 0.02, [p.agent_id for p in flagged]


def test_fcr_focus_goes_to_agents_whose_planted_skill_is_below_their_team(medium_demo):
    # the simulator plants each agent's skill (it raises the odds of resolving a contact):
    # an FCR focus must point at a real weakness, not at noise around the team's rate
    skill = medium_demo.truth["agent_skill"]["agents"]
    with medium_demo.open() as ws:
        plans = coaching_plans(ws)
    team_skills: dict[str, list[float]] = {}
    for p in plans:
        team_skills.setdefault(p.team_id, []).append(skill[p.agent_id])
    fcr = [
        p
        for p in plans
        if any(f.kind == "kpi" and f.name == "fcr" and f.significant for f in p.focus_areas)
    ]
    below = [p for p in fcr if skill[p.agent_id] < statistics.median(team_skills[p.team_id])]
    # measured: 124 agents with a clear FCR focus, all 124 below their team's median skill
    assert len(fcr) >= 50
    assert len(below) / len(fcr) >= 0.95, len(below)


def test_planted_praise_agents_keep_praise_by_name(medium_demo):
    with medium_demo.open() as ws:
        plans = {p.agent_id: p for p in coaching_plans(ws)}
    for planted in medium_demo.truth["praise_agents"]:
        s = plans[planted["agent_id"]].strength
        assert s is not None and s.name == "praise by name" and s.stands_out
