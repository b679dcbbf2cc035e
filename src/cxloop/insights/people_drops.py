"""Teams whose engagement fell before their customer NPS did (a lead-lag drop detector).

Uses the anonymity-safe team-month table of :mod:`cxloop.insights.linkage` (pulse cells
under ``privacy.min_pulse_group`` are gone before anything here sees them). A month is
an engagement drop when the team's engagement index (mean 1-5 item score per
respondent) lies ``insights.control_sigma`` standard errors below its own previous
``insights.baseline_periods`` months (a two-sample z on the means; PRODUCT.md "Control
limits" uses the same 3-sigma convention); the NPS drop is the first of the next
``lags`` months whose NPS (PRODUCT.md, with its variance) is below the same baseline
months' NPS at 95% one-sided, provided the drop month's own NPS was not already down.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

from .linkage import add_months, team_months


@dataclass
class EngagementDrop:
    """A team whose engagement fell, and whether (and when) its customer NPS followed."""

    team_id: str
    engagement_drop_month: str
    engagement_before: float
    engagement_at: float
    engagement_z: float
    enps_before: float | None
    enps_at: float | None
    nps_drop_month: str | None
    nps_before: float | None
    nps_after: float | None
    lead_months: int | None
    sentence: str

    def to_dict(self) -> dict:
        return asdict(self)


def engagement_drops(
    ws,
    lags: int = 3,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[EngagementDrop]:
    """Teams whose engagement index fell, and whether customer NPS fell in the months after.

    A month is a drop when its engagement index is ``insights.control_sigma`` standard
    errors below the team's previous ``insights.baseline_periods`` months (at least 3
    of them shown); the NPS drop is the first of the next ``lags`` months whose NPS is
    below the same baseline months' NPS at 95% one-sided (z ≤ −1.645), provided the
    drop month's own NPS was not already down. Teams with a following NPS drop come first.
    """
    cells = team_months(ws, since, until)
    sigma = ws.settings.insights.control_sigma
    window = ws.settings.insights.baseline_periods
    by_team: dict = defaultdict(dict)
    for (team, month), c in cells.items():
        by_team[team][month] = c
    out = []
    for team in sorted(by_team):
        months = by_team[team]
        shown = sorted(m for m in months if "engagement" in months[m])
        skip_until = None
        for m in shown:
            if skip_until is not None and m <= skip_until:
                continue
            base = [b for b in shown if add_months(m, -window) <= b < m]
            if len(base) < 3:
                continue
            z = _engagement_z(months, base, m)
            if z > -sigma:
                continue
            out.append(_drop(team, months, base, m, z, lags))
            skip_until = add_months(m, lags)
    out.sort(key=lambda d: (d.nps_drop_month is None, d.engagement_z))
    return out


def _engagement_z(months: dict, base: list, m) -> float:
    n = np.array([months[b]["engagement_n"] for b in base], float)
    mean = np.array([months[b]["engagement"] for b in base])
    var = np.array([months[b]["engagement_var"] for b in base])
    nb = n.sum()
    mb = (n * mean).sum() / nb
    vb = ((n - 1) * var + n * (mean - mb) ** 2).sum() / max(nb - 1, 1)  # pooled, all months
    c = months[m]
    se = np.sqrt(c["engagement_var"] / c["engagement_n"] + vb / nb)
    return float((c["engagement"] - mb) / se) if se > 0 else 0.0


def _nps_base(months: dict, base: list) -> tuple[float, float, float] | None:
    got = [months[b] for b in base if "nps" in months[b]]
    if not got:
        return None
    n = sum(c["nps_n"] for c in got)
    score = sum(c["nps"] * c["nps_n"] for c in got) / n
    var = sum((c["nps_var"] + (c["nps"] - score) ** 2) * c["nps_n"] for c in got) / n
    return score, var, n


def _nps_z(cell: dict, base: tuple[float, float, float]) -> float:
    score, var, n = base
    se = np.sqrt(cell["nps_var"] / cell["nps_n"] + var / n)
    return float((cell["nps"] - score) / se) if se > 0 else 0.0


def _drop(team: str, months: dict, base: list, m, z: float, lags: int) -> EngagementDrop:
    c = months[m]
    n = np.array([months[b]["engagement_n"] for b in base], float)
    before = float((n * [months[b]["engagement"] for b in base]).sum() / n.sum())
    enps_base = [months[b] for b in base if "enps" in months[b]]
    enps_before = (sum(b["enps"] * b["enps_n"] for b in enps_base)
                   / sum(b["enps_n"] for b in enps_base)) if enps_base else None  # fmt: skip
    nps_base = _nps_base(months, base)
    cut = -stats.norm.ppf(0.95)
    fell, after = None, None
    already = nps_base is not None and "nps" in c and _nps_z(c, nps_base) <= cut
    if nps_base is not None and not already:
        for k in range(1, lags + 1):
            later = months.get(add_months(m, k), {})
            if "nps" in later and _nps_z(later, nps_base) <= cut:
                fell, after = k, later["nps"]
                break
    label = m.strftime("%Y-%m")
    drop = EngagementDrop(
        team_id=team, engagement_drop_month=label, engagement_before=round(before, 2),
        engagement_at=round(c["engagement"], 2), engagement_z=round(z, 1),
        enps_before=None if enps_before is None else round(100 * enps_before, 1),
        enps_at=round(100 * c["enps"], 1) if "enps" in c else None,
        nps_drop_month=add_months(m, fell).strftime("%Y-%m") if fell else None,
        nps_before=None if nps_base is None else round(100 * nps_base[0], 1),
        nps_after=None if after is None else round(100 * after, 1), lead_months=fell,
        sentence="",
    )  # fmt: skip
    fall = (
        f"Team {team}'s engagement fell in {label} ({drop.engagement_before:g} to "
        f"{drop.engagement_at:g} on 1-5)"
    )
    if fell:
        drop.sentence = (f"{fall}; {fell} month{'s' * (fell > 1)} later its customer NPS fell "
                         f"({drop.nps_before:g} to {drop.nps_after:g}). Engagement moved first: "
                         "worth a conversation with the team, though it does not prove the cause.")  # fmt: skip
    elif already:
        drop.sentence = f"{fall}; its customer NPS was already down that month."
    else:
        drop.sentence = f"{fall}; its customer NPS has not fallen in the {lags} months after."
    return drop
