"""The metric formulas match PRODUCT.md's definitions, by hand and as properties."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxloop.metrics import formulas as f


def test_nps_hand_computed():
    # 5 promoters, 3 passives, 2 detractors: 50% - 20% = 30
    assert f.nps(5, 2, 10) == pytest.approx(30.0)


def test_nps_margin_hand_computed():
    # p_P = .5, p_D = .2: var = .5 + .2 - .3**2 = .61; 1.96 * sqrt(.61/10) * 100 = 48.4085...
    assert f.nps_margin(5, 2, 10) == pytest.approx(1.96 * math.sqrt(0.061) * 100)
    assert f.nps_margin(5, 2, 10) == pytest.approx(48.40851, abs=1e-4)


def test_share_and_margins_hand_computed():
    assert f.share(80, 100) == pytest.approx(80.0)
    # Agresti-Coull: p~ = 82/104; 1.96 * sqrt(p~ (1 - p~) / 104) * 100 = 7.8492...
    assert f.share_margin(80, 100) == pytest.approx(
        1.96 * math.sqrt(82 / 104 * 22 / 104 / 104) * 100
    )
    assert f.share_margin(80, 100) == pytest.approx(7.8492, abs=1e-3)
    # never a zero margin on a small group: 0 of 5 -> p~ = 2/9
    assert f.share_margin(0, 5) == pytest.approx(1.96 * math.sqrt(2 / 9 * 7 / 9 / 9) * 100)
    assert f.share_margin(0, 5) > 25
    # 1.96 * 2 / sqrt(16) = 0.98
    assert f.mean_margin(2.0, 16) == pytest.approx(0.98)


counts = st.tuples(st.integers(0, 5000), st.integers(0, 5000), st.integers(0, 5000)).filter(
    lambda c: sum(c) > 0
)


@given(counts)
def test_nps_is_bounded(c):
    promoters, passives, detractors = c
    n = promoters + passives + detractors
    assert -100 <= f.nps(promoters, detractors, n) <= 100
    assert f.nps_margin(promoters, detractors, n) >= 0


@given(counts, st.integers(2, 50))
def test_margin_shrinks_with_n(c, k):
    promoters, passives, detractors = c
    n = promoters + passives + detractors
    small = f.nps_margin(promoters, detractors, n)
    large = f.nps_margin(promoters * k, detractors * k, n * k)
    assert f.nps(promoters * k, detractors * k, n * k) == pytest.approx(
        f.nps(promoters, detractors, n)
    )
    assert large <= small + 1e-12
    if small > 0:
        assert large == pytest.approx(small / math.sqrt(k))
