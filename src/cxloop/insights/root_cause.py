"""Root cause, "the reason behind the reason": what over-represents a theme or detractors.

``why(ws, "billing error")`` looks at the comments (for a theme or a parent theme) or the
NPS answers (for ``"detractors"``, NPS 0-6 per PRODUCT.md, or ``"promoters"``, 9-10) and
asks which conditions make the target more common: co-occurring themes, the linked
contact (waits on queued channels over 1-10 minutes, transfers, not resolved, a repeat
contact within ``metrics.fcr_repeat_days`` days, a handle time in its channel's longest
10%), channel, queue, reason, product, segment, region, customer cohort (joined before
or from a year), team, survey and the month or week of the answer.

Each condition gets its lift, P(target | condition) / P(target | group), with support
(responses with the condition and with both), a 95% interval and a chi-square test
(:mod:`cxloop.insights.why_stats` cites each formula); Benjamini-Hochberg at
``insights.false_discovery_rate`` runs across every condition tested at one level.
Conditions held by fewer than ``metrics.min_group_responses`` responses (or by all but
that many) are never tested, and a condition needs at least ``MIN_HITS`` target cases to
be shown, so tiny groups never lead. A value and its complement (joined before 2021 /
in 2021 or later) are one 2×2 table and count as one test.

The best conditions become the first level: those that account for the most extra
cases at the low end of their interval, ``n · group rate · (low − 1)``, so a strong lift
on a handful and a faint one on thousands both give way to a clear lift on many; at most
one per kind (one time window, one contact attribute...), ``breadth`` in all. Within each,
the same search finds what over-represents the target further, ``depth`` levels deep; a
set of conditions already shown in another order is not repeated.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import AnalysisError, MissingData, UnknownDimension, UnknownTarget
from ..metrics.formulas import DETRACTOR_MAX, PROMOTER_MIN
from . import why_stats as st
from .why_frame import Family, Frame, families, load_frame

#: A condition needs at least this many target cases among its responses to be shown.
MIN_HITS = 5
#: "X in DIMENSION VALUE" in a target narrows the population; dimension -> column.
WHERE_DIMENSIONS = {"channel": "channel", "queue": "queue", "reason": "reason",
                    "product": "product", "segment": "segment", "region": "region",
                    "team": "team_id", "survey": "instrument"}  # fmt: skip
SEGMENTS = {"detractors": "Detractors (NPS 0-6)", "promoters": "Promoters (NPS 9-10)"}


@dataclass
class WhyNode:
    """One condition in the tree, with its numbers against its parent group and overall."""

    condition: str  # e.g. "product = credit card"
    kind: str  # family of the condition: product, cohort, wait, theme...
    level: int
    path: list[str]  # conditions from the top, this one last
    n: int  # responses in the parent group with the condition
    hits: int  # of them, with the target
    rate: float  # hits / n
    group_rate: float  # target rate in the parent group
    lift: float  # rate / group_rate
    low: float
    high: float
    p_value: float
    q_value: float  # Benjamini-Hochberg, across the level
    overall_lift: float  # the whole path against the whole population
    overall_low: float
    overall_high: float
    sentence: str
    children: list[WhyNode] = field(default_factory=list)

    def to_dict(self) -> dict:
        out = {k: getattr(self, k) for k in (
            "condition", "kind", "level", "path", "n", "hits", "rate", "group_rate", "lift",
            "low", "high", "p_value", "q_value", "overall_lift", "overall_low", "overall_high",
            "sentence")}  # fmt: skip
        return out | {"children": [c.to_dict() for c in self.children]}


@dataclass
class WhyResult:
    """The root-cause tree of one target."""

    target: str
    target_kind: str  # theme, parent theme, detractors, promoters
    population: str  # "comments" or "responses"
    n: int
    hits: int
    rate: float
    since: dt.date | None
    until: dt.date | None
    where: dict[str, list[str]]
    tree: list[WhyNode]
    findings: list[WhyNode]  # every significant condition at the first level, best first
    tested: list[int]  # conditions tested at each level
    significant: list[int]  # of them, significant after Benjamini-Hochberg
    sentence: str
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "target": self.target, "target_kind": self.target_kind,
            "population": self.population, "n": self.n, "hits": self.hits, "rate": self.rate,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "where": self.where, "sentence": self.sentence,
            "tree": [c.to_dict() for c in self.tree],
            "findings": [c.to_dict() | {"children": []} for c in self.findings],
            "tested": self.tested, "significant": self.significant, "notes": self.notes,
        }  # fmt: skip


def why(
    ws,
    target: str,
    since: dt.date | None = None,
    until: dt.date | None = None,
    depth: int = 3,
    *,
    breadth: int = 4,
    where: Mapping[str, Sequence[str]] | None = None,
) -> WhyResult:
    """The root-cause tree of ``target``: a theme, a parent theme, "detractors" or
    "promoters", optionally narrowed as "detractors in channel social"."""
    if depth < 1 or breadth < 1:
        raise AnalysisError("depth and breadth must be at least 1")
    text, filters = _parse_where(target, where)
    kind, name, members = _resolve(ws, text)
    comments = kind in ("theme", "parent theme")
    frame = load_frame(ws, comments_only=comments, since=since, until=until, where=filters)
    if frame.n == 0:
        raise MissingData(f"no {'tagged comments' if comments else 'NPS answers'} in the "
                          "chosen period and filters")  # fmt: skip
    if comments:
        hit = frame.theme_mask(members)
    elif kind == "detractors":
        hit = frame.nps <= DETRACTOR_MAX
    else:
        hit = frame.nps >= PROMOTER_MIN
    unit = "comments" if comments else "responses"
    tree, findings, tested, significant = drill_down(
        ws, frame, hit, name=name, kind=kind, unit=unit, depth=depth, breadth=breadth,
        exclude_themes=members)  # fmt: skip
    total = int(hit.sum())
    rate = total / frame.n
    fdr = ws.settings.insights.false_discovery_rate
    notes = [f"tested {t:,} condition(s) at level {i + 1}, {k:,} significant after "
             f"Benjamini-Hochberg at {fdr:g}"
             for i, (t, k) in enumerate(zip(tested, significant, strict=True))]  # fmt: skip
    return WhyResult(
        target=name, target_kind=kind, population=unit, n=frame.n, hits=total, rate=rate,
        since=since, until=until, where={k: list(v) for k, v in filters.items()}, tree=tree,
        findings=findings, tested=tested, significant=significant,
        sentence=_summary(name, kind, unit, total, frame.n, tree), notes=notes,
    )  # fmt: skip


def drill_down(
    ws,
    frame: Frame,
    hit: np.ndarray,
    *,
    name: str,
    kind: str,
    unit: str,
    depth: int = 3,
    breadth: int = 4,
    exclude_themes: Sequence[str] = (),
) -> tuple[list[WhyNode], list[WhyNode], list[int], list[int]]:
    """The tree over a frame whose rows with the target are ``hit``: (tree, first-level
    findings, conditions tested per level, significant per level)."""
    fams = families(frame, ws, exclude_themes=exclude_themes)
    return _Search(ws, frame, fams, hit, name, kind, unit, breadth).run(depth)


class _Search:
    """The level-by-level drill-down over one frame."""

    def __init__(self, ws, frame: Frame, fams: list[Family], hit: np.ndarray, name: str,
                 kind: str, unit: str, breadth: int) -> None:  # fmt: skip
        self.frame, self.fams, self.hit = frame, fams, hit
        self.name, self.kind, self.unit, self.breadth = name, kind, unit, breadth
        self.fdr = ws.settings.insights.false_discovery_rate
        self.min_n = ws.settings.metrics.min_group_responses
        self.total = int(hit.sum())
        self.pending: list[tuple[WhyNode, tuple[int, int], list[str]]] = []

    def run(self, depth: int) -> tuple[list[WhyNode], list[WhyNode], list[int], list[int]]:
        root: list[WhyNode] = []
        frontier: list[tuple[np.ndarray, list[str], list[str], list[str], list[WhyNode]]] = [
            (np.ones(self.frame.n, dtype=bool), [], [], [], root)
        ]  # (mask, keys used, phrases, labels, where to put the children)
        findings: list[WhyNode] = []
        tested, significant = [], []
        shown: set[frozenset[str]] = set()  # the same conditions in another order add nothing
        for level in range(1, depth + 1):
            rows = self._test_level(frontier)
            tested.append(len(rows["p"]))
            q = st.benjamini_hochberg(rows["p"])
            sig = (q <= self.fdr) & (rows["lift"] > 1) & (rows["hits"] >= MIN_HITS)
            significant.append(int(sig.sum()))
            nxt = []
            for f_i, (mask, used, phrases, labels, siblings) in enumerate(frontier):
                pick = np.flatnonzero(sig & (rows["node"] == f_i))
                pick = pick[np.argsort(-rows["excess_low"][pick], kind="stable")]
                groups: set[str] = set()
                for i in pick:
                    fam = self.fams[rows["fam"][i]]
                    node = self._node(rows, q, i, level, mask, phrases, labels)
                    if level == 1:
                        findings.append(node)
                    if fam.group in groups or len(groups) >= self.breadth:
                        continue
                    if frozenset(node.path) in shown:
                        continue
                    shown.add(frozenset(node.path))
                    groups.add(fam.group)
                    siblings.append(node)
                    child_mask = mask & fam.mask(int(rows["value"][i]))
                    nxt.append(
                        (
                            child_mask,
                            [*used, fam.key],
                            [*phrases, fam.phrases[rows["value"][i]]],
                            node.path,
                            node.children,
                        )
                    )
            frontier = nxt
            if not frontier:
                break
        self.finish()
        return root, findings, tested, significant

    def _test_level(self, frontier) -> dict[str, np.ndarray]:  # noqa: ANN001
        parts: dict[str, list] = {k: [] for k in ("node", "fam", "value", "n", "hits",
                                                  "n_all", "hits_all")}  # fmt: skip
        for f_i, (mask, used, *_rest) in enumerate(frontier):
            n_all, hits_all = int(mask.sum()), int((mask & self.hit).sum())
            if hits_all == 0 or hits_all == n_all:
                continue
            for fam_i, fam in enumerate(self.fams):
                if fam.key in used or not fam.labels:
                    continue
                n = fam.counts(mask)
                ok = np.flatnonzero((n >= self.min_n) & (n < n_all))
                if ok.size == 0:
                    continue
                hits = fam.counts(mask & self.hit)
                if fam.complement:  # a value and its complement: one table, test one side
                    over = hits * n_all >= n * hits_all
                    ok = np.array([j for j in ok if over[j] and not (
                        fam.complement[j] < j and over[fam.complement[j]]
                        and fam.complement[j] in set(ok))], dtype=int)  # fmt: skip
                    if ok.size == 0:
                        continue
                for key, values in (("node", f_i), ("fam", fam_i), ("value", ok), ("n", n[ok]),
                                    ("hits", hits[ok]), ("n_all", n_all),
                                    ("hits_all", hits_all)):  # fmt: skip
                    parts[key].append(np.broadcast_to(values, ok.shape))
        rows = {k: np.concatenate(v) if v else np.zeros(0, int) for k, v in parts.items()}
        args = (rows["hits"], rows["n"], rows["hits_all"], rows["n_all"])
        rows["lift"] = st.lift(*args)
        rows["low"], rows["high"] = st.lift_interval(*args)
        rows["p"] = st.chi_square_p(*args)
        expected = rows["n"] * rows["hits_all"] / np.maximum(rows["n_all"], 1)
        rows["excess"] = rows["hits"] - expected
        rows["excess_low"] = expected * (rows["low"] - 1)
        return rows

    def _node(self, rows, q, i, level, mask, phrases, labels) -> WhyNode:  # noqa: ANN001
        """The node of tested row ``i``; its overall numbers and sentence come in _finish."""
        fam = self.fams[rows["fam"][i]]
        value = int(rows["value"][i])
        path_mask = mask & fam.mask(value)
        n, hits = int(rows["n"][i]), int(rows["hits"][i])
        node = WhyNode(
            condition=fam.labels[value], kind=fam.key, level=level,
            path=[*labels, fam.labels[value]], n=n, hits=hits, rate=hits / n,
            group_rate=float(rows["hits_all"][i] / rows["n_all"][i]),
            lift=float(rows["lift"][i]), low=float(rows["low"][i]),
            high=float(rows["high"][i]), p_value=float(rows["p"][i]), q_value=float(q[i]),
            overall_lift=float("nan"), overall_low=float("nan"), overall_high=float("nan"),
            sentence="",
        )  # fmt: skip
        whole = (int((path_mask & self.hit).sum()), int(path_mask.sum()))
        self.pending.append((node, whole, [*phrases, fam.phrases[value]]))
        return node

    def finish(self) -> None:
        """Each node's path against the whole population (one vectorised interval), and
        its sentence."""
        if not self.pending:
            return
        hits = np.array([w[0] for _, w, _ in self.pending])
        n = np.array([w[1] for _, w, _ in self.pending])
        lifts = st.lift(hits, n, self.total, self.frame.n)
        lows, highs = st.lift_interval(hits, n, self.total, self.frame.n)
        for (node, _w, phrases), h, k, lift, low, high in zip(
            self.pending, hits, n, lifts, lows, highs, strict=True
        ):
            node.overall_lift, node.overall_low, node.overall_high = (
                float(lift), float(low), float(high))  # fmt: skip
            node.sentence = _sentence(self.name, self.kind, self.unit, phrases, int(h), int(k),
                                      lift, low, high)  # fmt: skip
            if len(phrases) > 1:
                node.sentence += (
                    f" Among {self.unit} where {_join(phrases[:-1])}, it is {node.lift:.1f}x as "
                    f"common when {phrases[-1]} ({node.hits:,} of {node.n:,}, 95% CI "
                    f"{node.low:.1f}-{node.high:.1f}x)."
                )
        self.pending = []


def _join(phrases: Sequence[str]) -> str:
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]


def _subject(name: str, kind: str) -> tuple[str, str]:
    if kind in SEGMENTS:
        return SEGMENTS[kind], "are"
    if kind == "parent theme":
        return f'Themes under "{name}"', "come up"
    return f'"{name[:1].upper()}{name[1:]}"', "comes up"


def _sentence(name, kind, unit, phrases, hits, n, lift, low, high) -> str:  # noqa: ANN001
    subject, verb = _subject(name, kind)
    how = "as common" if kind in SEGMENTS else "as often"
    return (f"{subject} {verb} {lift:.1f}x {how} where {_join(phrases)} ({hits:,} of {n:,} "
            f"{unit}, 95% CI {low:.1f}-{high:.1f}x).")  # fmt: skip


def _summary(name, kind, unit, hits, n, tree) -> str:  # noqa: ANN001
    subject, _ = _subject(name, kind)
    head = f"{subject}: {hits:,} of {n:,} {unit} ({100 * hits / n:.1f}%)."
    if not tree:
        return head + " No condition over-represents it significantly."
    best = ", ".join(f"{t.condition} ({t.lift:.1f}x)" for t in tree)
    return f"{head} What over-represents it most: {best}."


_WHERE = re.compile(r"^(?P<target>.+?)\s+in\s+(?P<dim>[a-z_]+)\s+(?P<value>.+)$", re.IGNORECASE)


def _parse_where(target: str, where: Mapping[str, Sequence[str]] | None) -> tuple[str, dict]:
    filters: dict[str, list[str]] = {}
    text = target.strip()
    found = _WHERE.match(text)
    if found and found["dim"].lower() in WHERE_DIMENSIONS:
        text = found["target"].strip()
        filters[found["dim"].lower()] = [found["value"].strip()]
    for dim, values in (where or {}).items():
        filters.setdefault(dim, []).extend([values] if isinstance(values, str) else values)
    out = {}
    for dim, values in filters.items():
        if dim not in WHERE_DIMENSIONS:
            raise UnknownDimension(f"cannot narrow by {dim!r}; choose from: "
                                   f"{', '.join(WHERE_DIMENSIONS)}")  # fmt: skip
        out[WHERE_DIMENSIONS[dim]] = list(values)
    return text, out


def _resolve(ws, text: str) -> tuple[str, str, list[str]]:
    """(kind, display name, member themes) of a target."""
    low = text.strip().lower()
    for seg in SEGMENTS:
        if low in (seg, seg.rstrip("s")):
            return seg, seg, []
    found = ws.analytics.table("comment_themes")
    pairs = ws.analytics.con.to_pyarrow(found.select("theme", "parent").distinct()).to_pylist()
    themes = sorted({p["theme"] for p in pairs if p["theme"]})
    parents = sorted({p["parent"] for p in pairs if p["parent"]})
    for t in themes:
        if t.lower() == low:
            return "theme", t, [t]
    for p in parents:
        if p.lower() == low:
            return "parent theme", p, sorted({q["theme"] for q in pairs if q["parent"] == p})
    if not themes:
        raise MissingData("no tagged comments: run `cxloop themes tag --workspace WS` first")
    names = [*SEGMENTS, *themes, *parents]
    close = difflib.get_close_matches(low, [n.lower() for n in names], n=5, cutoff=0.5)
    by_lower = {n.lower(): n for n in names}
    hint = ", ".join(repr(by_lower[c]) for c in close) if close else ", ".join(
        repr(n) for n in [*SEGMENTS, *themes[:8]]) + ", ..."  # fmt: skip
    raise UnknownTarget(f"no theme, parent theme or segment called {text!r}; "
                        f"did you mean: {hint}")  # fmt: skip
