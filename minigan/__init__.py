"""minigan: a from-scratch deep-learning library to read beside Hung-yi Lee's "Introduction of GAN".

    import minigan as mg
    from minigan import nn, optim, functional as F
"""
from minigan import functional
from minigan.autograd import InplaceModificationError, Tensor, enable_grad, grad, is_grad_enabled, no_grad
from minigan.backend import (
    Device, DeviceError, get_device, get_rng_state, gpu_available, manual_seed, set_device, set_rng_state,
)
from minigan.creation import (
    arange, empty, eye, float32, float64, full, full_like, get_default_dtype, linspace, ones, ones_like, rand,
    rand_like, randn, randn_like, set_default_dtype, tensor, zeros, zeros_like,
)
# PyTorch's top-level functions (torch.cat, torch.sigmoid, ...) are minigan.functional's, with the same arguments;
# torch.max / torch.min (which return values and indices along a dim) are not among them: use F.max or argmax
from minigan.functional import (  # noqa: A004 - abs, pow, sum as in torch
    abs, argmax, argmin, cat, chunk, clamp, exp, flatten, log, log_softmax, logsumexp, matmul, maximum, mean, minimum,
    mm, permute, pow, relu, sigmoid, softmax, split, sqrt, squeeze, stack, std, sum, t, tanh, transpose, unsqueeze, var,
    where,
)
from minigan.gradcheck import GradcheckError, gradcheck
from minigan import cuda, nn, optim
from minigan.io import CheckpointError, load, save

float, double = float32, float64  # noqa: A001 - PyTorch's names (mg.float is float32); not in __all__
clip = clamp  # torch.clip is torch.clamp


def is_tensor(obj) -> bool:
    """Whether ``obj`` is a minigan Tensor (``torch.is_tensor``)."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:  # noqa: A002 - PyTorch's keyword
    """The number of elements of ``input`` (``torch.numel``)."""
    return input.numel()


device = Device  # PyTorch's spelling, torch.device: mg.device("cuda:0") is minigan's 'gpu'

__version__ = "0.1.0"

__all__ = [
    # PyTorch's top-level functions
    "abs", "argmax", "argmin", "cat", "chunk", "clamp", "clip", "exp", "flatten", "is_tensor", "log", "log_softmax",
    "logsumexp", "matmul", "maximum", "mean", "minimum", "mm", "numel", "permute", "pow", "relu", "sigmoid", "softmax",
    "split", "sqrt", "squeeze", "stack", "std", "sum", "t", "tanh", "transpose", "unsqueeze", "var", "where",
    "CheckpointError", "Device", "DeviceError", "GradcheckError", "InplaceModificationError", "Tensor", "arange",
    "cuda", "device", "empty", "enable_grad", "eye", "float32", "float64", "full", "full_like", "functional",
    "get_default_dtype", "get_device", "get_rng_state", "gpu_available", "grad", "gradcheck", "is_grad_enabled",
    "linspace", "load", "manual_seed", "nn", "no_grad", "ones", "ones_like", "optim", "rand", "rand_like", "randn",
    "randn_like", "save", "set_default_dtype", "set_device", "set_rng_state", "tensor", "zeros", "zeros_like",
]
