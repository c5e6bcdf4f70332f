"""Reductions: sum, mean, max, var over chosen axes (keepdims like NumPy), and argmax / argmin.

Each takes NumPy's ``axis=`` / ``keepdims=`` and PyTorch's ``dim=`` / ``keepdim=`` for the same thing (but max
and min, whose PyTorch form with dim= returns indices too, take axis= only).
"""
from __future__ import annotations

import numpy as np

from minigan import _validate, backend
from minigan.autograd import Function, Tensor
from minigan.functional._convert import check_tensor
from minigan.functional.math import exp, log, sqrt
from minigan.functional.shape import broadcast_to, reshape


def _kept_shape(shape, axes) -> tuple:
    """``shape`` with the reduced axes set to 1: where a reduced gradient is broadcast back from."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    saves = ()

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        self.x_shape = x.shape
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        # y = Σᵢ xᵢ  ⇒  ∂y/∂xᵢ = 1: every summed element gets gy, broadcast back over the reduced axes
        return broadcast_to(reshape(gy, _kept_shape(self.x_shape, self.axes)), self.x_shape)


def sum(x: Tensor, axis=None, keepdims: bool = False, *, dim=None,  # noqa: A001 - NumPy's name
        keepdim: bool = False) -> Tensor:
    """Sum over ``axis`` (all axes when None); ``dim`` / ``keepdim`` are PyTorch's names for ``axis`` / ``keepdims``."""
    axis, keepdims = (axis if dim is None else dim), keepdims or keepdim
    check_tensor(x, "sum")
    return Sum(_validate.axes(axis, x.ndim, "sum"), keepdims)(x)


def mean(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool = False) -> Tensor:
    """Mean over ``axis`` (all axes when None); ``dim`` / ``keepdim`` are PyTorch's names for ``axis`` /
    ``keepdims``."""
    axis, keepdims = (axis if dim is None else dim), keepdims or keepdim
    check_tensor(x, "mean")
    axes = _validate.axes(axis, x.ndim, "mean")
    count = 1
    for a in axes:
        count *= x.shape[a]
    return Sum(axes, keepdims)(x) * (1.0 / count)


class Max(Function):
    """Largest value over axes; the gradient is shared equally among the elements that tie for it."""

    saves = ("inputs", "output")

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        return x.max(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        # ∂ max(x)/∂xᵢ = 1/k for the k elements equal to the maximum, 0 for the others
        x = self.inputs[0]
        kept = _kept_shape(x.shape, self.axes)
        xp, y = backend.array_module(x.data), self.output.data.reshape(kept)
        is_max = x.data == y
        nan = xp.isnan(y)
        # a NaN is the maximum of its row, but NaN == NaN is False: mark it too (as PyTorch does).  The CPU
        # asks first whether there is one; the GPU marks without asking, since .any() would wait for it
        if xp is not np or nan.any():
            is_max |= xp.isnan(x.data) & nan
        share = is_max / is_max.sum(axis=self.axes, keepdims=True)
        return broadcast_to(reshape(gy, kept), x.shape) * Tensor(share.astype(x.dtype))


def max(x: Tensor, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001 - NumPy's name
    """Largest value over ``axis`` (all axes when None): NumPy's max, PyTorch's amax (no dim=: PyTorch's
    ``max(dim=...)`` returns values and indices)."""
    check_tensor(x, "max")
    if x.numel() == 0:
        raise ValueError("max: the tensor is empty")
    return Max(_validate.axes(axis, x.ndim, "max"), keepdims)(x)


def min(x: Tensor, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001 - NumPy's name
    """Smallest value over ``axis`` (all axes when None): NumPy's min, PyTorch's amin."""
    return -max(-x, axis, keepdims)


def argmax(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """The index of the largest value along ``dim`` (of the flattened tensor when None), as PyTorch's
    ``torch.argmax``: an int64 tensor without a gradient; the first index among equal values, a NaN counting
    as the largest."""
    return _index_of(x, dim, keepdim, "argmax")


def argmin(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """The index of the smallest value along ``dim``, as PyTorch's ``torch.argmin`` (see ``argmax``)."""
    return _index_of(x, dim, keepdim, "argmin")


def _index_of(x: Tensor, dim, keepdim: bool, op: str) -> Tensor:
    """NumPy's (or CuPy's) ``argmax`` / ``argmin``, named by ``op``, with PyTorch's ``dim`` and ``keepdim``."""
    check_tensor(x, op)
    if x.numel() == 0:
        raise ValueError(f"{op}: the tensor is empty")
    find = getattr(backend.array_module(x.data), op)
    if dim is None:
        return Tensor(find(x.data.reshape(-1)).astype(np.int64).reshape(()))
    a = _validate.axis(dim, x.ndim, op, "dim")
    index = find(x.data, axis=a).astype(np.int64)
    return Tensor(index.reshape(index.shape[:a] + (1,) + index.shape[a:]) if keepdim else index)


def var(x: Tensor, axis=None, keepdims: bool = False, correction: int = 1,
        *, dim=None, keepdim: bool = False) -> Tensor:
    """Variance over ``axis``: Σ(x − mean)² / (N − correction); ``correction=1`` (the default, as in
    PyTorch) is the unbiased estimate, ``correction=0`` the population variance.  ``dim`` / ``keepdim`` are
    PyTorch's names for ``axis`` / ``keepdims``."""
    axis, keepdims = (axis if dim is None else dim), keepdims or keepdim
    check_tensor(x, "var")
    axes = _validate.axes(axis, x.ndim, "var")
    count = 1
    for a in axes:
        count *= x.shape[a]
    if count - correction <= 0:
        raise ValueError(f"var: {count} values are too few for correction={correction}")
    centred = x - mean(x, axes, keepdims=True)
    return sum(centred * centred, axes, keepdims) * (1.0 / (count - correction))


def std(x: Tensor, axis=None, keepdims: bool = False, correction: int = 1,
        *, dim=None, keepdim: bool = False) -> Tensor:
    """Standard deviation: sqrt of ``var`` (which takes ``dim`` / ``keepdim`` as well)."""
    axis, keepdims = (axis if dim is None else dim), keepdims or keepdim
    return sqrt(var(x, axis, keepdims, correction))


def logsumexp(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim: bool = False) -> Tensor:
    """log Σ exp(x) over ``axis``, computed stably by subtracting the maximum first.

    A row of −∞ gives −∞ and a row holding +∞ gives +∞, as in PyTorch.  ``dim`` / ``keepdim`` are PyTorch's
    names for ``axis`` / ``keepdims``.
    """
    axis, keepdims = (axis if dim is None else dim), keepdims or keepdim
    check_tensor(x, "logsumexp")
    axes = _validate.axes(axis, x.ndim, "logsumexp")
    xp = backend.array_module(x.data)
    # log Σ eˣ = m + log Σ e^(x − m) for any constant m; the row's maximum keeps e^(x − m) ≤ 1.  Where the
    # maximum is ±∞, x − m would be ∞ − ∞ = NaN: shift by 0 there (log Σ eˣ is then −∞ or +∞ itself)
    shift = xp.max(x.data, axis=axes, keepdims=True)
    shift = Tensor(xp.where(xp.isfinite(shift), shift, shift.dtype.type(0)))
    out = log(sum(exp(x - shift), axes, keepdims=True)) + shift
    return out if keepdims else reshape(out, tuple(n for i, n in enumerate(x.shape) if i not in axes))
