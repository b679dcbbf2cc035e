"""Discover themes nobody has named yet: cluster comments and describe each cluster.

:func:`cluster` groups sentence vectors without being told how many groups there are:

1. The L2-normalised vectors are projected on their 50 main axes (PCA by an
   eigen-decomposition of the covariance: exact and deterministic).
2. Ward agglomerative clustering builds the full merge tree (on a fixed random sample of
   at most 4,000 texts, to bound time and memory).
3. The tree is cut at the coarsest level whose clusters are still *cohesive*: on average
   a text's cosine similarity to its cluster's centre is at least ``cohesion`` (0.80).
   Cohesion does not depend on how many texts there are, so more data does not mean more
   themes. 0.80 was calibrated on the banking77 train split (bench/discovery.py): from
   0.79 to 0.82 the adjusted Rand index against its labels stays within 0.508-0.521,
   and falls off outside (0.494 at 0.78, 0.443 at 0.84); 0.80 is the round value on
   that plateau. Lower values give fewer, broader themes.
4. Ten k-means iterations from those centres, over every text, refine the boundaries.
   Clusters smaller than ``min_size``, or far less cohesive than the rest (below
   ``cohesion - 0.2``: leftovers with no common theme), go to "other" (label -1).

:func:`discover` then describes each cluster as a :class:`Candidate`: a label from its
most distinctive phrases (:mod:`.discover_phrases`), size and share with a 95% margin,
five representative texts (central but not repetitive), the trend per week or month
and the over-represented teams or channels (:mod:`.discover_stats`), and its cohesion.
Everything is deterministic: the same input gives the same candidates.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

from ..metrics.formulas import share_margin
from .discover_phrases import distinctive_phrases, label_from
from .discover_stats import (
    GroupLift,
    Trend,
    choose_grain,
    encode_groups,
    over_represented,
    to_days,
    trend,
)

COHESION = 0.80
MIN_SIZE = 5
MAX_CANDIDATES = 20
PCA_DIMS = 50
TREE_SAMPLE = 4000
REFINE_ITERATIONS = 10
REPRESENTATIVES = 5
LOOSENESS = 0.2  # a cluster less cohesive than ``cohesion - LOOSENESS`` goes to "other"
SEED = 0


@dataclass
class Candidate:
    """A proposed new theme."""

    id: int  # 1 = largest
    label: str
    key_phrases: list[str]
    size: int  # comments (distinct owners) in the theme
    share: float  # % of all comments given, with ``margin`` (95%)
    margin: float
    cohesion: float  # mean cosine similarity of its texts to their centre, 0..1
    representatives: list[int]  # indices into the texts, most central first
    examples: list[str]  # the representatives' texts
    example_ids: list[str] = field(default_factory=list)  # their owners, when owners are given
    trend: Trend | None = None
    groups: list[GroupLift] = field(default_factory=list)
    members: list[int] = field(default_factory=list, repr=False)  # indices into the texts

    def to_dict(self, members: bool = False) -> dict:
        out = asdict(self)
        if not members:
            out.pop("members")
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Candidate:
        """The candidate :meth:`to_dict` wrote (unknown keys are ignored)."""
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        if values.get("trend") is not None:
            values["trend"] = Trend(**values["trend"])
        values["groups"] = [GroupLift(**g) for g in values.get("groups") or []]
        return cls(**values)


def cluster(
    vectors: np.ndarray, *, cohesion: float = COHESION, min_size: int = MIN_SIZE, seed: int = SEED
) -> np.ndarray:
    """A cluster label per row of ``vectors`` (0, 1, ...; -1 = in no cluster of min_size)."""
    # one BLAS thread: the small eigen-decomposition and products here run up to 100x
    # slower when BLAS threads fight with the ones torch leaves spinning after embedding
    with threadpool_limits(1, user_api="blas"):
        return _cluster(vectors, cohesion, min_size, seed)


def _cluster(vectors: np.ndarray, cohesion: float, min_size: int, seed: int) -> np.ndarray:
    x = _normalised(vectors)
    n = len(x)
    if n < 2:
        return np.full(n, 0 if n and min_size <= 1 else -1, dtype=np.int64)
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(n, TREE_SAMPLE, replace=False)) if n > TREE_SAMPLE else None
    z = _project(x, x if sample is None else x[sample])
    tree_x = x if sample is None else x[sample]
    tree_z = z if sample is None else z[sample]
    tree = linkage(tree_z, "ward")
    k = _cut_size(tree, tree_x, cohesion)
    tree_labels = fcluster(tree, k, "maxclust") - 1
    k = int(tree_labels.max()) + 1
    centres = np.stack([tree_z[tree_labels == c].mean(axis=0) for c in range(k)])
    if k == 1:
        labels = np.zeros(n, dtype=np.int64)
    else:
        km = KMeans(k, init=centres, n_init=1, max_iter=REFINE_ITERATIONS, random_state=seed)
        labels = km.fit_predict(z).astype(np.int64)
    return _drop_small(_drop_loose(labels, x, cohesion - LOOSENESS), min_size)


def _normalised(vectors: np.ndarray) -> np.ndarray:
    x = np.asarray(vectors, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError("vectors must be a 2-D array (one row per text)")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)


def _project(x: np.ndarray, fit_on: np.ndarray) -> np.ndarray:
    """``x`` on the main axes of ``fit_on`` (at most PCA_DIMS of them)."""
    mean = fit_on.mean(axis=0)
    centred = fit_on - mean
    cov = centred.T @ centred / max(1, len(fit_on) - 1)
    values, axes = np.linalg.eigh(cov)
    dims = min(PCA_DIMS, x.shape[1], max(1, len(fit_on) - 1))
    top = axes[:, np.argsort(values)[::-1][:dims]]
    return (x - mean) @ top


def _cut_size(tree: np.ndarray, x: np.ndarray, cohesion: float) -> int:
    """The fewest clusters whose mean cohesion is at least ``cohesion``.

    A cluster's mean cosine to its normalised centre equals the norm of its mean vector,
    so the size-weighted mean over clusters is sum(|sum of vectors|) / n, updated per merge.
    """
    m = len(x)
    sums = np.empty((2 * m - 1, x.shape[1]))
    sums[:m] = x
    norms = np.empty(2 * m - 1)
    norms[:m] = np.linalg.norm(x, axis=1)
    total = norms[:m].sum()
    for i, (a, b) in enumerate(tree[:, :2].astype(np.int64)):
        sums[m + i] = sums[a] + sums[b]
        norms[m + i] = np.sqrt(sums[m + i] @ sums[m + i])
        total += norms[m + i] - norms[a] - norms[b]
        if total / m < cohesion:
            return m - i  # the clusters before this merge
    return 1


def _drop_loose(labels: np.ndarray, x: np.ndarray, floor: float) -> np.ndarray:
    """Clusters whose own cohesion is below ``floor`` hold no common theme: -1."""
    k = int(labels.max()) + 1
    sums = np.zeros((k, x.shape[1]))
    np.add.at(sums, labels, x)
    sizes = np.bincount(labels, minlength=k)
    own = np.linalg.norm(sums, axis=1) / np.maximum(sizes, 1)
    return np.where(own[labels] >= floor, labels, -1)


def _drop_small(labels: np.ndarray, min_size: int) -> np.ndarray:
    """Labels renumbered largest first; clusters under ``min_size`` become -1."""
    sizes = np.bincount(labels[labels >= 0])
    keep = [c for c in np.argsort(-sizes, kind="stable") if sizes[c] >= max(1, min_size)]
    mapping = np.full(len(sizes), -1, dtype=np.int64)
    mapping[keep] = np.arange(len(keep))
    return np.where(labels >= 0, mapping[np.maximum(labels, 0)], -1)


def discover(
    texts: Sequence[str],
    vectors: np.ndarray,
    *,
    dates: Sequence | None = None,
    groups: dict[str, Sequence] | None = None,
    owners: Sequence[Hashable] | None = None,
    min_size: int = MIN_SIZE,
    max_candidates: int | None = MAX_CANDIDATES,
    cohesion: float = COHESION,
    period: str | None = None,
) -> list[Candidate]:
    """Candidate themes in ``texts`` (embedded as ``vectors``), largest first.

    ``dates`` (one per text) adds a trend per ``period`` ("week" or "month"; by default
    weeks for up to 16 weeks of data, else months). ``groups`` maps a dimension name
    ("team_id", "channel") to one value per text and adds the over-represented groups.
    ``owners`` (one per text) says which texts belong together, e.g. the clauses of one
    comment: sizes, shares, trends and groups then count owners, each once per theme,
    and ``min_size`` applies to owners too. ``max_candidates=None`` returns every cluster.
    """
    n = len(texts)
    if len(vectors) != n:
        raise ValueError(f"{len(vectors)} vectors for {n} texts")
    if period not in (None, "week", "month"):
        raise ValueError(f"period must be 'week' or 'month', not {period!r}")
    if n == 0:
        return []
    unit, first_of_unit = _units(owners, n)
    n_units = len(first_of_unit)
    labels = cluster(vectors, cohesion=cohesion, min_size=1)
    labels = _drop_small_units(labels, unit, min_size)
    k = int(labels.max()) + 1 if (labels >= 0).any() else 0
    if max_candidates is not None:
        k = min(k, max_candidates)
    phrases = distinctive_phrases(texts, labels, int(labels.max()) + 1 if k else 0)
    x = _normalised(vectors)
    days = to_days(dates, n)
    unit_days = days[first_of_unit] if days is not None else None
    grain = period or (choose_grain(unit_days) if unit_days is not None else None)
    has_dates = unit_days is not None and (~np.isnat(unit_days)).any()
    encoded = encode_groups(
        {d: [v[i] for i in first_of_unit] for d, v in (groups or {}).items()}
        if owners is not None
        else groups,
        n_units,
    )
    out = []
    for c in range(k):
        members = np.flatnonzero(labels == c)
        units = np.unique(unit[members])
        centre = x[members].mean(axis=0)
        reps = _representatives(x, members, centre, texts, unit)
        out.append(
            Candidate(
                id=c + 1,
                label=label_from(phrases[c]) if phrases[c] else _quote(texts[reps[0]]),
                key_phrases=phrases[c],
                size=len(units),
                share=round(100 * len(units) / n_units, 2),
                margin=round(float(share_margin(len(units), n_units)), 2),
                cohesion=round(float(np.linalg.norm(centre)), 3),
                representatives=[int(i) for i in reps],
                examples=[texts[i] for i in reps],
                example_ids=[str(owners[i]) for i in reps] if owners is not None else [],
                trend=trend(units, unit_days, grain) if has_dates else None,
                groups=over_represented(units, encoded),
                members=[int(i) for i in members],
            )
        )
    return out


def _quote(text: str, limit: int = 60) -> str:
    """A label for a cluster with no distinctive phrase: its most central text, quoted."""
    words = " ".join(text.split())
    return f'"{words if len(words) <= limit else words[: limit - 1].rstrip() + "…"}"'


def _units(owners: Sequence[Hashable] | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each text's unit (0..u-1) and the first text of each unit."""
    if owners is None:
        return np.arange(n), np.arange(n)
    if len(owners) != n:
        raise ValueError(f"{len(owners)} owners for {n} texts")
    index: dict[Hashable, int] = {}
    unit = np.fromiter((index.setdefault(o, len(index)) for o in owners), np.int64, count=n)
    first = np.full(len(index), n, dtype=np.int64)
    np.minimum.at(first, unit, np.arange(n))
    return unit, first


def _drop_small_units(labels: np.ndarray, unit: np.ndarray, min_size: int) -> np.ndarray:
    """Clusters with fewer than ``min_size`` distinct units go to -1; largest first."""
    valid = labels >= 0
    k = int(labels.max()) + 1 if valid.any() else 0
    pairs = np.unique(np.stack([labels[valid], unit[valid]]), axis=1)
    sizes = np.bincount(pairs[0], minlength=k) if k else np.zeros(0, np.int64)
    keep = [c for c in np.argsort(-sizes, kind="stable") if sizes[c] >= max(1, min_size)]
    mapping = np.full(k, -1, dtype=np.int64)
    mapping[keep] = np.arange(len(keep))
    return np.where(valid, mapping[np.maximum(labels, 0)] if k else -1, -1)


def _representatives(
    x: np.ndarray, members: np.ndarray, centre: np.ndarray, texts: Sequence[str], unit: np.ndarray
) -> list[int]:
    """Five texts close to the centre and unlike each other (maximal marginal relevance),
    at most one per owner."""
    direction = centre / (np.linalg.norm(centre) or 1.0)
    central = x[members] @ direction
    pool = members[np.argsort(-central, kind="stable")[:50]]
    relevance = x[pool] @ direction
    chosen: list[int] = []
    seen: set[str] = set()
    owners_taken: set[int] = set()
    redundancy = np.full(len(pool), -1.0)
    for _ in range(min(REPRESENTATIVES, len(pool))):
        score = 0.7 * relevance - 0.3 * np.maximum(redundancy, 0)
        for j in np.argsort(-score, kind="stable"):
            key = " ".join(texts[pool[j]].lower().split())
            taken = pool[j] in chosen or unit[pool[j]] in owners_taken
            if taken or key in seen or redundancy[j] > 0.95:
                continue
            chosen.append(int(pool[j]))
            seen.add(key)
            owners_taken.add(int(unit[pool[j]]))
            redundancy = np.maximum(redundancy, x[pool] @ x[pool[j]])
            break
        else:
            break
    return chosen
