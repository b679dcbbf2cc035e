"""The sentence that comes with each change found by :func:`cxloop.insights.changes`."""

from __future__ import annotations

from . import trends_periods as tp
from .trends_stats import ratio_words


def _fmt(value: float, kind: str) -> str:
    """NPS as a whole number; shares as a percentage, one decimal under 10%."""
    if kind == "NPS":
        return f"{value:.0f}"
    return f"{value:.1f}%" if value < 10 else f"{value:.0f}%"


def change_sentence(c, words: str) -> str:
    """One change in words, e.g. "Billing error: 17% of comments in the week of 9 Feb 2026
    vs 1.1% usual; 15x (95% CI 9.9x to 23x; n 441); started Monday 9 Feb."
    """
    started = f"; started {tp.day_words(c.started)}" if c.started and c.significant else ""
    n = f"n {c.window_n:,}"
    if c.effect_kind == "ratio":
        now = f"{c.label}: {_fmt(c.window_value, c.kind)} of {c.noun} {words}"
        if c.usual_value == 0:
            return f"{now}, none in the usual {c.usual_n:,}; new ({n}){started}."
        return (
            f"{now} vs {_fmt(c.usual_value, c.kind)} usual; {ratio_words(c.effect)} "
            f"(95% CI {ratio_words(c.low)} to {ratio_words(c.high)}; {n}){started}."
        )
    unit = "points" if c.kind == "NPS" else "percentage points"
    way = "higher" if c.effect > 0 else "lower"
    if c.low * c.high > 0:  # the interval in the same words as the effect: "31 to 49 lower"
        low, high = sorted((abs(c.low), abs(c.high)))
        interval = f"95% CI {low:.0f} to {high:.0f}"
    else:
        interval = f"95% CI {c.low:+.0f} to {c.high:+.0f}"
    return (
        f"{c.label}: {_fmt(c.window_value, c.kind)} {words} vs {_fmt(c.usual_value, c.kind)} "
        f"usual; {abs(c.effect):.0f} {unit} {way} ({interval}; {n}){started}."
    )
