"""The GAN algorithm of the lecture (section 3), step by step.

    Initialize θd for D and θg for G.
    In each training iteration:
        Learning D (G fixed; repeated k times)
            1. Sample m examples {x¹, x², …, xᵐ} from the database
            2. Sample m noise samples {z¹, z², …, zᵐ} from a distribution
            3. Obtain generated data {x̃¹, …, x̃ᵐ}, x̃ⁱ = G(zⁱ)
            4. Update θd to maximize Ṽ = 1/m Σ log D(xⁱ) + 1/m Σ log(1 − D(x̃ⁱ))
                   θd ← θd + η ∇Ṽ(θd)
        Learning G (D fixed; once)
            1. Sample m noise samples {z¹, …, zᵐ} from a distribution
            2. Update θg to maximize Ṽ = 1/m Σ log D(G(zⁱ))
                   θg ← θg + η ∇Ṽ(θg)

``train_gan`` below is that algorithm; the numbered comments are the steps above.
"""
from __future__ import annotations

from tqdm.auto import tqdm

from minigan.autograd import no_grad
from minigan.functional import sigmoid
from minigan.train.objectives import Lecture
from minigan.train.shared import TrainingDiverged, apply_lr_schedule, finite, fixed, remember_initial_lr

__all__ = ["TrainingDiverged", "fixed", "train_gan"]


def _check_ascends(optimizer, name: str) -> None:
    if not all(group.get("maximize", False) for group in optimizer.param_groups):
        raise ValueError(
            f"{name} must be built with maximize=True: the lecture maximises Ṽ with gradient ascent, "
            "θ ← θ + η∇Ṽ(θ)"
        )


def train_gan(G, D, sample_real, sample_noise, opt_D, opt_G, steps: int, m: int = 64, k: int = 1,
              objective=None, start_step: int = 0, history: dict | None = None, lr_schedule=None,
              callback=None, progress: bool = True, average=None) -> dict:
    """Train G and D with the lecture's algorithm for iterations ``start_step .. steps − 1``.

    G, D:          modules; D returns one logit per example (D(x) = σ(logit)).
    sample_real:   m ↦ a tensor of m examples from the database.
    sample_noise:  m ↦ a tensor of m noise vectors z from the prior.
    opt_D, opt_G:  optimizers over D's and G's parameters, built with ``maximize=True``.
    m, k:          batch size, and how many times D is updated per iteration.
    objective:     what D and G maximise (default: the lecture's, ``objectives.Lecture()``).
    lr_schedule:   optional step ↦ factor; each optimizer's learning rate is its initial rate × factor.
    callback:      optional ``callback(step, history)`` after every iteration (snapshots, checkpoints).
    start_step, history: to continue a run restored with ``load_checkpoint``.
    average:       optional ``AveragedModel`` of G (minigan/train/ema.py), updated after each of G's steps: a
                   stabiliser around the algorithm, not part of it.

    Each Ṽ is checked before its step: if one is NaN or Inf, ``TrainingDiverged`` is raised while the
    parameters are still the last finite ones, so they can be saved.

    Returns the history: per iteration, D's Ṽ (``V_D``), G's Ṽ (``V_G``), the mean of D(x) on real
    examples (``D_x``) and on generated ones (``D_G_z``).
    """
    _check_ascends(opt_D, "opt_D")
    _check_ascends(opt_G, "opt_G")
    objective = objective or Lecture()
    history = history if history is not None else {"V_D": [], "V_G": [], "D_x": [], "D_G_z": []}
    remember_initial_lr(opt_D, opt_G)
    bar = tqdm(range(start_step, steps), initial=start_step, total=steps, disable=not progress,
               desc="GAN", dynamic_ncols=True)
    for step in bar:
        apply_lr_schedule(lr_schedule, step, opt_D, opt_G)

        # ---- Learning D (G fixed), k times
        for _ in range(k):
            # 1. Sample m examples {x¹, …, xᵐ} from the database
            x = sample_real(m)
            # 2. Sample m noise samples {z¹, …, zᵐ} from the prior
            z = sample_noise(m)
            # 3. Obtain generated data x̃ⁱ = G(zⁱ)   (G is fixed: no graph through it)
            with no_grad():
                x_tilde = G(z)
            # 4. Ṽ = 1/m Σ log D(xⁱ) + 1/m Σ log(1 − D(x̃ⁱ))   (and the logits D gave, for the record)
            V_D, real_logit, fake_logit = objective.discriminator(D, x, x_tilde)
            v_d = finite(V_D.item(), "Ṽ of D", step)
            #    θd ← θd + η ∇Ṽ(θd)
            opt_D.zero_grad()
            V_D.backward()
            opt_D.step()

        # ---- Learning G (D fixed), once
        # 1. Sample m noise samples {z¹, …, zᵐ}
        z = sample_noise(m)
        # 2. Ṽ = 1/m Σ log D(G(zⁱ))   (G and D are one big network; only θg moves)
        with fixed(D):
            V_G, _ = objective.generator_value(D, G(z))
            v_g = finite(V_G.item(), "Ṽ of G", step)
            #  θg ← θg + η ∇Ṽ(θg)
            opt_G.zero_grad()
            V_G.backward()
            opt_G.step()
        # (the stabiliser, when asked for: θ̄g ← β θ̄g + (1 − β) θg, minigan/train/ema.py)
        if average is not None:
            average.update_parameters(G)

        _record(history, step, v_d, v_g, real_logit, fake_logit)
        if progress and step % 25 == 0:
            bar.set_postfix(V_D=f"{history['V_D'][-1]:.3f}", D_x=f"{history['D_x'][-1]:.2f}",
                            D_G_z=f"{history['D_G_z'][-1]:.2f}")
        if callback is not None:
            callback(step, history)
    bar.close()
    return history


def _record(history: dict, step: int, v_d: float, v_g: float, real_logit, fake_logit) -> None:
    """Append this iteration's numbers (both Ṽ already checked), stopping with a clear error if D(x) or
    D(G(z)) is NaN."""
    with no_grad():
        d_x = sigmoid(real_logit).mean().item()
        d_g_z = sigmoid(fake_logit).mean().item()
    history["V_D"].append(v_d)
    history["V_G"].append(v_g)
    history["D_x"].append(finite(d_x, "mean D(x)", step))
    history["D_G_z"].append(finite(d_g_z, "mean D(G(z))", step))
