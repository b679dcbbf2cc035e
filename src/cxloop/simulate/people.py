"""The people side: monthly anonymous pulses, 1:1 check-ins and coaching sessions.

Pulse answers follow each team's latent engagement plus individual noise; the planted
team's engagement (eNPS and every item, leader support most) falls in the drop month,
the month its leader left, and stays low for a few months. Check-ins are roughly
monthly and pause in that team while it has no settled leader. The coaching
programme coaches the planted agents on their weak theme on one date; agents the
programme helped get a follow-up session four weeks later.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from . import config as C
from .comment_text import compile_template, expand, phrase_bank
from .org import Org
from .plan import Plan
from .themes import THEMES

PULSE_ITEMS = ("workload", "recognition", "growth", "leader_support", "tools")
_ITEM_OFFSET = np.array([-0.4, -0.1, -0.2, 0.2, -0.1])
_ROUTINE_THEMES = tuple(t.name for t in THEMES if t.group in ("agent manner", "resolution"))


@dataclass
class People:
    """Pulses, check-ins and coaching as columns (employee and day indices)."""

    pulse_team: np.ndarray
    pulse_month: np.ndarray
    pulse_enps: np.ndarray
    pulse_items: dict[str, np.ndarray]
    pulse_token: list[str]
    pulse_comment: list[str | None]
    checkin_emp: np.ndarray
    checkin_leader: np.ndarray
    checkin_day: np.ndarray
    checkin_notes: list[str | None]
    coaching_emp: np.ndarray
    coaching_leader: np.ndarray
    coaching_day: np.ndarray
    coaching_theme: list[str]
    coaching_programme: list[str | None]


def _dropped(plan: Plan, team: np.ndarray, month: np.ndarray) -> np.ndarray:
    return (
        (team == plan.drop_team)
        & (month >= plan.drop_month)
        & (month < plan.drop_month + C.LOW_MONTHS)
    )


def _pulses(rng: np.random.Generator, rnd: random.Random, org: Org, plan: Plan) -> dict:
    rows = []
    for m in range(C.N_MONTHS):
        for t in range(len(org.team_ids)):
            for e in org.agents_on(t, int(C.MONTH_STARTS[m]) + 14):
                rows.append((t, m, e))
    team, month, emp = (np.array(c) for c in zip(*rows, strict=True))
    keep = rng.random(len(team)) < 0.8
    team, month, emp = team[keep], month[keep], emp[keep]
    n = len(team)
    level = (
        plan.team_engagement[team]
        + rng.normal(0, 0.15, (len(org.team_ids), C.N_MONTHS))[team, month]
    )
    person = rng.normal(0, 1.0, n)
    drop = _dropped(plan, team, month)
    enps = np.clip(np.rint(7.0 + 1.2 * level + 1.6 * person + plan.enps_shift * drop), 0, 10)
    enps = enps.astype(np.int8)  # the pulse's one required score: never skipped
    items = {}
    for j, name in enumerate(PULSE_ITEMS):
        shift = plan.item_shift * drop * (1.4 if name == "leader_support" else 1.0)
        v = 3.6 + 0.45 * level + 0.5 * person + _ITEM_OFFSET[j] + shift + rng.normal(0, 0.6, n)
        v = np.clip(np.rint(v), 1, 5).astype(np.float32)
        v[rng.random(n) < 0.03] = np.nan
        items[name] = v
    bank = phrase_bank()["pulse"]
    banks = {k: [compile_template(x) for x in v] for k, v in bank.items()}
    talk = (rng.random(n) < 0.25).tolist()
    score = enps.tolist()
    comments: list[str | None] = []
    for i in range(n):
        if not talk[i]:
            comments.append(None)
            continue
        leader = org.first[
            int(org.leader(np.array([team[i]]), np.array([C.MONTH_STARTS[month[i]]]))[0])
        ]
        kind = (
            "drop"
            if drop[i] and rnd.random() < 0.7
            else "positive"
            if score[i] >= 8
            else "negative"
        )
        if kind == "drop":
            leader = org.first[
                int(org.lead_emp[np.searchsorted(org.lead_key, team[i] * 10**5, side="right")])
            ]
        text = expand(rnd, rnd.choice(banks[kind]), {"leader": leader})
        comments.append(text[:1].upper() + text[1:])
    tokens = [f"{x:012x}" for x in rng.integers(0, 2**48, n).tolist()]
    order = np.lexsort((team, month))
    return {
        "pulse_team": team[order], "pulse_month": month[order], "pulse_enps": enps[order],
        "pulse_items": {k: v[order] for k, v in items.items()},
        "pulse_token": [tokens[i] for i in order], "pulse_comment": [comments[i] for i in order],
    }  # fmt: skip


def _checkins(rng: np.random.Generator, rnd: random.Random, org: Org, plan: Plan) -> dict:
    bank = {k: [compile_template(x) for x in v] for k, v in phrase_bank()["checkin"].items()}
    coached = dict(plan.coached())
    started, left = np.array(org.started), np.array(org.left)
    emp_rows, lead_rows, day_rows, notes = [], [], [], []
    for e in range(org.n):
        if org.role[e] not in ("agent", "team_leader"):
            continue
        for m in range(C.N_MONTHS):
            lo = max(int(C.MONTH_STARTS[m]), started[e] + 7)
            hi = min(int(C.MONTH_STARTS[m + 1]) if m + 1 < C.N_MONTHS else C.N_DAYS, left[e])
            if hi <= lo:
                continue
            paused = (
                org.role[e] == "agent"
                and org.team[e] == plan.drop_team
                and plan.drop_month <= m <= plan.drop_month + 1
            )
            if rng.random() > (0.15 if paused else 0.8 if org.role[e] == "agent" else 0.7):
                continue
            day = int(rng.integers(lo, hi))
            if C.WEEKDAY[day] >= 5:
                day = max(lo, day - int(C.WEEKDAY[day]) + 4)
            if org.role[e] == "agent":
                leader = int(org.leader(np.array([org.team[e]]), np.array([day]))[0])
            else:
                leader = org.boss[e]
            slots = {"leader": org.first[leader], "theme": coached.get(e, "")}
            if e in coached and day >= C.day_of(C.COACHING_DATE) and rnd.random() < 0.5:
                text = expand(rnd, rnd.choice(bank["coaching"]), slots)
            elif paused or (
                org.team[e] == plan.drop_team and m == plan.drop_month + 2 and rnd.random() < 0.6
            ):
                text = expand(rnd, rnd.choice(bank["drop"]), slots)
            else:
                text = (
                    expand(rnd, rnd.choice(bank["topics"]), slots)
                    + "; "
                    + expand(rnd, rnd.choice(bank["actions"]), slots)
                )
            emp_rows.append(e)
            lead_rows.append(leader)
            day_rows.append(day)
            notes.append((text[:1].upper() + text[1:] + ".") if rnd.random() > 0.05 else None)
    day = np.array(day_rows)
    order = np.argsort(day, kind="stable")
    return {
        "checkin_emp": np.array(emp_rows)[order], "checkin_leader": np.array(lead_rows)[order],
        "checkin_day": day[order], "checkin_notes": [notes[i] for i in order],
    }  # fmt: skip


def _coaching(rng: np.random.Generator, org: Org, plan: Plan) -> dict:
    rows: list[tuple[int, int, str, str | None]] = []
    date = C.day_of(C.COACHING_DATE)
    for e, theme in plan.coached():
        rows.append((e, date, theme, C.PROGRAMME))
    for e, theme, helped in plan.weak:
        if helped:
            rows.append((e, date + C.FOLLOW_UP_DAYS, theme, C.PROGRAMME))
    coached = dict(plan.coached())
    for e in np.flatnonzero(np.array(org.role) == "agent").tolist():
        for q in range(0, C.N_DAYS, 91):
            lo, hi = max(q, org.started[e] + 30), min(q + 91, org.left[e], C.N_DAYS)
            if hi > lo and rng.random() < 0.3:
                options = [t for t in _ROUTINE_THEMES if t != coached.get(e)]
                rows.append(
                    (
                        e,
                        int(rng.integers(lo, hi)),
                        options[int(rng.integers(0, len(options)))],
                        None,
                    )
                )
    rows.sort(key=lambda x: (x[1], x[0]))
    emp = np.array([x[0] for x in rows])
    day = np.array([x[1] for x in rows])
    return {
        "coaching_emp": emp,
        "coaching_leader": org.leader(np.array(org.team)[emp], day),
        "coaching_day": day,
        "coaching_theme": [x[2] for x in rows],
        "coaching_programme": [x[3] for x in rows],
    }


def simulate_people(rng: np.random.Generator, seed: int, org: Org, plan: Plan) -> People:
    """Pulses, check-ins and coaching sessions for the whole window."""
    rnd = random.Random(seed * 104_729 + 3)
    return People(
        **_pulses(rng, rnd, org, plan),
        **_checkins(rng, rnd, org, plan),
        **_coaching(rng, org, plan),
    )
