"""Root-cause trees (`cxloop why`) on the medium demo workspace, for bench/insights.py.

Each case is one call of the Python API on an open workspace; the target is under 2 s.
"""

from cxloop.insights import why

CASES = [
    ("why billing error: 3 levels, 4 per node", lambda ws: why(ws, "billing error")),
    ("why detractors: 3 levels, 4 per node", lambda ws: why(ws, "detractors")),
    ("why detractors in channel social: 3 levels", lambda ws: why(ws, "detractors in channel social")),
    ("why Billing and fees (a parent theme): 2 levels", lambda ws: why(ws, "Billing and fees", depth=2)),
]  # fmt: skip
