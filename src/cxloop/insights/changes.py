"""What changed, for real: the moves of the last period(s) that are not ordinary noise.

``changes(ws, period="week", last=1)`` judges the last ``last`` period(s) (the window,
ending at ``until``, by default the latest response) against the usual: the
``insights.baseline_periods`` periods before the window, pooled. Candidates:

* theme shares: the share of tagged comments mentioning each theme (none if the comments
  were never tagged);
* contact reason shares: the share of contacts (interactions) with each reason, judged for
  rises only (one-sided): when one reason surges, every other share falls by arithmetic;
* overall NPS, detractor share and CSAT;
* the NPS of each team, channel, segment, product, region and contact reason, where the
  window and the baseline each hold at least ``metrics.min_group_responses`` answers
  (smaller groups are counted as not tested, never judged).

Each candidate gets one test (:mod:`cxloop.insights.trends_stats`): shares by Fisher's
exact test or the two-proportion z-test, NPS by a z-test on the per-response score
(PRODUCT.md, NPS). Benjamini-Hochberg then keeps the false discovery rate across all
candidates at ``insights.false_discovery_rate``. Each significant change carries its
effect (the ratio of shares for themes and reasons; the difference in points for NPS,
detractor share and CSAT) with a 95% interval, its n, when it started (the most likely
day of a step within the window, see :func:`~cxloop.insights.trends_stats.step_start`),
and a sentence. Changes are ranked by p-value: the surest first.

The pooled baseline treats responses as independent; week-to-week swings beyond that
(seasons, a mix of contact reasons) can make a very large workspace find small real
but unremarkable changes. The effect size and interval say how big each one is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import numpy as np

from ..errors import InputError, MissingData
from ..metrics import formulas as f
from ..metrics._query import aggregate, grouped
from . import trends_periods as tp
from .changes_words import change_sentence
from .trends_stats import (
    Comparison,
    benjamini_hochberg,
    nps_difference,
    share_difference,
    share_ratio,
    step_start,
)

#: Groups whose NPS is judged, with how a sentence names them.
GROUPS: dict[str, str] = {
    "team": "Team {} NPS",
    "channel": "NPS on {}",
    "segment": "NPS of {} customers",
    "product": "NPS of {} customers",
    "region": "NPS in {}",
    "reason": "NPS after {} contacts",
}


@dataclass
class Change:
    """One candidate: its value in the window and as usual, the effect and the test."""

    kind: str  # "theme share", "contact reason share", "NPS", "detractor share", "CSAT"
    dimension: str | None  # for NPS of a group: team, channel...
    group: str | None  # the theme, reason or group value
    label: str
    window_value: float
    usual_value: float
    window_n: int
    usual_n: int
    effect: float
    effect_kind: str  # "ratio" or "points"
    low: float
    high: float
    p_value: float
    q_value: float = 1.0
    significant: bool = False
    direction: str = ""  # "up" or "down"
    started: dt.date | None = None
    sentence: str = ""
    noun: str = ""  # shares: what the share is of ("comments", "contacts")

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "dimension": self.dimension,
            "group": self.group,
            "label": self.label,
            "window_value": round(self.window_value, 3),
            "usual_value": round(self.usual_value, 3),
            "window_n": self.window_n,
            "usual_n": self.usual_n,
            "effect": round(self.effect, 3),
            "effect_kind": self.effect_kind,
            "low": round(self.low, 3),
            "high": round(self.high, 3),
            "direction": self.direction,
            "p_value": self.p_value,
            "q_value": self.q_value,
            "significant": self.significant,
            "started": self.started.isoformat() if self.started else None,
            "sentence": self.sentence,
        }


@dataclass
class ChangeReport:
    """The judged window, its baseline, and the significant changes, surest first."""

    period: str
    last: int
    window_start: dt.date
    window_end: dt.date
    baseline_start: dt.date
    baseline_end: dt.date
    false_discovery_rate: float
    tested: int
    not_tested: int  # groups too small to judge
    changes: list[Change]
    candidates: list[Change]
    sentence: str

    def to_dict(self, everything: bool = False) -> dict[str, Any]:
        return {
            "period": self.period,
            "last": self.last,
            "window": [self.window_start.isoformat(), self.window_end.isoformat()],
            "baseline": [self.baseline_start.isoformat(), self.baseline_end.isoformat()],
            "false_discovery_rate": self.false_discovery_rate,
            "tested": self.tested,
            "not_tested": self.not_tested,
            "sentence": self.sentence,
            "changes": [c.to_dict() for c in (self.candidates if everything else self.changes)],
        }


def changes(ws, period: str = "week", last: int = 1, until: dt.date | None = None) -> ChangeReport:
    """Rank what moved in the last ``last`` period(s) up to ``until`` against the usual."""
    tp.check_period(period)
    if last < 1:
        raise InputError(f"last must be at least 1, not {last}")
    cfg = ws.settings
    latest = until is None
    end = until if until is not None else _latest_day(ws)
    start = tp.shift(tp.period_floor(end, period), period, -(last - 1))
    base_start = tp.shift(start, period, -cfg.insights.baseline_periods)
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    minimum = cfg.metrics.min_group_responses
    frame = _Frame(start, days)

    candidates: list[Change] = []
    skipped = 0
    survey = _responses_daily(ws, base_start, end, frame)
    overall = survey.get(None, {})
    if not overall or overall[None]["base"][0] == 0:
        raise MissingData(
            f"no survey answers between {base_start} and {start - dt.timedelta(days=1)}: "
            "nothing to compare the window with"
        )
    candidates += _overall_changes(overall[None], frame)
    for dim, template in GROUPS.items():
        for value, data in survey.get(dim, {}).items():
            if value is None:
                continue
            if data["win"][0] < minimum or data["base"][0] < minimum:
                skipped += 1
                continue
            candidates.append(_nps_change(data, frame, template.format(value), dim, str(value)))
    candidates += _share_changes(ws, "theme share", base_start, end, frame, minimum)
    candidates += _share_changes(ws, "contact reason share", base_start, end, frame, minimum)

    q = benjamini_hochberg([c.p_value for c in candidates])
    words = tp.window_words(start, end, period, last, latest)
    for c, qv in zip(candidates, q, strict=True):
        c.q_value = float(qv)
        c.significant = bool(qv <= cfg.insights.false_discovery_rate)
        c.sentence = change_sentence(c, words)
    candidates.sort(key=lambda c: (c.p_value, -abs(np.log(max(c.effect, 1e-9)))))
    found = [c for c in candidates if c.significant]
    fdr = cfg.insights.false_discovery_rate
    summary = (
        f"{len(found)} significant change(s) {words} out of {len(candidates)} tested "
        f"(false discovery rate {fdr:.0%})."
        if found
        else f"Nothing moved beyond the usual noise {words} ({len(candidates)} tested, "
        f"false discovery rate {fdr:.0%})."
    )
    return ChangeReport(
        period, last, start, end, base_start, start - dt.timedelta(days=1), fdr,
        len(candidates), skipped, found, candidates, summary,
    )  # fmt: skip


@dataclass
class _Frame:
    """The window's days; everything before ``start`` is the baseline."""

    start: dt.date
    days: list[dt.date]

    def index(self, day: dt.date) -> int | None:
        """Position of ``day`` in the window, or None for a baseline day."""
        return None if day < self.start else (day - self.start).days


def _latest_day(ws) -> dt.date:
    t = ws.analytics.table("responses")
    latest = ws.analytics.con.to_pyarrow(t.responded_at.max()).as_py()
    if latest is None:
        raise MissingData("no survey answers loaded; run `cxloop ingest responses FILE`")
    return latest.date() if isinstance(latest, dt.datetime) else latest


def _day_rows(ws, expr: ibis.Table) -> list[dict]:
    return ws.analytics.con.to_pyarrow(expr).to_pylist()


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


_SURVEY = ("n", "promoters", "detractors", "csat_n", "csat_top")


def _responses_daily(ws, since, until, frame) -> dict[str | None, dict[Any, dict]]:
    """Per dimension (None: everyone) and group: daily survey counts in the window
    (``days``, one row per day) and their totals in the window and the baseline.

    One query: the per-dimension aggregates are stacked with UNION ALL.
    """
    names = list(GROUPS)
    t, keys, _ = grouped(ws, "responses", "responded_at", names, "day", since, until, None)
    counts = {
        "n": t.nps.count(),
        "promoters": (t.nps >= f.PROMOTER_MIN).ifelse(1, 0).sum(),
        "detractors": (t.nps <= f.DETRACTOR_MAX).ifelse(1, 0).sum(),
        "csat_n": t.csat.count(),
        "csat_top": (t.csat >= f.CSAT_TOP_MIN).ifelse(1, 0).sum(),
    }
    parts = []
    for dim in [None, *names]:
        value = t[dim].cast("string") if dim else ibis.literal(None, type="string")
        g = t.group_by(period=keys["period"], value=value).aggregate(**counts)
        parts.append(g.mutate(dim=ibis.literal(dim or "", type="string")))
    table = ws.analytics.con.to_pyarrow(ibis.union(*parts))
    dim_col = table.column("dim").to_pylist()
    value_col = table.column("value").to_pylist()
    days = [frame.index(_as_date(d)) for d in table.column("period").to_pylist()]
    matrix = np.column_stack(
        [table.column(c).fill_null(0).to_numpy().astype(float) for c in _SURVEY]
    )
    out: dict[str | None, dict[Any, dict]] = {}
    for row, (dim, value, i) in enumerate(zip(dim_col, value_col, days, strict=True)):
        group = out.setdefault(dim or None, {}).setdefault(
            value, {"days": np.zeros((len(frame.days), 5)), "base": np.zeros(5), "win": np.zeros(5)}
        )
        if i is None:
            group["base"] += matrix[row]
        else:
            group["days"][i] += matrix[row]
            group["win"] += matrix[row]
    return out


def _nps_change(data, frame, label, dim, group) -> Change:
    (n1, p1, d1), (n0, p0, d0) = data["win"][:3], data["base"][:3]
    cmp = nps_difference(int(p1), int(d1), int(n1), int(p0), int(d0), int(n0))
    usual = (p0 - d0) / n0
    daily = data["days"]
    c = Change(
        "NPS", dim, group, label, (p1 - d1) / n1 * 100, usual * 100, int(n1), int(n0),
        cmp.effect, "points", cmp.low, cmp.high, cmp.p_value,
    )  # fmt: skip
    c.direction = "up" if cmp.effect > 0 else "down"
    c.started = _start(frame, daily[:, 1] - daily[:, 2], daily[:, 0], usual, cmp.effect > 0)
    return c


def _overall_changes(data, frame) -> list[Change]:
    """NPS, detractor share and CSAT of everyone who answered."""
    out = []
    (n1, _, d1, c1, t1), (n0, _, d0, c0, t0) = data["win"], data["base"]
    daily = data["days"]
    if n1 > 0 and n0 > 0:
        out.append(_nps_change(data, frame, "NPS", None, None))
        out.append(_points_change("detractor share", "Detractor share", d1, n1, d0, n0,
                                  daily[:, 2], daily[:, 0], frame))  # fmt: skip
    if c1 > 0 and c0 > 0:
        out.append(_points_change("CSAT", "CSAT", t1, c1, t0, c0, daily[:, 4], daily[:, 3], frame))
    return out


def _points_change(kind, label, x1, n1, x0, n0, hits, n_days, frame) -> Change:
    """A share judged by its difference in points (detractor share, CSAT)."""
    cmp = share_difference(int(x1), int(n1), int(x0), int(n0))
    usual = x0 / n0
    c = Change(
        kind, None, None, label, x1 / n1 * 100, usual * 100, int(n1), int(n0), cmp.effect,
        "points", cmp.low, cmp.high, cmp.p_value,
    )  # fmt: skip
    c.direction = "up" if cmp.effect > 0 else "down"
    c.started = _start(frame, hits, n_days, usual, cmp.effect > 0)
    return c


def _share_changes(ws, kind, since, until, frame, minimum) -> list[Change]:
    """Theme shares of tagged comments, or contact reason shares of interactions.

    Nothing to judge (no candidates) when the comments were never tagged.
    """
    if kind == "theme share" and ws.analytics.count("comment_tags") == 0:
        return []
    totals, hits = _theme_daily(ws, since, until) if kind == "theme share" else (
        _reason_daily(ws, since, until)
    )  # fmt: skip
    n_days, n_base = _split(totals, frame)
    n1, n0 = int(n_days.sum()), int(n_base)
    if n1 < minimum or n0 < minimum:
        return []
    out = []
    for name, counts in hits.items():
        x_days, x_base = _split(counts, frame)
        x1, x0 = int(x_days.sum()), int(x_base)
        if x1 + x0 == 0 or name is None:
            continue
        cmp = share_ratio(x1, n1, x0, n0)
        if kind != "theme share":  # reasons: rises only (one surge lowers every other share)
            p = cmp.p_value / 2 if cmp.effect > 1 else 1 - cmp.p_value / 2
            cmp = Comparison(cmp.effect, cmp.low, cmp.high, p)
        usual = x0 / n0
        noun = "comments" if kind == "theme share" else "contacts"
        label = name[:1].upper() + name[1:] if kind == "theme share" else f"Contacts about {name}"
        c = Change(
            kind, None, name, label, x1 / n1 * 100, usual * 100, n1, n0, cmp.effect, "ratio",
            cmp.low, cmp.high, cmp.p_value,
        )  # fmt: skip
        c.noun = noun
        c.direction = "up" if cmp.effect > 1 else "down"
        c.started = _start(frame, x_days, n_days, usual, cmp.effect > 1)
        out.append(c)
    return out


def _split(counts: dict[dt.date, int], frame) -> tuple[np.ndarray, float]:
    days, base = np.zeros(len(frame.days)), 0.0
    for day, n in counts.items():
        i = frame.index(day)
        if i is None:
            base += n
        else:
            days[i] += n
    return days, base


def _theme_daily(ws, since, until):
    from ..text.workspace_tags import tagged_comments

    t, keys, _ = grouped(
        ws, "responses", "responded_at", None, "day", since, until, None, table=tagged_comments(ws)
    )
    totals = {_as_date(r["period"]): r["n"] for r in _day_rows(ws, aggregate(t, keys, n=t.count()))}
    found = ws.analytics.table("comment_themes").select("response_id", "theme").distinct()
    m = t.select("response_id", day=keys["period"]).inner_join(found, "response_id")
    g = m.group_by(["day", "theme"]).aggregate(n=m.count())
    hits: dict[str, dict[dt.date, int]] = {}
    for r in _day_rows(ws, g):
        hits.setdefault(r["theme"], {})[_as_date(r["day"])] = r["n"]
    return totals, hits


def _reason_daily(ws, since, until):
    t, keys, _ = grouped(ws, "interactions", "started_at", "reason", "day", since, until, None)
    totals: dict[dt.date, int] = {}
    hits: dict[str, dict[dt.date, int]] = {}
    for r in _day_rows(ws, aggregate(t, keys, n=t.count())):
        day = _as_date(r["period"])
        totals[day] = totals.get(day, 0) + r["n"]
        hits.setdefault(r["reason"], {})[day] = r["n"]
    return totals, hits


def _start(frame, values, weights, usual, rise) -> dt.date | None:
    i = step_start(np.asarray(values), np.asarray(weights), usual, rise)
    return frame.days[i] if i is not None else None


__all__: Sequence[str] = ["Change", "ChangeReport", "changes"]
