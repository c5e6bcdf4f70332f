"""The 2-D mixture benchmarks (ring, grid) and the VEEGAN/PacGAN mode metrics."""
import json
import math

import numpy as np
import pytest

import minigan as mg
from minigan.data.mixtures import GaussianMixture2D, grid, ring
from minigan.metrics.modes import N_SAMPLES, mode_metrics, nearest_mode


def test_ring_has_eight_distinct_modes_at_angles_2pi_k_over_8():
    data = ring()
    assert data.modes.shape == (8, 2) and data.std == 0.01
    np.testing.assert_allclose(np.linalg.norm(data.modes, axis=1), 1.0)
    angles = np.mod(np.arctan2(data.modes[:, 1], data.modes[:, 0]), 2 * np.pi)
    np.testing.assert_allclose(np.sort(angles), 2 * np.pi * np.arange(8) / 8, atol=1e-12)
    # neighbours are 2 sin(π/8) apart: no two modes coincide (linspace(0, 2π, 8) would give a double mode)
    gaps = np.linalg.norm(data.modes[:, None] - data.modes[None], axis=2) + np.eye(8) * 10
    np.testing.assert_allclose(gaps.min(), 2 * math.sin(math.pi / 8))


def test_grid_has_25_modes_on_minus4_to_4_squared():
    data = grid()
    assert data.modes.shape == (25, 2) and data.std == 0.05
    assert {tuple(m) for m in data.modes} == {(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)}


def test_overall_std_is_the_pooled_standard_deviation_of_the_samples():
    for data in (ring(), grid()):
        x = np.asarray(data.sample(20000).numpy(), dtype=np.float64)
        assert np.sqrt(x.var(axis=0).mean()) == pytest.approx(data.overall_std, rel=0.02)
    assert grid().overall_std == pytest.approx(math.sqrt(8 + 0.05**2))


def test_mixture_rejects_bad_modes_and_std():
    with pytest.raises(ValueError, match=r"\(K, 2\).*\(3,\)"):
        GaussianMixture2D(np.zeros(3), 0.1)
    with pytest.raises(ValueError, match="std must be positive"):
        GaussianMixture2D(np.zeros((2, 2)), 0.0)


@pytest.mark.parametrize("make", [ring, grid])
def test_samples_from_the_data_score_like_the_data(device, make):
    data = make()
    x = data.sample(N_SAMPLES)
    assert x.shape == (N_SAMPLES, 2) and x.dtype == np.float32 and x.device == device
    metrics = mode_metrics(x.numpy(), data.modes, data.std)
    # within 3σ in 2-D: P(‖u‖ ≤ 3) = 1 − e^(−9/2) ≈ 0.9889; the binomial s.d. on 2,500 samples is 0.002
    assert abs(metrics["high_quality"] - (1 - math.exp(-4.5))) < 0.01
    assert metrics["modes"] == len(data.modes)
    # equal weights: each mode's share within 5 binomial standard deviations of 1/K
    counts = np.asarray(metrics["counts"])
    share, k = counts / counts.sum(), len(data.modes)
    assert np.all(np.abs(share - 1 / k) < 5 * math.sqrt((1 / k) * (1 - 1 / k) / counts.sum()))
    assert metrics["reverse_kl"] < 0.02


def test_sampling_is_reproducible_with_the_seed(device):
    mg.manual_seed(3)
    a = ring().sample(100).numpy()
    mg.manual_seed(3)
    np.testing.assert_array_equal(a, ring().sample(100).numpy())


def test_high_quality_is_within_three_sigma_of_the_nearest_mode():
    modes, std = np.array([[0.0, 0.0], [10.0, 0.0]]), 1.0
    samples = np.array([[2.9, 0.0], [0.0, -3.1], [7.5, 0.0], [10.0, 2.0]])
    index, distance = nearest_mode(samples, modes)
    np.testing.assert_array_equal(index, [0, 0, 1, 1])
    np.testing.assert_allclose(distance, [2.9, 3.1, 2.5, 2.0])
    metrics = mode_metrics(samples, modes, std)
    assert metrics["high_quality"] == 0.75  # 2.9σ, 2.5σ and 2.0σ count; 3.1σ does not
    assert metrics["counts"] == [1, 2] and metrics["modes"] == 2


def test_collapse_onto_some_modes_gives_the_reverse_kl_of_the_histogram():
    modes = ring().modes
    one = np.repeat(modes[:1], 100, axis=0)
    metrics = mode_metrics(one, modes, 0.01)
    assert metrics["modes"] == 1 and metrics["high_quality"] == 1.0
    assert metrics["reverse_kl"] == pytest.approx(math.log(8))  # KL(δ ‖ uniform over 8) = log 8
    half = np.repeat(modes[:4], 25, axis=0)
    assert mode_metrics(half, modes, 0.01)["reverse_kl"] == pytest.approx(math.log(2))
    skewed = np.concatenate([np.repeat(modes[:1], 30, axis=0), np.repeat(modes[1:2], 10, axis=0)])
    p = np.array([0.75, 0.25])
    assert mode_metrics(skewed, modes, 0.01)["reverse_kl"] == pytest.approx(np.sum(p * np.log(8 * p)))


def test_no_high_quality_sample_captures_no_mode():
    metrics = mode_metrics(np.full((10, 2), 5.0), ring().modes, 0.01)
    assert metrics == {"modes": 0, "high_quality": 0.0, "reverse_kl": float("inf"), "counts": [0] * 8}


def test_mode_metrics_rejects_bad_input():
    with pytest.raises(ValueError, match=r"\(N, d\).*\(K, d\).*\(5, 3\).*\(8, 2\)"):
        mode_metrics(np.zeros((5, 3)), ring().modes, 0.01)
    with pytest.raises(ValueError, match="NaN or Inf"):
        mode_metrics(np.full((2, 2), np.nan), ring().modes, 0.01)
    with pytest.raises(ValueError, match="std must be positive"):
        mode_metrics(np.zeros((2, 2)), ring().modes, -1.0)


@pytest.mark.parametrize("data", ["ring", "grid"])
def test_mixture_gan_example_writes_figures_samples_and_metrics(run_example, tmp_path, device, data):
    metrics = run_example("mixture_gan", ["--device", device, "--data", data, "--out", str(tmp_path), "--steps", "20",
                                          "--batch", "64", "--hidden", "16", "--no-progress"])
    for name in (f"{data}_training.png", f"{data}_zoom.png", "samples.npy", "metrics.json"):
        assert (tmp_path / name).is_file(), name
    assert np.load(tmp_path / "samples.npy").shape == (N_SAMPLES, 2)
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["modes"] == metrics["modes"] and saved["settings"]["pack"] == 2 and saved["settings"]["steps"] == 20
