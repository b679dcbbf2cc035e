"""Coaching recommendations: for each agent up to three focus areas grounded in their own
customers' feedback, each with 2-3 of their comments as evidence, and one strength to
keep; for each team, its shared focus areas and the workshop topics they suggest.

    coaching_plan(ws, "E00537")            one agent (visibility applies with actor=)
    coaching_plans(ws, team="T24")         every agent at once, counts computed once
    team_plan(ws, "T24")                   the team leader's view

**Window**: comments, answers and contacts up to ``as_of`` (default: the latest data),
from ``since`` (default: everything before).

**Not enough feedback yet**: an agent with fewer than ``insights.min_person_responses``
tagged comments gets no focus area and no strength, never a guess.

**Focus areas** (statistics in :mod:`cxloop.coach.plan_model`):

* themes: the agent-facing negative themes, ``insights.agent_themes`` plus every other
  negative theme under the same parent themes (e.g. "passed around" beside "no call back"
  under Resolution) with at least ``insights.min_person_responses`` mentions in the
  window; themes about queues, prices or outages are not the agent's to coach. The
  agent's share of comments carrying the theme, shrunk toward the centre (PRODUCT.md,
  "Small groups"), against the centre's share;
* KPIs of ``coaching.agent_kpis`` that customers reward (:mod:`cxloop.coach.plan_kpis`),
  against the agent's team.

Each is "a focus" (significant) or "to watch" (probability worse at least 0.8), and they
are ranked by probability worse × relative gap alone (:mod:`cxloop.coach.plan_model`), at
most three: a large gap that is 90% likely comes before a small one that is certain. On
the medium demo, ranking significant ones first instead put a planted agent's own
theme (to watch, 15% against 2.4%) behind the FCR and transfers gaps it causes.

**Strength**: among the agent-facing positive themes and praise that names the agent
(:data:`cxloop.coach.plan_evidence.NAMED_PRAISE`), the one where the agent stands out
most above the centre (interval wholly above, ranked like focus areas); if none stands
out, the one with the highest shrunk share, worded as "customers most often praise".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..errors import MissingData
from ..text.workspace_tags import require_tags, workspace_taxonomy
from . import plan_evidence as data
from . import plan_kpis
from . import plan_model as pm
from .plan_text import plan_sentence, strength_sentence, theme_sentence
from .plan_types import NOT_ENOUGH, PLAN, AgentPlan, FocusArea, Strength

MAX_FOCUS = 3


@dataclass
class Context:
    """Everything fitted once for one window: reused by every agent's plan."""

    since: dt.date | None
    as_of: dt.date | None
    minimum: int
    level: float
    negatives: list[str]
    positives: list[str]
    base: data.Counts
    fits: dict[str, pm.Fit]
    praise: dict[str, pm.Fit]
    kpi_fits: dict[str, pm.Fit]
    views: dict[str, plan_kpis.CustomerView]
    answers: dict[str, int]
    names: dict[str, str]
    teams: dict[str, str | None]
    agents: list[str]
    notes: list[str] = field(default_factory=list)


def coaching_plan(
    ws,
    agent_id: str,
    *,
    as_of: dt.date | None = None,
    since: dt.date | None = None,
    actor: str | None = None,
) -> AgentPlan:
    """One agent's plan; with ``actor``, NotPermitted unless they may see it."""
    if actor is not None:
        from .access import require_can_see_agent

        require_can_see_agent(ws, actor, agent_id, what="plan")
    ctx = build_context(ws, as_of=as_of, since=since)
    if agent_id not in ctx.names and agent_id not in ctx.base.ids:
        raise MissingData(f"no employee {agent_id!r} in this workspace (see `cxloop people`)")
    plan = _plan(ctx, agent_id)
    attach_evidence(ws, ctx, [plan])
    return plan


def coaching_plans(
    ws, *, team: str | None = None, as_of: dt.date | None = None, since: dt.date | None = None,
    context: Context | None = None,
) -> list[AgentPlan]:  # fmt: skip
    """Every agent's plan (``team``: that team's agents only), ordered by team, then
    agents with a significant focus first."""
    ctx = context or build_context(ws, as_of=as_of, since=since)
    agents = [a for a in ctx.agents if team is None or ctx.teams.get(a) == team]
    if team is not None and not agents:
        known = sorted({t for t in ctx.teams.values() if t})
        raise MissingData(f"no agents in team {team!r}; teams: {', '.join(known[:20])}")
    plans = [_plan(ctx, a) for a in agents]
    attach_evidence(ws, ctx, plans)
    plans.sort(key=lambda p: (p.team_id or "", p.status != PLAN,
                              not (p.top_focus and p.top_focus.significant), p.agent_id))  # fmt: skip
    return plans


def build_context(ws, *, as_of: dt.date | None = None, since: dt.date | None = None) -> Context:
    """Count and fit everything for the window once."""
    require_tags(ws)
    if since is not None and as_of is not None and since > as_of:
        raise MissingData(f"the window is empty: {since} is after {as_of}")
    cfg = ws.settings
    minimum, level = cfg.insights.min_person_responses, cfg.insights.support_level
    taxonomy = workspace_taxonomy(ws)
    core = [t for t in dict.fromkeys(cfg.insights.agent_themes) if t in taxonomy]
    parents = {taxonomy[t].parent for t in core if taxonomy[t].parent}
    near = [t.name for t in taxonomy.themes if t.parent in parents]
    extra = [t for t in near if taxonomy[t].polarity == "negative" and t not in core]
    positives = [t for t in near if taxonomy[t].polarity == "positive"]
    if not core + extra:
        raise MissingData("no agent-facing themes: set insights.agent_themes to themes of "
                          "the taxonomy (cxloop themes summary)")  # fmt: skip
    counts = data.theme_counts(ws, core + extra + positives, since, as_of)
    base = counts[(core + extra)[0]]
    if not base.ids:
        raise MissingData("no tagged comments with an agent in this window")
    extra = [t for t in extra if counts[t].k.sum() >= minimum]
    negatives = core + extra
    fits = {t: pm.fit_shares(counts[t], level) for t in negatives if counts[t].k.sum() > 0}
    praise_counts = {t: counts[t] for t in positives}
    praise_counts[data.NAMED_PRAISE] = data.named_praise_counts(ws, base, since, as_of)
    praise = {t: pm.fit_shares(c, level) for t, c in praise_counts.items() if c.k.sum() > 0}
    names = data.employee_names(ws)
    teams = data.employee_teams(ws)
    teams.update({a: t for a, t in zip(base.ids, base.team, strict=True) if t})
    keys = [k.strip().lower() for k in cfg.coaching.agent_kpis if k.strip()]
    views, notes = plan_kpis.customer_views(ws, keys, since, as_of)
    rewarded = [k for k in keys if k in views and views[k].rewarded]
    stats = data.kpi_stats(ws, rewarded, since, as_of)
    kfits = plan_kpis.kpi_fits(stats, teams, minimum, level)
    agents = _agents(ws, base, as_of)
    return Context(since, as_of or data.latest_day(ws), minimum, level, negatives,
                   positives + [data.NAMED_PRAISE], base, fits, praise, kfits, views,
                   data.answer_counts(ws, since, as_of), names, teams, agents, notes)  # fmt: skip


def _agents(ws, base: data.Counts, as_of: dt.date | None) -> list[str]:
    """Agents with tagged comments in the window, and agents employed at its end."""
    roles, started, left = data.employee_roles(ws)
    out = set(a for a in base.ids if roles.get(a, "agent") == "agent")
    for eid, role in roles.items():
        if role != "agent":
            continue
        began = started.get(eid) is None or as_of is None or started[eid] <= as_of
        stays = left.get(eid) is None or (as_of is not None and left[eid] >= as_of)
        if began and stays:
            out.add(eid)
    return sorted(out)


def _plan(ctx: Context, agent: str) -> AgentPlan:
    fit_any = next(iter(ctx.fits.values()))
    j = fit_any.at(agent)
    n = int(fit_any.n[j]) if j is not None else 0
    plan = AgentPlan(agent, ctx.names.get(agent), ctx.teams.get(agent), ctx.since, ctx.as_of,
                     n, int(ctx.answers.get(agent, 0)), PLAN)  # fmt: skip
    first = _first(plan)
    if n < ctx.minimum:
        plan.status = NOT_ENOUGH
        plan.sentence = plan_sentence(plan, first, ctx.minimum)
        return plan
    areas: list[FocusArea] = []
    for theme, fit in ctx.fits.items():
        p, sig, score = fit.worse(j, True)
        if sig or p >= pm.WATCH:
            areas.append(_theme_area(theme, fit, j, p, sig, score, ctx.level, first))
    areas += plan_kpis.kpi_focus(agent, first, plan.team_id, ctx.kpi_fits, ctx.views, ctx.level)
    areas.sort(key=lambda a: (-a.score, not a.significant, a.name))
    plan.focus_areas = areas[:MAX_FOCUS]
    plan.strength = _strength(ctx, agent, first)
    plan.sentence = plan_sentence(plan, first, ctx.minimum)
    return plan


def _theme_area(theme, fit, j, p, sig, score, level, first) -> FocusArea:
    area = FocusArea(
        kind="theme", name=theme, label=theme, better="lower", n=int(fit.n[j]),
        hits=int(fit.k[j]), unit="%", raw=_pct(fit.raw[j]), shrunk=_pct(fit.shrunk[j]),
        low=_pct(fit.low[j]), high=_pct(fit.high[j]), interval_level=level, group="centre",
        group_value=_pct(fit.group[j]), prob_worse=round(p, 3), significant=sig,
        status="focus" if sig else "to watch", score=round(score, 4))  # fmt: skip
    area.sentence = theme_sentence(area, first)
    return area


def _strength(ctx: Context, agent: str, first: str) -> Strength | None:
    found = []
    for theme, fit in ctx.praise.items():
        j = fit.at(agent)
        if j is None:
            continue
        p_better = float(fit.p_above[j])
        found.append((theme, fit, j, p_better, bool(fit.low[j] > fit.group[j] + 1e-12)))
    if not found:
        return None
    standing = [f for f in found if f[4]]
    if standing:
        theme, fit, j, p_better, out = max(
            standing,
            key=lambda f: (
                f[3] * (f[1].shrunk[f[2]] - f[1].group[f[2]]) / max(f[1].group[f[2]], 1e-9),
                f[0],
            ),
        )
    else:
        with_praise = [f for f in found if f[1].k[f[2]] > 0]
        if not with_praise:
            return None
        theme, fit, j, p_better, out = max(with_praise, key=lambda f: (f[1].shrunk[f[2]], f[0]))
    s = Strength(theme, int(fit.n[j]), int(fit.k[j]), _pct(fit.raw[j]), _pct(fit.shrunk[j]),
                 _pct(fit.low[j]), _pct(fit.high[j]), ctx.level, _pct(fit.group[j]),
                 round(p_better, 3), bool(out))  # fmt: skip
    s.sentence = strength_sentence(s, first)
    return s


def attach_evidence(ws, ctx: Context, plans: list[AgentPlan]) -> None:
    """2-3 of the agent's own comments for every focus area and the strength (one query
    per polarity, and one per KPI, for all plans)."""
    wanted: dict[str, list[tuple[str, str]]] = {"negative": [], "positive": []}
    for p in plans:
        wanted["negative"] += [(p.agent_id, a.name) for a in p.focus_areas if a.kind == "theme"]
        if p.strength:
            wanted["positive"].append((p.agent_id, p.strength.name))
    found = data.evidence(ws, wanted, ctx.since, ctx.as_of)
    for key, view in ctx.views.items():
        agents = [p.agent_id for p in plans for a in p.focus_areas if a.name == key]
        if agents and view.cut is not None:
            got = data.kpi_evidence(ws, key, agents, view.higher_is_worse, view.cut,
                                    ctx.since, ctx.as_of)  # fmt: skip
            found.update({(a, key): e for a, e in got.items()})
    for p in plans:
        for a in p.focus_areas:
            a.evidence = found.get((p.agent_id, a.name), [])
        if p.strength:
            p.strength.evidence = found.get((p.agent_id, p.strength.name), [])[:2]


def _first(plan: AgentPlan) -> str:
    return (plan.name or plan.agent_id).split()[0]


def _pct(x: float) -> float:
    return round(100 * float(x), 2)
