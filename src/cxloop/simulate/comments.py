"""Comments for every response that has one, with the truth of what each says.

Chooses themes (``comment_themes``), then writes each comment (``comment_text``) in
one pass over the commented responses, and keeps for each: its themes and
sentiments, whether it names the agent in praise, and any personal data it holds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from . import config as C
from .comment_text import CommentWriter, Context
from .comment_themes import choose_themes
from .customers import Customers
from .experience import Responses
from .interactions import Contacts
from .names import FIRST_NAMES, SURNAMES
from .org import Org
from .themes import SENTIMENTS, THEME_NAMES

_PRAISE = {
    THEME_NAMES.index(t) for t in ("friendly agent", "knowledgeable agent", "went the extra mile")
}


@dataclass
class Comments:
    """Comment text per response (None where there is none) and the planted truth."""

    text: list[str | None]
    rows: np.ndarray  # response index of each commented response
    themes: list[list[str]]
    sentiments: list[list[str]]
    names_agent: np.ndarray
    pii: list[str | None]
    triple_rows: np.ndarray  # (response, theme index, sentiment code) of every planted theme
    triple_themes: np.ndarray
    triple_sentiments: np.ndarray


def write_comments(
    rng: np.random.Generator, seed: int, r: Responses, k: Contacts, org: Org, cust: Customers
) -> Comments:
    """Write every comment."""
    has, trows, tthemes, tsents = choose_themes(rng, r, k, cust)
    rows = np.flatnonzero(has)
    lo = np.searchsorted(trows, rows, side="left").tolist()
    hi = np.searchsorted(trows, rows, side="right").tolist()
    themes_all, sents_all = tthemes.tolist(), tsents.tolist()
    pii_flag = (rng.random(len(rows)) < C.PII_SHARE).tolist()
    emp = r.emp[rows]
    agent = [org.first[e] if e >= 0 else "" for e in emp.tolist()]
    channel = r.channel[rows].tolist()
    wait = r.extras["wait"][rows].tolist()
    who = r.cust[rows]
    product = cust.product[who].tolist()
    reason = np.where(r.contact[rows] >= 0, k.reason[np.maximum(r.contact[rows], 0)], -1).tolist()
    since_year = (C.START.year + np.floor((cust.since[who] + 305) / 365.25)).astype(int).tolist()
    nps = r.nps_full[rows].tolist()
    named = r.names_agent[rows].tolist()
    first = rng.integers(0, len(FIRST_NAMES), len(rows)).tolist()
    last = rng.integers(0, len(SURNAMES), len(rows)).tolist()

    writer = CommentWriter(random.Random(seed * 7919 + 17))
    text: list[str | None] = [None] * len(r)
    themes_out: list[list[str]] = []
    sents_out: list[list[str]] = []
    names_out = np.zeros(len(rows), dtype=bool)
    pii_out: list[str | None] = []
    for i, row in enumerate(rows.tolist()):
        th, se = themes_all[lo[i] : hi[i]], sents_all[lo[i] : hi[i]]
        ctx = Context(
            agent=agent[i], channel=channel[i], wait=wait[i], product=product[i], reason=reason[i],
            since_year=since_year[i], nps=nps[i], first=FIRST_NAMES[first[i]],
            last=SURNAMES[last[i]], pii=pii_flag[i] and bool(th),
        )  # fmt: skip
        use_name = named[i] and any(t in _PRAISE and s == 1 for t, s in zip(th, se, strict=True))
        text[row], kind = writer.write(th, se, use_name, ctx)
        themes_out.append([THEME_NAMES[t] for t in th])
        sents_out.append([SENTIMENTS[s - 1] for s in se])
        names_out[i] = use_name
        pii_out.append(kind)
    return Comments(
        text=text, rows=rows, themes=themes_out, sentiments=sents_out, names_agent=names_out,
        pii=pii_out, triple_rows=trows, triple_themes=tthemes, triple_sentiments=tsents,
    )  # fmt: skip
