"""The convolutions' work arrays (minigan/functional/_workspace.py): an array is handed out again only once nothing
refers to it, and convolutions that reuse them give the same bits as convolutions with fresh arrays."""
import numpy as np
import pytest

import minigan as mg
from minigan import backend
from minigan import functional as F
from minigan.functional import _workspace


@pytest.fixture
def reuse_everything(monkeypatch):
    """Every array the workspace is asked for is kept and reused, however small (on the CPU)."""
    _workspace.clear()
    monkeypatch.setattr(_workspace, "MIN_BYTES", 0)
    yield
    _workspace.clear()


def _address(array) -> int:
    return array.__array_interface__["data"][0]


def test_an_idle_array_is_handed_out_again(reuse_everything):
    a = _workspace.empty((3, 4), np.float32, like=np.zeros(1))
    where = _address(a)
    del a
    b = _workspace.empty((4, 3), np.float32, like=np.zeros(1))  # the same bytes, another shape
    assert _address(b) == where and b.shape == (4, 3) and b.dtype == np.float32


@pytest.mark.parametrize("hold", [lambda a: a, lambda a: a.T, lambda a: a[1:], lambda a: a.reshape(-1)[::2],
                                  lambda a: [a]], ids=["itself", "transpose", "slice", "strided", "in-a-list"])
def test_an_array_still_referred_to_is_not_handed_out(reuse_everything, hold):
    a = _workspace.empty((3, 4), np.float32, like=np.zeros(1))
    a[...] = 7.0
    held = hold(a)
    where = _address(a)
    del a
    b = _workspace.empty((3, 4), np.float32, like=np.zeros(1))
    assert _address(b) != where
    b[...] = 0.0
    assert np.all(np.asarray(held[0] if isinstance(held, list) else held) == 7.0)


def test_a_new_size_lets_the_idle_arrays_of_other_sizes_go(reuse_everything):
    busy = _workspace.empty((10,), np.float64, like=np.zeros(1))
    idle = _workspace.empty((10,), np.float64, like=np.zeros(1))
    del idle
    assert _workspace.kept_bytes() == 160
    other = _workspace.empty((3,), np.float64, like=np.zeros(1))
    assert _workspace.kept_bytes() == 80 + 24  # the busy one stays, the idle one went
    del busy, other


def test_small_arrays_and_gpu_arrays_are_not_kept():
    _workspace.clear()
    small = _workspace.empty((8, 8), np.float32, like=np.zeros(1))
    assert small.shape == (8, 8) and small.dtype == np.float32
    assert _workspace.kept_bytes() == 0
    if backend.gpu_available():
        xp = backend.module_for("gpu")
        large = _workspace.empty((_workspace.MIN_BYTES // 4 + 1,), np.float32, like=xp.zeros(1))
        assert backend.device_of(large) == "gpu" and _workspace.kept_bytes() == 0


def _train(steps: int, create_graph: bool):
    """A few updates of a tiny convolutional GAN-like model: D judges two batches before one backward (two
    saved im2col matrices alive at once), G's transposed convolutions, and a gradient penalty (second order)."""
    rng = np.random.default_rng(0)
    g_w = mg.tensor(rng.standard_normal((6, 3, 4, 4)).astype(np.float32) * 0.2, requires_grad=True)
    d_w1 = mg.tensor(rng.standard_normal((5, 3, 4, 4)).astype(np.float32) * 0.2, requires_grad=True)
    d_w2 = mg.tensor(rng.standard_normal((1, 5, 4, 4)).astype(np.float32) * 0.2, requires_grad=True)
    real = mg.tensor(rng.standard_normal((4, 3, 8, 8)).astype(np.float32))
    history = []
    for _ in range(steps):
        z = mg.tensor(rng.standard_normal((4, 6, 4, 4)).astype(np.float32), requires_grad=create_graph)
        fake = F.tanh(F.conv_transpose2d(z, g_w, stride=2, padding=1))

        def d(x):
            return F.conv2d(F.leaky_relu(F.conv2d(x, d_w1, stride=2, padding=1), 0.2), d_w2).mean()

        loss = d(real) - d(fake)
        if create_graph:  # the penalty's gradient goes through the gradient of the convolutions
            (gz,) = mg.grad(loss, [z], create_graph=True)
            loss = loss + (gz * gz).sum()
        grads = mg.grad(loss, [g_w, d_w1, d_w2])
        for w, g in zip((g_w, d_w1, d_w2), grads):
            w.data -= 0.05 * g.data
        history += [loss.numpy().copy()] + [g.numpy().copy() for g in grads]
    return history


@pytest.mark.parametrize("create_graph", [False, True], ids=["first-order", "second-order"])
def test_convolutions_with_reused_arrays_give_the_same_bits(monkeypatch, create_graph):
    """The workspace (every work array kept and reused) against its plain twin (fresh arrays every time)."""
    _workspace.clear()
    monkeypatch.setattr(_workspace, "MIN_BYTES", 2**62)
    fresh = _train(3, create_graph)
    monkeypatch.setattr(_workspace, "MIN_BYTES", 0)
    reused = _train(3, create_graph)
    assert _workspace.kept_bytes() > 0
    _workspace.clear()
    for a, b in zip(fresh, reused, strict=True):
        np.testing.assert_array_equal(b, a)
