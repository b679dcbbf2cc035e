"""The simulator makes the demo data and is the oracle for later analytics.

Contract: ``build`` on size small is fast; every file exists with the canonical header
of ``cxloop.model``; row counts and contact-centre shapes are plausible; output
depends only on (size, seed); truth.json holds every planted truth, and the raw files
(read here with pyarrow and DuckDB, not through the simulator) show each of them.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from cxloop.errors import InputError
from cxloop.model import ENTITIES
from cxloop.simulate import THEMES, build
from cxloop.simulate.pii import luhn_valid

ENTITY_FILES = ("customers", "employees", "interactions", "responses", "pulses", "checkins")


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim")
    started = time.perf_counter()
    s = build(out, size="small", seed=7)
    return s, time.perf_counter() - started


@pytest.fixture(scope="module")
def db(sim):
    s, _ = sim
    con = duckdb.connect()
    for name, path in {**s.files, **s.extra_files}.items():
        nulls = pacsv.ConvertOptions(strings_can_be_null=True, null_values=[""])
        tab = (
            pq.read_table(path)
            if path.suffix == ".parquet"
            else pacsv.read_csv(path, convert_options=nulls)
        )
        con.register(name, tab)
    yield con
    con.close()


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    return con.execute(sql, params or []).fetchone()


def nps_of(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> tuple[float, int]:
    """NPS (and count) of the scores a query returns."""
    scores = [row[0] for row in con.execute(sql, params).fetchall()]
    promoters = sum(s >= 9 for s in scores) / len(scores)
    detractors = sum(s <= 6 for s in scores) / len(scores)
    return 100 * (promoters - detractors), len(scores)


def header(path: Path) -> list[str]:
    if path.suffix == ".parquet":
        return pq.read_schema(path).names
    return path.read_text(encoding="utf-8").split("\n", 1)[0].split(",")


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


# -- build, files and shapes ----------------------------------------------------------------


def test_small_builds_fast(sim):
    _, seconds = sim
    assert seconds < 10, f"small took {seconds:.1f} s"


def test_every_file_exists_with_the_canonical_header(sim):
    s, _ = sim
    assert set(s.files) == set(ENTITY_FILES)
    for entity in ENTITY_FILES:
        names = header(s.files[entity])
        canonical = list(ENTITIES[entity].names)
        assert names[: len(canonical)] == canonical, entity
        assert all(n.startswith("rating_") for n in names[len(canonical) :]), entity
    assert {"rating_knowledge", "rating_courtesy", "rating_speed"} <= set(
        header(s.files["responses"])
    )
    assert any(n.startswith("rating_") for n in header(s.files["pulses"]))
    assert header(s.extra_files["coaching"]) == [
        "employee_id",
        "leader_id",
        "held_on",
        "focus_theme",
        "programme",
    ]
    schema = pq.read_schema(s.extra_files["comment_truth"])
    assert schema.field("themes").type == pa.list_(pa.string())
    assert schema.field("sentiments").type == pa.list_(pa.string())
    assert s.truth_path.name == "truth.json" and s.truth_path.exists()


def test_counts_are_plausible_and_match_the_files(sim, db):
    s, _ = sim
    for entity in ENTITY_FILES:
        assert db.table(entity).shape[0] == s.counts[entity], entity
    assert s.counts["customers"] == 4_000
    assert 30_000 <= s.counts["interactions"] <= 80_000
    assert 5_000 <= s.counts["responses"] <= 8_000
    teams, agents = one(
        db,
        "SELECT count(DISTINCT team_id), count(*) FROM employees WHERE role = 'agent' AND left_on IS NULL",
    )
    assert teams == 20 and 5 <= agents / teams <= 9
    surveyed, answered = one(
        db,
        "SELECT (SELECT count(*) FROM responses WHERE interaction_id IS NOT NULL), "
        "(SELECT count(*) FROM interactions WHERE answered)",
    )
    assert 0.08 <= surveyed / answered <= 0.12
    share = one(db, "SELECT avg((comment IS NOT NULL)::int) FROM responses")[0]
    assert 0.6 <= share <= 0.7


def test_output_depends_only_on_size_and_seed(sim, tmp_path):
    s, _ = sim
    first = digest(s.truth_path.parent)
    again = build(tmp_path / "again", size="small", seed=7)
    assert digest(again.truth_path.parent) == first
    other = digest(build(tmp_path / "other", size="small", seed=8).truth_path.parent)
    for name in ("responses.csv", "interactions.parquet", "customers.csv", "truth.json"):
        assert other[name] != first[name], name


def test_an_unknown_size_is_refused(tmp_path):
    with pytest.raises(InputError, match="unknown simulator size"):
        build(tmp_path, size="huge")


def test_formats_are_canonical_text(sim):
    s, _ = sim
    raw = pacsv.read_csv(
        s.files["responses"],
        convert_options=pacsv.ConvertOptions(column_types={"responded_at": pa.string()}),
    )
    stamps = raw.column("responded_at").to_pylist()
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", t) for t in stamps)
    assert "2024-11-01" <= min(stamps) and max(stamps) <= "2026-10-31 23:59:59"
    inter = pq.read_schema(s.files["interactions"])
    assert inter.field("answered").type == pa.bool_()
    assert inter.field("started_at").type == pa.timestamp("us")


def test_interactions_are_internally_consistent(db):
    bad = one(
        db,
        """SELECT count(*) FILTER (WHERE answered AND NOT offered),
                  count(*) FILTER (WHERE abandoned AND (answered OR NOT offered)),
                  count(*) FILTER (WHERE answered AND (agent_id IS NULL OR talk_seconds IS NULL OR transfers < 0)),
                  count(*) FILTER (WHERE NOT answered AND (agent_id IS NOT NULL OR resolved IS NOT NULL)),
                  count(*) FILTER (WHERE offered AND wait_seconds IS NULL)
           FROM interactions""",
    )
    assert bad == (0, 0, 0, 0, 0)
    phone, chat, email = (
        one(
            db, "SELECT median(wait_seconds) FROM interactions WHERE channel = ? AND answered", [c]
        )[0]
        for c in ("phone", "chat", "email")
    )
    assert phone < 20 < chat < email
    monday, sunday = one(
        db,
        "SELECT count(*) FILTER (WHERE dayofweek(started_at) = 1), count(*) FILTER (WHERE dayofweek(started_at) = 0) "
        "FROM interactions WHERE channel = 'phone'",
    )
    assert monday > 3 * sunday
    night = one(
        db,
        "SELECT count(*) FROM interactions WHERE channel IN ('phone', 'branch') AND hour(started_at) < 8",
    )[0]
    assert night == 0
    rate = one(db, "SELECT avg(transfers), avg(resolved::int) FROM interactions WHERE answered")
    assert 0.1 < rate[0] < 0.4 and 0.6 < rate[1] < 0.9


# -- the planted truths, seen in the raw files ---------------------------------------------


def test_truth_json_holds_every_truth(sim):
    s, _ = sim
    truth = json.loads(s.truth_path.read_text())
    assert truth == json.loads(json.dumps(s.truth))
    for key in (
        "wait_threshold",
        "engagement_drop",
        "incident",
        "weak_agents",
        "praise_agents",
        "coaching",
        "pii",
        "themes",
        "counts",
    ):
        assert truth[key], key
    w = truth["wait_threshold"]
    assert {
        "threshold_seconds",
        "drop_points",
        "gos_target_seconds",
        "gos_target_share",
        "observed_gos_share",
    } <= set(w)
    e = truth["engagement_drop"]
    assert {
        "team_id",
        "engagement_drop_month",
        "nps_drop_month",
        "enps_drop_points",
        "nps_drop_points",
    } <= set(e)
    i = truth["incident"]
    assert {
        "name",
        "theme",
        "start",
        "end",
        "affected_customers",
        "complained_customers",
        "condition",
    } <= set(i)
    assert {"agent_id", "name", "theme", "planted_rate", "baseline_rate"} <= set(
        truth["weak_agents"][0]
    )
    assert {"programme", "date", "coached", "helped", "not_helped", "theme"} <= set(
        truth["coaching"]
    )
    assert truth["pii"]["comments_with_pii"] > 0


def test_nps_falls_past_the_wait_threshold_while_gos_is_met(sim, db):
    w = sim[0].truth["wait_threshold"]
    phone = (
        "SELECT nps FROM responses r JOIN interactions i USING (interaction_id) "
        "WHERE r.channel = 'phone' AND nps IS NOT NULL AND "
    )
    below, _ = nps_of(db, phone + "i.wait_seconds <= ?", [w["threshold_seconds"]])
    above, n_above = nps_of(db, phone + "i.wait_seconds > ?", [w["threshold_seconds"]])
    assert n_above >= 30
    assert below - above >= 20
    gos = one(
        db,
        "SELECT avg((answered AND wait_seconds <= ?)::int) FROM interactions WHERE channel = 'phone' AND offered",
        [w["gos_target_seconds"]],
    )[0]
    assert gos >= w["gos_target_share"]
    assert abs(gos - w["observed_gos_share"]) < 1e-3


def test_team_engagement_drops_a_month_before_its_nps(sim, db):
    e = sim[0].truth["engagement_drop"]
    team, m, m1 = e["team_id"], e["engagement_drop_month"] + "-01", e["nps_drop_month"] + "-01"
    pulse = (
        "SELECT avg((rating_workload + rating_recognition + rating_growth + rating_leader_support "
        "+ rating_tools) / 5.0), avg(enps) FROM pulses WHERE team_id = ? AND "
    )
    base_items, base_enps = one(
        db, pulse + "period >= ?::DATE - INTERVAL 6 MONTH AND period < ?::DATE", [team, m, m]
    )
    at_items, at_enps = one(db, pulse + "period = ?::DATE", [team, m])
    assert at_items < base_items - 0.5 and at_enps < base_enps - 1
    scores = "SELECT nps FROM responses WHERE team_id = ? AND nps IS NOT NULL AND "
    month = scores + "date_trunc('month', responded_at) = ?::DATE"
    base, _ = nps_of(
        db,
        scores + "responded_at >= ?::DATE - INTERVAL 6 MONTH AND responded_at < ?::DATE",
        [team, m, m],
    )
    at_m, _ = nps_of(db, month, [team, m])
    # from M+1 on (two months pooled: a team's month is only a few dozen responses)
    after = scores + "responded_at >= ?::DATE AND responded_at < ?::DATE + INTERVAL 2 MONTH"
    at_m1, _ = nps_of(db, after, [team, m1, m1])
    assert at_m1 < base - 20
    assert at_m - at_m1 >= 20
    assert abs(at_m - base) < abs(at_m - at_m1)


def test_only_a_minority_of_affected_customers_complained(sim, db):
    i = sim[0].truth["incident"]
    found = {
        row[0]
        for row in db.execute(
            "SELECT customer_id FROM customers WHERE product = ? AND customer_since < ?::DATE "
            "AND (churned_at IS NULL OR churned_at >= ?::DATE)",
            [i["identify"]["product"], i["identify"]["customer_since_before"], i["start"]],
        ).fetchall()
    }
    affected = set(i["affected_customers"])
    assert found == affected
    contacted = {
        row[0]
        for row in db.execute(
            "SELECT DISTINCT customer_id FROM interactions WHERE reason = ? "
            "AND started_at >= ?::DATE AND started_at < ?::DATE + INTERVAL 1 DAY",
            [i["reason"], i["start"], i["end"]],
        ).fetchall()
    }
    complained = set(i["complained_customers"])
    assert contacted & affected == set(i["contacted_customers"])
    assert complained <= affected
    assert 0.05 < len(complained) / len(affected) < 0.5
    assert 0 < len(i["commented_customers"]) < len(i["contacted_customers"])


def _theme_rates(db, agents: list[str], theme: str, date: str) -> dict[str, tuple[int, int]]:
    rows = db.execute(
        """SELECT r.agent_id, r.responded_at < ?::DATE AS before, count(*),
                  count(*) FILTER (WHERE list_contains(t.themes, ?))
           FROM comment_truth t JOIN responses r USING (response_id)
           WHERE r.agent_id IS NOT NULL GROUP BY ALL""",
        [date, theme],
    ).fetchall()
    out: dict[str, tuple[int, int]] = {}
    for agent, before, n, hits in rows:
        key = ("mine" if agent in agents else "others") + ("_before" if before else "_after")
        a, b = out.get(key, (0, 0))
        out[key] = (a + n, b + hits)
    return out


def test_weak_agents_mention_their_theme_far_above_baseline(sim, db):
    truth = sim[0].truth
    date = truth["coaching"]["date"]
    for theme in {w["theme"] for w in truth["weak_agents"]}:
        agents = [w["agent_id"] for w in truth["weak_agents"] if w["theme"] == theme]
        r = _theme_rates(db, agents, theme, date)
        mine = r["mine_before"][1] / r["mine_before"][0]
        others = (r["others_before"][1] + r["others_after"][1]) / (
            r["others_before"][0] + r["others_after"][0]
        )
        assert mine >= 2 * others, theme
        assert mine >= 3 * truth["weak_agents"][0]["baseline_rate"] * 0.8
    for w in truth["weak_agents"]:
        assert w["planted_rate"] >= 3 * w["baseline_rate"]


def test_praised_agents_are_named_in_praise(sim, db):
    praised = {p["agent_id"]: p["first_name"] for p in sim[0].truth["praise_agents"]}
    rows = db.execute(
        """SELECT r.agent_id, split_part(e.name, ' ', 1), r.comment
           FROM comment_truth t JOIN responses r USING (response_id) JOIN employees e ON e.employee_id = r.agent_id
           WHERE 'positive' IN (SELECT unnest(t.sentiments))"""
    ).fetchall()
    named = {True: [0, 0], False: [0, 0]}
    for agent, first, comment in rows:
        hit = re.search(rf"\b{re.escape(first)}\b", comment, re.IGNORECASE) is not None
        named[agent in praised][0] += 1
        named[agent in praised][1] += hit
    assert named[True][1] / named[True][0] >= 2 * named[False][1] / named[False][0]


def test_comments_that_name_the_agent_say_their_first_name(db):
    rows = db.execute(
        """SELECT split_part(e.name, ' ', 1), r.comment
           FROM comment_truth t JOIN responses r USING (response_id)
           JOIN employees e ON e.employee_id = r.agent_id WHERE t.names_agent"""
    ).fetchall()
    assert len(rows) > 50
    assert all(first.lower() in comment.lower() for first, comment in rows)


def test_coaching_helped_some_agents_and_not_others(sim, db):
    c = sim[0].truth["coaching"]
    sessions = db.execute(
        "SELECT employee_id, focus_theme FROM coaching WHERE programme = ? AND held_on = ?::DATE",
        [c["programme"], c["date"]],
    ).fetchall()
    assert dict(sessions) == c["theme"]
    assert set(c["coached"]) >= set(c["helped"]) | set(c["not_helped"])
    assert c["helped"] and c["not_helped"]
    follow = {
        row[0]
        for row in db.execute(
            "SELECT employee_id FROM coaching WHERE programme = ? AND held_on > ?::DATE",
            [c["programme"], c["date"]],
        ).fetchall()
    }
    assert follow == set(c["helped"])

    def pooled(group: list[str]) -> tuple[float, float]:
        n = {"before": [0, 0], "after": [0, 0]}
        for agent in group:
            r = _theme_rates(db, [agent], c["theme"][agent], c["date"])
            for when in n:
                n[when][0] += r[f"mine_{when}"][0]
                n[when][1] += r[f"mine_{when}"][1]
        return n["before"][1] / n["before"][0], n["after"][1] / n["after"][0]

    before, after = pooled(c["helped"])
    assert after < before / 2
    before, after = pooled(c["not_helped"])
    assert after > before / 2


def test_some_comments_hold_personal_data(sim, db):
    p = sim[0].truth["pii"]
    comments = [
        row[0]
        for row in db.execute("SELECT comment FROM responses WHERE comment IS NOT NULL").fetchall()
    ]
    emails = sum(1 for c in comments if re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", c))
    cards = sum(
        1 for c in comments for m in re.findall(r"\b(?:\d[ -]?){15}\d\b", c) if luhn_valid(m)
    )
    phones = sum(
        1
        for c in comments
        if any(
            10 <= sum(ch.isdigit() for ch in m) <= 12
            for m in re.findall(r"(?<!\w)(?:\+44\s?\d|\(?0\d)[\d\s)]{8,13}\d", c)
        )
    )
    ibans = sum(
        1 for c in comments if re.search(r"\bGB\d{2}(?: ?[A-Z0-9]{4}){4}(?: ?[A-Z0-9]{1,2})?\b", c)
    )
    assert ibans == p["by_kind"]["iban"] > 0
    assert emails == p["by_kind"]["email"] > 0
    assert cards == p["by_kind"]["card"] > 0
    assert phones >= p["by_kind"]["phone"] > 0
    assert p["comments_with_pii"] == sum(p["by_kind"].values())
    assert 0.002 < p["comments_with_pii"] / len(comments) < 0.05


def test_theme_vocabulary_and_comment_truth_agree(sim, db):
    names = [t.name for t in THEMES]
    assert 25 <= len(names) <= 40 and len(set(names)) == len(names)
    assert all(t.description and t.group for t in THEMES)
    used = {
        row[0] for row in db.execute("SELECT DISTINCT unnest(themes) FROM comment_truth").fetchall()
    }
    assert used <= set(names) and len(used) >= 25
    sentiments = {
        row[0]
        for row in db.execute("SELECT DISTINCT unnest(sentiments) FROM comment_truth").fetchall()
    }
    assert sentiments <= {"positive", "negative", "neutral"}
    assert (
        one(db, "SELECT count(*) FROM comment_truth WHERE len(themes) <> len(sentiments)")[0] == 0
    )
    missing = one(
        db,
        "SELECT count(*) FROM comment_truth t LEFT JOIN responses r USING (response_id) WHERE r.comment IS NULL",
    )[0]
    assert missing == 0


def test_comments_read_like_customers(sim, db):
    comments = [
        row[0]
        for row in db.execute("SELECT comment FROM responses WHERE comment IS NOT NULL").fetchall()
    ]
    assert len(set(comments)) / len(comments) > 0.9
    mixed = one(
        db,
        "SELECT count(*) FROM comment_truth WHERE list_contains(sentiments, 'positive') AND list_contains(sentiments, 'negative')",
    )[0]
    assert mixed > 0.03 * len(comments)
    assert sum(c == c.lower() for c in comments) > 0.05 * len(comments)
    negative = (
        "SELECT avg(list_contains(t.sentiments, 'negative')::int) FROM comment_truth t "
        "JOIN responses r USING (response_id) WHERE r.nps BETWEEN ? AND ?"
    )
    detractor, promoter = one(db, negative, [0, 6])[0], one(db, negative, [9, 10])[0]
    assert detractor > 0.8 and promoter < 0.4


def test_pulses_are_anonymous_and_in_range(db):
    assert one(db, "SELECT count(*) FROM pulses WHERE enps IS NULL")[0] == 0  # eNPS is required
    no_score = "SELECT count(*) FROM responses WHERE nps IS NULL AND csat IS NULL AND ces IS NULL"
    assert one(db, no_score)[0] == 0
    leaked = one(
        db, "SELECT count(*) FROM pulses p JOIN employees e ON p.respondent = e.employee_id"
    )[0]
    assert leaked == 0
    lo, hi, ilo, ihi = one(
        db, "SELECT min(enps), max(enps), min(rating_workload), max(rating_workload) FROM pulses"
    )
    assert 0 <= lo and hi <= 10 and 1 <= ilo and ihi <= 5
    months = one(db, "SELECT count(DISTINCT period) FROM pulses")[0]
    assert months == 24
    assert (
        one(
            db,
            "SELECT count(*) FROM checkins c JOIN employees e ON c.leader_id = e.employee_id WHERE e.role = 'agent'",
        )[0]
        == 0
    )
