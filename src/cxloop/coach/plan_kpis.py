"""KPI focus areas: a contact KPI in ``coaching.agent_kpis`` becomes a focus for an agent
only where three things hold together:

1. customers reward the KPI: the KPI-alignment analysis
   (:func:`cxloop.insights.kpi_alignment.kpi_alignment`, NPS as the outcome, run once
   per call) finds a significant threshold or step, or a driver share whose 95% interval
   is above zero; the worse direction is the one where NPS falls (the step's sign, else
   the driver's direction);
2. the agent is on that worse side of their team: the normal-normal shrinkage of
   :mod:`cxloop.coach.plan_model` (significant, or "to watch");
3. the gap is big enough for customers to feel: its expected cost in NPS, the gap
   (shrunk value − team value) times the slope of NPS on the KPI (weighted least squares
   of each band's NPS on the band's midpoint, weighted by its answers, from the same
   analysis), is at least :data:`MATERIAL_NPS` points. Measured on the medium demo (all
   data): NPS falls 31 points per transfer, rises 44 with FCR and falls 0.01 per second
   of handle time; of the agents significantly worse than their team, the FCR gaps cost
   1.1-7.9 NPS points (median 2.7, 169 agents), the transfers gaps 0.8-1.3 (2 agents),
   the AHT gaps at most 0.13 (2 agents): customers barely notice a slower agent, so AHT
   is not a focus there.

An agent needs ``insights.min_person_responses`` contacts with a value for a KPI to be
judged on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import AnalysisError
from ..insights.kpi_alignment import kpi_alignment
from ..insights.kpi_verdict import amount
from . import plan_model as pm
from .plan_types import FocusArea

#: Smallest expected NPS cost of a KPI gap for it to be a focus area (NPS points).
MATERIAL_NPS = 1.0


@dataclass
class CustomerView:
    """What customers make of one KPI: rewarded or not, and which way is worse for them."""

    key: str
    label: str
    unit: str
    rewarded: bool
    higher_is_worse: bool
    sentence: str
    nps_per_unit: float  # the slope of NPS on the KPI (per unit; per 1.0 of a yes/no KPI)
    cut: float | None  # where the outcome turns (the threshold's cut), if found


def customer_views(ws, keys: list[str], since, until) -> tuple[dict[str, CustomerView], list[str]]:
    """Each KPI's customer view, and notes on what could not be judged."""
    if not keys:
        return {}, []
    try:
        report = kpi_alignment(ws, "nps", keys, since=since, until=until)
    except AnalysisError as e:  # includes MissingData: no answers joined to contacts
        return {}, [f"KPI focus areas left out: {e}"]
    views: dict[str, CustomerView] = {}
    for res in report.results:
        t = res.threshold
        step = t is not None and t.significant
        driver = res.driver_low is not None and res.driver_low > 0
        if res.kpi in views and views[res.kpi].rewarded:
            continue
        if step:
            higher_worse = t.change < 0
        elif driver and res.direction in ("negative", "positive"):
            higher_worse = res.direction == "negative"
        else:  # not rewarded: the direction does not matter
            higher_worse = True
        views[res.kpi] = CustomerView(res.kpi, res.label, res.unit, bool(step or driver),
                                      higher_worse, res.sentence, _slope(res.curve, res.unit),
                                      t.cut if step else None)  # fmt: skip
    notes = [f"{views[k].label}: customers do not reward it in this data, so it is not a "
             "focus area" for k in views if not views[k].rewarded]  # fmt: skip
    return views, notes


def kpi_fits(
    stats: dict[str, dict[str, tuple[int, float, float]]],
    teams: dict[str, str | None],
    minimum: int,
    level: float,
) -> dict[str, pm.Fit]:
    """One fitted model per KPI, over agents with at least ``minimum`` contacts."""
    out = {}
    for key, per in stats.items():
        ids = sorted(a for a, (n, _, _) in per.items() if n >= minimum)
        if len(ids) < 3:
            continue
        n = np.array([per[a][0] for a in ids], float)
        mean = np.array([per[a][1] for a in ids], float)
        sd = np.array([per[a][2] for a in ids], float)
        out[key] = pm.fit_means(ids, [teams.get(a) or "" for a in ids], n, mean, sd, level)
    return out


def kpi_focus(
    agent: str,
    first: str,
    team: str | None,
    fits: dict[str, pm.Fit],
    views: dict[str, CustomerView],
    level: float,
) -> list[FocusArea]:
    """The agent's KPI focus areas (significant or to watch), unranked."""
    out = []
    for key, fit in fits.items():
        view = views.get(key)
        i = fit.at(agent)
        if view is None or not view.rewarded or i is None:
            continue
        p, sig, score = fit.worse(i, view.higher_is_worse)
        cost = -view.nps_per_unit * float(fit.shrunk[i] - fit.group[i])
        if (not sig and p < pm.WATCH) or cost < MATERIAL_NPS:
            continue
        scale, unit = (100.0, "%") if view.unit == "binary" else (1.0, _unit(view.unit))
        area = FocusArea(
            kind="kpi", name=key, label=view.label,
            better="lower" if view.higher_is_worse else "higher", n=int(fit.n[i]), hits=None,
            unit=unit, raw=_r(scale * fit.raw[i]), shrunk=_r(scale * fit.shrunk[i]),
            low=_r(scale * fit.low[i]), high=_r(scale * fit.high[i]),
            interval_level=level, group=f"team {team}" if team else "centre",
            group_value=_r(scale * fit.group[i]), prob_worse=round(p, 3), significant=sig,
            status="focus" if sig else "to watch", score=round(score, 4),
            customers=view.sentence, nps_cost=round(cost, 1))  # fmt: skip
        area.sentence = _sentence(area, first, view)
        out.append(area)
    return out


def _slope(curve, unit: str) -> float:
    """NPS points per unit of the KPI across its bands (0.0 if it cannot be told). A band
    holds values in (low, high], the first one [low, high]: a yes/no band sits at its
    ``high``, a band of whole counts at the middle of the counts it holds."""

    def mid(i: int, b) -> float:
        if unit == "binary":
            return float(b.high)
        if unit == "count" and i > 0:
            return (b.low + 1 + b.high) / 2
        return (b.low + b.high) / 2

    pts = [(mid(i, b), b.value, b.n) for i, b in enumerate(curve)
           if b.value is not None and b.n]  # fmt: skip
    if len(pts) < 2:
        return 0.0
    x, y, w = (np.array(v, float) for v in zip(*pts, strict=True))
    xm, ym = (w * x).sum() / w.sum(), (w * y).sum() / w.sum()
    var = (w * (x - xm) ** 2).sum()
    return float((w * (x - xm) * (y - ym)).sum() / var) if var > 0 else 0.0


def _unit(unit: str) -> str:
    return "seconds" if unit == "seconds" else "per contact"


def _r(x: float) -> float:
    return round(float(x), 2)


def _value(x: float, area: FocusArea, view: CustomerView) -> str:
    if area.unit == "%":
        return f"{x:.0f}%"
    if area.unit == "seconds":
        return amount(x, "seconds")
    return f"{x:.2f} per contact"


def _sentence(a: FocusArea, first: str, view: CustomerView) -> str:
    pct = round(100 * a.interval_level)
    side = "higher" if a.better == "lower" else "lower"
    judged = ("clearly " + side + " than the team: a focus" if a.significant
              else f"{round(100 * a.prob_worse)}% likely {side} than the team: to watch")  # fmt: skip
    low, high = _value(a.low, a, view), _value(a.high, a, view)
    if a.unit == "per contact":
        low = low.removesuffix(" per contact")
    return (f"{a.label}: {first}'s {_value(a.raw, a, view)} over {a.n:,} contacts (fair "
            f"estimate {_value(a.shrunk, a, view)}, {pct}% interval {low} to "
            f"{high}) against {_value(a.group_value, a, view)} in "
            f"{a.group}; {judged}, worth about {a.nps_cost:.1f} NPS points to customers. "
            f"Customers notice: {view.sentence}")  # fmt: skip
