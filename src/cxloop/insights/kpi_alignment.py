"""Do our KPIs measure what customers value? (PRODUCT.md C3; issue 4.)

For each internal KPI measured per contact (wait time, handle time, hold, transfers,
resolved, first-contact resolution, any numeric interaction field) the survey answers
are joined to their contact, and the customer outcome (NPS by default; CSAT, CES or a
rating item) is shown across the KPI's range:

* a binned curve, each band with its n and the outcome with its 95% margin
  (``cxloop.metrics.formulas``; see ``threshold.bin_curve``);
* a threshold found in the data, not assumed: the best single change-point, its
  p-value against data with no relation, and bootstrap intervals for the cut and for
  the change in the outcome (``threshold.find_threshold``);
* the KPI's driver share: Shapley decomposition of R² over the KPIs together
  (``insights.drivers.key_drivers``; PRODUCT.md, Key driver analysis), each KPI
  clipped at its 99th percentile so that a few extreme contacts do not decide it;
* a verdict in plain words, and for wait time whether the grade-of-service target
  (``metrics.gos_target_seconds`` / ``gos_target_share``) protects the outcome; the
  observed GOS follows the definition of ``metrics.contact_centre_kpis`` (answered
  within the target / offered, queued channels; a test holds the two equal).

Definitions (PRODUCT.md): AHT = talk + hold + wrap; FCR = resolved with no repeat
contact of the same customer within ``metrics.fcr_repeat_days``. Queue-time KPIs use
only queued channels (``metrics.queued_channels``) and are analysed per channel: a
phone caller and a chat user do not tolerate the same wait.

``kpi_table.kpi_alignment_table`` does the same on any table (flight delays vs
satisfaction...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis
import numpy as np
import pyarrow as pa

from ..errors import AnalysisError, MissingData
from ..metrics.dimensions import apply_filters
from ..metrics.formulas import DETRACTOR_MAX, PROMOTER_MIN, share
from .drivers import key_drivers
from .kpi_verdict import band, sentence
from .threshold import Bin, Measure, Threshold, bin_curve, cells, find_threshold


@dataclass(frozen=True)
class Kpi:
    """An internal KPI measured per contact."""

    key: str
    label: str
    unit: str  # seconds, minutes, count, binary or ""
    queue: bool = False
    noun: str | None = None  # "a 10-second wait": the thing the amount describes


KPIS: dict[str, Kpi] = {
    "wait": Kpi("wait", "Wait time", "seconds", queue=True, noun="wait"),
    "gos": Kpi("gos", "GOS target met", "binary", queue=True),
    "aht": Kpi("aht", "Handle time (AHT)", "seconds", noun="contact"),
    "hold": Kpi("hold", "Hold time", "seconds", noun="hold"),
    "talk": Kpi("talk", "Talk time", "seconds", noun="conversation"),
    "wrap": Kpi("wrap", "Wrap time", "seconds", noun="wrap-up"),
    "transfers": Kpi("transfers", "Transfers", "count"),
    "resolved": Kpi("resolved", "Resolved (agent-marked)", "binary"),
    "fcr": Kpi("fcr", "First-contact resolution", "binary"),
}
DEFAULT_KPIS = ("wait", "aht", "hold", "transfers", "resolved", "fcr")
OUTCOMES = ("nps", "csat", "ces")


@dataclass
class KpiResult:
    """How the outcome responds across one KPI's range, with the verdict."""

    kpi: str
    label: str
    unit: str
    channel: str | None
    outcome: str
    n: int
    curve: list[Bin]
    threshold: Threshold | None
    driver_share: float | None = None
    driver_low: float | None = None
    driver_high: float | None = None
    direction: str | None = None
    target: dict[str, Any] | None = None
    sentence: str = ""

    def to_dict(self) -> dict:
        return {
            "kpi": self.kpi, "label": self.label, "unit": self.unit, "channel": self.channel,
            "outcome": self.outcome, "n": self.n,
            "curve": [{"band": band(b, self.unit, i == 0), **b.to_dict()}
                      for i, b in enumerate(self.curve)],
            "threshold": self.threshold.to_dict() if self.threshold else None,
            "driver_share": self.driver_share, "driver_low": self.driver_low,
            "driver_high": self.driver_high, "direction": self.direction,
            "target": self.target, "sentence": self.sentence,
        }  # fmt: skip


@dataclass
class KpiAlignment:
    """Every KPI's result, and the fit of the KPIs together (for the driver shares)."""

    outcome: str
    results: list[KpiResult]
    kind: str = "nps"  # how the outcome is measured: nps, share (0-100) or mean
    drivers_r2: float | None = None
    drivers_n: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"outcome": self.outcome, "kind": self.kind, "results": [r.to_dict() for r in self.results],
                "drivers_r2": self.drivers_r2, "drivers_n": self.drivers_n,
                "notes": self.notes}  # fmt: skip


# ---------------------------------------------------------------------------- workspace


def _outcome(ws, outcome: str) -> tuple[ibis.Table, Measure]:
    """Responses with a ``score`` column for the outcome, and how it is measured."""
    r = ws.analytics.table("responses")
    name = outcome.lower()
    if name == "nps":
        score = ibis.cases((r.nps >= PROMOTER_MIN, 100), (r.nps <= DETRACTOR_MAX, -100), else_=0)
        return r.mutate(score=ibis.ifelse(r.nps.isnull(), ibis.null(), score)), Measure.nps()
    if name == "csat":
        score = ibis.ifelse(r.csat.isnull(), ibis.null(), (r.csat >= 4).ifelse(100, 0))
        return r.mutate(score=score), Measure.share("CSAT")
    if name == "ces":
        return r.mutate(score=r.ces.cast("float64")), Measure.mean(range(1, 8), "CES")
    items = ws.analytics.table("response_ratings")
    known = ws.analytics.con.to_pyarrow(items.select("item").distinct()).column(0).to_pylist()
    if name not in known:
        raise AnalysisError(
            f"unknown outcome {outcome!r}; use nps, csat, ces or a rating item "
            f"({', '.join(sorted(known)) or 'none loaded'})"
        )
    one = items.filter(items.item == name).select(rid="response_id", score="value")
    r = r.inner_join(one, r.response_id == one.rid)
    return r, Measure.mean(range(0, 11), f"The mean {name} rating", f"mean {name} rating")


def kpi_value(key: str, i: ibis.Table, queued: list[str], target: float) -> ibis.Value:
    answered = i.answered.fill_null(False)
    none = ibis.null()
    in_queue = i.channel.isin(queued) & answered & i.wait_seconds.notnull()
    if key == "wait":
        return ibis.ifelse(in_queue, i.wait_seconds, none)
    if key == "gos":  # this contact answered within the grade-of-service target
        return ibis.ifelse(in_queue, (i.wait_seconds <= target).ifelse(1, 0), none)
    if key == "aht":
        handle = (
            i.talk_seconds.fill_null(0) + i.hold_seconds.fill_null(0) + i.wrap_seconds.fill_null(0)
        )  # noqa: E501
        return ibis.ifelse(answered & i.talk_seconds.notnull(), handle, none)
    if key in ("hold", "talk", "wrap"):
        return ibis.ifelse(answered, i[f"{key}_seconds"], none)
    if key == "transfers":
        return ibis.ifelse(answered, i.transfers, none)
    if key == "resolved":
        return ibis.ifelse(i.resolved.isnull(), none, i.resolved.ifelse(1, 0))
    if key == "fcr":
        known = answered & i.customer_id.notnull() & i.resolved.notnull()
        return ibis.ifelse(known, (i.resolved & ~i.repeated).ifelse(1, 0), none)
    column = i[key]
    return column.ifelse(1, 0) if column.type().is_boolean() else column


def _resolve_kpis(ws, kpis: Sequence[str] | str | None) -> list[Kpi]:
    names = kpis.split(",") if isinstance(kpis, str) else list(kpis or DEFAULT_KPIS)
    schema = ws.analytics.table("interactions").schema()
    out = []
    for raw in (n.strip() for n in names if n.strip()):
        key = raw.lower()
        if key in KPIS:
            out.append(KPIS[key])
        elif key in schema and (schema[key].is_numeric() or schema[key].is_boolean()):
            unit = (
                "seconds"
                if key.endswith("_seconds")
                else ("binary" if schema[key].is_boolean() else "")
            )  # noqa: E501
            out.append(Kpi(key, key.replace("_", " ").capitalize(), unit))
        else:
            numeric = [c for c, t in schema.items() if t.is_numeric() or t.is_boolean()]
            raise AnalysisError(
                f"unknown KPI {raw!r}; use {', '.join(KPIS)} or a numeric interactions "
                f"field ({', '.join(c for c in numeric if not c.startswith('_'))})"
            )
    if not out:
        raise AnalysisError("no KPI given")
    return out


def _repeated(i: ibis.Table, r: ibis.Table, days: int) -> ibis.Table:
    """Ids (``rep``) of the surveyed contacts followed by another contact of the same
    customer within ``days``: the repeat of the FCR definition (PRODUCT.md), with ties at
    the same second ordered by interaction_id as in ``contact_centre.with_repeat_flag``.
    Only surveyed contacts are checked, which is far cheaper than a window over all."""
    asked = r.select(sid="iid").distinct()
    a = i.inner_join(asked, i.interaction_id == asked.sid)
    a = a.select(id1=a.interaction_id, c1=a.customer_id, t1=a.started_at)
    b = i.select(id2=i.interaction_id, c2=i.customer_id, t2=i.started_at)
    after = (b.t2 > a.t1) | ((b.t2 == a.t1) & (b.id2 > a.id1))
    within = b.t2 <= a.t1 + ibis.interval(days=days)
    pairs = a.inner_join(b, [a.c1 == b.c2, after, within])
    return pairs.select(rep=pairs.id1).distinct()


def _gos(ws, channels: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray, int]]:
    """Per queued channel: the waits of answered offered contacts as (sorted distinct
    waits, contacts per wait, contacts offered), from which the share answered within
    any time follows (GOS = answered within the target / offered; PRODUCT.md)."""
    i = ws.analytics.table("interactions")
    i = i.filter(i.channel.isin(channels) & i.offered.fill_null(True))
    answered = i.answered.fill_null(False) & i.wait_seconds.notnull()
    g = i.group_by(ch=i.channel, wait=ibis.ifelse(answered, i.wait_seconds, -1.0)).agg(n=i.count())
    got = ws.analytics.con.to_pyarrow(g).to_pydict()
    out = {}
    for ch in set(got["ch"]):
        rows = sorted((w, n) for c, w, n in zip(got["ch"], got["wait"], got["n"], strict=True)
                      if c == ch)  # fmt: skip
        offered = sum(n for _, n in rows)
        waits = np.array([w for w, _ in rows if w >= 0])
        counts = np.array([n for w, n in rows if w >= 0], float)
        out[ch] = (waits, counts, offered)
    return out


def _target(ws, waits: tuple[np.ndarray, np.ndarray, int], t: Threshold | None) -> dict:
    """The GOS target, the observed GOS, and the share answered within the found cut."""
    cfg = ws.settings.metrics
    xs, n, offered = waits

    def within(seconds: float) -> float | None:
        return float(share(n[xs <= seconds].sum(), offered)) if offered else None

    cut = t.cut if t is not None and t.shape == "threshold" else None
    return {"target_seconds": cfg.gos_target_seconds, "target_share": 100 * cfg.gos_target_share,
            "observed_share": within(cfg.gos_target_seconds), "offered": offered,
            "share_within_cut": within(cut) if cut is not None else None}  # fmt: skip


def _analyse(kpi: Kpi, x, y, measure, min_n, resamples, seed, channel=None) -> KpiResult:  # noqa: ANN001
    xs, counts = cells(x, y, measure)
    t = find_threshold(xs, counts, measure, min_n=min_n, resamples=resamples, seed=seed)
    curve = bin_curve(xs, counts, measure, kpi.unit, min_n=min_n)
    return KpiResult(kpi.key, kpi.label, kpi.unit, channel, measure.label, int(counts.sum()),
                     curve, t)  # fmt: skip


def kpi_alignment(
    ws,
    outcome: str = "nps",
    kpis: Sequence[str] | str | None = None,
    *,
    channel: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    resamples: int = 200,
    seed: int = 0,
) -> KpiAlignment:
    """How ``outcome`` (nps, csat, ces or a rating item) responds to each KPI (default:
    wait, aht, hold, transfers, resolved, fcr), with thresholds, driver shares and verdicts.

    ``channel`` keeps one channel; without it, queue KPIs give one result per queued
    channel. The answers joined to their contact are fetched once (one row per response:
    its score and the contact's KPIs); the statistics run in numpy.
    """
    cfg = ws.settings.metrics
    queued = list(cfg.queued_channels)
    chosen = _resolve_kpis(ws, kpis)
    if channel and channel not in queued and any(k.queue for k in chosen):
        raise AnalysisError(f"wait time is a queue KPI; {channel!r} is not a queued channel "
                            f"(metrics.queued_channels: {', '.join(queued)})")  # fmt: skip
    r, measure = _outcome(ws, outcome)
    r = apply_filters(r, "responded_at", since, until)
    r = r.filter(r.score.notnull() & r.interaction_id.notnull()).select(
        iid="interaction_id", score="score"
    )
    i = ws.analytics.table("interactions")
    if any(k.key == "fcr" for k in chosen):
        rep = _repeated(i, r, cfg.fcr_repeat_days)
        i = i.left_join(rep, i.interaction_id == rep.rep)
        i = i.mutate(repeated=i.rep.notnull())
    values = {k.key: kpi_value(k.key, i, queued, cfg.gos_target_seconds) for k in chosen}
    i = i.select(iid=i.interaction_id, ch=i.channel, **values)
    j = r.inner_join(i, "iid")
    if channel:
        j = j.filter(j.ch == channel)
    data = ws.analytics.con.to_pyarrow(j.select("score", "ch", *[k.key for k in chosen]))
    if data.num_rows == 0:
        raise MissingData(
            "KPI alignment needs survey responses joined to their interactions "
            f"(responses.interaction_id) with a {outcome} answer; none found"
        )
    y = np.asarray(data.column("score").to_numpy(zero_copy_only=False), float)
    chs = np.array(data.column("ch").to_pylist(), dtype=object)
    if measure.kind == "mean":
        measure = Measure.mean(y, measure.label, measure.noun)
    min_n = cfg.min_group_responses
    out: list[KpiResult] = []
    waits = _gos(ws, queued if not channel else [channel]) if any(k.queue for k in chosen) else {}
    x_all: dict[str, np.ndarray] = {}
    for k in chosen:
        x = np.asarray(data.column(k.key).to_numpy(zero_copy_only=False), float)
        x_all[k.key] = x
        has = np.isfinite(x)
        groups = sorted({c for c in chs[has] if c is not None}) if k.queue else [channel]
        for ch in groups:
            keep = has & (chs == ch) if k.queue else has
            if not keep.any():
                continue
            res = _analyse(k, x[keep], y[keep], measure, min_n, resamples, seed, ch)
            if k.key == "wait" and ch in waits:
                res.target = _target(ws, waits[ch], res.threshold)
            out.append(res)
    report = KpiAlignment(measure.label, out, measure.kind)
    if len(chosen) >= 2:
        keep = np.all([np.isfinite(v) for v in x_all.values()], axis=0)
        table = pa.table({"score": y[keep], **{n: v[keep] for n, v in x_all.items()}})
        _drivers(report, table, list(x_all), seed)
        if any(k.queue for k in chosen) and not channel:
            where = ", ".join(queued)
            report.notes.append(f"driver shares over responses to queued contacts ({where}): "
                                "wait time exists only there")  # fmt: skip
    for res in report.results:
        noun = next((k.noun for k in chosen if k.key == res.kpi), None)
        res.sentence = sentence(res.label, res.unit, measure, res.curve, res.threshold,
                                res.target, noun)  # fmt: skip
    return report


def _drivers(report: KpiAlignment, data: pa.Table, cols: list[str], seed: int) -> None:
    """Driver shares of the KPIs together, each clipped at its 99th percentile."""
    y = np.asarray(data.column("score").to_numpy(zero_copy_only=False), float)
    x = {}
    for c in cols:
        v = np.asarray(data.column(c).to_numpy(zero_copy_only=False), float)
        if len(v) and np.ptp(v) > 0:
            x[c] = np.minimum(v, np.percentile(v, 99)) if np.ptp(v) > 1 else v
    if len(x) < 2 or len(y) < len(x) + 10:
        report.notes.append("driver shares not computed: too few complete rows or KPIs that vary")
        return
    try:
        found, r2 = key_drivers(y, x, resamples=100, seed=seed)
    except AnalysisError as e:
        report.notes.append(f"driver shares not computed: {e}")
        return
    by = {d.driver: d for d in found}
    for res in report.results:
        d = by.get(res.kpi)
        if d:
            res.driver_share, res.driver_low, res.driver_high = d.share, d.low, d.high
            res.direction = d.direction
    report.drivers_r2, report.drivers_n = r2, len(y)
