"""Customer 360: one customer's whole story on one timeline, with a suggested next step.

``customer_360(ws, "C0000123")`` gathers, newest first:

* contacts (interactions): channel, reason, queue, wait, transfers, resolved;
* survey answers: NPS / CSAT / CES, the comment, its themes and sentiment;
* cases from the app store: opened (rule, reason, owner, due), first contact, closed
  (resolution code, root-cause theme, whether the issue was fixed), and their notes;
* promoter invitations.

It adds the account (segment, product, region, annual value, customer since, tenure,
churn date, how they were acquired) and the next step from the rules in
:mod:`cxloop.act.customer360_rules`. The reference day (``as_of``) defaults to the newest
contact or answer in the data, so a workspace loaded last month still reads sensibly.
Comments and notes are returned as they were written: escape them when showing HTML.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from ..errors import UnknownCustomer
from ..export import plain
from ..store.app.models import Case, CaseNote, CaseStatus, Invitation
from .customer360_rules import RECENT_DAYS, Facts, NextStep, suggest


@dataclass
class TimelineEvent:
    """One thing that happened, as a line of the timeline."""

    at: dt.datetime
    kind: str  # contact, survey answer, case opened, case contacted, case closed, case note, invitation
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"at": self.at.isoformat(), "kind": self.kind, "summary": self.summary,
                "detail": {k: plain(v) for k, v in self.detail.items()}}  # fmt: skip


@dataclass
class Customer360:
    customer_id: str
    account: dict[str, Any]
    as_of: dt.date
    next_step: NextStep
    timeline: list[TimelineEvent]  # newest first

    def to_dict(self) -> dict:
        return {"customer_id": self.customer_id,
                "account": {k: plain(v) for k, v in self.account.items()},
                "as_of": self.as_of.isoformat(), "next_step": self.next_step.to_dict(),
                "timeline": [e.to_dict() for e in self.timeline]}  # fmt: skip


def _day(v: Any) -> dt.date | None:
    return v.date() if isinstance(v, dt.datetime) else v


def _naive(v: dt.datetime) -> dt.datetime:
    """UTC-aware app-store times as naive UTC, like the analytics store's."""
    return v.astimezone(dt.UTC).replace(tzinfo=None) if v.tzinfo else v


def customer_360(ws, customer_id: str, as_of: dt.date | None = None) -> Customer360:
    """One customer's timeline, account and next step (module docstring); UnknownCustomer
    if the id is not in the customers table."""
    store = ws.analytics
    cid = customer_id.strip()
    c = store.table("customers")
    found = store.con.to_pyarrow(c.filter(c.customer_id == cid)).to_pylist()
    if not found:
        raise UnknownCustomer(f"no customer {customer_id!r} in the customers table")
    acct = found[0]
    events: list[TimelineEvent] = []
    contacts = _contacts(ws, cid, events)
    answers = _answers(ws, cid, events)
    cases, last_invited = _app_records(ws, cid, events)
    events.sort(key=lambda e: (e.at, e.kind), reverse=True)
    if as_of is None:
        i, r = store.table("interactions"), store.table("responses")
        newest = [store.con.to_pyarrow(t.select(m=t[col].max())).column("m")[0].as_py()
                  for t, col in ((i, "started_at"), (r, "responded_at"))]  # fmt: skip
        known = [_day(v) for v in newest if v is not None]
        as_of = max(known) if known else dt.date.today()
    since, churned = _day(acct["customer_since"]), _day(acct["churned_at"])
    end = churned if churned and churned < as_of else as_of
    account = {
        "segment": acct["segment"], "product": acct["product"], "region": acct["region"],
        "annual_value": acct["annual_value"], "customer_since": since,
        "tenure_years": round((end - since).days / 365.25, 1) if since else None,
        "churned_at": churned, "acquired_via": acct.get("acquired_via"),
        "contacts": len(contacts), "survey_answers": len(answers), "cases": len(cases),
    }  # fmt: skip
    cutoff = as_of - dt.timedelta(days=RECENT_DAYS)
    latest = next((a for a in answers if a["nps"] is not None), None)
    facts = Facts(
        as_of=as_of, churned_at=churned,
        open_cases=[{"id": k.id, "owner": k.owner, "due_at": k.due_at.date(),
                     "status": str(k.status)} for k in cases
                    if k.status in (CaseStatus.open, CaseStatus.contacted)],
        recent_contacts=[k for k in contacts if cutoff < k["at"].date() <= as_of],
        latest_nps=latest["nps"] if latest else None,
        latest_nps_on=latest["at"].date() if latest else None,
        latest_nps_response=latest["response_id"] if latest else None,
        case_responses={k.response_id for k in cases}, last_invited=last_invited,
    )  # fmt: skip
    return Customer360(cid, account, as_of, suggest(facts), events)


def _contacts(ws, cid: str, events: list[TimelineEvent]) -> list[dict]:
    """The customer's contacts, newest first, each also added to ``events``."""
    i = ws.analytics.table("interactions")
    rows = ws.analytics.con.to_pyarrow(i.filter(i.customer_id == cid).select(
        "interaction_id", "started_at", "channel", "queue", "reason", "agent_id", "wait_seconds",
        "transfers", "resolved").order_by(i.started_at.desc())).to_pylist()  # fmt: skip
    out = []
    for r in rows:
        resolved = r["resolved"]
        words = {True: "resolved", False: "not resolved", None: "resolution unknown"}[resolved]
        w = r["wait_seconds"]
        wait = "" if not w else f", waited {w / 60:.0f} min" if w >= 90 else f", waited {w:.0f} s"
        moved = f", {r['transfers']} transfer(s)" if r["transfers"] else ""
        events.append(TimelineEvent(r["started_at"], "contact",
                                    f"{r['channel']}: {r['reason'] or 'no reason'} "
                                    f"({words}{wait}{moved})", dict(r)))  # fmt: skip
        out.append({"at": r["started_at"], "reason": r["reason"], "resolved": resolved})
    return out


def _answers(ws, cid: str, events: list[TimelineEvent]) -> list[dict]:
    """Survey answers with their comment's themes and sentiment, newest first."""
    store = ws.analytics
    r = store.table("responses")
    r = r.filter(r.customer_id == cid)
    rows = store.con.to_pyarrow(r.select("response_id", "responded_at", "instrument", "channel",
                                         "agent_id", "nps", "csat", "ces", "comment")
                                .order_by(r.responded_at.desc())).to_pylist()  # fmt: skip
    ids = [x["response_id"] for x in rows]
    themes: dict[str, list[str]] = {}
    sentiment: dict[str, str] = {}
    if ids:
        t = store.table("comment_themes")
        for x in store.con.to_pyarrow(t.filter(t.response_id.isin(ids))
                                      .select("response_id", "theme", "rank")).to_pylist():  # fmt: skip
            themes.setdefault(x["response_id"], []).append(x["theme"])
        g = store.table("comment_tags")
        for x in store.con.to_pyarrow(g.filter(g.response_id.isin(ids))
                                      .select("response_id", "sentiment")).to_pylist():  # fmt: skip
            sentiment[x["response_id"]] = x["sentiment"]
    out = []
    for x in rows:
        scores = ", ".join(f"{k.upper()} {x[k]}" for k in ("nps", "csat", "ces")
                           if x[k] is not None) or "no scores"  # fmt: skip
        tagged = themes.get(x["response_id"], [])
        detail = dict(x) | {"themes": tagged, "sentiment": sentiment.get(x["response_id"])}
        summary = f"{x['instrument'] or 'survey'}: {scores}"
        if tagged:
            summary += f"; themes: {', '.join(tagged)}"
        events.append(TimelineEvent(x["responded_at"], "survey answer", summary, detail))
        out.append({"at": x["responded_at"], "nps": x["nps"], "response_id": x["response_id"]})
    return out


def _app_records(ws, cid: str, events: list[TimelineEvent]):  # noqa: ANN202
    """Cases (opened, contacted, closed, notes) and invitations; (cases, last invitation day)."""
    with ws.app.session() as session:
        cases = list(session.scalars(select(Case).where(Case.customer_id == cid)
                                     .order_by(Case.opened_at)))  # fmt: skip
        notes = list(session.scalars(select(CaseNote).where(
            CaseNote.case_id.in_([k.id for k in cases])))) if cases else []  # fmt: skip
        invites = list(session.scalars(select(Invitation).where(Invitation.customer_id == cid)
                                       .order_by(Invitation.invited_at)))  # fmt: skip
    for k in cases:
        base = {"case_id": k.id, "response_id": k.response_id}
        events.append(TimelineEvent(_naive(k.opened_at), "case opened",
                                    f"case {k.id} opened by rule '{k.rule}': {k.reason} "
                                    f"(owner {k.owner or 'none'}, due {k.due_at.date()}, "
                                    f"now {k.status})", base | {"priority": k.priority}))  # fmt: skip
        if k.first_contact_at:
            events.append(TimelineEvent(_naive(k.first_contact_at), "case contacted",
                                        f"case {k.id}: customer contacted", base))  # fmt: skip
        if k.closed_at:
            fixed = {True: "issue fixed", False: "issue not fixed", None: "fix unknown"}[
                k.issue_fixed]  # fmt: skip
            events.append(TimelineEvent(_naive(k.closed_at), "case closed",
                                        f"case {k.id} {k.status}: {k.resolution_code or 'no code'}"
                                        f", root cause {k.root_cause_theme or 'not given'}, "
                                        f"{fixed}", base | {
                                            "resolution_code": k.resolution_code,
                                            "root_cause_theme": k.root_cause_theme,
                                            "issue_fixed": k.issue_fixed}))  # fmt: skip
    for n in notes:
        events.append(TimelineEvent(_naive(n.created_at), "case note",
                                    f"case {n.case_id} note by {n.author}: {n.text}",
                                    {"case_id": n.case_id, "author": n.author, "text": n.text}))  # fmt: skip
    for v in invites:
        events.append(TimelineEvent(_naive(v.invited_at), "invitation",
                                    f"invited to give a {v.kind} by {v.invited_by}",
                                    {"kind": v.kind, "response_id": v.response_id}))  # fmt: skip
    last = _day(invites[-1].invited_at) if invites else None
    return cases, last
