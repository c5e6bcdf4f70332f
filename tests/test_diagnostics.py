"""The diagnostics of a GAN run: gradient norms per layer of D and G, recorded without changing the run."""
import math

import numpy as np
import pytest

import minigan as mg
from minigan import nn, optim
from minigan.data.toy import Gaussian1D
from minigan.plot import diagnostics_figure
from minigan.train import train_gan
from minigan.train.diagnostics import GradientNorms, layer_gradient_norms
from minigan.train.objectives import Lecture


def networks():
    G = nn.Sequential(nn.Linear(2, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
    D = nn.Sequential(nn.Linear(1, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
    return G, D


def test_layer_gradient_norms_join_weight_and_bias_of_each_layer():
    mg.manual_seed(0)
    G, _ = networks()
    G(mg.randn(16, 2)).sum().backward()
    norms = layer_gradient_norms(G)
    assert list(norms) == ["0 Linear", "2 Linear"]
    first = G[0]
    expected = math.sqrt(float((first.weight.grad.numpy() ** 2).sum() + (first.bias.grad.numpy() ** 2).sum()))
    assert norms["0 Linear"] == pytest.approx(expected, rel=1e-6)


def train(callback=None, steps=12):
    mg.manual_seed(0)
    G, D = networks()
    opt_D = optim.Adam(D.parameters(), lr=1e-2, maximize=True)
    opt_G = optim.Adam(G.parameters(), lr=1e-2, maximize=True)
    norms = GradientNorms(G, D, steps, points=4) if callback else None
    history = train_gan(G, D, Gaussian1D().sample, lambda m: mg.randn(m, 2), opt_D, opt_G, steps=steps, m=32,
                        progress=False, callback=norms)
    with mg.no_grad():
        return history, G(mg.randn(50, 2)).numpy()


def test_gradient_norms_are_recorded_every_so_often_and_change_nothing(tmp_path):
    history, samples = train(callback=True)
    record = history["grad_norm"]
    assert record["step"] == [3, 6, 9, 12]
    assert set(record["D"]) == {"0 Linear", "2 Linear"} and all(len(v) == 4 for v in record["G"].values())
    assert all(v > 0 for values in record["D"].values() for v in values)
    _, unwatched = train()
    np.testing.assert_array_equal(samples, unwatched)
    diagnostics_figure(history, tmp_path / "diagnostics.png")
    assert (tmp_path / "diagnostics.png").stat().st_size > 0


def test_a_confident_d_starves_the_minimax_g_but_not_the_log_d_one():
    """Section 11: where D(G(z)) ≈ 0, log(1 − D(G(z))) is flat and log D(G(z)) is steep; the diagnostics show
    it as G's gradient norm."""
    mg.manual_seed(0)
    G, _ = networks()
    D = nn.Sequential(nn.Linear(1, 1))
    with mg.no_grad():
        D[0].weight.data[...] = 0.0
        D[0].bias.data[...] = -8.0  # D(x) = σ(−8) ≈ 0.0003 everywhere: every x̃ is rejected
    z = mg.randn(64, 2)
    norms = {}
    for generator in ("log D", "minimax"):
        G.zero_grad()
        D[0].weight.data[...] = 1.0  # D's output depends on x, so G has a gradient at all
        V, _ = Lecture(generator).generator_value(D, G(z) - 20.0)
        V.backward()
        norms[generator] = sum(layer_gradient_norms(G).values())
    assert norms["minimax"] < 1e-3 * norms["log D"]
