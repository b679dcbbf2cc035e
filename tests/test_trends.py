"""Trends (issue 4, "What changed" and "Channel consistency"): control charts whose limits
follow each period's n and whose run rules fire where they should; the tests, intervals and
Benjamini-Hochberg step, checked by hand; and the simulator's planted truths (the billing
incident, the engagement-drop team, the channel effects) recovered on the small demo, with
quiet windows staying quiet.
"""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest
from scipy import stats
from typer.testing import CliRunner

from cxloop.cli import app
from cxloop.errors import InputError, MissingData, UnknownMetric
from cxloop.insights import changes, channel_gaps, control_chart
from cxloop.insights.control import ControlPoint, PeriodCounts, chart_points
from cxloop.insights.run_rules import apply_rules
from cxloop.insights.trends_periods import period_floor, shift
from cxloop.insights.trends_stats import (
    benjamini_hochberg,
    nps_difference,
    share_difference,
    share_p_value,
    share_ratio,
    step_start,
)

D = dt.date


@pytest.fixture(scope="module")
def ws(small_demo):
    w = small_demo.open()
    yield w
    w.close()


# --------------------------------------------------------------------- hand-computed limits


def test_p_chart_limits_follow_each_periods_n():
    series = [PeriodCounts(D(2026, 1, 5), 100, hits=10), PeriodCounts(D(2026, 1, 12), 100, hits=20),
              PeriodCounts(D(2026, 1, 19), 200, hits=30)]  # fmt: skip
    points, z = chart_points(series, "share", None, 3.0, "history", 8)
    # p̄ = 60/400 = 0.15; sd = sqrt(0.15·0.85) = 0.357071; limits p̄ ± 3·sd/sqrt(n)
    assert [p.centre for p in points] == pytest.approx([15.0] * 3)
    assert points[0].lower == pytest.approx(15 - 3 * 35.7071 / 10, abs=1e-3)  # 4.2879
    assert points[0].upper == pytest.approx(25.7121, abs=1e-3)
    assert points[2].lower == pytest.approx(15 - 3 * 35.7071 / math.sqrt(200), abs=1e-3)  # 7.4253
    assert points[2].upper == pytest.approx(22.5747, abs=1e-3)
    assert [p.value for p in points] == pytest.approx([10, 20, 15])
    assert z[0] == pytest.approx((10 - 15) / 3.57071, abs=1e-4)


def test_nps_chart_uses_the_product_md_variance():
    series = [PeriodCounts(D(2026, 1, 1), 100, hits=50, other=20),
              PeriodCounts(D(2026, 2, 1), 100, hits=30, other=30)]  # fmt: skip
    points, _ = chart_points(series, "nps", None, 3.0, "history", 8)
    # p_P = 0.4, p_D = 0.25: centre 15; var = 0.65 − 0.15² = 0.6275; se(n=100) = 7.9215 points
    assert points[0].centre == pytest.approx(15.0)
    assert points[0].lower == pytest.approx(15 - 3 * 7.92149, abs=1e-3)
    assert points[0].upper == pytest.approx(38.7645, abs=1e-3)
    assert [p.value for p in points] == pytest.approx([30.0, 0.0])


def test_x_bar_chart_pools_the_within_period_variance():
    series = [PeriodCounts(D(2026, 1, 1), 10, mean=5.0, var=4.0),
              PeriodCounts(D(2026, 2, 1), 30, mean=7.0, var=1.0)]  # fmt: skip
    points, _ = chart_points(series, "mean", None, 3.0, "history", 8)
    # centre (10·5 + 30·7)/40 = 6.5; pooled var (9·4 + 29·1)/38 = 1.710526
    sd = math.sqrt(65 / 38)
    assert points[0].centre == pytest.approx(6.5)
    assert points[0].upper == pytest.approx(6.5 + 3 * sd / math.sqrt(10))
    assert points[1].lower == pytest.approx(6.5 - 3 * sd / math.sqrt(30))


def test_trailing_centre_comes_from_the_periods_before_and_skips_outliers():
    counts = [(10, 100), (20, 100), (90, 100), (15, 100)]
    series = [PeriodCounts(D(2026, 1, 1 + 7 * i), n, hits=h) for i, (h, n) in enumerate(counts)]
    points, z = chart_points(series, "share", None, 3.0, "trailing", 2)
    assert points[0].centre is None and points[1].centre is None and z[0] is None
    assert points[2].centre == pytest.approx(15.0)  # (10 + 20) / 200
    assert z[2] > 3  # 90% is far outside: it is left out of later baselines
    assert points[3].centre == pytest.approx(15.0)  # still periods 1-2, not 2-3


def _points(zs):
    return [ControlPoint(None, D(2026, 1, 1) + dt.timedelta(weeks=i), 100, 0, 0, -3, 3)
            for i in range(len(zs))]  # fmt: skip


def test_run_rules_fire_on_a_constructed_series():
    zs = [0.5, -0.2, 3.4, 0.1, 0.3, 0.2, 0.4, 0.9, 0.1, 0.6, 0.2, -2.9]
    pts = _points(zs)
    apply_rules(pts, zs, ["beyond_limits", "run"], k=3.0, run=8)
    signals = [p.signals for p in pts]
    assert signals[2] == ["above_limit"]  # 3.4 > 3: also starts the run of positives
    # points 2..9 are eight in a row above the centre: the run fires at 9 and 10
    assert signals[9] == ["run_above"] and signals[10] == ["run_above"]
    assert all(not s for s in signals[:2] + signals[3:9]) and signals[11] == []
    zs2 = [0.1, 2.5, 0.3, 2.2, -0.5, 1.5, 1.2, 1.1, 1.3, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2]
    pts2 = _points(zs2)
    apply_rules(pts2, zs2, ["two_of_three", "four_of_five", "trend"], k=3.0, run=8)
    assert "two_of_three" in pts2[3].signals and "two_of_three" not in pts2[1].signals
    assert "four_of_five" in pts2[8].signals and "four_of_five" not in pts2[6].signals
    # 0.2, 0.4, ..., 1.2: six rising in a row end at index 14
    assert "trend" in pts2[14].signals and "trend" not in pts2[13].signals


# ------------------------------------------------------------------ hand-computed statistics


def test_benjamini_hochberg_step_by_hand():
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.005])
    # sorted 0.005, 0.01, 0.03, 0.04 -> ·4/rank = 0.02, 0.02, 0.04, 0.04 (already monotone)
    assert list(q) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert [bool(v <= 0.03) for v in q] == [True, False, False, True]
    # step-up: 0.02·3/2 = 0.03 is lifted to min over later ranks
    assert list(benjamini_hochberg([0.001, 0.02, 0.021])) == pytest.approx([0.003, 0.021, 0.021])
    assert len(benjamini_hochberg([])) == 0


def test_share_ratio_katz_interval_by_hand():
    c = share_ratio(10, 100, 20, 400)
    se = math.sqrt(1 / 10 - 1 / 100 + 1 / 20 - 1 / 400)  # 0.370810
    assert c.effect == pytest.approx(2.0)
    assert c.low == pytest.approx(2 * math.exp(-1.96 * se))
    assert c.high == pytest.approx(2 * math.exp(1.96 * se))
    none_before = share_ratio(5, 100, 0, 400)  # Haldane: finite, and clearly a rise
    assert math.isfinite(none_before.effect) and none_before.low > 1


def test_share_tests_fisher_for_small_counts_z_otherwise():
    assert share_p_value(3, 20, 1, 200) == pytest.approx(stats.fisher_exact([[3, 17], [1, 199]])[1])
    pooled = 155 / 1000
    z = (0.2 - 0.125) / math.sqrt(pooled * (1 - pooled) * (1 / 400 + 1 / 600))
    assert share_p_value(80, 400, 75, 600) == pytest.approx(2 * stats.norm.sf(z))


def test_share_difference_agresti_caffo_by_hand():
    c = share_difference(30, 100, 20, 100)
    a1, a0 = 31 / 102, 21 / 102
    se = math.sqrt(a1 * (1 - a1) / 102 + a0 * (1 - a0) / 102)
    assert c.effect == pytest.approx(10.0)
    assert c.low == pytest.approx((a1 - a0 - 1.96 * se) * 100)
    assert c.high == pytest.approx((a1 - a0 + 1.96 * se) * 100)


def test_nps_difference_by_hand():
    c = nps_difference(50, 20, 100, 30, 30, 100)
    # NPS 30 vs 0; var 0.7 − 0.09 = 0.61 and 0.6; se = sqrt(0.0061 + 0.006) = 0.11 -> 11 points
    assert c.effect == pytest.approx(30.0)
    assert (c.low, c.high) == pytest.approx((30 - 1.96 * 11, 30 + 1.96 * 11))
    assert c.p_value == pytest.approx(2 * stats.norm.sf(30 / 11))


def test_step_start_finds_the_first_day_of_a_step():
    hits = [0, 1, 6, 5, 7, 6]
    n = [20] * 6
    assert step_start(hits, n, 0.05, rise=True) == 2
    assert step_start([3, 3, 3, 3], [20] * 4, 0.05, rise=True) == 0  # up all along
    assert step_start([0, 0, 0], [20] * 3, 0.05, rise=True) is None  # nothing above usual


def test_periods():
    assert period_floor(D(2026, 2, 12), "week") == D(2026, 2, 9)  # a Monday
    assert period_floor(D(2026, 5, 20), "quarter") == D(2026, 4, 1)
    assert shift(D(2026, 1, 1), "month", -8) == D(2025, 5, 1)
    assert shift(D(2026, 2, 9), "week", -8) == D(2025, 12, 15)


# ----------------------------------------------------------------- planted truths: control


def test_control_chart_flags_the_billing_incident_week(ws, small_demo):
    start = D.fromisoformat(small_demo.truth["incident"]["start"])
    chart = control_chart(ws, "theme:billing error", period="week")
    by_week = {p.period: p for p in chart.points}
    hit = by_week[period_floor(start, "week")]
    assert "above_limit" in hit.signals
    assert hit.value > 3 * hit.centre
    # beyond the limits: rare elsewhere (false alarms of 3-sigma limits, ~0.3% per point)
    others = [p for p in chart.points if "above_limit" in p.signals and p is not hit]
    assert len(others) <= 2
    assert chart.sentences and "billing error" in chart.sentences[0]


def test_control_chart_of_team_nps_shows_the_engagement_drop(ws, small_demo):
    drop = small_demo.truth["engagement_drop"]
    chart = control_chart(ws, "nps", period="month", by="team")
    month = D.fromisoformat(drop["nps_drop_month"] + "-01")
    point = next(p for p in chart.points if p.group == drop["team_id"] and p.period == month)
    assert "below_limit" in point.signals


def test_control_chart_metrics_filters_and_errors(ws):
    phone = control_chart(ws, "csat", period="month", where={"channel": ["phone"]})
    every = control_chart(ws, "csat", period="month")
    assert sum(p.n for p in phone.points) < sum(p.n for p in every.points)
    for metric in ("detractor_share", "asa", "abandonment"):
        chart = control_chart(ws, metric, period="month")
        assert chart.points and all(p.lower <= p.centre <= p.upper for p in chart.points)
    with pytest.raises(UnknownMetric):
        control_chart(ws, "happiness")
    with pytest.raises(UnknownMetric):
        control_chart(ws, "theme:no such theme")
    with pytest.raises(InputError):
        control_chart(ws, "nps", rules="nelson9")


# ----------------------------------------------------------------- planted truths: changes


def test_changes_find_the_billing_incident(ws, small_demo):
    incident = small_demo.truth["incident"]
    start = D.fromisoformat(incident["start"])
    report = changes(ws, period="week", last=1, until=start + dt.timedelta(days=6))
    assert report.window_start == start  # the incident began on a Monday
    found = {(c.kind, c.group): c for c in report.changes}
    theme = found[("theme share", incident["theme"])]
    assert theme.direction == "up" and theme.effect > 3 and theme.low > 1
    assert start <= theme.started <= start + dt.timedelta(days=2)
    assert "of comments" in theme.sentence and "started" in theme.sentence
    reason = found[("contact reason share", incident["reason"])]
    assert reason.started == start and reason.low > 5
    assert report.changes[0].kind in ("theme share", "contact reason share")
    assert all(c.q_value <= 0.05 for c in report.changes)


@pytest.mark.parametrize("until", ["2025-05-18", "2025-09-14", "2026-08-16"])
def test_a_quiet_week_reports_few_or_no_changes(ws, until):
    report = changes(ws, period="week", until=D.fromisoformat(until))
    assert report.tested >= 20  # measured 81, 29 and 85: each week was really examined
    assert len(report.changes) <= 2
    assert not any(c.group == "billing error" for c in report.changes)


def test_engagement_drop_team_nps_fall(ws, small_demo):
    drop = small_demo.truth["engagement_drop"]
    team = drop["team_id"]
    month = D.fromisoformat(drop["nps_drop_month"] + "-01")
    end = shift(month, "month", 2) - dt.timedelta(days=1)
    # the drop month and the next: the team's answers (about 40) are enough to judge
    report = changes(ws, period="month", last=2, until=end)
    fall = [c for c in report.changes if c.dimension == "team" and c.group == team]
    assert fall and fall[0].direction == "down" and fall[0].high < 0
    assert fall[0].sentence.startswith(f"Team {team} NPS")
    # the drop month alone: under metrics.min_group_responses answers, so never judged
    one = changes(ws, period="month", last=1, until=shift(month, "month", 1) - dt.timedelta(days=1))
    assert not any(c.dimension == "team" and c.group == team for c in one.candidates)
    assert one.not_tested > 0


def test_untagged_comments_leave_out_themes_only(copy_of_small_demo):
    w = copy_of_small_demo.open()
    try:
        w.analytics.con.raw_sql("DELETE FROM comment_themes")
        w.analytics.con.raw_sql("DELETE FROM comment_tags")
        report = changes(w, until=D(2026, 2, 15))
        assert report.tested > 20 and not any(c.kind == "theme share" for c in report.candidates)
        assert any(c.group == "billing error" for c in report.changes)  # the contact reason
        assert not any(g.theme for g in channel_gaps(w).all_gaps)
        with pytest.raises(MissingData):
            control_chart(w, "theme:billing error")
    finally:
        w.close()


def test_changes_reject_bad_options(ws):
    with pytest.raises(InputError):
        changes(ws, period="fortnight")
    with pytest.raises(InputError):
        changes(ws, last=0)


# ---------------------------------------------------------------- planted truths: channels


def test_channel_gaps_recover_the_planted_channel_effects(ws, small_demo):
    planted = small_demo.truth["latent_model"]["channel"]
    report = channel_gaps(ws)
    nps = {s.channel: s.nps for s in report.channels}
    assert max(nps, key=nps.get) == max(planted, key=planted.get) == "branch"
    assert min(nps, key=nps.get) == min(planted, key=planted.get) == "social"
    assert nps["email"] < nps["phone"]
    gaps = {(g.channel, g.measure): g for g in report.gaps}
    assert gaps[("branch", "NPS")].effect > 0 and gaps[("social", "NPS")].effect < 0
    assert all(g.significant for g in report.gaps)
    assert report.tested == len(report.all_gaps) > len(report.gaps)
    assert "Branch: NPS" in gaps[("branch", "NPS")].sentence


# ---------------------------------------------------------------------------------- the CLI


def _run(*args):
    return CliRunner().invoke(app, [*args], catch_exceptions=False)


def test_cli_changes_json(small_demo):
    start = small_demo.truth["incident"]["start"]
    until = (D.fromisoformat(start) + dt.timedelta(days=6)).isoformat()
    out = _run("changes", "--until", until, "--format", "json", "-w", str(small_demo.path))
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert any(r["group"] == "billing error" and r["direction"] == "up" for r in rows)
    assert {"sentence", "effect", "low", "high", "window_n", "q_value"} <= set(rows[0])
    table = _run("changes", "--until", until, "-w", str(small_demo.path))
    assert table.exit_code == 0 and "Billing error" in table.output


def test_cli_control_chart_and_channels(small_demo):
    w = str(small_demo.path)
    out = _run("control-chart", "nps", "--period", "month", "--by", "channel",
               "--where", "segment=mass", "--format", "json", "-w", w)  # fmt: skip
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert {r["group"] for r in rows} >= {"phone", "branch"}
    assert {"period", "n", "value", "centre", "lower", "upper", "signals"} <= set(rows[0])
    table = _run("control-chart", "theme:billing error", "--signals", "-w", w)
    assert table.exit_code == 0 and "above the upper limit" in table.output
    bad = _run("control-chart", "happiness", "-w", w)
    assert bad.exit_code == 1 and "happiness" in bad.output
    chans = _run("channels", "--format", "json", "-w", w)
    data = json.loads(chans.output)
    assert {c["channel"] for c in data["channels"]} == {
        "phone",
        "chat",
        "email",
        "branch",
        "social",
    }
    assert data["gaps"] and all(g["significant"] for g in data["gaps"])
