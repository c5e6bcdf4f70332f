"""The two 2-D benchmarks of mode collapse: eight Gaussians on a ring, twenty-five on a grid.

Both are equal-weight mixtures of isotropic normals, as in VEEGAN (Srivastava et al., 2017) and
PacGAN (Lin et al., 2018):

    ring:  8 modes at (cos 2πk/8, sin 2πk/8), k = 0..7 (radius 1), σ = 0.01
    grid: 25 modes at {−4, −2, 0, 2, 4}²,                               σ = 0.05

The ring's angles are 2πk/8 for k = 0..7; ``linspace(0, 2π, 8)`` would put the first and last mode
on the same point and leave only 7 distinct modes.  A generator is judged against these modes with
``minigan.metrics.modes.mode_metrics``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from minigan import backend
from minigan.autograd import Tensor
from minigan.creation import get_default_dtype


@dataclass(frozen=True)
class GaussianMixture2D:
    """An equal-weight mixture of N(μₖ, σ² I) in two dimensions; ``modes`` is the (K, 2) array of the μₖ."""

    modes: np.ndarray = field(repr=False)
    std: float
    name: str = "mixture"

    def __post_init__(self):
        modes = np.asarray(self.modes, dtype=np.float64)
        if modes.ndim != 2 or modes.shape[1] != 2 or len(modes) == 0:
            raise ValueError(f"GaussianMixture2D: modes must be a (K, 2) array, got shape {modes.shape}")
        if not self.std > 0:
            raise ValueError(f"GaussianMixture2D: std must be positive, got {self.std}")
        modes.setflags(write=False)
        object.__setattr__(self, "modes", modes)

    @property
    def overall_std(self) -> float:
        """The mixture's standard deviation per coordinate (pooled over x and y): √(Var of the μₖ + σ²)."""
        return float(np.sqrt(self.modes.var(axis=0).mean() + self.std**2))

    def sample(self, m: int) -> Tensor:
        """m samples as an (m, 2) tensor on the current device: pick a mode uniformly, add σ·noise."""
        dtype = get_default_dtype()
        xp = backend.module_for(backend.get_device())
        k = len(self.modes)
        # a uniform u ∈ [0, 1) picks mode ⌊u K⌋; the min guards against float32 rounding u·K up to K
        which = xp.minimum((backend.rand((m,), dtype) * k).astype(np.int64), k - 1)
        centres = xp.asarray(self.modes, dtype=dtype)[which]
        return Tensor(centres + backend.randn((m, 2), dtype) * dtype.type(self.std))


def ring(n_modes: int = 8, radius: float = 1.0, std: float = 0.01) -> GaussianMixture2D:
    """``n_modes`` Gaussians at angles 2πk/n_modes (k = 0 … n_modes − 1) on a circle; the 2D-ring benchmark."""
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    return GaussianMixture2D(radius * np.stack([np.cos(angles), np.sin(angles)], axis=1), std, "ring")


def grid(side: int = 5, spacing: float = 2.0, std: float = 0.05) -> GaussianMixture2D:
    """side² Gaussians on a square grid centred at 0 ({−4, −2, 0, 2, 4}² by default); the 2D-grid benchmark."""
    ticks = (np.arange(side) - (side - 1) / 2) * spacing
    xs, ys = np.meshgrid(ticks, ticks, indexing="ij")
    return GaussianMixture2D(np.stack([xs.ravel(), ys.ravel()], axis=1), std, "grid")


DATASETS = {"ring": ring, "grid": grid}
