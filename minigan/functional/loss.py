"""Loss functions.  Each takes ``reduction='mean' | 'sum' | 'none'`` like PyTorch."""
from __future__ import annotations

import numpy as np

from minigan import backend
from minigan.autograd import Function, Tensor, is_grad_enabled
from minigan.functional import _kernels
from minigan.functional._convert import as_tensor_like, check_tensor
from minigan.functional.activation import _softplus_array, sigmoid
from minigan.functional.math import abs, clip, log, maximum
from minigan.functional.reduce import mean, sum


def _reduce(loss: Tensor, reduction: str, op: str) -> Tensor:
    if reduction == "mean":
        return mean(loss)
    if reduction == "sum":
        return sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _target(prediction: Tensor, target, op: str) -> Tensor:
    check_tensor(prediction, op, "prediction")
    target = as_tensor_like(target, prediction)
    if target.shape != prediction.shape:
        raise ValueError(f"{op}: target shape {target.shape} differs from prediction shape {prediction.shape}")
    return target


class BinaryCrossEntropy(Function):
    """−[y log p + (1 − y) log(1 − p)], elementwise, with PyTorch's guards for a saturated p = 0 or 1:
    each log is clamped at −100, and the denominator of the gradient is kept at least 1e−12."""

    def forward(self, p, y):
        xp = backend.array_module(p)
        with np.errstate(divide="ignore"):  # log 0 = −∞ is clamped on the next line
            log_p, log_1mp = xp.log(p), xp.log(1 - p)
        return -(y * xp.maximum(log_p, -100) + (1 - y) * xp.maximum(log_1mp, -100))

    def backward(self, gy):
        p, y = self.inputs
        # ∂/∂p = (p − y) / (p (1 − p)): finite where a float32 sigmoid has rounded to exactly 0 or 1
        gp = gy * (p - y) / maximum(p * (1.0 - p), 1e-12) if self.needs_grad[0] else None
        gy_target = gy * (clip(log(1.0 - p), -100.0) - clip(log(p), -100.0)) if self.needs_grad[1] else None
        return gp, gy_target


def binary_cross_entropy(p: Tensor, target, reduction: str = "mean") -> Tensor:
    """−[y log p + (1 − y) log(1 − p)] for probabilities ``p`` (ValueError outside [0, 1]); each log is
    clamped at −100 as in PyTorch.

    Prefer ``binary_cross_entropy_with_logits`` on D's logit: it never takes the log of 0.
    """
    y = _target(p, target, "binary_cross_entropy")
    if p.numel():
        low, high = float(p.data.min()), float(p.data.max())  # NaN fails both comparisons below
        if not (low >= 0 and high <= 1):
            raise ValueError(f"binary_cross_entropy: p must be a probability, in [0, 1], got values from {low} "
                             f"to {high} (for D's logit use binary_cross_entropy_with_logits)")
    return _reduce(BinaryCrossEntropy()(p, y), reduction, "binary_cross_entropy")


class BinaryCrossEntropyWithLogits(Function):
    """softplus(l) − y · l, elementwise: −[y log σ(l) + (1 − y) log(1 − σ(l))] without a log of 0.

    One op for what is ``softplus(l) - y * l`` in Tensor ops (three ops, with their temporaries).
    """

    def forward(self, logit, y):
        if _kernels.fused(logit):
            return _kernels.kernel("bce_with_logits")(logit, y)  # the lines below, in one GPU kernel
        loss = _softplus_array(logit)
        loss -= y * logit
        return loss

    def backward(self, gy):
        logit, y = self.inputs
        # ∂/∂l = σ(l) − y,  ∂/∂y = −l
        if self.needs_grad[0] and _kernels.fused(gy.data) and not is_grad_enabled():  # in one GPU kernel:
            g_logit = Tensor(_kernels.kernel("bce_with_logits_grad")(gy.data, logit.data, y.data))
        else:
            g_logit = gy * (sigmoid(logit) - y) if self.needs_grad[0] else None
        g_target = -gy * logit if self.needs_grad[1] else None
        return g_logit, g_target


def binary_cross_entropy_with_logits(logit: Tensor, target, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of σ(logit) against ``target``, computed stably:
    −[y log σ(l) + (1 − y) log(1 − σ(l))] = softplus(l) − y · l.
    """
    y = _target(logit, target, "binary_cross_entropy_with_logits")
    return _reduce(BinaryCrossEntropyWithLogits()(logit, y), reduction, "binary_cross_entropy_with_logits")


def mse_loss(prediction: Tensor, target, reduction: str = "mean") -> Tensor:
    """(prediction − target)²."""
    y = _target(prediction, target, "mse_loss")
    diff = prediction - y
    return _reduce(diff * diff, reduction, "mse_loss")


def l1_loss(prediction: Tensor, target, reduction: str = "mean") -> Tensor:
    """|prediction − target|."""
    y = _target(prediction, target, "l1_loss")
    return _reduce(abs(prediction - y), reduction, "l1_loss")
