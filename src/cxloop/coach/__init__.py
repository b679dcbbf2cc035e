"""Coaching from the data (issue 6): plans grounded in each agent's own feedback, sessions
and follow-ups, private 1:1 check-ins, and whether the coaching worked.

    log_session, list_sessions, get_session,            sessions: 1:1s and workshops,
    import_sessions                                     logged or imported (idempotent)
    follow_ups, complete_follow_up,                     follow-ups: due, overdue (seen by
    send_follow_up_reminders                            the leader's manager), reminders
    log_checkin, checkins                               1:1 check-in notes (restricted)
    require_can_see_agent, require_can_see_leader,      who may see what (plans, sessions,
    visible_agents                                      effects; notes)
    parse_focus, parse_focus_areas                      one vocabulary of focus areas
    coaching_plan, coaching_plans, team_plan            recommendations (helper B's part)
    coaching_effect, coaching_effect_summary,           did it work (difference in
    leader_view                                         differences) and the leader view

Records live in the app store (``cxloop.store.app``: coaching_sessions,
coaching_attendees, checkins); the analyses read the analytics store. Visibility is
enforced here, in the API functions, never only in a shell (:mod:`cxloop.coach.access`).
"""

from .access import require_can_see_agent, require_can_see_leader, visible_agents
from .checkins import CheckinInfo, checkins, log_checkin
from .focus import Focus, parse_focus, parse_focus_areas
from .follow_ups import (
    FollowUp,
    ReminderResult,
    complete_follow_up,
    follow_ups,
    send_follow_up_reminders,
)
from .importer import ImportResult, import_sessions
from .sessions import SessionInfo, get_session, list_sessions, log_session

__all__ = [
    "CheckinInfo", "FollowUp", "Focus", "ImportResult", "ReminderResult", "SessionInfo",
    "checkins", "log_checkin",
    "complete_follow_up", "follow_ups", "send_follow_up_reminders",
    "get_session", "import_sessions", "list_sessions", "log_session",
    "parse_focus", "parse_focus_areas",
    "require_can_see_agent", "require_can_see_leader", "visible_agents",
]  # fmt: skip

from .effect import CoachedArea, coaching_effect  # noqa: E402  (helper C: did it work)
from .effect_summary import GroupEffect, coaching_effect_summary  # noqa: E402
from .leader_view import LeaderMonth, LeaderView, leader_view  # noqa: E402

__all__ += [
    "CoachedArea", "GroupEffect", "LeaderMonth", "LeaderView",
    "coaching_effect", "coaching_effect_summary", "leader_view",
]  # fmt: skip

from .plan_team import team_plan  # noqa: E402  (helper B: recommendations)
from .plan_types import AgentPlan, FocusArea, Strength, TeamFocus, TeamPlan  # noqa: E402
from .recommend import coaching_plan, coaching_plans  # noqa: E402

__all__ += [
    "AgentPlan", "FocusArea", "Strength", "TeamFocus", "TeamPlan",
    "coaching_plan", "coaching_plans", "team_plan",
]  # fmt: skip
