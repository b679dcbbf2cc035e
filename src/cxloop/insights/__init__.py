"""Insights that separate signal from noise: what changed, why, whether our KPIs measure
what customers value, who needs help (fairly), and how our people's engagement shows in
customers' scores. Every result carries its n, its interval and a plain sentence.

    changes, control_chart, channel_gaps        what changed, for real     (trends)
    workspace_drivers, key_drivers, why         why customers feel so      (drivers, root cause)
    kpi_alignment, kpi_alignment_table          do our KPIs protect NPS?
    fair_scores, support_flags                  who needs help, fairly
    engagement_linkage, engagement_drops        people vs customers
"""

from .changes import Change, ChangeReport, changes
from .channels import ChannelGap, ChannelReport, ChannelScore, channel_gaps
from .control import ControlChart, ControlPoint, control_chart
from .drivers import DriverResult, key_drivers
from .fair_scores import PersonScore, fair_scores, support_flags
from .kpi_alignment import KpiAlignment, KpiResult, kpi_alignment
from .kpi_table import kpi_alignment_table
from .linkage import Link, engagement_linkage
from .people_drops import EngagementDrop, engagement_drops
from .root_cause import WhyNode, WhyResult, why
from .workspace_drivers import DriverReport, WorkspaceDriver, workspace_drivers

__all__ = [
    "Change",
    "ChangeReport",
    "ChannelGap",
    "ChannelReport",
    "ChannelScore",
    "ControlChart",
    "ControlPoint",
    "DriverReport",
    "DriverResult",
    "EngagementDrop",
    "KpiAlignment",
    "KpiResult",
    "Link",
    "PersonScore",
    "WhyNode",
    "WhyResult",
    "WorkspaceDriver",
    "changes",
    "channel_gaps",
    "control_chart",
    "engagement_drops",
    "engagement_linkage",
    "fair_scores",
    "key_drivers",
    "kpi_alignment",
    "kpi_alignment_table",
    "support_flags",
    "why",
    "workspace_drivers",
]
