"""Activation functions, each with a numerically stable forward."""
from __future__ import annotations

from minigan import backend
from minigan.autograd import Function, Tensor
from minigan.functional._convert import check_tensor
from minigan.functional.math import exp
from minigan.functional.reduce import sum


def _sigmoid_array(x):
    # σ(x) = 1 / (1 + e^−x) = e^x / (1 + e^x).  With e = e^−|x| ≤ 1 nothing overflows, and for x < 0 the
    # second form keeps full precision for tiny σ (σ(−20) ≈ 2e−9 is not rounded to 0).
    xp = backend.array_module(x)
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1, e) / (1 + e)


def _softplus_array(x):
    # softplus(x) = log(1 + eˣ) = max(x, 0) + log(1 + e^−|x|): no overflow for large |x|.
    xp = backend.array_module(x)
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


class ReLU(Function):
    saves = ("output",)

    def forward(self, x):
        return backend.array_module(x).maximum(x, 0)

    def backward(self, gy):
        return gy * Tensor((self.output.data > 0).astype(gy.dtype))


class LeakyReLU(Function):
    def __init__(self, slope):
        self.slope = slope

    def forward(self, x):
        return backend.array_module(x).where(x > 0, x, x * x.dtype.type(self.slope))

    def backward(self, gy):
        x = self.inputs[0].data
        slope = backend.array_module(x).where(x > 0, x.dtype.type(1), x.dtype.type(self.slope))
        return gy * Tensor(slope)


class Sigmoid(Function):
    saves = ("output",)

    def forward(self, x):
        return _sigmoid_array(x)

    def backward(self, gy):
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
        y = self.output
        return gy * (1.0 - y * y)


class Softplus(Function):
    def forward(self, x):
        return _softplus_array(x)

    def backward(self, gy):
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


def log_sigmoid(x: Tensor) -> Tensor:
    """log σ(x) = −softplus(−x), stable for large |x|: the lecture's log D(x) from D's logit."""
    return LogSigmoid()(check_tensor(x, "log_sigmoid"))


def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return Tanh()(check_tensor(x, "tanh"))


def softplus(x: Tensor) -> Tensor:
    """log(1 + eˣ), stable for large |x|."""
    return Softplus()(check_tensor(x, "softplus"))


class Softmax(Function):
    saves = ("output",)

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = backend.array_module(x)
        e = xp.exp(x - x.max(axis=self.axis, keepdims=True))
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
        # log softmax(x)_i = x_i − logΣexp(x)  ⇒  gx = gy − softmax(x) Σ gy
        return gy - exp(self.output) * sum(gy, self.axis, keepdims=True)


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / Σ exp(x) along ``axis``."""
    return Softmax(axis)(check_tensor(x, "softmax"))


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """log softmax(x) along ``axis``, computed without forming softmax."""
    return LogSoftmax(axis)(check_tensor(x, "log_softmax"))
