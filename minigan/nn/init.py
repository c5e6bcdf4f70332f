"""Initial values for parameters, filled in place (PyTorch's ``torch.nn.init``).

Each takes a Tensor or, as PyTorch code often passes (``nn.init.normal_(m.weight.data, 0.0, 0.02)`` in the
DCGAN tutorial), its raw array.  Every random value is drawn from the CPU generator (``backend.rng("cpu")``, seeded by
``mg.manual_seed``) in the tensor's dtype and then copied to wherever the tensor lives, so one seed
gives the same initial weights on the CPU and on the GPU.
"""
from __future__ import annotations

import math

import numpy as np

from minigan import backend
from minigan.autograd import Tensor, no_grad


def calculate_fan_in_and_fan_out(shape) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of ``shape`` (a shape or a Tensor), as PyTorch computes them.

    fan_in = shape[1] · receptive field, fan_out = shape[0] · receptive field, where the receptive
    field is the product of the axes after the first two (kh·kw for a convolution, 1 for Linear).
    """
    shape = tuple(shape.shape if isinstance(shape, Tensor) else shape)
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a weight with at least 2 axes, got shape {shape}")
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def _fill(tensor, values: np.ndarray):
    if not isinstance(tensor, Tensor):  # a raw NumPy/CuPy array, such as a parameter's .data
        tensor[...] = backend.to_device(values, backend.device_of(tensor))
        return tensor
    with no_grad():
        tensor.copy_(values)
    return tensor


def uniform_(tensor: Tensor, low: float = 0.0, high: float = 1.0) -> Tensor:
    """Fill ``tensor`` with samples of U(low, high)."""
    dtype = tensor.dtype.type
    u = backend.rand(tensor.shape, tensor.dtype, "cpu")
    return _fill(tensor, dtype(low) + dtype(high - low) * u)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill ``tensor`` with samples of N(mean, std²) (DCGAN initialises its weights with N(0, 0.02²))."""
    dtype = tensor.dtype.type
    z = backend.randn(tensor.shape, tensor.dtype, "cpu")
    return _fill(tensor, dtype(mean) + dtype(std) * z)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with 0."""
    return _fill(tensor, np.zeros(tensor.shape, dtype=tensor.dtype))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill ``tensor`` with ``val`` (DCGAN sets its batch-norm biases with constant_(bias, 0))."""
    return _fill(tensor, np.full(tensor.shape, val, dtype=tensor.dtype))


def ones_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with 1."""
    return _fill(tensor, np.ones(tensor.shape, dtype=tensor.dtype))


def kaiming_uniform_(tensor: Tensor, a: float = math.sqrt(5), mode: str = "fan_in") -> Tensor:
    """Fill ``tensor`` with U(−bound, bound), He et al.'s initialisation for a leaky ReLU of slope ``a``.

    gain = √(2 / (1 + a²)),  bound = gain · √(3 / fan).  The default a = √5 is what PyTorch's Linear
    and Conv layers pass (``torch.nn.init`` itself defaults to 0): it gives bound = 1/√fan_in.
    """
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming_uniform_: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor.shape)
    fan = fan_in if mode == "fan_in" else fan_out
    gain = math.sqrt(2.0 / (1 + a * a))
    bound = gain * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound)
