"""Root cause (`cxloop why`): lift, its Koopman interval, the chi-square test and
Benjamini-Hochberg checked by hand; the drill-down on a constructed case; the planted
incident and the planted detractor drivers recovered on the small demo; the CLI in JSON
and as a text tree; unknown targets answered with close names."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import numpy as np
import pytest
from scipy.stats import chi2_contingency
from typer.testing import CliRunner

from cxloop.cli import app
from cxloop.errors import UnknownDimension, UnknownTarget
from cxloop.insights import why
from cxloop.insights.root_cause import drill_down
from cxloop.insights.why_frame import Frame
from cxloop.insights.why_stats import (
    benjamini_hochberg,
    chi_square_p,
    lift,
    lift_interval,
    risk_ratio_interval,
)
from cxloop.settings import Settings

runner = CliRunner()


# ----------------------------------------------------------------------- statistics by hand


def test_lift_is_the_rate_with_the_condition_over_the_group_rate():
    # 30 of 100 with the condition; 45 of 220 in the group: 0.30 / 0.2045... = 1.4667
    assert lift(30, 100, 45, 220) == pytest.approx(0.30 / (45 / 220))
    assert lift(30, 100, 45, 220) == pytest.approx(1.466667, abs=1e-6)


def test_koopman_interval_matches_the_published_example():
    """Koopman (1984), Biometrics 40:513: 36/40 vs 16/80, RR 4.5, 95% CI 2.94-7.15."""
    low, high = risk_ratio_interval(36, 40, 16, 80)
    assert float(low) == pytest.approx(2.9395, abs=1e-3)
    assert float(high) == pytest.approx(7.1523, abs=1e-3)


def test_koopman_bounds_are_where_the_score_test_just_rejects():
    """At each bound the score statistic, with the constrained maximum-likelihood
    proportions found numerically (not by the closed form), equals 1.96."""
    from scipy.optimize import minimize_scalar

    x1, n1, x2, n2 = 30, 100, 15, 120
    for bound, sign in zip(risk_ratio_interval(x1, n1, x2, n2), (1, -1), strict=True):
        th = float(bound)

        def nll(p2: float, th: float = th) -> float:
            p1 = th * p2
            return -(x1 * np.log(p1) + (n1 - x1) * np.log(1 - p1)
                     + x2 * np.log(p2) + (n2 - x2) * np.log(1 - p2))  # fmt: skip

        p2 = minimize_scalar(nll, bounds=(1e-9, min(1, 1 / th) - 1e-9), method="bounded",
                             options={"xatol": 1e-12}).x  # fmt: skip
        p1 = th * p2
        z = (x1 / n1 - th * x2 / n2) / np.sqrt(p1 * (1 - p1) / n1 + th**2 * p2 * (1 - p2) / n2)
        assert z == pytest.approx(sign * 1.96, abs=1e-4)


def test_lift_interval_maps_the_risk_ratio_interval():
    # condition 30/100, rest 15/120 (group 45/220): lift = RR / (w RR + 1 - w), w = 100/220
    rr_low, rr_high = (float(v) for v in risk_ratio_interval(30, 100, 15, 120))
    w = 100 / 220
    low, high = (float(v) for v in lift_interval(30, 100, 45, 220))
    assert low == pytest.approx(rr_low / (w * rr_low + 1 - w))
    assert high == pytest.approx(rr_high / (w * rr_high + 1 - w))
    assert low < float(lift(30, 100, 45, 220)) < high


def test_every_case_in_the_condition_bounds_the_lift_by_one_over_its_share():
    # 13 of 22 with the condition, 0 of the other 7: RR has no upper bound, the lift's is 29/22
    low, high = (float(v) for v in lift_interval(13, 22, 13, 29))
    assert high == pytest.approx(29 / 22)
    assert 1 < low < high
    assert float(lift(13, 22, 13, 29)) == pytest.approx(29 / 22)


def test_chi_square_p_is_pearsons_without_continuity_correction():
    # the table: condition 30 yes / 70 no; rest 15 yes / 105 no
    chi2, p, _, _ = chi2_contingency([[30, 70], [15, 105]], correction=False)
    expected = np.array([[100 * 45 / 220, 100 * 175 / 220], [120 * 45 / 220, 120 * 175 / 220]])
    by_hand = (((np.array([[30, 70], [15, 105]]) - expected) ** 2) / expected).sum()
    assert chi2 == pytest.approx(by_hand)
    assert float(chi_square_p(30, 100, 45, 220)) == pytest.approx(p)


def test_interval_and_test_agree_on_whether_the_lift_is_one():
    """Koopman's score test at RR = 1 is Pearson's chi-square: p < 0.05 exactly when the
    interval excludes 1."""
    for hits in range(15, 40):
        p = float(chi_square_p(hits, 100, 45, 220))
        low, _ = lift_interval(hits, 100, 45, 220)
        assert (p < 0.05) == (float(low) > 1), hits


def test_benjamini_hochberg_by_hand():
    # sorted .005 .01 .03 .04 (m = 4): p·m/rank = .02 .02 .04 .04, then the running minimum
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.005])
    assert np.allclose(q, [0.02, 0.04, 0.04, 0.02])


# ------------------------------------------------------------- the drill-down, constructed


def _toy_frame() -> tuple[Frame, np.ndarray]:
    """400 responses: half on product "card", half on "loan"; half joined 2015, half 2023.
    Detractors: card & old 60 of 100, card & new 10/100, loan & old 5/100, loan & new 10/100."""
    n = 400
    card = np.repeat([True, False], 200)
    old = np.tile(np.repeat([True, False], 100), 2)
    hit = np.zeros(n, dtype=bool)
    for group, k in (((card & old), 60), ((card & ~old), 10), ((~card & old), 5),
                     ((~card & ~old), 10)):  # fmt: skip
        hit[np.flatnonzero(group)[:k]] = True
    none = (np.full(n, -1), [])
    strings = {k: none for k in ("channel", "instrument", "team_id", "queue", "reason",
                                 "segment", "region", "month", "week", "k_channel")}  # fmt: skip
    strings["product"] = (np.where(card, 0, 1), ["card", "loan"])
    nan = np.full(n, np.nan)
    columns = {"wait": nan, "transfers": nan, "unresolved": nan, "repeat": nan,
               "handle": nan, "joined": np.where(old, 2015.0, 2023.0)}  # fmt: skip
    frame = Frame(n, np.zeros(0, int), np.zeros(0, int), [], {}, np.where(hit, 3.0, 9.0),
                  columns, strings)  # fmt: skip
    return frame, hit


def test_drill_down_on_a_constructed_case():
    frame, hit = _toy_frame()
    ws = SimpleNamespace(settings=Settings())
    tree, findings, tested, significant = drill_down(
        ws, frame, hit, name="detractors", kind="detractors", unit="responses", depth=2
    )
    # level 1: card 70/200 vs the group's 85/400 -> 1.647x; joined before 2016 65/200 -> 1.529x
    assert [t.condition for t in tree] == ["product = card", "joined before 2016"]
    card = tree[0]
    assert (card.hits, card.n) == (70, 200)
    assert card.lift == pytest.approx((70 / 200) / (85 / 400))
    assert card.p_value == pytest.approx(chi2_contingency([[70, 130], [15, 185]],
                                                          correction=False)[1])  # fmt: skip
    assert card.low < card.lift < card.high
    # product: 2 values (one side over-represented); cohort: one cut, its two sides one test
    assert tested[0] == 3 and significant[0] == 2
    # within card: old 60/100 against card's 70/200 -> 1.714x, and 60/100 vs 85/400 overall
    (child,) = card.children
    assert child.condition == "joined before 2016" and (child.hits, child.n) == (60, 100)
    assert child.lift == pytest.approx(0.6 / 0.35)
    assert child.overall_lift == pytest.approx(0.6 / (85 / 400))
    assert child.path == ["product = card", "joined before 2016"]
    # the same pair in the other order adds nothing: not repeated under the cohort
    assert tree[1].children == []
    assert "70 of 200 responses" in card.sentence and "1.6x" in card.sentence
    assert "60 of 100" in child.sentence


def test_tiny_groups_are_never_tested():
    frame, hit = _toy_frame()
    settings = Settings()
    settings.metrics.min_group_responses = 201  # more than either product has
    tree, _, tested, _ = drill_down(SimpleNamespace(settings=settings), frame, hit,
                                    name="detractors", kind="detractors", unit="responses")  # fmt: skip
    assert tree == [] and tested[0] == 0


# -------------------------------------------------------------- planted truths, small demo


@pytest.fixture(scope="module")
def billing(small_demo):
    with small_demo.open() as ws:
        return why(ws, "billing error")


@pytest.fixture(scope="module")
def medium_billing(medium_demo):
    with medium_demo.open() as ws:
        return why(ws, "billing error")


def _nodes(nodes):
    for n in nodes:
        yield n
        yield from _nodes(n.children)


def test_billing_error_tree_finds_the_incident(medium_billing, medium_demo):
    """truth["incident"]: credit-card customers who joined before 2021, in a February window.
    The medium demo: the small one has ~60 billing-error comments, too few for the third
    level (product and cohort together) to pass Benjamini-Hochberg every time."""
    billing = medium_billing
    incident = medium_demo.truth["incident"]
    assert incident["theme"] == billing.target == "billing error"
    product = incident["identify"]["product"]
    before = dt.date.fromisoformat(incident["identify"]["customer_since_before"]).year
    start = dt.date.fromisoformat(incident["start"])
    end = dt.date.fromisoformat(incident["end"])
    nodes = list(_nodes(billing.tree))
    assert any(n.kind == "product" and n.condition == f"product = {product}" for n in nodes)
    cohorts = [int(n.condition.split()[-1]) for n in nodes
               if n.kind == "cohort" and n.condition.startswith("joined before")]  # fmt: skip
    # the incident's cohort, within a year (the medium tree also splits finer elsewhere)
    assert any(abs(y - before) <= 1 for y in cohorts), cohorts
    windows = [n for n in nodes if n.kind in ("month", "week")]
    assert windows
    for n in windows:  # every time window shown overlaps the incident
        first = dt.datetime.strptime(n.condition.removeprefix("week of "),
                                     "%d %b %Y" if n.kind == "week" else "%b %Y").date()  # fmt: skip
        last = first + dt.timedelta(days=6 if n.kind == "week" else 27)
        assert first <= end and last >= start, n.condition
    # the product and the cohort sit together on one path
    assert any(f"product = {product}" in n.path and any(p.startswith("joined before")
               for p in n.path) for n in nodes)  # fmt: skip


def test_every_node_is_honest(billing, small_demo):
    with small_demo.open() as ws:
        fdr = ws.settings.insights.false_discovery_rate
        min_n = ws.settings.metrics.min_group_responses
    for n in _nodes(billing.tree):
        assert n.n >= min_n and 5 <= n.hits <= n.n
        assert n.q_value <= fdr and n.lift > 1 and n.low <= n.lift <= n.high
        assert n.overall_low <= n.overall_lift <= n.overall_high
        assert n.sentence.startswith('"Billing error" comes up') and "95% CI" in n.sentence
        for c in n.children:
            assert c.n <= n.n and c.path[:-1] == n.path and c.level == n.level + 1


def test_first_level_counts_match_the_store(billing, small_demo):
    """The reason-level numbers, recounted with a separate Ibis query."""
    node = next(n for n in billing.findings if n.condition == "reason = billing error")
    with small_demo.open() as ws:
        s = ws.analytics
        r = s.table("responses").inner_join(s.table("comment_tags").select("response_id"),
                                            "response_id")  # fmt: skip
        i = s.table("interactions").select("interaction_id", "reason")
        r = r.left_join(i, r.interaction_id == i.interaction_id)
        themes = s.table("comment_themes")
        billing_ids = themes.filter(themes.theme == "billing error").select("response_id")
        with_reason = r.filter(r.reason == "billing error")
        n = s.con.to_pyarrow(with_reason.count()).as_py()
        hits = s.con.to_pyarrow(with_reason.filter(
            with_reason.response_id.isin(billing_ids.response_id)).count()).as_py()  # fmt: skip
        total = s.con.to_pyarrow(r.count()).as_py()
    assert (node.n, node.hits) == (n, hits)
    assert billing.n == total
    assert node.lift == pytest.approx((hits / n) / (billing.hits / total))


@pytest.fixture(scope="module")
def detractors(small_demo):
    with small_demo.open() as ws:
        return why(ws, "detractors")


def test_detractors_surface_the_planted_drivers(detractors, small_demo):
    """truth["latent_model"]: unresolved, transfers, repeat contact, and the wait threshold."""
    truth = small_demo.truth
    model = truth["latent_model"]
    assert model["unresolved"] < 0 and model["per_transfer"] < 0 and model["repeat_contact"] < 0
    found = {f.condition: f for f in detractors.findings}
    for planted in ("not resolved", "transferred", "2+ transfers", "repeat contact (7 days)"):
        assert planted in found and found[planted].low > 1, planted
    # the threshold: waits past it over-represent detractors more than short waits do
    minutes = truth["wait_threshold"]["threshold_seconds"] / 60
    past = found[f"waited > {minutes:g} min"]
    shorter = [f for f in detractors.findings
               if f.kind == "wait" and float(f.condition.split()[2]) < minutes]  # fmt: skip
    assert past.low > 1 and shorter
    assert all(past.lift > f.lift for f in shorter)
    # the strongest planted driver leads the tree
    assert detractors.tree[0].condition == "not resolved"
    assert {"not resolved", "transferred"} <= {n.condition for n in detractors.tree}


def test_detractors_in_one_channel(small_demo):
    with small_demo.open() as ws:
        r = why(ws, "detractors in channel phone", depth=1)
        t = ws.analytics.table("responses")
        phone = t.filter((t.channel == "phone") & t.nps.notnull())
        n = ws.analytics.con.to_pyarrow(phone.count()).as_py()
        det = ws.analytics.con.to_pyarrow(phone.filter(phone.nps <= 6).count()).as_py()
    assert r.where == {"channel": ["phone"]} and (r.n, r.hits) == (n, det)
    assert not any(f.kind == "channel" for f in r.findings)


def test_parent_theme_and_period(small_demo):
    with small_demo.open() as ws:
        r = why(ws, "Billing and fees", depth=1)
        early = why(ws, "billing error", until=dt.date(2025, 6, 30), depth=1)
        everything = why(ws, "billing error", depth=1)
    assert r.target_kind == "parent theme" and r.hits > everything.hits
    assert early.n < everything.n and early.until == dt.date(2025, 6, 30)


def test_unknown_target_lists_close_names(small_demo):
    with small_demo.open() as ws:
        with pytest.raises(UnknownTarget, match="billing error"):
            why(ws, "biling eror")
        with pytest.raises(UnknownDimension, match="channel"):
            why(ws, "detractors", where={"colour": ["red"]})


# ---------------------------------------------------------------------------------- CLI


def test_cli_json_is_a_nested_tree(small_demo):
    out = runner.invoke(app, ["why", "billing error", "-w", str(small_demo.path), "--depth", "2",
                              "--format", "json"])  # fmt: skip
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert doc["target"] == "billing error" and doc["population"] == "comments"
    assert doc["tree"] and all(c["level"] == 1 for c in doc["tree"])
    child = next(c for t in doc["tree"] for c in t["children"])
    assert child["level"] == 2 and len(child["path"]) == 2
    for key in ("lift", "low", "high", "n", "hits", "q_value", "sentence"):
        assert key in child
    assert len(doc["tested"]) == 2


def test_cli_text_tree(small_demo):
    out = runner.invoke(app, ["why", "detractors", "-w", str(small_demo.path)])
    assert out.exit_code == 0, out.output
    assert "Why detractors?" in out.output and "not resolved" in out.output
    assert "├──" in out.output and "95% CI" in out.output
    assert "Benjamini-Hochberg" in out.output


def test_cli_unknown_theme_is_one_clear_line(small_demo):
    out = runner.invoke(app, ["why", "biling eror", "-w", str(small_demo.path)])
    assert out.exit_code == 1
    assert "billing error" in out.output and "Traceback" not in out.output


def test_cli_help_has_an_example():
    out = runner.invoke(app, ["why", "--help"])
    assert out.exit_code == 0 and "Example: cxloop why" in out.output


def test_ibis_only():
    """Root cause builds its query with Ibis alone, so it runs on any backend."""
    from pathlib import Path

    import cxloop.insights.why_frame as frame_module

    text = Path(frame_module.__file__).read_text()
    for word in ("SELECT ", "raw_sql", ".sql(", "execute("):
        assert word not in text


@pytest.mark.postgres
def test_same_tree_on_postgresql(small_demo, small_demo_on_postgres):
    """The query is Ibis only: the small demo copied to PostgreSQL gives the same trees."""
    with small_demo_on_postgres.open() as ws, small_demo.open() as src:
        assert ws.analytics.dialect == "postgres"
        for target in ("billing error", "detractors"):
            on_pg, on_duckdb = why(ws, target, depth=2), why(src, target, depth=2)
            assert (on_pg.n, on_pg.hits, on_pg.tested) == (
                on_duckdb.n, on_duckdb.hits, on_duckdb.tested)  # fmt: skip
            pairs = zip(_nodes(on_pg.tree), _nodes(on_duckdb.tree), strict=True)
            for a, b in pairs:
                assert (a.path, a.n, a.hits) == (b.path, b.n, b.hits)
