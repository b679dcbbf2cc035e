"""Key driver analysis (PRODUCT.md, "Key driver analysis"): Shapley decomposition of R²
checked against brute force, relative weights, and the bootstrap."""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pytest

from cxloop.errors import AnalysisError
from cxloop.insights.drivers import key_drivers, relative_weights, shapley_r2, subset_r2


def _r2(x: np.ndarray, y: np.ndarray) -> float:
    """R² of an ordinary least-squares fit with intercept (0 for no columns)."""
    if x.shape[1] == 0:
        return 0.0
    design = np.column_stack([np.ones(len(y)), x])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ beta
    return 1 - resid @ resid / ((y - y.mean()) @ (y - y.mean()))


@pytest.fixture
def data():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 4))
    x[:, 1] += 0.6 * x[:, 0]  # correlated drivers
    y = 1.0 * x[:, 0] + 0.5 * x[:, 1] - 0.8 * x[:, 2] + rng.normal(size=400)
    return x, y


def test_shapley_matches_brute_force_over_all_orders(data):
    x, y = data
    p = x.shape[1]
    brute = np.zeros(p)
    orders = list(permutations(range(p)))
    for order in orders:  # the R² each driver adds when it joins, averaged over orders
        for i, j in enumerate(order):
            before = list(order[:i])
            brute[j] += _r2(x[:, before + [j]], y) - _r2(x[:, before], y)
    brute /= len(orders)
    corr = np.corrcoef(np.column_stack([x, y]), rowvar=False)
    assert np.allclose(shapley_r2(corr), brute, atol=1e-9, rtol=0)
    assert shapley_r2(corr).sum() == pytest.approx(_r2(x, y), abs=1e-9)


def test_subset_r2_is_the_regression_r2_of_every_subset(data):
    x, y = data
    r2 = subset_r2(np.corrcoef(np.column_stack([x, y]), rowvar=False))
    for mask in range(1 << x.shape[1]):
        cols = [j for j in range(x.shape[1]) if mask >> j & 1]
        assert r2[mask] == pytest.approx(_r2(x[:, cols], y), abs=1e-9)


def test_uncorrelated_drivers_share_by_squared_correlation():
    """Hand-computed: with orthogonal drivers, both methods give each driver r²(x_j, y)."""
    corr = np.array([[1.0, 0.0, 0.6], [0.0, 1.0, 0.3], [0.6, 0.3, 1.0]])
    assert np.allclose(shapley_r2(corr), [0.36, 0.09])
    assert np.allclose(relative_weights(corr), [0.36, 0.09])


def test_shares_sum_to_one_with_intervals_and_directions(data):
    x, y = data
    drivers = {f"d{j}": x[:, j] for j in range(4)}
    for method in ("shapley", "relative-weights"):
        results, r2 = key_drivers(y, drivers, method=method, resamples=50)
        assert sum(r.share for r in results) == pytest.approx(1.0)
        assert all(r.low <= r.share <= r.high for r in results)
        assert [r.share for r in results] == sorted((r.share for r in results), reverse=True)
        by = {r.driver: r for r in results}
        assert by["d2"].direction == "negative" and by["d0"].direction == "positive"
        assert by["d3"].share < 0.02  # pure noise explains almost nothing
        assert r2 == pytest.approx(_r2(x, y), abs=1e-9)
    again, _ = key_drivers(y, drivers, resamples=50)
    assert [r.to_dict() for r in again] == [
        r.to_dict() for r in key_drivers(y, drivers, resamples=50)[0]
    ]


def test_bad_requests_are_clear_errors(data):
    x, y = data
    with pytest.raises(AnalysisError, match="at least two drivers"):
        key_drivers(y, {"a": x[:, 0]})
    with pytest.raises(AnalysisError, match="unknown method"):
        key_drivers(y, {"a": x[:, 0], "b": x[:, 1]}, method="magic")
    with pytest.raises(AnalysisError, match="does not vary"):
        key_drivers(y, {"a": x[:, 0], "b": np.ones(len(y))}, resamples=5)


def test_cli_prints_json_shares_and_counts_dropped_rows(tmp_path):
    import json

    from typer.testing import CliRunner

    from cxloop.cli import app

    rng = np.random.default_rng(5)
    x = rng.normal(size=(300, 3))
    y = 2 * x[:, 0] + x[:, 1] + rng.normal(size=300)
    lines = ["score,wait,friendly,noise"] + [f"{a:.4f},{b:.4f},{c:.4f},{d:.4f}"
                                             for a, b, c, d in zip(y, *x.T, strict=True)]  # fmt: skip
    lines[5] = "1.0,,0.5,0.1"  # a missing driver value
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n")
    runner = CliRunner()
    result = runner.invoke(app, ["drivers", "--input", str(path), "--outcome", "score",
                                 "--drivers", "wait,friendly,noise", "--format", "json",
                                 "--resamples", "30"])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [set(r) for r in rows] == [{"driver", "share", "low", "high", "direction"}] * 3
    assert sum(r["share"] for r in rows) == pytest.approx(1.0)
    assert rows[0]["driver"] == "wait" and rows[0]["direction"] == "positive"
    table = runner.invoke(app, ["drivers", "-i", str(path), "--outcome", "score",
                                "--drivers", "wait,friendly", "--resamples", "10"])  # fmt: skip
    assert "1 row(s) with a missing value dropped" in table.stdout
    bad = runner.invoke(app, ["drivers", "-i", str(path), "--outcome", "nope",
                              "--drivers", "wait,friendly"])  # fmt: skip
    assert bad.exit_code == 1 and "no column 'nope'" in bad.output


def test_block_bootstrap_intervals_match_the_row_bootstrap(monkeypatch):
    """On a large table rows are resampled in random blocks; the intervals must be as wide
    as those of the ordinary row bootstrap (one row per block), within sampling error."""
    import cxloop.insights.drivers as drivers

    rng = np.random.default_rng(11)
    x = rng.normal(size=(20_000, 3))
    y = x[:, 0] + 0.5 * x[:, 1] + 0.25 * x[:, 2] + rng.normal(size=len(x)) * 2
    columns = {"a": x[:, 0], "b": x[:, 1], "c": x[:, 2]}
    blocks, _ = key_drivers(y, columns, resamples=300, seed=1)
    monkeypatch.setattr(drivers, "BOOTSTRAP_BLOCKS", len(x))
    rows, _ = key_drivers(y, columns, resamples=300, seed=1)
    for b, r in zip(blocks, rows, strict=True):
        assert b.driver == r.driver and b.share == r.share
        assert (b.high - b.low) == pytest.approx(r.high - r.low, rel=0.25)


# --- drivers of a workspace's outcome (the small demo's planted latent model) -------------


def test_workspace_operations_drivers_recover_the_planted_effects(small_demo):
    """Planted (truth.json latent_model): unresolved −1.6, each transfer −0.55, repeat
    contact −0.6, waits above the threshold −1.35 on the latent NPS scale."""
    from cxloop.insights.workspace_drivers import workspace_drivers

    with small_demo.open() as ws:
        report = workspace_drivers(ws, "nps", ["operations"], where={"channel": ["phone"]},
                                   resamples=100)  # fmt: skip
    by_name = {d.driver: d for d in report.drivers}
    assert set(by_name) >= {"resolved", "transfers", "repeat contact", "queue wait (s)"}
    top = max(report.drivers, key=lambda d: d.share)
    assert top.driver == "resolved" and top.direction == "positive" and top.low > 0.4
    for name in ("transfers", "repeat contact", "queue wait (s)"):
        assert by_name[name].direction == "negative" and by_name[name].low > 0, name
    assert sum(d.share for d in report.drivers) == pytest.approx(1.0)
    assert report.n > 2000 and 0 < report.r2 < 1


def test_workspace_drivers_put_what_matters_and_performs_worst_first(small_demo):
    import duckdb

    from cxloop.insights.workspace_drivers import workspace_drivers

    with small_demo.open() as ws:
        report = workspace_drivers(ws, "nps", ["ratings", "themes"], resamples=50)
    kinds = {d.kind for d in report.drivers}
    assert kinds == {"ratings", "complaints", "praise"}
    complaints = [d for d in report.drivers if d.kind == "complaints"]
    assert complaints and all(d.direction == "negative" for d in complaints)
    # performance of a rating is its mean on the 0-10 scale, over the responses analysed
    ratings = [d for d in report.drivers if d.kind == "ratings"]
    con = duckdb.connect(str(small_demo.path / "analytics.duckdb"), read_only=True)
    means = dict(con.execute("SELECT item || ' rating', avg(value) FROM response_ratings "
                             "GROUP BY 1").fetchall())  # fmt: skip
    con.close()
    for d in ratings:
        assert d.performance == pytest.approx(10 * means[d.driver], abs=1.5), d.driver
    # within ratings: above-average importance and below-median performance come first
    order = [d.priority for d in report.drivers]
    assert order.index("fix first") < order.index("keep it up")
    worst_important = [d for d in ratings if d.share >= 1 / len(report.drivers)]
    first = min(worst_important, key=lambda d: d.performance)
    assert report.drivers[0] is first and first.priority == "fix first"
    assert "fix first" in first.sentence and f"{100 * first.share:.1f}%" in first.sentence


def test_cli_drivers_of_a_workspace(small_demo):
    import json

    from typer.testing import CliRunner

    from cxloop.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["drivers", "-w", str(small_demo.path), "--outcome", "detractor",
                                 "--drivers", "operations", "--resamples", "30",
                                 "--format", "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["outcome"] == "detractor" and report["n"] > 2000
    resolved = next(d for d in report["drivers"] if d["driver"] == "resolved")
    assert resolved["direction"] == "negative"  # resolving makes a detractor less likely
    assert resolved["performance"] > 50  # most contacts are resolved: its good side
    table = runner.invoke(app, ["drivers", "-w", str(small_demo.path), "--resamples", "20"])
    assert table.exit_code == 0 and "performs worst first" in table.stdout
    bad = runner.invoke(app, ["drivers", "-w", str(small_demo.path), "--drivers", "moods"])
    assert bad.exit_code == 1 and "unknown driver kind" in bad.output
