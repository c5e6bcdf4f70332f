"""Ops for words: one-hot rows, their straight-through gradient, and Gumbel-softmax samples.

A sentence is a row of word indices (integers); D reads it as one one-hot row per position (``one_hot``), an
embedding layer reads it as the rows of a weight matrix (``minigan/functional/embedding.py``, the same as
``one_hot(x) @ W`` without forming the one-hot rows), ``straight_through`` turns rows of probabilities into the
one-hot rows of their arg max while keeping the probabilities' gradient, and ``gumbel_softmax`` draws a relaxed
one-hot row from a row of logits.
"""
from __future__ import annotations

import numpy as np

from minigan import backend
from minigan.autograd import Tensor, no_grad
from minigan.functional._convert import check_tensor
from minigan.functional.activation import softmax


def _indices(indices, op: str, like=None):
    """``indices`` (an integer Tensor or array) as an integer array on ``like``'s device, or an error."""
    array = indices.data if isinstance(indices, Tensor) else indices
    if not hasattr(array, "dtype"):
        array = np.asarray(array)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{op}: the indices must be integers, got dtype {array.dtype}")
    if like is not None:
        array = backend.to_device(array, backend.device_of(like))
    return array


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """One row per index: 1 at the index, 0 elsewhere, as PyTorch's ``F.one_hot`` (int64, a new last axis of
    ``num_classes``; −1 means one more than the largest index).  Not differentiable (its input is integers);
    ``one_hot(x, V).float()`` is what a network reads."""
    ids = _indices(tensor, "one_hot")
    xp = backend.array_module(ids)
    if ids.size and int(ids.min()) < 0:
        raise ValueError(f"one_hot: indices must be at least 0, got {int(ids.min())}")
    largest = int(ids.max()) if ids.size else -1
    if num_classes == -1:
        num_classes = largest + 1
    if num_classes < 1 or largest >= num_classes:
        raise ValueError(f"one_hot: num_classes {num_classes} is too small for the largest index {largest} "
                         f"(indices of shape {tuple(ids.shape)})")
    # row = [k == index for k in 0 … num_classes − 1]
    return Tensor((ids[..., None] == xp.arange(num_classes)).astype(np.int64))


def gumbel_softmax(logits: Tensor, tau: float = 1.0, hard: bool = False, dim: int = -1) -> Tensor:
    """A relaxed sample of the categorical distribution softmax(logits) (Jang et al., 2017; Maddison et al.,
    2017), PyTorch's ``F.gumbel_softmax``: y = softmax((logits + g) / τ) with g = −log(−log u), u ~ U(0, 1) per
    entry, from minigan's seeded generator.  As τ → 0, y tends to the one-hot row of arg max(logits + g), which is
    an exact sample.  ``hard=True`` returns that one-hot row, with y's gradient (the straight-through estimator:
    one_hot − y.detach() + y)."""
    check_tensor(logits, "gumbel_softmax", "logits")
    if not tau > 0:
        raise ValueError(f"gumbel_softmax: tau must be positive, got {tau}")
    xp = backend.array_module(logits.data)
    u = backend.rand(logits.shape, logits.dtype, logits.device)
    xp.maximum(u, np.finfo(logits.dtype).tiny, out=u)  # u = 0 would give g = −∞
    # g = −log(−log u), a constant of the sample (no gradient flows into the noise)
    g = -xp.log(-xp.log(u))
    y = softmax((logits + Tensor(g)) / tau, axis=dim)
    return straight_through(y, dim) if hard else y


def straight_through(y: Tensor, dim: int = -1) -> Tensor:
    """The one-hot row of each row's arg max along ``dim``, with the gradient of ``y`` itself: the
    straight-through estimator (Bengio et al., 2013), ``one_hot − y.detach() + y``.  Forward, a network after it
    reads exact one-hot rows, as it reads real sentences; backward, the gradient reaching them flows into ``y``
    as if they were ``y``.  Ties go to the first largest entry, as in arg max."""
    check_tensor(y, "straight_through", "y")
    xp = backend.array_module(y.data)
    with no_grad():
        index = y.data.argmax(axis=dim)
        hard_y = Tensor(xp.moveaxis(one_hot(index, y.shape[dim]).data, -1, dim).astype(y.dtype))
    return hard_y - y.detach() + y
