"""The insights give the same answers on PostgreSQL as on DuckDB: they build their queries
with Ibis alone. (Root cause and the people insights have their own PostgreSQL tests.)"""

from __future__ import annotations

import datetime as dt

import pytest

from cxloop import insights

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def both(small_demo, small_demo_on_postgres):
    with small_demo.open() as duck, small_demo_on_postgres.open() as pg:
        assert pg.analytics.dialect == "postgres"
        yield duck, pg


def test_changes_and_channel_gaps(both):
    duck, pg = both
    window = {"period": "week", "until": dt.date(2026, 2, 15)}
    a, b = insights.changes(duck, **window), insights.changes(pg, **window)
    assert (a.tested, a.not_tested) == (b.tested, b.not_tested)
    assert [c.sentence for c in a.changes] == [c.sentence for c in b.changes]
    gaps_a, gaps_b = insights.channel_gaps(duck), insights.channel_gaps(pg)
    assert [g.sentence for g in gaps_a.gaps] == [g.sentence for g in gaps_b.gaps]


@pytest.mark.parametrize("metric", ["detractor_share", "nps", "theme:billing error", "aht"])
def test_control_charts(both, metric):
    duck, pg = both
    a = insights.control_chart(duck, metric, period="month")
    b = insights.control_chart(pg, metric, period="month")
    assert [(p.period, p.n, p.signals) for p in a.points] == [
        (p.period, p.n, p.signals) for p in b.points
    ]
    for p, q in zip(a.points, b.points, strict=True):
        assert p.value == pytest.approx(q.value, abs=1e-6)


def test_kpi_alignment_and_drivers(both):
    duck, pg = both
    a = insights.kpi_alignment(duck, "nps", ["wait", "transfers", "fcr"], channel="phone",
                               resamples=20)  # fmt: skip
    b = insights.kpi_alignment(pg, "nps", ["wait", "transfers", "fcr"], channel="phone",
                               resamples=20)  # fmt: skip
    assert [r.sentence for r in a.results] == [r.sentence for r in b.results]
    da = insights.workspace_drivers(duck, "nps", resamples=20)
    db = insights.workspace_drivers(pg, "nps", resamples=20)
    assert (da.n, [d.driver for d in da.drivers]) == (db.n, [d.driver for d in db.drivers])
    assert [d.share for d in da.drivers] == pytest.approx([d.share for d in db.drivers], abs=1e-9)
