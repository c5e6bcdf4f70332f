"""MMD with a Gaussian kernel, the share of samples near a target's support, and the 2-D spiral target."""
import math

import numpy as np
import pytest

import minigan as mg
from minigan.data.curves import Spiral2D
from minigan.metrics.sample_quality import mmd2, share_near_support


def mmd2_by_loops(x, y, h):
    """The unbiased MMD² of Gretton et al. (2012, eq. 3), written as its three double sums."""
    k = lambda u, v: math.exp(-np.sum((u - v) ** 2) / (2 * h * h))  # noqa: E731
    n, m = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(n) for j in range(m)) / (n * m)
    return xx + yy - 2 * xy


def test_mmd2_matches_the_definition(rng):
    x, y = rng.normal(size=(12, 3)), rng.normal(0.5, 1.0, size=(9, 3))
    assert mmd2(x, y, 0.7) == pytest.approx(mmd2_by_loops(x, y, 0.7), rel=1e-10)


def test_mmd2_adds_the_kernels_of_several_bandwidths(rng):
    x, y = rng.normal(size=(10, 2)), rng.normal(1.0, 1.0, size=(8, 2))
    assert mmd2(x, y, [0.3, 2.0]) == pytest.approx(mmd2(x, y, 0.3) + mmd2(x, y, 2.0), rel=1e-10)


def test_mmd2_is_near_zero_for_one_distribution_and_grows_with_the_shift(rng):
    x, y = rng.normal(size=(400, 2)), rng.normal(size=(400, 2))
    same = mmd2(x, y, 1.0)
    assert abs(same) < 0.01
    shifted = [mmd2(x, y + shift, 1.0) for shift in (0.5, 1.0, 2.0)]
    assert same < shifted[0] < shifted[1] < shifted[2]


def test_mmd2_takes_1d_samples_as_columns(rng):
    a, b = rng.normal(size=20), rng.normal(size=30)
    assert mmd2(a, b) == pytest.approx(mmd2(a[:, None], b[:, None]))


@pytest.mark.parametrize("x, y, bandwidth, message", [
    (np.zeros((5, 2)), np.zeros((5, 3)), 1.0, "coordinates"),
    (np.zeros((1, 2)), np.zeros((5, 2)), 1.0, "N ≥ 2"),
    (np.full((5, 2), np.nan), np.zeros((5, 2)), 1.0, "NaN"),
    (np.zeros((5, 2)), np.zeros((5, 2)), 0.0, "bandwidths"),
])
def test_mmd2_names_bad_input(x, y, bandwidth, message):
    with pytest.raises(ValueError, match=message):
        mmd2(x, y, bandwidth)


def test_spiral_samples_are_float32_on_the_device_and_near_the_curve(device):
    spiral = Spiral2D()
    x = spiral.sample(1000)
    assert x.shape == (1000, 2) and x.dtype == np.float32 and x.device == device
    points = x.numpy()
    radius, angle = np.hypot(points[:, 0], points[:, 1]), np.arctan2(points[:, 1], points[:, 0])
    assert radius.min() > spiral.a * spiral.theta_min - 5 * spiral.noise
    assert radius.max() < spiral.a * spiral.theta_max + 5 * spiral.noise
    assert np.ptp(angle) > 6  # every direction is used: the spiral turns more than once
    # the perpendicular noise is N(0, σ²): 99.7 % within 3σ (a little less, as the curve bends)
    assert 0.99 < share_near_support(points, spiral) <= 1.0


def test_spiral_distance_to_support():
    spiral = Spiral2D()
    on_curve = spiral.curve(np.array([2.0, 5.0, 9.0]))
    assert np.allclose(spiral.distance_to_support(on_curve), 0.0, atol=0.01)
    # straight out from a point on the curve, the distance grows as the step (while the step is small)
    normal = np.array([[np.cos(5.0), np.sin(5.0)]])
    assert spiral.distance_to_support(on_curve[1:2] + 0.1 * normal)[0] == pytest.approx(0.1, abs=0.02)
    # the origin is closest to the curve's start, at radius a·θ_min
    assert spiral.distance_to_support(np.zeros((1, 2)))[0] == pytest.approx(spiral.a * spiral.theta_min, rel=1e-3)
    assert spiral.distance_to_support(mg.tensor(on_curve)).shape == (3,)


def test_share_near_support_counts_points_within_n_sigma():
    spiral = Spiral2D()
    centre = spiral.curve(np.array([4.0]))
    direction = centre / np.linalg.norm(centre)
    # points straight out from the curve (near θ = 4 the curve runs almost at right angles to the radius)
    points = centre + np.array([[0.0], [1.0], [2.9], [3.2], [5.0]]) * spiral.noise * direction
    assert share_near_support(points, spiral) == pytest.approx(3 / 5)
    assert share_near_support(points, spiral, n_sigma=1.5) == pytest.approx(2 / 5)


def test_share_near_support_names_bad_input():
    with pytest.raises(TypeError, match="distance_to_support"):
        share_near_support(np.zeros((3, 2)), object())
    with pytest.raises(ValueError, match="N×2"):
        share_near_support(np.zeros((3, 3)), Spiral2D())
