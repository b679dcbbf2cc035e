"""Channel consistency: is the experience the same whatever the channel? (PRODUCT.md, C14)

``channel_gaps(ws)`` scores every channel on the same outcomes (NPS, CSAT, detractor
share; PRODUCT.md definitions) and the same themes (share of tagged comments mentioning
each theme), then compares each channel with all other channels together:

* NPS: the difference in points, z-test on the per-response score (variance
  ``p_P + p_D − (p_P − p_D)²``, PRODUCT.md, NPS);
* CSAT and detractor share: the difference in percentage points with the Agresti-Caffo
  interval, Fisher's exact test or the two-proportion z-test;
* theme shares: the ratio of shares with the Katz interval, same tests.

Benjamini-Hochberg across every comparison keeps the false discovery rate at
``insights.false_discovery_rate``; only significant gaps are called out, biggest first
within each outcome and theme. Responses without a channel (e.g. relationship surveys) are left
out. Channels differ in what customers contact them about, so a gap says where the
experience differs, not yet why (see ``cxloop why``).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from ..errors import MissingData
from ..metrics import formulas as f
from ..metrics._query import grouped
from .trends_stats import (
    benjamini_hochberg,
    nps_difference,
    ratio_words,
    share_difference,
    share_ratio,
)

OUTCOMES = ("NPS", "CSAT", "detractor share")


@dataclass
class ChannelScore:
    """One channel's outcomes, each with its n and 95% margin."""

    channel: str
    n: int
    nps: float | None
    nps_margin: float | None
    csat: float | None
    csat_margin: float | None
    csat_n: int
    detractor_share: float | None
    detractor_margin: float | None
    comments: int

    def to_dict(self) -> dict[str, Any]:
        return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


@dataclass
class ChannelGap:
    """One channel against all other channels on one outcome or theme."""

    channel: str
    measure: str  # "NPS", "CSAT", "detractor share" or "theme share"
    theme: str | None
    value: float
    rest_value: float
    n: int
    rest_n: int
    effect: float
    effect_kind: str  # "points" or "ratio"
    low: float
    high: float
    p_value: float
    q_value: float = 1.0
    significant: bool = False
    sentence: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        for k in ("value", "rest_value", "effect", "low", "high"):
            out[k] = round(out[k], 3)
        return out


@dataclass
class ChannelReport:
    """Scores per channel, the significant gaps, and how many comparisons were made."""

    channels: list[ChannelScore]
    gaps: list[ChannelGap]
    tested: int
    false_discovery_rate: float
    since: dt.date | None
    until: dt.date | None
    all_gaps: list[ChannelGap]
    sentence: str

    def to_dict(self, everything: bool = False) -> dict[str, Any]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "false_discovery_rate": self.false_discovery_rate,
            "tested": self.tested,
            "sentence": self.sentence,
            "channels": [c.to_dict() for c in self.channels],
            "gaps": [g.to_dict() for g in (self.all_gaps if everything else self.gaps)],
        }


def channel_gaps(ws, since: dt.date | None = None, until: dt.date | None = None) -> ChannelReport:
    """Each channel's NPS, CSAT, detractor share and theme shares against the other channels."""
    counts = _survey_counts(ws, since, until)
    if len(counts) < 2:
        raise MissingData("channel consistency needs survey answers from at least two channels")
    comments, mentions = theme_counts(ws, since, until)
    total = {k: sum(c[k] for c in counts.values()) for k in next(iter(counts.values()))}
    scores, gaps = [], []
    for ch, c in sorted(counts.items()):
        rest = {k: total[k] - c[k] for k in c}
        scores.append(_score(ch, c, comments.get(ch, 0)))
        if c["n"] > 0 and rest["n"] > 0:
            cmp = nps_difference(c["promoters"], c["detractors"], c["n"],
                                 rest["promoters"], rest["detractors"], rest["n"])  # fmt: skip
            gaps.append(_gap(ch, "NPS", None, c, rest, cmp, "n", "points"))
            cmp = share_difference(c["detractors"], c["n"], rest["detractors"], rest["n"])
            gaps.append(_gap(ch, "detractor share", None, c, rest, cmp, "n", "points"))
        if c["csat_n"] > 0 and rest["csat_n"] > 0:
            cmp = share_difference(c["csat_top"], c["csat_n"], rest["csat_top"], rest["csat_n"])
            gaps.append(_gap(ch, "CSAT", None, c, rest, cmp, "csat_n", "points"))
        n1, n0 = comments.get(ch, 0), sum(comments.values()) - comments.get(ch, 0)
        if n1 == 0 or n0 == 0:
            continue
        for theme, by_channel in mentions.items():
            x1 = by_channel.get(ch, 0)
            x0 = sum(by_channel.values()) - x1
            cmp = share_ratio(x1, n1, x0, n0)
            gaps.append(
                ChannelGap(
                    ch,
                    "theme share",
                    theme,
                    x1 / n1 * 100,
                    x0 / n0 * 100,
                    n1,
                    n0,
                    cmp.effect,
                    "ratio",
                    cmp.low,
                    cmp.high,
                    cmp.p_value,
                )  # fmt: skip
            )
    fdr = ws.settings.insights.false_discovery_rate
    for g, q in zip(gaps, benjamini_hochberg([g.p_value for g in gaps]), strict=True):
        g.q_value = float(q)
        g.significant = bool(q <= fdr)
        g.sentence = _sentence(g)
    order = {m: i for i, m in enumerate((*OUTCOMES, "theme share"))}
    gaps.sort(key=lambda g: (order[g.measure], not g.significant, -_size(g)))
    found = [g for g in gaps if g.significant]
    best = max((s for s in scores if s.nps is not None), key=lambda s: s.nps)
    worst = min((s for s in scores if s.nps is not None), key=lambda s: s.nps)
    summary = (
        f"NPS ranges from {worst.nps:.0f} on {worst.channel} to {best.nps:.0f} on "
        f"{best.channel}; {len(found)} of {len(gaps)} channel gaps are significant "
        f"(false discovery rate {fdr:.0%})."
    )
    return ChannelReport(scores, found, len(gaps), fdr, since, until, gaps, summary)


def _size(g: ChannelGap) -> float:
    """How big a gap is, for ordering: points, or the log of a ratio."""
    return abs(math.log(max(g.effect, 1e-9))) if g.effect_kind == "ratio" else abs(g.effect)


_COUNTS = ("n", "promoters", "detractors", "csat_n", "csat_top")


def _survey_counts(ws, since, until) -> dict[str, dict[str, int]]:
    t, _, _ = grouped(ws, "responses", "responded_at", "channel", None, since, until, None)
    t = t.filter(t.channel.notnull())
    g = t.group_by("channel").aggregate(
        n=t.nps.count(),
        promoters=(t.nps >= f.PROMOTER_MIN).ifelse(1, 0).sum(),
        detractors=(t.nps <= f.DETRACTOR_MAX).ifelse(1, 0).sum(),
        csat_n=t.csat.count(),
        csat_top=(t.csat >= f.CSAT_TOP_MIN).ifelse(1, 0).sum(),
    )
    rows = ws.analytics.con.to_pyarrow(g).to_pylist()
    return {r["channel"]: {k: int(r[k] or 0) for k in _COUNTS} for r in rows}


def theme_counts(ws, since, until) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """Tagged comments per channel, and per theme the comments mentioning it per channel."""
    if ws.analytics.count("comment_tags") == 0:
        return {}, {}
    from ..text.workspace_tags import tagged_comments

    t, _, _ = grouped(
        ws, "responses", "responded_at", None, None, since, until, None, table=tagged_comments(ws)
    )
    t = t.filter(t.channel.notnull())
    con = ws.analytics.con
    totals = con.to_pyarrow(t.group_by("channel").aggregate(n=t.count())).to_pylist()
    found = ws.analytics.table("comment_themes").select("response_id", "theme").distinct()
    m = t.select("response_id", "channel").inner_join(found, "response_id")
    per = con.to_pyarrow(m.group_by(["theme", "channel"]).aggregate(n=m.count())).to_pylist()
    mentions: dict[str, dict[str, int]] = {}
    for r in per:
        mentions.setdefault(r["theme"], {})[r["channel"]] = r["n"]
    return {r["channel"]: r["n"] for r in totals}, mentions


def _score(ch: str, c: dict[str, int], comments: int) -> ChannelScore:
    n, cn = c["n"], c["csat_n"]
    return ChannelScore(
        ch, n,
        f.nps(c["promoters"], c["detractors"], n) if n else None,
        f.nps_margin(c["promoters"], c["detractors"], n) if n else None,
        f.share(c["csat_top"], cn) if cn else None,
        f.share_margin(c["csat_top"], cn) if cn else None,
        cn,
        f.share(c["detractors"], n) if n else None,
        f.share_margin(c["detractors"], n) if n else None,
        comments,
    )  # fmt: skip


def _gap(ch, measure, theme, c, rest, cmp, n_key, kind) -> ChannelGap:
    if measure == "NPS":
        value = f.nps(c["promoters"], c["detractors"], c["n"])
        other = f.nps(rest["promoters"], rest["detractors"], rest["n"])
    else:
        hits = "detractors" if measure == "detractor share" else "csat_top"
        value, other = f.share(c[hits], c[n_key]), f.share(rest[hits], rest[n_key])
    return ChannelGap(ch, measure, theme, value, other, c[n_key], rest[n_key], cmp.effect,
                      kind, cmp.low, cmp.high, cmp.p_value)  # fmt: skip


def _sentence(g: ChannelGap) -> str:
    name = g.channel[:1].upper() + g.channel[1:]
    if g.effect_kind == "ratio":
        return (
            f"{name}: '{g.theme}' in {g.value:.1f}% of comments vs {g.rest_value:.1f}% on other "
            f"channels; {ratio_words(g.effect)} (95% CI {ratio_words(g.low)} to "
            f"{ratio_words(g.high)}; n {g.n:,})."
        )
    way = "higher" if g.effect > 0 else "lower"
    unit = "points" if g.measure == "NPS" else "percentage points"
    fmt = "{:.0f}" if g.measure == "NPS" else "{:.0f}%"
    low, high = sorted((abs(g.low), abs(g.high))) if g.low * g.high > 0 else (g.low, g.high)
    return (
        f"{name}: {g.measure} {fmt.format(g.value)} vs {fmt.format(g.rest_value)} on other "
        f"channels; {abs(g.effect):.0f} {unit} {way} (95% CI {low:.0f} to {high:.0f}; "
        f"n {g.n:,})."
    )


__all__ = ["ChannelGap", "ChannelReport", "ChannelScore", "channel_gaps"]
