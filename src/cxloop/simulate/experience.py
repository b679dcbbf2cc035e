"""Survey responses and the latent model that drives their scores.

Each post-contact response starts from a latent satisfaction on the 0-10 scale:
the customer's own disposition, channel, reason, agent skill and tenure, team, the
wait (mildly, then sharply past the planted threshold on the phone), transfers,
resolution, repeat contact, the incident, the agent's behaviour on the contact (weak
themes, praise) and the planted team drop. NPS, CSAT, CES and the rating items are
noisy readings of it. Relationship surveys (not tied to a contact) read the customer's
product and whether the incident hit them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import config as C
from .customers import Customers
from .interactions import Contacts
from .org import Org
from .plan import Plan
from .reasons import REASON_EFFECT

BASE = 8.95
CHANNEL_EFFECT = np.array([0.0, -0.1, -0.45, 0.4, -0.8])
SEGMENT_EFFECT = np.array([0.0, 0.15, -0.25])
PRODUCT_EFFECT = np.array([-0.15, -0.1, 0.1, 0.0])
BEHAVIOUR_EFFECT = {"did not listen": -2.0, "rude or dismissive": -2.8, "wrong information": -2.0,
                    "no call back": -1.8}  # fmt: skip
PRAISE = ("friendly agent", "knowledgeable agent", "went the extra mile")
PRAISE_EFFECT = np.array([0.6, 0.5, 1.0])
ITEMS = ("knowledge", "courtesy", "speed", "resolution")


def latent_effects(plan: Plan) -> dict:
    """Every effect of the latent model, as written to truth.json."""
    return {
        "base": BASE,
        "channel": dict(zip(C.CHANNELS, CHANNEL_EFFECT.tolist(), strict=True)),
        "wait_per_second_up_to_threshold": -0.0012,
        "wait_threshold_shift": plan.wait_shift,
        "per_transfer": -0.55,
        "unresolved": -1.6,
        "repeat_contact": -0.6,
        "new_agent_first_60_days": -0.3,
        "agent_skill_weight": 0.9,
        "incident_contact": -1.8,
        "team_drop": plan.team_shift,
        "behaviour": BEHAVIOUR_EFFECT,
        "praise": dict(zip(PRAISE, PRAISE_EFFECT.tolist(), strict=True)),
        "noise_sd": 1.5,
    }


@dataclass
class Responses:
    """Survey responses as column arrays (post-contact first, then relationship)."""

    contact: np.ndarray  # index into Contacts, -1 for relationship surveys
    cust: np.ndarray
    emp: np.ndarray
    team: np.ndarray
    channel: np.ndarray
    day: np.ndarray  # day of the contact (or of the survey)
    time: np.ndarray  # seconds since START of the answer
    latent: np.ndarray
    nps_full: np.ndarray  # the score before any were skipped
    nps: np.ndarray
    csat: np.ndarray
    ces: np.ndarray
    items: dict[str, np.ndarray]
    behaviour: np.ndarray  # (n, 4) bool: weak themes shown on the contact
    praise: np.ndarray  # (n, 3) bool
    names_agent: np.ndarray
    incident_felt: np.ndarray  # the incident colours this response
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.cust)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _behaviour(rng, plan: Plan, emp: np.ndarray, day: np.ndarray) -> np.ndarray:  # noqa: ANN001
    safe = np.maximum(emp, 0)
    after = day >= C.day_of(C.COACHING_DATE)
    out = np.zeros((len(emp), 4), dtype=bool)
    for j in range(4):
        weak = (plan.weak_theme[safe] == j) & (emp >= 0)
        p = np.where(weak, plan.weak_rate, C.BEHAVIOUR_BASE_RATE)
        p = np.where(weak & after & plan.helped[safe], C.BEHAVIOUR_BASE_RATE * 1.2, p)
        out[:, j] = (rng.random(len(emp)) < p) & (emp >= 0)
    return out


def _praise(rng, org: Org, plan: Plan, emp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    safe = np.maximum(emp, 0)
    strong = plan.praised[safe]
    n = len(emp)
    p = np.stack(
        [
            np.where(strong, C.PRAISE_STRONG_RATE, C.PRAISE_BASE_RATE * plan.warmth[safe]),
            0.11 * np.exp(org.skill[safe]),
            np.where(strong, 0.12, 0.035),
        ],
        axis=1,
    )
    out = (rng.random((n, 3)) < p) & (emp >= 0)[:, None]
    named = out.any(axis=1) & (
        rng.random(n) < np.where(strong, C.NAME_STRONG_RATE, C.NAME_BASE_RATE)
    )
    return out, named


def _post_contact(rng, k: Contacts, org: Org, cust: Customers, plan: Plan) -> Responses:  # noqa: ANN001
    pick = np.flatnonzero(k.answered & (rng.random(len(k)) < C.SURVEY_RATE[k.channel]))
    ch, emp, team, day = k.channel[pick], k.emp[pick], k.team[pick], k.day[pick]
    who = k.cust[pick]
    wait = np.nan_to_num(k.wait[pick]).astype(np.float64)
    transfers = k.transfers[pick].astype(np.float64)
    unresolved = (k.resolved[pick] == 0).astype(np.float64)
    behaviour = _behaviour(rng, plan, emp, day)
    praise, named = _praise(rng, org, plan, emp)
    praise &= ~behaviour[:, :2].any(axis=1)[:, None]  # no praise for a rude or deaf agent
    named &= praise.any(axis=1)
    month = C.MONTH_OF_DAY[day]
    m = plan.drop_month
    dropped = (team == plan.drop_team) & (month > m) & (month <= m + C.LOW_MONTHS)
    new = day - np.array(org.started)[emp] < 60
    timed = ch <= C.CHAT
    latent = (
        BASE
        + cust.disposition[who]
        + CHANNEL_EFFECT[ch]
        + SEGMENT_EFFECT[cust.segment[who]]
        + REASON_EFFECT[k.reason[pick]]
        + 0.9 * org.skill[emp]
        + plan.team_effect[team]
        - 0.3 * new
        - 0.0012 * np.minimum(wait, C.WAIT_THRESHOLD_SECONDS) * timed
        + plan.wait_shift * _sigmoid((wait - C.WAIT_THRESHOLD_SECONDS) / 6) * (ch == C.PHONE)
        - 0.55 * transfers
        - 1.6 * unresolved
        - 0.6 * k.repeat[pick]
        - 1.8 * k.incident[pick]
        + plan.team_shift * dropped
        + behaviour @ np.array(list(BEHAVIOUR_EFFECT.values()))
        + praise @ PRAISE_EFFECT
        + rng.normal(0, 1.5, len(pick))
    )
    delay = np.minimum(rng.lognormal(np.log(1500), 1.2, len(pick)), 3 * C.DAY)
    handled = np.nan_to_num(k.talk[pick] + k.hold[pick] + k.wrap[pick])
    time = np.minimum(
        k.time[pick] + handled.astype(np.int64) + delay.astype(np.int64), C.N_DAYS * C.DAY - 1
    )
    r = Responses(
        contact=pick.astype(np.int64), cust=who, emp=emp, team=team, channel=ch, day=day, time=time,
        latent=latent, nps_full=np.zeros(0), nps=np.zeros(0), csat=np.zeros(0), ces=np.zeros(0),
        items={}, behaviour=behaviour, praise=praise, names_agent=named,
        incident_felt=k.incident[pick].copy(),
    )  # fmt: skip
    r.extras = {
        "wait": wait,
        "transfers": transfers,
        "unresolved": unresolved,
        "repeat": k.repeat[pick],
    }
    return r


def _relationship(rng, n: int, cust: Customers, plan: Plan, affected: np.ndarray) -> Responses:  # noqa: ANN001
    day = rng.integers(0, C.N_DAYS, n).astype(np.int32)
    who = cust.pick(rng, day)
    start, end = C.day_of(C.INCIDENT_START), C.day_of(C.INCIDENT_END)
    felt = affected[who] & (day >= start) & (day <= end + 45)
    latent = (
        BASE - 0.5
        + cust.disposition[who]
        + SEGMENT_EFFECT[cust.segment[who]]
        + PRODUCT_EFFECT[cust.product[who]]
        - 1.3 * felt
        + rng.normal(0, 1.5, n)
    )  # fmt: skip
    time = day.astype(np.int64) * C.DAY + rng.integers(9 * 3600, 22 * 3600, n)
    none = np.full(n, -1)
    return Responses(
        contact=none.astype(np.int64), cust=who, emp=none.astype(np.int32), team=none.astype(np.int16),
        channel=none.astype(np.int8), day=day, time=time, latent=latent, nps_full=np.zeros(0),
        nps=np.zeros(0), csat=np.zeros(0), ces=np.zeros(0), items={},
        behaviour=np.zeros((n, 4), dtype=bool), praise=np.zeros((n, 3), dtype=bool),
        names_agent=np.zeros(n, dtype=bool), incident_felt=felt,
        extras={"wait": np.zeros(n), "transfers": np.zeros(n), "unresolved": np.zeros(n),
                "repeat": np.zeros(n, dtype=bool)},
    )  # fmt: skip


def _scores(rng, r: Responses) -> None:  # noqa: ANN001
    n, L = len(r), r.latent
    x = r.extras
    v = L + rng.normal(0, 0.6, n)
    v = np.where(v < 6, v - 0.8 * (6 - v), v)  # unhappy customers score very low
    nps = np.clip(np.rint(v), 0, 10).astype(np.int8)
    csat = np.clip(np.rint(1 + 4 * _sigmoid((L - 5.6) / 1.3) + rng.normal(0, 0.45, n)), 1, 5)
    ces = 5.6 - 0.45 * x["transfers"] - 1.1 * x["unresolved"] - 0.6 * (x["wait"] > 240)
    ces = np.clip(
        np.rint(ces - 0.5 * x["repeat"] + 0.25 * (L - BASE) + rng.normal(0, 0.9, n)), 1, 7
    )
    b, p = r.behaviour.astype(float), r.praise.astype(float)
    items = {
        "knowledge": L - 2.5 * b[:, 2] - 1.0 * b[:, 0] + 0.6 * p[:, 1],
        "courtesy": L - 3.0 * b[:, 1] - 0.8 * b[:, 0] + 0.8 * p[:, 0],
        "speed": 8.6
        - 2.4 * np.minimum(x["wait"], 900) / 240
        + 0.3 * (L - BASE)
        - 0.5 * x["transfers"],
        "resolution": L - 1.5 * x["unresolved"],
    }
    relationship = r.contact < 0
    for name, v in items.items():
        v = np.clip(np.rint(v + rng.normal(0, 1.0, n)), 0, 10).astype(np.float32)
        v[relationship | (rng.random(n) < 0.07)] = np.nan
        r.items[name] = v
    skip_nps = rng.random(n) < 0.02
    skip_csat = rng.random(n) < 0.12
    skip_ces = (rng.random(n) < 0.22) | relationship
    skip_nps &= ~(skip_csat & skip_ces)
    r.nps_full = nps
    r.nps = np.where(skip_nps, -1, nps).astype(np.int8)
    r.csat = np.where(skip_csat, -1, csat).astype(np.int8)
    r.ces = np.where(skip_ces, -1, ces).astype(np.int8)


def simulate_responses(
    rng, size: C.Size, k: Contacts, org: Org, cust: Customers, plan: Plan, affected: np.ndarray
) -> Responses:  # noqa: ANN001
    """Post-contact and relationship survey responses, ordered by answer time."""
    post = _post_contact(rng, k, org, cust, plan)
    rel = _relationship(rng, int(round(size.relationship_share * len(post))), cust, plan, affected)
    merged = {}
    for name in Responses.__dataclass_fields__:
        a, b = getattr(post, name), getattr(rel, name)
        if name in ("items", "extras", "nps_full", "nps", "csat", "ces"):
            merged[name] = a
        else:
            merged[name] = np.concatenate([a, b])
    r = Responses(**merged)
    r.extras = {key: np.concatenate([post.extras[key], rel.extras[key]]) for key in post.extras}
    order = np.argsort(r.time, kind="stable")
    for name in Responses.__dataclass_fields__:
        v = getattr(r, name)
        if isinstance(v, np.ndarray) and len(v) == len(order):
            setattr(r, name, v[order])
    r.extras = {key: v[order] for key, v in r.extras.items()}
    _scores(rng, r)
    return r
