"""Distances between 1-D samples, and a density estimate for samples whose density is unknown.

All functions take NumPy arrays (use ``tensor.numpy()``) and return Python floats or NumPy arrays.
"""
from __future__ import annotations

import numpy as np


def _flat(samples, name: str) -> np.ndarray:
    a = np.asarray(samples, dtype=np.float64).reshape(-1)
    if a.size == 0:
        raise ValueError(f"{name}: no samples")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name}: samples contain NaN or Inf")
    return a


def _empirical_cdf(sorted_samples: np.ndarray, points: np.ndarray) -> np.ndarray:
    return np.searchsorted(sorted_samples, points, side="right") / sorted_samples.size


def ks_statistic(a, b=None, cdf=None) -> float:
    """Kolmogorov–Smirnov statistic: the largest gap between two cumulative distribution functions.

    Two-sample when ``b`` is given: sup |F_a(x) − F_b(x)|.  One-sample when ``cdf`` (a function) is given:
    sup |F_a(x) − cdf(x)|, checked on both sides of every step of F_a.
    """
    a = np.sort(_flat(a, "ks_statistic"))
    if (b is None) == (cdf is None):
        raise ValueError("ks_statistic: give exactly one of b (samples) or cdf (a function)")
    if b is not None:
        b = np.sort(_flat(b, "ks_statistic"))
        points = np.concatenate([a, b])
        return float(np.max(np.abs(_empirical_cdf(a, points) - _empirical_cdf(b, points))))
    f = np.asarray(cdf(a), dtype=np.float64)
    n = a.size
    above = np.arange(1, n + 1) / n - f
    below = f - np.arange(0, n) / n
    return float(max(above.max(), below.max()))


def wasserstein_1d(a, b) -> float:
    """Wasserstein-1 (earth mover's) distance between two 1-D samples: ∫ |F_a(x) − F_b(x)| dx."""
    a = np.sort(_flat(a, "wasserstein_1d"))
    b = np.sort(_flat(b, "wasserstein_1d"))
    points = np.sort(np.concatenate([a, b]))
    widths = np.diff(points)
    gap = np.abs(_empirical_cdf(a, points[:-1]) - _empirical_cdf(b, points[:-1]))
    return float(np.sum(gap * widths))


def moments_error(samples, mean: float, std: float) -> dict:
    """How far the samples' mean and standard deviation are from the target's: the mean error and σ ratio − 1."""
    s = _flat(samples, "moments_error")
    return {"mean_error": float(s.mean() - mean), "std_ratio_error": float(s.std() / std - 1.0)}


def gaussian_kde(samples, grid, bandwidth: float | None = None) -> np.ndarray:
    """A Gaussian kernel density estimate of ``samples``' density on ``grid`` (1-D).

    The bandwidth defaults to Scott's rule, h = σ n^(−1/5).  Used to estimate P_G, the density of the
    generator's output, which has no formula.
    """
    s = _flat(samples, "gaussian_kde")
    grid = np.asarray(grid, dtype=np.float64)
    h = bandwidth if bandwidth is not None else s.std() * s.size ** (-1 / 5)
    if not h > 0:
        raise ValueError("gaussian_kde: the samples are all equal; give a bandwidth")
    density = np.zeros_like(grid)
    for start in range(0, s.size, 2048):  # in chunks, so 10⁵ samples × 10³ grid points fit in memory
        u = (grid[:, None] - s[None, start:start + 2048]) / h
        density += np.exp(-0.5 * u * u).sum(axis=1)
    return density / (s.size * h * np.sqrt(2 * np.pi))
