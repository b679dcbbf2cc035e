"""The sentences of coaching plans, in words a team leader can read out in a 1:1.

Every number carries its n and its interval (at ``insights.support_level``)."""

from __future__ import annotations

from .plan_types import NOT_ENOUGH, AgentPlan, FocusArea, Strength, TeamFocus


def theme_sentence(a: FocusArea, first: str) -> str:
    """'"did not listen" in 10 of 42 of Tunde's comments (24%); fair estimate ...'."""
    pct = _level(a.interval_level)
    judged = ("clearly above the centre: a focus" if a.significant
              else f"{round(100 * a.prob_worse)}% likely above the centre: to watch")  # fmt: skip
    return (f'"{a.label}" in {a.hits} of {a.n:,} of {first}\'s comments ({_p(a.raw)}); fair '
            f"estimate {_p(a.shrunk)} ({pct}% interval {_p(a.low)} to {_p(a.high)}) against "
            f"{_p(a.group_value)} across the centre; {judged}.")  # fmt: skip


def strength_sentence(s: Strength, first: str) -> str:
    """What to keep doing, honestly worded when it does not stand out."""
    what = "praise naming them" if s.name == "praise by name" else f'"{s.name}"'
    seen = f"{s.hits} of {s.n:,} comments, {_p(s.raw)}"
    if s.stands_out:
        return (f"Keep: {what} in {seen} (fair estimate {_p(s.shrunk)}, "
                f"{_level(s.interval_level)}% interval {_p(s.low)} to {_p(s.high)}) against "
                f"{_p(s.group_value)} across the centre: {first} stands out.")  # fmt: skip
    about = "naming them in praise" if s.name == "praise by name" else f'for "{s.name}"'
    return (f"Keep: customers most often praise {first} {about} ({seen}; centre "
            f"{_p(s.group_value)}), though not clearly more than others.")  # fmt: skip


def plan_sentence(plan: AgentPlan, first: str, minimum: int) -> str:
    """The plan in one or two sentences."""
    if plan.status == NOT_ENOUGH:
        noun = "comment" if plan.n_comments == 1 else "comments"
        return (f"{first}: not enough feedback yet ({plan.n_comments} tagged {noun}; "
                f"{minimum} needed), so no focus areas and no guess.")  # fmt: skip
    if plan.focus_areas:
        items = [f"{_name(a)} ({'clear' if a.significant else 'to watch'})"
                 for a in plan.focus_areas]  # fmt: skip
        head = f"{first}: focus on {_join(items)}"
    else:
        head = (f"{first}: nothing stands out as worse than the group in "
                f"{plan.n_comments} comments")  # fmt: skip
    if plan.strength:
        what = ("praise by name" if plan.strength.name == "praise by name"
                else f'"{plan.strength.name}"')  # fmt: skip
        return f"{head}; keep {what}."
    return f"{head}."


def team_focus_sentence(f: TeamFocus, team: str, n_agents: int, min_agents: int) -> str:
    """The team's own share, and how many agents share the focus."""
    parts = []
    if f.n is not None and f.raw is not None:
        parts.append(f'"{f.label}" in {_p(f.raw)} of team {team}\'s {f.n:,} comments (fair '
                     f"estimate {_p(f.shrunk)}, interval {_p(f.low)} to {_p(f.high)}) against "
                     f"{_p(f.group_value)} across the centre"
                     + ("; clearly above" if f.significant else ""))  # fmt: skip
    else:
        parts.append(f'"{f.label}"')
    parts.append(
        f"a clear focus for {len(f.agents)} of {n_agents} agents"
        + (f", to watch for {len(f.watching)} more" if f.watching else "")
    )
    if f.workshop:
        parts.append(f"a team session rather than 1:1s ({min_agents} or more share it)")
    return "; ".join(parts) + "."


def _name(a: FocusArea) -> str:
    return f'"{a.label}"' if a.kind == "theme" else a.label


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _p(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:.1f}%" if abs(x) < 10 else f"{x:.0f}%"


def _level(level: float) -> str:
    return f"{round(100 * level, 2):g}"
