"""Toy distributions whose densities are known, so generated samples can be measured exactly.

1-D: the classic N(4, 1.25²) of the 1-D GAN demos, and a two-mode mixture.
Samples come from minigan's seeded generator on the current device, so a run is reproducible
and a resumed run continues with the same numbers.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import erf, sqrt

import numpy as np

from minigan import backend
from minigan.autograd import Tensor
from minigan.creation import get_default_dtype
from minigan.theory import normal_pdf


@dataclass(frozen=True)
class Gaussian1D:
    """N(mean, std²) in one dimension."""

    mean: float = 4.0
    std: float = 1.25

    def sample(self, m: int) -> Tensor:
        """m samples as an (m, 1) tensor on the current device."""
        z = backend.randn((m, 1), get_default_dtype())
        return Tensor(z * z.dtype.type(self.std) + z.dtype.type(self.mean))

    def pdf(self, x) -> np.ndarray:
        return normal_pdf(x, self.mean, self.std)

    def cdf(self, x) -> np.ndarray:
        u = (np.asarray(x, dtype=np.float64) - self.mean) / (self.std * sqrt(2))
        return 0.5 * (1 + np.vectorize(erf)(u))

    @property
    def overall_mean(self) -> float:
        return self.mean

    @property
    def overall_std(self) -> float:
        return self.std


@dataclass(frozen=True)
class Mixture1D:
    """An equal-weight mixture of two normals: ½ N(m₁, s²) + ½ N(m₂, s²)."""

    means: tuple = (-2.0, 2.0)
    std: float = 0.5

    def sample(self, m: int) -> Tensor:
        dtype = get_default_dtype()
        xp = backend.module_for(backend.get_device())
        which = backend.rand((m, 1), dtype) < 0.5
        centre = xp.where(which, dtype.type(self.means[0]), dtype.type(self.means[1]))
        return Tensor(centre + backend.randn((m, 1), dtype) * dtype.type(self.std))

    def pdf(self, x) -> np.ndarray:
        return 0.5 * normal_pdf(x, self.means[0], self.std) + 0.5 * normal_pdf(x, self.means[1], self.std)

    def cdf(self, x) -> np.ndarray:
        return 0.5 * Gaussian1D(self.means[0], self.std).cdf(x) + 0.5 * Gaussian1D(self.means[1], self.std).cdf(x)

    @property
    def overall_mean(self) -> float:
        return float(np.mean(self.means))

    @property
    def overall_std(self) -> float:
        spread = np.var(self.means)
        return float(np.sqrt(spread + self.std**2))
