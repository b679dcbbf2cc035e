"""Contacts between customers and the centre, drawn column-wise with numpy.

First contacts arrive by the calendar; the incident adds contacts from the affected
customers who complain; unresolved contacts bring repeat contacts a few days later.
Queue waits are log-normal by channel with congestion at busy times; callers abandon
when their patience runs out; talk, hold and wrap are log-normal; transfers are
Poisson; whether the agent resolved the issue depends on transfers, wait, the reason,
the agent's skill and tenure.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from . import calendar
from . import config as C
from .customers import Customers
from .org import GROUP_OF_CHANNEL, Org
from .plan import Plan
from .reasons import COMPLEXITY, R, draw_reasons, route

_CALM = np.array([np.log(6), np.log(25), np.log(18_000), np.log(240), np.log(2_400)])
_CALM_SD = np.array([0.85, 0.8, 0.9, 0.7, 1.0])
_BUSY = np.array([np.log(300), np.log(200), np.log(18_000), np.log(240), np.log(2_400)])
_BUSY_SD = np.array([0.9, 0.7, 0.9, 0.7, 1.0])
_PATIENCE = np.array([np.log(520), np.log(240), np.inf, np.log(1_800), np.inf])
_PATIENCE_SD = np.array([1.0, 0.9, 0.0, 0.5, 0.0])
_TALK = np.array([290.0, 520.0, 260.0, 480.0, 180.0])
_WRAP = np.array([40.0, 60.0, 110.0, 70.0, 60.0])
_HOLD = np.array([1.0, 0.4, 0.0, 0.2, 0.0])
_TRANSFER = np.array([0.12, 0.08, 0.04, 0.05, 0.06])
_WRONG_INFO = C.WEAK_THEMES.index("wrong information")


@dataclass
class Contacts:
    """All contacts as column arrays (nulls: -1 for integers, NaN for floats)."""

    day: np.ndarray
    sec: np.ndarray
    channel: np.ndarray
    cust: np.ndarray
    reason: np.ndarray
    incident: np.ndarray
    repeat: np.ndarray
    queue: np.ndarray
    emp: np.ndarray
    team: np.ndarray
    offered: np.ndarray
    answered: np.ndarray
    abandoned: np.ndarray
    wait: np.ndarray
    talk: np.ndarray
    hold: np.ndarray
    wrap: np.ndarray
    transfers: np.ndarray
    resolved: np.ndarray

    def __len__(self) -> int:
        return len(self.day)

    @property
    def time(self) -> np.ndarray:
        """Seconds since START at midnight."""
        return self.day.astype(np.int64) * C.DAY + self.sec

    def take(self, idx: np.ndarray) -> Contacts:
        return Contacts(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})

    @staticmethod
    def concat(parts: list[Contacts]) -> Contacts:
        return Contacts(
            **{
                f.name: np.concatenate([getattr(p, f.name) for p in parts])
                for f in fields(Contacts)
            }
        )


def _lognormal(rng: np.random.Generator, mu: np.ndarray, sd: np.ndarray) -> np.ndarray:
    return np.exp(mu + sd * rng.standard_normal(len(mu)))


class _Centre:
    """Handles contacts: routing, queueing and the agent's work."""

    def __init__(self, rng: np.random.Generator, org: Org, cust: Customers, plan: Plan) -> None:
        self.rng, self.org, self.cust, self.plan = rng, org, cust, plan
        self.bad_day = rng.random(C.N_DAYS) < 0.04  # short-staffed days
        start, end = C.day_of(C.INCIDENT_START), C.day_of(C.INCIDENT_END)
        self.surge = np.zeros(C.N_DAYS, dtype=bool)
        self.surge[start : min(start + 7, end + 1)] = True
        seat_group = org.team_group[org.seat_team]
        self.seats = [np.flatnonzero(seat_group == g) for g in range(3)]
        self.started = np.array(org.started)

    def handle(self, day, sec, channel, cust, reason, incident, repeat) -> Contacts:  # noqa: ANN001
        rng, org, n = self.rng, self.org, len(day)
        queue = route(rng, self.cust.product[cust], channel, reason)
        seat = np.zeros(n, dtype=np.int64)
        group = GROUP_OF_CHANNEL[channel]
        for g in range(3):
            mask = group == g
            seat[mask] = self.seats[g][rng.integers(0, len(self.seats[g]), int(mask.sum()))]
        offered = ~((channel == C.PHONE) & (rng.random(n) < 0.04))  # IVR self-service
        load = calendar.load(channel, day, sec)
        p_busy = 0.035 + 0.15 * load**2 + 0.14 * self.bad_day[day]
        p_busy += 0.10 * (self.surge[day] & (channel <= C.CHAT))
        busy = rng.random(n) < p_busy
        mu = np.where(busy, _BUSY[channel], _CALM[channel])
        sd = np.where(busy, _BUSY_SD[channel], _CALM_SD[channel])
        need = _lognormal(rng, mu, sd)
        patience = _lognormal(rng, _PATIENCE[channel], _PATIENCE_SD[channel])
        abandoned = offered & (patience < need)
        answered = offered & ~abandoned
        wait = np.where(offered, np.round(np.where(abandoned, patience, need)), np.nan)

        emp = np.where(answered, org.occupant(seat, day), -1).astype(np.int32)
        team = np.where(answered, org.seat_team[seat], -1).astype(np.int16)
        safe = np.maximum(emp, 0)
        new = answered & (day - self.started[safe] < 60)
        coached = (day >= C.day_of(C.COACHING_DATE)) & self.plan.helped[safe]
        wrong = answered & (self.plan.weak_theme[safe] == _WRONG_INFO) & ~coached
        cx = COMPLEXITY[reason]
        lam = _TRANSFER[channel] + 0.35 * cx + 0.12 * new + 0.15 * wrong
        transfers = np.where(answered, rng.poisson(lam), -1).astype(np.int8)
        skill = org.skill[safe]
        slow = (wait > 600) & (channel <= C.CHAT)
        logit = 1.9 + 1.1 * skill - 0.9 * transfers - 0.6 * slow - 1.4 * cx - 0.5 * new
        logit -= 0.4 * ((channel == C.EMAIL) | (channel == C.SOCIAL)) + 0.6 * wrong + 0.7 * incident
        resolved = rng.random(n) < 1 / (1 + np.exp(-logit))
        resolved = np.where(answered, resolved, -1).astype(np.int8)
        talk = _TALK[channel] * (1 + 0.8 * cx) * np.where(new, 1.2, 1.0)
        talk = np.round(_lognormal(rng, np.log(talk), np.full(n, 0.5)))
        has_hold = rng.random(n) < (0.28 + 0.3 * (transfers > 0)) * _HOLD[channel]
        hold = has_hold * _lognormal(rng, np.full(n, np.log(45)), np.full(n, 0.8))
        hold += np.maximum(transfers, 0) * _lognormal(rng, np.full(n, np.log(50)), np.full(n, 0.5))
        wrap = np.round(_lognormal(rng, np.log(_WRAP[channel]), np.full(n, 0.5)))
        nan = np.float32(np.nan)
        return Contacts(
            day=day.astype(np.int32),
            sec=sec.astype(np.int64),
            channel=channel.astype(np.int8),
            cust=cust.astype(np.int32),
            reason=reason.astype(np.int16),
            incident=incident,
            repeat=repeat,
            queue=np.where(offered, queue, -1).astype(np.int16),
            emp=emp,
            team=team,
            offered=offered,
            answered=answered,
            abandoned=abandoned,
            wait=wait.astype(np.float32),
            talk=np.where(answered, talk, nan).astype(np.float32),
            hold=np.where(answered, np.round(hold), nan).astype(np.float32),
            wrap=np.where(answered, wrap, nan).astype(np.float32),
            transfers=transfers,
            resolved=resolved,
        )


def _incident_contacts(rng: np.random.Generator, plan: Plan):  # noqa: ANN202
    start, end = C.day_of(C.INCIDENT_START), C.day_of(C.INCIDENT_END)
    k = len(plan.complainers)
    offset = np.arange(end - start + 1)
    w = np.exp(-offset / 4.0)
    day = (start + rng.choice(offset, k, p=w / w.sum())).astype(np.int32)
    channel = rng.choice(5, k, p=[0.62, 0.22, 0.1, 0.0, 0.06]).astype(np.int8)
    return channel, day, calendar.sample_seconds(rng, channel, day)


def _repeats(rng: np.random.Generator, first: Contacts):  # noqa: ANN202
    src = np.flatnonzero((first.resolved == 0) & (rng.random(len(first)) < 0.45))
    channel = np.where(
        rng.random(len(src)) < 0.45,
        first.channel[src],
        np.where(rng.random(len(src)) < 0.7, C.PHONE, C.CHAT),
    ).astype(np.int8)
    day = first.day[src] + rng.exponential(2.0, len(src)).astype(np.int32)
    day = calendar.next_open(channel, day)
    keep = day < C.N_DAYS
    src, channel, day = src[keep], channel[keep], day[keep]
    sec = calendar.sample_seconds(rng, channel, day)
    done = first.sec[src] + np.nan_to_num(first.talk[src]).astype(np.int64)
    clash = (day == first.day[src]) & (sec <= done)
    day = np.where(clash, day + 1, day)
    day = calendar.next_open(channel, day)
    keep = day < C.N_DAYS
    src, channel, day = src[keep], channel[keep], day[keep]
    sec = calendar.sample_seconds(rng, channel, day)
    return src, channel, day, sec


def simulate_contacts(
    rng: np.random.Generator, size: C.Size, org: Org, cust: Customers, plan: Plan
) -> Contacts:
    """Every contact of the window, ordered by time."""
    centre = _Centre(rng, org, cust, plan)
    channel, day, sec = calendar.first_contacts(rng, size.contacts)
    order = np.argsort(day.astype(np.int64) * C.DAY + sec)  # arrays in time order gather fast
    channel, day, sec = channel[order], day[order], sec[order]
    who = cust.pick(rng, day)
    i_channel, i_day, i_sec = _incident_contacts(rng, plan)
    channel = np.concatenate([channel, i_channel])
    day = np.concatenate([day, i_day])
    sec = np.concatenate([sec, i_sec])
    who = np.concatenate([who, plan.complainers])
    incident = np.zeros(len(day), dtype=bool)
    incident[size.contacts :] = True
    reason = draw_reasons(rng, cust.product[who], channel)
    reason[incident] = R[C.INCIDENT_REASON]
    first = centre.handle(day, sec, channel, who, reason, incident, np.zeros(len(day), dtype=bool))
    src, r_channel, r_day, r_sec = _repeats(rng, first)
    order = np.argsort(r_day.astype(np.int64) * C.DAY + r_sec)
    src, r_channel, r_day, r_sec = src[order], r_channel[order], r_day[order], r_sec[order]
    again = centre.handle(
        r_day, r_sec, r_channel, first.cust[src], first.reason[src], first.incident[src],
        np.ones(len(src), dtype=bool),
    )  # fmt: skip
    both = Contacts.concat([first, again])
    return both.take(np.argsort(both.time, kind="stable"))
