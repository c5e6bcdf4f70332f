"""Generator + Discriminator at sampling time: G proposes, D corrects (sections 10 and 11).

Section 10: G is cheap to sample but builds its output part by part; D sees the whole digit.  After
training, both are there, and D can still correct what G gets wrong.  Section 11 says how much: for a fixed
G the best discriminator is D*(x) = P_data(x) / (P_data(x) + P_G(x)), so its logit is

    l(x) = log D*(x) − log(1 − D*(x)) = log P_data(x) − log P_G(x),

and P_G(x) · e^{l(x)} = P_data(x).  Carried back to the noise z (x = G(z), z ~ P_prior = N(0, I)):
if z is drawn from

    p(z) ∝ P_prior(z) · e^{l(G(z))},  i.e. with energy  E(z) = ½‖z‖² − l(G(z)),

then G(z) is distributed as P_G · e^{l} = P_data (Che et al., "Your GAN is secretly an energy-based model",
NeurIPS 2020).  Langevin dynamics draws from p(z) ∝ e^{−E(z)} with nothing but gradients of E:

    z ← z − (ε/2) ∇E(z) + √ε · n,   n ~ N(0, I),

starting from G's own z's, ∇E(z) = z − ∇_z l(G(z)) computed by backpropagation through D and G.

The trained D is not D*, so the correction is only as good as D's judgement.  ``beta`` > 1, E(z) = ½‖z‖² − β l(G(z)), draws
from P_prior · e^{β l} instead: it leans further towards what D finds real, the arg max of section 9 in the
limit, trading variety for fewer odd samples.  ``docs/results.md`` measures the trade on MNIST.
"""
from __future__ import annotations

from minigan import backend
from minigan.autograd import Tensor, grad
from minigan.creation import tensor
from minigan.train.shared import fixed


def refine_latents(G, D, z, steps: int = 30, step_size: float = 0.1, beta: float = 1.0, batch: int = 1000) -> Tensor:
    """Langevin dynamics on E(z) = ½‖z‖² − β·logit D(G(z)), ``steps`` times from ``z``; returns the new z's.

    G, D:       the trained generator (z ↦ x) and discriminator (x ↦ logit); both run in evaluation mode
                (batch norm with its running statistics, no dropout) and are returned to the mode they were in.
                Their parameters are not changed and get no gradients.
    z:          (n, z_dim) tensor of starting noise vectors, usually draws from the prior (an array is taken
                as ``mg.tensor`` takes it: default dtype, default device).
    step_size:  ε of z ← z − (ε/2)∇E(z) + √ε n.
    beta:       β, how strongly D's judgement reweights G (1: towards P_data if D were D*; 0: the prior alone).
    batch:      rows refined at a time (the result does not depend on it beyond the noise drawn).

    Use ``G(refine_latents(G, D, z))`` to sample; the noise n comes from minigan's seeded generator.
    """
    if steps < 0:
        raise ValueError(f"refine_latents: steps must be at least 0, got {steps}")
    if not step_size > 0:
        raise ValueError(f"refine_latents: step_size must be positive, got {step_size}")
    if not beta >= 0:
        raise ValueError(f"refine_latents: beta must be non-negative, got {beta}")
    if batch < 1:
        raise ValueError(f"refine_latents: batch must be at least 1, got {batch}")
    z = z if isinstance(z, Tensor) else tensor(z)
    if z.ndim != 2:
        raise ValueError(f"refine_latents: z must be (n, z_dim), got shape {z.shape}")
    modes = (G.training, D.training)
    G.eval()
    D.eval()
    try:
        with fixed(G), fixed(D):  # only z moves
            rows = [_langevin(G, D, z.data[i:i + batch], steps, step_size, beta) for i in range(0, len(z.data), batch)]
    finally:
        G.train(modes[0])
        D.train(modes[1])
    xp = backend.array_module(z.data)
    return Tensor(xp.concatenate(rows) if rows else z.data.copy())


def _langevin(G, D, z, steps: int, step_size: float, beta: float):
    """The Langevin steps on one block of rows (an array); returns the final array."""
    half_eps, root_eps, b = (z.dtype.type(v) for v in (step_size / 2, step_size ** 0.5, beta))
    for _ in range(steps):
        z_t = Tensor(z, requires_grad=True)
        # E(z) = ½‖z‖² − β l(G(z)), summed over the rows (each row's gradient is its own)
        energy = 0.5 * (z_t * z_t).sum() - b * D(G(z_t)).sum()
        (g,) = grad(energy, [z_t])
        # z ← z − (ε/2) ∇E(z) + √ε n
        z = z - half_eps * g.data + root_eps * backend.randn(z.shape, z.dtype, backend.device_of(z))
    return z
