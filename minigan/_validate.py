"""Checking arguments: one helper per idea (axes, positive integers, pairs), each with one error.

Every op and layer that takes an axis, a size or a (height, width) pair checks it here, so an out-of-range
axis is an error everywhere (never wrapped around by ``% ndim``), NumPy integers are accepted wherever
Python integers are (``x.sum(axis=np.int64(1))``, ``nn.Linear(np.int64(3), 2)``), and the message names
the op and the argument.
"""
from __future__ import annotations

import operator


class AxisError(IndexError, ValueError):
    """An axis that the tensor does not have (an IndexError as in PyTorch, a ValueError as in NumPy)."""


def _integer(value):
    """``value`` as a Python int when it is an integer (int, NumPy integer), else None (bool is not one)."""
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


def axis(value, ndim: int, op: str, name: str = "axis") -> int:
    """One axis of a tensor with ``ndim`` dimensions, in [−ndim, ndim), as a non-negative int."""
    a = _integer(value)
    if a is None:
        raise AxisError(f"{op}: {name} must be an integer, got {value!r}")
    if not -ndim <= a < ndim:
        low, high = (-ndim, ndim - 1) if ndim else (-1, 0)
        raise AxisError(f"{op}: {name} {a} is out of range for a tensor with {ndim} dimensions "
                        f"(expected an axis in [{low}, {high}])")
    return a % ndim if ndim else 0


def axes(value, ndim: int, op: str, name: str = "axis") -> tuple:
    """``value`` (None for all axes, an axis, or a sequence of them) as a sorted tuple of distinct axes."""
    if value is None:
        return tuple(range(ndim))
    values = (value,) if _integer(value) is not None or not hasattr(value, "__iter__") else tuple(value)
    result = tuple(sorted(axis(a, ndim, op, name) for a in values))
    if len(set(result)) != len(result):
        raise AxisError(f"{op}: {name} {value!r} names an axis more than once")
    return result


def permutation(value, ndim: int, op: str) -> tuple:
    """``value`` as an ordering of all ``ndim`` axes (negative ones allowed), as ``transpose`` takes it."""
    values = tuple(value)
    result = tuple(axis(a, ndim, op, "dims") for a in values)
    if sorted(result) != list(range(ndim)):
        raise AxisError(f"{op}: dims {values} are not a permutation of the {ndim} axes of the tensor")
    return result


def integer(value, name: str, where: str, minimum: int = 1) -> int:
    """``value`` as a Python int that is at least ``minimum`` (a size: 1; a padding: 0)."""
    n = _integer(value)
    if n is None or n < minimum:
        kind = "a positive integer" if minimum == 1 else f"an integer ≥ {minimum}"
        raise ValueError(f"{where}: {name} must be {kind}, got {value!r}")
    return n


def int_pair(value, name: str, where: str, minimum: int = 1) -> tuple:
    """An int or a pair of ints (each at least ``minimum``) as an (h, w) pair of Python ints."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    pair = tuple(_integer(v) for v in values)
    if len(pair) != 2 or any(v is None or v < minimum for v in pair):
        raise ValueError(f"{where}: {name} must be an int or a pair of ints, each at least {minimum}; got {value!r}")
    return pair
