"""The differentiable operations (``from minigan import functional as F``).

Grouped by file: ``math`` (arithmetic, elementwise functions, matmul), ``reduce`` (sum, mean, max,
var), ``shape`` (reshape, transpose, indexing, joining, broadcasting), ``activation``, ``layers``
(linear, dropout, batch_norm), ``embedding`` (a table of vectors looked up by integers), ``conv`` (conv2d,
conv_transpose2d, pooling, upsampling), ``loss`` and ``words`` (one_hot, straight_through, gumbel_softmax).
Importing this package also gives Tensor its operators.
"""
from minigan.autograd import Tensor
from minigan.functional.activation import (
    leaky_relu, log_sigmoid, log_softmax, relu, sigmoid, sigmoid_simple, softmax, softplus, tanh,
)
from minigan.functional.conv import avg_pool2d, conv2d, conv_transpose2d, max_pool2d, upsample_nearest2d
from minigan.functional.embedding import embedding
from minigan.functional.layers import batch_norm, batch_norm_simple, dropout, linear
from minigan.functional.loss import (
    binary_cross_entropy, binary_cross_entropy_with_logits, l1_loss, mse_loss,
)
from minigan.functional.math import (
    abs, add, clamp, clip, div, eq, exp, ge, gt, le, log, lt, matmul, maximum, minimum, mm, mul, ne, neg, pow, sqrt,
    sub, where,
)
from minigan.functional.reduce import argmax, argmin, logsumexp, max, mean, min, std, sum, var
from minigan.functional.shape import (
    broadcast_to, cat, chunk, clone, concatenate, expand, flatten, getitem, permute, reshape, split, squeeze, stack,
    sum_to, swapaxes, t, transpose, unsqueeze,
)
from minigan.functional.words import gumbel_softmax, one_hot, straight_through


def _install_operators() -> None:
    """Give Tensor its Python operators and methods, each one of the ops above."""
    Tensor.__add__ = add
    Tensor.__radd__ = lambda self, other: add(other, self)
    Tensor.__sub__ = sub
    Tensor.__rsub__ = lambda self, other: sub(other, self)
    Tensor.__mul__ = mul
    Tensor.__rmul__ = lambda self, other: mul(other, self)
    Tensor.__truediv__ = div
    Tensor.__rtruediv__ = lambda self, other: div(other, self)
    Tensor.__pow__ = pow
    Tensor.__rpow__ = lambda self, other: pow(other, self)
    Tensor.__neg__ = neg
    Tensor.__abs__ = abs
    Tensor.__matmul__ = matmul
    Tensor.__rmatmul__ = lambda self, other: matmul(other, self)
    Tensor.__getitem__ = getitem
    # comparisons give boolean tensors, as in PyTorch; a Tensor stays hashable by identity (dict keys, sets)
    Tensor.__eq__, Tensor.__ne__, Tensor.__lt__, Tensor.__le__, Tensor.__gt__, Tensor.__ge__ = eq, ne, lt, le, gt, ge
    Tensor.__hash__ = object.__hash__
    Tensor.T = property(lambda self: transpose(self))
    for function in (exp, log, sqrt, abs, pow, clamp, sum, mean, max, min, argmax, argmin, var, std, logsumexp,
                     matmul, mm, reshape, transpose, t, permute, squeeze, unsqueeze, broadcast_to, expand, flatten,
                     split, chunk, clone, sigmoid, tanh, relu, softmax, log_softmax):
        setattr(Tensor, function.__name__, function)
    Tensor.view = reshape
    Tensor.clip = clamp  # PyTorch's alias, with the keywords min and max
    Tensor.expand_as = lambda self, other: broadcast_to(self, other.shape)
    Tensor.where = lambda self, condition, other: where(condition, self, other)  # x.where(c, y): x where c, else y
    Tensor.masked_fill = lambda self, mask, value: where(mask, value, self)  # value where mask holds


_install_operators()

__all__ = [
    "abs", "add", "argmax", "argmin", "avg_pool2d", "batch_norm", "batch_norm_simple", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "broadcast_to", "cat", "chunk", "clamp", "clip", "clone", "concatenate",
    "conv2d", "conv_transpose2d", "div", "dropout", "embedding", "eq", "exp", "expand", "flatten", "ge", "getitem",
    "gt", "gumbel_softmax", "l1_loss", "le",
    "leaky_relu", "linear", "log", "log_sigmoid", "log_softmax", "logsumexp", "lt", "matmul", "max", "max_pool2d",
    "maximum", "mean", "min", "minimum", "mm", "mse_loss", "mul", "ne", "neg", "one_hot", "permute", "pow", "relu",
    "reshape", "sigmoid", "sigmoid_simple", "softmax", "softplus", "split", "sqrt", "squeeze", "stack", "std",
    "straight_through", "sub", "sum", "sum_to", "swapaxes", "t", "tanh", "transpose", "unsqueeze", "upsample_nearest2d",
    "var", "where",
]
