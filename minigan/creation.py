"""Making new tensors: ``mg.tensor``, zeros, ones, random noise (the lecture's z), ranges; the default dtype."""
from __future__ import annotations

import numpy as np

from minigan import backend
from minigan.autograd import Tensor

# PyTorch's names for the dtypes: ``dtype=mg.float32`` (``mg.float`` and ``mg.double`` are in minigan/__init__.py)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)

_default_dtype = float32


def get_default_dtype() -> np.dtype:
    """The dtype ``mg.tensor`` and the layers create (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(dtype) -> None:
    """Set the dtype ``mg.tensor`` and the layers create (float32 unless changed)."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"the default dtype must be a floating type, got {dtype}")
    _default_dtype = dtype


def as_array(value, dtype=None, device=None):
    """``value`` as an array of ``dtype`` (default dtype when None) on ``device`` (default device when None)."""
    dtype = np.dtype(dtype) if dtype is not None else _default_dtype
    device = backend.normalize_device(device) if device is not None else None
    if isinstance(value, Tensor):
        value = value._data
    if device is None:
        device = backend.device_of(value) if backend.device_of(value) == "gpu" else backend.get_device()
    xp = backend.module_for(device)
    if backend.device_of(value) != device:
        value = backend.to_device(np.asarray(value) if device == "gpu" else value, device)
    return xp.asarray(value, dtype=dtype)


def tensor(data, requires_grad: bool = False, dtype=None, device=None) -> Tensor:
    """A new leaf Tensor holding a copy of ``data`` (a list, number, NumPy/CuPy array or Tensor).

    The dtype is the default (float32) unless ``dtype`` is given: a float64 NumPy array becomes
    float32 too, so a model's inputs and its parameters agree.  The device is the current default
    device unless ``device`` is given.
    """
    array = as_array(data, dtype, device)
    if array is data or (isinstance(data, Tensor) and array is data._data):
        array = array.copy()
    return Tensor(array, requires_grad=requires_grad)



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
    """A tensor of shape ``shape`` (a tuple or an int) filled with ``value``."""
    dtype, device = _where(dtype, device)
    return Tensor(backend.module_for(device).full(_shape((shape,)), value, dtype=dtype), requires_grad=requires_grad)


def arange(start, stop=None, step=1, dtype=None, device=None) -> Tensor:
    """Evenly spaced values in [start, stop), like ``numpy.arange``."""
    dtype, device = _where(dtype, device)
    return Tensor(backend.module_for(device).arange(start, stop, step).astype(dtype))


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included (``torch.linspace``)."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"linspace: steps must be a non-negative int, got {steps!r}")
    dtype, device = _where(dtype, device)
    values = backend.module_for(device).linspace(start, end, steps, dtype=np.float64).astype(dtype)
    return Tensor(values, requires_grad=requires_grad)


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """The n×m identity matrix (m = n unless given), ``torch.eye``."""
    dtype, device = _where(dtype, device)
    return Tensor(backend.module_for(device).eye(n, m, dtype=dtype), requires_grad=requires_grad)


def empty(*shape, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """PyTorch's ``torch.empty``, filled with zeros: minigan never hands out uninitialised memory."""
    return zeros(*shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randn(*shape, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Samples of N(0, 1) from minigan's seeded generator (``mg.manual_seed``)."""
    dtype, device = _where(dtype, device)
    return Tensor(backend.randn(_shape(shape), dtype, device), requires_grad=requires_grad)


def rand(*shape, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Samples of U[0, 1) from minigan's seeded generator."""
    dtype, device = _where(dtype, device)
    return Tensor(backend.rand(_shape(shape), dtype, device), requires_grad=requires_grad)


# ---------------------------------------------------------------- PyTorch's *_like: x's shape, dtype and device
def _like(x, dtype, device, op: str):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    return x.shape, (x.dtype if dtype is None else dtype), (x.device if device is None else device)


def zeros_like(x: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Zeros with ``x``'s shape, dtype and device (unless ``dtype`` / ``device`` say otherwise)."""
    shape, dtype, device = _like(x, dtype, device, "zeros_like")
    return zeros(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(x: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Ones with ``x``'s shape, dtype and device (unless ``dtype`` / ``device`` say otherwise)."""
    shape, dtype, device = _like(x, dtype, device, "ones_like")
    return ones(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(x: Tensor, value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``value`` everywhere, with ``x``'s shape, dtype and device (unless ``dtype`` / ``device`` say otherwise)."""
    shape, dtype, device = _like(x, dtype, device, "full_like")
    return full(shape, value, dtype=dtype, device=device, requires_grad=requires_grad)


def randn_like(x: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """N(0, 1) samples with ``x``'s shape, dtype and device (unless ``dtype`` / ``device`` say otherwise)."""
    shape, dtype, device = _like(x, dtype, device, "randn_like")
    return randn(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def rand_like(x: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """U[0, 1) samples with ``x``'s shape, dtype and device (unless ``dtype`` / ``device`` say otherwise)."""
    shape, dtype, device = _like(x, dtype, device, "rand_like")
    return rand(shape, dtype=dtype, device=device, requires_grad=requires_grad)
