"""Activation functions, each with a numerically stable forward."""
from __future__ import annotations

import numpy as np

from minigan import _validate, backend
from minigan.autograd import Function, Tensor, is_grad_enabled
from minigan.functional import _kernels
from minigan.functional._convert import check_tensor
from minigan.functional.math import exp
from minigan.functional.reduce import sum


def _sigmoid_array(x):
    # σ(x) = 1 / (1 + e^−x) = e^x / (1 + e^x).  With e = e^−|x| ≤ 1 nothing overflows:
    # σ(x) = e^min(x, 0) / (1 + e)  (the first form for x ≥ 0, the second for x < 0, which keeps full
    # precision for tiny σ: σ(−20) ≈ 2e−9 is not rounded to 0).  Written with min rather than
    # np.where(x >= 0, 1, e): where branches on every element's sign and is many times slower.
    if _kernels.fused(x):
        return _kernels.kernel("sigmoid")(x)  # the lines below, in one GPU kernel
    xp = backend.array_module(x)
    e = xp.abs(x, out=xp.empty_like(x))  # out=: a 0-d input gives a 0-d array, not a NumPy scalar
    xp.negative(e, out=e)
    xp.exp(e, out=e)
    e += 1
    y = xp.minimum(x, 0, out=xp.empty_like(x))
    xp.exp(y, out=y)
    y /= e
    return y


def _softplus_array(x):
    # softplus(x) = log(1 + eˣ) = max(x, 0) + log(1 + e^−|x|): no overflow for large |x|.
    if _kernels.fused(x):
        return _kernels.kernel("softplus")(x)  # the lines below, in one GPU kernel
    xp = backend.array_module(x)
    e = xp.abs(x, out=xp.empty_like(x))  # in place from here on: one temporary instead of five
    xp.negative(e, out=e)
    xp.exp(e, out=e)
    xp.log1p(e, out=e)
    y = xp.maximum(x, 0, out=xp.empty_like(x))
    y += e
    return y


def _leaky_relu_array(x, slope):
    # x for x > 0, slope·x otherwise.  For 0 < slope ≤ 1 that is max(x, slope·x): one branch-free
    # pass, where np.where(x > 0, x, slope·x) branches on every element's sign (several times slower).
    if _kernels.fused(x):
        return _kernels.kernel("leaky_relu")(x, x.dtype.type(slope))  # the definition, in one GPU kernel
    xp = backend.array_module(x)
    y = xp.multiply(x, x.dtype.type(slope), out=xp.empty_like(x))  # out=: 0-d stays an array
    if 0 < slope <= 1:
        return xp.maximum(y, x, out=y)
    return xp.where(x > 0, x, y)


def _leaky_relu_slopes(x, slope):
    # d leaky_relu / dx: 1 where x > 0, slope elsewhere.  For 0 ≤ slope ≤ 1, max(1[x > 0], slope)
    # gives exactly that without branching (the plain version: np.where(x > 0, 1, slope)).
    xp = backend.array_module(x)
    if 0 <= slope <= 1:
        # 1.0 where x > 0, else 0.0: the comparison into booleans, then one copy that casts them (comparing
        # straight into a float array casts element by element, about 1.7 times slower)
        d = xp.empty_like(x)
        xp.copyto(d, xp.greater(x, 0))
        return xp.maximum(d, x.dtype.type(slope), out=d)
    return xp.where(x > 0, x.dtype.type(1), x.dtype.type(slope))


class LeakyReLU(Function):
    def __init__(self, slope):
        self.slope = slope

    def forward(self, x):
        return _leaky_relu_array(x, self.slope)

    def backward(self, gy):
        # leaky_relu′(x) = 1 for x > 0, slope otherwise
        return LeakyReLUGrad(self.inputs[0].data, self.slope)(gy)


class LeakyReLUGrad(Function):
    """gy ↦ gy · leaky_relu′(x) for a fixed x: a diagonal linear map, so its backward is itself.

    (leaky_relu′ is constant on each side of 0, so x itself gets no second-order gradient.)  With slope 0
    it is relu's backward.
    """

    saves = ()

    def __init__(self, x, slope):
        self.x, self.slope = x, slope

    def forward(self, gy):
        if _kernels.fused(gy):  # the two lines below, in one GPU kernel
            return _kernels.kernel("leaky_relu_grad")(gy, self.x, gy.dtype.type(self.slope))
        d = _leaky_relu_slopes(self.x, self.slope)
        d *= gy
        return d

    def backward(self, ggx):
        return LeakyReLUGrad(self.x, self.slope)(ggx)


class ReLU(Function):
    saves = ("output",)

    def forward(self, x):
        return backend.array_module(x).maximum(x, 0)

    def backward(self, gy):
        # relu is leaky_relu with slope 0, and output > 0 exactly where x > 0
        return LeakyReLUGrad(self.output.data, 0.0)(gy)


class Sigmoid(Function):
    saves = ("output",)

    def forward(self, x):
        return _sigmoid_array(x)

    def backward(self, gy):
        # σ′(x) = σ(x)(1 − σ(x)), with σ(x) the output
        y = self.output
        return gy * y * (1.0 - y)


class LogSigmoid(Function):
    def forward(self, x):
        # log σ(x) = −softplus(−x)
        return -_softplus_array(-x)

    def backward(self, gy):
        # d/dx log σ(x) = 1 − σ(x) = σ(−x)
        return gy * sigmoid(-self.inputs[0])


class Tanh(Function):
    saves = ("output",)

    def forward(self, x):
        return backend.array_module(x).tanh(x)

    def backward(self, gy):
        # tanh′(x) = 1 − tanh²(x), with tanh(x) the output
        y = self.output
        if _kernels.fused(gy.data) and not is_grad_enabled():  # the line below, in one GPU kernel
            return Tensor(_kernels.kernel("tanh_grad")(gy.data, y.data))
        return gy * (1.0 - y * y)


class Softplus(Function):
    def forward(self, x):
        return _softplus_array(x)

    def backward(self, gy):
        # d/dx log(1 + eˣ) = eˣ/(1 + eˣ) = σ(x)
        return gy * sigmoid(self.inputs[0])


def relu(x: Tensor) -> Tensor:
    """max(x, 0)."""
    return ReLU()(check_tensor(x, "relu"))


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, ``negative_slope`` · x otherwise."""
    return LeakyReLU(negative_slope)(check_tensor(x, "leaky_relu"))


def sigmoid(x: Tensor) -> Tensor:
    """σ(x) = 1 / (1 + e^−x)."""
    return Sigmoid()(check_tensor(x, "sigmoid"))


def sigmoid_simple(x: Tensor) -> Tensor:
    """σ(x) = 1 / (1 + e^−x) written as it reads, in Tensor ops: the plain twin of ``Sigmoid``.

    Four ops instead of one, and e^−x overflows to ∞ for x < −88 in float32 (σ is then 0, correctly, but
    with a warning); ``Sigmoid`` computes the same values branch-free without overflow.
    """
    return 1.0 / (1.0 + exp(-check_tensor(x, "sigmoid_simple")))


def log_sigmoid(x: Tensor) -> Tensor:
    """log σ(x) = −softplus(−x), stable for large |x|: the lecture's log D(x) from D's logit."""
    return LogSigmoid()(check_tensor(x, "log_sigmoid"))


def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return Tanh()(check_tensor(x, "tanh"))


def softplus(x: Tensor) -> Tensor:
    """log(1 + eˣ), stable for large |x|."""
    return Softplus()(check_tensor(x, "softplus"))


def _flush_below(dtype) -> float:
    """log √tiny (−43.7 for float32): softmax sets the entries whose log-probability is below it to 0.

    Such an entry (under 10⁻¹⁹ in float32) is too small to change the sum, which keeps 7 digits; but below about
    10⁻³⁸ floats become *denormal*, and a CPU multiplies denormal numbers 50–100 times slower than others.  A
    sentence GAN's G that grows sure of its words puts many entries there, and every matrix product with its
    output (in D, and back through G) slowed a run several-fold.  Cutting at √tiny rather than at tiny keeps
    the backward's products of such an entry with a gradient out of the denormal range as well.
    """
    return 0.5 * float(np.log(np.finfo(dtype).tiny))


class Softmax(Function):
    saves = ("output",)

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = backend.array_module(x)
        shifted = x - x.max(axis=self.axis, keepdims=True)
        e = xp.exp(shifted, out=xp.empty_like(shifted))  # out=: a 0-d input gives a 0-d array
        e[shifted < _flush_below(x.dtype)] = 0  # see _flush_below
        return e / e.sum(axis=self.axis, keepdims=True)

    def backward(self, gy):
        # dy_i/dx_j = y_i (δ_ij − y_j)  ⇒  gx = y (gy − Σ gy·y)
        y = self.output
        return y * (gy - sum(gy * y, self.axis, keepdims=True))


class LogSoftmax(Function):
    saves = ("output",)

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = backend.array_module(x)
        shifted = x - x.max(axis=self.axis, keepdims=True)
        return shifted - xp.log(xp.exp(shifted).sum(axis=self.axis, keepdims=True))

    def backward(self, gy):
        # log softmax(x)_i = x_i − logΣexp(x)  ⇒  gx = gy − softmax(x) Σ gy   (softmax flushed as Softmax's)
        y = self.output
        softmax_x = exp(y) * Tensor((y.data >= _flush_below(y.dtype)).astype(y.dtype))
        return gy - softmax_x * sum(gy, self.axis, keepdims=True)


def softmax(x: Tensor, axis: int = -1, *, dim=None) -> Tensor:
    """exp(x) / Σ exp(x) along ``axis`` (PyTorch's ``dim``)."""
    axis = axis if dim is None else dim
    check_tensor(x, "softmax")
    return Softmax(_validate.axis(axis, x.ndim, "softmax"))(x)


def log_softmax(x: Tensor, axis: int = -1, *, dim=None) -> Tensor:
    """log softmax(x) along ``axis`` (PyTorch's ``dim``), computed without forming softmax."""
    axis = axis if dim is None else dim
    check_tensor(x, "log_softmax")
    return LogSoftmax(_validate.axis(axis, x.ndim, "log_softmax"))(x)
