"""A team leader's coaching view: the team's focus areas, the workshop topics they
suggest, and each agent's top focus.

* The team's own share of each agent-facing negative theme, shrunk toward the centre
  with the same share model as agents (:func:`cxloop.coach.plan_model.fit_shares`
  fitted across all teams, as :func:`cxloop.insights.fair_scores.fair_scores` does
  with ``level="team"``), its interval, probability worse and ``significant``.
* Which of the team's agents have each focus in their plan as a clear (significant)
  focus, and which have it "to watch". When at least ``coaching.workshop_min_agents``
  have it as a clear focus, the plan suggests a workshop on it: a team session rather
  than the same 1:1 several times. "To watch" findings never make a workshop on their
  own: three agents each 80% likely to be worse is not yet a pattern.

Team focus areas are those that are significant or "to watch" for the team itself, or
in at least two agents' plans; workshops first, then significant ones, then by how many
agents share them.
"""

from __future__ import annotations

import datetime as dt

from ..act.cases_sync import load_org
from . import plan_evidence as data
from . import plan_model as pm
from .plan_text import team_focus_sentence
from .plan_types import PLAN, TeamFocus, TeamPlan
from .recommend import build_context, coaching_plans


def team_plan(
    ws,
    team_id: str,
    *,
    as_of: dt.date | None = None,
    since: dt.date | None = None,
    actor: str | None = None,
) -> TeamPlan:
    """The team's coaching plan; with ``actor``, NotPermitted unless they may see the
    team leader's view (the leader, their manager chain, head, admin)."""
    leader = load_org(ws).leader_of_team.get(team_id)
    if actor is not None:
        from .access import require_can_see_leader

        require_can_see_leader(ws, actor, leader or team_id)
    ctx = build_context(ws, as_of=as_of, since=since)
    plans = coaching_plans(ws, team=team_id, context=ctx)
    min_agents = ws.settings.coaching.workshop_min_agents
    sharing: dict[str, list[str]] = {}
    watching: dict[str, list[str]] = {}
    kinds: dict[str, tuple[str, str]] = {}
    for p in plans:
        for a in p.focus_areas:
            (sharing if a.significant else watching).setdefault(a.name, []).append(p.agent_id)
            kinds[a.name] = (a.kind, a.label)
    team_fits = _team_fits(ws, ctx)
    out: list[TeamFocus] = []
    for name in dict.fromkeys([*ctx.negatives, *sharing, *watching]):
        agents, watch = sharing.get(name, []), watching.get(name, [])
        kind, label = kinds.get(name, ("theme", name))
        f = TeamFocus(name, kind, label, agents, watch, len(agents) >= min_agents)
        fit = team_fits.get(name)
        i = fit.at(team_id) if fit is not None else None
        if i is not None:
            p, sig, _ = fit.worse(i, True)
            f.n, f.raw, f.shrunk = int(fit.n[i]), _pct(fit.raw[i]), _pct(fit.shrunk[i])
            f.low, f.high, f.group_value = _pct(fit.low[i]), _pct(fit.high[i]), _pct(fit.group[i])
            f.prob_worse, f.significant = round(p, 3), sig
        if (
            f.workshop
            or f.significant
            or (f.prob_worse or 0) >= pm.WATCH
            or len(agents) + len(watch) >= 2
        ):
            f.sentence = team_focus_sentence(f, team_id, len(plans), min_agents)
            out.append(f)
    out.sort(key=lambda f: (not f.workshop, not f.significant, -len(f.agents),
                            -len(f.watching), -(f.prob_worse or 0), f.name))  # fmt: skip
    team = TeamPlan(team_id, leader, ctx.since, ctx.as_of, len(plans),
                    sum(p.status == PLAN for p in plans), out,
                    [f.label for f in out if f.workshop], plans)  # fmt: skip
    team.sentence = _sentence(team, min_agents)
    return team


def _team_fits(ws, ctx) -> dict[str, pm.Fit]:
    counts = data.team_theme_counts(ws, ctx.negatives, ctx.since, ctx.as_of)
    return {t: pm.fit_shares(c, ctx.level) for t, c in counts.items()
            if len(c.ids) >= 2 and c.k.sum() > 0}  # fmt: skip


def _sentence(t: TeamPlan, min_agents: int) -> str:
    head = (f"Team {t.team_id}: {t.n_with_plan} of {t.n_agents} agents have enough feedback "
            f"for a plan")  # fmt: skip
    if t.workshops:
        topics = ", ".join(f'"{w}"' for w in t.workshops)
        return (f"{head}; run a team session on {topics} ({min_agents} or more agents share "
                "it) rather than 1:1s.")  # fmt: skip
    if t.focus_areas:
        return (
            f"{head}; no focus shared by {min_agents} agents, so coach 1:1 "
            f'(team focus: "{t.focus_areas[0].label}").'
        )
    return f"{head}; no team-wide focus stands out."


def _pct(x: float) -> float:
    return round(100 * float(x), 2)
