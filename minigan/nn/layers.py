"""Layers: Linear, Embedding, the activations (Softmax too), Dropout, Flatten/Unflatten and Sequential (PyTorch's names and
layouts)."""
from __future__ import annotations

import math

from minigan import _validate
from minigan import functional as F
from minigan.autograd import Tensor
from minigan.creation import zeros
from minigan.nn import init
from minigan.nn.module import Module, Parameter


class Linear(Module):
    """y = x Wᵀ + b, with W of shape (out_features, in_features) and b of shape (out_features,).

    Initialised as in PyTorch: W and b are drawn from U(−1/√in_features, 1/√in_features).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        self.in_features = in_features = _validate.integer(in_features, "in_features", "Linear")
        self.out_features = out_features = _validate.integer(out_features, "out_features", "Linear")
        self.weight = Parameter(zeros(out_features, in_features))
        if bias:
            self.bias = Parameter(zeros(out_features))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw new initial values (the same ones on every device for the same seed)."""
        # kaiming_uniform_ with a = √5: bound = √(2/(1+5)) · √(3/fan_in) = 1/√fan_in
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init.calculate_fan_in_and_fan_out(self.weight.shape)
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class ReLU(Module):
    """max(x, 0).  ``inplace`` is taken for PyTorch code (``nn.ReLU(True)``) and changes nothing: minigan's ops
    never overwrite their input."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class LeakyReLU(Module):
    """x for x > 0, ``negative_slope`` · x otherwise (DCGAN's discriminator uses 0.2)."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace  # taken for PyTorch code, as ReLU's

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    """σ(x) = 1 / (1 + e^−x): turns a discriminator's logit into a probability."""

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class Tanh(Module):
    """tanh(x): a generator's last layer, for images scaled to [−1, 1]."""

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class Softplus(Module):
    """log(1 + eˣ), a smooth ReLU."""

    def forward(self, x: Tensor) -> Tensor:
        return F.softplus(x)


class Softmax(Module):
    """exp(x) / Σ exp(x) along ``dim`` (PyTorch's ``nn.Softmax(dim)``): a distribution per row."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, axis=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Dropout(Module):
    """In training, zero each element with probability p and scale the rest by 1/(1 − p); identity in eval."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Flatten(Module):
    """Merge the axes ``start_dim..end_dim`` into one: (N, C, H, W) → (N, C·H·W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        return F.flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split axis ``dim`` into ``sizes``: Unflatten(1, (C, H, W)) turns (N, C·H·W) into (N, C, H, W)."""

    def __init__(self, dim: int, sizes):
        super().__init__()
        self.dim = dim
        self.sizes = tuple(_validate.integer(n, "sizes", "Unflatten") for n in sizes)

    def forward(self, x: Tensor) -> Tensor:
        dim = _validate.axis(self.dim, x.ndim, "Unflatten", "dim")
        if math.prod(self.sizes) != x.shape[dim]:
            raise ValueError(
                f"Unflatten: sizes {self.sizes} have {math.prod(self.sizes)} elements, "
                f"but axis {self.dim} of the input (shape {x.shape}) has {x.shape[dim]}"
            )
        return F.reshape(x, x.shape[:dim] + self.sizes + x.shape[dim + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.sizes}"


class Sequential(Module):
    """Modules applied one after another; named "0", "1", … as in PyTorch (so keys read ``0.weight``).

    ``Sequential(a, b, c)`` or ``Sequential({"fc": a, "act": b})``; supports ``len``, iteration,
    indexing (a slice gives a Sequential) and ``append``.
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], dict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), module)

    def forward(self, x):
        for module in self:
            x = module(x)
        return x

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(dict(list(self._modules.items())[index]))
        modules = list(self._modules.values())
        if not -len(modules) <= index < len(modules):
            raise IndexError(f"Sequential: index {index} is out of range for {len(modules)} modules")
        return modules[index]

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end (named by its position); returns self."""
        self.add_module(str(len(self)), module)
        return self
