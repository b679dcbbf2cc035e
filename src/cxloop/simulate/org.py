"""The simulated organisation: a head, site managers, teams with a leader, and agent seats.

Every team has a fixed number of seats; an agent sits in a seat until they leave and a
new starter takes it the next day, so each contact can be routed to a seat and from
there to whoever sat in it that day. The team chosen for the planted engagement drop
loses its leader at the start of the drop month (a new leader arrives that day).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import config as C
from .names import draw_names

GROUPS = ("voice", "digital", "branch")
#: Team group serving each channel (phone, chat, email, branch, social).
GROUP_OF_CHANNEL = np.array([0, 1, 1, 2, 1])
NEVER = 10**6  # "left" value of someone still employed
_K = 10**5  # key stride for (seat, day) look-ups


@dataclass
class Org:
    """Employees as column arrays plus seat and leader histories."""

    role: list[str] = field(default_factory=list)
    team: list[int] = field(default_factory=list)
    site: list[str] = field(default_factory=list)
    started: list[int] = field(default_factory=list)
    left: list[int] = field(default_factory=list)
    boss: list[int] = field(default_factory=list)  # manager of a leader / head of a manager
    ids: list[str] = field(default_factory=list)
    first: list[str] = field(default_factory=list)
    last: list[str] = field(default_factory=list)
    skill: np.ndarray = field(default_factory=lambda: np.zeros(0))
    team_ids: list[str] = field(default_factory=list)
    team_group: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    team_site: list[str] = field(default_factory=list)
    seat_team: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    occ_key: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    occ_emp: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    lead_key: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    lead_emp: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    drop_team: int = -1

    def add(self, role: str, team: int, site: str, started: int, left: int, boss: int) -> int:
        self.role.append(role)
        self.team.append(team)
        self.site.append(site)
        self.started.append(started)
        self.left.append(left)
        self.boss.append(boss)
        return len(self.role) - 1

    @property
    def n(self) -> int:
        return len(self.role)

    def occupant(self, seat: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Employee index sitting in each seat on each day."""
        q = seat.astype(np.int64) * _K + day + 1
        return self.occ_emp[np.searchsorted(self.occ_key, q, side="right") - 1]

    def leader(self, team: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Team leader of each team on each day."""
        q = np.asarray(team, dtype=np.int64) * _K + np.asarray(day) + 1
        return self.lead_emp[np.searchsorted(self.lead_key, q, side="right") - 1]

    def agents_on(self, team: int, day: int) -> list[int]:
        """Agents sitting in the team's seats on a day."""
        seats = np.flatnonzero(self.seat_team == team)
        return self.occupant(seats, np.full(len(seats), day)).tolist()

    def manager_of(self, e: int) -> int:
        """An employee's own leader at the end of their time (or of the window)."""
        if self.role[e] == "agent":
            day = min(self.left[e], C.N_DAYS - 1)
            return int(self.leader(np.array([self.team[e]]), np.array([day]))[0])
        return self.boss[e]

    def stayers(self) -> np.ndarray:
        """Agents employed before the window and still employed at its end."""
        role = np.array(self.role)
        started, left = np.array(self.started), np.array(self.left)
        return np.flatnonzero((role == "agent") & (started < 0) & (left == NEVER))


def _team_layout(rng: np.random.Generator, size: C.Size) -> tuple[np.ndarray, np.ndarray]:
    n = size.teams
    n_branch = max(1, round(0.09 * n))
    n_digital = round(0.36 * n)
    group = np.array([0] * (n - n_digital - n_branch) + [1] * n_digital + [2] * n_branch)
    seats = np.clip(size.agents_per_team + rng.integers(-1, 3, n), 4, None)
    return group, seats


def _sites(group: np.ndarray) -> list[str]:
    sites, voice = [], 0
    for g in group.tolist():
        if g == 0:
            sites.append(("Leeds", "Glasgow")[voice % 2])
            voice += 1
        else:
            sites.append(("Cardiff", "Branch network")[g - 1])
    return sites


def build_org(rng: np.random.Generator, size: C.Size) -> Org:
    """The whole organisation, with staff turnover over the window."""
    org = Org()
    group, seats = _team_layout(rng, size)
    org.team_group = group
    org.team_site = _sites(group)
    org.team_ids = [f"T{i + 1:02d}" for i in range(size.teams)]
    voice = np.flatnonzero(group == 0)
    org.drop_team = int(voice[np.argmax(seats[voice])])
    seats[org.drop_team] = round(1.6 * size.agents_per_team) + 2  # the biggest team
    head = org.add("head", -1, "Leeds", -int(rng.integers(1500, 4000)), NEVER, -1)
    manager_of_team = np.zeros(size.teams, dtype=int)
    for site in dict.fromkeys(org.team_site):
        teams = [t for t, s in enumerate(org.team_site) if s == site]
        for chunk in range(0, len(teams), 8):
            m = org.add("manager", -1, site, -int(rng.integers(700, 4000)), NEVER, head)
            manager_of_team[teams[chunk : chunk + 8]] = m
    change_day = int(C.MONTH_STARTS[C.month_index(C.ENGAGEMENT_DROP_MONTH)])
    lead_rows: list[tuple[int, int, int]] = []
    for t in range(size.teams):
        m = int(manager_of_team[t])
        site = org.team_site[t]
        if t == org.drop_team:
            old = org.add("team_leader", t, site, -int(rng.integers(300, 3000)), change_day - 1, m)
            new = org.add("team_leader", t, site, change_day, NEVER, m)
            lead_rows += [(t, -1, old), (t, change_day, new)]
        else:
            lead = org.add("team_leader", t, site, -int(rng.integers(300, 3000)), NEVER, m)
            lead_rows.append((t, -1, lead))
    occ_rows: list[tuple[int, int, int]] = []
    seat_team: list[int] = []
    for t in range(size.teams):
        for _ in range(int(seats[t])):
            seat = len(seat_team)
            seat_team.append(t)
            day, begun = -1, -int(rng.integers(20, 3000))
            while True:
                stay = int(rng.exponential(1000)) + (0 if begun < 0 else 60)
                end = max(day, 0) + stay
                leaves = end if end < C.N_DAYS - 1 else NEVER
                e = org.add("agent", t, org.team_site[t], begun, leaves, -1)
                occ_rows.append((seat, day, e))
                if leaves == NEVER:
                    break
                day = begun = leaves + 1
    org.seat_team = np.array(seat_team)
    occ = np.array(occ_rows, dtype=np.int64)
    org.occ_key = occ[:, 0] * _K + occ[:, 1] + 1
    org.occ_emp = occ[:, 2].astype(np.int32)
    lead = np.array(lead_rows, dtype=np.int64)
    org.lead_key = lead[:, 0] * _K + lead[:, 1] + 1
    org.lead_emp = lead[:, 2].astype(np.int32)
    order = np.argsort(org.lead_key, kind="stable")
    org.lead_key, org.lead_emp = org.lead_key[order], org.lead_emp[order]
    org.skill = rng.normal(0, 0.35, org.n).astype(np.float32)
    names = draw_names(rng, org.n)
    org.first = [f for f, _ in names]
    org.last = [s for _, s in names]
    org.ids = [f"E{i + 1:05d}" for i in range(org.n)]
    return org
