"""Promoters: who to invite to refer a friend or give a testimonial, recording the
invitations so nobody is asked again too soon, and counting customers won by referral.

* ``promoter_invitations``: customers whose latest NPS answer in the window is a promoter
  score (9-10, PRODUCT.md NPS), still customers at the window's end, with no invitation of
  any kind (app-store ``Invitation``) in the ``not_invited_days`` before now. Each comes
  with their own words: the newest comment of theirs tagged positive, else the comment on
  their promoter answer, else none. The window defaults to the 90 days up to the newest
  answer in the data.
  Ranking: *testimonial*: a positive comment first (a testimonial needs words), then the
  score (10 before 9), then the newest answer; *referral*: the score, then a positive
  comment, then annual value (the friends of large accounts tend to be large accounts).
* ``record_invitations``: writes one ``Invitation`` per customer with its audit event, in
  one transaction.
* ``referral_counts``: customers acquired by referral or recommendation
  (``customers.acquired_via``; PRODUCT.md earned growth counts both) by the period they
  joined, with the share of all customers who joined then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import ibis
from sqlalchemy import select

from ..errors import AnalysisError, MissingData, RecordInvalid
from ..export import csv_text, plain
from ..metrics.dimensions import PERIODS
from ..metrics.formulas import PROMOTER_MIN
from ..store.app import audit
from ..store.app.models import Invitation, utcnow
from .outreach_find import day_start

KINDS = ("referral", "testimonial")
EARNED = ("referral", "recommendation")
RECENT_DAYS = 90
CSV_COLUMNS = ("rank", "customer_id", "nps", "answered_on", "comment", "comment_is_positive",
               "annual_value", "segment", "product", "tenure_years", "last_invited_on",
               "why")  # fmt: skip


@dataclass
class PromoterInvite:
    """One promoter to invite, with their own words."""

    rank: int
    customer_id: str
    nps: int
    answered_on: dt.date
    response_id: str
    comment: str | None
    comment_is_positive: bool
    annual_value: float | None
    segment: str | None
    product: str | None
    tenure_years: float | None
    last_invited_on: dt.date | None  # an invitation older than the window
    why: str

    def to_dict(self) -> dict:
        return {k: plain(v) for k, v in asdict(self).items()}


@dataclass
class PromoterInvitations:
    kind: str
    since: dt.date
    until: dt.date
    not_invited_days: int
    promoters: int  # promoters in the window, before leaving anyone out
    recently_invited: int  # left out: invited within not_invited_days
    invites: list[PromoterInvite] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "since": self.since.isoformat(),
                "until": self.until.isoformat(), "not_invited_days": self.not_invited_days,
                "promoters": self.promoters, "recently_invited": self.recently_invited,
                "invites": [i.to_dict() for i in self.invites]}  # fmt: skip

    def to_csv(self) -> str:
        """Formula-safe CSV: a comment like ``=HYPERLINK(...)`` cannot run in a spreadsheet."""
        return csv_text([i.to_dict() for i in self.invites], CSV_COLUMNS)


def _kind(kind: str) -> str:
    k = kind.strip().lower()
    if k not in KINDS:
        raise RecordInvalid(f"unknown invitation kind {kind!r}; choose from: {', '.join(KINDS)}")
    return k


def promoter_invitations(
    ws,
    kind: str = "referral",
    not_invited_days: int = 180,
    since: dt.date | None = None,
    until: dt.date | None = None,
    *,
    now: dt.datetime | None = None,
    limit: int | None = None,
) -> PromoterInvitations:
    """Promoters to invite (module docstring), ranked."""
    kind = _kind(kind)
    store = ws.analytics
    r = store.table("responses")
    if until is None:
        newest = store.con.to_pyarrow(r.select(m=r.responded_at.max())).column("m")[0].as_py()
        if newest is None:
            raise MissingData("no survey responses loaded")
        until = newest.date()
    since = since or until - dt.timedelta(days=RECENT_DAYS - 1)
    if until < since:
        raise AnalysisError(f"the window ends ({until}) before it starts ({since})")
    w = r.filter(r.customer_id.notnull(), r.nps.notnull(), r.responded_at >= day_start(since),
                 r.responded_at < day_start(until + dt.timedelta(days=1)))  # fmt: skip
    w = w.mutate(n=ibis.row_number().over(group_by=w.customer_id,
                                          order_by=[ibis.desc(w.responded_at),
                                                    ibis.desc(w.response_id)]))  # fmt: skip
    latest = w.filter(w.n == 0, w.nps >= PROMOTER_MIN)
    c = store.table("customers")
    c = c.filter(c.churned_at.isnull() | (c.churned_at > ibis.literal(until)))
    j = latest.inner_join(c, "customer_id")
    rows = store.con.to_pyarrow(j.select(
        "customer_id", "response_id", "nps", "responded_at", "comment", "annual_value",
        "segment", "product", "customer_since")).to_pylist()  # fmt: skip
    positive = _positive_comments(ws, [x["customer_id"] for x in rows], until)
    now = now or utcnow()
    recent, older = _invited(ws, [x["customer_id"] for x in rows], now, not_invited_days)
    out = []
    for x in rows:
        cid = x["customer_id"]
        if cid in recent:
            continue
        pos = positive.get(cid)
        comment = pos or (x["comment"] if isinstance(x["comment"], str) and x["comment"].strip()
                          else None)  # fmt: skip
        joined = x["customer_since"]
        joined = joined.date() if isinstance(joined, dt.datetime) else joined
        out.append(PromoterInvite(
            rank=0, customer_id=cid, nps=int(x["nps"]), answered_on=x["responded_at"].date(),
            response_id=x["response_id"], comment=comment, comment_is_positive=pos is not None,
            annual_value=x["annual_value"], segment=x["segment"], product=x["product"],
            tenure_years=round((until - joined).days / 365.25, 1) if joined else None,
            last_invited_on=older.get(cid), why=""))  # fmt: skip
    _rank(out, kind)
    return PromoterInvitations(kind, since, until, not_invited_days, len(rows), len(recent),
                               out[:limit] if limit else out)  # fmt: skip


def _rank(invites: list[PromoterInvite], kind: str) -> None:
    if kind == "testimonial":
        invites.sort(key=lambda i: (not i.comment_is_positive, -i.nps, -i.answered_on.toordinal(),
                                    i.customer_id))  # fmt: skip
    else:
        invites.sort(key=lambda i: (-i.nps, not i.comment_is_positive, -(i.annual_value or 0),
                                    i.customer_id))  # fmt: skip
    for n, i in enumerate(invites, 1):
        i.rank = n
        words = "a positive comment" if i.comment_is_positive else (
            "a comment (not tagged positive)" if i.comment else "no comment")  # fmt: skip
        value = (
            f"value {i.annual_value:,.0f} a year" if i.annual_value is not None else "value unknown"
        )
        i.why = (f"NPS {i.nps} on {i.answered_on}; {words}; {value}" if kind == "referral" else
                 f"{words}; NPS {i.nps} on {i.answered_on}")  # fmt: skip


def _positive_comments(ws, ids: Sequence[str], until: dt.date) -> dict[str, str]:
    """Each customer's newest comment tagged positive, answered by ``until``."""
    if not ids:
        return {}
    store = ws.analytics
    r = store.table("responses")
    tags = store.table("comment_tags")
    tags = tags.filter(tags.sentiment == "positive").select("response_id")
    out: dict[str, str] = {}
    ids = sorted(set(ids))
    for start in range(0, len(ids), 5000):
        j = r.filter(r.customer_id.isin(ids[start : start + 5000]), r.comment.notnull(),
                     r.responded_at < day_start(until + dt.timedelta(days=1)))  # fmt: skip
        j = j.semi_join(tags, "response_id")
        j = j.mutate(n=ibis.row_number().over(group_by=j.customer_id,
                                              order_by=[ibis.desc(j.responded_at),
                                                        ibis.desc(j.response_id)]))  # fmt: skip
        j = j.filter(j.n == 0).select("customer_id", "comment")
        out |= {x["customer_id"]: x["comment"] for x in store.con.to_pyarrow(j).to_pylist()}
    return out


def _invited(ws, ids: Sequence[str], now: dt.datetime, days: int):  # noqa: ANN202
    """(ids invited within ``days`` before ``now``, id -> last older invitation's day)."""
    cutoff = now - dt.timedelta(days=days)
    recent: set[str] = set()
    older: dict[str, dt.date] = {}
    wanted = set(ids)
    with ws.app.session() as session:
        for inv in session.scalars(select(Invitation).order_by(Invitation.invited_at)):
            if inv.customer_id not in wanted:
                continue
            if inv.invited_at >= cutoff:
                recent.add(inv.customer_id)
            else:
                older[inv.customer_id] = inv.invited_at.date()
    return recent, older


def record_invitations(
    ws,
    customer_ids: Sequence[str],
    kind: str,
    actor: str,
    *,
    response_ids: dict[str, str] | None = None,
    at: dt.datetime | None = None,
) -> list[Invitation]:
    """Record that these customers were invited (one audited row each, one transaction)."""
    kind = _kind(kind)
    at = at or utcnow()
    if at.tzinfo is None:
        raise RecordInvalid("the invitation time needs a time zone")
    made = []
    with ws.app.session("recording invitations") as session:
        for cid in dict.fromkeys(customer_ids):
            if not isinstance(cid, str) or not cid.strip():
                raise RecordInvalid(f"customer id {cid!r} is empty")
            inv = Invitation(customer_id=cid.strip()[:128], kind=kind, invited_at=at,
                             response_id=(response_ids or {}).get(cid), invited_by=actor)  # fmt: skip
            session.add(inv)
            session.flush()
            audit.add_event(session, actor=actor, entity="invitation", entity_id=inv.id,
                            action="create", after={"customer_id": inv.customer_id,
                            "kind": kind, "response_id": inv.response_id,
                            "invited_at": at.isoformat()})  # fmt: skip
            made.append(inv)
    return made


@dataclass
class ReferralPeriod:
    period: dt.date  # first day of the period customers joined in
    joined: int
    referral: int
    recommendation: int
    earned: int  # referral + recommendation
    earned_share: float | None
    earned_value: float  # annual value of the earned customers

    def to_dict(self) -> dict:
        return {k: plain(v) for k, v in asdict(self).items()}


def referral_counts(
    ws, by: str = "month", since: dt.date | None = None, until: dt.date | None = None
) -> list[ReferralPeriod]:
    """Customers who joined in each period, and how many came by referral or
    recommendation (module docstring)."""
    if by not in PERIODS:
        raise AnalysisError(f"unknown period {by!r}; choose from: {', '.join(PERIODS)}")
    c = ws.analytics.table("customers")
    c = c.filter(c.customer_since.notnull())
    if since:
        c = c.filter(c.customer_since >= ibis.literal(since))
    if until:
        c = c.filter(c.customer_since <= ibis.literal(until))
    via = c.acquired_via.lower()
    g = c.group_by(period=c.customer_since.truncate(PERIODS[by])).agg(
        joined=c.count(), referral=(via == "referral").ifelse(1, 0).sum(),
        recommendation=(via == "recommendation").ifelse(1, 0).sum(),
        earned_value=via.isin(list(EARNED)).ifelse(c.annual_value.fill_null(0),
                                                   ibis.literal(0.0, type="float64")).sum(),
    ).order_by("period")  # fmt: skip
    out = []
    for row in ws.analytics.con.to_pyarrow(g).to_pylist():
        p = row["period"]
        earned = int(row["referral"] or 0) + int(row["recommendation"] or 0)
        out.append(ReferralPeriod(
            period=p.date() if isinstance(p, dt.datetime) else p, joined=int(row["joined"]),
            referral=int(row["referral"] or 0), recommendation=int(row["recommendation"] or 0),
            earned=earned, earned_share=earned / row["joined"] if row["joined"] else None,
            earned_value=round(float(row["earned_value"] or 0), 2)))  # fmt: skip
    return out
