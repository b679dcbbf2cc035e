"""truth.json: every planted truth, with what was planted and what the data shows.

Observed values are computed the way an analyst would from the written files:
NPS on responses by their answer date, grade of service on offered phone contacts,
theme rates on comments (comment_truth.parquet) by the responding agent.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from . import config as C
from .comments import Comments
from .customers import Customers
from .experience import Responses, latent_effects
from .interactions import Contacts
from .org import Org
from .people import PULSE_ITEMS, People
from .plan import Plan
from .reasons import R
from .themes import THEME_INDEX, as_records


def nps(scores: np.ndarray) -> float | None:
    """NPS of 0-10 scores (negative values are skipped answers)."""
    s = scores[scores >= 0]
    if not len(s):
        return None
    return round(100 * (float((s >= 9).mean()) - float((s <= 6).mean())), 1)


def _rate(mask: np.ndarray, hits: np.ndarray) -> dict:
    n = int(mask.sum())
    return {"comments": n, "rate": round(float(hits[mask].mean()), 4) if n else None}


def _cid(i: int) -> str:
    return f"C{i + 1:07d}"


def wait_threshold(r: Responses, k: Contacts, plan: Plan) -> dict:
    phone = (r.channel == C.PHONE) & (r.nps >= 0)
    wait = r.extras["wait"]
    t = C.WAIT_THRESHOLD_SECONDS
    below, above = nps(r.nps[phone & (wait <= t)]), nps(r.nps[phone & (wait > t)])
    offered = (k.channel == C.PHONE) & k.offered
    good = k.answered & (k.wait <= C.GOS_TARGET_SECONDS)
    bands = [0, 20, 60, 120, 180, t, 300, 600, 1800, np.inf]
    return {
        "channel": "phone",
        "threshold_seconds": t,
        "planted_latent_shift": plan.wait_shift,
        "nps_at_or_below": below,
        "nps_above": above,
        "responses_above": int((phone & (wait > t)).sum()),
        "drop_points": round(below - above, 1),
        "nps_by_wait_band": [
            {
                "from": lo,
                "to": None if np.isinf(hi) else hi,
                "nps": nps(r.nps[phone & (wait > lo) & (wait <= hi)]),
                "n": int((phone & (wait > lo) & (wait <= hi)).sum()),
            }
            for lo, hi in zip(bands[:-1], bands[1:], strict=True)
        ],  # fmt: skip
        "gos_target_seconds": C.GOS_TARGET_SECONDS,
        "gos_target_share": C.GOS_TARGET_SHARE,
        "observed_gos_share": round(float(good[offered].mean()), 4),
        "definition": "GOS = phone contacts answered within the target / phone contacts offered; "
        "NPS on post-contact phone responses split by the contact's wait_seconds",
    }


def engagement_drop(r: Responses, p: People, org: Org, plan: Plan) -> dict:
    m = plan.drop_month
    team = plan.drop_team
    month = C.MONTH_OF_DAY[np.minimum(r.time // C.DAY, C.N_DAYS - 1)]
    in_team = (r.team == team) & (r.nps >= 0)
    pulse = p.pulse_team == team
    items = np.nanmean(np.stack([p.pulse_items[i] for i in PULSE_ITEMS], axis=1), axis=1)

    def series(i: int) -> dict:
        sel = pulse & (p.pulse_month == i)
        return {
            "month": C.month_label(i),
            "pulse_enps": nps(p.pulse_enps[sel]),
            "pulse_engagement_mean": round(float(np.nanmean(items[sel])), 2) if sel.any() else None,
            "pulse_n": int(sel.sum()),
            "customer_nps": nps(r.nps[in_team & (month == i)]),
            "customer_n": int((in_team & (month == i)).sum()),
        }

    before_p = pulse & (p.pulse_month >= m - 6) & (p.pulse_month < m)
    before_r = in_team & (month >= m - 6) & (month < m)
    at_p = pulse & (p.pulse_month == m)
    old, new = org.leader(
        np.array([team, team]), np.array([C.MONTH_STARTS[m] - 1, C.MONTH_STARTS[m]])
    )
    return {
        "team_id": org.team_ids[team],
        "engagement_drop_month": C.month_label(m),
        "nps_drop_month": C.month_label(m + 1),
        "duration_months": C.LOW_MONTHS,
        "cause": "the team leader left at the end of the previous month; 1:1 check-ins paused for two months",
        "leader_left": org.ids[old],
        "leader_arrived": org.ids[new],
        "planted": {
            "enps_shift": plan.enps_shift,
            "item_shift": plan.item_shift,
            "nps_latent_shift": plan.team_shift,
        },
        "baseline_months": [C.month_label(i) for i in range(m - 6, m)],
        "enps_drop_points": round(nps(p.pulse_enps[at_p]) - nps(p.pulse_enps[before_p]), 1),
        "engagement_item_drop": round(
            float(np.nanmean(items[at_p]) - np.nanmean(items[before_p])), 2
        ),
        "nps_change_in_engagement_month": round(
            nps(r.nps[in_team & (month == m)]) - nps(r.nps[before_r]), 1
        ),
        "nps_drop_points": round(nps(r.nps[in_team & (month == m + 1)]) - nps(r.nps[before_r]), 1),
        "by_month": [
            series(i) for i in range(max(0, m - 6), min(C.N_MONTHS, m + C.LOW_MONTHS + 3))
        ],
    }


def incident(k: Contacts, r: Responses, c: Comments, cust: Customers, plan: Plan) -> dict:
    start, end = C.day_of(C.INCIDENT_START), C.day_of(C.INCIDENT_END)
    cand = plan.candidates
    affected = cand[(cust.churn[cand] < 0) | (cust.churn[cand] >= start)]
    is_affected = np.zeros(cust.n, dtype=bool)
    is_affected[affected] = True
    billing = (k.reason == R[C.INCIDENT_REASON]) & (k.day >= start) & (k.day <= end)
    contacted = np.unique(k.cust[billing & is_affected[k.cust]])
    others = np.unique(k.cust[billing & ~is_affected[k.cust]])
    theme = THEME_INDEX[C.INCIDENT_THEME]
    rows = c.triple_rows[c.triple_themes == theme]
    day = r.time[rows] // C.DAY
    rows = rows[(day >= start) & (day <= end + 45)]
    commented = np.unique(r.cust[rows][is_affected[r.cust[rows]]])
    complained = np.union1d(contacted, commented)
    rel = (
        (r.contact < 0) & (r.nps >= 0) & (r.time // C.DAY >= start) & (r.time // C.DAY <= end + 45)
    )
    silent = is_affected.copy()
    silent[complained] = False
    return {
        "name": C.INCIDENT_NAME,
        "theme": C.INCIDENT_THEME,
        "reason": C.INCIDENT_REASON,
        "start": C.INCIDENT_START.isoformat(),
        "end": C.INCIDENT_END.isoformat(),
        "condition": (
            f"customers.product == '{C.INCIDENT_PRODUCT}' AND customers.customer_since < "
            f"'{C.INCIDENT_OPENED_BEFORE}' AND (customers.churned_at is empty OR "
            f"customers.churned_at >= '{C.INCIDENT_START}')"
        ),
        "identify": {
            "product": C.INCIDENT_PRODUCT,
            "customer_since_before": C.INCIDENT_OPENED_BEFORE.isoformat(),
            "active_on": C.INCIDENT_START.isoformat(),
            "story": "credit-card accounts opened before 2021 were still on the legacy billing "
            "platform, which charged the monthly fee twice in this window",
        },
        "complaint_definition": "contacted: an interaction with reason 'billing error' started "
        "between start and end; commented: a comment with theme 'billing error' answered between "
        "start and end + 45 days; complained = contacted or commented",
        "affected_count": len(affected),
        "complained_count": len(complained),
        "complained_share": round(len(complained) / max(len(affected), 1), 4),
        "contacted_count": len(contacted),
        "commented_count": len(commented),
        "other_billing_error_contacts_in_window": len(others),
        "relationship_nps_silent_affected": nps(r.nps[rel & silent[r.cust]]),
        "relationship_nps_unaffected": nps(r.nps[rel & ~is_affected[r.cust]]),
        "affected_customers": [_cid(i) for i in affected.tolist()],
        "complained_customers": [_cid(i) for i in complained.tolist()],
        "contacted_customers": [_cid(i) for i in contacted.tolist()],
        "commented_customers": [_cid(i) for i in commented.tolist()],
    }


def agents(r: Responses, c: Comments, org: Org, plan: Plan) -> tuple[list, list, dict]:
    """Weak-theme agents, praised agents and the coaching programme, with observed rates."""
    rows = c.rows
    emp = r.emp[rows]
    after = (r.time[rows] // C.DAY) >= C.day_of(C.COACHING_DATE)
    agent_rows = emp >= 0

    def has(theme: str) -> np.ndarray:
        return np.isin(rows, c.triple_rows[c.triple_themes == THEME_INDEX[theme]])

    def record(e: int, theme: str) -> dict:
        hits = has(theme)
        j = C.WEAK_THEMES.index(theme)
        weak_on = plan.weak_theme[np.maximum(emp, 0)] == j
        mine = emp == e
        return {
            "agent_id": org.ids[e], "name": f"{org.first[e]} {org.last[e]}", "team_id": org.team_ids[org.team[e]],
            "theme": theme, "planted_rate": plan.weak_rate, "baseline_rate": C.BEHAVIOUR_BASE_RATE,
            "observed_rate": _rate(mine, hits)["rate"], "observed_comments": int(mine.sum()),
            "observed_baseline_rate": _rate(agent_rows & ~weak_on, hits)["rate"],
            "before": _rate(mine & ~after, hits), "after": _rate(mine & after, hits),
        }  # fmt: skip

    weak = [record(e, t) | {"helped": ok} for e, t, ok in plan.weak]
    for w in weak:
        w["observed_rate"] = w["before"]["rate"]
        w["rate_note"] = "observed_rate is before the coaching date"
    named = c.names_agent
    praise = []
    for e in plan.praise:
        mine = emp == e
        praise.append({
            "agent_id": org.ids[e], "name": f"{org.first[e]} {org.last[e]}", "first_name": org.first[e],
            "team_id": org.team_ids[org.team[e]], "planted_rate": C.PRAISE_STRONG_RATE,
            "baseline_rate": C.PRAISE_BASE_RATE,
            "observed_named_praise_rate": _rate(mine, named)["rate"],
            "observed_baseline_named_praise_rate": _rate(agent_rows & ~plan.praised[np.maximum(emp, 0)], named)["rate"],
            "observed_comments": int(mine.sum()),
        })  # fmt: skip
    extra = [record(e, t) | {"helped": None} for e, t in plan.extra_coached]
    coaching = {
        "programme": C.PROGRAMME,
        "date": C.COACHING_DATE.isoformat(),
        "follow_up_days": C.FOLLOW_UP_DAYS,
        "story": "agents the programme helped had a follow-up session four weeks later; "
        "the others did not, and their theme rate stayed where it was",
        "coached": [w["agent_id"] for w in weak] + [x["agent_id"] for x in extra],
        "helped": [w["agent_id"] for w in weak if w["helped"]],
        "not_helped": [w["agent_id"] for w in weak if not w["helped"]],
        "at_baseline": [x["agent_id"] for x in extra],
        "theme": {
            **{w["agent_id"]: w["theme"] for w in weak},
            **{x["agent_id"]: x["theme"] for x in extra},
        },
        "agents": weak + extra,
    }
    return weak, praise, coaching


def agent_skill(org: Org) -> dict:
    """Each agent's planted skill: it raises the odds that a contact is resolved (and so
    FCR and NPS), so an agent's FCR gap to their team is a real difference, not noise."""
    agents = np.flatnonzero(np.array(org.role) == "agent").tolist()
    return {
        "effect": "logit(resolved) rises 1.1 per unit of skill; skill ~ Normal(0, 0.35)",
        "agents": {org.ids[e]: round(float(org.skill[e]), 3) for e in agents},
    }


def pii(c: Comments, response_ids: pa.Array) -> dict:
    kinds = [k for k in c.pii if k]
    rows = [i for i, k in zip(c.rows.tolist(), c.pii, strict=True) if k]
    return {
        "comments_with_pii": len(kinds),
        "by_kind": {kind: kinds.count(kind) for kind in ("email", "phone", "card", "iban")},
        "note": "card numbers pass the Luhn check; IBANs pass ISO 7064 mod 97",
        "response_ids": response_ids.take(pa.array(rows, pa.int64())).to_pylist(),
    }


def comment_stats(c: Comments, r: Responses) -> dict:
    texts = [c.text[i] for i in c.rows.tolist()]
    return {
        "responses": len(r),
        "non_empty": len(texts),
        "non_empty_share": round(len(texts) / max(len(r), 1), 4),
        "distinct_share": round(len(set(texts)) / max(len(texts), 1), 4),
        "without_theme": sum(1 for t in c.themes if not t),
    }


def engagement_link(r: Responses, p: People, org: Org) -> dict:
    teams = range(len(org.team_ids))
    e = [float(np.mean(p.pulse_enps[(p.pulse_team == t) & (p.pulse_enps >= 0)])) for t in teams]
    n = [nps(r.nps[r.team == t]) or 0.0 for t in teams]
    return {
        "story": "teams with higher engagement get better customer scores (latent team effect = 0.3 x engagement)",
        "observed_team_correlation": round(float(np.corrcoef(e, n)[0, 1]), 3),
    }


def assemble(size: str, seed: int, plan: Plan, parts: dict, counts: dict[str, int]) -> dict:
    return {
        "generator": {"size": size, "seed": seed, "start": C.START.isoformat(), "end": C.END.isoformat(),
                      "version": 1},
        "counts": counts,
        **parts,
        "latent_model": latent_effects(plan),
        "themes": as_records(),
    }  # fmt: skip
