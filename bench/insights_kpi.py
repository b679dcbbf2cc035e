"""KPI alignment timings on the medium demo workspace (run by bench/run.py's insights step).

Each case is one call of the Python API on an open workspace; the target is under 2 s.
"""

from cxloop.insights import kpi_alignment

CASES = [
    ("kpi-alignment: NPS, all default KPIs", lambda ws: kpi_alignment(ws)),
    ("kpi-alignment: CSAT, all default KPIs", lambda ws: kpi_alignment(ws, "csat")),
    (
        "kpi-alignment: NPS, wait on phone",
        lambda ws: kpi_alignment(ws, kpis="wait", channel="phone"),
    ),
]
