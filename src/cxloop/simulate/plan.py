"""Who and what carries each planted truth: the weak and praised agents, the coached
agents, the team whose engagement drops, and the customers hit by the incident.

Chosen once from the organisation and the customer base, before any contact is drawn,
so every later step reads the same plan.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from . import config as C
from .customers import Customers
from .org import Org


@dataclass
class Plan:
    """The planted participants, as employee and customer indices."""

    drop_team: int
    drop_month: int
    weak: list[tuple[int, str, bool]]  # (employee, theme, helped by coaching)
    praise: list[int]
    extra_coached: list[tuple[int, str]]
    weak_theme: np.ndarray  # per employee: index into WEAK_THEMES, -1 if none
    helped: np.ndarray  # per employee
    praised: np.ndarray  # per employee
    warmth: np.ndarray  # per employee: multiplier on the chance of praise
    team_engagement: np.ndarray  # per team, latent engagement (z)
    team_effect: np.ndarray  # per team, latent NPS points
    candidates: np.ndarray  # legacy credit-card customers (affected unless gone before)
    complainers: np.ndarray  # the minority who contact the centre about the incident
    scale: float = 1.0  # the size's effect scale

    @property
    def wait_shift(self) -> float:
        return C.WAIT_THRESHOLD_SHIFT * self.scale

    @property
    def team_shift(self) -> float:
        return C.TEAM_NPS_SHIFT * self.scale

    @property
    def enps_shift(self) -> float:
        return C.ENPS_SHIFT * self.scale

    @property
    def item_shift(self) -> float:
        return C.ITEM_SHIFT * self.scale

    @property
    def weak_rate(self) -> float:
        return min(C.BEHAVIOUR_WEAK_RATE * self.scale, 0.5)

    def coached(self) -> list[tuple[int, str]]:
        return [(e, t) for e, t, _ in self.weak] + self.extra_coached


def make_plan(rng: np.random.Generator, size: C.Size, org: Org, cust: Customers) -> Plan:
    """Pick the planted participants."""
    stay = org.stayers()
    team = np.array(org.team)[stay]
    eligible = stay[(org.team_group[team] < 2) & (team != org.drop_team)]
    eligible = rng.permutation(eligible)
    # spread the weak agents over teams: at most one per team while teams last
    picked: list[int] = []
    used: set[int] = set()
    for e in eligible.tolist():
        if len(picked) == size.weak_agents:
            break
        if org.team[e] not in used or len(used) >= len(org.team_ids):
            picked.append(e)
            used.add(org.team[e])
    weak = [(e, C.WEAK_THEMES[i % 4], (i // 4) % 2 == 0 if size.weak_agents > 4 else i % 2 == 0)
            for i, e in enumerate(picked)]  # fmt: skip
    rest = [e for e in eligible.tolist() if e not in set(picked)]
    counts = Counter(org.first)
    praise = [e for e in rest if counts[org.first[e]] == 1][: size.praise_agents]
    rest = [e for e in rest if e not in set(praise)]
    extra = [(e, C.WEAK_THEMES[int(rng.integers(0, 4))]) for e in rest[: size.extra_coached]]

    weak_theme = np.full(org.n, -1, dtype=np.int8)
    helped = np.zeros(org.n, dtype=bool)
    for e, theme, ok in weak:
        weak_theme[e] = C.WEAK_THEMES.index(theme)
        helped[e] = ok
    praised = np.zeros(org.n, dtype=bool)
    praised[praise] = True
    warmth = rng.lognormal(0, 0.3, org.n).astype(np.float32)
    warmth[praise] = 1.0

    engagement = rng.normal(0, 0.6, len(org.team_ids))
    engagement[org.drop_team] = abs(engagement[org.drop_team])  # a good team until it drops
    effect = 0.3 * engagement + rng.normal(0, 0.15, len(org.team_ids))

    candidates = cust.legacy_card_holders()
    k = int(round(C.INCIDENT_CONTACT_SHARE * len(candidates)))
    complainers = np.sort(rng.choice(candidates, k, replace=False)).astype(np.int32)
    return Plan(
        drop_team=org.drop_team,
        drop_month=C.month_index(C.ENGAGEMENT_DROP_MONTH),
        weak=weak,
        praise=praise,
        extra_coached=extra,
        weak_theme=weak_theme,
        helped=helped,
        praised=praised,
        warmth=warmth,
        team_engagement=engagement,
        team_effect=effect,
        candidates=candidates,
        complainers=complainers,
        scale=size.effect_scale,
    )
