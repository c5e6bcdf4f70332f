"""Ops that move values around without changing them: reshape, transpose, indexing, joining, broadcasting.

Reshape, transpose, basic indexing and broadcast_to return views (``view = True``): their output shares
its input's array, and so its version counter, whenever NumPy/CuPy made it without a copy.
"""
from __future__ import annotations

import numpy as np

from minigan import _validate, backend
from minigan.autograd import Function, Tensor
from minigan.functional._convert import check_tensor


class Reshape(Function):
    saves = ()
    view = True

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, gy):
        return reshape(gy, self.x_shape)


def reshape(x: Tensor, *shape) -> Tensor:
    """``x`` with a new shape (one entry may be -1)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if x.shape == shape:
        return x
    return Reshape(shape)(check_tensor(x, "reshape"))


class Transpose(Function):
    saves = ()
    view = True

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        return transpose(gy, tuple(np.argsort(self.axes)))


def transpose(x: Tensor, *dims, axes=None) -> Tensor:
    """Permute the axes.  ``transpose(x)`` reverses them and ``transpose(x, (2, 0, 1))`` (or ``axes=``) orders
    them, as ``numpy.transpose`` does; ``transpose(x, 0, 1)`` swaps two, as PyTorch's ``x.transpose(0, 1)``."""
    check_tensor(x, "transpose")
    if len(dims) == 2:
        return swapaxes(x, *dims)
    if len(dims) > 2 or (dims and axes is not None):
        raise TypeError(f"transpose: pass an ordering of the axes or two axes to swap, got {dims}")
    axes = dims[0] if dims else axes
    axes = tuple(range(x.ndim))[::-1] if axes is None else _validate.permutation(axes, x.ndim, "transpose")
    return Transpose(axes)(x)


def t(x: Tensor) -> Tensor:
    """PyTorch's ``x.t()``: a matrix transposed (a vector or a number unchanged); more dims are an error."""
    if check_tensor(x, "t").ndim > 2:
        raise ValueError(f"t: expects a tensor of at most 2 dims, got shape {x.shape} (use transpose(x, dim0, dim1))")
    return transpose(x) if x.ndim == 2 else x


def permute(x: Tensor, *dims) -> Tensor:
    """PyTorch's name for transpose with explicit axes: ``permute(x, 0, 2, 1)``."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    return transpose(x, dims)


def swapaxes(x: Tensor, a: int, b: int) -> Tensor:
    """Swap two axes (PyTorch's ``x.transpose(a, b)``)."""
    check_tensor(x, "swapaxes")
    a, b = _validate.axis(a, x.ndim, "swapaxes", "dim0"), _validate.axis(b, x.ndim, "swapaxes", "dim1")
    axes = list(range(x.ndim))
    axes[a], axes[b] = axes[b], axes[a]
    return Transpose(tuple(axes))(x)


def squeeze(x: Tensor, dim=None) -> Tensor:
    """``x`` without its axes of length 1 (only axis ``dim``, when given and of length 1, as in PyTorch)."""
    check_tensor(x, "squeeze")
    if dim is None:
        return reshape(x, tuple(n for n in x.shape if n != 1))
    d = _validate.axis(dim, x.ndim, "squeeze", "dim")
    return reshape(x, x.shape[:d] + x.shape[d + 1:]) if x.shape[d] == 1 else x


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """``x`` with a new axis of length 1 at position ``dim`` (in [−ndim − 1, ndim])."""
    check_tensor(x, "unsqueeze")
    d = _validate.axis(dim, x.ndim + 1, "unsqueeze", "dim")
    return reshape(x, x.shape[:d] + (1,) + x.shape[d:])


def _index_to_device(index, xp):
    """Move array indices (NumPy arrays, lists, Tensors) to the array module that is being indexed."""
    if isinstance(index, tuple):
        return tuple(_index_to_device(i, xp) for i in index)
    if isinstance(index, Tensor):
        index = index.data
    if isinstance(index, list) or (hasattr(index, "dtype") and hasattr(index, "shape")):
        return xp.asarray(index)
    return index


class GetItem(Function):
    saves = ()
    view = True  # slices and integers give a view; integer arrays and masks a copy

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.x_shape = x.shape
        return x[self.index]

    def backward(self, gy):
        return GetItemGrad(self.index, self.x_shape)(gy)


class GetItemGrad(Function):
    """Scatter-add ``gy`` into zeros shaped like the indexed array (repeated indices add up)."""

    saves = ()

    def __init__(self, index, shape):
        self.index = index
        self.shape = shape

    def forward(self, gy):
        xp = backend.array_module(gy)
        gx = xp.zeros(self.shape, dtype=gy.dtype)
        xp.add.at(gx, self.index, gy)
        return gx

    def backward(self, ggx):
        return getitem(ggx, self.index)


def getitem(x: Tensor, index) -> Tensor:
    """``x[index]`` with slices, integers, integer arrays and boolean masks."""
    index = _index_to_device(index, backend.array_module(x.data))
    return GetItem(index)(check_tensor(x, "getitem"))


class Concatenate(Function):
    saves = ()

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        self.sizes = [x.shape[self.axis] for x in xs]
        return backend.array_module(xs[0]).concatenate(xs, axis=self.axis)

    def backward(self, gy):
        grads, start = [], 0
        for size in self.sizes:
            index = [slice(None)] * gy.ndim
            index[self.axis] = slice(start, start + size)
            grads.append(getitem(gy, tuple(index)))
            start += size
        return tuple(grads)


def concatenate(xs, axis: int = 0, *, dim=None) -> Tensor:
    """Join tensors along an existing axis (``torch.cat``; ``dim`` is PyTorch's name for ``axis``)."""
    axis = axis if dim is None else dim
    xs = [check_tensor(x, "concatenate") for x in xs]
    if not xs:
        raise ValueError("concatenate: needs at least one tensor")
    return Concatenate(_validate.axis(axis, xs[0].ndim, "concatenate"))(*xs)


cat = concatenate


def stack(xs, axis: int = 0, *, dim=None) -> Tensor:
    """Join tensors of one shape along a new axis (``dim`` is PyTorch's name for ``axis``)."""
    axis = axis if dim is None else dim
    xs = [check_tensor(x, "stack") for x in xs]
    if not xs:
        raise ValueError("stack: needs at least one tensor")
    if len({x.shape for x in xs}) != 1:
        raise ValueError(f"stack: all tensors must have one shape, got {[x.shape for x in xs]}")
    axis = _validate.axis(axis, xs[0].ndim + 1, "stack")
    new_shape = xs[0].shape[:axis] + (1,) + xs[0].shape[axis:]
    return concatenate([reshape(x, new_shape) for x in xs], axis=axis)


def split(x: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """PyTorch's ``torch.split``: ``x`` cut along ``dim`` into pieces of ``split_size_or_sections`` (an int: that
    length each, the last one shorter if it does not divide; a list: those lengths, which must add up)."""
    check_tensor(x, "split")
    dim = _validate.axis(dim, x.ndim, "split", "dim")
    length, sizes = x.shape[dim], split_size_or_sections
    if isinstance(sizes, bool) or not isinstance(sizes, (int, list, tuple)):
        raise TypeError(f"split: split_size_or_sections must be an int or a list of ints, got {sizes!r}")
    if isinstance(sizes, int):
        if sizes < 1:
            raise ValueError(f"split: split_size must be a positive int, got {sizes}")
        sizes = [min(sizes, length - start) for start in range(0, length, sizes)] or [0]
    elif sum(sizes) != length or any(n < 0 for n in sizes):
        raise ValueError(f"split: sections {list(sizes)} must be non-negative and add up to {length}, the length "
                         f"of dim {dim}")
    pieces, start = [], 0
    for size in sizes:
        index = [slice(None)] * x.ndim
        index[dim] = slice(start, start + size)
        pieces.append(getitem(x, tuple(index)))
        start += size
    return tuple(pieces)


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple:
    """PyTorch's ``torch.chunk``: ``x`` cut along ``dim`` into ``chunks`` pieces of ⌈length / chunks⌉ (fewer
    pieces when the length runs out first, the last one shorter)."""
    check_tensor(x, "chunk")
    if isinstance(chunks, bool) or not isinstance(chunks, int) or chunks < 1:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
    length = x.shape[_validate.axis(dim, x.ndim, "chunk", "dim")]
    return split(x, max(-(-length // chunks), 1), dim)


def expand(x: Tensor, *sizes) -> Tensor:
    """PyTorch's ``x.expand(*sizes)``: ``broadcast_to`` with -1 for "keep this axis's length"."""
    check_tensor(x, "expand")
    sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ValueError(f"expand: {len(sizes)} sizes {sizes} for a tensor of {x.ndim} dims, shape {x.shape}")
    shape = []
    for i, size in enumerate(sizes):
        if size == -1:
            if i < lead:
                raise ValueError(f"expand: -1 is not allowed for the new leading dim {i} in {sizes}")
            size = x.shape[i - lead]
        elif i >= lead and x.shape[i - lead] not in (1, size):
            raise ValueError(f"expand: shape {x.shape} cannot be expanded to {sizes} (dim {i}: {x.shape[i - lead]} "
                             f"is neither 1 nor {size})")
        shape.append(size)
    return broadcast_to(x, shape)


class BroadcastTo(Function):
    saves = ()
    view = True

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        return backend.array_module(x).broadcast_to(x, self.shape)

    def backward(self, gy):
        return sum_to(gy, self.x_shape)


def broadcast_to(x: Tensor, shape) -> Tensor:
    """``x`` repeated along new or length-1 axes to ``shape`` (a read-only view)."""
    shape = tuple(shape)
    if x.shape == shape:
        return x
    return BroadcastTo(shape)(check_tensor(x, "broadcast_to"))


def _sum_to_array(x, shape):
    """Sum an array down to ``shape``: over the leading axes it lacks and over its length-1 axes."""
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
    y = x.sum(axis=axes, keepdims=True) if axes else x
    return y.reshape(shape) if lead or y.shape != shape else y


class SumTo(Function):
    saves = ()

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        return _sum_to_array(x, self.shape)

    def backward(self, gy):
        return broadcast_to(gy, self.x_shape)


def sum_to(x: Tensor, shape) -> Tensor:
    """Undo broadcasting: sum ``x`` down to ``shape`` (how gradients of broadcast inputs are reduced)."""
    shape = tuple(shape)
    if x.shape == shape:
        return x
    return SumTo(shape)(x)


class ToDevice(Function):
    saves = ()

    def __init__(self, device):
        self.device = device

    def forward(self, x):
        self.source = backend.device_of(x)
        return backend.to_device(x, self.device)

    def backward(self, gy):
        return to_device(gy, self.source)


def to_device(x: Tensor, device) -> Tensor:
    """``x`` on ``device``; the same tensor when it is there already."""
    device = backend.normalize_device(device)
    if x.device == device:
        return x
    return ToDevice(device)(x)


class AsType(Function):
    saves = ()

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        self.source = x.dtype
        return x.astype(self.dtype)

    def backward(self, gy):
        return astype(gy, self.source)


def astype(x: Tensor, dtype) -> Tensor:
    """``x`` converted to another floating dtype."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"astype: minigan tensors are floating point, got {dtype}")
    if x.dtype == dtype:
        return x
    return AsType(dtype)(x)


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge the axes ``start_dim..end_dim`` into one: all of them by default, as ``torch.flatten`` and
    ``x.flatten()``; ``flatten(x, 1)`` keeps the batch axis, as the layer ``nn.Flatten()`` does by default."""
    check_tensor(x, "flatten")
    start = _validate.axis(start_dim, x.ndim, "flatten", "start_dim")
    end = _validate.axis(end_dim, x.ndim, "flatten", "end_dim")
    if start > end:
        raise _validate.AxisError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    size = int(np.prod(x.shape[start : end + 1]))
    return reshape(x, x.shape[:start] + (size,) + x.shape[end + 1 :])


class Clone(Function):
    saves = ()

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        # d/dx x = 1
        return gy


def clone(x: Tensor) -> Tensor:
    """A copy of ``x`` with an array of its own (differentiable: the gradient passes through)."""
    return Clone()(check_tensor(x, "clone"))
