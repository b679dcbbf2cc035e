"""Key driver analysis: how much of an outcome each driver explains (PRODUCT.md,
"Key driver analysis").

Two methods decompose the R² of a linear regression of the outcome on the drivers
into one share per driver; shares sum to 1:

* ``shapley``: each driver's Shapley value of R², the average over all orders of
  adding drivers of the R² it adds. R² of every subset comes from the correlation
  matrix by sweeping one driver at a time, every bootstrap resample at once, so 14
  drivers (16,384 subsets) take well under a millisecond per resample.
* ``relative-weights`` (Johnson 2000): regress the outcome on the orthogonal
  counterparts of the drivers (the symmetric square root of their correlation
  matrix) and share each counterpart's R² back by the squared loadings.

Each share gets a 95% percentile bootstrap interval (rows, or random blocks of rows on
large tables, resampled), and each driver
a direction: the sign of its correlation with the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from math import comb

import numpy as np

from ..errors import AnalysisError

METHODS = ("shapley", "relative-weights")
MAX_SHAPLEY_DRIVERS = 20
#: Bootstrap units for large tables: rows are shuffled into this many blocks.
BOOTSTRAP_BLOCKS = 2000


@dataclass
class DriverResult:
    """One driver's share of the explained R², its interval and direction."""

    driver: str
    share: float
    low: float
    high: float
    direction: str  # "positive" or "negative"

    def to_dict(self) -> dict:
        return {"driver": self.driver, "share": self.share, "low": self.low,
                "high": self.high, "direction": self.direction}  # fmt: skip


@lru_cache(maxsize=8)
def _shapley_operator(p: int) -> np.ndarray:
    """(p, 2^p) weights turning subset R² into Shapley values: phi = W @ r2."""
    masks = np.arange(1 << p)
    sizes = np.array([bin(m).count("1") for m in masks])
    weight = np.array([1 / (p * comb(p - 1, s)) for s in range(p)] + [0.0])
    op = np.zeros((p, 1 << p))
    for j in range(p):
        without = masks[(masks >> j) & 1 == 0]
        np.add.at(op[j], without | (1 << j), weight[sizes[without]])
        np.add.at(op[j], without, -weight[sizes[without]])
    return op


def subset_r2(corr: np.ndarray) -> np.ndarray:
    """R² of the outcome (last row/column of ``corr``) on every subset of the drivers,
    indexed by bitmask (bit j = driver j); ``corr`` may carry leading batch axes.

    Sweeping driver j out of a correlation matrix (one Gaussian elimination step)
    leaves the partial covariances given j, and the outcome's entry becomes 1 − R². The
    subsets whose highest driver is j are the subsets of drivers 0..j−1 plus j, and
    they are exactly bitmasks 2^j..2^(j+1)−1: each is swept from its parent, keeping only
    the rows of drivers still to come and the outcome.
    """
    corr = np.asarray(corr)
    p = corr.shape[-1] - 1
    states = [corr[..., None, :, :]]  # the empty subset, every column
    r2 = [np.zeros((*corr.shape[:-2], 1), corr.dtype)]
    for j in range(p):
        keep = p - j + 1  # driver j, the drivers after it and the outcome
        block = np.concatenate([s[..., -keep:, -keep:] for s in states], axis=-3)
        child = block[..., 1:, 1:] - block[..., 1:, :1] * block[..., :1, 1:] / block[..., :1, :1]
        states.append(child)
        r2.append(1 - child[..., -1, -1])
    return np.concatenate(r2, axis=-1)


def shapley_r2(corr: np.ndarray) -> np.ndarray:
    """Shapley value of R² for each driver (sums to the full model's R²)."""
    p = corr.shape[-1] - 1
    if p > MAX_SHAPLEY_DRIVERS:
        raise AnalysisError(
            f"Shapley needs 2^{p} regressions; use --method relative-weights for {p} drivers"
        )
    return subset_r2(corr) @ _shapley_operator(p).T


def relative_weights(corr: np.ndarray) -> np.ndarray:
    """Johnson's relative weights (sum to the full model's R²)."""
    corr = np.asarray(corr, float)
    p = corr.shape[-1] - 1
    rxx, rxy = corr[..., :p, :p], corr[..., :p, p]
    evals, evecs = np.linalg.eigh(rxx)
    root = (evecs * np.sqrt(np.clip(evals, 0, None))[..., None, :]) @ np.swapaxes(evecs, -1, -2)
    beta = np.linalg.solve(root, rxy[..., None])[..., 0]
    return np.einsum("...ij,...j->...i", root**2, beta**2)


def _shares(corr: np.ndarray, method: str) -> np.ndarray:
    """Each driver's share of the explained R² (rows sum to 1)."""
    if not np.all(np.isfinite(corr)):
        raise AnalysisError("a driver or the outcome does not vary in the data")
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = shapley_r2(corr) if method == "shapley" else relative_weights(corr)
    if not np.all(np.isfinite(raw)):
        raise AnalysisError("some drivers are exact copies or sums of others; drop one of them")
    return raw / raw.sum(axis=-1, keepdims=True)


def _block_moments(data: np.ndarray, blocks: int, rng: np.random.Generator) -> np.ndarray:
    """Moment sums Σ z zᵀ of z = (1, centred columns) over random blocks of rows.

    Rows are shuffled into ``blocks`` blocks; the blocks are independent and alike, so
    resampling blocks with replacement bootstraps every mean, variance and covariance
    (the bootstrap of a smooth function of means, Efron & Tibshirani 1993, ch. 6, with
    blocks as units). With one row per block it is the ordinary row bootstrap.
    """
    n, q = data.shape
    size = -(-n // blocks)
    z = np.zeros((blocks * size, q + 1))
    z[:n, 0] = 1
    z[:n, 1:] = (data - data.mean(axis=0))[rng.permutation(n)]
    z = z.reshape(blocks, size, q + 1)
    return np.swapaxes(z, 1, 2) @ z


def _bootstrap(data: np.ndarray, method: str, resamples: int, seed: int) -> np.ndarray:
    """Shares for ``resamples`` bootstrap resamples of (blocks of) rows."""
    rng = np.random.default_rng(seed)
    blocks = min(len(data), BOOTSTRAP_BLOCKS)
    moments = _block_moments(data, blocks, rng)
    counts = np.stack([np.bincount(rng.integers(0, blocks, blocks), minlength=blocks)
                       for _ in range(resamples)])  # fmt: skip
    total = np.einsum("rb,bij->rij", counts.astype(float), moments)
    n = total[:, 0, 0]
    mean = total[:, 0, 1:] / n[:, None]
    cov = total[:, 1:, 1:] / n[:, None, None] - mean[:, :, None] * mean[:, None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(np.einsum("rii->ri", cov))
        corr = cov / (sd[:, :, None] * sd[:, None, :])
    # single precision: R² to ~1e-7, ample for percentiles, and a third of the time
    return _shares(corr.astype(np.float32), method).astype(float)


def key_drivers(
    outcome: np.ndarray,
    drivers: dict[str, np.ndarray],
    *,
    method: str = "shapley",
    resamples: int = 200,
    seed: int = 0,
) -> tuple[list[DriverResult], float]:
    """Each driver's share of the explained variance, most important first, and R².

    ``outcome`` and every driver are numeric arrays of the same length with no missing
    values (drop incomplete rows before).
    """
    if method not in METHODS:
        raise AnalysisError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    names = list(drivers)
    if len(names) < 2:
        raise AnalysisError("key driver analysis needs at least two drivers")
    data = np.column_stack([*(np.asarray(drivers[n], float) for n in names),
                            np.asarray(outcome, float)])  # fmt: skip
    if len(data) < len(names) + 10:
        raise AnalysisError(f"{len(data)} complete rows are too few for {len(names)} drivers")
    with np.errstate(invalid="ignore", divide="ignore"):  # a constant column: caught in _shares
        corr = np.corrcoef(data, rowvar=False)
    shares = _shares(corr, method)
    r2 = float(corr[-1, :-1] @ np.linalg.solve(corr[:-1, :-1], corr[:-1, -1]))
    boot = _bootstrap(data, method, resamples, seed)
    low, high = np.percentile(boot, [2.5, 97.5], axis=0)
    results = [
        DriverResult(
            n,
            float(shares[j]),
            float(low[j]),
            float(high[j]),
            "positive" if corr[j, -1] >= 0 else "negative",
        )  # fmt: skip
        for j, n in enumerate(names)
    ]
    results.sort(key=lambda r: -r.share)
    return results, r2
