"""Conditional generation (text to image, lecture section 5), step by step: G(z, c) and D(x, c).

The condition c says what to draw ("7", "blue hair, red eyes").  D judges a pair (x, c): is x real, *and* is it
an x of c?  Without the second question G could ignore c, draw any good face, and still fool D.  The
matching-aware discriminator (Reed et al., "Generative Adversarial Text to Image Synthesis", ICML 2016, GAN-CLS)
asks it by showing D a third kind of pair: a real x with a condition ĉ that does not describe it, labelled fake.

    Initialize θd for D and θg for G.
    In each training iteration:
        Learning D (G fixed; repeated k times)
            1. Sample m examples with their conditions {(x¹, c¹), …, (xᵐ, cᵐ)} from the database
            2. Sample m noise samples {z¹, …, zᵐ} from a distribution
            3. Obtain generated data {x̃¹, …, x̃ᵐ}, x̃ⁱ = G(zⁱ, cⁱ)
            4. Obtain mismatched conditions {ĉ¹, …, ĉᵐ}, ĉⁱ ≠ cⁱ           (matching-aware only)
            5. Update θd to maximize
                   Ṽ = 1/m Σ log D(xⁱ, cⁱ) + ½ [1/m Σ log(1 − D(x̃ⁱ, cⁱ)) + 1/m Σ log(1 − D(xⁱ, ĉⁱ))]
               (without mismatched pairs: Ṽ = 1/m Σ log D(xⁱ, cⁱ) + 1/m Σ log(1 − D(x̃ⁱ, cⁱ)))
                   θd ← θd + η ∇Ṽ(θd)
        Learning G (D fixed; once)
            1. Sample m noise samples {z¹, …, zᵐ}, and m conditions {c¹, …, cᵐ} from the database
            2. Update θg to maximize Ṽ = 1/m Σ log D(G(zⁱ, cⁱ), cⁱ)
                   θg ← θg + η ∇Ṽ(θg)

The ½ is Reed et al.'s: the two kinds of fake pair share the weight that the generated ones have alone.
``train_conditional_gan`` below is that algorithm; the numbered comments are the steps above.  The loop of
``minigan/train/gan.py`` is the same with c left out.
"""
from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from minigan import backend
from minigan import functional as F
from minigan.autograd import Tensor, no_grad
from minigan.train.conditioning import as_conditions
from minigan.train.gan import _check_ascends
from minigan.train.shared import apply_lr_schedule, finite, fixed, remember_initial_lr


def mismatched(c, sizes) -> Tensor:
    """ĉ: the conditions ``c`` with, in each row, one attribute chosen at random changed to another of its values
    (chosen at random too), so that ĉⁱ ≠ cⁱ always; for a digit, another digit.  Same shape and device as ``c``.

    Changing one attribute, rather than taking another example's condition as Reed et al. do with sentences, gives
    the hardest mismatches: a face right in all but its eye colour must be called fake too, so D checks every
    attribute.
    """
    given = c.data if isinstance(c, Tensor) else np.asarray(c)
    rows = backend.to_numpy(as_conditions(given, sizes))
    gen = backend.rng("cpu")
    m = len(rows)
    attribute = gen.integers(len(sizes), size=m)
    n = np.asarray(sizes)[attribute]
    wrong = rows.copy()
    # cₐ ← (cₐ + s) mod nₐ with s uniform on 1 … nₐ − 1: any other value, each as likely
    wrong[np.arange(m), attribute] = (rows[np.arange(m), attribute] + gen.integers(1, n)) % n
    return Tensor(backend.to_device(wrong.reshape(given.shape), backend.device_of(given)))


def train_conditional_gan(G, D, sample_real, sample_noise, opt_D, opt_G, steps: int, m: int = 64, k: int = 1,
                          mismatch=None, start_step: int = 0, history: dict | None = None, lr_schedule=None,
                          callback=None, progress: bool = True, average=None) -> dict:
    """Train G(z, c) and D(x, c) with the conditional algorithm above for iterations ``start_step .. steps − 1``.

    G, D:          modules; G(z, c) returns examples, D(x, c) one logit per example (D(x, c) = σ(logit)), and
                   D(x, c, ĉ) the logits of x with c and with ĉ (minigan/train/conditioning.py's discriminators do).
    sample_real:   m ↦ (x, c), m examples from the database and their conditions.
    sample_noise:  m ↦ a tensor of m noise vectors z from the prior.
    opt_D, opt_G:  optimizers over D's and G's parameters, built with ``maximize=True``.
    m, k:          batch size, and how many times D is updated per iteration.
    mismatch:      c ↦ ĉ, conditions that do not describe the examples (e.g. ``lambda c: mismatched(c, sizes)``):
                   the matching-aware D of Reed et al.; None trains D on matched pairs and generated ones only.
    lr_schedule, callback, start_step, history, average, progress: as in ``minigan.train.gan.train_gan``.

    Each Ṽ is checked before its step: if one is NaN or Inf, ``TrainingDiverged`` is raised while the parameters
    are still the last finite ones.  Returns the history: per iteration, D's Ṽ (``V_D``), G's Ṽ (``V_G``), the mean
    of D(x, c) on real matched pairs (``D_x``) and of D(x̃, c) on generated ones (``D_G_z``), and with mismatched
    pairs the mean of D(x, ĉ) (``D_x_mismatched``).
    """
    _check_ascends(opt_D, "opt_D")
    _check_ascends(opt_G, "opt_G")
    keys = ("V_D", "V_G", "D_x", "D_G_z") + (("D_x_mismatched",) if mismatch is not None else ())
    history = history if history is not None else {key: [] for key in keys}
    remember_initial_lr(opt_D, opt_G)
    bar = tqdm(range(start_step, steps), initial=start_step, total=steps, disable=not progress,
               desc="conditional GAN", dynamic_ncols=True)
    for step in bar:
        apply_lr_schedule(lr_schedule, step, opt_D, opt_G)

        # ---- Learning D (G fixed), k times
        for _ in range(k):
            # 1. Sample m examples with their conditions {(x¹, c¹), …, (xᵐ, cᵐ)} from the database
            x, c = sample_real(m)
            # 2. Sample m noise samples {z¹, …, zᵐ} from the prior
            z = sample_noise(m)
            # 3. Obtain generated data x̃ⁱ = G(zⁱ, cⁱ)   (G is fixed: no graph through it)
            with no_grad():
                x_tilde = G(z, c)
            fake = D(x_tilde, c)
            if mismatch is None:
                real, wrong = D(x, c), None
                # 5. Ṽ = 1/m Σ log D(xⁱ, cⁱ) + 1/m Σ log(1 − D(x̃ⁱ, cⁱ))
                V_D = F.log_sigmoid(real).mean() + F.log_sigmoid(-fake).mean()
            else:
                # 4. Obtain mismatched conditions ĉⁱ ≠ cⁱ
                c_hat = mismatch(c)
                #    D judges each real x with its own cⁱ and with ĉⁱ (one pass of x through D's features)
                real, wrong = D(x, c, c_hat)
                # 5. Ṽ = 1/m Σ log D(xⁱ, cⁱ) + ½ [1/m Σ log(1 − D(x̃ⁱ, cⁱ)) + 1/m Σ log(1 − D(xⁱ, ĉⁱ))]
                V_D = F.log_sigmoid(real).mean() + 0.5 * (F.log_sigmoid(-fake).mean() + F.log_sigmoid(-wrong).mean())
            v_d = finite(V_D.item(), "Ṽ of D", step)
            #    θd ← θd + η ∇Ṽ(θd)
            opt_D.zero_grad()
            V_D.backward()
            opt_D.step()

        # ---- Learning G (D fixed), once
        # 1. Sample m noise samples {z¹, …, zᵐ}, and m conditions {c¹, …, cᵐ} from the database
        z = sample_noise(m)
        _, c = sample_real(m)
        # 2. Ṽ = 1/m Σ log D(G(zⁱ, cⁱ), cⁱ)   (G and D are one big network; only θg moves)
        with fixed(D):
            V_G = F.log_sigmoid(D(G(z, c), c)).mean()
            v_g = finite(V_G.item(), "Ṽ of G", step)
            #  θg ← θg + η ∇Ṽ(θg)
            opt_G.zero_grad()
            V_G.backward()
            opt_G.step()
        # (the stabiliser, when asked for: θ̄g ← β θ̄g + (1 − β) θg, minigan/train/ema.py)
        if average is not None:
            average.update_parameters(G)

        _record(history, step, v_d, v_g, real, fake, wrong)
        if progress and step % 25 == 0:
            bar.set_postfix(V_D=f"{v_d:.3f}", D_x=f"{history['D_x'][-1]:.2f}", D_G_z=f"{history['D_G_z'][-1]:.2f}")
        if callback is not None:
            callback(step, history)
    bar.close()
    return history


def _record(history: dict, step: int, v_d: float, v_g: float, real, fake, wrong) -> None:
    """Append this iteration's numbers (both Ṽ already checked), stopping with a clear error on a NaN mean."""
    history["V_D"].append(v_d)
    history["V_G"].append(v_g)
    with no_grad():
        for key, logits in (("D_x", real), ("D_G_z", fake), ("D_x_mismatched", wrong)):
            if logits is not None:
                history[key].append(finite(F.sigmoid(logits).mean().item(), f"mean {key}", step))
