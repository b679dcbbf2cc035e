"""Run rules for control charts: which points signal, by the Western Electric Handbook
(1956) and Nelson (1984), on each point's standardised distance from its centre.

``beyond_limits`` (|z| > k) and ``run`` (``insights.run_length`` in a row on one side)
are the defaults; ``two_of_three`` (2 of 3 beyond 2σ on one side), ``four_of_five`` (4
of 5 beyond 1σ) and ``trend`` (6 in a row rising or falling) come on request.
"""

from __future__ import annotations

from collections.abc import Sequence

RULES = ("beyond_limits", "run", "two_of_three", "four_of_five", "trend")
DEFAULT_RULES = ("beyond_limits", "run")
TREND_LENGTH = 6


def apply_rules(
    points: Sequence, z: list[float | None], rules: Sequence[str], k: float, run: int
) -> None:
    """Add each rule's signal to the points where it fires (see the module docstring).

    ``z`` is each point's distance from its centre in standard errors (None: no centre).
    """
    for i, p in enumerate(points):
        if z[i] is None:
            continue
        side = 1 if z[i] > 0 else -1 if z[i] < 0 else 0
        if "beyond_limits" in rules and abs(z[i]) > k:
            p.signals.append("above_limit" if side > 0 else "below_limit")
        if "run" in rules and side and _beyond(z, i, run, side, 0) >= run:
            p.signals.append(f"run_{'above' if side > 0 else 'below'}")
        if "two_of_three" in rules and side and abs(z[i]) > 2:
            if _beyond(z, i, 3, side, 2) >= 2:
                p.signals.append("two_of_three")
        if "four_of_five" in rules and side and abs(z[i]) > 1:
            if _beyond(z, i, 5, side, 1) >= 4:
                p.signals.append("four_of_five")
        if "trend" in rules and i + 1 >= TREND_LENGTH:
            last = z[i + 1 - TREND_LENGTH : i + 1]
            if None not in last:
                steps = [b - a for a, b in zip(last, last[1:], strict=False)]
                if all(d > 0 for d in steps) or all(d < 0 for d in steps):
                    p.signals.append("trend")


def _beyond(z: list, i: int, size: int, side: int, threshold: float) -> int:
    """How many of the ``size`` points ending at ``i`` lie beyond ``threshold`` on ``side``.

    0 unless all of them have a centre line.
    """
    if i + 1 < size:
        return 0
    last = z[i + 1 - size : i + 1]
    if None in last:
        return 0
    return sum(1 for v in last if v * side > threshold)


RULE_WORDS = {
    "above_limit": "above the upper limit",
    "below_limit": "below the lower limit",
    "run_above": "in a run above the centre",
    "run_below": "in a run below the centre",
    "two_of_three": "2 of 3 beyond 2 sigma",
    "four_of_five": "4 of 5 beyond 1 sigma",
    "trend": "in a steady trend",
}
