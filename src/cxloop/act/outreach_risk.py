"""How an outreach list is ranked: account value times a churn-risk score from each
customer's recent history, with the reason written out on every row.

The risk score is explicit points (an assumption, labelled as one; PRODUCT.md "account
value at risk" allows an explicit assumption where the probability is not estimated),
counted over the ``lookback_days`` before the list's reference date:

=====================================================  ======
signal                                                 points
=====================================================  ======
latest NPS answer a detractor (0-6, PRODUCT.md NPS)       3
latest NPS answer a passive (7-8)                         1
each contact not resolved (at most 3 counted)             1
a contact with reason "complaint"                         2
a comment with negative sentiment                         1
=====================================================  ======

``risk score = 1 + points`` (so a customer with a quiet history still ranks by value) and
``priority = annual value x risk score``; the list is sorted by priority, highest first,
ties by customer id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import ibis

from ..metrics.formulas import DETRACTOR_MAX, PROMOTER_MIN

DETRACTOR_POINTS = 3
PASSIVE_POINTS = 1
UNRESOLVED_POINTS = 1
UNRESOLVED_MAX = 3
COMPLAINT_POINTS = 2
NEGATIVE_COMMENT_POINTS = 1
COMPLAINT_REASON = "complaint"
LOOKBACK_DAYS = 365


@dataclass
class History:
    """What one customer's recent history says about their risk."""

    latest_nps: int | None = None
    latest_nps_on: dt.date | None = None
    contacts: int = 0
    unresolved: int = 0
    complaints: int = 0
    negative_comments: int = 0
    reasons: list[str] = field(default_factory=list)  # (points) explanations

    @property
    def points(self) -> int:
        """Risk points from the table in the module docstring."""
        p = 0
        if self.latest_nps is not None:
            if self.latest_nps <= DETRACTOR_MAX:
                p += DETRACTOR_POINTS
            elif self.latest_nps < PROMOTER_MIN:
                p += PASSIVE_POINTS
        p += UNRESOLVED_POINTS * min(self.unresolved, UNRESOLVED_MAX)
        p += COMPLAINT_POINTS if self.complaints else 0
        p += NEGATIVE_COMMENT_POINTS if self.negative_comments else 0
        return p

    def explain(self) -> list[str]:
        """Each signal that scored, with its points, e.g. ``"detractor (NPS 3 on ...): +3"``."""
        out = []
        if self.latest_nps is not None and self.latest_nps < PROMOTER_MIN:
            det = self.latest_nps <= DETRACTOR_MAX
            out.append(f"{'detractor' if det else 'passive'} (NPS {self.latest_nps} on "
                       f"{self.latest_nps_on}): +{DETRACTOR_POINTS if det else PASSIVE_POINTS}")  # fmt: skip
        if self.unresolved:
            counted = min(self.unresolved, UNRESOLVED_MAX)
            out.append(f"{self.unresolved} unresolved contact{'s' * (self.unresolved > 1)}: "
                       f"+{UNRESOLVED_POINTS * counted}")  # fmt: skip
        if self.complaints:
            out.append(f"{self.complaints} complaint contact{'s' * (self.complaints > 1)}: "
                       f"+{COMPLAINT_POINTS}")  # fmt: skip
        if self.negative_comments:
            out.append(f"negative comment: +{NEGATIVE_COMMENT_POINTS}")
        return out


def _day(d: dt.date) -> ibis.Expr:
    return ibis.timestamp(dt.datetime.combine(d, dt.time()))


def histories(
    ws, as_of: dt.date, lookback_days: int = LOOKBACK_DAYS, customers: Iterable[str] | None = None
) -> dict[str, History]:
    """Every customer's history in the ``lookback_days`` up to and including ``as_of``
    (only ``customers`` if given)."""
    store = ws.analytics
    since, until = as_of - dt.timedelta(days=lookback_days - 1), as_of + dt.timedelta(days=1)
    wanted = set(customers) if customers is not None else None
    out: dict[str, History] = {}

    def get(cid: str) -> History | None:
        if wanted is not None and cid not in wanted:
            return None
        return out.setdefault(cid, History())

    i = store.table("interactions")
    i = i.filter(i.customer_id.notnull(), i.started_at >= _day(since), i.started_at < _day(until))
    k = i.group_by("customer_id").agg(
        contacts=i.count(),
        unresolved=(i.resolved.notnull() & ~i.resolved.fill_null(True)).ifelse(1, 0).sum(),
        complaints=(i.reason == COMPLAINT_REASON).ifelse(1, 0).sum(),
    )
    for row in store.con.to_pyarrow(k).to_pylist():
        h = get(row["customer_id"])
        if h is not None:
            h.contacts, h.unresolved = int(row["contacts"]), int(row["unresolved"] or 0)
            h.complaints = int(row["complaints"] or 0)

    r = store.table("responses")
    r = r.filter(r.customer_id.notnull(), r.responded_at >= _day(since),
                 r.responded_at < _day(until))  # fmt: skip
    answered = r.filter(r.nps.notnull())
    latest = answered.mutate(
        n=ibis.row_number().over(group_by=answered.customer_id,
                                 order_by=[ibis.desc(answered.responded_at),
                                           ibis.desc(answered.response_id)]))  # fmt: skip
    latest = latest.filter(latest.n == 0).select("customer_id", "nps", "responded_at")
    for row in store.con.to_pyarrow(latest).to_pylist():
        h = get(row["customer_id"])
        if h is not None:
            h.latest_nps, h.latest_nps_on = int(row["nps"]), row["responded_at"].date()

    tags = store.table("comment_tags")
    neg = r.inner_join(tags, "response_id")
    neg = neg.filter(neg.sentiment == "negative")
    neg = neg.group_by("customer_id").agg(n=neg.count())
    for row in store.con.to_pyarrow(neg).to_pylist():
        h = get(row["customer_id"])
        if h is not None:
            h.negative_comments = int(row["n"])
    return out


def rank_line(value: float | None, history: History, lookback_days: int = LOOKBACK_DAYS) -> str:
    """Why a customer ranks where they do, in words."""
    signals = history.explain()
    v = f"value {value:,.0f} a year" if value is not None else "value unknown (counted as 0)"
    if not signals:
        return f"{v} x risk 1 (no risk signal in the last {lookback_days} days)"
    return f"{v} x risk {1 + history.points} (1 + " + "; ".join(signals) + ")"
