"""The queries behind an outreach list: customers by their attributes, who already
complained, and who met an operational condition. Ibis only, so they run on DuckDB and
PostgreSQL alike; untrusted text never reaches SQL except as bound literals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import numpy as np

from ..metrics.formulas import DETRACTOR_MAX

CUSTOMER_COLUMNS = ("customer_id", "segment", "product", "region", "annual_value",
                    "customer_since", "churned_at")  # fmt: skip


def day_start(d: dt.date) -> ibis.Expr:
    """Midnight at the start of ``d`` as a timestamp literal."""
    return ibis.timestamp(dt.datetime.combine(d, dt.time()))


def _as_date(v: object) -> dt.date | None:
    if v is None:
        return None
    return v.date() if isinstance(v, dt.datetime) else v  # type: ignore[return-value]


def customers_where(
    ws,
    *,
    products: Sequence[str] = (),
    segments: Sequence[str] = (),
    regions: Sequence[str] = (),
    joined_before: dt.date | None = None,
    joined_from: dt.date | None = None,
    active_on: dt.date | None = None,
) -> list[dict]:
    """Customers matching every given attribute (values case-insensitive), as rows."""
    c = ws.analytics.table("customers")
    for col, values in (("product", products), ("segment", segments), ("region", regions)):
        if values:
            c = c.filter(c[col].lower().isin([v.strip().lower() for v in values]))
    if joined_before is not None:
        c = c.filter(c.customer_since < ibis.literal(joined_before))
    if joined_from is not None:
        c = c.filter(c.customer_since >= ibis.literal(joined_from))
    if active_on is not None:
        day = ibis.literal(active_on)
        c = c.filter(c.customer_since.isnull() | (c.customer_since <= day),
                     c.churned_at.isnull() | (c.churned_at >= day))  # fmt: skip
    return _rows(ws, c)


def customers_by_id(ws, ids: Sequence[str]) -> list[dict]:
    """The customers with these ids (in batches, so the list may be long)."""
    out: list[dict] = []
    ids = sorted(set(ids))
    c = ws.analytics.table("customers")
    for start in range(0, len(ids), 5000):
        out += _rows(ws, c.filter(c.customer_id.isin(ids[start : start + 5000])))
    return out


def _rows(ws, c: ibis.Table) -> list[dict]:
    rows = ws.analytics.con.to_pyarrow(c.select(*CUSTOMER_COLUMNS)).to_pylist()
    for r in rows:
        r["customer_since"], r["churned_at"] = _as_date(r["customer_since"]), _as_date(
            r["churned_at"])  # fmt: skip
    return rows


@dataclass
class CustomerArrays:
    """Every customer's attributes as numpy arrays (for the theme search)."""

    ids: np.ndarray
    attrs: dict[str, np.ndarray]
    joined_year: np.ndarray
    since: np.ndarray  # datetime64[D], NaT unknown
    churned: np.ndarray


def all_customers(ws) -> CustomerArrays:
    c = ws.analytics.table("customers").select(*CUSTOMER_COLUMNS)
    t = ws.analytics.con.to_pyarrow(c)

    def days(name: str) -> np.ndarray:
        vals = [_as_date(v) for v in t.column(name).to_pylist()]
        return np.array([np.datetime64(v, "D") if v else np.datetime64("NaT") for v in vals],
                        dtype="datetime64[D]")  # fmt: skip

    since = days("customer_since")
    year = np.where(np.isnat(since), np.nan,
                    since.astype("datetime64[Y]").astype(float) + 1970)  # fmt: skip
    attrs = {k: np.array(t.column(k).to_pylist(), dtype=object)
             for k in ("product", "segment", "region")}  # fmt: skip
    return CustomerArrays(np.array(t.column("customer_id").to_pylist(), dtype=object), attrs,
                          year, since, days("churned_at"))  # fmt: skip


def contacts_for(
    ws, reasons: Sequence[str], since: dt.date, until: dt.date
) -> dict[str, tuple[dt.date, int]]:
    """Customers with a contact for one of ``reasons`` (case-insensitive) in [since, until]:
    id -> (first such contact's date, how many)."""
    if not reasons:
        return {}
    i = ws.analytics.table("interactions")
    i = i.filter(i.customer_id.notnull(), i.reason.lower().isin([r.lower() for r in reasons]),
                 i.started_at >= day_start(since),
                 i.started_at < day_start(until + dt.timedelta(days=1)))  # fmt: skip
    g = i.group_by("customer_id").agg(first=i.started_at.min(), n=i.count())
    return {r["customer_id"]: (r["first"].date(), int(r["n"]))
            for r in ws.analytics.con.to_pyarrow(g).to_pylist()}  # fmt: skip


def comments_with(
    ws, themes: Sequence[str], since: dt.date, until: dt.date
) -> dict[str, tuple[dt.date, int]]:
    """Customers with a comment tagged with one of ``themes`` answered in [since, until]:
    id -> (first such answer's date, how many)."""
    if not themes:
        return {}
    r = ws.analytics.table("responses")
    r = r.filter(r.customer_id.notnull(), r.responded_at >= day_start(since),
                 r.responded_at < day_start(until + dt.timedelta(days=1)))  # fmt: skip
    t = ws.analytics.table("comment_themes")
    t = t.filter(t.theme.lower().isin([x.lower() for x in themes])).select("response_id")
    j = r.semi_join(t, "response_id")
    g = j.group_by("customer_id").agg(first=j.responded_at.min(), n=j.count())
    return {r["customer_id"]: (r["first"].date(), int(r["n"]))
            for r in ws.analytics.con.to_pyarrow(g).to_pylist()}  # fmt: skip


def known_reasons(ws) -> list[str]:
    i = ws.analytics.table("interactions")
    return [r for r in ws.analytics.con.to_pyarrow(i.select("reason").distinct())
            .column("reason").to_pylist() if r]  # fmt: skip


def known_themes(ws) -> list[str]:
    t = ws.analytics.table("comment_themes")
    return [r for r in ws.analytics.con.to_pyarrow(t.select("theme").distinct())
            .column("theme").to_pylist() if r]  # fmt: skip


def latest_contact_day(ws) -> dt.date | None:
    i = ws.analytics.table("interactions")
    v = ws.analytics.con.to_pyarrow(i.select(m=i.started_at.max())).column("m")[0].as_py()
    return _as_date(v)


@dataclass
class ConditionHit:
    """One customer's contacts that met an operational condition."""

    first: dt.datetime
    last: dt.datetime
    contacts: int
    longest_wait: float
    most_transfers: int


def condition_contacts(
    ws, *, wait_over: float | None, transfers: int | None, since: dt.date, until: dt.date,
    channels: Sequence[str] | None,
) -> dict[str, ConditionHit]:  # fmt: skip
    """Customers with a contact in [since, until] that waited over ``wait_over`` seconds and
    was transferred ``transfers`` times or more (on ``channels`` if given)."""
    i = ws.analytics.table("interactions")
    i = i.filter(i.customer_id.notnull(), i.started_at >= day_start(since),
                 i.started_at < day_start(until + dt.timedelta(days=1)))  # fmt: skip
    if channels:
        i = i.filter(i.channel.isin(list(channels)))
    if wait_over is not None:
        i = i.filter(i.wait_seconds > ibis.literal(float(wait_over), type="float64"))
    if transfers is not None:
        i = i.filter(i.transfers >= int(transfers))
    g = i.group_by("customer_id").agg(first=i.started_at.min(), last=i.started_at.max(),
                                      n=i.count(), wait=i.wait_seconds.max(),
                                      moved=i.transfers.max())  # fmt: skip
    return {r["customer_id"]: ConditionHit(r["first"], r["last"], int(r["n"]),
                                           float(r["wait"] or 0), int(r["moved"] or 0))
            for r in ws.analytics.con.to_pyarrow(g).to_pylist()}  # fmt: skip


def complaints_after(
    ws, reasons: Sequence[str], since: dt.date, until: dt.date
) -> dict[str, tuple[dt.datetime, str]]:
    """Each customer's latest complaint signal in [since, until]: a contact for one of
    ``reasons`` or a detractor answer (NPS 0-6): id -> (when, what)."""
    end = day_start(until + dt.timedelta(days=1))
    out: dict[str, tuple[dt.datetime, str]] = {}
    i = ws.analytics.table("interactions")
    i = i.filter(i.customer_id.notnull(), i.reason.lower().isin([r.lower() for r in reasons]),
                 i.started_at >= day_start(since), i.started_at < end)  # fmt: skip
    for r in ws.analytics.con.to_pyarrow(
        i.group_by("customer_id").agg(at=i.started_at.max())).to_pylist():  # fmt: skip
        out[r["customer_id"]] = (r["at"], "a complaint contact")
    s = ws.analytics.table("responses")
    s = s.filter(s.customer_id.notnull(), s.nps <= DETRACTOR_MAX,
                 s.responded_at >= day_start(since), s.responded_at < end)  # fmt: skip
    for r in ws.analytics.con.to_pyarrow(
        s.group_by("customer_id").agg(at=s.responded_at.max())).to_pylist():  # fmt: skip
        if r["customer_id"] not in out or out[r["customer_id"]][0] < r["at"]:
            out[r["customer_id"]] = (r["at"], "a detractor score")
    return out
