"""A 2-D target whose two coordinates depend on each other (lecture section 8, GAN vs VAE).

Knowing x₁ says a lot about x₂: the points lie near a curve (a spiral).
A generator whose output units are independent given its last hidden layer has to model that relation
through depth.  The target knows its *support* (the noiseless curve) and its noise σ, so a
generated point can be judged by its distance to the support: ``share_near_support`` in
``minigan.metrics.sample_quality`` counts the points within 3σ.

Samples come from minigan's seeded generator on the current device, like ``minigan.data.toy``.
(Rings and grids of modes, the benchmarks of mode collapse, are in ``minigan.data.mixtures``.)
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from minigan import backend
from minigan.autograd import Tensor
from minigan.creation import get_default_dtype


def _points(points, name: str) -> np.ndarray:
    p = np.asarray(backend.to_numpy(points.data if isinstance(points, Tensor) else points), dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 2:
        raise ValueError(f"{name}: expected an N×2 array of points, got shape {p.shape}")
    return p


def _nearest_distance(points: np.ndarray, support: np.ndarray) -> np.ndarray:
    """Distance from each point to the nearest of the support's points (in chunks, to bound memory)."""
    out = np.empty(len(points))
    for start in range(0, len(points), 1024):
        diff = points[start:start + 1024, None, :] - support[None, :, :]
        out[start:start + 1024] = np.sqrt((diff * diff).sum(axis=2).min(axis=1))
    return out


@dataclass(frozen=True)
class Spiral2D:
    """Points on an Archimedean spiral r = a·θ, θ ~ U(θ_min, θ_max), plus isotropic noise N(0, σ² I).

    The default has 1.5 turns; the gap between neighbouring arms is 2πa ≈ 1.26, wide compared to
    3σ = 0.15, so a model that fills the gaps is easy to see and to measure.
    """

    a: float = 0.2
    theta_min: float = 0.5 * math.pi
    theta_max: float = 3.5 * math.pi
    noise: float = 0.05

    def curve(self, theta) -> np.ndarray:
        """The noiseless support at angles ``theta``: (a θ cos θ, a θ sin θ), an N×2 array."""
        theta = np.asarray(theta, dtype=np.float64)
        return np.stack([self.a * theta * np.cos(theta), self.a * theta * np.sin(theta)], axis=-1)

    def sample(self, m: int) -> Tensor:
        """m points as an (m, 2) tensor on the current device."""
        dtype = get_default_dtype()
        xp = backend.module_for(backend.get_device())
        theta = dtype.type(self.theta_min) + backend.rand((m, 1), dtype) * dtype.type(self.theta_max - self.theta_min)
        on_curve = xp.concatenate([xp.cos(theta), xp.sin(theta)], axis=1) * (dtype.type(self.a) * theta)
        return Tensor(on_curve + backend.randn((m, 2), dtype) * dtype.type(self.noise))

    def distance_to_support(self, points) -> np.ndarray:
        """Each point's distance to the noiseless curve (a NumPy array of length N)."""
        # the curve as 4,000 points: neighbours are < 0.01 apart, far below σ
        support = self.curve(np.linspace(self.theta_min, self.theta_max, 4000))
        return _nearest_distance(_points(points, "Spiral2D.distance_to_support"), support)
