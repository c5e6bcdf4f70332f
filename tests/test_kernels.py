"""The GPU's fused kernels against the NumPy lines they replace, run on the same GPU arrays.

Each op runs twice on the GPU: with the kernels (the default) and with MINIGAN_FUSED_KERNELS=0's path
(the plain array lines, which the CPU tests check against NumPy formulas); outputs and gradients must
agree.  Inputs include values where the formulas need care (±∞, large |x|, 0, NaN)."""
import os
import subprocess
import sys

import numpy as np
import pytest

import minigan as mg
from minigan import backend
from minigan import functional as F
from minigan.functional import _kernels

needs_gpu = pytest.mark.skipif(not backend.gpu_available(), reason="needs CuPy and a CUDA GPU")
DTYPES = [np.float32, np.float64]
SPECIAL = [0.0, -0.0, 1e-30, 20.0, -20.0, 90.0, -90.0, 800.0, -800.0, np.inf, -np.inf]


def both_ways(monkeypatch, run):
    """run() with the fused kernels, then without; each result is a list of arrays brought to the CPU."""
    results = []
    for enabled in (True, False):
        monkeypatch.setattr(_kernels, "ENABLED", enabled)
        results.append([backend.to_numpy(a) for a in run()])
    return results


def assert_agree(fused, plain, dtype):
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert len(fused) == len(plain)
    for a, b in zip(fused, plain):
        assert a.dtype == b.dtype == dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol, equal_nan=True)


def values(rng, shape, dtype):
    x = rng.standard_normal(shape) * 4
    x.reshape(-1)[: len(SPECIAL)] = SPECIAL[: x.size]
    return mg.tensor(x, dtype=dtype, device="gpu", requires_grad=True)


def forward_and_gradients(fn, *inputs, weights_seed=1):
    """fn's output and the gradients of Σ w ⊙ fn(inputs) (w fixed and random) for each input."""
    for x in inputs:
        x.grad = None
    out = fn(*inputs)
    w = np.random.default_rng(weights_seed).standard_normal(out.shape)
    (out * mg.tensor(w, dtype=out.dtype, device="gpu")).sum().backward()
    return [out.data] + [x.grad.data for x in inputs]


@needs_gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", ["sigmoid", "softplus", "leaky_relu", "relu", "tanh"])
def test_activations(monkeypatch, rng, dtype, op):
    x = values(rng, (7, 9), dtype)
    fn = {"sigmoid": F.sigmoid, "softplus": F.softplus, "leaky_relu": lambda t: F.leaky_relu(t, 0.2),
          "relu": F.relu, "tanh": F.tanh}[op]
    with np.errstate(invalid="ignore"):  # ∞ · 0 in the gradients of the special values, on both paths
        assert_agree(*both_ways(monkeypatch, lambda: forward_and_gradients(fn, x)), dtype)


@needs_gpu
@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy_with_logits(monkeypatch, rng, dtype):
    logit = values(rng, (16, 1), dtype)
    target = mg.tensor(rng.random((16, 1)), dtype=dtype, device="gpu")
    run = lambda: forward_and_gradients(lambda l: F.binary_cross_entropy_with_logits(l, target), logit)  # noqa: E731
    assert_agree(*both_ways(monkeypatch, run), dtype)


@needs_gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(12, 5), (6, 4, 5, 3)])
def test_batch_norm_and_its_running_statistics(monkeypatch, rng, dtype, shape):
    x = mg.tensor(rng.standard_normal(shape) * 3 + 1, dtype=dtype, device="gpu", requires_grad=True)
    gamma = mg.tensor(rng.standard_normal(shape[1]), dtype=dtype, device="gpu", requires_grad=True)
    beta = mg.tensor(rng.standard_normal(shape[1]), dtype=dtype, device="gpu", requires_grad=True)

    def run():
        mean, var = mg.zeros(shape[1], dtype=dtype, device="gpu"), mg.ones(shape[1], dtype=dtype, device="gpu")
        out = forward_and_gradients(lambda *t: F.batch_norm(t[0], mean, var, t[1], t[2]), x, gamma, beta)
        return out + [mean.data, var.data]

    assert_agree(*both_ways(monkeypatch, run), dtype)


CONV_CONFIGS = [
    ((2, 3, 8, 8), (4, 3, 4, 4), 2, 1, 1),  # DCGAN's
    ((1, 2, 9, 6), (3, 2, 3, 2), 2, 2, 1),  # non-square, padding 2
    ((2, 2, 7, 8), (2, 2, 3, 5), (2, 1), (1, 2), (1, 0)),  # (h, w) pairs
    ((2, 3, 9, 9), (2, 3, 2, 2), 3, 0, 0),  # stride > kernel: pixels no window covers
]


@needs_gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_shape, w_shape, stride, padding, output_padding", CONV_CONFIGS)
def test_convolutions(monkeypatch, rng, dtype, x_shape, w_shape, stride, padding, output_padding):
    x = mg.tensor(rng.standard_normal(x_shape), dtype=dtype, device="gpu", requires_grad=True)
    w = mg.tensor(rng.standard_normal(w_shape), dtype=dtype, device="gpu", requires_grad=True)
    x_t = mg.tensor(rng.standard_normal((x_shape[0], w_shape[0]) + x_shape[2:]), dtype=dtype, device="gpu",
                    requires_grad=True)

    def run():
        conv = forward_and_gradients(lambda a, b: F.conv2d(a, b, stride=stride, padding=padding), x, w)
        conv_t = forward_and_gradients(
            lambda a, b: F.conv_transpose2d(a, b, stride=stride, padding=padding, output_padding=output_padding),
            x_t, w)
        return conv + conv_t

    assert_agree(*both_ways(monkeypatch, run), dtype)


@needs_gpu
@pytest.mark.parametrize("dtype", DTYPES)
def test_adam(monkeypatch, rng, dtype):
    grads = [rng.standard_normal((5, 3)) for _ in range(3)]

    def run():
        theta = mg.nn.Parameter(mg.tensor(rng.standard_normal((5, 3)) * 0 + 0.5, dtype=dtype, device="gpu"))
        opt = mg.optim.Adam([theta], lr=0.01, weight_decay=0.1)
        for g in grads:
            theta.grad = mg.tensor(g, dtype=dtype, device="gpu")
            opt.step()
        return [theta.data, opt.state[0]["exp_avg"], opt.state[0]["exp_avg_sq"]]

    assert_agree(*both_ways(monkeypatch, run), dtype)


@needs_gpu
def test_adam_on_float16_takes_the_plain_lines():
    theta = mg.nn.Parameter(mg.tensor([0.5, -1.0], dtype=np.float16, device="gpu"))
    opt = mg.optim.Adam([theta], lr=0.01)
    theta.grad = mg.tensor([0.1, -0.2], dtype=np.float16, device="gpu")
    opt.step()
    np.testing.assert_allclose(theta.numpy(), [0.49, -0.99], rtol=1e-3)


# ---------------------------------------------------------------- where the kernels are used
def test_the_cpu_never_uses_them():
    assert not _kernels.fused(np.ones(3, dtype=np.float32))


@needs_gpu
def test_only_float32_and_float64_use_them(monkeypatch):
    on_gpu = backend.module_for("gpu").ones(3, dtype=np.float32)
    assert _kernels.fused(on_gpu) and _kernels.fused(on_gpu.astype(np.float64))
    assert not _kernels.fused(on_gpu.astype(np.float16))
    x = mg.tensor([-1.0, 0.0, 2.0], dtype=np.float16, device="gpu")
    np.testing.assert_allclose(F.sigmoid(x).numpy(), 1 / (1 + np.exp(-np.array([-1.0, 0.0, 2.0]))), rtol=1e-3)
    monkeypatch.setattr(_kernels, "ENABLED", False)
    assert not _kernels.fused(on_gpu)


def test_every_kernel_has_a_call_site():
    sources = "".join(open(f"{F.__path__[0]}/{name}.py", encoding="utf-8").read()
                      for name in ("activation", "loss", "layers", "conv", "../optim"))
    for name in _kernels.SOURCES:
        assert f'kernel("{name}")' in sources, f"kernel {name} is used nowhere"


def test_the_environment_variable_turns_them_off():
    check = "from minigan.functional import _kernels; print(_kernels.ENABLED)"
    for value, expected in (("0", "False"), ("1", "True")):
        done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True,
                              env={**os.environ, "MINIGAN_FUSED_KERNELS": value})
        assert done.stdout.strip() == expected
