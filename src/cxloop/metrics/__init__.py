"""Metrics with honest uncertainty: every number with its n and its 95% margin.

    survey_scores(ws, by="team", period="month")        NPS, CSAT, CES
    contact_centre_kpis(ws, by="queue", period="week")  GOS, ASA, abandonment, AHT, transfers, FCR
    employee_nps(ws, by="team", period="month")         eNPS, anonymity enforced

All are Ibis expressions over the analytics store, so they run on any backend.
"""

from .contact_centre import contact_centre_kpis
from .dimensions import DIMENSIONS, PERIODS
from .employee import employee_nps
from .survey import survey_scores

__all__ = ["DIMENSIONS", "PERIODS", "contact_centre_kpis", "employee_nps", "survey_scores"]
