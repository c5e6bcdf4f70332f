"""Making new tensors: zeros, ones, random noise (the lecture's z), ranges."""
from __future__ import annotations

import numpy as np

from minigan import backend
from minigan.autograd import Tensor, get_default_dtype


def _shape(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _where(dtype, device):
    dtype = np.dtype(dtype) if dtype is not None else get_default_dtype()
    device = backend.normalize_device(device) if device is not None else backend.get_device()
    return dtype, device


def zeros(*shape, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros."""
    dtype, device = _where(dtype, device)
    return Tensor(backend.module_for(device).zeros(_shape(shape), dtype=dtype), requires_grad=requires_grad)


def ones(*shape, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    dtype, device = _where(dtype, device)
    return Tensor(backend.module_for(device).ones(_shape(shape), dtype=dtype), requires_grad=requires_grad)


def full(shape, value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``value``."""
    dtype, device = _where(dtype, device)
    return Tensor(backend.module_for(device).full(tuple(shape), value, dtype=dtype), requires_grad=requires_grad)


def arange(start, stop=None, step=1, dtype=None, device=None) -> Tensor:
    """Evenly spaced values in [start, stop), like ``numpy.arange``."""
    dtype, device = _where(dtype, device)
    return Tensor(backend.module_for(device).arange(start, stop, step).astype(dtype))


def randn(*shape, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Samples of N(0, 1) from minigan's seeded generator (``mg.manual_seed``)."""
    dtype, device = _where(dtype, device)
    return Tensor(backend.randn(_shape(shape), dtype, device), requires_grad=requires_grad)


def rand(*shape, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Samples of U[0, 1) from minigan's seeded generator."""
    dtype, device = _where(dtype, device)
    return Tensor(backend.rand(_shape(shape), dtype, device), requires_grad=requires_grad)
