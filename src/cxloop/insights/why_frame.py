"""The candidate conditions of a root-cause tree, one row per response.

The store joins each response to its contact (queue, reason, wait, transfers,
resolution, handle time, whether it was a repeat contact), its customer (product,
segment, region, when they joined) and its comment's themes, and derives the period
of the answer, all in one Ibis query that runs on any backend. The tree then needs
counts over arbitrary intersections of conditions, so the rows come back once, as
codes, and every count after that is a numpy ``bincount``.

A :class:`Family` is one kind of condition (channel, wait, cohort...) with its values;
``counts(mask)`` gives, for every value, how many of the masked responses have it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..metrics.dimensions import apply_filters

#: Waits compared against these thresholds (seconds), on queued channels only.
WAIT_THRESHOLDS = (60, 120, 180, 240, 300, 600)
#: A handle time above this quantile of its channel counts as long.
LONG_HANDLE_QUANTILE = 0.9


@dataclass
class Family:
    """One kind of condition and its values.

    ``key`` names the kind (a descendant never repeats an ancestor's key); ``group``
    keeps siblings diverse (at most one condition per group among a node's children).
    """

    key: str
    group: str
    labels: list[str]  # short, e.g. "product = credit card"
    phrases: list[str]  # for sentences, e.g. "the customer's product is credit card"
    counts: Callable[[np.ndarray], np.ndarray]
    mask: Callable[[int], np.ndarray]
    #: value -> its complement's value, where a value and its complement are both listed
    #: (one 2×2 table, so only the over-represented side is tested)
    complement: dict[int, int] | None = None


def _categorical(key, group, codes, names, label, phrase) -> Family:  # noqa: ANN001
    k = len(names)
    valid = codes >= 0

    def counts(m: np.ndarray) -> np.ndarray:
        return np.bincount(codes[m & valid], minlength=k)

    return Family(key, group, [label.format(v) for v in names],
                  [phrase.format(v) for v in names], counts, lambda j: codes == j)  # fmt: skip


def _flags(key, group, masks, labels, phrases) -> Family:  # noqa: ANN001
    stack = np.array(masks, dtype=bool).reshape(len(masks), -1)

    def counts(m: np.ndarray) -> np.ndarray:
        return stack[:, m].sum(axis=1) if len(stack) else np.zeros(0, int)

    return Family(key, group, list(labels), list(phrases), counts, lambda j: stack[j])


def _themes(key, group, rows, codes, names, n, phrase) -> Family:  # noqa: ANN001
    k = len(names)

    def counts(m: np.ndarray) -> np.ndarray:
        return np.bincount(codes[m[rows]], minlength=k)

    def mask(j: int) -> np.ndarray:
        out = np.zeros(n, dtype=bool)
        out[rows[codes == j]] = True
        return out

    return Family(key, group, [f'theme "{v}"' for v in names],
                  [phrase.format(v) for v in names], counts, mask)  # fmt: skip


@dataclass
class Frame:
    """The population of a root-cause question: its rows, their themes and conditions."""

    n: int
    theme_rows: np.ndarray  # (pairs,) row of each (response, theme) pair
    theme_codes: np.ndarray
    theme_names: list[str]
    parent_of: dict[str, str]
    nps: np.ndarray  # float, NaN where missing
    columns: dict[str, np.ndarray]
    strings: dict[str, tuple[np.ndarray, list[str]]]

    def theme_mask(self, names: Sequence[str]) -> np.ndarray:
        wanted = [i for i, t in enumerate(self.theme_names) if t in set(names)]
        out = np.zeros(self.n, dtype=bool)
        out[self.theme_rows[np.isin(self.theme_codes, wanted)]] = True
        return out


def _codes(col: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, list[str]]:
    col = col.cast(pa.string()) if not pa.types.is_string(col.type) else col
    enc = pc.dictionary_encode(col).combine_chunks() if isinstance(col, pa.ChunkedArray) else (
        pc.dictionary_encode(col)
    )  # fmt: skip
    names = enc.dictionary.to_pylist()
    order = np.argsort(np.array(names, dtype=object)) if names else np.zeros(0, int)
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names))
    idx = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    codes = np.where(idx >= 0, rank[np.maximum(idx, 0)], -1)
    return codes, [names[i] for i in order]


def _numbers(col: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(col.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=float)


def load_frame(
    ws,
    *,
    comments_only: bool,
    since: dt.date | None,
    until: dt.date | None,
    where: Mapping[str, Sequence[str]] | None = None,
) -> Frame:
    """One row per response in the population (tagged comments, or responses with an NPS
    answer), with every candidate condition's raw column, fetched in one query."""
    store = ws.analytics
    cfg = ws.settings.metrics
    r = store.table("responses")
    if comments_only:
        tags = store.table("comment_tags").select("response_id")
        r = r.inner_join(tags, "response_id")
    else:
        r = r.filter(r.nps.notnull())
    r = apply_filters(r, "responded_at", since, until)
    found = store.table("comment_themes")
    themes = found.group_by("response_id").agg(themes=found.theme.collect(distinct=True))
    i = store.table("interactions")
    contacts = i.semi_join(r, i.interaction_id == r.interaction_id)
    handle = contacts.talk_seconds + contacts.hold_seconds.fill_null(0) + (
        contacts.wrap_seconds.fill_null(0))  # fmt: skip
    contacts = contacts.select(
        k_id=contacts.interaction_id, k_cust=contacts.customer_id, k_at=contacts.started_at,
        queue=contacts.queue, reason=contacts.reason, wait=contacts.wait_seconds,
        transfers=contacts.transfers,
        unresolved=(~contacts.resolved).fill_null(False).ifelse(1, 0), handle=handle,
        k_channel=contacts.channel,
    )  # fmt: skip
    # a repeat contact: the same customer contacted us in the N days before (a range join,
    # cheaper than a window over every contact)
    other = i.select(o_cust=i.customer_id, o_at=i.started_at)
    earlier = contacts.select("k_id", "k_cust", "k_at").inner_join(other, [
        contacts.k_cust == other.o_cust, other.o_at < contacts.k_at,
        other.o_at >= contacts.k_at - ibis.interval(days=cfg.fcr_repeat_days)])  # fmt: skip
    repeats = earlier.select(r_id=earlier.k_id).distinct()
    contacts = contacts.left_join(repeats, contacts.k_id == repeats.r_id)
    contacts = contacts.mutate(repeat=contacts.r_id.notnull().ifelse(1, 0)).drop(
        "r_id", "k_cust", "k_at")  # fmt: skip
    c = store.table("customers")
    people = c.select(c_id=c.customer_id, product=c.product, segment=c.segment,
                      region=c.region, joined=c.customer_since.year())  # fmt: skip
    base = r.select(
        "response_id", "nps", "channel", "instrument", "team_id", "interaction_id",
        "customer_id", month=r.responded_at.truncate("M").date(),
        week=r.responded_at.truncate("W").date(),
    )  # fmt: skip
    j = base.left_join(themes, "response_id").select(base, "themes")
    j = j.left_join(contacts, j.interaction_id == contacts.k_id).drop("k_id")
    j = j.left_join(people, j.customer_id == people.c_id).drop("c_id")
    for name, values in (where or {}).items():
        j = j.filter(j[name].isin(list(values)))
    j = j.drop("response_id", "interaction_id", "customer_id")
    table = store.con.to_pyarrow(j)
    n = table.num_rows
    lists = table.column("themes").combine_chunks()
    theme_rows = pc.list_parent_indices(lists).to_numpy().astype(np.int64)
    theme_codes, theme_names = _codes(pc.list_flatten(lists))
    strings = {
        name: _codes(table.column(name))
        for name in (
            "channel",
            "instrument",
            "team_id",
            "queue",
            "reason",
            "product",
            "segment",
            "region",
            "month",
            "week",
            "k_channel",
        )  # fmt: skip
    }
    columns = {
        name: _numbers(table.column(name))
        for name in ("wait", "transfers", "unresolved", "repeat", "handle", "joined")
    }
    parents = found.select("theme", "parent").distinct()
    parent_of = {
        row["theme"]: row["parent"]
        for row in store.con.to_pyarrow(parents).to_pylist()
        if row["parent"] is not None
    }
    return Frame(n, theme_rows, theme_codes, theme_names, parent_of,
                 _numbers(table.column("nps")), columns, strings)  # fmt: skip


def families(frame: Frame, ws, *, exclude_themes: Sequence[str] = ()) -> list[Family]:
    """Every kind of candidate condition over the frame's rows."""
    cfg = ws.settings.metrics
    n = frame.n
    out: list[Family] = []
    keep = ~np.isin(frame.theme_codes, [frame.theme_names.index(t) for t in exclude_themes
                                        if t in frame.theme_names])  # fmt: skip
    out.append(_themes("theme", "theme", frame.theme_rows[keep], frame.theme_codes[keep],
                       frame.theme_names, n, 'the comment also mentions "{}"'))  # fmt: skip
    col, s = frame.columns, frame.strings
    k_codes, k_names = s["k_channel"]
    queued = np.isin(k_codes, [k_names.index(q) for q in cfg.queued_channels if q in k_names])
    wait = np.where(queued, col["wait"], np.nan)
    out.append(_flags("wait", "wait", [wait > t for t in WAIT_THRESHOLDS],
                      [f"waited > {_duration(t)}" for t in WAIT_THRESHOLDS],
                      [f"the customer waited over {_duration(t)} to be answered"
                       for t in WAIT_THRESHOLDS]))  # fmt: skip
    out.append(_flags("transfers", "transfers", [col["transfers"] >= 1, col["transfers"] >= 2],
                      ["transferred", "2+ transfers"],
                      ["the contact was transferred", "the contact was transferred twice or more"]))  # fmt: skip
    days = cfg.fcr_repeat_days
    out.append(_flags("resolution", "resolution", [col["unresolved"] == 1], ["not resolved"],
                      ["the contact was not resolved"]))  # fmt: skip
    out.append(_flags("repeat", "repeat", [col["repeat"] == 1], [f"repeat contact ({days} days)"],
                      [f"it was a repeat contact (another within {days} days before)"]))  # fmt: skip
    out.append(_flags("handle", "handle", [_long_handle(col["handle"], k_codes)],
                      ["long handle time"],
                      ["the handle time was in the longest 10% for its channel"]))  # fmt: skip
    for key, group, label, phrase in (
        ("channel", "channel", "channel = {}", "the channel is {}"),
        ("queue", "contact", "queue = {}", "the queue is {}"),
        ("reason", "contact", "reason = {}", "the contact reason is {}"),
        ("product", "product", "product = {}", "the customer's main product is {}"),
        ("segment", "segment", "segment = {}", "the customer segment is {}"),
        ("region", "region", "region = {}", "the customer is in {}"),
        ("team_id", "team", "team = {}", "the team is {}"),
        ("instrument", "survey", "survey = {}", "the survey is {}"),
    ):
        codes, names = s[key]
        out.append(_categorical(key, group, codes, names, label, phrase))
    out.append(_cohorts(col["joined"]))
    for key, fmt_label, fmt_phrase in (
        ("month", "{:%b %Y}", "the answer came in {:%B %Y}"),
        ("week", "week of {:%d %b %Y}", "the answer came in the week of {:%d %b %Y}"),
    ):
        codes, names = s[key]
        dates = [dt.date.fromisoformat(v) for v in names]
        out.append(Family(key, "time", [fmt_label.format(d) for d in dates],
                          [fmt_phrase.format(d) for d in dates],
                          _categorical(key, "time", codes, names, "{}", "{}").counts,
                          lambda j, codes=codes: codes == j))  # fmt: skip
    return out


def _cohorts(joined: np.ndarray) -> Family:
    """Customers who joined before a year, or in it or later, at every year between the
    5th and 95th percentiles of the population's joining years (where someone joined the
    year before, so no two cuts are the same)."""
    known = joined[np.isfinite(joined)]
    if known.size == 0:
        return _flags("cohort", "cohort", [], [], [])
    first, last = (int(v) for v in np.quantile(known, [0.05, 0.95]))
    years = np.unique(known.astype(int))
    masks, labels, phrases = [], [], []
    for year in [int(y) + 1 for y in years if first < y + 1 <= last]:  # each cut splits anew
        masks += [joined < year, joined >= year]
        labels += [f"joined before {year}", f"joined {year} or later"]
        phrases += [f"the customer joined before {year}", f"the customer joined in {year} or later"]
    fam = _flags("cohort", "cohort", masks, labels, phrases)
    fam.complement = {j: j ^ 1 for j in range(len(masks))}
    return fam


def _long_handle(handle: np.ndarray, channel: np.ndarray) -> np.ndarray:
    out = np.zeros(len(handle), dtype=bool)
    for ch in np.unique(channel[channel >= 0]):
        on = (channel == ch) & np.isfinite(handle) & (handle > 0)
        if on.sum() >= 10:
            out |= on & (handle > np.quantile(handle[on], LONG_HANDLE_QUANTILE))
    return out


def _duration(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"
