"""Did the coaching work? Each coached focus area against similar uncoached agents.

A **coached area** is one agent coached on one focus area (:mod:`.focus`): a session ×
attendee × focus. A follow-up session on the same area (``follow_up_of``, as
:mod:`.sessions` links them) is part of the same coaching, not a new one; the
coaching dates from its first session and counts as followed up.

For each area the agent's metric (:mod:`.effect_data`: a theme's share of their tagged
comments, their customers' NPS or CSAT, a KPI per contact) is taken in two windows,

* before: ``[held_on − coaching.before_days, held_on)``,
* after: ``[held_on + coaching.settle_days, that + coaching.after_days)``,

each cut at the data's start or end (the area says so: ``cut_at_data_start``,
``cut_at_data_end``),

and compared with **uncoached peers** over the same windows: every other agent (role
agent) not coached on that focus area by any session held from the start of the
before window to the end of the after window, who has at least one answer (contact
for a KPI) in each window. Peers are pooled over the whole centre: a behaviour theme is
rare (about 2% of comments), so a team's handful of peers would add noise, not
likeness; the peer trend removes what moved for everyone (season, a product change).

Difference in differences (DiD) = (after − before)_agent − (after − before)_peers, with
a 95% bootstrap interval (:mod:`.effect_stats`). Fewer than ``coaching.min_comments``
answers in either window: "not enough feedback yet to judge", no verdict. Otherwise:

* "likely a real improvement": the 95% interval lies wholly on the good side of 0;
* "likely got worse": wholly on the bad side;
* "no clear change": anything else.

Measured on the medium demo (180-day windows): the programme's four helped agents drop
11-24 points against their peers, two of them clearly enough for "likely a real
improvement"; none of the eight agents it did not help (or who were at baseline) gets
one; routine sessions with no programme get it in 5 of 343 judged areas (1.5%, the
false-positive rate). :mod:`.effect_summary` pools areas per programme, leader, kind
of session, follow-up or focus: which kind of coaching works.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import AnalysisError, RecordInvalid
from . import effect_stats as st
from .effect_data import Daily, Measure, load_daily, measure_for
from .effect_text import area_sentence, pick_level
from .focus import Focus, parse_focus

NOT_ENOUGH = "not enough feedback yet to judge"
TOO_SOON = "too soon to judge"
NOT_MEASURED = "not measured per agent"
VERDICTS = {"improved": "likely a real improvement", "worse": "likely got worse",
            "no clear change": "no clear change"}  # fmt: skip


@dataclass
class CoachedArea:
    """One agent coached on one focus area, and whether it worked."""

    agent_id: str
    name: str | None
    team_id: str | None
    leader_id: str
    focus: str
    focus_label: str
    focus_kind: str
    better: str
    programme: str | None
    session_kind: str
    session_id: int
    held_on: dt.date
    sessions: int
    followed_up: bool
    before_from: dt.date
    before_to: dt.date
    after_from: dt.date
    after_to: dt.date
    cut_at_data_end: bool
    cut_at_data_start: bool = False
    unit: str = "%"
    n_before: int = 0
    n_after: int = 0
    before: float | None = None
    after: float | None = None
    peers_before: float | None = None
    peers_after: float | None = None
    n_peers: int = 0
    did: float | None = None
    low: float | None = None
    high: float | None = None
    status: str = NOT_ENOUGH
    verdict: str | None = None
    sentence: str = ""
    draws: np.ndarray | None = field(default=None, repr=False)

    @property
    def judged(self) -> bool:
        return self.verdict is not None

    @property
    def gain(self) -> float | None:
        """The DiD turned so that positive is better (a theme share falling is a gain)."""
        if self.did is None:
            return None
        return -self.did if self.better == "lower" else self.did

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "draws"}
        return out


@dataclass
class _Coaching:
    agent: str
    focus: str
    first: Any  # the first session
    sessions: int = 1
    followed_up: bool = False


def coachings(sessions: list) -> list[_Coaching]:
    """Session × attendee × focus, a follow-up session folded into the coaching it follows.

    A coaching is followed up when a later session follows it up (``follow_up_of``) with
    the same agent and focus area, or when its session was marked followed up with no
    follow-up session logged (a follow-up done outside cxloop).
    """
    by_id = {s.id: s for s in sessions}
    has_follow_up = {s.follow_up_of for s in sessions if s.follow_up_of}
    found: dict[tuple[int, str, str], _Coaching] = {}
    for s in sorted(sessions, key=lambda s: (s.held_on, s.id)):
        for agent in s.agents:
            for focus in s.focus_areas:
                root = _root(s, agent, focus, by_id)
                key = (root.id, agent, focus)
                c = found.get(key)
                if c is None:
                    found[key] = c = _Coaching(agent, focus, root)
                    c.followed_up = bool(s.followed_up_on) and s.id not in has_follow_up
                else:
                    c.sessions += 1
                    c.followed_up = True
    return list(found.values())


def _root(s, agent: str, focus: str, by_id: dict):
    seen = set()
    while s.follow_up_of and s.follow_up_of in by_id and s.id not in seen:
        seen.add(s.id)
        parent = by_id[s.follow_up_of]
        if agent not in parent.agents or focus not in parent.focus_areas:
            break
        s = parent
    return s


def _sessions(ws) -> list:
    from .sessions import list_sessions

    return list_sessions(ws)


def coaching_effect(
    ws,
    *,
    agent: str | None = None,
    leader: str | None = None,
    team: str | None = None,
    programme: str | None = None,
    focus: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    actor: str | None = None,
    before_days: int | None = None,
    after_days: int | None = None,
    sessions: list | None = None,
) -> list[CoachedArea]:
    """Every coached area matching the filters, judged against uncoached peers.

    ``since``/``until`` select coachings by the date of their first session.
    ``actor``: only agents the actor may see (:mod:`.access`). ``sessions``: the
    sessions to use instead of the app store's (all of them: peers are chosen from
    them too).
    """
    cfg = ws.settings.coaching
    before_days = cfg.before_days if before_days is None else before_days
    after_days = cfg.after_days if after_days is None else after_days
    if before_days < 1 or after_days < 1:
        raise AnalysisError("before and after windows need at least one day")
    allowed = _visible(ws, actor, agent)
    every = _sessions(ws) if sessions is None else sessions
    all_coachings = coachings(every)
    focus_name = _focus_name(ws, focus) if focus else None
    daily = load_daily(ws)
    teams = _teams(ws)
    chosen = [c for c in all_coachings
              if (agent is None or c.agent == agent)
              and (leader is None or c.first.leader_id == leader)
              and (team is None or teams.get(c.agent, (None,))[0] == team)
              and (programme is None or (c.first.programme or "").lower() == programme.lower())
              and (focus_name is None or c.focus == focus_name)
              and (since is None or c.first.held_on >= since)
              and (until is None or c.first.held_on <= until)
              and (allowed is None or c.agent in allowed)]  # fmt: skip
    areas = [_area(c, teams, daily, before_days, after_days, cfg.settle_days) for c in chosen]
    _judge(ws, areas, every, daily, cfg.min_comments)
    return sorted(areas, key=lambda a: (a.held_on, a.agent_id, a.focus))


def _visible(ws, actor, agent) -> set[str] | None:
    if actor is None:
        return None
    from .access import require_can_see_agent, visible_agents

    if agent is not None:
        require_can_see_agent(ws, actor, agent, what="plan")
    return visible_agents(ws, actor)


def _focus_name(ws, name: str) -> str:
    return parse_focus(ws, name).name


def _teams(ws) -> dict[str, tuple[str | None, str | None]]:
    e = ws.analytics.table("employees")
    rows = ws.analytics.con.to_pyarrow(e.select("employee_id", "team_id", "name")).to_pylist()
    return {r["employee_id"]: (r["team_id"], r["name"]) for r in rows}


def _area(c: _Coaching, teams, daily: Daily, before: int, after: int, settle: int) -> CoachedArea:
    held = c.first.held_on
    after_from = held + dt.timedelta(days=settle)
    after_to = after_from + dt.timedelta(days=after)
    team, name = teams.get(c.agent, (None, None))
    return CoachedArea(
        agent_id=c.agent, name=name, team_id=team, leader_id=str(c.first.leader_id),
        focus=c.focus, focus_label=c.focus, focus_kind="theme", better="lower",
        programme=c.first.programme, session_kind=c.first.kind, session_id=c.first.id,
        held_on=held, sessions=c.sessions, followed_up=c.followed_up,
        before_from=max(held - dt.timedelta(days=before), daily.first), before_to=held,
        cut_at_data_start=held - dt.timedelta(days=before) < daily.first,
        after_from=after_from, after_to=min(after_to, daily.end),
        cut_at_data_end=after_to > daily.end,
    )  # fmt: skip


def _judge(ws, areas: list[CoachedArea], every: list, daily: Daily, minimum: int) -> None:
    """Fill in each area's counts, peers, DiD and verdict, one batch per kind of measure."""
    foci: dict[str, Focus | None] = {}
    for a in areas:
        if a.focus not in foci:
            try:
                foci[a.focus] = parse_focus(ws, a.focus)
            except (AnalysisError, RecordInvalid):  # no longer in the taxonomy
                foci[a.focus] = None
    coached_on = _coached_days(every, daily)
    daily.need_themes({f.name for f in foci.values() if f and f.kind == "theme"})
    batches: dict[str, list[tuple[CoachedArea, Measure]]] = defaultdict(list)
    for a in areas:
        f = foci[a.focus]
        m = measure_for(f) if f else None
        if f:
            a.focus_label, a.focus_kind, a.better = f.label, f.kind, f.better
        if m is None:
            a.status, a.sentence = NOT_MEASURED, f"{a.focus_label} is not measured per agent."
            continue
        a.unit = m.unit
        if a.after_from >= daily.end:
            a.status = TOO_SOON
            a.sentence = (
                f"Too soon to judge: the after window starts {a.after_from}, after the data."
            )
            continue
        batches[m.kind].append((a, m))
    for kind, batch in batches.items():
        _judge_batch(kind, batch, daily, coached_on, minimum)


def _coached_days(every: list, daily: Daily) -> dict[str, list[tuple[int, dt.date]]]:
    idx = daily.index
    out: dict[str, list[tuple[int, dt.date]]] = defaultdict(list)
    for s in every:
        for f in s.focus_areas:
            out[f].extend((idx[a], s.held_on) for a in s.agents if a in idx)
    return out


def _judge_batch(kind, batch, daily: Daily, coached_on, minimum: int) -> None:
    idx = daily.index
    n_agents, m = len(daily.agents), len(batch)
    a_stats = {w: np.zeros((3, m)) for w in ("before", "after")}
    peers = {w: (np.zeros((n_agents, m)), np.zeros((n_agents, m))) for w in ("before", "after")}
    n_peers = np.zeros(m, dtype=int)
    for j, (a, meas) in enumerate(batch):
        spans = {"before": (a.before_from, a.before_to), "after": (a.after_from, a.after_to)}
        cols = {}
        for w, (lo, hi) in spans.items():
            cols[w] = [daily.window(s, lo, hi) if s else np.zeros(n_agents)
                       for s in (meas.n, meas.hits, meas.bad)]  # fmt: skip
        mask = (cols["before"][0] > 0) & (cols["after"][0] > 0)
        for i, held in coached_on.get(a.focus, []):
            if a.before_from <= held < a.after_to:
                mask[i] = False
        me = idx.get(a.agent_id)
        if me is not None:
            mask[me] = False
            for w in spans:
                a_stats[w][:, j] = [c[me] for c in cols[w]]
        n_peers[j] = int(mask.sum())
        for w in spans:
            counts = st.Counts(kind, cols[w][0], cols[w][1], cols[w][2])
            peers[w][0][:, j] = np.where(mask, counts.numerator(), 0.0)
            peers[w][1][:, j] = np.where(mask, cols[w][0], 0.0)
    counts = {w: st.Counts(kind, s[0], s[1], s[2]) for w, s in a_stats.items()}
    keys = [zlib.crc32(f"{a.session_id}|{a.agent_id}|{a.focus}".encode()) for a, _ in batch]
    result = st.difference_in_differences(counts["before"], counts["after"],
                                          peers["before"], peers["after"], keys=keys)  # fmt: skip
    low, high = result.interval(0.95)
    for j, (a, _) in enumerate(batch):
        a.n_before, a.n_after = int(a_stats["before"][0, j]), int(a_stats["after"][0, j])
        a.before, a.after = _num(result.agent_before[j]), _num(result.agent_after[j])
        a.peers_before, a.peers_after = _num(result.peers_before[j]), _num(result.peers_after[j])
        a.n_peers = int(n_peers[j])
        if min(a.n_before, a.n_after) < minimum or a.n_peers == 0:
            a.status = NOT_ENOUGH
            a.sentence = area_sentence(a, minimum)
            continue
        a.did, a.low, a.high = _num(result.did[j]), _num(low[j]), _num(high[j])
        a.draws = result.draws[j]
        a.status = "judged"
        a.verdict = VERDICTS[pick_level(a.low, a.high, a.better)]
        a.sentence = area_sentence(a, minimum)


def _num(v) -> float | None:
    v = float(v)
    return None if np.isnan(v) else round(v, 4)
