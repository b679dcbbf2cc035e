"""Loop metrics: is feedback acted on? By team (or rule, priority, channel) and period.

For the responses answered in each group and period (periods cut in local time):

* **contacted within SLA**: of the detractors (NPS 0-6), the share whose case had its first
  contact by its due time. A detractor with no case counts as not contacted; one whose case
  is still open and not yet due is left out (its outcome is not known yet).
* **time to first contact**: median hours from the response to the first contact, over
  cases contacted (calendar hours, and business hours as the SLA counts them), with a 95%
  distribution-free interval (order statistics ``n/2 ± 1.96·sqrt(n)/2``).
* **resolution rate**: of the cases closed, the share resolved (not "unable to reach").
* **unactioned feedback**: of the responses that met a rule, those with no case plus those
  whose case was closed with no action (resolution code ``no_action``, or closed without
  any contact and without a note).

Shares are percentages with the Agresti-Coull 95% margin of
:func:`cxloop.metrics.formulas.share_margin`; every figure comes with its ``n``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass
from statistics import median

from sqlalchemy import func, select

from ..errors import UnknownDimension
from ..metrics.formulas import DETRACTOR_MAX, share, share_margin
from ..store.app.models import Case, CaseNote, CaseStatus
from .cases import NO_ACTION
from .rules import RESPONSE_COLUMNS, Match, match_rules
from .sla import BusinessCalendar

BY = ("team", "rule", "priority", "channel", "all")
PERIODS = ("day", "week", "month", "quarter", "all")


@dataclass
class LoopRow:
    group: str
    period: str
    met_rule: int  # responses that met a rule
    cases: int
    detractors: int  # detractors whose SLA outcome is known
    contacted_in_sla: int
    in_sla_share: float | None
    in_sla_margin: float | None
    contacted: int
    median_hours_to_contact: float | None
    median_hours_low: float | None
    median_hours_high: float | None
    median_business_hours_to_contact: float | None
    closed: int
    resolved: int
    resolution_rate: float | None
    resolution_margin: float | None
    no_case: int
    closed_no_action: int
    unactioned: int
    unactioned_share: float | None
    unactioned_margin: float | None

    def to_dict(self) -> dict:
        return asdict(self)


def loop_metrics(
    ws,
    by: str = "team",
    period: str = "month",
    since: dt.date | None = None,
    until: dt.date | None = None,
    now: dt.datetime | None = None,
) -> list[LoopRow]:
    """The loop metrics per group and period (see the module docstring)."""
    if by not in BY:
        raise UnknownDimension(f"cannot group loop metrics by {by!r}; use one of {', '.join(BY)}")
    if period not in PERIODS:
        raise UnknownDimension(f"unknown period {period!r}; use one of {', '.join(PERIODS)}")
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    calendar = BusinessCalendar.from_settings(ws.settings)
    responses = match_rules(ws, since, until)
    met = set(responses)
    for m in _detractors(ws, since, until):
        responses.setdefault(m.response_id, m)
    with ws.app.session("reading cases") as session:
        cases = {c.response_id: c for c in session.scalars(select(Case))}
        noted = set(session.scalars(select(CaseNote.case_id).group_by(CaseNote.case_id)
                                    .having(func.count() > 0)))  # fmt: skip
    groups: dict[tuple[str, str], dict[str, list]] = {}
    for rid, m in responses.items():
        case = cases.get(rid)
        key = (_group(m, case, by), _period(m.responded_at, period))
        g = groups.setdefault(key, {k: [] for k in ("met", "sla", "hours", "bhours", "closed")})
        if rid in met:
            closed_no_action = case is not None and case.status in (
                CaseStatus.resolved, CaseStatus.unable_to_reach) and (
                case.resolution_code == NO_ACTION
                or (case.first_contact_at is None and case.id not in noted))  # fmt: skip
            g["met"].append((case is not None, case is None, closed_no_action))
        if m.nps is not None and m.nps <= DETRACTOR_MAX:
            if case is None:
                g["sla"].append(False)
            elif case.first_contact_at is not None:
                g["sla"].append(case.first_contact_at <= case.due_at)
            elif case.due_at < now or case.status != CaseStatus.open:
                g["sla"].append(False)
        if case is not None and case.first_contact_at is not None:
            g["hours"].append((case.first_contact_at - case.responded_at).total_seconds() / 3600)
            g["bhours"].append(calendar.hours_between(case.responded_at, case.first_contact_at))
        if case is not None and case.status in (CaseStatus.resolved, CaseStatus.unable_to_reach):
            g["closed"].append(case.status == CaseStatus.resolved)
    return [_row(group, per, g) for (group, per), g in sorted(groups.items())]


def _row(group: str, per: str, g: dict[str, list]) -> LoopRow:
    met = g["met"]
    n_cases = sum(1 for has, _, _ in met if has)
    no_case = sum(1 for _, none, _ in met if none)
    no_action = sum(1 for _, _, na in met if na)
    in_sla = sum(g["sla"])
    resolved = sum(g["closed"])
    lo, hi = _median_interval(g["hours"])
    return LoopRow(
        group, per, len(met), n_cases, len(g["sla"]), in_sla, *_pct(in_sla, len(g["sla"])),
        len(g["hours"]), _r(median(g["hours"])) if g["hours"] else None, lo, hi,
        _r(median(g["bhours"])) if g["bhours"] else None,
        len(g["closed"]), resolved, *_pct(resolved, len(g["closed"])),
        no_case, no_action, no_case + no_action, *_pct(no_case + no_action, len(met)),
    )  # fmt: skip


def _pct(hits: int, n: int) -> tuple[float | None, float | None]:
    if n == 0:
        return None, None
    return round(share(hits, n), 1), round(share_margin(hits, n), 1)


def _r(x: float) -> float:
    return round(x, 2)


def _median_interval(values: list[float]) -> tuple[float | None, float | None]:
    """95% interval of a median from order statistics (no distribution assumed)."""
    n = len(values)
    if n == 0:
        return None, None
    xs = sorted(values)
    half = 1.96 * math.sqrt(n) / 2
    lo = max(int(math.floor(n / 2 - half)), 0)
    hi = min(int(math.ceil(n / 2 + half)), n - 1)
    return _r(xs[lo]), _r(xs[hi])


def _group(m: Match, case: Case | None, by: str) -> str:
    if by == "all":
        return "all"
    if by == "team":
        return m.team_id or "(no team)"
    if by == "channel":
        return m.channel or "(no channel)"
    if by == "rule":
        return case.rule if case is not None else m.rule
    return case.priority if case is not None else m.priority


def _period(at: dt.datetime, period: str) -> str:
    if period == "all":
        return "all"
    if period == "day":
        return at.date().isoformat()
    if period == "week":
        year, week, _ = at.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "quarter":
        return f"{at.year}-Q{(at.month - 1) // 3 + 1}"
    return f"{at.year}-{at.month:02d}"


def _detractors(ws, since: dt.date | None, until: dt.date | None) -> list[Match]:
    """Every detractor response in the range (whether or not a rule asks for a case)."""
    from ..settings import CaseRule
    from .rules import rule_expr

    rule = CaseRule(name="detractors", nps_min=0, nps_max=DETRACTOR_MAX)
    cols = ws.analytics.con.to_pyarrow(rule_expr(ws, rule, since, until)).to_pydict()
    return [Match(*row, rule="", priority="", rules=[])
            for row in zip(*(cols[c] for c in RESPONSE_COLUMNS), strict=True)]  # fmt: skip
