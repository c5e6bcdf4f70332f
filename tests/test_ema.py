"""The moving average of G's weights (minigan/train/ema.py): the formula, its warm-up, buffers, dtypes,
checkpoints, and its place in the GAN loop."""
import numpy as np
import pytest

import minigan as mg
from minigan import nn, optim
from minigan.train import AveragedModel, load_checkpoint, save_checkpoint, train_gan


def small_g():
    return nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Linear(3, 1))


def weights(model):
    return [p.numpy().copy() for p in model.parameters()]


def test_average_follows_the_formula_with_its_warm_up(device):
    G = small_g()
    average = AveragedModel(G, decay=0.9)
    expected = None
    for n in range(30):
        with mg.no_grad():
            for p in G.parameters():
                p.data[...] = mg.randn(*p.shape).data
        theta = weights(G)
        # θ̄ ← β θ̄ + (1 − β) θ, β = min(decay, (1 + n) / (10 + n)); the first update copies θ
        beta = 0.0 if n == 0 else min(0.9, (1 + n) / (10 + n))
        expected = theta if expected is None else [beta * a + (1 - beta) * t for a, t in zip(expected, theta)]
        average.update_parameters(G)
    for got, want in zip(weights(average.module), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        assert got.dtype == np.float32
    assert int(average.n_averaged.item()) == 30


def test_buffers_are_copied_and_the_average_is_never_trained(device):
    G = small_g()
    average = AveragedModel(G)
    G(mg.randn(8, 2))  # a training-mode pass moves batch norm's running statistics
    average.update_parameters(G)
    np.testing.assert_array_equal(average.module[1].running_mean.numpy(), G[1].running_mean.numpy())
    assert all(not p.requires_grad for p in average.module.parameters())
    assert [n for n, _ in average.named_parameters()] == [f"module.{n}" for n, _ in G.named_parameters()]
    out = average(mg.randn(4, 2))
    assert out.shape == (4, 1) and out.dtype == np.float32


def test_float64_models_stay_float64():
    G = small_g().double()
    average = AveragedModel(G, 0.5)
    average.update_parameters(G)
    average.update_parameters(G)
    assert all(p.dtype == np.float64 for p in average.parameters())


def test_bad_arguments_are_named():
    G = small_g()
    with pytest.raises(ValueError, match=r"decay must be in \[0, 1\), got 1.0"):
        AveragedModel(G, decay=1.0)
    with pytest.raises(TypeError, match="model must be an nn.Module, got list"):
        AveragedModel([G])
    with pytest.raises(ValueError, match="does not have the parameters"):
        AveragedModel(G).update_parameters(nn.Linear(2, 1))


def test_a_checkpoint_keeps_the_average(tmp_path):
    mg.manual_seed(0)
    G = small_g()
    average = AveragedModel(G, 0.99)
    for _ in range(3):
        average.update_parameters(G)
    save_checkpoint(tmp_path / "run.npz", 3, {"G": G, "G_average": average}, {})
    mg.manual_seed(1)
    G2 = small_g()
    restored = AveragedModel(G2, 0.99)
    load_checkpoint(tmp_path / "run.npz", {"G": G2, "G_average": restored}, {})
    for a, b in zip(weights(average), weights(restored)):
        np.testing.assert_array_equal(a, b)
    assert int(restored.n_averaged.item()) == 3


def test_the_gan_loop_updates_the_average_once_per_iteration():
    mg.manual_seed(0)
    G = nn.Sequential(nn.Linear(2, 4), nn.LeakyReLU(0.2), nn.Linear(4, 1))
    D = nn.Sequential(nn.Linear(1, 4), nn.LeakyReLU(0.2), nn.Linear(4, 1))
    opt_D = optim.Adam(D.parameters(), lr=1e-2, maximize=True)
    opt_G = optim.Adam(G.parameters(), lr=1e-2, maximize=True)
    average = AveragedModel(G, 0.5)
    trajectory = []
    train_gan(G, D, lambda m: mg.randn(m, 1) + 4, lambda m: mg.randn(m, 2), opt_D, opt_G, steps=5, m=8, k=2,
              progress=False, average=average, callback=lambda step, h: trajectory.append(weights(G)))
    assert int(average.n_averaged.item()) == 5
    expected = trajectory[0]
    for n, theta in enumerate(trajectory[1:], start=1):
        beta = min(0.5, (1 + n) / (10 + n))
        expected = [beta * a + (1 - beta) * t for a, t in zip(expected, theta)]
    for got, want in zip(weights(average.module), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
