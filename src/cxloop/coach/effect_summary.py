"""Which kind of coaching works: coached areas pooled per programme, leader, kind of
session, follow-up or focus.

Each group counts its coached areas, agents and judged areas, how many "likely a real
improvement" or "likely got worse" (:mod:`.effect`), and pools the judged theme, CSAT
and NPS areas into a mean **gain**: the difference in differences turned so that
positive is better (a problem theme's share falling is a gain), in points, with a 95%
two-level bootstrap interval (areas resampled, and each area's own replicate:
:func:`.effect_stats.pooled_effect`). Handle-time areas (seconds) are counted but not
pooled with points.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import AnalysisError
from . import effect_stats as st
from .effect import VERDICTS, CoachedArea, coaching_effect
from .effect_text import group_sentence

BY = ("programme", "leader", "kind", "followed_up", "focus")


@dataclass
class GroupEffect:
    """Coached areas pooled by programme, leader, kind, follow-up or focus."""

    by: str
    group: str
    n_areas: int
    n_agents: int
    n_judged: int
    improved: int
    worse: int
    share_improved: float | None
    gain: float | None  # mean DiD in the good direction, points, over judged share/NPS areas
    low: float | None
    high: float | None
    n_pooled: int
    sentence: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def coaching_effect_summary(ws, by: str = "programme", **filters) -> list[GroupEffect]:
    """Coached areas pooled per ``by`` (programme, leader, kind, followed_up, focus).

    Each group: how many areas, agents and judged areas, how many improved or got
    worse, the share improved, and the mean gain (DiD turned so positive is better,
    in points, over judged theme/CSAT/NPS areas) with a 95% two-level bootstrap
    interval (:func:`.effect_stats.pooled_effect`). ``filters``: as :func:`coaching_effect`.
    """
    if by not in BY:
        raise AnalysisError(f"unknown grouping {by!r}: use one of {', '.join(BY)}")
    areas = coaching_effect(ws, **filters)
    groups: dict[str, list[CoachedArea]] = defaultdict(list)
    for a in areas:
        groups[_group_key(a, by)].append(a)
    out = []
    for key, members in sorted(groups.items()):
        judged = [a for a in members if a.judged]
        pooled = [a for a in judged if a.unit != " s" and a.draws is not None]
        gain = low = high = None
        if pooled:
            sign = np.array([-1.0 if a.better == "lower" else 1.0 for a in pooled])
            draws = np.stack([a.draws for a in pooled]) * sign[:, None]
            gains = np.array([a.gain for a in pooled])
            gain, low, high = (round(v, 2) for v in st.pooled_effect(gains, draws))
        improved = sum(a.verdict == VERDICTS["improved"] for a in judged)
        worse = sum(a.verdict == VERDICTS["worse"] for a in judged)
        g = GroupEffect(by, key, len(members), len({a.agent_id for a in members}), len(judged),
                        improved, worse, round(improved / len(judged) * 100, 1) if judged else None,
                        gain, low, high, len(pooled), "")  # fmt: skip
        g.sentence = group_sentence(g)
        out.append(g)
    return out


def _group_key(a: CoachedArea, by: str) -> str:
    if by == "programme":
        return a.programme or "(no programme: routine sessions)"
    if by == "leader":
        return a.leader_id
    if by == "kind":
        return a.session_kind
    if by == "followed_up":
        return "followed up" if a.followed_up else "not followed up"
    return a.focus
