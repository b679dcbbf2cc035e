"""The suggested next step of a Customer 360: explicit rules, tried in order, the first
that applies wins. "Recent" means the ``RECENT_DAYS`` days up to the view's reference day.

1. **left**: the customer has churned -> no outreach; learn from their last contacts.
2. **open case**: a case is open or contacted -> follow it up with its owner by its due
   time, before anything else.
3. **call before the next statement**: 2+ unresolved contacts recently and a detractor
   latest NPS answer (0-6) -> call now, about the reason they contacted most.
4. **detractor without a case**: a detractor latest NPS answer recently and no case for it
   -> call back (close the loop).
5. **unresolved contacts**: 2+ unresolved contacts recently -> call to resolve the reason
   in one go (first-contact resolution failed).
6. **repeat reason**: 3+ contacts for the same reason recently -> check the underlying
   issue is fixed.
7. **promoter**: a promoter latest NPS answer (9-10) recently and no invitation in the
   last ``INVITE_GAP_DAYS`` days -> invite to refer or give a testimonial.
8. **quiet**: none of these -> no action needed.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import asdict, dataclass

from ..metrics.formulas import DETRACTOR_MAX, PROMOTER_MIN

RECENT_DAYS = 90
INVITE_GAP_DAYS = 180
_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
          9: "nine"}  # fmt: skip


@dataclass
class NextStep:
    """What to do next for a customer, and why, from the rule that applied."""

    rule: str
    action: str
    reason: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Facts:
    """What the rules read from a customer's history."""

    as_of: dt.date
    churned_at: dt.date | None
    open_cases: list[dict]  # id, owner, due_at, status
    recent_contacts: list[dict]  # reason, resolved, at
    latest_nps: int | None
    latest_nps_on: dt.date | None
    latest_nps_response: str | None
    case_responses: set[str]
    last_invited: dt.date | None


def _n(k: int) -> str:
    return _WORDS.get(k, str(k))


def _recent(facts: Facts, day: dt.date | None) -> bool:
    return day is not None and (facts.as_of - day).days < RECENT_DAYS


def suggest(f: Facts) -> NextStep:
    """The first rule (module docstring) that applies."""
    if f.churned_at is not None and f.churned_at <= f.as_of:
        return NextStep("left", "No outreach: the customer has left.",
                        f"The account closed on {f.churned_at}; read their last contacts "
                        "to learn why.")  # fmt: skip
    if f.open_cases:
        c = f.open_cases[0]
        return NextStep("open case", f"Follow up case {c['id']} with {c['owner'] or 'its owner'}"
                        f" by {c['due_at']}.",
                        f"{_n(len(f.open_cases)).capitalize()} case"
                        f"{'s' * (len(f.open_cases) > 1)} still {c['status']}: close "
                        f"{'them' if len(f.open_cases) > 1 else 'it'} before anything else.")  # fmt: skip
    unresolved = [k for k in f.recent_contacts if k["resolved"] is False]
    top = Counter(k["reason"] for k in unresolved).most_common(1)
    about = f"'{top[0][0]}'" if top else ""
    detractor = (f.latest_nps is not None and f.latest_nps <= DETRACTOR_MAX
                 and _recent(f, f.latest_nps_on))  # fmt: skip
    if len(unresolved) >= 2 and detractor:
        same = top[0][1] if top else 0
        what = (f"{_n(same)} unresolved {about} contacts" if same == len(unresolved) else
                f"{_n(len(unresolved))} unresolved contacts (most about {about})")  # fmt: skip
        return NextStep("call before the next statement",
                        "Call before the next statement.",
                        f"{what[:1].upper()}{what[1:]} and a detractor score "
                        f"({f.latest_nps} on {f.latest_nps_on}).")  # fmt: skip
    if detractor and f.latest_nps_response not in f.case_responses:
        return NextStep("detractor without a case", "Call back to close the loop.",
                        f"Detractor score {f.latest_nps} on {f.latest_nps_on} and no case "
                        "for it.")  # fmt: skip
    if len(unresolved) >= 2:
        return NextStep("unresolved contacts", f"Call to resolve {about} in one go.",
                        f"{_n(len(unresolved)).capitalize()} unresolved contacts in the last "
                        f"{RECENT_DAYS} days.")  # fmt: skip
    reasons = Counter(k["reason"] for k in f.recent_contacts if k["reason"]).most_common(1)
    if reasons and reasons[0][1] >= 3:
        return NextStep("repeat reason", f"Check the '{reasons[0][0]}' issue is fixed.",
                        f"{_n(reasons[0][1]).capitalize()} contacts about '{reasons[0][0]}' "
                        f"in the last {RECENT_DAYS} days.")  # fmt: skip
    promoter = (f.latest_nps is not None and f.latest_nps >= PROMOTER_MIN
                and _recent(f, f.latest_nps_on))  # fmt: skip
    invited = f.last_invited is not None and (f.as_of - f.last_invited).days < INVITE_GAP_DAYS
    if promoter and not invited:
        return NextStep("promoter", "Invite to refer a friend or give a testimonial.",
                        f"Promoter score {f.latest_nps} on {f.latest_nps_on} and no "
                        f"invitation in the last {INVITE_GAP_DAYS} days.")  # fmt: skip
    return NextStep("quiet", "No action needed.",
                    f"No open case, detractor score or unresolved contacts in the last "
                    f"{RECENT_DAYS} days.")  # fmt: skip
