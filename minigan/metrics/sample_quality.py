"""How close a set of generated points is to a target, for samples in any dimension.

``mmd2``:  the squared maximum mean discrepancy with a Gaussian kernel — zero in expectation exactly
           when the two distributions are equal; it sees both missing modes and points off the target.
``share_near_support``: the share of generated points within n·σ of a target's support (the curve
           of ``minigan.data.curves.Spiral2D``) — it sees points off the target, not missing parts.

Both take NumPy arrays (use ``tensor.numpy()``) and return Python floats.
"""
from __future__ import annotations

import numpy as np


def _samples(a, name: str) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or len(a) < 2:
        raise ValueError(f"{name}: expected an N×D array with N ≥ 2, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name}: samples contain NaN or Inf")
    return a


def _squared_distances(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    d = (x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2 * x @ y.T
    return np.maximum(d, 0.0)  # rounding can make a distance of 0 slightly negative


def mmd2(x, y, bandwidths=1.0) -> float:
    """Unbiased estimate of MMD²(P, Q) from samples x ~ P (N×D) and y ~ Q (M×D) (Gretton et al., 2012, eq. 3).

        MMD² = E k(x, x') + E k(y, y') − 2 E k(x, y),   k(u, v) = Σ_h exp(−‖u − v‖² / (2h²))

    ``bandwidths`` is one h or several (their kernels are added: small h sees points off the target,
    large h sees mass in the wrong place).  The unbiased estimate leaves out the i = j terms, so it can be
    slightly negative when P = Q.
    """
    x = _samples(x, "mmd2 (x)")
    y = _samples(y, "mmd2 (y)")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"mmd2: x has {x.shape[1]} coordinates per sample, y has {y.shape[1]}")
    hs = np.atleast_1d(np.asarray(bandwidths, dtype=np.float64))
    if hs.ndim != 1 or not np.all(hs > 0):
        raise ValueError(f"mmd2: bandwidths must be positive numbers, got {bandwidths!r}")

    def kernel_sum(d2: np.ndarray, leave_out_diagonal: bool) -> float:
        total = sum(np.exp(-d2 / (2 * h * h)) for h in hs)
        if leave_out_diagonal:
            return float(total.sum() - np.trace(total))
        return float(total.sum())

    n, m = len(x), len(y)
    k_xx = kernel_sum(_squared_distances(x, x), True) / (n * (n - 1))
    k_yy = kernel_sum(_squared_distances(y, y), True) / (m * (m - 1))
    k_xy = kernel_sum(_squared_distances(x, y), False) / (n * m)
    return k_xx + k_yy - 2 * k_xy


def share_near_support(samples, target, n_sigma: float = 3.0) -> float:
    """The share of ``samples`` whose distance to ``target``'s support is at most ``n_sigma`` × its noise σ.

    ``target`` is anything with ``distance_to_support(points)`` and ``noise`` (σ), such as
    ``minigan.data.curves.Spiral2D``.  The target's own samples score about 0.997 at 3σ.
    """
    if not (hasattr(target, "distance_to_support") and hasattr(target, "noise")):
        raise TypeError("share_near_support: target must have distance_to_support() and noise, "
                        f"got {type(target).__name__}")
    distance = np.asarray(target.distance_to_support(samples), dtype=np.float64)
    if not np.all(np.isfinite(distance)):
        raise ValueError("share_near_support: samples contain NaN or Inf")
    return float(np.mean(distance <= n_sigma * target.noise))
