"""The minibatch standard deviation layer (minigan/train/minibatch_std.py): its values against NumPy, its
gradients of first and second order, dtypes, bad input, and its place in the DCGAN discriminator."""
import numpy as np
import pytest

import minigan as mg
from minigan.models import dcgan_discriminator
from minigan.train import MinibatchStdDev, PacDiscriminator


def numpy_minibatch_std(x, group_size):
    """The paper's formula, member by member: example i is in group i mod (n / g)."""
    n = len(x)
    g = min(group_size, n)
    groups = n // g
    s = np.empty(groups)
    for k in range(groups):
        members = x[k::groups]  # examples k, k + n/g, k + 2n/g, ...
        s[k] = np.sqrt(((members - members.mean(axis=0)) ** 2).mean(axis=0) + 1e-8).mean()
    per_example = s[np.arange(n) % groups].reshape((n, 1) + (1,) * (x.ndim - 2))
    extra = np.broadcast_to(per_example, (n, 1) + x.shape[2:])
    return np.concatenate([x, extra], axis=1)


@pytest.mark.parametrize("n, group_size", [(8, 4), (6, 2), (3, 4), (5, 1)])
def test_values_match_the_formula(device, rng, n, group_size):
    x = rng.normal(size=(n, 3, 2, 5))
    y = MinibatchStdDev(group_size)(mg.tensor(x, dtype=np.float64)).numpy()
    assert y.shape == (n, 4, 2, 5)
    np.testing.assert_allclose(y, numpy_minibatch_std(x, group_size), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n, group_size", [(8, 4), (3, 4)])
def test_feature_vectors_get_one_more_feature(device, rng, n, group_size):
    """(N, F) ↦ (N, F + 1): an MLP's D (the sentence GAN's) takes the layer before its last Linear."""
    x = rng.normal(size=(n, 7))
    y = MinibatchStdDev(group_size)(mg.tensor(x, dtype=np.float64)).numpy()
    assert y.shape == (n, 8)
    np.testing.assert_allclose(y, numpy_minibatch_std(x, group_size), rtol=1e-12, atol=1e-12)


def test_identical_members_give_a_small_finite_deviation_and_gradient(device):
    x = mg.tensor(np.ones((4, 2, 3, 3)), requires_grad=True)
    y = MinibatchStdDev(4)(x)
    np.testing.assert_allclose(y.numpy()[:, 2], 1e-4)  # sqrt(0 + 1e-8)
    y.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("shape", [(4, 2, 2, 2), (4, 3)])
def test_gradients_match_central_differences(device, rng, order, shape):
    x = rng.normal(size=shape)
    # a weighted sum, so that every output counts differently
    weights = mg.tensor(rng.normal(size=(shape[0], shape[1] + 1) + shape[2:]), dtype=np.float64)
    assert mg.gradcheck(lambda t: (MinibatchStdDev(2)(t) * weights).sum(), [x], order=order)


@pytest.mark.parametrize("shape", [(4, 3, 4, 4), (4, 5)])
def test_float32_stays_float32(device, rng, shape):
    x = mg.tensor(rng.normal(size=shape).astype(np.float32), requires_grad=True)
    y = MinibatchStdDev(4)(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_bad_input_is_named():
    for bad in (0, -2, 2.5, True):
        with pytest.raises(ValueError, match="group_size must be a positive integer"):
            MinibatchStdDev(bad)
    with pytest.raises(ValueError, match=r"expects feature maps \(N, C, H, W\) or feature vectors \(N, F\), got "
                                         r"shape \(4, 3, 2\)"):
        MinibatchStdDev(2)(mg.randn(4, 3, 2))
    with pytest.raises(ValueError, match="a batch of 6 examples cannot be cut into groups of 4"):
        MinibatchStdDev(4)(mg.randn(6, 1, 2, 2))


def test_the_dcgan_discriminator_appends_one_channel_before_its_last_convolution(device):
    D = dcgan_discriminator(8, 32, in_channels=6, minibatch_std=4)
    std_layer, last = list(D)[-3], list(D)[-2]
    assert isinstance(std_layer, MinibatchStdDev) and last.weight.shape == (1, 33, 4, 4)
    assert repr(std_layer) == "MinibatchStdDev(group_size=4)"
    packed = PacDiscriminator(D, 2)
    assert packed(mg.randn(16, 3, 32, 32)).shape == (8, 1)  # 8 packs, two groups of 4
    assert not list(std_layer.parameters()) and not dict(std_layer.state_dict())  # nothing of its own to save
