"""Section 9: generation by a discriminator alone (arg max by enumeration and by gradient ascent)."""

import numpy as np
import pytest

import minigan as mg
from minigan import nn, optim
from minigan.data.toy import Gaussian1D
from minigan.metrics import ks_statistic
from minigan.train.discriminator_generation import (
    argmax_by_enumeration, argmax_by_gradient_ascent, discriminator_generation, train_discriminator,
)


class Bump(nn.Module):
    """logit(x) = −‖x − c‖²: one hill with its top at c."""

    def __init__(self, centre):
        super().__init__()
        self.scale = nn.Parameter(mg.ones(1))  # a parameter, to check that gradient ascent leaves it alone
        self.centre = mg.tensor(centre)

    def forward(self, x):
        return -(self.scale * ((x - self.centre) ** 2)).sum(axis=1, keepdims=True)


def test_enumeration_over_the_whole_grid_is_the_arg_max(device):
    grid = mg.tensor(np.linspace(-5, 5, 101)[:, None])
    x_tilde = argmax_by_enumeration(Bump([1.3]), grid, n=7, k=101)
    assert x_tilde.shape == (7, 1) and x_tilde.device == device
    np.testing.assert_allclose(x_tilde.numpy(), 1.3, atol=1e-6)  # the grid point at the top


def test_enumeration_of_k_random_points_keeps_the_best_of_k(device):
    """With D increasing in x on a grid over [0, 1], the best of k uniform points has CDF uᵏ, mean k/(k+1)."""
    grid = mg.tensor(np.linspace(0, 1, 1001)[:, None])
    D = nn.Linear(1, 1)
    with mg.no_grad():
        D.weight.copy_(mg.tensor([[1.0]]))
    for k in (1, 3):
        x = argmax_by_enumeration(D, grid, n=4000, k=k).numpy()
        assert ks_statistic(x, cdf=lambda u, k=k: np.clip(u, 0, 1) ** k) < 0.03
    with pytest.raises(ValueError, match="between 1 and the 1001 candidates, got 0"):
        argmax_by_enumeration(D, grid, n=1, k=0)


def test_gradient_ascent_climbs_to_the_top_and_leaves_d_alone(device):
    D = Bump([0.5, -0.3])
    starts = mg.rand(50, 2) * 4 - 2
    x = argmax_by_gradient_ascent(D, starts, steps=200, lr=0.1, low=-2, high=2)
    np.testing.assert_allclose(x.numpy(), np.tile([0.5, -0.3], (50, 1)), atol=1e-4)
    assert D.scale.requires_grad and D.scale.grad is None
    # a top outside the box: the climb stops at the box's edge
    x = argmax_by_gradient_ascent(Bump([5.0, 5.0]), starts, steps=100, lr=0.1, low=-2, high=2)
    np.testing.assert_allclose(x.numpy(), 2.0)


def test_train_discriminator_scores_positives_high_and_negatives_low(device):
    mg.manual_seed(0)
    D = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 1))
    opt = optim.Adam(D.parameters(), lr=1e-2, maximize=True)
    positives, negatives = mg.randn(500, 1) + 3.0, mg.randn(500, 1) - 3.0
    V = train_discriminator(D, opt, positives, negatives, steps=100, m=128)
    assert V > -0.1  # Ṽ → 0 when the two sets are told apart perfectly (log 1 + log 1)
    with mg.no_grad():
        assert D(mg.tensor([[3.0]])).item() > 2 and D(mg.tensor([[-3.0]])).item() < -2
    with pytest.raises(ValueError, match="steps must be at least 1, got 0"):
        train_discriminator(D, opt, positives, negatives, steps=0)


def test_one_dimensional_generation_matches_the_positives(device):
    """The issue's number: after the last round the negatives' distribution has KS < 0.1 to the positives'."""
    mg.manual_seed(0)
    data = Gaussian1D()
    positives = data.sample(1000)
    grid = mg.tensor(np.linspace(-2, 10, 601)[:, None])
    start = mg.rand(300, 1) * 12 - 2  # random negatives over X = [−2, 10]
    D = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
    opt = optim.Adam(D.parameters(), lr=3e-3, betas=(0.5, 0.999), maximize=True)
    rounds = []
    history = discriminator_generation(D, opt, positives, start, lambda D: argmax_by_enumeration(D, grid, 300, 5),
                                       rounds=12, steps=100, m=128, progress=False,
                                       callback=lambda r, history: rounds.append(len(history["negatives"].data)))
    assert rounds == [300 * (r + 1) for r in range(12)]  # every generated negative is kept
    assert ks_statistic(history["negatives"].numpy(), positives.numpy()) < 0.1
    assert ks_statistic(start.numpy(), positives.numpy()) > 0.2  # where it started


def test_without_keep_only_the_last_round_is_the_negatives(device):
    D = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 1))
    opt = optim.Adam(D.parameters(), lr=1e-2, maximize=True)
    grid = mg.tensor(np.linspace(-3, 3, 61)[:, None])
    history = discriminator_generation(D, opt, mg.randn(100, 1), mg.randn(50, 1) * 3,
                                       lambda D: argmax_by_enumeration(D, grid, 40, 3), rounds=3, steps=5,
                                       keep=False, progress=False)
    assert history["negatives"] is history["x_tilde"] and history["negatives"].shape == (40, 1)
    assert len(history["V"]) == 3


def test_a_run_continued_from_its_history_is_the_run_never_stopped(device):
    """start_round and history continue the loop: rounds 0–1, then 2–3, are the four rounds at once (the history
    holds the pool of negatives; the negatives passed in only start round 0)."""
    grid = mg.tensor(np.linspace(-3, 3, 61)[:, None])
    histories = []
    for stops in ([4], [2, 4]):
        mg.manual_seed(0)
        D = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 1))
        opt = optim.Adam(D.parameters(), lr=1e-2, maximize=True)
        positives, start = mg.randn(100, 1), mg.randn(50, 1) * 3
        history, seen = None, []
        for begin, end in zip([0, *stops], stops):
            history = discriminator_generation(D, opt, positives, start if begin == 0 else None,
                                               lambda D: argmax_by_enumeration(D, grid, 20, 3), rounds=end, steps=3,
                                               m=16, progress=False, start_round=begin, history=history,
                                               callback=lambda r, history: seen.append(r))
        assert seen == [0, 1, 2, 3]
        histories.append(history)
    whole, parts = histories
    assert whole["V"] == parts["V"] and whole["negatives"].shape == (4 * 20, 1)
    np.testing.assert_array_equal(parts["negatives"].numpy(), whole["negatives"].numpy())


@pytest.mark.parametrize("dim", ["1", "2"])
def test_discriminator_generates_example_writes_figure_samples_and_metrics(run_example, tmp_path, device, dim):
    metrics = run_example("discriminator_generates", ["--device", device, "--dim", dim, "--out", str(tmp_path),
                                                      "--rounds", "3", "--steps", "5", "--negatives", "40",
                                                      "--ascent-steps", "2", "--no-progress"])
    for name in (f"rounds_{dim}d.png", "samples.npy", "metrics.json"):
        assert (tmp_path / name).is_file(), name
    assert np.load(tmp_path / "samples.npy").shape == (3 * 40, int(dim))  # every round's negatives are kept
    assert len(metrics["V_per_round"]) == 3
