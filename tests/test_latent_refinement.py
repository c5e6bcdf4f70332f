"""Sections 10 and 11: G proposes, D corrects — Langevin dynamics on E(z) = ½‖z‖² − β·logit D(G(z))."""

import numpy as np
import pytest

import minigan as mg
from minigan import nn
from minigan.train import refine_latents


class Shift(nn.Module):
    """A generator G(z) = z + c, with a parameter (to check it gets no gradient)."""

    def __init__(self, c: float):
        super().__init__()
        self.c = nn.Parameter(mg.tensor([c]))

    def forward(self, z):
        return z + self.c


def log_ratio_discriminator(mu: float) -> nn.Module:
    """The optimal D's logit for P_data = N(mu, 1) against P_G = N(0, 1): l(x) = log P_data − log P_G = mu·x − mu²/2."""
    D = nn.Linear(1, 1)
    D.weight.data[...] = mu
    D.bias.data[...] = -mu * mu / 2
    return D


@pytest.mark.parametrize("beta", [1.0, 2.0])
def test_langevin_with_the_optimal_discriminator_samples_the_data(beta, device):
    """G = identity, so P_G = P_prior = N(0, 1); with D* for data N(0.8, 1) the refined z's must follow
    P_prior · e^{β l} ∝ N(β·0.8, 1).  Unadjusted Langevin with step ε on a unit Gaussian has stationary
    variance 1 / (1 − ε/4), a known bias of 1.3 % at ε = 0.05."""
    mu, eps = 0.8, 0.05
    G, D = Shift(0.0), log_ratio_discriminator(mu)
    z = refine_latents(G, D, mg.randn(20_000, 1), steps=400, step_size=eps, beta=beta, batch=5_000)
    assert z.shape == (20_000, 1) and z.device == device and z.dtype == np.float32
    values = z.numpy().astype(np.float64)[:, 0]
    # standard error of the mean ≈ 1/√20000 = 0.007
    assert values.mean() == pytest.approx(beta * mu, abs=0.03)
    assert values.var() == pytest.approx(1 / (1 - eps / 4), abs=0.04)


def test_zero_beta_leaves_the_prior_and_zero_steps_the_input(device):
    G, D = Shift(0.0), log_ratio_discriminator(2.0)
    z0 = mg.randn(5_000, 1)
    assert np.array_equal(refine_latents(G, D, z0, steps=0).numpy(), z0.numpy())
    prior = refine_latents(G, D, z0, steps=200, step_size=0.1, beta=0.0).numpy()
    assert abs(prior.mean()) < 0.06 and prior.var() == pytest.approx(1 / (1 - 0.1 / 4), abs=0.08)


def test_refinement_raises_what_the_discriminator_says(device):
    """On a trained-looking pair: every step uses ∇ through D and G, and the mean logit goes up."""
    mg.manual_seed(1)
    G = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.LeakyReLU(0.2), nn.Linear(16, 6))
    D = nn.Sequential(nn.Linear(6, 16), nn.LeakyReLU(0.2), nn.Dropout(0.5), nn.Linear(16, 1))
    D[3].weight.data *= 10  # logits that vary by a few units over G's outputs
    G(mg.randn(64, 4))  # batch norm's running statistics, then both in evaluation mode for the comparison
    G.eval()
    D.eval()
    z0 = mg.randn(300, 4)
    with mg.no_grad():
        before = D(G(z0)).numpy().mean()
    z = refine_latents(G, D, z0, steps=30, step_size=0.1, beta=5.0)
    with mg.no_grad():
        after = D(G(z)).numpy().mean()
    assert after > before + 0.5


def test_networks_are_left_as_they_were(device):
    G = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.Tanh())
    D = nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.3), nn.Linear(8, 1))
    before = {**{"G" + k: np.array(v) for k, v in G.state_dict().items()},
              **{"D" + k: np.array(v) for k, v in D.state_dict().items()}}
    D.eval()
    refine_latents(G, D, mg.randn(10, 3), steps=3)
    assert G.training and not D.training  # each back in the mode it was in
    after = {**{"G" + k: np.array(v) for k, v in G.state_dict().items()},
             **{"D" + k: np.array(v) for k, v in D.state_dict().items()}}
    for key, value in before.items():  # no parameter moved, no running statistic was updated
        assert np.array_equal(value, after[key]), key
    for p in list(G.parameters()) + list(D.parameters()):
        assert p.requires_grad and p.grad is None


def test_float32_stays_float32_and_numpy_input_is_taken_like_mg_tensor(device):
    G, D = Shift(0.5), log_ratio_discriminator(1.0)
    z = refine_latents(G, D, mg.zeros(7, 1), steps=2)
    assert z.dtype == np.float32 and z.shape == (7, 1) and z.device == device
    z = refine_latents(G, D, np.zeros((7, 1)), steps=2)  # float64 NumPy: the default dtype and device, as mg.tensor
    assert z.dtype == np.float32 and z.device == device


@pytest.mark.parametrize("kwargs, message", [
    ({"steps": -1}, "steps must be at least 0"),
    ({"step_size": 0.0}, "step_size must be positive"),
    ({"beta": -1.0}, "beta must be non-negative"),
    ({"batch": 0}, "batch must be at least 1"),
])
def test_bad_settings_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        refine_latents(Shift(0.0), log_ratio_discriminator(1.0), mg.randn(4, 1), **kwargs)


def test_z_must_be_a_matrix():
    with pytest.raises(ValueError, match=r"z must be \(n, z_dim\), got shape \(4,\)"):
        refine_latents(Shift(0.0), log_ratio_discriminator(1.0), mg.randn(4))
