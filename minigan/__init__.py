"""minigan: a from-scratch deep-learning library to read beside Hung-yi Lee's "Introduction of GAN".

    import minigan as mg
    from minigan import nn, optim, functional as F
"""
from minigan import functional
from minigan.autograd import InplaceModificationError, Tensor, enable_grad, grad, is_grad_enabled, no_grad
from minigan.backend import (
    DeviceError, get_device, get_rng_state, gpu_available, manual_seed, set_device, set_rng_state,
)
from minigan.creation import (
    arange, float32, float64, full, get_default_dtype, ones, rand, randn, set_default_dtype, tensor, zeros,
)
from minigan.gradcheck import GradcheckError, gradcheck
from minigan import nn, optim
from minigan.io import CheckpointError, load, save

float, double = float32, float64  # noqa: A001 - PyTorch's names (mg.float is float32); not in __all__

__version__ = "0.1.0"

__all__ = [
    "CheckpointError", "DeviceError", "GradcheckError", "InplaceModificationError", "Tensor", "arange",
    "enable_grad", "float32", "float64", "full", "functional", "get_default_dtype", "get_device", "get_rng_state",
    "gpu_available", "grad", "gradcheck", "is_grad_enabled", "load", "manual_seed", "nn", "no_grad", "ones", "optim",
    "rand", "randn", "save", "set_default_dtype", "set_device", "set_rng_state", "tensor", "zeros",
]
