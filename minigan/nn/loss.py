"""Loss modules: the functions of minigan/functional/loss.py as layers, with PyTorch's names and ``reduction``."""
from __future__ import annotations

from minigan import functional as F
from minigan.autograd import Tensor
from minigan.nn.module import Module


class _Loss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"{type(self).__name__}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


class BCELoss(_Loss):
    """−[y log p + (1 − y) log(1 − p)] for probabilities p (``F.binary_cross_entropy``)."""

    def forward(self, input: Tensor, target) -> Tensor:  # noqa: A002 - PyTorch's argument name
        return F.binary_cross_entropy(input, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of σ(logit), computed stably (``F.binary_cross_entropy_with_logits``)."""

    def forward(self, input: Tensor, target) -> Tensor:  # noqa: A002
        return F.binary_cross_entropy_with_logits(input, target, self.reduction)


class MSELoss(_Loss):
    """(prediction − target)² (``F.mse_loss``)."""

    def forward(self, input: Tensor, target) -> Tensor:  # noqa: A002
        return F.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """|prediction − target| (``F.l1_loss``)."""

    def forward(self, input: Tensor, target) -> Tensor:  # noqa: A002
        return F.l1_loss(input, target, self.reduction)
