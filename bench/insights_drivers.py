"""Key drivers of the workspace's NPS, for bench/insights.py."""

from cxloop.insights.workspace_drivers import workspace_drivers

CASES = [
    ("key drivers of NPS: ratings, complaints and praise, contact (Shapley, 200 resamples)",
     lambda ws: workspace_drivers(ws, "nps")),
    ("key drivers of NPS on phone contacts: what happened on the contact",
     lambda ws: workspace_drivers(ws, "nps", ["operations"], where={"channel": ["phone"]})),
]  # fmt: skip
