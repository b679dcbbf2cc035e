"""The team leader's own development data, month by month, side by side.

One job: for one team leader and each of the last ``months`` months, put together

* **coaching cadence**: coaching sessions they held per agent of their team (an attendee
  of a workshop counts once), with the number of agents in the team that month;
* **follow-up completion**: of their sessions' follow-ups due that month (and due by
  now), the share done by the due date (``followed_up_on`` ≤ ``follow_up_on``), with n;
* **focus areas improved**: of the areas they coached that month with a verdict
  (:func:`cxloop.coach.effect.coaching_effect`), the share "likely a real improvement",
  with n judged;
* **the team's engagement**: eNPS (PRODUCT.md: the NPS formula on the pulse) and the
  engagement index from :func:`cxloop.insights.linkage.team_months`, which drops every
  pulse cell under ``privacy.min_pulse_group`` before anything is computed; a month
  without a value here is one too small to show (PRODUCT.md, Anonymity);
* **customer outcomes**: the team's NPS with its 95% margin (PRODUCT.md: 1.96 ·
  sqrt((p_P + p_D − (p_P − p_D)²) / n) · 100) and CSAT (top-two box) with its margin.

Visible to the leader, their manager chain, the head and admins
(:func:`cxloop.coach.access.require_can_see_leader`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..errors import MissingData
from ..insights.linkage import add_months
from ..metrics.dimensions import apply_filters, period_start
from ..metrics.formulas import DETRACTOR_MAX, PROMOTER_MIN, Z95
from .effect import VERDICTS, coaching_effect


@dataclass
class LeaderMonth:
    """One month of one team of the leader."""

    month: str
    team_id: str
    agents: int
    sessions: int
    sessions_per_agent: float | None
    follow_ups_due: int
    follow_ups_on_time: int
    follow_up_rate: float | None
    areas_judged: int
    areas_improved: int
    share_improved: float | None
    enps: float | None = None
    enps_n: int | None = None
    engagement: float | None = None
    engagement_margin: float | None = None
    engagement_n: int | None = None
    nps: float | None = None
    nps_margin: float | None = None
    nps_n: int = 0
    csat: float | None = None
    csat_margin: float | None = None
    csat_n: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class LeaderView:
    """A team leader's months, newest last, and a few plain sentences."""

    leader_id: str
    name: str | None
    teams: list[str]
    months: list[LeaderMonth]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"leader_id": self.leader_id, "name": self.name, "teams": self.teams,
                "months": [m.to_dict() for m in self.months], "notes": self.notes}  # fmt: skip


def leader_view(
    ws, leader_id: str, *, actor: str | None = None, months: int = 6,
    until: dt.date | None = None, sessions: list | None = None,
) -> LeaderView:  # fmt: skip
    """The leader's last ``months`` months up to ``until`` (default: the newest survey data)."""
    from ..act.cases_sync import load_org

    if actor is not None:
        from .access import require_can_see_leader

        require_can_see_leader(ws, actor, leader_id)
    org = load_org(ws)
    me = org.employee(leader_id) or leader_id
    teams = sorted(t for t, lead in org.leader_of_team.items() if lead == me)
    if not teams:
        raise MissingData(f"{leader_id!r} leads no team in the employees table")
    names = {me, org.name(me), leader_id}
    if sessions is None:
        from .sessions import list_sessions

        sessions = list_sessions(ws)
    mine = [s for s in sessions if str(s.leader_id) in names]
    last = _month(until or _data_end(ws))
    starts = [add_months(last, -k) for k in range(max(months, 1) - 1, -1, -1)]
    first, end = starts[0], add_months(last, 1)
    headcount = _agents(ws, teams, starts)
    areas = [
        a
        for name in sorted(names)
        for a in coaching_effect(
            ws, leader=name, since=first, until=end - dt.timedelta(days=1), sessions=sessions
        )
    ]
    outcomes = _outcomes(ws, teams, first, end)
    pulse = _pulse(ws, teams, first, end)
    today = min(dt.date.today(), end)
    rows = []
    for team in teams:
        for start in starts:
            stop = add_months(start, 1)
            inside = [s for s in mine if start <= s.held_on < stop]
            seen = sum(1 for s in inside for a in s.agents if org.team.get(a) == team)
            due = [s for s in mine if s.follow_up_on and start <= s.follow_up_on < min(stop, today)
                   and any(org.team.get(a) == team for a in s.agents)]  # fmt: skip
            on_time = sum(1 for s in due if s.followed_up_on and s.followed_up_on <= s.follow_up_on)
            judged = [a for a in areas if a.judged and a.team_id == team
                      and start <= a.held_on < stop]  # fmt: skip
            improved = sum(a.verdict == VERDICTS["improved"] for a in judged)
            n = headcount.get((team, start), 0)
            rows.append(LeaderMonth(
                f"{start:%Y-%m}", team, n, seen, round(seen / n, 2) if n else None,
                len(due), on_time, _pct(on_time, len(due)), len(judged), improved,
                _pct(improved, len(judged)),
                **pulse.get((team, start), {}), **outcomes.get((team, start), {}),
            ))  # fmt: skip
    return LeaderView(me, _name(ws, me), teams, rows, _notes(rows))


def _pct(k: int, n: int) -> float | None:
    return round(k / n * 100, 1) if n else None


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _data_end(ws) -> dt.date:
    r = ws.analytics.table("responses")
    v = ws.analytics.con.to_pyarrow(r.aggregate(m=r.responded_at.max())).column("m")[0].as_py()
    if v is None:
        raise MissingData("no survey responses loaded; run `cxloop ingest responses FILE`")
    return v.date() if isinstance(v, dt.datetime) else v


def _name(ws, employee_id: str) -> str | None:
    e = ws.analytics.table("employees")
    rows = ws.analytics.con.to_pyarrow(
        e.filter(e.employee_id == employee_id).select("name")).to_pylist()  # fmt: skip
    return rows[0]["name"] if rows else None


def _agents(ws, teams: list[str], starts: list[dt.date]) -> dict[tuple, int]:
    """Agents of each team employed at some point of each month."""
    e = ws.analytics.table("employees")
    rows = ws.analytics.con.to_pyarrow(
        e.filter((e.role == "agent") & e.team_id.isin(teams)).select(
            "team_id", "started_on", "left_on")).to_pylist()  # fmt: skip
    out: dict[tuple, int] = {}
    for start in starts:
        stop = add_months(start, 1)
        for r in rows:
            if (r["started_on"] is None or r["started_on"] < stop) and (
                    r["left_on"] is None or r["left_on"] >= start):  # fmt: skip
                out[(r["team_id"], start)] = out.get((r["team_id"], start), 0) + 1
    return out


def _outcomes(ws, teams: list[str], first: dt.date, end: dt.date) -> dict[tuple, dict]:
    """NPS and CSAT per team-month with their n and 95% margins (PRODUCT.md)."""
    t = apply_filters(ws.analytics.table("responses"), "responded_at", first,
                      end - dt.timedelta(days=1))  # fmt: skip
    t = t.filter(t.team_id.isin(teams))
    g = t.group_by(team_id=t.team_id, month=period_start(t.responded_at, "month")).aggregate(
        n=t.nps.count(),
        p=(t.nps >= PROMOTER_MIN).ifelse(1, 0).sum(),
        d=(t.nps <= DETRACTOR_MAX).ifelse(1, 0).sum(),
        c_n=t.csat.count(),
        c_k=(t.csat >= 4).ifelse(1, 0).sum(),
    )
    out = {}
    for r in ws.analytics.con.to_pyarrow(g).to_pylist():
        cell: dict[str, Any] = {"nps_n": r["n"], "csat_n": r["c_n"]}
        if r["n"]:
            pp, pd = r["p"] / r["n"], r["d"] / r["n"]
            var = pp + pd - (pp - pd) ** 2
            cell.update(nps=round((pp - pd) * 100, 1),
                        nps_margin=round(Z95 * (var / r["n"]) ** 0.5 * 100, 1))  # fmt: skip
        if r["c_n"]:
            c = r["c_k"] / r["c_n"]
            cell.update(csat=round(c * 100, 1),
                        csat_margin=round(Z95 * (c * (1 - c) / r["c_n"]) ** 0.5 * 100, 1))  # fmt: skip
        month = r["month"].date() if isinstance(r["month"], dt.datetime) else r["month"]
        out[(r["team_id"], month)] = cell
    return out


def _pulse(ws, teams: list[str], first: dt.date, end: dt.date) -> dict[tuple, dict]:
    """eNPS and engagement per team-month, only from cells the privacy rule lets through."""
    from ..insights.linkage import team_months

    if ws.analytics.count("pulses") == 0:
        return {}
    out = {}
    for (team, month), cell in team_months(ws, first, end - dt.timedelta(days=1)).items():
        month = month.date() if isinstance(month, dt.datetime) else month
        if team not in teams or "enps" not in cell and "engagement" not in cell:
            continue
        v: dict[str, Any] = {}
        if "enps" in cell:
            v.update(enps=round(cell["enps"] * 100, 1), enps_n=cell["enps_n"])
        if "engagement" in cell:
            n = cell["engagement_n"]
            v.update(engagement=round(cell["engagement"], 2), engagement_n=n,
                     engagement_margin=round(Z95 * (cell["engagement_var"] / n) ** 0.5, 2))  # fmt: skip
        out[(team, month)] = v
    return out


def _notes(rows: list[LeaderMonth]) -> list[str]:
    sessions = sum(r.sessions for r in rows)
    due = sum(r.follow_ups_due for r in rows)
    on_time = sum(r.follow_ups_on_time for r in rows)
    judged = sum(r.areas_judged for r in rows)
    improved = sum(r.areas_improved for r in rows)
    agents = max((r.agents for r in rows), default=0)
    out = [f"{sessions} coaching sessions with agents over {len({r.month for r in rows})} "
           f"months, for a team of up to {agents} agents."]  # fmt: skip
    out.append(f"Follow-ups done by their due date: {on_time} of {due}." if due
               else "No follow-ups fell due in these months.")  # fmt: skip
    out.append(f"Coached focus areas that likely improved: {improved} of {judged} judged."
               if judged else "No coached focus area of these months can be judged yet "
               "(too little feedback since, or too soon).")  # fmt: skip
    hidden = sum(1 for r in rows if r.enps is None and r.engagement is None)
    if hidden:
        out.append(f"{hidden} team-months show no engagement: no pulse, or fewer respondents "
                   "than the privacy minimum.")  # fmt: skip
    return out
