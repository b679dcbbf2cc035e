"""The plain sentences of "did it work?", in the words of a CX lead.

"Since the 3 Nov 2025 session, Ana's 'did not listen' share fell from 21% to 2%;
uncoached peers: 2.4% to 2.5%; likely a real improvement (...)". The verdict comes
from :func:`cxloop.coach.effect_stats.verdict` on the 95% interval.
"""

from __future__ import annotations

import datetime as dt

from .effect_stats import verdict as pick_level

__all__ = ["area_sentence", "group_sentence", "pick_level", "when"]

_NOUN = {"theme": "comments", "metric": "answers", "kpi": "contacts"}


def when(day: dt.date) -> str:
    """``3 Nov 2025``."""
    return f"{day.day} {day:%b %Y}"


def _value(v: float | None, unit: str) -> str:
    if v is None:
        return "–"
    if unit == "%":
        return f"{v:.0f}%" if abs(v) >= 10 or v == 0 else f"{v:.1f}%"
    if unit == " s":
        return f"{v:.0f} s"
    return f"{v:.0f}"


def _what(a) -> str:
    if a.focus_kind == "theme":
        return f"'{a.focus_label}' share"
    if a.focus_kind == "kpi":
        label = "transfer rate" if a.focus == "transfers" else a.focus_label
        return label[:1].lower() + label[1:]
    return a.focus_label


def _moved(before: float | None, after: float | None, unit: str) -> str:
    b, f = _value(before, unit), _value(after, unit)
    if b == f:
        return f"stayed at {b}"
    return f"{'fell' if (after or 0) < (before or 0) else 'rose'} from {b} to {f}"


def area_sentence(a, minimum: int) -> str:
    """One coached area in a sentence (``a``: a :class:`~cxloop.coach.effect.CoachedArea`)."""
    who = (a.name or a.agent_id).split()[0]
    start = f"Since the {when(a.held_on)} session"
    noun = _NOUN.get(a.focus_kind, "answers")
    cut = (f" The after window is cut at the data's end ({a.after_to - dt.timedelta(days=1)})."
           if a.cut_at_data_end else "")  # fmt: skip
    if a.cut_at_data_start:
        cut += f" The before window starts with the data ({a.before_from})."
    if a.verdict is None:
        if a.n_peers == 0 and min(a.n_before, a.n_after) >= minimum:
            return f"{start}, no uncoached peers have data in both windows: no verdict.{cut}"
        return (f"{start}, {who} has {a.n_before} {noun} before and {a.n_after} after (fewer "
                f"than {minimum} in a window): not enough feedback yet to judge.{cut}")  # fmt: skip
    points = " s" if a.unit == " s" else " points"
    return (
        f"{start}, {who}'s {_what(a)} {_moved(a.before, a.after, a.unit)}; uncoached peers: "
        f"{_value(a.peers_before, a.unit)} to {_value(a.peers_after, a.unit)}; {a.verdict} "
        f"(difference in differences {a.did:+.1f}{points}, 95% interval {a.low:+.1f} to "
        f"{a.high:+.1f}; {a.n_before} {noun} before, {a.n_after} after; {a.n_peers} peers).{cut}"
    )


def group_sentence(g) -> str:
    """One group of coached areas (``g``: a :class:`~cxloop.coach.effect.GroupEffect`)."""
    if not g.n_judged:
        return (f"{g.group}: {g.n_areas} coached areas, none with enough feedback yet to "
                f"judge.")  # fmt: skip
    head = (f"{g.group}: {g.improved} of {g.n_judged} judged areas likely improved "
            f"({g.share_improved:.0f}%), {g.worse} likely got worse")  # fmt: skip
    if g.gain is None:
        return head + "."
    return (f"{head}; mean gain {g.gain:+.1f} points against uncoached peers (95% interval "
            f"{g.low:+.1f} to {g.high:+.1f}; {g.n_pooled} areas, {g.n_agents} agents).")  # fmt: skip
