"""Elementwise arithmetic, elementwise functions and the matrix product.

Each op is a Function: ``forward`` on raw arrays, ``backward`` in Tensor ops (so it can be
differentiated again).  Binary ops broadcast like NumPy; their backward sums each gradient back
to its input's shape with ``sum_to``.
"""
from __future__ import annotations

import numpy as np

from minigan import backend
from minigan.autograd import Function, Tensor
from minigan.functional._convert import as_tensor_like, check_tensor, operands
from minigan.functional.shape import squeeze, sum_to, swapaxes, unsqueeze


class _Binary(Function):
    """A binary op: remembers input shapes so backward can undo broadcasting."""

    def reduce(self, gx0, gx1):
        x0, x1 = self.inputs
        g0 = sum_to(gx0, x0.shape) if self.needs_grad[0] else None
        g1 = sum_to(gx1, x1.shape) if self.needs_grad[1] else None
        return g0, g1


class Add(_Binary):
    saves = ()

    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        # ∂(a + b)/∂a = 1,  ∂(a + b)/∂b = 1
        return self.reduce(gy, gy)


class Sub(_Binary):
    saves = ()

    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        # ∂(a − b)/∂a = 1,  ∂(a − b)/∂b = −1
        return self.reduce(gy, -gy if self.needs_grad[1] else None)


class Mul(_Binary):
    def forward(self, a, b):
        return a * b

    def backward(self, gy):
        # ∂(ab)/∂a = b,  ∂(ab)/∂b = a
        a, b = self.inputs
        return self.reduce(gy * b if self.needs_grad[0] else None, gy * a if self.needs_grad[1] else None)


class Div(_Binary):
    def forward(self, a, b):
        return a / b

    def backward(self, gy):
        # ∂(a/b)/∂a = 1/b,  ∂(a/b)/∂b = −a/b²  (= −(gy/b)·a/b, reusing gy/b)
        a, b = self.inputs
        ga = gy / b
        return self.reduce(ga, -ga * a / b if self.needs_grad[1] else None)


class Pow(_Binary):
    """a ** b for tensors: d/da = b a^(b-1), d/db = a^b log a (a > 0; at a = 0 see backward)."""

    saves = ("inputs", "output")

    def forward(self, a, b):
        return a**b

    def backward(self, gy):
        # d/da aᵇ = b aᵇ⁻¹,  d/db aᵇ = aᵇ log a.  At a = 0 they are 0 · ∞ (for b = 0, and for b ≥ 0), which
        # PyTorch takes as 0, not NaN: a is replaced by 1 there, whose power and log give that 0
        a, b = self.inputs
        a_for_ga = a_for_gb = a
        xp = backend.array_module(a.data)
        at_zero = a.data == 0
        if xp is not np or at_zero.any():  # the CPU asks first (no copies in the common case); the GPU would wait
            a_for_ga = a + Tensor((at_zero & (b.data == 0)).astype(a.dtype))  # elsewhere a + 0 is a, bit for bit
            a_for_gb = a + Tensor((at_zero & (b.data >= 0)).astype(a.dtype))
        ga = gy * b * a_for_ga ** (b - 1) if self.needs_grad[0] else None
        gb = gy * self.output * log(a_for_gb) if self.needs_grad[1] else None
        return self.reduce(ga, gb)


class PowScalar(Function):
    """x ** c for a constant number c: d/dx = c x^(c-1)."""

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        return x ** x.dtype.type(self.c)

    def backward(self, gy):
        (x,) = self.inputs
        # d/dx xᶜ = c xᶜ⁻¹
        if self.c == 0:  # d/dx x⁰ = 0; the formula below would give 0 · ∞ at x = 0
            return gy * 0.0
        if self.c == 2:
            return gy * x * 2.0
        return gy * self.c * x ** (self.c - 1)


class Neg(Function):
    saves = ()

    def forward(self, x):
        return -x

    def backward(self, gy):
        # d/dx (−x) = −1
        return -gy


def add(a, b) -> Tensor:
    """a + b, broadcasting."""
    return Add()(*operands(a, b, "add"))


def sub(a, b) -> Tensor:
    """a − b, broadcasting."""
    return Sub()(*operands(a, b, "sub"))


def mul(a, b) -> Tensor:
    """a × b, elementwise, broadcasting."""
    return Mul()(*operands(a, b, "mul"))


def div(a, b) -> Tensor:
    """a ÷ b, elementwise, broadcasting."""
    return Div()(*operands(a, b, "div"))


def pow(a, b) -> Tensor:  # noqa: A001 - the operator's name
    """a ** b: a constant exponent when b is a number, else elementwise (a must be positive for d/db)."""
    if isinstance(a, Tensor) and isinstance(b, (int, float)):
        return PowScalar(b)(a)
    return Pow()(*operands(a, b, "pow"))


def neg(x: Tensor) -> Tensor:
    """−x."""
    return Neg()(check_tensor(x, "neg"))


# ---------------------------------------------------------------- elementwise functions
class Exp(Function):
    saves = ("output",)

    def forward(self, x):
        return backend.array_module(x).exp(x)

    def backward(self, gy):
        # d/dx eˣ = eˣ, the output itself
        return gy * self.output


class Log(Function):
    def forward(self, x):
        return backend.array_module(x).log(x)

    def backward(self, gy):
        # d/dx log x = 1/x
        return gy / self.inputs[0]


class Sqrt(Function):
    saves = ("output",)

    def forward(self, x):
        return backend.array_module(x).sqrt(x)

    def backward(self, gy):
        # d/dx √x = 1/(2√x), with √x the output
        return gy / (self.output * 2.0)


class Abs(Function):
    def forward(self, x):
        return backend.array_module(x).abs(x)

    def backward(self, gy):
        # d/dx |x| = sign(x) (0 at 0, a subgradient)
        x = self.inputs[0]
        return gy * Tensor(backend.array_module(x.data).sign(x.data))


def exp(x: Tensor) -> Tensor:
    """eˣ."""
    return Exp()(check_tensor(x, "exp"))


def log(x: Tensor) -> Tensor:
    """Natural logarithm."""
    return Log()(check_tensor(x, "log"))


def sqrt(x: Tensor) -> Tensor:
    """Square root."""
    return Sqrt()(check_tensor(x, "sqrt"))


def abs(x: Tensor) -> Tensor:  # noqa: A001 - NumPy's name
    """|x| (gradient sign(x), 0 at 0)."""
    return Abs()(check_tensor(x, "abs"))


class Clip(Function):
    def __init__(self, low, high):
        self.low, self.high = low, high

    def forward(self, x):
        return backend.array_module(x).clip(x, self.low, self.high)

    def backward(self, gy):
        # d/dx clip(x) = 1 inside [low, high], 0 outside
        x = self.inputs[0].data
        inside = (x >= (self.low if self.low is not None else -float("inf"))) & (
            x <= (self.high if self.high is not None else float("inf"))
        )
        return gy * Tensor(inside.astype(x.dtype))


def clip(x: Tensor, low=None, high=None) -> Tensor:
    """Values limited to [low, high] (either may be None); the gradient is 0 outside."""
    check_tensor(x, "clip")
    if low is not None:
        low = x.dtype.type(low)
    if high is not None:
        high = x.dtype.type(high)
    return Clip(low, high)(x)


def clamp(input: Tensor, min=None, max=None) -> Tensor:  # noqa: A002 - PyTorch's keywords
    """PyTorch's ``torch.clamp`` (and ``torch.clip``, ``x.clamp``, ``x.clip``): ``clip`` with the keywords
    ``min`` and ``max``."""
    return clip(check_tensor(input, "clamp"), min, max)


class Where(_Binary):
    """a where the condition holds, b elsewhere; the gradient goes to a where it holds and to b elsewhere."""

    saves = ()

    def __init__(self, condition):
        self.condition = condition

    def forward(self, a, b):
        return backend.array_module(a).where(self.condition, a, b)

    def backward(self, gy):
        take_a = Tensor(self.condition.astype(gy.dtype))
        return self.reduce(gy * take_a if self.needs_grad[0] else None,
                           gy * (1 - take_a) if self.needs_grad[1] else None)


def where(condition, input, other) -> Tensor:  # noqa: A002 - PyTorch's keyword
    """PyTorch's ``torch.where(condition, input, other)``: ``input`` where the boolean ``condition`` holds,
    ``other`` elsewhere, all three broadcasting; either value may be a number.  (The one-argument form, the
    indices where a condition holds, is NumPy's ``nonzero``: ``np.nonzero(mask.numpy())``.)"""
    condition = condition.data if isinstance(condition, Tensor) else condition
    if getattr(condition, "dtype", None) != np.bool_:
        kind = getattr(condition, "dtype", type(condition).__name__)
        raise TypeError(f"where: condition must be a boolean tensor (e.g. x > 0), got {kind}")
    a, b = operands(input, other, "where")
    if backend.device_of(condition) != backend.device_of(a.data):
        raise ValueError(f"where: condition is on the {backend.device_of(condition)} and the values on the "
                         f"{backend.device_of(a.data)}; move one with .to()")
    try:
        np.broadcast_shapes(condition.shape, a.shape, b.shape)
    except ValueError:
        raise ValueError(f"where: shapes {condition.shape} (condition), {a.shape} and {b.shape} do not "
                         f"broadcast") from None
    # a copy of the condition: changing the mask in place later must not change this op's gradient
    return Where(condition.copy())(a, b)


class Maximum(_Binary):
    def forward(self, a, b):
        return backend.array_module(a).maximum(a, b)

    def backward(self, gy):
        # ∂ max(a, b)/∂a = 1 where a ≥ b, else 0; ∂/∂b the rest
        a, b = self.inputs
        take_a = (a.data >= b.data).astype(gy.dtype)  # ties go to a
        return self.reduce(gy * Tensor(take_a), gy * Tensor(1 - take_a))


class Minimum(_Binary):
    def forward(self, a, b):
        return backend.array_module(a).minimum(a, b)

    def backward(self, gy):
        # ∂ min(a, b)/∂a = 1 where a ≤ b, else 0; ∂/∂b the rest
        a, b = self.inputs
        take_a = (a.data <= b.data).astype(gy.dtype)  # ties go to a
        return self.reduce(gy * Tensor(take_a), gy * Tensor(1 - take_a))


def maximum(a, b) -> Tensor:
    """Elementwise larger of a and b (the gradient goes to a where they tie)."""
    return Maximum()(*operands(a, b, "maximum"))


def minimum(a, b) -> Tensor:
    """Elementwise smaller of a and b (the gradient goes to a where they tie)."""
    return Minimum()(*operands(a, b, "minimum"))


# ---------------------------------------------------------------- matrix product
class MatMul(Function):
    def forward(self, a, b):
        return a @ b

    def backward(self, gy):
        # Y = AB  ⇒  gA = gY·Bᵀ, gB = Aᵀ·gY  (transposing the last two axes; sum_to undoes batch broadcasting)
        a, b = self.inputs
        ga = sum_to(gy @ swapaxes(b, -1, -2), a.shape) if self.needs_grad[0] else None
        gb = sum_to(swapaxes(a, -1, -2) @ gy, b.shape) if self.needs_grad[1] else None
        return ga, gb


def matmul(a, b) -> Tensor:
    """Matrix product of 2-D tensors, or batched over leading axes (which broadcast).

    A 1-D operand is a vector, as in PyTorch and NumPy: ``a`` becomes a row (1, n) and ``b`` a column (n, 1),
    and that axis is dropped from the result, so vector @ vector is a 0-d dot product.
    """
    a, b = operands(a, b, "matmul")
    if a.ndim < 2 or b.ndim < 2:
        return _matmul_vectors(a, b)
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not fit ({a.shape[-1]} != {b.shape[-2]})")
    return MatMul()(a, b)


def mm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002 - PyTorch's keyword
    """PyTorch's ``torch.mm``: the product of two matrices (2-D tensors only; ``matmul`` broadcasts)."""
    for name, m in (("input", input), ("mat2", mat2)):
        if check_tensor(m, "mm", name).ndim != 2:
            raise ValueError(f"mm: {name} must be a matrix (2 dims), got shape {m.shape}; matmul takes other shapes")
    return matmul(input, mat2)


def _matmul_vectors(a: Tensor, b: Tensor) -> Tensor:
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both operands need at least 1 dimension, got shapes {a.shape} and {b.shape}")
    inner = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if a.shape[-1] != inner:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not fit ({a.shape[-1]} != {inner})")
    y = matmul(unsqueeze(a, 0) if a.ndim == 1 else a, unsqueeze(b, 1) if b.ndim == 1 else b)
    # drop the axes the vectors were given: b's column (last), then a's row (second to last, or last once b's is gone)
    if b.ndim == 1:
        y = squeeze(y, -1)
    if a.ndim == 1:
        y = squeeze(y, -1 if b.ndim == 1 else -2)
    return y


# ---------------------------------------------------------------- comparisons (boolean tensors, no gradient)
def _comparison(name: str, ufunc: str, symbol: str):
    def compare(a, b) -> Tensor:
        a, b = (a, as_tensor_like(b, a)) if isinstance(a, Tensor) else (as_tensor_like(a, b), b)
        return Tensor(getattr(backend.array_module(a.data), ufunc)(a.data, b.data))

    compare.__name__ = compare.__qualname__ = name
    compare.__doc__ = f"a {symbol} b elementwise, broadcasting: a boolean tensor (comparisons have no gradient)."
    return compare


eq, ne = _comparison("eq", "equal", "=="), _comparison("ne", "not_equal", "!=")
lt, le = _comparison("lt", "less", "<"), _comparison("le", "less_equal", "<=")
gt, ge = _comparison("gt", "greater", ">"), _comparison("ge", "greater_equal", ">=")


__all__ = [
    "add", "sub", "mul", "div", "pow", "neg", "exp", "log", "sqrt", "abs", "clamp", "clip", "where",
    "maximum", "minimum", "matmul", "mm", "eq", "ne", "lt", "le", "gt", "ge",
]
