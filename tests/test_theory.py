"""Section 11 in numbers: D* = P_data / (P_data + P_G) and V(G, D*) = −2 log 2 + 2 JSD(P_data ‖ P_G)."""
import math

import numpy as np
import pytest

import minigan as mg
from minigan import functional as F
from minigan import nn, optim
from minigan.data.toy import Gaussian1D
from minigan.metrics import gaussian_kde
from minigan.theory import (
    jensen_shannon, kl_divergence_on_grid, normal_pdf, optimal_discriminator, value_function,
)
from minigan.train.objectives import Lecture

GRID = np.linspace(-10, 16, 20001)
DX = GRID[1] - GRID[0]
DATA = Gaussian1D(4.0, 1.25)


def log_normal(x, mean, std):
    return -0.5 * ((x - mean) / std) ** 2 - math.log(std * math.sqrt(2 * math.pi))


def expect_under_normal(f, mean, std, points=100):
    """E_{x~N(mean, std²)}[f(x)] by Gauss–Hermite quadrature: an integration independent of the grid."""
    t, w = np.polynomial.hermite.hermgauss(points)
    return float(np.sum(w * f(mean + math.sqrt(2) * std * t)) / math.sqrt(math.pi))


@pytest.mark.parametrize("g_mean, g_std", [(2.0, 1.0), (4.0, 1.25), (6.0, 0.5), (-1.0, 2.0)])
def test_value_at_optimal_discriminator_is_minus_2log2_plus_2jsd(g_mean, g_std):
    """V(G, D*) by quadrature under each distribution vs −2 log 2 + 2 JSD summed on a grid: within 1e-3."""
    def log_p_data(x):
        return log_normal(x, DATA.mean, DATA.std)

    def log_p_g(x):
        return log_normal(x, g_mean, g_std)

    # log D* = log P_data − log(P_data + P_G) and log(1 − D*) = log P_G − log(P_data + P_G), in logs so that
    # the quadrature's far nodes, where a density underflows, stay finite
    def log_d_star(x):
        return log_p_data(x) - np.logaddexp(log_p_data(x), log_p_g(x))

    def log_one_minus_d_star(x):
        return log_p_g(x) - np.logaddexp(log_p_data(x), log_p_g(x))

    # V(G, D*) = E_{x~P_data}[log D*(x)] + E_{x~P_G}[log(1 − D*(x))]
    V = (expect_under_normal(log_d_star, DATA.mean, DATA.std)
         + expect_under_normal(log_one_minus_d_star, g_mean, g_std))
    jsd = jensen_shannon(DATA.pdf(GRID), normal_pdf(GRID, g_mean, g_std), DX)
    assert V == pytest.approx(-2 * math.log(2) + 2 * jsd, abs=1e-3)
    assert 0 <= jsd <= math.log(2)


def test_value_with_an_estimated_generator_density(device):
    """P_G of a (linear) minigan generator estimated by a KDE of its samples: the identity still holds, and
    the estimate is close to the exact JSD of the N(b, w²) the generator produces, smoothed by the kernel."""
    G = nn.Linear(1, 1)
    with mg.no_grad():
        G.weight.copy_(mg.tensor([[0.8]]))
        G.bias.copy_(mg.tensor([2.5]))
        samples = G(mg.randn(5000, 1)).numpy().reshape(-1)
    grid = np.linspace(-1, 7, 801)  # P_G / P_data > 1e-8 on it (see test_optimal_discriminator_maximises_V)
    dx = grid[1] - grid[0]
    # a bandwidth wider than Scott's keeps the estimate's tails above 1e-16 of P_data on the grid
    p_data, p_g = DATA.pdf(grid), gaussian_kde(samples, grid, bandwidth=0.3)
    # the identity needs densities that integrate to 1 over the grid: renormalise what the grid cuts off
    p_data, p_g = p_data / (p_data.sum() * dx), p_g / (p_g.sum() * dx)
    V = value_function(p_data, p_g, optimal_discriminator(p_data, p_g), dx)
    jsd = jensen_shannon(p_data, p_g, dx)
    assert V == pytest.approx(-2 * math.log(2) + 2 * jsd, abs=1e-3)
    # a KDE of N(b, w²) samples estimates N(b, w²) smoothed by the kernel, N(b, w² + h²): compared with that,
    # what is left is the sampling noise of 5000 samples (about 0.002 in the JSD)
    smoothed = jensen_shannon(p_data, normal_pdf(grid, 2.5, math.hypot(0.8, 0.3)), dx)
    assert jsd == pytest.approx(smoothed, abs=0.006)


def test_optimal_discriminator_maximises_V():
    # a grid where P_G / P_data stays above 1e-8: beyond it D* rounds to 1 and log(1 − D*) to −inf
    grid = np.linspace(-2, 9, 2201)
    dx = grid[1] - grid[0]
    p_data, p_g = DATA.pdf(grid), normal_pdf(grid, 2.0, 1.0)
    p_data, p_g = p_data / (p_data.sum() * dx), p_g / (p_g.sum() * dx)  # densities over the grid
    d_star = optimal_discriminator(p_data, p_g)
    best = value_function(p_data, p_g, d_star, dx)
    assert best == pytest.approx(-2 * math.log(2) + 2 * jensen_shannon(p_data, p_g, dx), abs=1e-9)
    rng = np.random.default_rng(0)
    for _ in range(5):
        other = np.clip(d_star + 0.05 * rng.standard_normal(grid.shape), 1e-6, 1 - 1e-6)
        assert value_function(p_data, p_g, other, dx) < best
    # G = data: D* = 1/2 everywhere and V = −2 log 2, the global minimum over G
    same = optimal_discriminator(p_data, p_data)
    np.testing.assert_allclose(same, 0.5)
    assert value_function(p_data, p_data, same, dx) == pytest.approx(-2 * math.log(2), abs=1e-9)


def test_divergences_against_closed_forms():
    p, q = normal_pdf(GRID, 1.0, 1.0), normal_pdf(GRID, 2.0, 1.5)
    # KL(N(μ₁, σ₁²) ‖ N(μ₂, σ₂²)) = log(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²) / (2σ₂²) − ½
    expected = math.log(1.5) + (1 + 1) / (2 * 1.5**2) - 0.5
    assert kl_divergence_on_grid(p, q, DX) == pytest.approx(expected, abs=1e-6)
    assert jensen_shannon(p, p, DX) == pytest.approx(0.0, abs=1e-12)
    far = normal_pdf(GRID, 14.0, 0.3)  # no overlap within float precision: JSD = log 2
    assert jensen_shannon(normal_pdf(GRID, -8.0, 0.3), far, DX) == pytest.approx(math.log(2), abs=1e-6)
    assert jensen_shannon(p, q, DX) == pytest.approx(jensen_shannon(q, p, DX), abs=1e-12)  # symmetric


def test_trained_discriminator_approaches_the_optimal_one(device):
    """Maximising the lecture's Ṽ over D (fixed P_G) gives D ≈ D* = P_data / (P_data + P_G)."""
    mg.manual_seed(0)
    g = Gaussian1D(2.0, 1.0)
    D = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 1))
    opt = optim.Adam(D.parameters(), lr=1e-2, maximize=True)
    objective = Lecture()
    for step in range(400):
        V, _, _ = objective.discriminator(D, DATA.sample(512), g.sample(512))
        opt.zero_grad()
        V.backward()
        opt.step()
    x = np.linspace(0.5, 5.5, 51)  # where both densities have mass
    with mg.no_grad():
        d = F.sigmoid(D(mg.tensor(x[:, None]))).numpy().reshape(-1)
    d_star = optimal_discriminator(DATA.pdf(x), g.pdf(x))
    assert np.max(np.abs(d - d_star)) < 0.06
    # and its Ṽ approaches max_D V = −2 log 2 + 2 JSD
    jsd = jensen_shannon(DATA.pdf(GRID), g.pdf(GRID), DX)
    assert V.item() == pytest.approx(-2 * math.log(2) + 2 * jsd, abs=0.05)
