"""Closing the loop (issue 5): cases for customers who need a call back, "you said, we did"
actions, proactive outreach, promoter invitations and the Customer 360 view.

    sync_cases, list_cases, get_case, update_case,      the inner loop: cases, SLAs,
    escalate_overdue, loop_metrics                      decision rights, escalation
    add_action, update_action, action_impact,           the outer loop: "you said, we did"
    you_said_we_did
    incident_outreach, theme_outreach,                  call them before they call you
    condition_outreach
    promoter_invitations, record_invitations,           promoters and earned growth
    referral_counts
    customer_360                                        one customer's story, a next step

All records live in the app store (``cxloop.store.app``); the analyses read the
analytics store.
"""

from .actions import (
    ImprovementAction,
    action_history,
    add_action,
    get_action,
    list_actions,
    update_action,
)
from .cases import CaseDetail, CaseInfo, get_case, list_cases, update_case
from .cases_sync import SyncResult, sync_cases
from .customer360 import Customer360, TimelineEvent, customer_360
from .escalation import EscalationResult, escalate_overdue
from .impact import ActionImpact, ThemeImpact, action_impact, nps_impact, theme_impact
from .loop_metrics import LoopRow, loop_metrics
from .notify import Notification, SmtpChannel, WebhookChannel
from .outreach import (
    OutreachCustomer,
    OutreachList,
    condition_outreach,
    incident_outreach,
    theme_outreach,
)
from .promoters import (
    PromoterInvitations,
    promoter_invitations,
    record_invitations,
    referral_counts,
)
from .sla import BusinessCalendar
from .you_said import YouSaidWeDid, you_said_we_did

__all__ = [
    "ActionImpact", "BusinessCalendar", "CaseDetail", "CaseInfo", "Customer360",
    "EscalationResult", "ImprovementAction", "LoopRow", "Notification", "OutreachCustomer",
    "OutreachList", "PromoterInvitations", "SmtpChannel", "SyncResult", "ThemeImpact",
    "TimelineEvent", "WebhookChannel", "YouSaidWeDid", "action_history", "action_impact",
    "add_action", "condition_outreach", "customer_360", "escalate_overdue", "get_action",
    "get_case", "incident_outreach", "list_actions", "list_cases", "loop_metrics",
    "nps_impact", "promoter_invitations", "record_invitations", "referral_counts",
    "sync_cases", "theme_impact", "theme_outreach", "update_action", "update_case",
    "you_said_we_did",
]  # fmt: skip
