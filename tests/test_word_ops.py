"""The ops for words: one_hot, embedding (and nn.Embedding), straight_through, gumbel_softmax, and softmax's flush of
tiny entries.

As in tests/test_ops.py: values against a plain NumPy formula, float32 kept, gradients checked by central
differences in float64 to first and second order, and errors that name the op and what is wrong."""
import numpy as np
import pytest

import minigan as mg
from minigan import backend, nn
from minigan import functional as F

IDS = np.array([[0, 3, 3], [4, 1, 0]])


def test_one_hot_matches_numpy_and_pytorchs_conventions(device):
    x = mg.tensor(IDS, dtype=np.int64, device=device)
    y = F.one_hot(x, 6)
    assert y.dtype == np.int64 and y.shape == (2, 3, 6) and y.device == device and not y.requires_grad
    np.testing.assert_array_equal(y.numpy(), np.eye(6, dtype=np.int64)[IDS])
    assert F.one_hot(x).shape == (2, 3, 5)  # −1: one more than the largest index
    assert y.float().dtype == np.float32
    with pytest.raises(ValueError, match="one_hot: num_classes 4 is too small for the largest index 4"):
        F.one_hot(x, 4)
    with pytest.raises(ValueError, match="at least 0, got -1"):
        F.one_hot(mg.tensor([-1, 2], dtype=np.int64, device=device), 3)
    with pytest.raises(TypeError, match="one_hot: the indices must be integers, got dtype float32"):
        F.one_hot(mg.tensor([1.0, 2.0], device=device), 3)


@pytest.mark.parametrize("order", [1, 2])
def test_embedding_gradcheck_with_repeated_indices(order, device):
    def op(w):
        return F.embedding(mg.tensor(IDS, dtype=np.int64, device=device), w)

    weight = np.random.default_rng(0).standard_normal((5, 4))
    assert mg.gradcheck(op, [weight], order=order, device=device)


def test_embedding_forward_is_one_hot_times_weight_and_keeps_float32(device):
    layer = nn.Embedding(5, 4)
    assert layer.weight.shape == (5, 4) and layer.weight.device == device
    ids = mg.tensor(IDS, dtype=np.int64, device=device)
    y = layer(ids)
    assert y.dtype == np.float32 and y.shape == (2, 3, 4) and y.device == device
    expected = F.one_hot(ids, 5).float() @ layer.weight
    np.testing.assert_allclose(y.numpy(), expected.numpy(), rtol=1e-6)
    y.sum().backward()
    counts = np.bincount(IDS.ravel(), minlength=5)[:, None] * np.ones((1, 4))  # a row per use of the word
    np.testing.assert_allclose(layer.weight.grad.numpy(), counts)
    assert layer.weight.grad.dtype == np.float32
    # indices as a NumPy array work as well; the weights' std is PyTorch's N(0, 1)
    np.testing.assert_array_equal(F.embedding(IDS, layer.weight).numpy(), y.numpy())
    mg.manual_seed(0)
    assert nn.Embedding(1000, 50).weight.numpy().std() == pytest.approx(1.0, abs=0.02)


def seeded_gumbel(tau, hard):
    """gumbel_softmax with the same noise at every call (gradcheck calls it many times)."""
    def op(logits):
        mg.manual_seed(3)
        return F.gumbel_softmax(logits, tau=tau, hard=hard)
    return op


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("tau", [1.0, 0.5])
def test_gumbel_softmax_gradcheck(tau, order, device):
    logits = np.random.default_rng(1).standard_normal((3, 5))
    assert mg.gradcheck(seeded_gumbel(tau, False), [logits], order=order, device=device)


def test_gumbel_softmax_is_softmax_of_logits_plus_gumbel_noise(device):
    logits = mg.tensor(np.random.default_rng(2).standard_normal((4, 6)), device=device)
    mg.manual_seed(5)
    y = F.gumbel_softmax(logits, tau=0.7)
    mg.manual_seed(5)
    u = backend.to_numpy(backend.rand(logits.shape, np.float32, device)).astype(np.float64)
    g = -np.log(-np.log(u))
    z = (logits.numpy() + g) / 0.7
    expected = np.exp(z - z.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    assert y.dtype == np.float32 and y.device == device
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_gumbel_softmax_hard_is_one_hot_with_the_soft_gradient(device):
    logits = mg.tensor(np.random.default_rng(2).standard_normal((4, 6)), requires_grad=True, device=device)
    weights = mg.tensor(np.random.default_rng(3).standard_normal((4, 6)), device=device)
    mg.manual_seed(5)
    hard = F.gumbel_softmax(logits, tau=0.5, hard=True)
    values = hard.numpy()
    assert set(np.unique(values)) == {0.0, 1.0} and (values.sum(-1) == 1).all()
    (hard * weights).sum().backward()
    straight_through = logits.grad.numpy()
    logits.grad = None
    mg.manual_seed(5)
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_array_equal(values.argmax(-1), soft.numpy().argmax(-1))
    (soft * weights).sum().backward()
    np.testing.assert_allclose(straight_through, logits.grad.numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_straight_through_is_the_one_hot_arg_max_forward_and_the_identity_backward(dtype, device):
    y = mg.tensor(np.random.default_rng(4).random((3, 4, 5)), dtype=dtype, requires_grad=True, device=device)
    weights = np.random.default_rng(5).standard_normal((3, 4, 5))
    for dim in (-1, 1):
        y.grad = None
        hard = F.straight_through(y, dim=dim)
        assert hard.dtype == dtype and hard.device == device
        expected = np.moveaxis(np.eye(y.shape[dim], dtype=dtype)[y.numpy().argmax(dim)], -1, dim)
        np.testing.assert_array_equal(hard.numpy(), expected)
        # backward: d Σ w·hard / dy = w, as if hard were y
        (hard * mg.tensor(weights, dtype=dtype, device=device)).sum().backward()
        np.testing.assert_allclose(y.grad.numpy(), weights, rtol=1e-6)
    with pytest.raises(TypeError, match="straight_through"):
        F.straight_through(np.ones((2, 3)))


def test_gumbel_softmax_samples_the_categorical_distribution():
    logits = mg.tensor(np.log([0.6, 0.3, 0.1]))
    mg.manual_seed(0)
    picks = F.gumbel_softmax(F.broadcast_to(logits, (20_000, 3)), tau=1.0, hard=True).numpy().mean(0)
    np.testing.assert_allclose(picks, [0.6, 0.3, 0.1], atol=0.015)
    with pytest.raises(ValueError, match="tau must be positive, got 0"):
        F.gumbel_softmax(logits, tau=0)


def test_softmax_sets_entries_below_sqrt_tiny_to_zero_and_never_makes_denormals(device):
    # a sure G: one logit 60 above the rest in float32 (their probabilities, e⁻⁶⁰ ≈ 1e−26, would be kept by the
    # plain formula; e⁻⁹⁰ would be a denormal number)
    x = mg.tensor([[0.0, -60.0, -90.0, -20.0]], requires_grad=True, device=device)
    y = F.softmax(x)
    values = y.numpy()
    tiny = np.finfo(np.float32).tiny
    assert not ((values != 0) & (np.abs(values) < tiny)).any()
    np.testing.assert_array_equal(values[0, 1:3], [0.0, 0.0])
    np.testing.assert_allclose(values[0, [0, 3]], [1 / (1 + np.exp(-20.0)), np.exp(-20.0) / (1 + np.exp(-20.0))],
                               rtol=1e-6)
    (y * mg.tensor([[1.0, 2.0, 3.0, 4.0]], device=device)).sum().backward()
    grad = x.grad.numpy()
    assert grad[0, 1] == 0.0 and grad[0, 2] == 0.0
    # log_softmax keeps the log-probabilities themselves; its gradient uses the same flushed softmax
    z = F.log_softmax(x)
    np.testing.assert_allclose(z.numpy()[0, 2], -90.0, rtol=1e-6)
    x.grad = None
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1 - 4 * values[0, 0], 1, 1, 1 - 4 * values[0, 3]]], rtol=1e-5)
    # in float64 the cut is far lower: e⁻⁹⁰ ≈ 8e−40 is kept there
    assert F.softmax(mg.tensor([[0.0, -90.0]], dtype=np.float64, device=device)).numpy()[0, 1] > 0
