"""Why customers feel what they feel: key drivers of an outcome in a workspace, and the
importance-vs-performance view that puts first what matters most and performs worst.

Drivers come in three kinds, each one column per response:

* ``ratings``: the survey's rating items (``response_ratings``, 0-10);
* ``themes``: 1 when the response's comment complains of a theme (mentions it
  negatively) or praises it (positively); the most mentioned complaints and praise,
  only responses with a tagged comment;
* ``operations``: what happened on the contact the survey was about: transfers,
  handle time (talk + hold + wrap), resolved, repeat contact within
  ``metrics.fcr_repeat_days`` (PRODUCT.md, FCR), and queue wait when the analysis is
  restricted to queued channels.

Shares come from :func:`cxloop.insights.drivers.key_drivers` (Shapley or relative
weights, bootstrap intervals). Performance is how often (or how well) customers get
the good side of a driver, on 0-100: a rating's mean as a share of its scale, a yes/no
driver's share in its good state (the state that goes with the better outcome; for a
complaint, not making it). Praise is a strength, not a performance (rare praise is not
poor service). Counts and durations have no natural scale and get no performance here
(see ``cxloop kpi-alignment``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import AnalysisError, MissingData
from ..metrics import dimensions as dims
from ..metrics.contact_centre import with_repeat_flag
from ..metrics.formulas import DETRACTOR_MAX, PROMOTER_MIN
from ..model import RESPONSES
from .drivers import METHODS, key_drivers

KINDS = ("ratings", "themes", "operations")
OUTCOMES = ("nps", "promoter", "detractor", "csat", "ces")
#: Shapley needs 2^p subset regressions; beyond this many drivers themes are cut.
MAX_DRIVERS = 14
MIN_THEME_SHARE = 0.01  # a theme must be in 1% of comments to be a driver
#: A theme mentioned negatively is a complaint, positively praise (neutral: neither).
KIND_OF_MENTION = {"negative": "complaint", "positive": "praise"}
RATING_SCALE = RESPONSES.item_range or (0, 10)


@dataclass
class WorkspaceDriver:
    """One driver: its share of the explained outcome, direction and performance."""

    driver: str
    kind: str
    share: float
    low: float
    high: float
    direction: str
    performance: float | None
    priority: str
    sentence: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class DriverReport:
    """Key drivers of one outcome, most urgent first (importance vs performance)."""

    outcome: str
    method: str
    r2: float
    n: int
    drivers: list[WorkspaceDriver]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"outcome": self.outcome, "method": self.method, "r2": self.r2, "n": self.n,
                "drivers": [d.to_dict() for d in self.drivers], "notes": self.notes}  # fmt: skip


def workspace_drivers(
    ws,
    outcome: str = "nps",
    kinds: Sequence[str] = KINDS,
    *,
    method: str = "shapley",
    since: dt.date | None = None,
    until: dt.date | None = None,
    where: Mapping[str, Sequence[str]] | None = None,
    resamples: int = 200,
    seed: int = 0,
) -> DriverReport:
    """Key drivers of ``outcome`` (nps, promoter, detractor, csat or ces) among ``kinds``.

    Only responses that have the outcome and every driver are used; the notes count
    what was left out and why.
    """
    if outcome not in OUTCOMES:
        raise AnalysisError(f"unknown outcome {outcome!r}; use one of {', '.join(OUTCOMES)}")
    if method not in METHODS:
        raise AnalysisError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise AnalysisError(f"unknown driver kind {unknown}; use some of {', '.join(KINDS)}")
    if ws.analytics.count("responses") == 0:
        raise MissingData("no responses loaded; run `cxloop ingest responses FILE`")
    ids, y = _outcome(ws, outcome, since, until, where)
    notes: list[str] = []
    columns: dict[str, tuple[str, np.ndarray]] = {}
    if "ratings" in kinds:
        columns |= _ratings(ws, ids)
    if "operations" in kinds:
        columns |= _operations(ws, ids, where)
    if "themes" in kinds:
        columns |= _themes(ws, ids, MAX_DRIVERS - len(columns), notes)
    if len(columns) < 2:
        raise MissingData(f"fewer than two drivers found among {', '.join(kinds)} for {outcome}")
    names = list(columns)
    x = np.column_stack([columns[n][1] for n in names])
    keep = np.isfinite(y) & np.all(np.isfinite(x), axis=1)
    if (~keep).any():
        notes.append(f"{int((~keep).sum()):,} of {len(y):,} responses lack the outcome or a "
                     "driver and were left out")  # fmt: skip
    results, r2 = key_drivers(y[keep], {n: x[keep, j] for j, n in enumerate(names)},
                              method=method, resamples=resamples, seed=seed)  # fmt: skip
    drivers = _prioritise(results, {n: (columns[n][0], x[keep, j]) for j, n in enumerate(names)},
                          outcome)  # fmt: skip
    return DriverReport(outcome, method, r2, int(keep.sum()), drivers, notes)


def _outcome(ws, outcome, since, until, where) -> tuple[np.ndarray, np.ndarray]:
    store = ws.analytics
    t = store.table("responses")
    t = dims.with_dimensions(store, "responses", t, dims.resolve("responses", where or {}))
    t = dims.apply_filters(t, "responded_at", since, until, where)
    column = {"promoter": "nps", "detractor": "nps"}.get(outcome, outcome)
    # a fixed row order keeps the bootstrap's blocks, and so the intervals, reproducible
    data = store.con.to_pyarrow(
        t.select("response_id", value=t[column].cast("float64")).order_by("response_id")
    )
    ids = data.column("response_id").combine_chunks()
    y = data.column("value").to_numpy(zero_copy_only=False).astype(float)
    if outcome == "promoter":
        y = np.where(np.isnan(y), np.nan, (y >= PROMOTER_MIN).astype(float))
    elif outcome == "detractor":
        y = np.where(np.isnan(y), np.nan, (y <= DETRACTOR_MAX).astype(float))
    if not np.isfinite(y).any():
        raise MissingData(f"no response in the selection has a {column} score")
    return ids, y


def _index(ids: pa.Array, keys) -> np.ndarray:
    """Positions of ``keys`` in ``ids`` (-1 where absent)."""
    found = pc.index_in(pa.array(keys, pa.string()), value_set=ids)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _selected(ws, table: str, ids: np.ndarray) -> ibis.Table:
    t = ws.analytics.table(table)
    return t.filter(t.response_id.isin(ibis.memtable(pa.table({"response_id": ids})).response_id))


def _ratings(ws, ids: np.ndarray) -> dict[str, tuple[str, np.ndarray]]:
    data = ws.analytics.con.to_pyarrow(_selected(ws, "response_ratings", ids)).to_pydict()
    pos = _index(ids, data["response_id"])
    out = {}
    items = np.asarray(data["item"], dtype=object)
    for item in sorted(set(data["item"])):
        col = np.full(len(ids), np.nan)
        sel = (items == item) & (pos >= 0)
        col[pos[sel]] = np.asarray(data["value"], float)[sel]
        out[f"{item} rating"] = ("ratings", col)
    return out


def _operations(ws, ids, where) -> dict[str, tuple[str, np.ndarray]]:
    store = ws.analytics
    if store.count("interactions") == 0:
        return {}
    contacts = with_repeat_flag(store.table("interactions"), ws.settings.metrics.fcr_repeat_days)
    r = store.table("responses").select("response_id", "interaction_id")
    r = r.filter(r.response_id.isin(ibis.memtable(pa.table({"response_id": ids})).response_id))
    j = r.inner_join(contacts, "interaction_id")
    handle = j.talk_seconds.fill_null(0) + j.hold_seconds.fill_null(0) + j.wrap_seconds.fill_null(0)
    data = store.con.to_pyarrow(j.select(
        "response_id", transfers=j.transfers.cast("float64"),
        handle=ibis.ifelse(j.talk_seconds.notnull(), handle / 60, ibis.null()).cast("float64"),
        resolved=j.resolved.ifelse(1, 0).cast("float64"),
        repeat=j.repeated.ifelse(1, 0).cast("float64"),
        wait=j.wait_seconds.cast("float64"),
    )).to_pydict()  # fmt: skip
    pos = _index(ids, data["response_id"])
    queued = set(ws.settings.metrics.queued_channels)
    names = {"transfers": "transfers", "handle": "handle time (min)",
             "resolved": "resolved", "repeat": "repeat contact"}  # fmt: skip
    if where and where.get("channel") and set(where["channel"]) <= queued:
        names["wait"] = "queue wait (s)"
    out = {}
    for key, name in names.items():
        col = np.full(len(ids), np.nan)
        values = np.array([np.nan if v is None else v for v in data[key]], float)
        col[pos[pos >= 0]] = values[pos >= 0]
        if np.isfinite(col).sum() and np.nanstd(col) > 0:
            out[name] = ("operations", col)
    return out


def _themes(ws, ids, room: int, notes: list[str]) -> dict[str, tuple[str, np.ndarray]]:
    if ws.analytics.count("comment_tags") == 0 or room < 1:
        return {}
    tagged = ws.analytics.con.to_pyarrow(
        _selected(ws, "comment_tags", ids).select("response_id")
    ).column("response_id").to_pylist()  # fmt: skip
    found = ws.analytics.con.to_pyarrow(
        _selected(ws, "comment_themes", ids).select("response_id", "theme", "sentiment")
    ).to_pydict()  # fmt: skip
    base = np.full(len(ids), np.nan)
    base[_index(ids, tagged)] = 0.0
    labels = [f"{t} ({KIND_OF_MENTION[s]})" if s in KIND_OF_MENTION else None
              for t, s in zip(found["theme"], found["sentiment"], strict=True)]  # fmt: skip
    counts: dict[str, int] = {}
    for label in labels:
        if label:
            counts[label] = counts.get(label, 0) + 1
    floor = MIN_THEME_SHARE * max(len(tagged), 1)
    chosen = [t for t, c in sorted(counts.items(), key=lambda kv: -kv[1]) if c >= floor][:room]
    if len(chosen) < sum(c >= floor for c in counts.values()):
        notes.append(f"themes: the {len(chosen)} most mentioned complaints and praise are "
                     f"drivers (Shapley takes up to {MAX_DRIVERS} drivers in all)")  # fmt: skip
    pos = _index(ids, found["response_id"])
    labels = np.asarray(labels, dtype=object)
    out = {}
    for name in chosen:
        col = base.copy()
        col[pos[(labels == name) & (pos >= 0)]] = 1.0
        out[name] = ("praise" if name.endswith("(praise)") else "complaints", col)
    return out


def _performance(kind: str, values: np.ndarray, helps: bool) -> float | None:
    """0-100: how well customers fare on this driver (None for counts and durations)."""
    if kind == "ratings":
        lo, hi = RATING_SCALE
        good = (values.mean() - lo) / (hi - lo)
    elif kind == "praise":  # rare praise is not poor performance
        return None
    elif set(np.unique(values)) <= {0.0, 1.0}:
        good = values.mean()
    else:
        return None
    return round(100 * (good if helps else 1 - good), 1)


def _prioritise(results, columns, outcome: str) -> list[WorkspaceDriver]:
    """Importance vs performance: urgent (matters most, performs worst) first."""
    rows = []
    for r in results:
        kind, values = columns[r.driver]
        helps = (r.direction == "positive") != (outcome == "detractor")
        perf = _performance(kind, values, helps)
        rows.append((r, kind, perf))
    # importance vs performance compares like with like: ratings with ratings...
    medians = {k: float(np.median([p for _, kk, p in rows if kk == k and p is not None]))
               for k in {kk for _, kk, p in rows if p is not None}}  # fmt: skip
    fair = 1 / len(rows)
    out = []
    for r, kind, perf in rows:
        if kind == "praise":
            priority = "a strength" if r.direction == "positive" else "check the tagging"
        elif perf is None:
            priority = "see kpi-alignment"
        elif r.share >= fair:
            priority = "fix first" if perf < medians[kind] else "keep it up"
        else:
            priority = "watch" if perf < medians[kind] else "fine as it is"
        out.append(WorkspaceDriver(r.driver, kind, r.share, r.low, r.high, r.direction, perf,
                                   priority, _sentence(r, kind, perf, priority, outcome)))  # fmt: skip
    order = {"fix first": 0, "keep it up": 1, "a strength": 2, "see kpi-alignment": 3,
             "watch": 4, "fine as it is": 5, "check the tagging": 6}  # fmt: skip
    urgency = {id(d): (100 - d.performance) * d.share if d.performance is not None else 0
               for d in out}  # fmt: skip
    return sorted(out, key=lambda d: (order[d.priority], -urgency[id(d)], -d.share))


def _sentence(r, kind: str, perf: float | None, priority: str, outcome: str) -> str:
    label = {"nps": "NPS", "csat": "CSAT", "ces": "ease (CES)"}.get(outcome)
    share = f"{r.driver} accounts for {100 * r.share:.1f}% ({100 * r.low:.1f}-{100 * r.high:.1f}%)"
    moves = "higher" if r.direction == "positive" else "lower"
    if label is None:
        label, effect = f"being a {outcome}", f"a {moves} chance of being a {outcome}"
    else:
        effect = f"{moves} {label}"
    text = f"{share} of the explained variation in {label}; more of it goes with {effect}"
    if perf is not None:
        fare = f"customers rate it {perf:.0f}/100" if kind == "ratings" else (
            f"{perf:.0f}% of customers are on its good side")  # fmt: skip
        text += f"; {fare}: {priority}."
    return text + ("" if text.endswith(".") else ".")
