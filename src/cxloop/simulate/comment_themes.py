"""Which themes each comment carries, and with what sentiment.

Themes follow what happened on the contact (a long wait, transfers, no resolution,
the agent's behaviour or praise, the incident) and what it was about (its reason,
the customer's product), read through the score: a promoter praises, a detractor
complains, a passive does either. At most three themes per comment, the planted
ones first; a comment with nothing specific gives an overall verdict.
"""

from __future__ import annotations

import numpy as np

from . import config as C
from .customers import Customers
from .experience import Responses
from .interactions import Contacts
from .reasons import REASON_THEME
from .themes import THEME_INDEX, THEMES

POS, NEG, NEU = 1, 2, 3
PRIORITY = (
    *C.WEAK_THEMES, "billing error", "long wait", "friendly agent", "knowledgeable agent",
    "went the extra mile", "passed around", "issue not resolved", "repeat contact",
)  # fmt: skip
ORDER = list(PRIORITY) + [
    t.name for t in THEMES if t.name not in PRIORITY and t.name != "overall service"
]
ORDER.append("overall service")
COLUMN = {name: i for i, name in enumerate(ORDER)}
#: Theme index (as in THEMES) of each matrix column.
COLUMN_THEME = np.array([THEME_INDEX[name] for name in ORDER])
_POLARITY = np.array([THEMES[THEME_INDEX[name]].polarity for name in ORDER])
_REASON_COLUMN = np.array([COLUMN[t] if t else -1 for t in REASON_THEME])
_PRODUCT_THEMES = (
    (
        "fees and charges",
        "credit limit",
        "app and online banking",
        "unclear communication",
        "interest rates",
    ),
    ("interest rates", "fees and charges", "app and online banking", "loan application"),
    ("interest rates", "app and online banking", "branch experience", "unclear communication"),
    ("fees and charges", "app and online banking", "branch experience", "payment problems"),
)
MAX_THEMES = 3


def comment_chance(nps: np.ndarray) -> np.ndarray:
    """Chance that a response carries a comment: detractors write most."""
    return np.where(nps <= 6, 0.74, np.where(nps <= 8, 0.54, 0.65))


def _by_score(rng: np.random.Generator, column: np.ndarray, nps: np.ndarray) -> np.ndarray:
    """Sentiment of a theme from the score, kept within the theme's polarity (0 = drop)."""
    n = len(nps)
    mixed = np.where(rng.random(n) < 0.55, POS, NEG)
    want = np.where(nps >= 9, POS, np.where(nps <= 6, NEG, mixed))
    polarity = _POLARITY[np.maximum(column, 0)]
    ok = (
        (polarity == "both")
        | ((polarity == "positive") & (want == POS))
        | ((polarity == "negative") & (want == NEG))
    )
    return np.where(ok & (column >= 0), want, 0).astype(np.int8)


def choose_themes(
    rng: np.random.Generator, r: Responses, k: Contacts, cust: Customers
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Which responses have a comment, and the (row, theme, sentiment) triples planted.

    Returns ``has_comment`` (per response), and for commented rows in response order:
    ``rows`` (response index), ``themes`` (index into THEMES), ``sentiments`` (1 pos,
    2 neg, 3 neutral). Uninformative comments ("n/a") have no triple.
    """
    n = len(r)
    nps = r.nps_full.astype(int)
    has = rng.random(n) < comment_chance(nps)
    M = np.zeros((n, len(ORDER)), dtype=np.int8)
    u = lambda: rng.random(n)  # noqa: E731
    post = r.contact >= 0
    ch = r.channel
    wait, transfers = r.extras["wait"], r.extras["transfers"]
    unresolved, repeat = r.extras["unresolved"] > 0, r.extras["repeat"]
    det, pro = nps <= 6, nps >= 9

    def mark(name: str, mask: np.ndarray, sentiment: int | np.ndarray) -> None:
        col = COLUMN[name]
        M[:, col] = np.where(mask, sentiment, M[:, col])

    for j, name in enumerate(C.WEAK_THEMES):
        mark(name, r.behaviour[:, j] & (u() < 0.88), NEG)
    mark("billing error", r.incident_felt & (u() < np.where(post, 0.9, 0.35)), NEG)
    long = ((ch == C.PHONE) & (wait > 180)) | ((ch == C.CHAT) & (wait > 240))
    long |= ((ch == C.EMAIL) & (wait > 2 * C.DAY)) | ((ch == C.SOCIAL) & (wait > 6 * 3600))
    long |= (ch == C.BRANCH) & (wait > 900)
    mark("long wait", long & (u() < np.where(wait > C.WAIT_THRESHOLD_SECONDS, 0.8, 0.6)), NEG)
    for j, name in enumerate(("friendly agent", "knowledgeable agent", "went the extra mile")):
        mark(name, r.praise[:, j] & (u() < 0.9), POS)
    mark("passed around", (transfers >= 1) & (u() < 0.45 + 0.3 * (transfers >= 2)), NEG)
    mark("issue not resolved", unresolved & (u() < 0.5), NEG)
    mark("repeat contact", repeat & (u() < 0.35), NEG)
    mark("issue resolved", post & ~unresolved & pro & (u() < 0.22), POS)
    mark("quick answer", post & (ch <= C.CHAT) & (wait < 20) & pro & (u() < 0.1), POS)
    mark("hard to get through", ((ch == C.PHONE) | ~post) & det & (u() < 0.05), NEG)
    mark("security checks", (ch == C.PHONE) & ~pro & (u() < 0.02), NEG)
    mark("scripted or robotic", post & det & (u() < 0.03), NEG)
    mark("account closure", det & (u() < 0.025), NEG)
    mark(
        "chat experience",
        (ch == C.CHAT) & (u() < 0.07),
        _by_score(rng, np.full(n, COLUMN["chat experience"]), nps),
    )
    mark(
        "branch experience",
        (ch == C.BRANCH) & (u() < 0.25),
        _by_score(rng, np.full(n, COLUMN["branch experience"]), nps),
    )

    # the reason of the contact, or the product for relationship surveys
    reason = np.where(post, k.reason[np.maximum(r.contact, 0)], 0)
    col = np.where(post & (u() < 0.3), _REASON_COLUMN[reason], -1)
    prod = cust.product[r.cust]
    pick = rng.integers(0, 5, n)
    table = np.array([[COLUMN[t] for t in (ts + ts[:1])[:5]] for ts in _PRODUCT_THEMES])
    col = np.where(~post & (u() < 0.6), table[prod, pick], col)
    sentiment = _by_score(rng, col, nps)
    rows = np.flatnonzero(sentiment > 0)
    M[rows, col[rows]] = np.where(M[rows, col[rows]] > 0, M[rows, col[rows]], sentiment[rows])

    # keep the first MAX_THEMES by priority; fall back on an overall verdict
    rows, cols = np.nonzero(M[has])
    first = np.searchsorted(rows, rows, side="left")
    keep = (np.arange(len(rows)) - first) < MAX_THEMES
    rows, cols = rows[keep], cols[keep]
    commented = np.flatnonzero(has)
    rows = commented[rows]
    bare = np.ones(n, dtype=bool)
    bare[rows] = False
    bare &= has
    extra = has & ~bare & (u() < 0.15) & (np.bincount(rows, minlength=n) < MAX_THEMES)
    verdict = np.where(nps >= 9, POS, np.where(nps <= 6, NEG, np.where(u() < 0.6, NEU, POS)))
    add = np.flatnonzero((bare & (u() > 0.025)) | extra)
    rows = np.concatenate([rows, add])
    cols = np.concatenate([cols, np.full(len(add), COLUMN["overall service"])])
    sent = np.where(cols == COLUMN["overall service"], 0, M[rows, cols])
    sent = np.where(sent == 0, verdict[rows], sent)
    order = np.lexsort((cols, rows))
    rows, cols, sent = rows[order], cols[order], sent[order]
    return has, rows, COLUMN_THEME[cols], sent.astype(np.int8)
