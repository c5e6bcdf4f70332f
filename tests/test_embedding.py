"""F.embedding and nn.Embedding: a look-up against NumPy's indexing, gradients against finite differences (first
and second order), dtypes kept, PyTorch's layout and initialisation, and clear errors for bad indices."""
import numpy as np
import pytest

import minigan as mg
from minigan import backend, nn
from minigan import functional as F

INDEX = np.array([[1, 3, 3], [0, 4, 1]])  # row 3 twice, row 2 never


def test_forward_is_the_rows_of_the_weight_and_keeps_float32(device, rng):
    W = rng.standard_normal((5, 4)).astype(np.float32)
    weight = mg.tensor(W, requires_grad=True)
    out = F.embedding(mg.tensor(INDEX, dtype=np.int64), weight)
    assert out.shape == (2, 3, 4) and out.dtype == np.float32 and out.device == device
    np.testing.assert_array_equal(out.numpy(), W[INDEX])
    # the same as one-hot vectors times W
    one_hot = (INDEX[..., None] == np.arange(5)).astype(np.float32)
    np.testing.assert_allclose(out.numpy(), one_hot @ W, rtol=1e-6)
    out.backward(mg.ones(*out.shape))
    assert weight.grad.dtype == np.float32 and weight.grad.device == device
    # ∂/∂W of Σ out: how often each row was read
    np.testing.assert_array_equal(weight.grad.numpy(), np.bincount(INDEX.ravel(), minlength=5)[:, None] * np.ones(4))


@pytest.mark.parametrize("index", [INDEX, np.array([2, 2, 0]), np.array(4)], ids=["2-D", "repeated", "0-d"])
def test_gradcheck_first_and_second_order(device, rng, index):
    W = rng.standard_normal((5, 3))
    assert mg.gradcheck(lambda w: F.embedding(index, w), [W], device=device)
    # second order through a smooth function of the rows, so the scatter-add's own backward is exercised
    assert mg.gradcheck(lambda w: F.tanh(F.embedding(index, w)) * F.embedding(index, w), [W], order=2, device=device)


def test_indices_may_be_a_tensor_an_array_or_a_list(device):
    weight = mg.arange(6).reshape(3, 2)
    for index in ([2, 0], np.array([2, 0]), mg.tensor([2, 0], dtype=np.int64), np.array([2, 0], dtype=np.uint8)):
        np.testing.assert_array_equal(F.embedding(index, weight).numpy(), [[4, 5], [0, 1]])


def test_bad_indices_and_shapes_are_clear_errors():
    weight = mg.randn(4, 2)
    with pytest.raises(IndexError, match=r"embedding: indices must be in \[0, 3\].*from 0 to 4"):
        F.embedding([0, 4], weight)
    with pytest.raises(IndexError, match=r"from -1 to 1"):
        F.embedding([-1, 1], weight)
    with pytest.raises(TypeError, match="embedding: input must hold integer indices, got dtype float32"):
        F.embedding(mg.tensor([0.0, 1.0]), weight)
    with pytest.raises(ValueError, match=r"embedding: weight must be 2-D .* got shape \(4,\)"):
        F.embedding([0], mg.randn(4))
    with pytest.raises(ValueError, match="num_embeddings must be a positive integer"):
        nn.Embedding(0, 3)


def test_module_has_pytorchs_layout_initialisation_and_state_dict(device):
    mg.manual_seed(0)
    layer = nn.Embedding(1000, 8)
    assert layer.weight.shape == (1000, 8) and layer.weight.device == device
    assert list(layer.state_dict()) == ["weight"] and repr(layer) == "Embedding(1000, 8)"
    w = layer.weight.numpy()
    assert abs(w.mean()) < 0.05 and abs(w.std() - 1.0) < 0.05  # N(0, 1), PyTorch's default
    out = layer(np.array([[7, 7], [999, 0]]))
    assert out.shape == (2, 2, 8) and out.dtype == np.float32
    out.sum().backward()
    grad = backend.to_numpy(layer.weight.grad.data)
    assert grad[7].tolist() == [2.0] * 8 and grad[1:7].sum() == 0


def test_the_one_hot_product_and_the_scatter_add_give_the_same_gradient(device, rng):
    from minigan.functional.embedding import one_hot_product, scatter_add

    xp = backend.module_for(device)
    rows = xp.asarray(rng.integers(7, size=50))
    gy = xp.asarray(rng.standard_normal((50, 3)).astype(np.float32))
    fast, plain = one_hot_product(rows, gy, 7), scatter_add(rows, gy, 7)
    assert fast.dtype == plain.dtype == np.float32
    np.testing.assert_allclose(backend.to_numpy(fast), backend.to_numpy(plain), rtol=1e-5, atol=1e-6)
