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
