"""Convolution layers, pooling and upsampling (PyTorch's names, arguments, weight layouts and initialisation)."""
from __future__ import annotations

import math

from minigan import _validate
from minigan import functional as F
from minigan.autograd import Tensor
from minigan.creation import zeros
from minigan.nn import init
from minigan.nn.module import Module, Parameter


class _Conv(Module):
    """What Conv2d and ConvTranspose2d share: sizes, parameters, initialisation, repr."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, bias, transposed):
        super().__init__()
        name = type(self).__name__
        self.in_channels = _validate.integer(in_channels, "in_channels", name)
        self.out_channels = _validate.integer(out_channels, "out_channels", name)
        self.kernel_size = _validate.int_pair(kernel_size, "kernel_size", name)
        self.stride = _validate.int_pair(stride, "stride", name)
        self.padding = _validate.int_pair(padding, "padding", name, minimum=0)
        channels = (self.in_channels, self.out_channels) if transposed else (self.out_channels, self.in_channels)
        self.weight = Parameter(zeros(*channels, *self.kernel_size))
        if bias:
            self.bias = Parameter(zeros(self.out_channels))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default, the same on every device: W ~ kaiming_uniform(a = √5), b ~ U(±1/√fan_in).

        fan_in comes from the weight's shape (axis 1 times kh·kw), as in PyTorch: for a transposed
        convolution, whose weight is (in, out, kh, kw), that is out·kh·kw.
        """
        # a = √5: bound = √(2/(1+5)) · √(3/fan_in) = 1/√fan_in
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init.calculate_fan_in_and_fan_out(self.weight.shape)
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}" + ("" if self.bias is not None else ", bias=False"))


class Conv2d(_Conv):
    """2-D convolution: weight (out_channels, in_channels, kh, kw), bias (out_channels,).

    Output size ⌊(H + 2·padding − kh) / stride⌋ + 1; DCGAN's discriminator halves the size with
    ``Conv2d(c_in, c_out, 4, stride=2, padding=1)``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, bias: bool = True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, bias, transposed=False)

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding)


class ConvTranspose2d(_Conv):
    """Transposed 2-D convolution: weight (in_channels, out_channels, kh, kw), bias (out_channels,).

    Output size (H − 1)·stride − 2·padding + kh + output_padding; DCGAN's generator doubles the
    size with ``ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1)``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 bias: bool = True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, bias, transposed=True)
        self.output_padding = _validate.int_pair(output_padding, "output_padding", "ConvTranspose2d", minimum=0)

    def forward(self, x: Tensor) -> Tensor:
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding)

    def extra_repr(self) -> str:
        extra = f", output_padding={self.output_padding}" if any(self.output_padding) else ""
        return super().extra_repr() + extra


class MaxPool2d(Module):
    """The largest value of each kernel_size window (stride defaults to kernel_size)."""

    def __init__(self, kernel_size, stride=None):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}"


class AvgPool2d(Module):
    """The mean of each kernel_size window (stride defaults to kernel_size)."""

    def __init__(self, kernel_size, stride=None):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, self.kernel_size, self.stride)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}"


class Upsample(Module):
    """Nearest-neighbour upsampling by an integer ``scale_factor`` (PyTorch's default mode, the only one here)."""

    def __init__(self, scale_factor, mode: str = "nearest"):
        super().__init__()
        if mode != "nearest":
            raise ValueError(f"Upsample: only mode='nearest' is available, got {mode!r}")
        self.scale_factor, self.mode = scale_factor, mode

    def forward(self, x: Tensor) -> Tensor:
        return F.upsample_nearest2d(x, self.scale_factor)

    def extra_repr(self) -> str:
        return f"scale_factor={self.scale_factor}, mode='{self.mode}'"
