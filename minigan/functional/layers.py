"""The computations behind the layers: linear, dropout, batch normalisation."""
from __future__ import annotations

from minigan import backend
from minigan.autograd import Function, Tensor, is_grad_enabled
from minigan.functional import _kernels
from minigan.functional._convert import check_tensor
from minigan.functional.math import sqrt
from minigan.functional.reduce import mean, sum, var
from minigan.functional.shape import reshape, sum_to


class Linear(Function):
    """y = x Wᵀ + b in one op (PyTorch's layout: W is (out, in))."""

    def forward(self, x, W, b=None):
        y = x @ W.T
        if b is not None:
            y += b
        return y

    def backward(self, gy):
        x, W = self.inputs[0], self.inputs[1]
        # flatten the leading axes, so one vector and a batch of any rank are the same (n, out) case
        g2 = gy if gy.ndim == 2 else reshape(gy, (-1, gy.shape[-1]))
        # y = x Wᵀ + b  ⇒  gx = gy W
        gx = reshape(g2 @ W, x.shape) if self.needs_grad[0] else None
        # gW = Σ_n gyₙ xₙᵀ
        gW = g2.T @ (x if x.ndim == 2 else reshape(x, (-1, x.shape[-1]))) if self.needs_grad[1] else None
        if len(self.inputs) == 2:
            return gx, gW
        # gb = Σ_n gyₙ
        gb = sum_to(gy, self.inputs[2].shape) if self.needs_grad[2] else None
        return gx, gW, gb


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x Wᵀ + b, with ``weight`` of shape (out_features, in_features) as in PyTorch."""
    check_tensor(x, "linear")
    check_tensor(weight, "linear", "weight")
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out, in), got shape {weight.shape}")
    if x.ndim < 1 or x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear: input of shape {x.shape} does not fit weight of shape {weight.shape} "
            f"(expected the last axis to be {weight.shape[1]})"
        )
    if bias is None:
        return Linear()(x, weight)
    return Linear()(x, weight, bias)


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1/(1 − p) (identity when not training)."""
    if not 0 <= p < 1:
        raise ValueError(f"dropout: p must be in [0, 1), got {p}")
    if not training or p == 0:
        return x
    keep = backend.rand(x.shape, x.dtype, x.device) >= p
    return x * Tensor(keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p)))


class BatchNorm(Function):
    """y = γ x̂ + β with x̂ = (x − μ) / √(σ² + ε), μ and σ² the mean and population variance of x over
    ``axes`` (every axis but the channels'); γ and β hold one number per channel.

    One op where the plain version, ``batch_norm_simple`` below (``(x - mean(x)) / sqrt(var(x) + eps) * γ + β``
    in Tensor ops), is about twelve: forward and backward each make a few passes over x instead of many.  The
    batch statistics are left on the op (``batch_mean``, ``batch_var``, with kept dimensions) for the running
    averages.
    """

    def __init__(self, axes, eps):
        self.axes, self.eps = axes, eps

    def forward(self, x, gamma, beta):
        xp = backend.array_module(x)
        channels = (1, -1) + (1,) * (x.ndim - 2)
        self.batch_mean = x.mean(axis=self.axes, keepdims=True)
        if _kernels.fused(x):  # the lines below, with two GPU kernels for their elementwise parts
            centered = x - self.batch_mean
            self.batch_var = xp.square(centered).mean(axis=self.axes, keepdims=True)
            self.inv_std = _kernels.kernel("inverse_std")(self.batch_var, x.dtype.type(self.eps))
            self.x_hat, y = _kernels.kernel("batch_norm")(centered, self.inv_std, gamma.reshape(channels),
                                                          beta.reshape(channels))
            return y
        x_hat = xp.subtract(x, self.batch_mean)
        self.batch_var = xp.square(x_hat).mean(axis=self.axes, keepdims=True)
        self.inv_std = 1 / xp.sqrt(self.batch_var + self.eps)
        x_hat *= self.inv_std
        self.x_hat = x_hat
        y = x_hat * gamma.reshape(channels)
        y += beta.reshape(channels)
        return y

    def backward(self, gy):
        x, gamma = self.inputs[0], self.inputs[1]
        axes, count = self.axes, x.numel() // x.shape[1]
        if is_grad_enabled():
            # recording this backward (create_graph=True): s and x̂ must be differentiable in x as well
            s = (var(x, axes, keepdims=True, correction=0) + self.eps) ** -0.5
            x_hat = (x - mean(x, axes, keepdims=True)) * s
        elif _kernels.fused(gy.data):  # the lines below, on arrays, the last one a GPU kernel
            g_beta = gy.data.sum(axis=axes, keepdims=True)
            g_gamma = (gy.data * self.x_hat).sum(axis=axes, keepdims=True)
            g_x = _kernels.kernel("batch_norm_grad")(gy.data, self.x_hat, g_beta, g_gamma,
                                                     gamma.data.reshape(g_beta.shape), self.inv_std,
                                                     x.dtype.type(1.0 / count))
            return Tensor(g_x), Tensor(g_gamma.reshape(gamma.shape)), Tensor(g_beta.reshape(gamma.shape))
        else:
            s, x_hat = Tensor(self.inv_std), Tensor(self.x_hat)  # a plain backward only needs their values
        # ∂L/∂β = Σ gy,  ∂L/∂γ = Σ gy x̂   (sums over the normalised axes)
        g_beta = sum(gy, axes, keepdims=True)
        g_gamma = sum(gy * x_hat, axes, keepdims=True)
        # ∂L/∂x = γ s (gy − mean(gy) − x̂ mean(gy x̂)), with s = 1/√(σ² + ε)
        scale = reshape(gamma, g_beta.shape) * s
        g_x = (gy - (g_beta * (1.0 / count) + x_hat * (g_gamma * (1.0 / count)))) * scale
        return g_x, reshape(g_gamma, gamma.shape), reshape(g_beta, gamma.shape)


def batch_norm_simple(x: Tensor, weight: Tensor, bias: Tensor, eps: float = 1e-5) -> Tensor:
    """y = γ (x − μ) / √(σ² + ε) + β with this batch's μ and σ², written as it reads, in Tensor ops: the plain
    twin of ``BatchNorm`` (training mode, no running statistics), about twelve ops where it is one."""
    axes = (0,) + tuple(range(2, x.ndim))
    channels = (1, -1) + (1,) * (x.ndim - 2)
    mu = mean(x, axes, keepdims=True)
    sigma2 = var(x, axes, keepdims=True, correction=0)
    x_hat = (x - mu) / sqrt(sigma2 + eps)
    return x_hat * reshape(weight, channels) + reshape(bias, channels)


def _running_average(running, statistic, m):
    """(1 − m) r + m s: a new array (the running statistics are replaced, not written over)."""
    if _kernels.fused(running):
        return _kernels.kernel("running_average")(running, statistic, 1 - m, m)  # the line below, in one kernel
    return (1 - m) * running + m * statistic


def batch_norm(x: Tensor, running_mean=None, running_var=None, weight=None, bias=None,
               training: bool = True, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (axis 1) over the batch and spatial axes, then scale and shift.

    Training: statistics of this batch; the running mean and (unbiased) variance, given as
    Tensors, are updated in place as r ← (1 − momentum) r + momentum · batch statistic.
    Evaluation: the running statistics are used instead.  Works for (N, C) and (N, C, H, W).
    """
    check_tensor(x, "batch_norm")
    if x.ndim not in (2, 3, 4):
        raise ValueError(f"batch_norm: expected a (N, C), (N, C, L) or (N, C, H, W) input, got shape {x.shape}")
    axes = (0,) + tuple(range(2, x.ndim))
    stat_shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if training:
        count = x.numel() // x.shape[1]
        if count < 2:
            raise ValueError(f"batch_norm: training needs more than one value per channel, got input shape {x.shape}")
        xp = backend.array_module(x.data)
        gamma = weight if weight is not None else Tensor(xp.ones(x.shape[1], dtype=x.dtype))
        beta = bias if bias is not None else Tensor(xp.zeros(x.shape[1], dtype=x.dtype))
        # y = γ x̂ + β with x̂ = (x − μ) / √(σ² + ε), this batch's μ and σ²
        normalize = BatchNorm(axes, eps)
        y = normalize(x, gamma, beta)
        m = x.dtype.type(momentum)
        if running_mean is not None:
            running_mean.data = _running_average(running_mean.data, normalize.batch_mean.reshape(-1), m)
        if running_var is not None:
            unbiased = normalize.batch_var.reshape(-1) * x.dtype.type(count / (count - 1))
            running_var.data = _running_average(running_var.data, unbiased, m)
        return y
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm: evaluation mode needs running_mean and running_var")
    mu = Tensor(running_mean.data.reshape(stat_shape))
    sigma2 = Tensor(running_var.data.reshape(stat_shape))
    # x̂ = (x − μ) / √(σ² + ε) with the running μ and σ²;  y = γ x̂ + β
    y = (x - mu) / sqrt(sigma2 + eps)
    if weight is not None:
        y = y * reshape(weight, stat_shape)
    if bias is not None:
        y = y + reshape(bias, stat_shape)
    return y
