"""Per-agent daily counts for "did it work?": any window of any agent in constant time.

One job: read, once per call, what each agent's customers said and what each agent's
contacts measured, day by day, into dense agent × day arrays kept as running sums, so
that the count of any window ``[first, end)`` for every agent at once is one
subtraction. A focus area (:mod:`cxloop.coach.focus`) names which counts it needs:

* a theme: tagged comments (``n``) and those carrying the theme or a child of it
  (``hits``): the theme share of tagged comments;
* ``nps``: answers, promoters (9–10) and detractors (0–6) (PRODUCT.md, NPS);
* ``csat``: answers and top-two-box answers (4–5) (PRODUCT.md, CSAT);
* a KPI per answered contact (PRODUCT.md and ``metrics.contact_centre_kpis``): the
  transfer rate (transferred at least once), FCR (resolved with no repeat contact of
  the same customer within ``metrics.fcr_repeat_days``, known customers), resolved,
  and the means of handle time (AHT = talk + hold + wrap), talk, hold and wrap.
  Wait time and GOS are the queue's, not the agent's: not measured per agent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import ibis
import numpy as np

from ..errors import MissingData
from ..metrics.contact_centre import with_repeat_flag
from ..metrics.formulas import DETRACTOR_MAX, PROMOTER_MIN
from .focus import Focus

#: KPI focus areas measured per agent: kind of statistic and the counts it reads.
SHARE_KPIS = {"transfers": ("answered", "transferred"), "fcr": ("fcr_n", "fcr_hits"),
              "resolved": ("resolved_n", "resolved_hits")}  # fmt: skip
MEAN_KPIS = ("aht", "talk", "hold", "wrap")


@dataclass(frozen=True)
class Measure:
    """Which running sums one focus area reads, and how they combine (effect_stats kinds)."""

    kind: str  # share, nps or mean
    n: str
    hits: str
    bad: str | None = None
    unit: str = "%"


def measure_for(focus: Focus) -> Measure | None:
    """How a focus area is measured per agent; None when it cannot be (wait, GOS)."""
    if focus.kind == "theme":
        return Measure("share", "tagged", f"theme:{focus.name}")
    if focus.name == "nps":
        return Measure("nps", "nps_n", "promoters", "detractors", unit=" points")
    if focus.name == "csat":
        return Measure("share", "csat_n", "csat_top2")
    if focus.name in SHARE_KPIS:
        return Measure("share", *SHARE_KPIS[focus.name])
    if focus.name in MEAN_KPIS:
        return Measure("mean", "answered", f"{focus.name}_sum", f"{focus.name}_sq", unit=" s")
    return None


@dataclass
class Daily:
    """Running sums per agent and day, read lazily by source (comments, survey, contacts)."""

    ws: object
    agents: list[str]
    first: dt.date
    end: dt.date  # the day after the newest data
    _sums: dict[str, np.ndarray] = field(default_factory=dict)
    _themes: set[str] = field(default_factory=set)

    @property
    def index(self) -> dict[str, int]:
        return {a: i for i, a in enumerate(self.agents)}

    def window(self, stat: str, first: dt.date, end: dt.date) -> np.ndarray:
        """Every agent's sum of ``stat`` over the days ``[first, end)`` (clipped to the data)."""
        cum = self._cum(stat)
        lo = min(max((first - self.first).days, 0), cum.shape[1] - 1)
        hi = min(max((end - self.first).days, 0), cum.shape[1] - 1)
        return cum[:, hi] - cum[:, lo] if hi > lo else np.zeros(len(self.agents))

    def need_themes(self, names: set[str]) -> None:
        """Read these themes' mentions (once) before windows of ``theme:<name>`` are asked."""
        missing = set(names) - self._themes
        if missing:
            self._load_themes(missing)

    def _cum(self, stat: str) -> np.ndarray:
        if stat not in self._sums:
            source = ("comments" if stat == "tagged" or stat.startswith("theme:") else
                      "survey" if stat in ("nps_n", "promoters", "detractors", "csat_n",
                                           "csat_top2") else "contacts")  # fmt: skip
            {"comments": self._load_comments, "survey": self._load_survey,
             "contacts": self._load_contacts}[source]()  # fmt: skip
            if stat not in self._sums:
                raise MissingData(f"no {stat} data for agents")
        return self._sums[stat]

    def _store(self, rows: list[dict], columns: dict[str, str]) -> None:
        """Add ``rows`` (agent_id, day, values) as running sums named by ``columns``."""
        days = (self.end - self.first).days
        idx = self.index
        keep = [(idx[r["agent_id"]], (_day(r["day"]) - self.first).days, r) for r in rows
                if r["agent_id"] in idx]  # fmt: skip
        keep = [(a, d, r) for a, d, r in keep if 0 <= d < days]
        a = np.array([k[0] for k in keep], dtype=int)
        d = np.array([k[1] for k in keep], dtype=int)
        for name, col in columns.items():
            dense = np.zeros((len(self.agents), days))
            np.add.at(dense, (a, d), np.array([float(k[2][col] or 0) for k in keep]))
            cum = np.zeros((len(self.agents), days + 1))
            np.cumsum(dense, axis=1, out=cum[:, 1:])
            self._sums[name] = cum

    def _responses(self) -> ibis.Table:
        r = self.ws.analytics.table("responses")
        return r.filter(r.agent_id.notnull())

    def _load_comments(self) -> None:
        from ..text.workspace_tags import require_tags

        require_tags(self.ws)
        r = self._responses()
        tags = self.ws.analytics.table("comment_tags").select("response_id")
        t = r.select("response_id", "agent_id", day=r.responded_at.date()).inner_join(
            tags, "response_id")  # fmt: skip
        g = t.group_by("agent_id", "day").aggregate(n=t.count())
        self._store(self._rows(g), {"tagged": "n"})

    def _load_themes(self, names: set[str]) -> None:
        self._cum("tagged")
        r = self._responses()
        tags = self.ws.analytics.table("comment_tags").select("response_id")
        comments = r.select("response_id", "agent_id", day=r.responded_at.date()).inner_join(
            tags, "response_id")  # fmt: skip
        found = self.ws.analytics.table("comment_themes")
        wanted = sorted(names)
        hit = found.filter(found.theme.isin(wanted)).select("response_id", name=found.theme)
        parent = found.filter(found.parent.isin(wanted)).select("response_id", name=found.parent)
        mentions = ibis.union(hit, parent, distinct=True).inner_join(comments, "response_id")
        g = mentions.group_by("name", "agent_id", "day").aggregate(k=mentions.count())
        rows = self._rows(g)
        for name in wanted:
            self._store([x for x in rows if x["name"] == name], {f"theme:{name}": "k"})
        self._themes |= set(wanted)

    def _load_survey(self) -> None:
        r = self._responses()
        g = r.group_by("agent_id", day=r.responded_at.date()).aggregate(
            nps_n=r.nps.count(),
            promoters=(r.nps >= PROMOTER_MIN).ifelse(1, 0).sum(),
            detractors=(r.nps <= DETRACTOR_MAX).ifelse(1, 0).sum(),
            csat_n=r.csat.count(),
            csat_top2=(r.csat >= 4).ifelse(1, 0).sum(),
        )
        cols = ("nps_n", "promoters", "detractors", "csat_n", "csat_top2")
        self._store(self._rows(g), {c: c for c in cols})

    def _load_contacts(self) -> None:
        store = self.ws.analytics
        if store.count("interactions") == 0:
            raise MissingData(
                "contact KPIs need interactions; run `cxloop ingest interactions FILE`"
            )
        t = with_repeat_flag(store.table("interactions"), self.ws.settings.metrics.fcr_repeat_days)
        t = t.filter(t.agent_id.notnull() & t.answered.fill_null(False))
        parts = {k: t[f"{k}_seconds"].fill_null(0) for k in ("talk", "hold", "wrap")}
        parts["aht"] = parts["talk"] + parts["hold"] + parts["wrap"]
        fcr_base = t.customer_id.notnull() & t.resolved.notnull()
        g = t.group_by("agent_id", day=t.started_at.date()).aggregate(
            answered=t.count(),
            transferred=(t.transfers.fill_null(0) > 0).ifelse(1, 0).sum(),
            fcr_n=fcr_base.ifelse(1, 0).sum(),
            fcr_hits=(fcr_base & t.resolved & ~t.repeated).ifelse(1, 0).sum(),
            resolved_n=t.resolved.notnull().ifelse(1, 0).sum(),
            resolved_hits=t.resolved.fill_null(False).ifelse(1, 0).sum(),
            **{f"{k}_sum": v.sum() for k, v in parts.items()},
            **{f"{k}_sq": (v * v).sum() for k, v in parts.items()},
        )
        cols = ["answered", "transferred", "fcr_n", "fcr_hits", "resolved_n", "resolved_hits"]
        cols += [f"{k}_{s}" for k in parts for s in ("sum", "sq")]
        self._store(self._rows(g), {c: c for c in cols})

    def _rows(self, expr) -> list[dict]:
        return self.ws.analytics.con.to_pyarrow(expr).to_pylist()


def _day(v) -> dt.date:
    return v.date() if isinstance(v, dt.datetime) else v


def load_daily(ws) -> Daily:
    """The agents (employees whose role is agent) and the span of the survey data."""
    con = ws.analytics.con
    e = ws.analytics.table("employees")
    agents = sorted(
        r["employee_id"]
        for r in con.to_pyarrow(
            e.filter(e.role == "agent").select("employee_id")
        ).to_pylist()  # fmt: skip
    )
    if not agents:
        raise MissingData("no agents: run `cxloop ingest employees FILE`")
    r = ws.analytics.table("responses")
    span = con.to_pyarrow(r.aggregate(lo=r.responded_at.min(), hi=r.responded_at.max()))
    lo, hi = span.column("lo")[0].as_py(), span.column("hi")[0].as_py()
    if lo is None:
        raise MissingData("no survey responses loaded; run `cxloop ingest responses FILE`")
    return Daily(ws, agents, _day(lo), _day(hi) + dt.timedelta(days=1))
