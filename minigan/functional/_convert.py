"""Turning the other operand of an op (a Python number, an array) into a Tensor that matches."""
from __future__ import annotations

import numpy as np

from minigan import backend
from minigan.autograd import Tensor


def as_tensor_like(value, like: Tensor) -> Tensor:
    """``value`` as a Tensor with ``like``'s dtype and device.

    A Python number becomes an array of ``like``'s dtype, so ``x * 0.5`` stays float32
    (NumPy would otherwise be free to promote it).  A Tensor passes through unchanged, and an
    array from another device or of another dtype is left for the op to reject with a clear error.
    """
    if isinstance(value, Tensor):
        return value
    xp = backend.array_module(like.data)
    if isinstance(value, (int, float, bool, np.number)):
        # full(), not asarray(): on the GPU asarray would copy the number from the host and wait for the
        # GPU to finish all queued work first; full() is a fill queued like any other kernel
        return Tensor(xp.full((), value, dtype=like.dtype))
    if isinstance(value, (list, tuple)):
        return Tensor(xp.asarray(value, dtype=like.dtype))
    if hasattr(value, "dtype") and value.dtype.kind in "biu":
        return Tensor(xp.asarray(value, dtype=like.dtype))
    return Tensor(value)


def operands(a, b, op: str) -> tuple[Tensor, Tensor]:
    """Both operands of the binary op ``op`` as floating-point Tensors (a number takes the other's dtype)."""
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            raise TypeError(f"{op}: expected at least one Tensor, got {type(a).__name__} and {type(b).__name__}")
        a = as_tensor_like(a, b)
    elif not isinstance(b, Tensor):
        b = as_tensor_like(b, a)
    return check_tensor(a, op, "left operand"), check_tensor(b, op, "right operand")


def check_tensor(x, op: str, name: str = "input") -> Tensor:
    """``x`` if it is a floating-point Tensor; otherwise an error naming the op."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__} (wrap it with mg.tensor)")
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be a floating-point tensor, got dtype {x.dtype}")
    return x
