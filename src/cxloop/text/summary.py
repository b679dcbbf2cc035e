"""How often each theme comes up, and how customers feel about it, with intervals.

``share`` is the percentage of tagged comments that mention the theme, with its 95%
Agresti-Coull margin (:func:`cxloop.metrics.formulas.share_margin`); parents count a
comment once however many of their children it mentions. ``net_sentiment`` is
(% positive − % negative) among the mentions, from −100 to 100.
"""

from __future__ import annotations

from datetime import date, datetime

import ibis

from ..errors import UnknownDimension
from ..metrics.formulas import share, share_margin
from ..workspace import Workspace
from .workspace_tags import require_tags, tagged_comments

GROUPS = ("team_id", "agent_id", "channel", "instrument")


def theme_summary(
    ws: Workspace,
    *,
    by: str | None = None,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    parents: bool = True,
) -> list[dict]:
    """One row per theme (and per group of ``by``), most mentioned first."""
    if by is not None and by not in GROUPS:
        raise UnknownDimension(f"cannot group themes by {by!r}; use one of {', '.join(GROUPS)}")
    require_tags(ws)
    comments = _period(tagged_comments(ws), since, until)
    keys = [by] if by else []
    totals = comments.group_by(keys).aggregate(comments=comments.count()) if keys else (
        comments.aggregate(comments=comments.count())
    )  # fmt: skip
    found = ws.analytics.table("comment_themes")
    mentions = comments.select("response_id", *keys).inner_join(found, "response_id")
    levels = [_count(mentions, keys + ["theme"], "theme")]
    if parents:
        with_parent = mentions.filter(mentions.parent.notnull())
        levels.append(_count(with_parent, keys + ["parent"], "parent", distinct=True))
    counted = ibis.union(*levels)
    joined = counted.inner_join(totals, keys) if keys else counted.cross_join(totals)
    table = ws.analytics.con.to_pyarrow(joined).to_pylist()
    rows = []
    for r in table:
        n, hits = r["comments"], r["mentions"]
        rows.append(
            {
                **({by: r[by]} if by else {}),
                "theme": r["theme"],
                "level": r["level"],
                "mentions": hits,
                "comments": n,
                "share": round(share(hits, n), 2),
                "margin": round(share_margin(hits, n), 2),
                "negative": round(share(r["negative"], hits), 1),
                "positive": round(share(r["positive"], hits), 1),
                "net_sentiment": round(share(r["positive"] - r["negative"], hits), 1),
            }
        )
    rows.sort(key=lambda r: (str(r.get(by, "")), -r["mentions"], r["theme"]))
    return rows


def _count(t: ibis.Table, keys: list[str], name: str, distinct: bool = False) -> ibis.Table:
    """Mentions per theme (or parent), with how many were negative and positive."""
    if distinct:  # a comment counts once for a parent; it is negative if any child is
        per_comment = t.group_by([*keys, "response_id"]).aggregate(
            neg=(t.sentiment == "negative").any(), pos=(t.sentiment == "positive").any()
        )
        t = per_comment
        neg, pos = t.neg, t.pos
    else:
        neg, pos = t.sentiment == "negative", t.sentiment == "positive"
    out = t.group_by(keys).aggregate(
        mentions=t.count(),
        negative=neg.ifelse(1, 0).sum(),
        positive=pos.ifelse(1, 0).sum(),
    )
    return out.rename(theme=name).mutate(level=ibis.literal("parent" if distinct else "theme"))


def _period(t: ibis.Table, since, until) -> ibis.Table:
    if since is not None:
        t = t.filter(t.responded_at >= since)
    if until is not None:
        t = t.filter(t.responded_at < until)
    return t
