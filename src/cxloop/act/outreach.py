"""Proactive outreach, "call them before they call you": given a problem, list every
affected customer, mark those who already complained, and rank the rest by account value
and risk, with the reason on every row.

Three kinds of problem:

* ``incident_outreach``: a dated incident described by customer attributes (product,
  segment, region, joined before a date), among customers active on its first day (no
  churn date, or one on or after it). *Complained*: a contact for one of
  ``complaint_reasons`` between start and end + ``contact_lag_days``, or a comment tagged
  with one of ``complaint_themes`` answered between start and end + ``comment_lag_days``
  (comments come later: the survey follows the contact).
* ``theme_outreach``: a theme spike (from the trends analysis) and its window; the
  customer-level conditions that over-represent the customers who raised the theme are
  derived (:mod:`cxloop.act.outreach_rules`, shown with lift and support) and everyone
  matching them is listed. Complained: raised the theme (comment or same-named reason).
* ``condition_outreach``: an operational condition on contacts, e.g. waited over 10
  minutes and transferred twice or more in the last 7 days (queued channels by default).
  Complained: a "complaint" contact or a detractor answer after their first such contact.

Ranking (:mod:`cxloop.act.outreach_risk`): priority = annual value x (1 + risk points);
customers who already complained come last and get no rank (they are being dealt with).
``OutreachList.to_csv()`` is formula-safe (:mod:`cxloop.export`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from ..errors import AnalysisError, MissingData
from ..export import csv_text, plain
from . import outreach_find as find
from .outreach_risk import LOOKBACK_DAYS, History, histories, rank_line
from .outreach_rules import DerivedCondition, active_on, candidates, derive

CSV_COLUMNS = ("rank", "customer_id", "complained", "complaint", "annual_value", "risk_points",
               "priority", "why_ranked", "affected_because", "segment", "product", "region",
               "customer_since", "churned_at")  # fmt: skip


@dataclass
class OutreachCustomer:
    """One affected customer: why they are on the list and where they rank."""

    customer_id: str
    rank: int | None  # None: already complained
    complained: bool
    complaint: str | None  # what counted as their complaint, with its date
    annual_value: float | None
    risk_points: int
    priority: float
    why_ranked: str
    affected_because: str
    segment: str | None
    product: str | None
    region: str | None
    customer_since: dt.date | None
    churned_at: dt.date | None

    def to_dict(self) -> dict:
        return {k: plain(v) for k, v in asdict(self).items()}


@dataclass
class OutreachList:
    """An outreach list: the problem, how complaints were recognised, and the customers."""

    kind: str  # incident, theme, condition
    problem: str
    start: dt.date
    end: dt.date
    as_of: dt.date  # history for the risk score runs up to this day
    complaint_definition: str
    customers: list[OutreachCustomer]
    conditions: list[DerivedCondition] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def affected(self) -> int:
        return len(self.customers)

    @property
    def complained(self) -> int:
        return sum(c.complained for c in self.customers)

    @property
    def to_call(self) -> list[OutreachCustomer]:
        """The ranked customers who have not complained, best first."""
        return [c for c in self.customers if not c.complained]

    def summary(self) -> str:
        value = sum(c.annual_value or 0 for c in self.to_call)
        return (f"{self.affected:,} affected customer(s); {self.complained:,} already complained; "
                f"{len(self.to_call):,} to call, worth {value:,.0f} a year")  # fmt: skip

    def to_dict(self) -> dict:
        return {
            "kind": self.kind, "problem": self.problem, "start": self.start.isoformat(),
            "end": self.end.isoformat(), "as_of": self.as_of.isoformat(),
            "complaint_definition": self.complaint_definition, "affected": self.affected,
            "complained": self.complained, "to_call": len(self.to_call),
            "summary": self.summary(), "conditions": [c.to_dict() for c in self.conditions],
            "notes": self.notes, "customers": [c.to_dict() for c in self.customers],
        }  # fmt: skip

    def to_csv(self) -> str:
        """The list as formula-safe CSV (comments and names cannot run in a spreadsheet)."""
        return csv_text([c.to_dict() for c in self.customers], CSV_COLUMNS)


def incident_outreach(
    ws,
    *,
    start: dt.date,
    end: dt.date,
    products: Sequence[str] = (),
    segments: Sequence[str] = (),
    regions: Sequence[str] = (),
    joined_before: dt.date | None = None,
    joined_from: dt.date | None = None,
    complaint_reasons: Sequence[str] = (),
    complaint_themes: Sequence[str] = (),
    contact_lag_days: int = 0,
    comment_lag_days: int = 45,
    name: str | None = None,
) -> OutreachList:
    """Customers hit by a dated incident (see the module docstring)."""
    _check_window(start, end)
    if not (products or segments or regions or joined_before or joined_from):
        raise AnalysisError("describe who the incident hit: a product, segment, region or "
                            "joined-before date")  # fmt: skip
    rows = find.customers_where(ws, products=products, segments=segments, regions=regions,
                                joined_before=joined_before, joined_from=joined_from,
                                active_on=start)  # fmt: skip
    parts = [f"{k} {' or '.join(v)}" for k, v in (("product", products), ("segment", segments),
             ("region", regions)) if v]  # fmt: skip
    if joined_before:
        parts.append(f"joined before {joined_before}")
    if joined_from:
        parts.append(f"joined on or after {joined_from}")
    parts.append(f"active on {start}")
    because = ", ".join(parts)
    complained, definition = _complaints(ws, start, end, complaint_reasons, complaint_themes,
                                         contact_lag_days, comment_lag_days)  # fmt: skip
    problem = f"{name + ': ' if name else ''}{because}, {start} to {end}"
    as_of = end + dt.timedelta(days=max(contact_lag_days, comment_lag_days))
    return _build(ws, "incident", problem, start, end, as_of, definition, rows,
                  {r["customer_id"]: because for r in rows}, complained)  # fmt: skip


def theme_outreach(
    ws, theme: str, *, since: dt.date, until: dt.date, lag_days: int = 45
) -> OutreachList:
    """Customers a theme spike points at: the derived conditions (module docstring of
    :mod:`cxloop.act.outreach_rules`) and everyone matching them."""
    _check_window(since, until)
    themes = {t.lower(): t for t in find.known_themes(ws)}
    if theme.strip().lower() not in themes:
        raise MissingData(f"no comment is tagged {theme!r}; run `cxloop themes tag` or check "
                          "the theme's name with `cxloop themes summary`")  # fmt: skip
    name = themes[theme.strip().lower()]
    reasons = [r for r in find.known_reasons(ws) if r.lower() == name.lower()]
    complained, definition = _complaints(ws, since, until, reasons, [name], 0, lag_days)
    cust = find.all_customers(ws)
    population = active_on(cust.since, cust.churned, since)
    raised = np.isin(cust.ids, list(complained))
    settings = ws.settings
    mask, kept, notes = derive(population, raised, candidates(cust.attrs, cust.joined_year),
                               fdr=settings.insights.false_discovery_rate,
                               min_n=settings.metrics.min_group_responses)  # fmt: skip
    if not kept:
        notes.append("no customer-level condition over-represents the customers who raised "
                     "the theme; nobody is listed")  # fmt: skip
    because = ", ".join([*(c.condition for c in kept), f"active on {since}"])
    ids = cust.ids[mask].tolist()
    rows = find.customers_by_id(ws, ids)
    problem = f'theme "{name}" from {since} to {until}: {because if kept else "no conditions"}'
    out = _build(ws, "theme", problem, since, until, until + dt.timedelta(days=lag_days),
                 definition, rows, {i: because for i in ids}, complained)  # fmt: skip
    out.conditions = kept
    out.notes = [f"{int((raised & population).sum()):,} of {int(population.sum()):,} active "
                 f"customers raised the theme"] + notes  # fmt: skip
    outside = int((raised & ~mask).sum())
    if outside and kept:
        out.notes.append(f"{outside:,} customer(s) who raised the theme match not every "
                         "condition and are not listed")  # fmt: skip
    return out


def condition_outreach(
    ws,
    *,
    wait_over: float | None = 600,
    transfers: int | None = 2,
    days: int = 7,
    as_of: dt.date | None = None,
    channels: Sequence[str] | None = None,
    complaint_reasons: Sequence[str] = ("complaint",),
) -> OutreachList:
    """Customers whose contacts met an operational condition in the last ``days`` days up
    to ``as_of`` (default: the day of the newest contact in the data)."""
    if wait_over is None and transfers is None:
        raise AnalysisError("give a condition: a wait (seconds) and/or a number of transfers")
    if days < 1:
        raise AnalysisError("days must be at least 1")
    as_of = as_of or find.latest_contact_day(ws)
    if as_of is None:
        raise MissingData("no contacts loaded: ingest interactions first")
    since = as_of - dt.timedelta(days=days - 1)
    channels = ws.settings.metrics.queued_channels if channels is None else channels
    hits = find.condition_contacts(ws, wait_over=wait_over, transfers=transfers, since=since,
                                   until=as_of, channels=channels)  # fmt: skip
    parts = []
    if wait_over is not None:
        parts.append(f"waited over {wait_over / 60:g} min")
    if transfers is not None:
        parts.append(f"transferred {transfers}+ times")
    on = f" on {', '.join(channels)}" if channels else ""
    problem = f"contacts that {' and '.join(parts)}{on}, {since} to {as_of}"
    signals = find.complaints_after(ws, complaint_reasons, since, as_of)
    complained = {}
    for cid, hit in hits.items():
        if cid in signals and signals[cid][0] >= hit.first:
            at, what = signals[cid]
            complained[cid] = f"{what} on {at.date()}"
    because = {cid: (f"{h.contacts} contact(s) from {h.first.date()} to {h.last.date()}: "
                     f"longest wait {h.longest_wait / 60:.0f} min, up to {h.most_transfers} "
                     "transfers") for cid, h in hits.items()}  # fmt: skip
    definition = (f"a contact for {' or '.join(repr(r) for r in complaint_reasons)} or a "
                  "detractor answer (NPS 0-6) after their first such contact")  # fmt: skip
    rows = find.customers_by_id(ws, list(hits))
    return _build(ws, "condition", problem, since, as_of, as_of, definition, rows, because,
                  complained)  # fmt: skip


def _check_window(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise AnalysisError(f"the window ends ({end}) before it starts ({start})")


def _complaints(ws, start, end, reasons, themes, contact_lag, comment_lag):  # noqa: ANN001, ANN202
    """id -> what counted as their complaint, and the definition in words."""
    c_end = end + dt.timedelta(days=contact_lag)
    m_end = end + dt.timedelta(days=comment_lag)
    out: dict[str, str] = {}
    for cid, (day, n) in find.comments_with(ws, themes, start, m_end).items():
        out[cid] = f"{n} comment(s) on {' or '.join(themes)}, first {day}"
    for cid, (day, n) in find.contacts_for(ws, reasons, start, c_end).items():
        out[cid] = f"{n} contact(s) for {' or '.join(reasons)}, first {day}"
    words = []
    if reasons:
        words.append(f"a contact for {' or '.join(repr(r) for r in reasons)} from {start} to "
                     f"{c_end}")  # fmt: skip
    if themes:
        words.append(f"a comment tagged {' or '.join(repr(t) for t in themes)} answered from "
                     f"{start} to {m_end}")  # fmt: skip
    return out, " or ".join(words) or "none given: nobody is marked as having complained"


def _build(ws, kind, problem, start, end, as_of, definition, rows, because, complained,
           lookback_days: int = LOOKBACK_DAYS) -> OutreachList:  # fmt: skip  # noqa: ANN001
    hist = histories(ws, as_of, lookback_days, [r["customer_id"] for r in rows])
    people = []
    for r in rows:
        h = hist.get(r["customer_id"]) or History()
        value = r["annual_value"]
        people.append(OutreachCustomer(
            customer_id=r["customer_id"], rank=None, complained=r["customer_id"] in complained,
            complaint=complained.get(r["customer_id"]), annual_value=value,
            risk_points=h.points, priority=round((value or 0.0) * (1 + h.points), 2),
            why_ranked=rank_line(value, h, lookback_days),
            affected_because=because.get(r["customer_id"], ""), segment=r["segment"],
            product=r["product"], region=r["region"], customer_since=r["customer_since"],
            churned_at=r["churned_at"]))  # fmt: skip
    people.sort(key=lambda p: (p.complained, -p.priority, p.customer_id))
    for i, p in enumerate(x for x in people if not x.complained):
        p.rank = i + 1
    return OutreachList(kind, problem, start, end, as_of, definition, people)
