"""Improvement actions ("you said, we did"): versioned, audited records on SQLite and
PostgreSQL; the NPS impact formula by hand; the before/after on the planted incident (the
theme falls, beyond normal variation) and on a steady theme (within it); the printable
list escapes hostile text and redacts; the CLI's JSON."""

from __future__ import annotations

import datetime as dt
import json
import math

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from typer.testing import CliRunner

from cxloop import Workspace
from cxloop.act.actions import action_history, add_action, get_action, list_actions, update_action
from cxloop.act.impact import action_impact, nps_impact, theme_impact
from cxloop.act.you_said import SaidAndDone, YouSaidWeDid, md, you_said_we_did
from cxloop.cli import app
from cxloop.errors import RecordConflict, RecordInvalid
from cxloop.insights import control_chart

STEADY = "friendly agent"


def _incident_start(truth) -> dt.date:
    return dt.date.fromisoformat(truth["incident"]["end"]) + dt.timedelta(days=1)


@pytest.fixture
def ws_on(copy_of_small_demo, app_store_url):
    """A writable small demo whose app store is SQLite or PostgreSQL."""
    toml = copy_of_small_demo.path / "cxloop.toml"
    toml.write_text(toml.read_text().replace('app_url = ""', f'app_url = "{app_store_url}"'))
    with Workspace.open(copy_of_small_demo.path) as ws:
        yield ws


@pytest.fixture
def ws(copy_of_small_demo):
    with copy_of_small_demo.open() as w:
        yield w


# -- records ------------------------------------------------------------------------------------
def test_a_stale_version_is_a_conflict_and_changes_nothing(ws_on):
    a = add_action(ws_on, title="Fix the statement", themes=["Billing Error"], owner="amira",
                   started_on="2026-02-21", actor="amira")  # fmt: skip
    assert a.version == 1 and a.themes == ["billing error"] and a.status == "planned"
    first = update_action(ws_on, a.id, actor="amira", expected_version=1, status="in_progress")
    assert first.version == 2
    with pytest.raises(RecordConflict, match="version 2, not 1"):
        update_action(ws_on, a.id, actor="ben", expected_version=1, status="dropped")
    again = get_action(ws_on, a.id)
    assert again.status == "in_progress" and again.version == 2


def test_two_sessions_racing_the_second_gets_a_conflict(ws_on):
    """A writer that read version 1 and writes after someone else's change loses."""
    from cxloop.store.app.models import Action

    a = add_action(ws_on, title="Fix", themes="billing error", owner="amira",
                   started_on=dt.date(2026, 2, 21), actor="amira")  # fmt: skip
    with pytest.raises(RecordConflict):
        with ws_on.app.session() as slow:
            row = slow.get(Action, a.id)  # reads version 1
            update_action(ws_on, a.id, actor="ben", expected_version=1, title="Ben's")
            row.title = "Slow's"
            slow.flush()
    assert get_action(ws_on, a.id).title == "Ben's"


def test_every_change_is_audited_with_before_and_after(ws_on):
    a = add_action(ws_on, title="Fix", themes=["billing error", "Billing and fees"], owner="amira",
                   started_on="2026-02-21", actor="amira", audience="customers")  # fmt: skip
    update_action(ws_on, a.id, actor="ben", expected_version=1, status="done", owner="ben")
    update_action(ws_on, a.id, actor="cy", expected_version=2, status="done")  # no change
    trail = action_history(ws_on, a.id)
    assert [(e["action"], e["actor"]) for e in trail] == [("create", "amira"), ("update", "ben")]
    assert trail[0]["before"] is None and trail[0]["after"]["themes"] == [
        "billing error", "Billing and fees"]  # fmt: skip
    assert trail[1]["before"]["status"] == "planned" and trail[1]["after"]["status"] == "done"
    assert trail[1]["before"]["owner"] == "amira" and trail[1]["after"]["owner"] == "ben"
    assert trail[1]["after"]["version"] == 2 and get_action(ws_on, a.id).version == 2


def test_themes_status_and_audience_are_checked(ws):
    base = dict(title="T", owner="o", started_on="2026-02-21", actor="a")
    with pytest.raises(RecordInvalid, match="not a theme"):
        add_action(ws, themes=["no such theme"], **base)
    with pytest.raises(RecordInvalid, match="at least one theme"):
        add_action(ws, themes=[], **base)
    with pytest.raises(RecordInvalid, match="status"):
        add_action(ws, themes="billing error", status="finished", **base)
    with pytest.raises(RecordInvalid, match="audience"):
        add_action(ws, themes="billing error", audience="investors", **base)
    with pytest.raises(RecordInvalid, match="not a date"):
        add_action(ws, themes="billing error", **(base | {"started_on": "21/02/2026"}))
    assert list_actions(ws) == []
    add_action(ws, themes="billing error", status="in progress", **base)
    add_action(ws, themes="billing error", **(base | {"started_on": "2026-03-01"}))
    assert [a.started_on.day for a in list_actions(ws)] == [1, 21]
    assert [a.status for a in list_actions(ws, status="in_progress")] == ["in_progress"]


# -- NPS impact ---------------------------------------------------------------------------------
def test_nps_impact_by_hand():
    """10 comments: 4 mention the theme (scores 0, 2, 5, 9: 1 promoter, 3 detractors), 6 do
    not (10, 10, 9, 7, 8, 3: 3 promoters, 1 detractor).

    NPS(all) = (4 − 4)/10 = 0; NPS(without) = (3 − 1)/6 = 33.33; impact = 33.33.
    Delta method: q = 0.4, a = 1/3, b = −0.5; varₒ = 3/6 + 1/6 − (2/6)² = 0.5556,
    varₜ = 1/4 + 3/4 − (−2/4)² = 0.75; var = (0.8333)²·0.4·0.6/10 + 0.16·(0.5556/6 + 0.75/4)
    = 0.016667 + 0.044815 = 0.061481; se = 24.795 points; 95%: 33.33 ± 48.60.
    """
    impact, low, high = nps_impact(1, 3, 4, 3, 1, 6)
    assert impact == pytest.approx(100 / 3)
    se = math.sqrt((5 / 6) ** 2 * 0.024 + 0.16 * ((5 / 9) / 6 + 0.75 / 4)) * 100
    assert se == pytest.approx(24.795, abs=1e-3)
    assert (low, high) == pytest.approx((100 / 3 - 1.96 * se, 100 / 3 + 1.96 * se))
    assert nps_impact(0, 0, 0, 3, 1, 6) == (0.0, None, None)  # nobody mentions it
    assert nps_impact(1, 0, 2, 0, 0, 0) == (None, None, None)  # nobody without it
    # a theme of promoters lifts NPS: its "cost" is negative
    assert nps_impact(2, 0, 2, 0, 2, 2)[0] == pytest.approx(-100.0)


def test_window_counts_and_nps_impact_match_a_recount(small_demo):
    """The before window's share and NPS impact, recomputed from the raw tables."""
    start = _incident_start(small_demo.truth)
    with small_demo.open() as w:
        t = theme_impact(w, ["billing error"], start).themes[0]
        con = w.analytics.con
        r = con.to_pyarrow(w.analytics.table("responses")).to_pandas()
        tags = con.to_pyarrow(w.analytics.table("comment_tags")).to_pandas()
        th = con.to_pyarrow(w.analytics.table("comment_themes")).to_pandas()
    r = r[r.response_id.isin(tags.response_id)]
    r = r[(r.responded_at >= str(t.before.first_day))
          & (r.responded_at < str(t.before.last_day + dt.timedelta(days=1)))]  # fmt: skip
    hit = r.response_id.isin(th[th.theme == "billing error"].response_id)
    assert (t.before.comments, t.before.mentions) == (len(r), int(hit.sum()))

    def nps(x):
        return ((x >= 9).sum() - (x <= 6).sum()) / len(x) * 100

    scored = r[r.nps.notna()]
    scored_hit = scored.response_id.isin(th[th.theme == "billing error"].response_id)
    expected = nps(scored[~scored_hit].nps) - nps(scored.nps)
    assert t.before.nps_impact == pytest.approx(expected)
    assert t.before.nps_impact_low < expected < t.before.nps_impact_high


# -- the oracle ---------------------------------------------------------------------------------
def test_planted_incident_theme_falls_beyond_normal_variation(ws, small_demo):
    start = _incident_start(small_demo.truth)
    assert small_demo.truth["incident"]["theme"] == "billing error"
    a = add_action(ws, title="Fix the legacy billing platform", themes=["billing error"],
                   owner="amira", started_on=start, actor="amira")  # fmt: skip
    result = action_impact(ws, a.id)
    (t,) = result.themes
    assert t.direction == "fell" and t.after.share < t.before.share / 2
    assert t.after.share < t.lower_limit and t.beyond_limits
    assert t.p_value < 0.05 and t.change_high < 0
    assert t.distinguishable
    assert "beyond the usual week-to-week variation" in t.sentence
    assert t.sentence.startswith("Billing error: ")
    assert t.before.nps_impact > t.after.nps_impact  # the theme cost more NPS before
    assert t.before.share_low < t.before.share < t.before.share_high
    assert len(t.weeks) == 12 and {w.window for w in t.weeks} == {"before", "after"}


def test_a_steady_theme_is_within_normal_variation(ws, small_demo):
    start = _incident_start(small_demo.truth)
    # it is steady: no week of its control chart signals around the start (whole weeks)
    first, last = start - dt.timedelta(days=42), start + dt.timedelta(days=41)
    chart = control_chart(ws, f"theme:{STEADY}", period="week",
                          since=first - dt.timedelta(days=first.weekday()),
                          until=last + dt.timedelta(days=6 - last.weekday()))  # fmt: skip
    assert chart.points and not chart.signals
    a = add_action(ws, title="Warmer greetings", themes=[STEADY], owner="ben",
                   started_on=start, actor="ben")  # fmt: skip
    (t,) = action_impact(ws, a.id).themes
    assert not t.distinguishable and not t.beyond_limits and t.p_value > 0.05
    assert "within the usual week-to-week variation" in t.sentence


def test_windows_are_cut_to_the_data_and_too_soon_is_said(ws):
    result = theme_impact(ws, ["billing error"], dt.date(2026, 10, 29))
    assert result.window_days == 3 and "cut to 3 day(s)" in result.notes[0]
    (t,) = result.themes
    assert (t.before.last_day - t.before.first_day).days == 2
    assert not t.distinguishable and "too soon to tell" in t.sentence


# -- you said, we did ---------------------------------------------------------------------------
HOSTILE = ("I was charged twice, £12.50 on 3 February and again on 5 February, email me at "
           "jo.bloggs@example.com <script>alert('x')</script> [click](http://evil.example) "
           "# heading and I waited 40 minutes on the phone for nobody to fix it")  # fmt: skip


def _plant_comment(w: Workspace, day: dt.date) -> None:
    """A copy of a billing-error comment of ``day``'s window with hostile text."""
    store = w.analytics
    th = store.con.to_pyarrow(store.table("comment_themes"))
    ids = th.filter(pc.equal(th["theme"], "billing error"))["response_id"]
    r = store.con.to_pyarrow(store.table("responses"))
    r = r.filter(pc.is_in(r["response_id"], ids))
    r = r.filter(pc.less(r["responded_at"], pa.scalar(dt.datetime.combine(day, dt.time()))))
    row = r.slice(r.num_rows - 1, 1)
    old = row["response_id"][0].as_py()
    new_id = pa.array(["R-HOSTILE"])
    row = row.set_column(row.schema.get_field_index("response_id"), "response_id", new_id)
    row = row.set_column(row.schema.get_field_index("comment"), "comment", pa.array([HOSTILE]))
    store.insert("responses", row)
    for name in ("comment_tags", "comment_themes"):
        t = store.con.to_pyarrow(store.table(name))
        t = t.filter(pc.equal(t["response_id"], old))
        t = t.set_column(t.schema.get_field_index("response_id"), "response_id",
                         pa.array(["R-HOSTILE"] * t.num_rows))  # fmt: skip
        store.insert(name, t)


def test_the_printed_list_escapes_and_redacts(ws, small_demo):
    start = _incident_start(small_demo.truth)
    _plant_comment(ws, start)
    add_action(ws, title="<script>alert(1)</script> & fix", themes=["billing error"],
               owner="amira", started_on=start, actor="amira", status="done",
               description="We <b>refunded</b> everyone", audience="customers")  # fmt: skip
    add_action(ws, title="Internal only", themes=[STEADY], owner="ben", started_on=start,
               actor="ben", status="in_progress", audience="employees")  # fmt: skip
    add_action(ws, title="Not started", themes=[STEADY], owner="ben", started_on=start,
               actor="ben", status="planned")  # fmt: skip
    report = you_said_we_did(ws, audience="customers")
    assert [i.title for i in report.items] == ["<script>alert(1)</script> & fix"]
    (item,) = report.items
    assert item.quote is not None and "[EMAIL]" in item.quote and "@" not in item.quote
    assert item.mentions > 0 and item.distinguishable
    page = report.to_html()
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; fix" in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "We &lt;b&gt;refunded&lt;/b&gt; everyone" in page
    text = report.to_markdown()
    assert "<script>" not in text and "\\<script\\>" in text and "\\[click\\]" in text
    assert "What changed:" in report.to_text() and "Owner:" not in report.to_text()
    staff = you_said_we_did(ws, audience="employees")
    assert [i.title for i in staff.items] == ["Internal only"]
    assert "Owner: ben" in staff.to_text()
    assert you_said_we_did(ws, "customers", since=start + dt.timedelta(days=1)).items == []
    with pytest.raises(RecordInvalid):
        you_said_we_did(ws, audience="investors")


def test_markdown_cannot_start_markup():
    assert md("# <b>x</b> [a](b)\n* y") == "\\# \\<b\\>x\\</b\\> \\[a\\](b) \\* y"
    assert md("- 1. plain, 4.7%.") == "\\- 1. plain, 4.7%."
    assert md("12. item") == "12\\. item"
    item = SaidAndDone(1, "billing error", 3, 100, "6 weeks", "<img src=x onerror=alert(1)>",
                       None, "T", None, dt.date(2026, 2, 21), "done", "o", None, "s.", True)  # fmt: skip
    page = YouSaidWeDid("customers", None, [item]).to_html()
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


# -- CLI ----------------------------------------------------------------------------------------
def test_cli_add_list_update_impact_print(copy_of_small_demo, tmp_path):
    runner = CliRunner()
    w = ["--workspace", str(copy_of_small_demo.path)]

    def run(*args):
        return runner.invoke(app, ["actions", *args, *w])

    out = run("add", "--title", "Fix the duplicate fee", "--themes", "billing error", "--owner",
              "amira", "--start", "2026-02-21", "--expected", "under 2%", "--actor", "amira",
              "--format", "json")  # fmt: skip
    assert out.exit_code == 0, out.output
    added = json.loads(out.stdout)
    assert added["id"] == 1 and added["version"] == 1 and added["themes"] == ["billing error"]
    listed = json.loads(run("list", "--format", "json").stdout)
    assert [(a["id"], a["status"], a["themes"]) for a in listed] == [(1, "planned",
                                                                      "billing error")]  # fmt: skip
    out = run("update", "1", "--status", "done", "--version", "1", "--actor", "ben", "-f", "json")
    assert out.exit_code == 0 and json.loads(out.stdout)["version"] == 2
    stale = run("update", "1", "--status", "dropped", "--version", "1", "--actor", "cy")
    assert stale.exit_code == 1 and "version 2, not 1" in stale.output
    bad = run("add", "--title", "x", "--themes", "nope", "--owner", "o", "--start", "2026-01-01",
              "--actor", "a")  # fmt: skip
    assert bad.exit_code == 1 and "not a theme" in bad.output
    impact = json.loads(run("impact", "1", "--format", "json").stdout)
    (t,) = impact["themes"]
    assert t["theme"] == "billing error" and t["distinguishable"] is True
    assert impact["window_days"] == 42 and t["before"]["comments"] > 0
    table = run("impact", "1", "--weeks")
    assert table.exit_code == 0 and "beyond the usual" in table.output
    page = tmp_path / "yswd.html"
    out = run("print", "--audience", "customers", "--format", "html", "--out", str(page))
    assert out.exit_code == 0 and "wrote 1 item(s)" in out.output
    assert "Fix the duplicate fee" in page.read_text()
    md_out = run("print", "--format", "md")
    assert md_out.stdout.startswith("# You said, we did")
    for cmd in ("add", "list", "update", "impact", "print"):
        assert "Example: cxloop actions" in runner.invoke(app, ["actions", cmd, "--help"]).output


@pytest.mark.postgres
def test_the_before_and_after_is_the_same_on_postgresql(small_demo, small_demo_on_postgres):
    from cxloop.act.you_said import representative_comment

    start = _incident_start(small_demo.truth)
    with small_demo.open() as duck, small_demo_on_postgres.open() as pg:
        a = theme_impact(duck, ["billing error", "Billing and fees"], start)
        b = theme_impact(pg, ["billing error", "Billing and fees"], start)
        assert a.to_dict() == b.to_dict()
        assert representative_comment(duck, a.themes[0]) == representative_comment(pg, b.themes[0])
