"""What a coaching plan says: an agent's focus areas and strength, a team's focus and
workshop topics. Values of themes are percentages of the agent's tagged comments; values
of KPIs are in the KPI's own unit (``unit``): seconds, per contact, or % of contacts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .plan_evidence import Evidence

PLAN = "plan"
NOT_ENOUGH = "not enough feedback yet"


@dataclass
class FocusArea:
    """Something the agent (or team) does worse than their group, with how sure we are."""

    kind: str  # "theme" or "kpi" (the kinds of cxloop.coach.focus)
    name: str
    label: str
    better: str  # "lower" or "higher"
    n: int  # comments (themes) or contacts (KPIs) looked at
    hits: int | None  # comments carrying the theme (themes only)
    unit: str  # "%", "seconds", "per contact"
    raw: float
    shrunk: float
    low: float
    high: float
    interval_level: float
    group: str  # "centre" or "team T03"
    group_value: float
    prob_worse: float
    significant: bool
    status: str  # "focus" (significant) or "to watch"
    score: float  # rank: probability worse × relative gap
    customers: str | None = None  # KPIs: what the KPI-alignment analysis found
    nps_cost: float | None = None  # KPIs: expected NPS points the gap costs
    evidence: list[Evidence] = field(default_factory=list)
    sentence: str = ""

    def to_dict(self) -> dict:
        return {**{k: v for k, v in self.__dict__.items() if k != "evidence"},
                "evidence": [e.to_dict() for e in self.evidence]}  # fmt: skip


@dataclass
class Strength:
    """The praise to keep: where the agent stands out most, or is most often praised."""

    name: str
    n: int
    hits: int
    raw: float
    shrunk: float
    low: float
    high: float
    interval_level: float
    group_value: float
    prob_better: float
    stands_out: bool
    evidence: list[Evidence] = field(default_factory=list)
    sentence: str = ""

    def to_dict(self) -> dict:
        return {**{k: v for k, v in self.__dict__.items() if k != "evidence"},
                "evidence": [e.to_dict() for e in self.evidence]}  # fmt: skip


@dataclass
class AgentPlan:
    """One agent's coaching plan: up to three focus areas and one strength."""

    agent_id: str
    name: str | None
    team_id: str | None
    since: dt.date | None
    as_of: dt.date | None
    n_comments: int
    n_answers: int
    status: str  # PLAN or NOT_ENOUGH
    focus_areas: list[FocusArea] = field(default_factory=list)
    strength: Strength | None = None
    sentence: str = ""

    @property
    def top_focus(self) -> FocusArea | None:
        return self.focus_areas[0] if self.focus_areas else None

    def to_dict(self) -> dict:
        return {
            "agent_id": self.agent_id, "name": self.name, "team_id": self.team_id,
            "since": self.since, "as_of": self.as_of, "n_comments": self.n_comments,
            "n_answers": self.n_answers, "status": self.status,
            "focus_areas": [f.to_dict() for f in self.focus_areas],
            "strength": self.strength.to_dict() if self.strength else None,
            "sentence": self.sentence,
        }  # fmt: skip


@dataclass
class TeamFocus:
    """A focus for the whole team: the team's own share against the centre, and how many
    of its agents have the focus in their plan."""

    name: str
    kind: str
    label: str
    agents: list[str]  # agents whose plan has this as a clear (significant) focus
    watching: list[str]  # agents whose plan has it "to watch"
    workshop: bool  # a clear focus of at least coaching.workshop_min_agents agents
    n: int | None = None  # the team's tagged comments (themes)
    raw: float | None = None
    shrunk: float | None = None
    low: float | None = None
    high: float | None = None
    group_value: float | None = None
    prob_worse: float | None = None
    significant: bool = False
    sentence: str = ""

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class TeamPlan:
    """A team leader's view: team focus areas, workshop topics, each agent's top focus."""

    team_id: str
    leader_id: str | None
    since: dt.date | None
    as_of: dt.date | None
    n_agents: int
    n_with_plan: int
    focus_areas: list[TeamFocus] = field(default_factory=list)
    workshops: list[str] = field(default_factory=list)
    agents: list[AgentPlan] = field(default_factory=list)
    sentence: str = ""

    def to_dict(self) -> dict:
        return {
            "team_id": self.team_id, "leader_id": self.leader_id, "since": self.since,
            "as_of": self.as_of, "n_agents": self.n_agents, "n_with_plan": self.n_with_plan,
            "focus_areas": [f.to_dict() for f in self.focus_areas],
            "workshops": list(self.workshops),
            "agents": [{"agent_id": a.agent_id, "name": a.name, "status": a.status,
                        "n_comments": a.n_comments,
                        "top_focus": a.top_focus.name if a.top_focus else None,
                        "top_focus_label": a.top_focus.label if a.top_focus else None,
                        "top_focus_status": a.top_focus.status if a.top_focus else None}
                       for a in self.agents],
            "sentence": self.sentence,
        }  # fmt: skip
