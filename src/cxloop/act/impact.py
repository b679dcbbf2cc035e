"""What changed after an action started: each of its themes before and after the start day.

For each theme of the action (a parent theme counts a comment tagged with any of its
children), two windows of the same length ``L``: *before* is the ``L`` days up to the day
before ``started_on``, *after* the ``L`` days from ``started_on``. ``L`` is
``window_days`` (42, six weeks), cut short when the data end sooner after the start (the
before window is then cut to the same length, so both cover the same number of days).
Only tagged comments count (``comment_tags``).

Per window:

* **share**: comments mentioning the theme / tagged comments, in %, with the 95%
  Agresti-Coull interval (``metrics.formulas.share_margin``);
* **NPS impact**: the NPS points the theme costs overall, among the window's tagged
  comments with an NPS answer::

      impact = NPS(comments without the theme) − NPS(all comments) = q · (NPSₒ − NPSₜ)

  with ``q`` the theme's share of those comments, ``NPSₒ`` the NPS of the comments without
  it and ``NPSₜ`` of those with it (NPS as in PRODUCT.md). Positive: the theme pulls NPS
  down by that many points; 0 when nobody mentions it. 95% interval by the delta method on
  ``f(q, a, b) = q(a − b)`` (``a``, ``b`` the mean scores +1/0/−1 without and with)::

      var(impact) = (a − b)² · q(1 − q)/n + q² · (varₒ/nₒ + varₜ/nₜ)     (× 100²)

  where ``var = p_P + p_D − (p_P − p_D)²`` is one response's score variance in each group
  (q and the two group means are uncorrelated under multinomial sampling).

Is the change more than the theme's normal variation? Two checks, both needed:

1. **control limits**: the after share lies outside the p-chart limits built from the
   before window's weeks (PRODUCT.md "Control limits"): ``p̄ ± k·sqrt(p̄(1 − p̄)/n_after)``
   with ``p̄`` = the theme's share over the before window's weekly samples (Σ hits / Σ n)
   and ``n_after`` the after window's comments. ``k`` is 1.96 (``sigma``), not the 3 of a
   running chart: 3σ keeps false alarms rare when every week of a long chart is judged,
   while here one planned comparison per theme is made, so 95% limits give the usual 5%
   false-alarm rate;
2. **two-proportion test**: before vs after (``insights.trends_stats.share_difference``:
   Fisher's exact test for small counts, else the pooled z-test), p < 0.05. This one also
   counts the before window's own sampling error, which the limits treat as known.

The default windows are six weeks (42 days): long enough for a theme mentioned by 2% of
comments to show a halving on a few hundred comments a week, short enough not to mix in
unrelated months. The weekly points (seven-day blocks counted from the start day) are
returned with the limits for each week's own n (at ``insights.control_sigma``, as on a
running chart). The limits are binomial: a theme whose weekly shares swing more than
chance allows (overdispersion) will be called "beyond" a little too easily; the
two-proportion test keeps a single lucky window in check.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import AnalysisError, MissingData
from ..insights.trends_stats import share_difference
from ..metrics.formulas import DETRACTOR_MAX, PROMOTER_MIN, Z95, nps_variance, share_margin
from .actions import get_action
from .outreach_find import day_start

WINDOW_DAYS = 42
MIN_DAYS = 7  # fewer days of data after the start: too soon to tell
ALPHA = 0.05


def nps_impact(
    promoters_with: int, detractors_with: int, n_with: int,
    promoters_without: int, detractors_without: int, n_without: int, z: float = Z95,
) -> tuple[float | None, float | None, float | None]:  # fmt: skip
    """(impact, low, high) in NPS points: ``NPS(without the theme) − NPS(all)`` with its
    delta-method 95% interval (module docstring). None where it cannot be computed (no
    comment without the theme); (0, None, None) when nobody mentions the theme.

    >>> [round(x, 2) for x in nps_impact(1, 3, 4, 3, 1, 6)]
    [33.33, -15.27, 81.93]
    """
    n = n_with + n_without
    if n_without == 0:
        return None, None, None
    if n_with == 0:
        return 0.0, None, None
    q = n_with / n
    a = (promoters_without - detractors_without) / n_without
    b = (promoters_with - detractors_with) / n_with
    impact = q * (a - b) * 100
    var = (a - b) ** 2 * q * (1 - q) / n + q**2 * (
        nps_variance(promoters_without, detractors_without, n_without) / n_without
        + nps_variance(promoters_with, detractors_with, n_with) / n_with
    )
    se = math.sqrt(max(var, 0.0)) * 100
    return impact, impact - z * se, impact + z * se


@dataclass
class WeekPoint:
    """One seven-day block: its share and the limits from the before window for its n."""

    first_day: dt.date
    window: str  # before or after
    n: int
    mentions: int
    share: float | None
    lower: float | None
    upper: float | None
    outside: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"first_day": self.first_day.isoformat()}


@dataclass
class WindowStats:
    """One window of one theme."""

    window: str  # before or after
    first_day: dt.date
    last_day: dt.date
    comments: int  # tagged comments
    mentions: int  # of those, mentioning the theme
    share: float | None  # %
    share_low: float | None
    share_high: float | None
    nps_n: int  # tagged comments with an NPS answer
    nps_impact: float | None  # points the theme costs
    nps_impact_low: float | None
    nps_impact_high: float | None

    def to_dict(self) -> dict[str, Any]:
        out = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items()}
        return out | {"first_day": self.first_day.isoformat(),
                      "last_day": self.last_day.isoformat()}  # fmt: skip


@dataclass
class ThemeImpact:
    """One theme of an action, before and after its start, and whether it really moved."""

    theme: str
    before: WindowStats
    after: WindowStats
    change: float | None  # after − before share, points
    change_low: float | None
    change_high: float | None
    p_value: float | None
    centre: float | None  # p-chart centre (before share) and limits for the after window's n
    lower_limit: float | None
    upper_limit: float | None
    beyond_limits: bool
    distinguishable: bool
    direction: str  # fell, rose, unchanged, unknown
    nps_impact_change: float | None  # after − before, points
    nps_impact_change_low: float | None
    nps_impact_change_high: float | None
    sentence: str
    weeks: list[WeekPoint] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()
               if k not in ("before", "after", "weeks")}  # fmt: skip
        return out | {"before": self.before.to_dict(), "after": self.after.to_dict(),
                      "weeks": [w.to_dict() for w in self.weeks]}  # fmt: skip


@dataclass
class ActionImpact:
    """An action and what happened to each of its themes."""

    action_id: int
    title: str
    started_on: dt.date
    window_days: int  # the length both windows were given (after any cut)
    data_end: dt.date
    sigma: float  # k of the after-window limits
    themes: list[ThemeImpact]
    notes: list[str] = field(default_factory=list)

    @property
    def sentences(self) -> list[str]:
        return [t.sentence for t in self.themes]

    def to_dict(self) -> dict[str, Any]:
        return {"action_id": self.action_id, "title": self.title,
                "started_on": self.started_on.isoformat(), "window_days": self.window_days,
                "data_end": self.data_end.isoformat(), "sigma": self.sigma,
                "themes": [t.to_dict() for t in self.themes], "notes": self.notes,
                "sentences": self.sentences}  # fmt: skip


def action_impact(
    ws, action_id: int, window_days: int = WINDOW_DAYS, sigma: float = Z95
) -> ActionImpact:
    """Each theme of the action before and after its start (module docstring)."""
    action = get_action(ws, action_id)
    return theme_impact(ws, action.themes, action.started_on, window_days, sigma,
                        action_id=action.id, title=action.title)  # fmt: skip


def theme_impact(
    ws, themes: list[str], start: dt.date, window_days: int = WINDOW_DAYS,
    sigma: float = Z95, *, action_id: int = 0, title: str = "",
) -> ActionImpact:  # fmt: skip
    """:func:`action_impact` for any themes and start day (no stored action needed)."""
    from ..text.workspace_tags import require_tags

    if isinstance(window_days, bool) or not isinstance(window_days, int) or window_days < 1:
        raise AnalysisError(f"window_days must be a whole number of days >= 1, not {window_days!r}")
    require_tags(ws)
    data_end = _data_end(ws)
    notes: list[str] = []
    length = window_days
    available = (data_end - start).days + 1
    if available < window_days:
        length = max(available, 0)
        notes.append(f"the data end on {data_end}: {max(available, 0)} day(s) after the start, "
                     f"so both windows were cut to {length} day(s)")  # fmt: skip
    k = float(sigma)
    weekly_k = float(ws.settings.insights.control_sigma)
    out = [_one(ws, t, start, length, k, weekly_k) for t in themes]
    if length < MIN_DAYS:
        notes.append(f"too soon to tell: fewer than {MIN_DAYS} days of data since the start")
    return ActionImpact(action_id, title, start, length, data_end, k, out, notes)


def _data_end(ws) -> dt.date:
    r = ws.analytics.table("responses")
    newest = ws.analytics.con.to_pyarrow(r.select(m=r.responded_at.max())).column("m")[0].as_py()
    if newest is None:
        raise MissingData("no survey responses loaded")
    return newest.date() if isinstance(newest, dt.datetime) else newest


def _daily(ws, theme: str, first: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Per day and mention (yes/no): tagged comments, NPS answers, promoters, detractors."""
    from ..text.workspace_tags import tagged_comments

    store = ws.analytics
    found = store.table("comment_themes")
    wanted = theme.lower()
    found = found.filter((found.theme.lower() == wanted) | (found.parent.lower() == wanted))
    found = found.select(__rid=found.response_id).distinct()
    t = tagged_comments(ws)
    t = t.filter(t.responded_at >= day_start(first), t.responded_at < day_start(end))
    t = t.left_join(found, t.response_id == found["__rid"])
    g = t.group_by(day=t.responded_at.date(), mention=t["__rid"].notnull().ifelse(1, 0)).agg(
        n=t.count(), nps_n=t.nps.count(),
        promoters=(t.nps >= PROMOTER_MIN).ifelse(1, 0).sum(),
        detractors=(t.nps <= DETRACTOR_MAX).ifelse(1, 0).sum())  # fmt: skip
    return store.con.to_pyarrow(g).to_pylist()


def _window(rows, name: str, first: dt.date, last: dt.date) -> WindowStats:
    inside = [r for r in rows if first <= _d(r["day"]) <= last]
    n = sum(int(r["n"]) for r in inside)
    hits = sum(int(r["n"]) for r in inside if r["mention"])
    cat = {m: [sum(int(r[c] or 0) for r in inside if bool(r["mention"]) == m)
               for c in ("promoters", "detractors", "nps_n")] for m in (True, False)}  # fmt: skip
    share = low = high = None
    if n:
        share = hits / n * 100
        margin = float(share_margin(hits, n))
        low, high = max(share - margin, 0.0), min(share + margin, 100.0)
    impact = nps_impact(*cat[True], *cat[False])
    return WindowStats(name, first, last, n, hits, share, low, high,
                       cat[True][2] + cat[False][2], *impact)  # fmt: skip


def _d(v) -> dt.date:
    return v.date() if isinstance(v, dt.datetime) else v


def _one(ws, theme: str, start: dt.date, length: int, k: float, weekly_k: float) -> ThemeImpact:
    span = max(length, 1)
    first = start - dt.timedelta(days=span)
    rows = _daily(ws, theme, first, start + dt.timedelta(days=span))
    before = _window(rows, "before", first, start - dt.timedelta(days=1))
    after = _window(rows, "after", start, start + dt.timedelta(days=span - 1))
    centre = lower = upper = None
    beyond = False
    if before.comments and after.comments:
        p = before.mentions / before.comments
        se = math.sqrt(p * (1 - p) / after.comments) * 100
        centre = p * 100
        lower, upper = max(centre - k * se, 0.0), min(centre + k * se, 100.0)
        beyond = after.share < centre - k * se or after.share > centre + k * se
    change = low = high = p_value = None
    if before.comments and after.comments:
        c = share_difference(after.mentions, after.comments, before.mentions, before.comments)
        change, low, high, p_value = c.effect, c.low, c.high, c.p_value
    distinguishable = bool(beyond and p_value is not None and p_value < ALPHA
                           and length >= MIN_DAYS)  # fmt: skip
    direction = ("unknown" if change is None else "fell" if change < 0 else "rose" if change > 0
                 else "unchanged")  # fmt: skip
    d_imp = d_low = d_high = None
    if before.nps_impact is not None and after.nps_impact is not None:
        d_imp = after.nps_impact - before.nps_impact
        se_b = _se(before)
        se_a = _se(after)
        if se_b is not None and se_a is not None:
            se = math.sqrt(se_a**2 + se_b**2)
            d_low, d_high = d_imp - Z95 * se, d_imp + Z95 * se
    weeks = _weeks(rows, start, span, centre, weekly_k)
    result = ThemeImpact(theme, before, after, change, low, high, p_value, centre, lower, upper,
                         beyond, distinguishable, direction, d_imp, d_low, d_high, "",
                         weeks)  # fmt: skip
    result.sentence = impact_sentence(result, span)
    return result


def _se(w: WindowStats) -> float | None:
    """The standard error of a window's NPS impact (0 when nobody mentions the theme)."""
    if w.nps_impact is None:
        return None
    if w.nps_impact_low is None:
        return 0.0
    return (w.nps_impact_high - w.nps_impact_low) / (2 * Z95)


def _weeks(rows, start: dt.date, span: int, centre: float | None, k: float) -> list[WeekPoint]:
    out = []
    p = centre / 100 if centre is not None else None
    for offset in range(-span, span, 7):
        first = start + dt.timedelta(days=offset)
        last = min(first + dt.timedelta(days=6), start + dt.timedelta(days=(-1 if offset < 0
                                                                            else span - 1)))  # fmt: skip
        inside = [r for r in rows if first <= _d(r["day"]) <= last]
        n = sum(int(r["n"]) for r in inside)
        hits = sum(int(r["n"]) for r in inside if r["mention"])
        share = hits / n * 100 if n else None
        lower = upper = None
        outside = False
        if p is not None and n:
            se = math.sqrt(p * (1 - p) / n) * 100
            lower, upper = max(centre - k * se, 0.0), min(centre + k * se, 100.0)
            outside = share < centre - k * se or share > centre + k * se
        out.append(WeekPoint(first, "before" if offset < 0 else "after", n, hits, share,
                             lower, upper, outside))  # fmt: skip
    return out


def span_words(days: int) -> str:
    """56 -> "8 weeks", 7 -> "week", 10 -> "10 days"."""
    if days % 7 == 0:
        w = days // 7
        return "week" if w == 1 else f"{w} weeks"
    return "day" if days == 1 else f"{days} days"


def impact_sentence(t: ThemeImpact, days: int) -> str:
    """The plain sentence of one theme's before and after."""
    name = t.theme[:1].upper() + t.theme[1:]
    span = span_words(days)
    if not t.before.comments or not t.after.comments:
        missing = "before" if not t.before.comments else "after"
        return f"{name}: no tagged comments in the {span} {missing} the start; nothing to compare."
    head = (f"{name}: {t.before.share:.1f}% of comments in the {span} before "
            f"({t.before.mentions:,} of {t.before.comments:,}) vs {t.after.share:.1f}% after "
            f"({t.after.mentions:,} of {t.after.comments:,})")  # fmt: skip
    if days < MIN_DAYS:
        return head + "; too soon to tell."
    move = {"fell": "fall", "rose": "rise"}.get(t.direction)
    if move is None:
        return head + "; no change."
    if t.distinguishable:
        verdict = f"the {move} is beyond the usual week-to-week variation"
    elif t.beyond_limits:
        verdict = (f"the {move} is outside the control limits but could still be chance "
                   f"(p = {t.p_value:.2f})")  # fmt: skip
    else:
        verdict = f"the {move} is within the usual week-to-week variation"
    text = f"{head}; {verdict}."
    if t.before.nps_impact is not None and t.after.nps_impact is not None:
        text += (f" NPS points the theme costs: {t.before.nps_impact:.1f} before, "
                 f"{t.after.nps_impact:.1f} after.")  # fmt: skip
    return text
