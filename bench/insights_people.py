"""Fair scores for people and engagement linkage, for bench/insights.py."""

from cxloop.insights.fair_scores import fair_scores, support_flags
from cxloop.insights.linkage import engagement_linkage
from cxloop.insights.people_drops import engagement_drops

CASES = [
    ("fair NPS by agent (normal-normal shrinkage toward the team)",
     lambda ws: fair_scores(ws, "nps", "agent")),
    ("fair share of 'did not listen' by agent (fitted prior toward the centre)",
     lambda ws: fair_scores(ws, "theme:did not listen", "agent")),
    ("support flags: every agent on the 6 agent-facing themes",
     lambda ws: support_flags(ws)),
    ("engagement linkage: every measure x NPS/CSAT, lags 0-3",
     lambda ws: engagement_linkage(ws, 3)),
    ("engagement drops followed by NPS drops, per team",
     lambda ws: engagement_drops(ws, 3)),
]  # fmt: skip
