"""Milliseconds per training iteration of six small models, in minigan and, side by side, in PyTorch.

    python benchmarks/bench_train_step.py                    # CPU: ms per training iteration, each config
    python benchmarks/bench_train_step.py --device gpu       # the same on a GPU (CuPy), also at batch 512
    python benchmarks/bench_train_step.py --compare torch    # the same configs in PyTorch, ratio minigan / torch
    python benchmarks/bench_train_step.py --compare torch --scaling   # each config at batch 16, 64, 256, and
                                                             # dcgan's images at 28, 32, 64 pixels a side
    options: --configs mlp-gan dcgan ...  --repeats N  --warmup N  --threads N  --json  --markdown  --save PATH
             --no-memory  --clock cpu (process time: steadier on a busy machine, with one thread)
             --check (the two libraries compute the same losses)  --profile CONFIG (where minigan's time goes)
             --batches B ...  --sizes S ... (what --scaling sweeps)

The configs (the performance issues', exactly):
  mlp-gan       G z64 → 256 → 256 → 784 (LeakyReLU 0.2, tanh); D 784 → 256 → 256 → 1 (LeakyReLU 0.2); batch 64;
                Adam(2e-4, betas (0.5, 0.999)).  One iteration = one D step on real and generated examples
                (BCE with logits) + one G step (non-saturating: BCE of D(G(z)) against "real").
  dcgan         G z64 → Linear 128·7·7 → BatchNorm1d → ReLU → (128, 7, 7) → ConvTranspose2d(128, 64, 4, 2, 1) →
                BatchNorm2d → ReLU → ConvTranspose2d(64, 1, 4, 2, 1) → tanh; D 1×28×28 → Conv2d(1, 64, 4, 2, 1) →
                LeakyReLU 0.2 → Conv2d(64, 128, 4, 2, 1) → BatchNorm2d → LeakyReLU 0.2 → Flatten →
                Linear(6272, 1); batch 64; the optimiser and iteration of mlp-gan.  --sizes scales the images
                (and G's first map, a quarter of their side), nothing else.
  vae-mlp       encoder 784 → 400 (ReLU) → 40 = (20 means m, 20 log-σ); decoder 20 → 400 (ReLU) → 784 logits (the
                Bernoulli means are their sigmoid); batch 128; Adam(1e-3); loss = Bernoulli reconstruction summed
                over pixels + KL, averaged over the batch.
  sentence-gan  examples/sentence_gan.py's default run (minigan/models.py:sentence_generator): G z16 → 256 → 256
                → 256 (ReLU) → 12·39 → a softmax over the 39 words at each of 12 positions → the one-hot rows of
                their arg max with the softmax's gradient (straight-through); D 12·39 → 512 → 512 (LeakyReLU 0.2)
                → [the features, their standard deviation over groups of 4] → 1 (the minibatch standard deviation
                of minigan/train/minibatch_std.py); batch 256; WGAN-GP (λ = 10), Adam(5e-4, betas (0, 0.9)).  One
                iteration = k = 5 critic steps on one-hot real sentences and G's rows, each with its gradient
                penalty (a gradient of a gradient, create_graph=True) on the first 64 pairs, + one G step.  (The
                example's average of G's weights, one multiply-add per weight of G after its step, is left out on
                both sides.)
  cond-dcgan    examples/conditional_faces.py's default networks (minigan/models.py:conditional_face_networks):
                G(z, c) = G([z32, e(c)32]): ConvTranspose2d 64 → 96 (4×4) → 48 → 24 → 3×32×32, BatchNorm2d and ReLU
                between, tanh; D(x, c) by projection: Conv2d 3 → 32 → 64 → 128 (BatchNorm2d on the last two,
                LeakyReLU 0.2) → φ(x) ∈ R²⁰⁴⁸, logit ψ(φ(x)) + ⟨e(c), φ(x)⟩; e(c) sums one learned vector per
                attribute (six, of 44 values); batch 64; Adam(2e-4, betas (0.5, 0.999)).  One iteration
                (minigan/train/conditional.py) = one D step on real matched pairs, G's pairs and real mismatched
                pairs (weights 1, ½, ½; BCE with logits) + one G step.
  cond-mlp-gan  examples/conditional_mnist.py's (minigan/models.py:conditional_mnist_networks): G([z64, e(c)32]) →
                128 → 256 → 512 (BatchNorm1d on the last two, LeakyReLU 0.2) → 784 tanh; D 784 → 512 → 256
                (LeakyReLU 0.2, Dropout 0.3) by projection, c a digit; batch 64; Adam(1e-3, betas (0.5, 0.999));
                the iteration of cond-dcgan.
The data are one fixed random batch per config (for the conditional ones with its conditions and their
mismatches, drawn once); the conditions arrive as rows of the embedding table (each attribute's offset added).
On the GPU every config runs again at batch 512.

The models, the loss and the iteration are written ONCE (below) against a small namespace, ``Side``, that
holds one library's ``nn``, ``F``, ``optim``, ``no_grad`` and tensor makers: minigan's API is PyTorch's,
so the same lines build and train both, and PyTorch starts from minigan's initial weights.

How it measures: each library warms up, then the libraries take turns iteration by iteration (the order
flips every round), so a change in the machine's load hits both alike; the table shows the median of the
timed iterations (on the GPU each is synchronised before the clock stops).  Peak memory is what one
library's training needs on top of its built model: on the CPU how far the resident memory of a fresh
process peaks above it over a few iterations (Linux's VmHWM, reset after the build), on the GPU the
growth of the memory the library's allocator holds (CuPy's pool, ``torch.cuda.max_memory_reserved``).
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import functools
import gc
import itertools
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

# minigan from this checkout, not from wherever it is installed (an editable install may be another worktree)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import minigan as mg
from minigan import backend
from minigan.data.face_tags import FACE_SIZES
from minigan.models import DIGITS
from minigan.train.conditional import mismatched

try:
    import torch
except ImportError:
    torch = None

GPU_BATCH = 512
Z_DIM, LATENT = 64, 20
SCALED, SCALING_BATCH = "dcgan", 64  # the config whose images --sizes scales, at this batch


# ---------------------------------------------------------------- one library's names
@dataclass
class Side:
    """What a training step needs from one library, under the same names for minigan and PyTorch."""

    name: str
    nn: object
    F: object
    optim: object
    no_grad: object
    grad: object  # (outputs, inputs, create_graph=) -> gradients of the outputs with respect to the inputs
    cat: object  # (tensors, dim) -> the tensors joined along dim
    noise: object  # (shape, uniform=False) -> tensor of N(0, 1) (or U[0, 1)) samples on the device
    full: object  # (shape, value) -> tensor on the device
    tensor: object  # NumPy float array -> tensor on the device
    indices: object  # NumPy integer array -> integer tensor on the device (what an embedding takes)
    to_device: object  # module -> the module on the device
    synchronize: object  # wait for the device to finish (a no-op on the CPU)


def _noop() -> None:
    return None


def minigan_side(device: str) -> Side:
    from minigan import functional, nn, optim

    synchronize = backend.module_for("gpu").cuda.Device().synchronize if device == "gpu" else _noop
    return Side("minigan", nn, functional, optim, mg.no_grad, mg.grad, functional.cat,
                noise=lambda shape, uniform=False: (mg.rand if uniform else mg.randn)(*shape, device=device),
                full=lambda shape, value: mg.full(shape, value, device=device),
                tensor=lambda array: mg.tensor(array, device=device),
                indices=lambda array: mg.Tensor(backend.to_device(array, device)),
                to_device=lambda module: module.to(device),
                synchronize=synchronize)


def torch_side(device: str) -> Side:
    where = "cuda" if device == "gpu" else "cpu"
    return Side("torch", torch.nn, torch.nn.functional, torch.optim, torch.no_grad, torch.autograd.grad, torch.cat,
                noise=lambda shape, uniform=False: (torch.rand if uniform else torch.randn)(*shape, device=where),
                full=lambda shape, value: torch.full(shape, value, device=where),
                tensor=lambda array: torch.tensor(array, device=where),
                indices=lambda array: torch.from_numpy(array).to(where),
                to_device=lambda module: module.to(where),
                synchronize=torch.cuda.synchronize if where == "cuda" else _noop)


# ---------------------------------------------------------------- the models (the same code for both)
def mlp_gan_models(side: Side):
    nn = side.nn
    G = nn.Sequential(nn.Linear(Z_DIM, 256), nn.LeakyReLU(0.2), nn.Linear(256, 256), nn.LeakyReLU(0.2),
                      nn.Linear(256, 784), nn.Tanh())
    D = nn.Sequential(nn.Linear(784, 256), nn.LeakyReLU(0.2), nn.Linear(256, 256), nn.LeakyReLU(0.2),
                      nn.Linear(256, 1))
    return G, D


def dcgan_models(side: Side, size: int = 28):
    nn, start = side.nn, size // 4  # G's first map: a quarter of the image's side (7 for 28×28)
    G = nn.Sequential(nn.Linear(Z_DIM, 128 * start * start), nn.BatchNorm1d(128 * start * start), nn.ReLU(),
                      nn.Unflatten(1, (128, start, start)),
                      nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
                      nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())
    D = nn.Sequential(nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2),
                      nn.Conv2d(64, 128, 4, 2, 1), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
                      nn.Flatten(), nn.Linear(128 * start * start, 1))
    return G, D


def vae_models(side: Side):
    nn = side.nn
    encoder = nn.Sequential(nn.Linear(784, 400), nn.ReLU(), nn.Linear(400, 2 * LATENT))
    decoder = nn.Sequential(nn.Linear(LATENT, 400), nn.ReLU(), nn.Linear(400, 784))
    return encoder, decoder


def sentence_gan_models(side: Side, z_dim: int = 16, length: int = 12, words: int = 39, group: int = 4):
    nn, F, cat = side.nn, side.F, side.cat

    class StraightThrough(nn.Module):
        """The one-hot rows of the arg max, with the rows' gradient: one_hot − p.detach() + p."""

        def forward(self, p):
            return F.one_hot(p.argmax(-1), p.shape[-1]).float() - p.detach() + p

    class MinibatchStdDev(nn.Module):
        """(n, f) ↦ (n, f + 1): the features, and the mean over them of their standard deviation over each
        example's group of ``group`` (example i in group i mod n / group)."""

        def forward(self, x):
            n, f = x.shape
            y = x.reshape(group, n // group, f)
            y = y - y.mean(dim=0, keepdim=True)
            s = ((y * y).mean(dim=0) + 1e-8).sqrt().mean(dim=1)
            return cat([x, s.reshape(1, n // group, 1).expand(group, n // group, 1).reshape(n, 1)], 1)

    G = nn.Sequential(nn.Linear(z_dim, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                      nn.Linear(256, length * words), nn.Unflatten(1, (length, words)), nn.Softmax(dim=-1),
                      StraightThrough())
    D = nn.Sequential(nn.Flatten(), nn.Linear(length * words, 512), nn.LeakyReLU(0.2), nn.Linear(512, 512),
                      nn.LeakyReLU(0.2), MinibatchStdDev(), nn.Linear(513, 1))
    return G, D


def conditional_modules(side: Side):
    """G(z, c) and the projection D(x, c) of minigan/train/conditioning.py, as classes of ``side``'s ``nn.Module``.

    c arrives as the rows of one embedding table E (each attribute's offset already added), e(c) = Σₐ E[cₐ].
    """
    nn, cat = side.nn, side.cat

    class ConditionalGenerator(nn.Module):
        """G(z, c) = body([z, e(c)])."""

        def __init__(self, body, rows: int, dim: int):
            super().__init__()
            self.body, self.embed = body, nn.Embedding(rows, dim)

        def forward(self, z, c):
            return self.body(cat([z, self.embed(c).sum(1)], 1))

    class ProjectionDiscriminator(nn.Module):
        """D(x, c) = ψ(φ(x)) + ⟨e(c), φ(x)⟩; D(x, c, ĉ) judges x with each condition, φ(x) computed once."""

        def __init__(self, features, dim: int, rows: int):
            super().__init__()
            self.features, self.psi, self.embed = features, nn.Linear(dim, 1), nn.Embedding(rows, dim)

        def forward(self, x, c, *more):
            phi = self.features(x)
            psi = self.psi(phi)
            logits = tuple(psi + (self.embed(condition).sum(1) * phi).sum(1, keepdim=True) for condition in (c, *more))
            return logits if more else logits[0]

    return ConditionalGenerator, ProjectionDiscriminator


def cond_dcgan_models(side: Side):
    nn, rows = side.nn, sum(FACE_SIZES)
    Generator, Discriminator = conditional_modules(side)
    G = Generator(nn.Sequential(nn.Unflatten(1, (64, 1, 1)),
                                nn.ConvTranspose2d(64, 96, 4, 1, 0, bias=False), nn.BatchNorm2d(96), nn.ReLU(),
                                nn.ConvTranspose2d(96, 48, 4, 2, 1, bias=False), nn.BatchNorm2d(48), nn.ReLU(),
                                nn.ConvTranspose2d(48, 24, 4, 2, 1, bias=False), nn.BatchNorm2d(24), nn.ReLU(),
                                nn.ConvTranspose2d(24, 3, 4, 2, 1), nn.Tanh()), rows, 32)
    D = Discriminator(nn.Sequential(nn.Conv2d(3, 32, 4, 2, 1), nn.LeakyReLU(0.2),
                                    nn.Conv2d(32, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),
                                    nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
                                    nn.Flatten()), 128 * 4 * 4, rows)
    return G, D


def cond_mlp_gan_models(side: Side):
    nn, rows = side.nn, sum(DIGITS)
    Generator, Discriminator = conditional_modules(side)
    G = Generator(nn.Sequential(nn.Linear(96, 128), nn.LeakyReLU(0.2),
                                nn.Linear(128, 256), nn.BatchNorm1d(256), nn.LeakyReLU(0.2),
                                nn.Linear(256, 512), nn.BatchNorm1d(512), nn.LeakyReLU(0.2),
                                nn.Linear(512, 784), nn.Tanh()), rows, 32)
    D = Discriminator(nn.Sequential(nn.Linear(784, 512), nn.LeakyReLU(0.2), nn.Dropout(0.3),
                                    nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Dropout(0.3)), 256, rows)
    return G, D


# ---------------------------------------------------------------- the data: one fixed batch as NumPy arrays
def images(rng, batch: int, shape: tuple, low: float = -1.0):
    """A batch of random examples of ``shape``, uniform in [low, 1)."""
    return (rng.uniform(low, 1, (batch, *shape)).astype(np.float32),)


def one_hot_sentences(rng, batch: int, length: int = 12, words: int = 39):
    """Real sentences as D reads them: one one-hot row over the vocabulary per position."""
    return (np.eye(words, dtype=np.float32)[rng.integers(words, size=(batch, length))],)


def conditional_images(rng, batch: int, shape: tuple, sizes: tuple):
    """Images, their conditions c and mismatched conditions ĉ (minigan/train/conditional.py:mismatched), the
    conditions as rows of the embedding table (each attribute's offset added)."""
    (x,) = images(rng, batch, shape)
    c = np.stack([rng.integers(n, size=batch) for n in sizes], axis=1)
    offsets = np.cumsum((0,) + tuple(sizes[:-1]))
    return x, c + offsets, mismatched(c, sizes).numpy() + offsets


# ---------------------------------------------------------------- the iterations (the same code for both)
@contextlib.contextmanager
def frozen(module):
    """No gradients for ``module``'s parameters inside the block (minigan/train/shared.py:fixed)."""
    params = list(module.parameters())
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)


def gan_step(side: Side, G, D, x_real, batch: int):
    """One GAN training iteration (D step, then G step) as a function of a noise source."""
    F = side.F
    opt_D = side.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_G = side.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real, fake = side.full((batch, 1), 1.0), side.full((batch, 1), 0.0)

    def step(noise):
        # D step, G fixed: minimise BCE(D(x), real) + BCE(D(G(z)), fake)
        z = noise((batch, Z_DIM))
        with side.no_grad():
            x_tilde = G(z)
        loss_D = (F.binary_cross_entropy_with_logits(D(x_real), real)
                  + F.binary_cross_entropy_with_logits(D(x_tilde), fake))
        opt_D.zero_grad()
        loss_D.backward()
        opt_D.step()
        # G step, D fixed: non-saturating, minimise BCE(D(G(z)), real) = −log D(G(z))
        z = noise((batch, Z_DIM))
        with frozen(D):
            loss_G = F.binary_cross_entropy_with_logits(D(G(z)), real)
            opt_G.zero_grad()
            loss_G.backward()
            opt_G.step()
        return loss_D, loss_G

    return step


def vae_step(side: Side, encoder, decoder, x, batch: int):
    """One VAE training iteration as a function of a noise source."""
    F = side.F
    optimizer = side.optim.Adam(list(encoder.parameters()) + list(decoder.parameters()), lr=1e-3)

    def step(noise):
        h = encoder(x)
        m, sigma = h[:, :LATENT], h[:, LATENT:]
        # c = exp(σ) · e + m
        c = sigma.exp() * noise((batch, LATENT)) + m
        logits = decoder(c)
        reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1).mean()
        # KL(N(m, exp(2σ)) ‖ N(0, I)) = ½ Σ (exp(2σ) − (1 + 2σ) + m²)
        kl = (0.5 * ((2.0 * sigma).exp() - (1.0 + 2.0 * sigma) + m * m).sum(1)).mean()
        loss = reconstruction + kl
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return (loss,)

    return step


def wgan_gp_step(side: Side, G, D, x_real, batch: int, z_dim: int = 16, k: int = 5, penalty: float = 10.0,
                 samples: int = 64):
    """One WGAN-GP iteration (minigan/train/objectives.py:WassersteinGP): k critic steps, then one G step; the
    penalty on the first ``samples`` pairs of the batch (WassersteinGP(samples=64), the example's default)."""
    n = min(samples, batch)
    opt_D = side.optim.Adam(D.parameters(), lr=5e-4, betas=(0.0, 0.9), maximize=True)
    opt_G = side.optim.Adam(G.parameters(), lr=5e-4, betas=(0.0, 0.9), maximize=True)

    def critic_value(x_tilde, noise):
        # Ṽ = 1/m Σ D(xⁱ) − 1/m Σ D(x̃ⁱ) − λ 1/n Σ_{i ≤ n} (‖∇D(x̂ⁱ)‖ − 1)², x̂ = εx + (1 − ε)x̃, ε ~ U[0, 1] per pair
        eps = noise((n, 1, 1), uniform=True)
        x_hat = (eps * x_real[:n] + (1.0 - eps) * x_tilde[:n]).requires_grad_()
        (g,) = side.grad(D(x_hat).sum(), [x_hat], create_graph=True)
        norm = ((g * g).reshape(n, -1).sum(1) + 1e-12).sqrt()
        return D(x_real).mean() - D(x_tilde).mean() - penalty * ((norm - 1.0) ** 2).mean()

    def step(noise):
        for _ in range(k):  # the critic, G fixed: maximise Ṽ
            with side.no_grad():
                x_tilde = G(noise((batch, z_dim)))
            V_D = critic_value(x_tilde, noise)
            opt_D.zero_grad()
            V_D.backward()
            opt_D.step()
        with frozen(D):  # G, D fixed: maximise 1/m Σ D(G(zⁱ))
            V_G = D(G(noise((batch, z_dim)))).mean()
            opt_G.zero_grad()
            V_G.backward()
            opt_G.step()
        return V_D, V_G

    return step


def conditional_step(side: Side, G, D, x_real, c, c_hat, batch: int, z_dim: int, lr: float):
    """One iteration of the matching-aware conditional GAN (minigan/train/conditional.py), the lecture's Ṽ as BCE
    with logits: a D step on (x, c), (G(z, c), c) and (x, ĉ), then a G step."""
    F = side.F
    opt_D = side.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_G = side.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
    real, fake = side.full((batch, 1), 1.0), side.full((batch, 1), 0.0)

    def step(noise):
        # D step, G fixed: minimise BCE(D(x, c), real) + ½ [BCE(D(G(z, c), c), fake) + BCE(D(x, ĉ), fake)]
        with side.no_grad():
            x_tilde = G(noise((batch, z_dim)), c)
        generated = D(x_tilde, c)
        matched, mismatched_pair = D(x_real, c, c_hat)
        loss_D = (F.binary_cross_entropy_with_logits(matched, real)
                  + 0.5 * (F.binary_cross_entropy_with_logits(generated, fake)
                           + F.binary_cross_entropy_with_logits(mismatched_pair, fake)))
        opt_D.zero_grad()
        loss_D.backward()
        opt_D.step()
        # G step, D fixed: minimise BCE(D(G(z, c), c), real) = −log D(G(z, c), c)
        with frozen(D):
            loss_G = F.binary_cross_entropy_with_logits(D(G(noise((batch, z_dim)), c), c), real)
            opt_G.zero_grad()
            loss_G.backward()
            opt_G.step()
        return loss_D, loss_G

    return step


# ---------------------------------------------------------------- the configs
@dataclass
class Workload:
    """One config: its models, its batch of data and its iteration, for either library."""

    models: Callable  # side -> the models (minigan's are the reference whose weights PyTorch's load)
    data: Callable  # (rng, batch) -> NumPy arrays: the batch the iteration trains on
    step: Callable  # (side, *models, *tensors, batch=) -> step(noise) -> the losses
    batch: int  # the default batch
    image: int | None = None  # the images' side, for the configs that make images


WORKLOADS = {
    "mlp-gan": Workload(mlp_gan_models, functools.partial(images, shape=(784,)), gan_step, 64),
    "dcgan": Workload(dcgan_models, functools.partial(images, shape=(1, 28, 28)), gan_step, 64, image=28),
    "vae-mlp": Workload(vae_models, functools.partial(images, shape=(784,), low=0.0), vae_step, 128),
    "sentence-gan": Workload(sentence_gan_models, one_hot_sentences, wgan_gp_step, 256),
    "cond-dcgan": Workload(cond_dcgan_models,
                           functools.partial(conditional_images, shape=(3, 32, 32), sizes=FACE_SIZES),
                           functools.partial(conditional_step, z_dim=32, lr=2e-4), 64, image=32),
    "cond-mlp-gan": Workload(cond_mlp_gan_models, functools.partial(conditional_images, shape=(784,), sizes=DIGITS),
                             functools.partial(conditional_step, z_dim=64, lr=1e-3), 64),
}
CONFIGS = tuple(WORKLOADS)


def scaled(config: str, size: int | None) -> Workload:
    """``config``'s workload, with its images ``size`` pixels a side when given (dcgan only)."""
    workload = WORKLOADS[config]
    if size is None:
        return workload
    if config != SCALED:
        raise ValueError(f"only {SCALED} scales its image size, not {config}")
    return Workload(functools.partial(workload.models, size=size),
                    functools.partial(images, shape=(1, size, size)), workload.step, workload.batch, image=size)


def build(config: str, sides: list, batch: int, device: str, seed: int = 0, size: int | None = None,
          dropout: bool = True) -> dict:
    """{side name: step(noise) -> losses} for ``config`` (its images ``size`` a side, when given); every side starts
    from minigan's initial weights.  ``dropout=False`` turns dropout off, so that both libraries compute the same."""
    workload = scaled(config, size)
    mg.manual_seed(seed)
    reference = workload.models(minigan_side("cpu"))  # built on the CPU, so the weights are the same for every device
    weights = [{k: backend.to_numpy(v) for k, v in model.state_dict().items()} for model in reference]
    arrays = workload.data(np.random.default_rng(seed), batch)
    steps = {}
    for side in sides:
        if side.name == "minigan":
            models = reference
        else:
            models = workload.models(side)
            for model, state in zip(models, weights):
                model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()})
        models = [side.to_device(model) for model in models]
        if not dropout:
            for layer in itertools.chain.from_iterable(model.modules() for model in models):
                if isinstance(layer, side.nn.Dropout):
                    layer.p = 0.0
        data = [side.indices(a) if a.dtype.kind in "iu" else side.tensor(a) for a in arrays]
        steps[side.name] = workload.step(side, *models, *data, batch=batch)
    return steps


# ---------------------------------------------------------------- measuring
def timed(side: Side, step, clock=time.perf_counter):
    """step as a function returning the seconds one iteration took (synchronised on the GPU)."""
    def run() -> float:
        side.synchronize()
        start = clock()
        step(side.noise)
        side.synchronize()
        return clock() - start
    return run


def measure(runs: dict, repeats: int, warmup: int) -> dict:
    """Median and quartiles in ms; the runs take turns (order flipped every round) after each warms up."""
    for run in runs.values():
        for _ in range(warmup):
            run()
    names = list(runs)
    times = {name: [] for name in names}
    for r in range(repeats):
        for name in (names if r % 2 == 0 else names[::-1]):
            times[name].append(1e3 * runs[name]())
    result = {}
    for name, ts in times.items():
        q1, _, q3 = statistics.quantiles(ts, n=4) if len(ts) > 1 else (ts[0],) * 3
        result[name] = {"median_ms": statistics.median(ts), "p25_ms": q1, "p75_ms": q3}
    return result


def _memory_status_mib(field: str) -> float:
    """VmRSS (resident now) or VmHWM (the peak since the last reset) of this process, in MiB (Linux)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise OSError(f"/proc/self/status has no {field}")


def memory_probe(config: str, library: str, batch: int, size: int | None) -> float:
    """CPU: how far one library's resident memory peaks above the built model over 5 iterations.

    Run in a fresh process; the peak is reset first (``/proc/self/clear_refs``), so the imports' own peak
    does not count.
    """
    sides = [minigan_side("cpu") if library == "minigan" else torch_side("cpu")]
    step = build(config, sides, batch, "cpu", size=size)[library]
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # VmHWM := VmRSS
    before = _memory_status_mib("VmRSS")
    for _ in range(5):
        step(sides[0].noise)
    return _memory_status_mib("VmHWM") - before


def cpu_memory(config: str, library: str, batch: int, size: int | None, threads: int) -> float | None:
    command = [sys.executable, os.path.abspath(__file__), "--memory-probe", config, library, str(batch),
               str(size or 0), "--threads", str(threads)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        print(f"(memory probe for {library} {config} failed: {done.stderr.strip()[-300:]})", file=sys.stderr)
        return None
    return float(done.stdout.strip().splitlines()[-1])


class GpuMemory:
    """Growth of the memory each library's GPU allocator holds, from before the first iteration to the end."""

    def __init__(self, names):
        self.names = names
        gc.collect()  # the previous config's arrays go, so that its cached blocks can be freed
        self.pool = backend.module_for("gpu").get_default_memory_pool()
        self.pool.free_all_blocks()
        if "torch" in names:
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
        self.start = self._held()

    def _held(self) -> dict:
        held = {"minigan": self.pool.total_bytes()}
        if "torch" in self.names:
            held["torch"] = torch.cuda.max_memory_reserved()
        return held

    def growth_mib(self) -> dict:
        end = self._held()
        return {name: (end[name] - self.start[name]) / 2**20 for name in self.names}


def check(config: str, sides: list, batch: int, device: str, size: int | None = None, iterations: int = 3) -> float:
    """Largest relative difference between the libraries' losses over a few iterations with the same noise
    (and without dropout, whose masks the two libraries draw differently)."""
    steps = build(config, sides, batch, device, size=size, dropout=False)
    rng = np.random.default_rng(1)
    worst = 0.0
    for _ in range(iterations):
        draws = []  # drawn when the first library asks, replayed in the same order for the second
        losses = {}
        for side in sides:
            count = itertools.count()

            def noise(shape, uniform=False, side=side, count=count):
                i = next(count)
                if i == len(draws):
                    draws.append(rng.random(shape, dtype=np.float32) if uniform
                                 else rng.standard_normal(shape, dtype=np.float32))
                return side.tensor(draws[i])

            losses[side.name] = [float(loss.item()) for loss in steps[side.name](noise)]
        a, b = losses["minigan"], losses["torch"]
        worst = max([worst] + [abs(u - v) / max(abs(v), 1e-6) for u, v in zip(a, b)])
    return worst


def machine(device: str, threads: int) -> dict:
    info = {"cpu": _cpu_name(), "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "blas": _blas_name(),
            "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
            or f"{os.cpu_count()} (all cores)",
            "minigan": mg.__version__}
    if torch is not None:
        info.update(torch=torch.__version__, torch_threads=threads)
    if device == "gpu":
        cupy = backend.module_for("gpu")
        info.update(gpu=cupy.cuda.runtime.getDeviceProperties(0)["name"].decode(), cupy=cupy.__version__)
    return info


def _cpu_name() -> str:
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _blas_name() -> str:
    with contextlib.suppress(Exception):
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas['name']} {blas.get('version', '')}".strip()
    return "unknown"


# ---------------------------------------------------------------- main
def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "gpu"])
    parser.add_argument("--compare", choices=["torch"], help="also time the same configs in PyTorch")
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=CONFIGS)
    parser.add_argument("--scaling", action="store_true",
                        help=f"each config at every batch of --batches, and {SCALED}'s images at every side of "
                             f"--sizes (batch {SCALING_BATCH}): does the ratio grow with size?")
    parser.add_argument("--batches", type=int, nargs="+", metavar="B",
                        help="--scaling: the batches (default: 16 64 256)")
    parser.add_argument("--sizes", type=int, nargs="+", metavar="S",
                        help=f"--scaling: {SCALED}'s image sides in pixels, multiples of 4 (default: 28 32 64)")
    parser.add_argument("--repeats", type=int, help="timed iterations per library (default 30 on CPU, 50 on GPU)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed iterations first (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="PyTorch's CPU threads (default: every core, as NumPy's BLAS uses)")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="wall time (default), or this process's CPU time: steadier on a busy machine, "
                             "comparable to wall time only with one thread (--threads 1, OPENBLAS_NUM_THREADS=1)")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    output.add_argument("--markdown", action="store_true",
                        help="print the table as Markdown, ready to paste into docs/performance.md")
    parser.add_argument("--save", metavar="PATH", help="also write the results as JSON to PATH")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory measurement")
    parser.add_argument("--check", action="store_true", help="first check both libraries compute the same losses")
    parser.add_argument("--profile", choices=CONFIGS, help="profile minigan's iterations of one config (cProfile)")
    parser.add_argument("--memory-probe", nargs=4, metavar=("CONFIG", "LIBRARY", "BATCH", "SIZE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = 50 if args.device == "gpu" else 30
    if args.repeats < 1 or args.warmup < 0:
        parser.error("--repeats must be at least 1 and --warmup at least 0")
    if args.clock == "cpu" and args.device == "gpu":
        parser.error("--clock cpu measures the CPU's work only: use the wall clock on the GPU")
    if not args.scaling and (args.batches or args.sizes):
        parser.error("--batches and --sizes say what --scaling sweeps: add --scaling")
    if args.sizes and SCALED not in args.configs:
        parser.error(f"--sizes scales {SCALED}'s images: add {SCALED} to --configs")
    args.batches, args.sizes = args.batches or [16, 64, 256], args.sizes or [28, 32, 64]
    if min(args.batches) < 2:
        parser.error(f"--batches {' '.join(map(str, args.batches))}: each at least 2 (batch norm needs two examples)")
    if any(size < 4 or size % 4 for size in args.sizes):
        parser.error(f"--sizes {' '.join(map(str, args.sizes))}: multiples of 4 (G's first map is a quarter "
                     "of the image's side)")
    return args


def jobs(args) -> list:
    """(config, batch, image side or None for the config's own) of each row of the table, in order."""
    if not args.scaling:
        batches = [None, GPU_BATCH] if args.device == "gpu" else [None]
        return [(config, batch or WORKLOADS[config].batch, None) for config in args.configs for batch in batches]
    rows = [(config, batch, WORKLOADS[config].image if config == SCALED else None)
            for config in args.configs for batch in args.batches]
    if SCALED in args.configs:
        rows += [(SCALED, SCALING_BATCH, size) for size in args.sizes if (SCALED, SCALING_BATCH, size) not in rows]
    return rows


def main(argv=None) -> None:
    args = parse_args(argv)
    if torch is not None:
        torch.set_num_threads(args.threads)
    if args.memory_probe:
        config, library, batch, size = args.memory_probe
        print(memory_probe(config, library, int(batch), int(size) or None))
        return
    if args.device == "gpu" and not backend.gpu_available():
        sys.exit("bench_train_step: --device gpu needs CuPy and a CUDA GPU; " + (
            "CuPy is not installed" if backend._cupy is None else "CuPy sees no GPU"))
    if args.compare == "torch" and torch is None:
        sys.exit("bench_train_step: --compare torch needs PyTorch, which is not installed in this environment "
                 "(pip install torch, or run without --compare)")
    if args.compare == "torch" and args.device == "gpu" and not torch.cuda.is_available():
        sys.exit("bench_train_step: --compare torch on the GPU needs a CUDA build of PyTorch that sees the GPU")
    if args.profile:
        clock = time.process_time if args.clock == "cpu" else time.perf_counter
        profile(args.profile, args.device, args.repeats, clock)
        return

    sides = [minigan_side(args.device)] + ([torch_side(args.device)] if args.compare == "torch" else [])
    rows = []
    for config, batch, size in jobs(args):
        row = {"config": config, "batch": batch, "image": size or WORKLOADS[config].image}
        if args.check and len(sides) == 2:
            row["check_max_rel_diff"] = check(config, sides, batch, args.device, size)
        steps = build(config, sides, batch, args.device, size=size)
        gpu_memory = GpuMemory([s.name for s in sides]) if args.device == "gpu" else None
        clock = time.process_time if args.clock == "cpu" else time.perf_counter
        results = measure({s.name: timed(s, steps[s.name], clock) for s in sides}, args.repeats, args.warmup)
        del steps
        for name, result in results.items():
            if args.no_memory:
                result["peak_mib"] = None
            elif gpu_memory is not None:
                result["peak_mib"] = gpu_memory.growth_mib()[name]
            else:
                result["peak_mib"] = cpu_memory(config, name, batch, size, args.threads)
            row[name] = result
        if "torch" in row:
            row["ratio"] = row["minigan"]["median_ms"] / row["torch"]["median_ms"]
        rows.append(row)
        if not args.json:
            print_row(row, first=len(rows) == 1, args=args)
    report = {"machine": machine(args.device, args.threads), "device": args.device, "clock": args.clock,
              "repeats": args.repeats, "warmup": args.warmup, "scaling": args.scaling,
              "date": time.strftime("%Y-%m-%d"), "results": rows}
    if args.json:
        print(json.dumps(report, indent=2))
    if args.save:
        with open(args.save, "w") as f:
            json.dump(report, f, indent=2)


def print_row(row: dict, first: bool, args) -> None:
    """One row of the table, as text or as Markdown; before the first, the machine and the header."""
    libraries = ("minigan", "torch") if args.compare else ("minigan",)
    if first:
        info = machine(args.device, args.threads)
        where = info.get("gpu", f"{info['cpu']}, {info['cores']} cores")
        print(f"{where}; NumPy {info['numpy']} ({info['blas']}, threads {info['blas_threads']})"
              + (f"; PyTorch {info['torch']} ({args.threads} threads)" if args.compare else ""))
        print(f"median ms ({args.clock} clock) per training iteration of {args.repeats} timed after "
              f"{args.warmup} warm-up [quartiles]; peak MiB over the built model" + ("\n" if args.markdown else ""))
        print(_markdown_header(libraries, args.check) if args.markdown else _text_header(libraries))
    image = f"{row['image']}×{row['image']}" if row["image"] else "–"
    cells = [row["config"], str(row["batch"]), image]
    for name in libraries:
        r = row[name]
        cells += [f"{r['median_ms']:.2f} [{r['p25_ms']:.2f}–{r['p75_ms']:.2f}]",
                  f"{r['peak_mib']:.0f}" if r["peak_mib"] is not None else "–"]
    if "ratio" in row:
        cells.append(f"{row['ratio']:.2f}")
    if "check_max_rel_diff" in row:
        cells.append(f"{row['check_max_rel_diff']:.1e}")
    if args.markdown:
        print("| " + " | ".join(cells) + " |", flush=True)
        return
    widths = [13, 6, 8] + [26, 7] * len(libraries) + [7]
    line = f"{cells[0]:{widths[0]}}" + "".join(f" {cell:>{width - 1}}" for cell, width in zip(cells[1:], widths[1:]))
    if "check_max_rel_diff" in row:
        line += f"   (losses agree to {cells[-1]})"
    print(line, flush=True)


def _text_header(libraries) -> str:
    header = f"{'config':13}{'batch':>6}{'image':>8}{'minigan ms':>26}{'MiB':>7}"
    if "torch" in libraries:
        header += f"{'torch ms':>26}{'MiB':>7}{'ratio':>7}"
    return header


def _markdown_header(libraries, check: bool) -> str:
    names = {"minigan": "minigan", "torch": "PyTorch"}
    columns = ["config", "batch", "image"] + [f"{names[n]} {what}" for n in libraries for what in ("ms", "MiB")]
    columns += (["ratio"] if "torch" in libraries else []) + (["losses agree to"] if check and len(libraries) == 2
                                                               else [])
    return "| " + " | ".join(columns) + " |\n" + "|" + " --- |" * len(columns)


def profile(config: str, device: str, repeats: int, clock) -> None:
    """Where minigan's time goes in ``config``: cProfile over the timed iterations, by own time, then
    minigan's functions by cumulative time (which layer or op the time is spent under)."""
    side = minigan_side(device)
    run = timed(side, build(config, [side], WORKLOADS[config].batch, device)["minigan"])
    for _ in range(3):
        run()
    profiler = cProfile.Profile(clock)
    profiler.enable()
    for _ in range(repeats):
        run()
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats("minigan", 30)


if __name__ == "__main__":
    main()
