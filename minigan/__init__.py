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
    arange, float32, float64, full, full_like, get_default_dtype, ones, ones_like, rand, rand_like, randn, randn_like,
    set_default_dtype, tensor, zeros, zeros_like,
)
# PyTorch's top-level functions (torch.cat, torch.sigmoid, ...) are minigan.functional's, with the same arguments;
# torch.max / torch.min (which return values and indices along a dim) are not among them: use F.max or argmax
from minigan.functional import (  # noqa: A004 - abs, pow, sum as in torch
    abs, argmax, argmin, cat, exp, flatten, log, log_softmax, logsumexp, matmul, maximum, mean, minimum, permute, pow,
    relu, sigmoid, softmax, sqrt, squeeze, stack, std, sum, tanh, transpose, unsqueeze, var,
)
from minigan.gradcheck import GradcheckError, gradcheck
from minigan import cuda, nn, optim
from minigan.io import CheckpointError, load, save

float, double = float32, float64  # noqa: A001 - PyTorch's names (mg.float is float32); not in __all__
device = Device  # PyTorch's spelling, torch.device: mg.device("cuda:0") is minigan's 'gpu'

__version__ = "0.1.0"

__all__ = [
    # PyTorch's top-level functions
    "abs", "argmax", "argmin", "cat", "exp", "flatten", "log", "log_softmax", "logsumexp", "matmul", "maximum", "mean",
    "minimum", "permute", "pow", "relu", "sigmoid", "softmax", "sqrt", "squeeze", "stack", "std", "sum", "tanh",
    "transpose", "unsqueeze", "var",
    "CheckpointError", "Device", "DeviceError", "GradcheckError", "InplaceModificationError", "Tensor", "arange",
    "cuda", "device", "enable_grad", "float32", "float64", "full", "full_like", "functional", "get_default_dtype",
    "get_device", "get_rng_state", "gpu_available", "grad", "gradcheck", "is_grad_enabled", "load", "manual_seed",
    "nn", "no_grad", "ones", "ones_like", "optim", "rand", "rand_like", "randn", "randn_like", "save",
    "set_default_dtype", "set_device", "set_rng_state", "tensor", "zeros", "zeros_like",
]
