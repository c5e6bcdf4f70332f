"""Batch normalisation layers: BatchNorm1d for (N, C) or (N, C, L), BatchNorm2d for (N, C, H, W)."""
from __future__ import annotations

import numpy as np

from minigan import _validate
from minigan import functional as F
from minigan.autograd import Tensor, no_grad
from minigan.creation import ones, zeros
from minigan.nn.module import Module, Parameter


class _BatchNorm(Module):
    """Normalise each channel with the batch's statistics in training, the running ones in eval.

    y = γ (x − μ) / √(σ² + ε) + β.  The running statistics are updated in training as
    r ← (1 − momentum) r + momentum · (batch statistic), or as a cumulative average when
    ``momentum=None``.  Buffers and keys are PyTorch's: running_mean, running_var, num_batches_tracked.
    """

    input_ranks: tuple = ()
    input_layout = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True):
        super().__init__()
        num_features = _validate.integer(num_features, "num_features", type(self).__name__)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(ones(num_features))  # γ
            self.bias = Parameter(zeros(num_features))  # β
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features))
            self.register_buffer("running_var", ones(num_features))
            self.register_buffer("num_batches_tracked", zeros((), dtype=np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """Forget the running statistics: mean 0, variance 1, no batches seen (as PyTorch's method)."""
        if self.track_running_stats:
            with no_grad():
                self.running_mean.data[...] = 0
                self.running_var.data[...] = 1
                self.num_batches_tracked.data[...] = 0

    def forward(self, x: Tensor) -> Tensor:
        name = type(self).__name__
        if not isinstance(x, Tensor) or x.ndim not in self.input_ranks:
            shape = x.shape if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"{name}: expected a {self.input_layout} input, got {shape}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{name}: the input has {x.shape[1]} channels (shape {x.shape}), "
                             f"the layer was built for num_features={self.num_features}")
        momentum = self.momentum
        if self.training and self.track_running_stats:
            with no_grad():
                self.num_batches_tracked.data += 1
            if momentum is None:  # cumulative average: the n-th batch gets weight 1/n
                momentum = 1.0 / float(self.num_batches_tracked.item())
        # without running statistics there is nothing else to normalise with, even in eval mode
        use_batch_stats = self.training or self.running_mean is None
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            training=use_batch_stats, momentum=0.0 if momentum is None else momentum, eps=self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over (N, C) or (N, C, L) inputs, one γ, β per channel C."""

    input_ranks = (2, 3)
    input_layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over (N, C, H, W) inputs, statistics per channel over N, H and W."""

    input_ranks = (4,)
    input_layout = "(N, C, H, W)"
