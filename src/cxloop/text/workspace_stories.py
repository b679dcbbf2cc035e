"""Stories from a workspace: the tagged comments of a team, theme and period, the best
few chosen (:mod:`cxloop.text.stories`) and praise linked to the employee it names
(:mod:`cxloop.text.employee_names`).

    stories(ws, team="T03", theme="Wait and access", period="2024-03", n=5)

Reads ``responses``, ``comment_tags``, ``comment_themes`` and ``employees`` through
Ibis expressions only. Texts are redacted once more with the workspace's own rules
before anything is shown (they were redacted on ingest; this is a second guard).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
from collections.abc import Sequence

import ibis
import pyarrow as pa

from ..errors import InputError, MissingData
from ..ingest.redact import Redactor
from ..metrics.dimensions import apply_filters
from .cache import embed_cached
from .employee_names import EmployeeNames
from .encoder import LazyEncoder, workspace_encoder
from .periods import period_range
from .stories import Candidate, PraisedEmployee, Story, pick_stories

#: At most this many of the newest matching comments are considered.
MAX_CANDIDATES = 20_000
#: Shorter comments are never stories.
MIN_CHARS = 20
_SENTIMENT_NAMES = {
    "positive": "positive", "praise": "positive",
    "negative": "negative", "pain": "negative", "complaint": "negative",
    "neutral": "neutral",
}  # fmt: skip
_TAG_TABLES = ("comment_tags", "comment_themes")


def stories(
    ws,
    *,
    team: str | Sequence[str] | None = None,
    theme: str | None = None,
    period: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    n: int = 5,
    sentiment: str | None = None,
    encoder=None,  # an Encoder; the workspace's model when None
) -> list[Story]:
    """Up to ``n`` real comments worth reading aloud: specific, vivid, recent, diverse,
    praise as well as pain, and praise that names an employee linked to them.

    ``team``: a team id (or several). ``theme``: a theme, or a parent theme (all its
    children). ``period``: "2024-W10", "2024-03", "2024-Q1", "last-30-days", "month"
    (the latest)... (see :mod:`cxloop.text.periods`); ``since``/``until`` narrow it
    further. ``sentiment``: positive/praise, negative/pain or neutral (no balancing).
    Recency halves over half the period's length (every 30 days with no period),
    counted back from the period's end or the newest comment, whichever is earlier.
    """
    if n < 1:
        raise InputError(f"n must be at least 1, not {n}")
    wanted = _sentiment(sentiment)
    store = ws.analytics
    _require_tags(store)
    found = _candidates(ws, team, theme, period, since, until, wanted)
    if found is None:
        return []
    candidates, original, praise_spans, (start, end, newest) = found
    reference = min(end, newest) if end else newest
    days = (reference - start).days + 1 if start else None
    half_life = 30.0 if days is None else max(3.0, days / 2)
    encoder = encoder or _default_encoder(ws)
    picked = pick_stories(
        candidates,
        lambda texts: embed_cached(store, encoder, texts),
        n,
        sentiment=wanted,
        reference=reference,
        half_life_days=half_life,
    )
    names = EmployeeNames(_employees(store))
    return [
        _link(s, names, original[s.response_id], praise_spans.get(s.response_id, ()))
        for s in picked
    ]


def _candidates(ws, team, theme, period, since, until, wanted):
    """The newest matching tagged comments as candidates, their texts as stored, the
    positive evidence spans of each, and ``(first day, last day, newest day)``; None if
    nothing matches."""
    store = ws.analytics
    responses = store.table("responses")
    responses = responses.filter(responses.comment.notnull())
    teams = [team] if isinstance(team, str) else list(team or [])
    if teams:
        _check_values(store, responses, "team_id", teams, "team")
        responses = responses.filter(responses.team_id.isin(teams))
    newest = _newest(store, responses)
    if newest is None:
        return None
    start, end = _window(period, since, until, newest)
    responses = apply_filters(responses, "responded_at", start, end)
    tags = store.table("comment_tags").select("response_id", "sentiment", "sentiment_score")
    if wanted:
        tags = tags.filter(tags.sentiment == wanted)
    joined = responses.inner_join(tags, "response_id")
    joined = joined.filter(joined.comment.length() >= MIN_CHARS)
    if theme:
        joined = joined.semi_join(_theme_rows(store, theme), "response_id")
    query = (
        joined.select(
            "response_id", "responded_at", "comment", "team_id", "channel", "nps", "agent_id",
            "sentiment", "sentiment_score",
        )
        .order_by(ibis.desc("responded_at"), "response_id")
        .limit(MAX_CANDIDATES)
    )  # fmt: skip
    rows = store.con.to_pyarrow(query)
    if rows.num_rows == 0:
        return None
    shown = Redactor(ws.settings.privacy.account_patterns).column(rows.column("comment"))
    ids = rows.column("response_id").to_pylist()
    themes, praise_spans = _themes(store, ids)
    candidates = [
        Candidate(
            response_id=r["response_id"],
            text=text,
            date=r["responded_at"].date(),
            sentiment=r["sentiment"],
            sentiment_score=float(r["sentiment_score"] or 0.0),
            themes=tuple(themes.get(r["response_id"], ())),
            team=r["team_id"],
            channel=r["channel"],
            nps=r["nps"],
            agent_id=r["agent_id"],
        )
        for r, text in zip(rows.to_pylist(), shown.to_pylist(), strict=True)
    ]
    original = dict(zip(ids, rows.column("comment").to_pylist(), strict=True))
    return candidates, original, praise_spans, (start, end, newest)


# -- pieces ---------------------------------------------------------------------------
def _sentiment(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return _SENTIMENT_NAMES[value.strip().lower()]
    except KeyError:
        raise InputError(
            f"unknown sentiment {value!r}; use positive (praise), negative (pain) or neutral"
        ) from None


def _require_tags(store) -> None:
    existing = set(store.con.list_tables())
    if any(t not in existing for t in _TAG_TABLES) or store.count("comment_tags") == 0:
        raise MissingData("no tagged comments in this workspace; run `cxloop themes tag` first")


def _newest(store, responses) -> dt.date | None:
    value = store.con.to_pyarrow(responses.responded_at.max()).as_py()
    return value.date() if value is not None else None


def _window(
    period: str | None, since: dt.date | None, until: dt.date | None, newest: dt.date
) -> tuple[dt.date | None, dt.date | None]:
    """First and last day looked at (None: open); ``since``/``until`` narrow the period."""
    start, end = period_range(period, newest) or (None, None)
    if since is not None:
        start = since if start is None else max(start, since)
    if until is not None:
        end = until if end is None else min(end, until)
    if start is not None and end is not None and start > end:
        raise InputError(f"the period is empty: {start.isoformat()} is after {end.isoformat()}")
    return start, end


def _check_values(store, table, column: str, values: list[str], what: str) -> None:
    known = store.con.to_pyarrow(table.select(column).distinct()).column(column).to_pylist()
    known = sorted(v for v in known if v is not None)
    for value in values:
        if value not in known:
            close = difflib.get_close_matches(value, known, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {_few(known)}"
            raise InputError(f"no responses for {what} {value!r}{hint}")


def _theme_rows(store, theme: str):
    """comment_themes rows of ``theme`` or of its children (matched ignoring case)."""
    ct = store.table("comment_themes")
    key = theme.strip().lower()
    rows = ct.filter((ct.theme.lower() == key) | (ct.parent.lower() == key))
    if store.con.to_pyarrow(rows.count()).as_py() == 0:
        names = ct.select(name=ct.theme).union(ct.select(name=ct.parent)).distinct()
        known = [v for v in store.con.to_pyarrow(names).column("name").to_pylist() if v]
        close = difflib.get_close_matches(theme, sorted(known), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {_few(known)}"
        raise InputError(f"no comment is tagged with theme {theme!r}{hint}")
    return rows.select("response_id").distinct()


def _themes(store, ids: list[str]) -> tuple[dict[str, list[str]], dict[str, list[tuple]]]:
    """Themes of each response (most confident first) and its positive evidence spans."""
    ct = store.table("comment_themes")
    wanted = ibis.memtable(pa.table({"response_id": pa.array(ids, pa.string())}))
    rows = store.con.to_pyarrow(
        ct.semi_join(wanted, "response_id")
        .select("response_id", "theme", "sentiment", "span_start", "span_end", "rank")
        .order_by("response_id", "rank")
    ).to_pylist()
    themes: dict[str, list[str]] = {}
    spans: dict[str, list[tuple]] = {}
    for r in rows:
        themes.setdefault(r["response_id"], []).append(r["theme"])
        if r["sentiment"] == "positive" and r["span_start"] is not None:
            spans.setdefault(r["response_id"], []).append((r["span_start"], r["span_end"]))
    return themes, spans


def _employees(store) -> list[tuple[str, str | None]]:
    e = store.table("employees").select("employee_id", "name")
    table = store.con.to_pyarrow(e)
    return list(
        zip(table.column("employee_id").to_pylist(), table.column("name").to_pylist(), strict=True)
    )


def _link(story: Story, names: EmployeeNames, original: str, spans: Sequence[tuple]) -> Story:
    """``story`` with the employee its praise names (or a note that the name is ambiguous).

    Where tagging found positive evidence, only names inside it count ("Tom was rude
    but Sarah fixed it" praises Sarah, not Tom); otherwise a positive comment counts
    as praise throughout. Offsets refer to the text as stored, which is what was tagged.
    """
    whole = story.sentiment == "positive" and not spans
    link = names.praised(original, story.agent_id, praise=whole, praise_spans=spans)
    if link is None:
        return story
    if link.employee is None:
        return dataclasses.replace(story, employee_note=link.note)
    person = PraisedEmployee(link.employee.employee_id, link.employee.name, link.mention)
    return dataclasses.replace(
        story,
        praised_employee=person,
        employee_note=link.note,
        why=f"{story.why}; praises {person.name}",
    )


def _default_encoder(ws) -> LazyEncoder:
    return workspace_encoder(ws.settings.text)


def _few(values: list[str], k: int = 8) -> str:
    head = ", ".join(values[:k])
    return head + (f" and {len(values) - k} more" if len(values) > k else "") if values else "none"
