"""The demo workspace: simulate a company, ingest it like any customer's files, analyse it.

``build_demo`` goes through the same public ingest path a user's files take, then
tags every comment with the default taxonomy, opens cases for the last month's
responses that meet the case rules and imports the team leaders' coaching history, so
the demo proves the pipeline end to end; ``summarise`` is the analysis printed at the
end, with the insights' headlines.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
from sqlalchemy import select

from . import insights, metrics
from .act.cases_sync import SyncResult, sync_cases
from .coach.effect_summary import coaching_effect_summary
from .coach.importer import ImportResult, import_sessions
from .errors import MissingData
from .ingest import IngestResult, ingest_file
from .simulate import Simulation, build
from .store.app.models import CoachingSession, Role
from .store.app.passwords import hash_password
from .text.summary import theme_summary
from .text.workspace_tags import TagRun, tag_workspace
from .workspace import Workspace

#: Load order: the org first, so agent references are checked on everything after it.
LOAD_ORDER = ("employees", "customers", "interactions", "responses", "pulses", "checkins")
SIZES = ("small", "medium", "large")

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class DemoLogin:
    """A web sign-in of the demo: username, password, role and the employee it is."""

    username: str
    password: str
    role: str
    employee_id: str | None
    team_id: str | None
    display_name: str


@dataclass
class DemoResult:
    workspace: Workspace
    simulation: Simulation
    ingests: dict[str, IngestResult] = field(default_factory=dict)
    tagging: TagRun | None = None
    cases: SyncResult | None = None
    coaching: ImportResult | None = None
    logins: list[DemoLogin] = field(default_factory=list)


def build_demo(
    path: str | Path,
    size: str = "medium",
    seed: int = 7,
    *,
    force: bool = False,
    tag: bool = True,
    progress: Progress | None = None,
) -> DemoResult:
    """Create a workspace at ``path`` filled with simulated data (truth.json beside it);
    with ``tag``, every comment is tagged with the default taxonomy."""
    path = Path(path)
    ws = Workspace.init(path, name=f"Demo: Northwind Money ({size})", force=force)
    source = path / "source"
    if source.exists():
        shutil.rmtree(source)
    sim = build(source, size=size, seed=seed, progress=_step(progress, "simulate"))
    shutil.copyfile(sim.truth_path, path / "truth.json")
    result = DemoResult(ws, sim)
    for entity in LOAD_ORDER:
        result.ingests[entity] = ingest_file(
            ws, entity, sim.files[entity], progress=_counted(progress, f"ingest {entity}")
        )
    if not tag:
        return result
    tag_progress = _counted(progress, "tag comments")
    result.tagging = tag_workspace(
        ws, progress=(lambda done, total: tag_progress("themes", done, total)) if progress else None
    )
    # the inner loop for the last month: a case for each response that meets a rule
    ws.app.upgrade()
    last_month = _last_response_day(ws).replace(day=1)
    result.cases = sync_cases(ws, since=last_month)
    # the coaching history the team leaders kept: sessions, with their follow-ups linked
    result.coaching = import_sessions(ws, sim.extra_files["coaching"])
    # one sign-in per role for the web app (after the cases, so their owners stay as built)
    result.logins = add_demo_logins(ws)
    return result


def _step(progress: Progress | None, name: str) -> Progress | None:
    if progress is None:
        return None
    return lambda step, fraction: progress(f"{name}: {step}", fraction)


def _counted(progress: Progress | None, name: str):
    """Adapt ingest's ``(stage, done, total)`` progress to ``(step, fraction)``."""
    if progress is None:
        return None
    return lambda stage, done, total: progress(f"{name}: {stage}", done / total if total else 0.0)


def summarise(ws: Workspace, months: int = 12) -> dict[str, Any]:
    """The headline analysis of a workspace over the last ``months`` calendar months of data."""
    until = _last_response_day(ws)
    since = until.replace(day=1)
    for _ in range(months - 1):
        since = (since - dt.timedelta(days=1)).replace(day=1)
    window = {"since": since, "until": until}
    overall = metrics.survey_scores(ws, period=None, **window)
    teams = [r for r in metrics.survey_scores(ws, by="team", **window) if r["rank"]]
    teams.sort(key=lambda r: r["rank"])
    out: dict[str, Any] = {
        "window": {"since": since.isoformat(), "until": until.isoformat()},
        "overall": overall[0] if overall else None,
        "by_quarter": metrics.survey_scores(ws, period="quarter"),
        "by_channel": metrics.survey_scores(ws, by="channel", **window),
        "top_teams": teams[:3],
        "bottom_teams": teams[-3:][::-1],
        "small_teams": sum(
            1 for r in metrics.survey_scores(ws, by="team", **window) if r["small_sample"]
        ),
        "kpis_by_channel": metrics.contact_centre_kpis(ws, by="channel", **window),
        "kpis_overall": (metrics.contact_centre_kpis(ws, **window) or [None])[0],
    }
    themes = [r for r in theme_summary(ws, **window) if r["level"] == "theme"]
    out["themes"] = {
        "tagged": themes[0]["comments"] if themes else 0,
        # mostly-negative themes by negative mentions; mostly-positive by positive ones
        "pain": sorted(
            (r for r in themes if r["negative"] > 50), key=lambda r: -r["mentions"] * r["negative"]
        )[:5],
        "praise": sorted(
            (r for r in themes if r["positive"] > 50), key=lambda r: -r["mentions"] * r["positive"]
        )[:3],
    }
    try:
        out["enps"] = (metrics.employee_nps(ws, by=None, period=None, **window) or [None])[0]
    except MissingData:  # pulses are optional in a workspace
        out["enps"] = None
    out["insights"] = insight_headlines(ws)
    return out


def insight_headlines(ws: Workspace) -> dict[str, Any]:
    """One sentence per insight a team leader should hear first (``cxloop.insights``)."""
    month = insights.changes(ws, period="month", last=1)
    drivers = insights.workspace_drivers(ws, "nps", resamples=100)
    fix = [d for d in drivers.drivers if d.priority == "fix first"]
    wait = insights.kpi_alignment(ws, "nps", ["wait"], channel="phone", resamples=100)
    flags = insights.support_flags(ws)
    drops = insights.engagement_drops(ws)
    return {
        "changes": month.sentence,
        "top_changes": [c.sentence for c in month.changes[:3]],
        "fix_first": (fix or drivers.drivers)[0].sentence if drivers.drivers else None,
        "wait": wait.results[0].sentence if wait.results else None,
        "needs_support": len({f.id for f in flags}),
        "engagement_drop": drops[0].sentence if drops else None,
        "coaching": _coaching_headline(ws),
    }


def _coaching_headline(ws: Workspace) -> str | None:
    """Whether following coaching up made the difference, for the latest programme."""
    with ws.app.session() as session:
        programme = session.scalar(
            select(CoachingSession.programme)
            .where(CoachingSession.programme.is_not(None))
            .order_by(CoachingSession.held_on.desc())
            .limit(1)
        )
    if programme is None:
        return None
    groups = coaching_effect_summary(ws, by="followed_up", programme=programme)
    return f'Programme "{programme}": ' + " ".join(g.sentence for g in groups)


def _last_response_day(ws: Workspace) -> dt.date:
    t = ws.analytics.table("responses")
    value = ws.analytics.con.to_pyarrow(t.responded_at.max()).as_py()
    return (value or dt.datetime.now()).date()


def add_demo_logins(ws: Workspace) -> list[DemoLogin]:
    """One app-store user per role, password ``demo-<role>``: a current agent with the most
    responses, that agent's team leader, the leader's manager and the head (each linked to
    their employee); finance, people lead and admin have no employee in the simulated org."""
    e = ws.analytics.table("employees")
    current = e.filter(e.left_on.isnull())
    people = ws.analytics.con.to_pyarrow(
        current.select("employee_id", "name", "role", "team_id", "manager_id")
    ).to_pylist()
    by_id = {p["employee_id"]: p for p in people}
    leader_of = {p["team_id"]: p for p in people if p["role"] == "team_leader" and p["team_id"]}
    r = ws.analytics.table("responses")
    busiest = ws.analytics.con.to_pyarrow(
        r.group_by("agent_id").agg(n=r.count()).order_by([ibis.desc("n"), "agent_id"])
    ).to_pylist()
    agent = next(
        by_id[row["agent_id"]]
        for row in busiest
        if row["agent_id"] in by_id
        and by_id[row["agent_id"]]["role"] == "agent"
        and by_id[row["agent_id"]]["team_id"] in leader_of
    )
    leader = leader_of[agent["team_id"]]
    manager = by_id.get(leader["manager_id"] or "")
    head = next((p for p in people if p["role"] == "head"), None)
    chosen = {Role.agent: agent, Role.team_leader: leader, Role.manager: manager, Role.head: head}
    logins = []
    for role in Role:
        person = chosen.get(role)
        title = f"{role.value.replace('_', ' ').title()} (demo)"
        login = DemoLogin(
            username=role.value,
            password=f"demo-{role.value}",
            role=role.value,
            employee_id=person["employee_id"] if person else None,
            team_id=person["team_id"] if person else None,
            display_name=person["name"] if person else title,
        )
        ws.app.add_user(username=login.username, display_name=login.display_name, role=role,
                        employee_id=login.employee_id, team_id=login.team_id, actor="demo",
                        password_hash=hash_password(login.password))  # fmt: skip
        logins.append(login)
    return logins
