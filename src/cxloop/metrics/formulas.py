"""The metric formulas of PRODUCT.md "Definitions", written once.

Each function works on plain numbers and on Ibis column expressions alike, so the
same definition is used inside a query (any backend) and in a hand-computed test.
Results are on a 0-100 scale where the definition is a share.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

#: Two-sided 95% normal quantile used by every margin (PRODUCT.md: 1.96).
Z95 = 1.96

PROMOTER_MIN = 9  # NPS: promoters answer 9-10
DETRACTOR_MAX = 6  # NPS: detractors answer 0-6
CSAT_TOP_MIN = 4  # CSAT: top-two box of a 1-5 scale


def _sqrt(x: Any) -> Any:
    if isinstance(x, (int, float)):
        return math.sqrt(x)
    return np.sqrt(x) if isinstance(x, np.ndarray) else x.sqrt()


def _real(x: Any) -> Any:
    """A count as a real number, so that division is never integer or decimal on any backend."""
    if isinstance(x, (int, float, np.integer, np.floating)):
        return float(x)
    return np.asarray(x, dtype=float) if isinstance(x, np.ndarray) else x.cast("float64")


def nps(promoters: Any, detractors: Any, n: Any) -> Any:
    """NPS = %promoters (9-10) − %detractors (0-6), from −100 to 100 (PRODUCT.md, NPS)."""
    return _real(promoters - detractors) / n * 100


def nps_variance(promoters: Any, detractors: Any, n: Any) -> Any:
    """Variance of one response's NPS score (+1, 0 or −1): ``p_P + p_D − (p_P − p_D)²``
    (PRODUCT.md, NPS). Works on numbers, numpy arrays and Ibis columns."""
    p_p = _real(promoters) / n
    p_d = _real(detractors) / n
    return p_p + p_d - (p_p - p_d) ** 2


def nps_margin(promoters: Any, detractors: Any, n: Any, z: float = Z95) -> Any:
    """95% margin of error of NPS, in points (PRODUCT.md, NPS): ``1.96 · sqrt(var / n) ·
    100`` with ``var`` the :func:`nps_variance` of one response."""
    return z * _sqrt(nps_variance(promoters, detractors, n) / n) * 100


def share(hits: Any, n: Any) -> Any:
    """A proportion as a percentage (CSAT, grade of service, abandonment, FCR...)."""
    return _real(hits) / n * 100


def share_margin(hits: Any, n: Any, z: float = Z95) -> Any:
    """95% margin of a percentage, Agresti-Coull ("plus four"): never zero on small groups.

    ``p̃ = (hits + 2) / (n + 4)``; margin ``1.96 · sqrt(p̃(1−p̃)/(n + 4)) · 100``. For large
    n it equals the normal approximation; for 0 of 5 it is ±33 points, not ±0.
    """
    p = (_real(hits) + 2) / (n + 4)
    return z * _sqrt(p * (1 - p) / (n + 4)) * 100


def mean_margin(sd: Any, n: Any, z: float = Z95) -> Any:
    """95% margin of a mean: ``1.96 · sd / sqrt(n)`` (CES, ASA, AHT)."""
    return z * _real(sd) / _sqrt(n)
