"""Did the coaching work? Difference in differences by hand, on a tiny workspace and on the
medium demo's planted programme; and the team leader's own view, with its visibility."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from typer.testing import CliRunner

from cxloop import Workspace
from cxloop.cli import app
from cxloop.coach import coaching_effect, coaching_effect_summary, leader_view, log_session
from cxloop.coach import effect_stats as st
from cxloop.errors import NotPermitted
from cxloop.ingest import ingest_rows

# -- the statistics by hand -----------------------------------------------------------------


def _share(n, k):
    return st.Counts("share", np.array([n]), np.array([k]))


def _peers(*pairs):
    """(hits, n) per peer -> the (numerator, n) columns of one area."""
    return (np.array([[k * 100.0] for k, _ in pairs]), np.array([[float(n)] for _, n in pairs]))


def test_did_by_hand_agent_9_to_4_peers_8_to_7_is_minus_4():
    r = st.difference_in_differences(
        _share(100, 9), _share(100, 4), _peers((4, 50), (4, 50)), _peers((3, 50), (4, 50))
    )
    assert (r.agent_before[0], r.agent_after[0]) == (9.0, 4.0)
    assert (r.peers_before[0], r.peers_after[0]) == (8.0, 7.0)
    assert r.did[0] == pytest.approx(-4.0, abs=1e-12)
    low, high = r.interval()
    assert low[0] < -4 < high[0]
    assert r.draws.shape == (1, st.RESAMPLES)


def test_a_zero_of_n_window_never_gives_a_zero_width_interval():
    r = st.difference_in_differences(
        _share(30, 0), _share(30, 0), _peers((0, 30), (0, 30)), _peers((0, 30), (0, 30))
    )
    low, high = r.interval()
    assert r.did[0] == 0 and low[0] < 0 < high[0]


def test_nps_and_mean_did_by_hand():
    # NPS: agent 5 promoters, 2 detractors of 10 (30) -> 8 and 1 of 10 (70): +40;
    # peers 10 and 6 of 20 (20) -> 10 and 6 of 20 (20): 0. DiD = +40.
    before = st.Counts("nps", np.array([10]), np.array([5]), np.array([2]))
    after = st.Counts("nps", np.array([10]), np.array([8]), np.array([1]))
    peer = (np.array([[(10 - 6) * 100.0]]), np.array([[20.0]]))
    r = st.difference_in_differences(before, after, peer, peer)
    assert r.did[0] == pytest.approx(40.0)

    # Mean (handle time): agent 300 s -> 250 s over 20 contacts; peers 280 -> 280. DiD -50 s.
    def mean(n, m):  # n contacts of mean m seconds and standard deviation 20 s
        return st.Counts("mean", np.array([n]), np.array([n * m]), np.array([n * (m * m + 400)]))

    peer = (np.array([[280.0 * 40]]), np.array([[40.0]]))
    r = st.difference_in_differences(mean(20, 300), mean(20, 250), peer, peer)
    assert r.did[0] == pytest.approx(-50.0)
    low, high = r.interval()
    assert low[0] < -50 < high[0] and high[0] < 0  # sd 20 s: a 50 s fall is clear


def test_seeded_and_each_area_independent_of_its_neighbours():
    two = st.Counts("share", np.array([40, 40]), np.array([10, 3]))
    after = st.Counts("share", np.array([40, 40]), np.array([2, 3]))
    peers = (np.full((3, 2), 200.0), np.full((3, 2), 50.0))
    a = st.difference_in_differences(two, after, peers, peers, keys=[11, 22])
    b = st.difference_in_differences(two, after, peers, peers, keys=[11, 22])
    assert np.array_equal(a.draws, b.draws, equal_nan=True)
    alone = st.difference_in_differences(_share(40, 10), _share(40, 2),
                                         (peers[0][:, :1], peers[1][:, :1]), (peers[0][:, :1],
                                         peers[1][:, :1]), keys=[11])  # fmt: skip
    assert np.array_equal(alone.interval()[0], a.interval()[0][:1])


def test_verdict_follows_the_good_direction():
    assert st.verdict(-9.0, -1.0, "lower") == "improved"
    assert st.verdict(-9.0, -1.0, "higher") == "worse"
    assert st.verdict(1.0, 9.0, "higher") == "improved"
    assert st.verdict(-1.0, 9.0, "higher") == "no clear change"
    assert st.verdict(float("nan"), 1.0, "lower") == "no clear change"


def test_pooled_effect_is_the_mean_with_an_interval_over_areas_and_within():
    did = np.array([10.0, 20.0, 30.0])
    draws = did[:, None] + np.random.default_rng(1).normal(0, 5, size=(3, 2000))
    mean, low, high = st.pooled_effect(did, draws)
    assert mean == 20.0 and low < 20 < high and high - low < 40


# -- a tiny workspace: CSAT and NPS need no tagging ------------------------------------------

SESSION = dt.date(2026, 3, 1)
EMPLOYEES = [
    {"employee_id": "H1", "name": "Hana Head", "role": "head"},
    {"employee_id": "M1", "name": "Mo Manager", "role": "manager", "manager_id": "H1"},
    {"employee_id": "L1", "name": "Lee Leader", "role": "team_leader", "team_id": "T1",
     "manager_id": "M1"},
    {"employee_id": "L2", "name": "Lou Leader", "role": "team_leader", "team_id": "T2",
     "manager_id": "M1"},
    {"employee_id": "A1", "name": "[bold]Ann[/bold] Agent", "role": "agent", "team_id": "T1",
     "manager_id": "L1"},
    {"employee_id": "A2", "name": "Bo Agent", "role": "agent", "team_id": "T1", "manager_id": "L1"},
    {"employee_id": "A3", "name": "Cy Agent", "role": "agent", "team_id": "T1", "manager_id": "L1"},
    {"employee_id": "A4", "name": "Di Agent", "role": "agent", "team_id": "T2", "manager_id": "L2"},
    {"employee_id": "A5", "name": "Ed Agent", "role": "agent", "team_id": "T1", "manager_id": "L1"},
]  # fmt: skip
# per agent: (answers, top-two-box answers) in February (before) and March (after)
COUNTS = {"A1": ((20, 10), (20, 18)), "A2": ((20, 12), (20, 14)), "A3": ((20, 12), (20, 14)),
          "A4": ((20, 12), (20, 14)), "A5": ((5, 5), (5, 5))}  # fmt: skip


def _responses():
    rows, i = [], 0
    for agent, windows in COUNTS.items():
        team = "T2" if agent == "A4" else "T1"
        for day, (n, top) in zip(
            (dt.date(2026, 2, 10), dt.date(2026, 3, 10)), windows, strict=True
        ):
            for j in range(n):
                i += 1
                good = j < top  # a happy customer: CSAT 5 and NPS 10; else CSAT 2 and NPS 3
                rows.append({"response_id": f"R{i}", "responded_at": f"{day}T10:00:00",
                             "agent_id": agent, "team_id": team, "channel": "phone",
                             "csat": 5 if good else 2, "nps": 10 if good else 3})  # fmt: skip
    return rows


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("coach-effect") / "ws"
    ws = Workspace.init(path)
    ingest_rows(ws, "employees", EMPLOYEES, source="test")
    ingest_rows(ws, "responses", _responses(), source="test")
    pulses = [{"pulse_response_id": f"P{m}{i}", "respondent": f"x{i}", "team_id": "T1",
               "period": f"2026-0{m}-01", "enps": 9} for m, k in ((2, 4), (3, 5))
              for i in range(k)]  # fmt: skip
    ingest_rows(ws, "pulses", pulses, source="test")
    first = log_session(ws, actor="L1", agents=["A1", "A5"], held_on=SESSION,
                        focus_areas=["csat", "nps"], programme="Ask, then answer")  # fmt: skip
    log_session(ws, actor="L1", agents=["A1"], held_on=dt.date(2026, 3, 20),
                focus_areas="csat", follow_up_of=first.id, programme="Ask, then answer")  # fmt: skip
    ws.close()
    return path


def test_csat_and_nps_did_by_hand_on_a_workspace(tiny):
    with Workspace.open(tiny) as ws:
        areas = coaching_effect(ws, agent="A1", before_days=28, after_days=30)
    by = {a.focus: a for a in areas}
    assert set(by) == {"csat", "nps"}  # the follow-up is part of the same coaching
    csat = by["csat"]
    # A1 50% -> 90%; peers A2, A3, A4 (A5 was coached too): 36/60 = 60% -> 42/60 = 70%
    assert (csat.before, csat.after, csat.peers_before, csat.peers_after) == (50, 90, 60, 70)
    assert csat.did == pytest.approx(30.0) and csat.n_peers == 3
    assert (csat.n_before, csat.n_after, csat.sessions, csat.followed_up) == (20, 20, 2, True)
    assert csat.low < 30 < csat.high and csat.low > 0
    assert csat.verdict == "likely a real improvement"
    assert csat.sentence.startswith("Since the 1 Mar 2026 session, [bold]Ann[/bold]'s CSAT rose "
                                    "from 50% to 90%; uncoached peers: 60% to 70%")  # fmt: skip
    nps = by["nps"]  # A1: 0 -> +80; peers 20 -> 40: DiD +60
    assert (nps.before, nps.after, nps.peers_before, nps.peers_after) == (0, 80, 20, 40)
    assert nps.did == pytest.approx(60.0) and not nps.followed_up  # only csat was followed up


def test_too_few_answers_gives_no_verdict(tiny):
    with Workspace.open(tiny) as ws:
        areas = coaching_effect(ws, agent="A5", focus="csat", before_days=28, after_days=30)
    (a5,) = areas
    assert (a5.n_before, a5.n_after, a5.verdict, a5.did) == (5, 5, None, None)
    assert a5.status == "not enough feedback yet to judge"
    assert "not enough feedback yet to judge" in a5.sentence


def test_windows_cut_at_the_data_are_said(tiny):
    with Workspace.open(tiny) as ws:
        (a,) = coaching_effect(ws, agent="A1", focus="csat", before_days=90, after_days=90)
    assert a.cut_at_data_start and a.cut_at_data_end
    assert "cut at the data's end" in a.sentence and "starts with the data" in a.sentence


def test_summary_by_follow_up(tiny):
    with Workspace.open(tiny) as ws:
        groups = coaching_effect_summary(ws, by="followed_up", before_days=28, after_days=30)
    by = {g.group: g for g in groups}
    assert by["followed up"].n_areas == 1 and by["followed up"].gain == pytest.approx(30.0)
    assert by["not followed up"].n_areas == 3 and by["not followed up"].n_judged == 1


def test_an_agent_cannot_see_another_agents_effect_nor_a_leaders_view(tiny):
    with Workspace.open(tiny) as ws:
        with pytest.raises(NotPermitted):
            coaching_effect(ws, agent="A1", actor="A2")
        assert {a.agent_id for a in coaching_effect(ws, actor="A2", before_days=28)} == set()
        assert {a.agent_id for a in coaching_effect(ws, actor="A1", before_days=28)} == {"A1"}
        with pytest.raises(NotPermitted):
            leader_view(ws, "L1", actor="A2")
        with pytest.raises(NotPermitted):
            leader_view(ws, "L1", actor="L2")
        assert leader_view(ws, "L1", actor="M1", until=dt.date(2026, 3, 31)).teams == ["T1"]


def test_leader_view_by_hand(tiny):
    with Workspace.open(tiny) as ws:
        view = leader_view(ws, "L1", actor="L1", months=2, until=dt.date(2026, 3, 31))
    feb, mar = view.months
    assert (feb.month, mar.month, feb.agents, mar.agents) == ("2026-02", "2026-03", 4, 4)
    assert (feb.sessions, mar.sessions, mar.sessions_per_agent) == (0, 3, 0.75)
    assert (mar.follow_ups_due, mar.follow_ups_on_time, mar.follow_up_rate) == (1, 1, 100.0)
    # February, team T1: 65 answers, 39 promoters, 26 detractors (A1 10/10, A2 and A3 12/8, A5 5/0)
    pp, pd = 39 / 65, 26 / 65
    assert feb.nps == pytest.approx(round((pp - pd) * 100, 1)) and feb.nps_n == 65
    assert feb.nps_margin == pytest.approx(
        round(1.96 * ((pp + pd - (pp - pd) ** 2) / 65) ** 0.5 * 100, 1)
    )
    assert feb.csat == pytest.approx(round(39 / 65 * 100, 1)) and feb.csat_n == 65
    # the February pulse had 4 respondents (under privacy.min_pulse_group = 5): never shown
    assert (feb.enps, feb.enps_n) == (None, None) and (mar.enps, mar.enps_n) == (100.0, 5)


def test_cli_effect_and_leader(tiny):
    runner = CliRunner()
    out = runner.invoke(app, ["coach", "effect", "-w", str(tiny), "--agent", "A1",
                              "--before-days", "28", "--after-days", "30"])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "[bold]Ann[/bold]'s CSAT rose" in out.output.replace("\n", " ")  # escaped, shown as is
    out = runner.invoke(app, ["coach", "effect", "-w", str(tiny), "--by", "weather"])
    assert out.exit_code == 1 and "--by 'weather'" in out.output
    out = runner.invoke(app, ["coach", "effect", "-w", str(tiny), "--agent", "A1", "--actor", "A2"])
    assert out.exit_code == 1 and "may not see" in out.output and "Traceback" not in out.output
    out = runner.invoke(app, ["coach", "leader", "L1", "-w", str(tiny), "--until", "2026-03-31",
                              "--months", "2", "-f", "json"])  # fmt: skip
    assert out.exit_code == 0 and '"sessions_per_agent": 0.75' in out.output


# -- the medium demo's planted programme ---------------------------------------------------


@pytest.mark.slow
def test_the_planted_programme_on_the_medium_demo(medium_demo):
    truth = medium_demo.truth["coaching"]
    with medium_demo.open() as ws:
        areas = coaching_effect(ws)
        groups = coaching_effect_summary(ws, by="followed_up", programme=truth["programme"])
    programme = {a.agent_id: a for a in areas if a.programme == truth["programme"]}
    assert set(programme) == set(truth["coached"])
    helped = [programme[a] for a in truth["helped"]]
    assert all(a.followed_up and a.did is not None and a.did < -10 for a in helped)
    assert sum(a.verdict == "likely a real improvement" for a in helped) >= 2
    for agent in truth["not_helped"] + truth["at_baseline"]:
        assert programme[agent].verdict != "likely a real improvement", programme[agent].sentence
    by = {g.group: g for g in groups}
    assert by["followed up"].low > 0  # the followed-up (helped) agents improved, pooled
    assert by["not followed up"].low < 0 < by["not followed up"].high
    routine = [a for a in areas if a.programme is None and a.judged]
    false_positive = sum(a.verdict == "likely a real improvement" for a in routine) / len(routine)
    assert len(routine) > 200 and false_positive < 0.05  # measured: 5 of 343 (1.5%)
