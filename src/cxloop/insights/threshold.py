"""How an outcome responds across the range of a measure: a binned curve and a threshold
found in the data (not assumed).

Everything works on *cells*: the distinct values of the measure (sorted), and for each
value how many answers fell in each outcome category. A KPI joined to 50,000 survey
responses is a few thousand cells, so the search and the bootstrap run in milliseconds.

* **Outcome measures** (``Measure``): NPS (categories −100/0/+100; PRODUCT.md, NPS, with
  ``formulas.nps_margin``), a share (0/100: CSAT top-two box, "satisfied"...; margin
  ``formulas.share_margin``, Agresti-Coull) or a mean (a 1-7 or 0-10 rating; margin
  ``formulas.mean_margin``).
* **Curve** (``bin_curve``): bins on "nice" edges for the unit (seconds: 10 s, 20 s,
  30 s, 1, 1.5, 2, 3, 4, 5, 7, 10 min...; minutes: 5, 10, 15, 30, 45, 60...; counts: one
  bin per value), adjacent bins merged until each holds at least ``min_n`` answers.
* **Threshold** (``find_threshold``): a single change-point in the mean (Hinkley 1970;
  the split a regression tree makes): every cut "at or below c / above c" leaving at
  least ``min_n`` answers on each side is tried, and the one with the largest
  between-groups sum of squares ``S_L²/n_L + S_R²/n_R − S²/n`` wins. The search always
  finds *some* cut, so its significance is judged against the best cut found in data
  where the outcome is independent of the measure (each value's answers redrawn from the
  overall outcome mix, ``resamples`` times): the p-value of the maximum statistic. The
  cut and the change in the outcome get 95% percentile bootstrap intervals, the search
  redone in every resample (answers resampled). The shape is "threshold" when the best
  step explains more than a straight line (weighted least squares on the same cells),
  else "steady".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..metrics import formulas as f

ALPHA = 0.05
MAX_CELLS = 1000  # distinct values kept for the search; more are merged by rank

SECONDS = (0, 10, 20, 30, 60, 90, 120, 180, 240, 300, 420, 600, 900, 1200, 1800, 2700,
           3600, 5400, 7200, 14400, 28800, 86400, 172800, 604800)  # fmt: skip
MINUTES = (0, 5, 10, 15, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 1440, 2880, 10080)


@dataclass(frozen=True)
class Measure:
    """How answers are scored: ``kind`` nps, share or mean; ``scores`` per category."""

    kind: str
    scores: np.ndarray
    label: str  # starts a sentence: "NPS", "The share satisfied"
    noun: str = ""  # inside a sentence: "NPS", "share satisfied"

    def fmt(self, x: float | None) -> str:
        """A value as shown in sentences: ``24``, ``−16``, ``47%``, ``4.2``."""
        if x is None:
            return "–"
        text = (
            f"{x:.0f}%"
            if self.kind == "share"
            else f"{x:.1f}"
            if self.kind == "mean"
            else f"{x:.0f}"
        )
        return text.replace("-", "−")

    @property
    def inner(self) -> str:
        return self.noun or self.label

    @classmethod
    def nps(cls, label: str = "NPS") -> Measure:
        return cls("nps", np.array([-100.0, 0.0, 100.0]), label)

    @classmethod
    def share(cls, label: str, noun: str = "") -> Measure:
        return cls("share", np.array([0.0, 100.0]), label, noun)

    @classmethod
    def mean(cls, values, label: str, noun: str = "") -> Measure:  # noqa: ANN001
        return cls("mean", np.asarray(sorted(set(values)), dtype=float), label, noun)

    @property
    def points(self) -> str:
        """The word for a difference on this measure."""
        return "points" if self.kind in ("nps", "share") else ""

    def stat(self, counts: np.ndarray) -> tuple[float | None, float | None, int]:
        """(value, 95% margin, n) of answers counted per category."""
        counts = np.asarray(counts, dtype=float)
        n = int(counts.sum())
        if n == 0:
            return None, None, 0
        if self.kind == "nps":
            pro, det = counts[self.scores == 100].sum(), counts[self.scores == -100].sum()
            return float(f.nps(pro, det, n)), float(f.nps_margin(pro, det, n)), n
        if self.kind == "share":
            hits = counts[self.scores == 100].sum()
            return float(f.share(hits, n)), float(f.share_margin(hits, n)), n
        mean = float(counts @ self.scores / n)
        if n < 2:
            return mean, None, n
        sd = float(np.sqrt(counts @ (self.scores - mean) ** 2 / (n - 1)))
        return mean, float(f.mean_margin(sd, n)), n


@dataclass
class Bin:
    """One band of the measure: answers with ``low`` < value <= ``high`` (the first band
    includes ``low``), their count and the outcome with its 95% margin."""

    low: float
    high: float
    n: int
    value: float | None
    margin: float | None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Threshold:
    """The best single cut: outcome at or below ``cut`` vs above it, with intervals."""

    cut: float
    cut_low: float
    cut_high: float
    below: float
    below_margin: float
    below_n: int
    above: float
    above_margin: float
    above_n: int
    change: float  # above − below
    change_low: float
    change_high: float
    p_value: float
    shape: str  # "threshold", "steady", "difference" (a yes/no KPI) or "none" (no change)

    @property
    def significant(self) -> bool:
        return self.shape != "none"

    def to_dict(self) -> dict:
        return {**asdict(self), "significant": self.significant}


def cells(
    values: np.ndarray, outcome: np.ndarray, measure: Measure
) -> tuple[np.ndarray, np.ndarray]:
    """Cells from per-answer arrays: sorted distinct values and counts per category."""
    values = np.asarray(values, dtype=float)
    outcome = np.asarray(outcome, dtype=float)
    xs, xi = np.unique(values, return_inverse=True)
    k = np.searchsorted(measure.scores, outcome)
    counts = np.zeros((len(xs), len(measure.scores)))
    np.add.at(counts, (xi.ravel(), k), 1)
    return xs, counts


def _compact(xs: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At most MAX_CELLS cells: consecutive values merged by rank (a group keeps its
    largest value, so a cut "at or below" it means the same)."""
    if len(xs) <= MAX_CELLS:
        return xs, counts
    cum = np.cumsum(counts.sum(axis=1))
    group = np.minimum((cum - 1) * MAX_CELLS // cum[-1], MAX_CELLS - 1).astype(int)
    group = np.maximum.accumulate(group)
    _, start = np.unique(group, return_index=True)
    end = np.r_[start[1:], len(xs)] - 1
    return xs[end], np.add.reduceat(counts, start, axis=0)


def _between(n_x: np.ndarray, s_x: np.ndarray, min_n: int) -> tuple[np.ndarray, np.ndarray]:
    """Between-groups sum of squares of every cut after cell j (last axis), -inf where a
    side has fewer than ``min_n`` answers; and the change (mean above − mean below)."""
    n_l = np.cumsum(n_x, axis=-1)[..., :-1]
    s_l = np.cumsum(s_x, axis=-1)[..., :-1]
    n, s = n_x.sum(axis=-1, keepdims=True), s_x.sum(axis=-1, keepdims=True)
    n_r, s_r = n - n_l, s - s_l
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = s_l**2 / n_l + s_r**2 / n_r - s**2 / n
        change = s_r / n_r - s_l / n_l
    stat = np.where((n_l >= min_n) & (n_r >= min_n), stat, -np.inf)
    return stat, change


def find_threshold(
    xs: np.ndarray,
    counts: np.ndarray,
    measure: Measure,
    *,
    min_n: int = 30,
    resamples: int = 200,
    seed: int = 0,
) -> Threshold | None:
    """The cut of the measure where the outcome changes most (see the module docstring);
    None when no cut leaves ``min_n`` answers on both sides."""
    xs, counts = _compact(np.asarray(xs, float), np.asarray(counts, float))
    scores = measure.scores
    n_x, s_x = counts.sum(axis=1), counts @ scores
    stat, change = _between(n_x, s_x, min_n)
    if len(stat) == 0 or not np.isfinite(stat).any():
        return None
    j = int(np.argmax(stat))
    rng = np.random.default_rng(seed)
    total = int(n_x.sum())
    # null: each value's answers redrawn from the overall outcome mix
    mix = counts.sum(axis=0) / total
    null = rng.multinomial(n_x.astype(np.int64), mix, size=(resamples, len(xs)))
    null_stat, _ = _between(null.sum(axis=2), null @ scores, min_n)
    p_value = (1 + int((null_stat.max(axis=1) >= stat[j] - 1e-9).sum())) / (resamples + 1)
    # bootstrap: answers resampled, the search redone
    boot = rng.multinomial(total, counts.ravel() / total, size=resamples).reshape(
        resamples, *counts.shape
    )
    b_stat, b_change = _between(boot.sum(axis=2), boot @ scores, min_n)
    ok = np.isfinite(b_stat).any(axis=1)
    b_j = np.argmax(b_stat[ok], axis=1)
    b_cut = xs[b_j]
    b_chg = b_change[ok][np.arange(len(b_j)), b_j]
    # a straight line on the same cells (weighted least squares) for the shape
    mean_x = n_x @ xs / total
    sxx = n_x @ (xs - mean_x) ** 2
    sxy = (xs - mean_x) @ (s_x - n_x * s_x.sum() / total)
    line = sxy**2 / sxx if sxx > 0 else 0.0
    below = measure.stat(counts[: j + 1].sum(axis=0))
    above = measure.stat(counts[j + 1 :].sum(axis=0))
    if p_value >= ALPHA:
        shape = "none"
    elif len(xs) == 2:
        shape = "difference"  # a yes/no KPI: no range to have a shape
    else:
        shape = "threshold" if stat[j] > line else "steady"

    return Threshold(
        cut=float(xs[j]),
        cut_low=float(np.percentile(b_cut, 2.5, method="lower")),
        cut_high=float(np.percentile(b_cut, 97.5, method="higher")),
        below=below[0], below_margin=below[1], below_n=below[2],
        above=above[0], above_margin=above[1], above_n=above[2],
        change=float(change[j]),
        change_low=float(np.percentile(b_chg, 2.5)),
        change_high=float(np.percentile(b_chg, 97.5)),
        p_value=float(p_value),
        shape=shape,
    )  # fmt: skip


def _ladder(unit: str, xs: np.ndarray) -> list[float]:
    """Candidate bin edges for the unit, inside the data's range."""
    lo, hi = float(xs[0]), float(xs[-1])
    if unit == "seconds":
        edges = list(SECONDS)
    elif unit == "minutes":
        edges = list(MINUTES)
    elif len(xs) <= 12:
        return [float(x) for x in xs[:-1]]  # one bin per value
    else:
        span = max(abs(lo), abs(hi)) or 1.0
        top = 10 ** np.ceil(np.log10(span))
        nice = sorted({m * 10.0**e for e in range(-3, int(np.log10(top)) + 1) for m in (1, 2, 5)})
        edges = [0.0, *nice] + ([-e for e in nice] if lo < 0 else [])
    return sorted(e for e in set(edges) if lo <= e < hi)


def bin_curve(
    xs: np.ndarray, counts: np.ndarray, measure: Measure, unit: str = "", *, min_n: int = 30
) -> list[Bin]:
    """The outcome per band of the measure, each band with at least ``min_n`` answers
    (smaller bands are merged into their smaller neighbour). A value holding a fifth of
    all answers at the bottom of the range (e.g. no delay at all) gets its own band."""
    xs, counts = np.asarray(xs, float), np.asarray(counts, float)
    if len(xs) == 0:
        return []
    n_x = counts.sum(axis=1)
    edges = _ladder(unit, xs)
    # band b holds values in (cuts[b-1], cuts[b]]; the first band starts at the minimum
    cuts = [e for e in edges if e > xs[0]]
    if n_x[0] >= 0.2 * n_x.sum() or unit in ("count", "binary") or len(xs) <= 12:
        cuts = [float(xs[0]), *cuts]
    idx = np.searchsorted(np.array(cuts), xs, side="left")
    bands = [np.flatnonzero(idx == b) for b in np.unique(idx)]
    sizes = [n_x[b].sum() for b in bands]
    while len(bands) > 1 and min(sizes) < min_n:
        i = int(np.argmin(sizes))
        if i == 0:
            k = 1
        elif i == len(bands) - 1:
            k = i - 1
        else:
            k = i - 1 if sizes[i - 1] <= sizes[i + 1] else i + 1
        a, b = sorted((i, k))
        bands[a : b + 1] = [np.r_[bands[a], bands[b]]]
        sizes[a : b + 1] = [sizes[a] + sizes[b]]
    out = []
    prev = float(xs[0])
    for band in bands:
        top_i = int(band.max())
        # the band's upper edge: the ladder edge that closes it, else the largest value
        right = idx[top_i]
        high = float(cuts[right]) if right < len(cuts) else float(xs[top_i])
        value, margin, n = measure.stat(counts[band].sum(axis=0))
        out.append(Bin(prev, high, n, value, margin))
        prev = high
    return out


def difference_margin(*margins: float | None) -> float | None:
    """95% margin of a difference of independent estimates: sqrt(m1² + m2²)."""
    if any(m is None for m in margins):
        return None
    return float(np.sqrt(sum(m**2 for m in margins)))  # type: ignore[operator]
