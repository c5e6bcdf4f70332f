"""Section 11 of the lecture, "A little bit theory", computed on a grid.

For a fixed generator with density P_G, the best discriminator is

    D*(x) = P_data(x) / (P_data(x) + P_G(x)),

and the value of the game at that discriminator is

    V(G, D*) = E_{x~P_data}[log D*(x)] + E_{x~P_G}[log(1 − D*(x))] = −2 log 2 + 2 JSD(P_data ‖ P_G).

Densities are given as arrays of values on an evenly spaced grid with spacing ``dx``; integrals are sums.
"""
from __future__ import annotations

import numpy as np


def optimal_discriminator(p_data, p_g) -> np.ndarray:
    """D*(x) = P_data(x) / (P_data(x) + P_G(x)); 1/2 where both densities are 0."""
    p_data, p_g = np.asarray(p_data, dtype=np.float64), np.asarray(p_g, dtype=np.float64)
    total = p_data + p_g
    return np.divide(p_data, total, out=np.full_like(total, 0.5), where=total > 0)


def _expect_log(p, values, dx) -> float:
    """∫ p(x) log(values(x)) dx, with 0 · log 0 = 0.

    Values are floored at the smallest normal float64, so a density that underflowed to a denormal
    (p ≈ 1e-310 where D* rounds to exactly 1) adds ≈ 0 instead of −∞.
    """
    mask = p > 0
    logs = np.log(np.maximum(values[mask], np.finfo(np.float64).tiny))
    return float(np.sum(p[mask] * logs) * dx)


def value_function(p_data, p_g, D, dx: float) -> float:
    """V(G, D) = ∫ P_data(x) log D(x) dx + ∫ P_G(x) log(1 − D(x)) dx, for D given on the same grid."""
    p_data, p_g, D = (np.asarray(a, dtype=np.float64) for a in (p_data, p_g, D))
    return _expect_log(p_data, D, dx) + _expect_log(p_g, 1.0 - D, dx)


def kl_divergence_on_grid(p, q, dx: float) -> float:
    """KL(p ‖ q) = ∫ p log(p / q) dx (infinite where q = 0 < p)."""
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    mask = p > 0
    if np.any(q[mask] == 0):
        return float("inf")
    return float(np.sum(p[mask] * np.log(p[mask] / q[mask])) * dx)


def jensen_shannon(p, q, dx: float) -> float:
    """JSD(p ‖ q) = ½ KL(p ‖ M) + ½ KL(q ‖ M), M = (p + q) / 2; between 0 and log 2."""
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    m = 0.5 * (p + q)
    return 0.5 * kl_divergence_on_grid(p, m, dx) + 0.5 * kl_divergence_on_grid(q, m, dx)


def normal_pdf(x, mean: float = 0.0, std: float = 1.0) -> np.ndarray:
    """The N(mean, std²) density at x."""
    u = (np.asarray(x, dtype=np.float64) - mean) / std
    return np.exp(-0.5 * u * u) / (std * np.sqrt(2 * np.pi))
