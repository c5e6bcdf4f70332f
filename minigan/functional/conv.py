"""Convolutions, pooling and upsampling: im2col on strided views, one matrix product, col2im.

A convolution slides a kh×kw kernel over the image.  ``_im2col`` lays every window the kernel
visits out as one row of a matrix (a strided view does the sliding, one copy the gathering), so
the whole convolution is ONE matrix product of that matrix with the flattened kernels.
``_col2im`` is its adjoint: it adds every row back onto the window it came from.

For speed (the results do not depend on it) the matrices are built channels-last, from an
(N, H, W, C) copy of the padded image: a window's kw·C numbers then lie side by side, so the
gathering copies long runs; every product has the long side (one row per position) as the rows of
its result, which is how BLAS shares the work among threads best; conv2d keeps its matrix for the
weight gradient; and the largest matrices come from ``_workspace``, which reuses them instead of asking
the system for fresh memory each time.  Results are contiguous (N, C, H, W) arrays: an elementwise op
between arrays of different memory orders is many times slower, so one reordering copy here saves more
later.

Backward passes are written with these same ops (conv2d's input gradient is a conv_transpose2d,
its weight gradient a convolution of the input with the output gradient, and so on), so
gradients of gradients work.
"""
from __future__ import annotations

import numpy as np

from minigan import _validate, backend
from minigan.autograd import Function, Tensor
from minigan.functional import _kernels, _workspace, reduce
from minigan.functional._convert import check_tensor
from minigan.functional.shape import broadcast_to, reshape

_NHWC = (0, 2, 3, 1)  # (N, C, H, W) -> (N, H, W, C)
_NCHW = (0, 3, 1, 2)  # (N, H, W, C) -> (N, C, H, W)


# ---------------------------------------------------------------- windows of an image
def _out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """How many kernel positions fit along one axis: ⌊(H + 2p − k) / s⌋ + 1 (PyTorch's formula)."""
    return (size + 2 * padding - kernel) // stride + 1


def _windows(a, kernel, stride, h_axis: int):
    """A strided view of every kernel window of ``a``, whose axes h_axis and h_axis + 1 are H and W.

    Those two axes become four, (Ho, Wo, kh, kw): for an (N, H, W, C) array and h_axis = 1 the
    view is (N, Ho, Wo, kh, kw, C) with [n, y, x, i, j, c] = a[n, y·sh + i, x·sw + j, c].
    """
    h, w = a.shape[h_axis : h_axis + 2]
    (kh, kw), (sh, sw) = kernel, stride
    ho, wo = (h - kh) // sh + 1, (w - kw) // sw + 1
    s_h, s_w = a.strides[h_axis : h_axis + 2]
    shape = a.shape[:h_axis] + (ho, wo, kh, kw) + a.shape[h_axis + 2 :]
    strides = a.strides[:h_axis] + (s_h * sh, s_w * sw, s_h, s_w) + a.strides[h_axis + 2 :]
    return backend.array_module(a).lib.stride_tricks.as_strided(a, shape, strides)


def _add_windows(windows, out, stride, h_axis: int) -> None:
    """The adjoint of ``_windows``: add each window onto its place in ``out``, in place."""
    ho, wo, kh, kw = windows.shape[h_axis : h_axis + 4]
    (sh, sw), lead = stride, (slice(None),) * h_axis
    for i in range(kh):  # one slice per kernel offset; windows that overlap add up
        for j in range(kw):
            out_slice = lead + (slice(i, i + sh * ho, sh), slice(j, j + sw * wo, sw))
            out[out_slice] += windows[lead + (slice(None), slice(None), i, j)]


def _geometry(c, h, w, kernel, stride, padding, ho, wo) -> list:
    """The im2col and col2im kernels' int32 arguments: c, h, w, kh, kw, sh, sw, ph, pw, ho, wo."""
    return [np.int32(v) for v in (c, h, w, *kernel, *stride, *padding, ho, wo)]


def _im2col(x, kernel, stride, padding):
    """Every kernel window of ``x`` (N, C, H, W), zero-padded, as the rows of an (N·Ho·Wo, kh·kw·C) matrix."""
    n, c, h, w = x.shape
    (ph, pw), (kh, kw) = padding, kernel
    ho, wo = _out_size(h, kh, stride[0], ph), _out_size(w, kw, stride[1], pw)
    xp = backend.array_module(x)
    rows = _workspace.empty((n * ho * wo, kh * kw * c), x.dtype, like=x)
    if _kernels.fused(x):  # the lines below (three launches) in one GPU kernel
        geometry = _geometry(c, h, w, kernel, stride, padding, ho, wo)
        return _kernels.kernel("im2col")(xp.ascontiguousarray(x), *geometry, rows)
    padded = xp.zeros((n, h + 2 * ph, w + 2 * pw, c), dtype=x.dtype)
    padded[:, ph : ph + h, pw : pw + w] = x.transpose(_NHWC)
    rows.reshape(n, ho, wo, kh, kw, c)[...] = _windows(padded, kernel, stride, h_axis=1)
    return rows


def _col2im(rows, shape, kernel, stride, padding, out=None):
    """The adjoint of ``_im2col``: add the rows back onto an (N, C, H, W) image of ``shape``, padding cropped (into
    ``out`` when given)."""
    n, c, h, w = shape
    (ph, pw), (kh, kw) = padding, kernel
    ho, wo = _out_size(h, kh, stride[0], ph), _out_size(w, kw, stride[1], pw)
    xp = backend.array_module(rows)
    if _kernels.fused(rows):  # the lines below (kh·kw + 2 launches) in one GPU kernel, summing in their order
        image = xp.empty(shape, dtype=rows.dtype)
        geometry = _geometry(c, h, w, kernel, stride, padding, ho, wo)
        return _kernels.kernel("col2im")(xp.ascontiguousarray(rows), *geometry, image)
    padded = xp.zeros((n, h + 2 * ph, w + 2 * pw, c), dtype=rows.dtype)
    _add_windows(rows.reshape(n, ho, wo, kh, kw, c), padded, stride, h_axis=1)
    image = padded[:, ph : ph + h, pw : pw + w].transpose(_NCHW)
    if out is None:
        return xp.ascontiguousarray(image)
    out[...] = image
    return out


# col2im adds kh·kw windows onto one padded image buffer; for a large batch that buffer no longer stays in the CPU's
# caches between the additions, so on the CPU they are done a block of images at a time, each block's buffer this
# large at most.  Every pixel gets the same additions in the same order: the result is the same, bit for bit
# (tests/test_conv.py compares it with the whole batch at once).
BLOCK_BYTES = 2**20


def _col2im_by_blocks(rows, shape, kernel, stride, padding):
    """``_col2im`` of a whole batch, a block of images at a time on the CPU (one pass on the GPU)."""
    n, c, h, w = shape
    xp = backend.array_module(rows)
    padded_bytes = (h + 2 * padding[0]) * (w + 2 * padding[1]) * c * rows.dtype.itemsize
    per_block = max(1, BLOCK_BYTES // padded_bytes)
    if backend.device_of(rows) != "cpu" or per_block >= n:
        return _col2im(rows, shape, kernel, stride, padding)
    y, rows_per_image = xp.empty(shape, dtype=rows.dtype), len(rows) // n
    for start in range(0, n, per_block):
        block = slice(start, min(start + per_block, n))
        _col2im(rows[block.start * rows_per_image : block.stop * rows_per_image], y[block].shape, kernel, stride,
                padding, out=y[block])
    return y


def _pixel_rows(a):
    """An (N, C, H, W) array as an (N·H·W, C) matrix: one row per pixel, channels last."""
    return a.transpose(_NHWC).reshape(-1, a.shape[1])


def _kernel_matrix(W):
    """A (A, B, kh, kw) weight as an (A, kh·kw·B) matrix whose columns are ordered like ``_im2col``'s."""
    return W.transpose(_NHWC).reshape(W.shape[0], -1)


def _fitting_output_padding(x_shape, kernel, stride, padding) -> tuple:
    """The output_padding that makes conv_transpose2d give back ``x_shape`` (rows a strided conv skipped)."""
    return tuple((x_shape[2 + a] + 2 * padding[a] - kernel[a]) % stride[a] for a in range(2))


# ---------------------------------------------------------------- the ops
class Conv2d(Function):
    """y = W ⋆ x + b, with W of shape (out, in, kh, kw)."""

    def __init__(self, stride, padding):
        self.stride, self.padding = stride, padding

    def forward(self, x, W, b=None):
        n, _, h, w = x.shape
        out_c, _, kh, kw = W.shape
        ho, wo = _out_size(h, kh, self.stride[0], self.padding[0]), _out_size(w, kw, self.stride[1], self.padding[1])
        # kept for backward: the weight gradient is a product with the same matrix (no second im2col)
        self.cols = _im2col(x, (kh, kw), self.stride, self.padding)
        # y[(n, y, x), o] = Σ_(i, j, c) x_pad[n, c, y·s + i, x·s + j] · W[o, c, i, j]: one matrix product
        y = self.cols @ _kernel_matrix(W).T
        if b is not None:
            y += b
        return backend.array_module(y).ascontiguousarray(y.reshape(n, ho, wo, out_c).transpose(_NCHW))

    def backward(self, gy):
        x, W = self.inputs[0], self.inputs[1]
        kernel = W.shape[2:]
        gx = gW = gb = None
        if self.needs_grad[0]:
            output_padding = _fitting_output_padding(x.shape, kernel, self.stride, self.padding)
            gx = conv_transpose2d(gy, W, None, self.stride, self.padding, output_padding)
        if self.needs_grad[1]:
            gW = Conv2dGradWeight(kernel, self.stride, self.padding, cols=self.cols)(x, gy)
        if len(self.inputs) == 3 and self.needs_grad[2]:
            gb = reduce.sum(gy, (0, 2, 3))
        return gx, gW, gb


class ConvTranspose2d(Function):
    """The adjoint of Conv2d in x: every input pixel adds W[c_in] · x onto a kh×kw patch of the output."""

    def __init__(self, stride, padding, output_padding):
        self.stride, self.padding, self.output_padding = stride, padding, output_padding

    def forward(self, x, W, b=None):
        n, _, h, w = x.shape
        _, out_c, kh, kw = W.shape
        shape = (n, out_c) + _transposed_size((h, w), (kh, kw), self.stride, self.padding, self.output_padding)
        # patches[(n, y, x), (i, j, o)] = Σ_c x[n, c, y, x] · W[c, o, i, j]: one matrix product, then col2im
        xp = backend.array_module(x)
        patches = _workspace.empty((n * h * w, kh * kw * out_c), xp.result_type(x, W), like=x)
        xp.matmul(_pixel_rows(x), _kernel_matrix(W), out=patches)
        y = _col2im_by_blocks(patches, shape, (kh, kw), self.stride, self.padding)
        if b is not None:
            y += b[:, None, None]
        return y

    def backward(self, gy):
        x, W = self.inputs[0], self.inputs[1]
        gx = gW = gb = None
        if self.needs_grad[0]:
            gx = conv2d(gy, W, None, self.stride, self.padding)
        if self.needs_grad[1]:
            gW = Conv2dGradWeight(W.shape[2:], self.stride, self.padding)(gy, x)
        if len(self.inputs) == 3 and self.needs_grad[2]:
            gb = reduce.sum(gy, (0, 2, 3))
        return gx, gW, gb


class Conv2dGradWeight(Function):
    """∂L/∂W of conv2d from its input x and output gradient gy (a convolution of x with gy).

    Also the weight gradient of conv_transpose2d, with the roles of x and gy swapped.  ``cols`` is
    x's im2col matrix when the forward pass already made it.
    """

    def __init__(self, kernel, stride, padding, cols=None):
        self.kernel, self.stride, self.padding, self.cols = tuple(kernel), stride, padding, cols

    def forward(self, x, gy):
        cols = self.cols if self.cols is not None else _im2col(x, self.kernel, self.stride, self.padding)
        # gW[o, c, i, j] = Σ_(n, y, x) x_pad[n, c, y·s + i, x·s + j] · gy[n, o, y, x]: one matrix product,
        # computed as its transpose, whose rows (i, j, c) are the long side
        gW_t = cols.T @ _pixel_rows(gy)
        gW = gW_t.reshape(self.kernel + (x.shape[1], gy.shape[1])).transpose(3, 2, 0, 1)
        return backend.array_module(gW).ascontiguousarray(gW)

    def backward(self, ggW):
        x, gy = self.inputs
        gx = ggy = None
        if self.needs_grad[0]:
            output_padding = _fitting_output_padding(x.shape, self.kernel, self.stride, self.padding)
            gx = conv_transpose2d(gy, ggW, None, self.stride, self.padding, output_padding)
        if self.needs_grad[1]:
            ggy = conv2d(x, ggW, None, self.stride, self.padding)
        return gx, ggy


class Windows(Function):
    """The kh×kw windows of x (N, C, H, W) as an (N, C, Ho, Wo, kh, kw) view: what pooling reduces over."""

    saves = ()
    view = True

    def __init__(self, kernel, stride):
        self.kernel, self.stride = kernel, stride

    def forward(self, x):
        self.x_shape = x.shape
        return _windows(x, self.kernel, self.stride, h_axis=2)

    def backward(self, gy):
        return AddWindows(self.x_shape, self.kernel, self.stride)(gy)


class AddWindows(Function):
    """The adjoint of Windows: add each window back onto its place in an image of ``shape`` (N, C, H, W)."""

    saves = ()

    def __init__(self, shape, kernel, stride):
        self.shape, self.kernel, self.stride = shape, kernel, stride

    def forward(self, windows):
        out = backend.array_module(windows).zeros(self.shape, dtype=windows.dtype)
        _add_windows(windows, out, self.stride, h_axis=2)
        return out

    def backward(self, gy):
        return Windows(self.kernel, self.stride)(gy)


# ---------------------------------------------------------------- argument checks
def _check_image(x, op: str) -> None:
    check_tensor(x, op)
    if x.ndim != 4:
        raise ValueError(f"{op}: expected a 4-D input (N, C, H, W), got shape {x.shape}")


def _check_conv_args(op, x, weight, bias, stride, padding, in_axis, layout):
    """Check a convolution's tensors and numbers; return stride and padding as pairs."""
    _check_image(x, op)
    check_tensor(weight, op, "weight")
    if weight.ndim != 4:
        raise ValueError(f"{op}: expected a 4-D weight {layout}, got shape {weight.shape}")
    if x.shape[1] != weight.shape[in_axis]:
        raise ValueError(
            f"{op}: input of shape {x.shape} has {x.shape[1]} channels, but weight of shape {weight.shape} "
            f"{layout} expects {weight.shape[in_axis]}"
        )
    out_c = weight.shape[1 - in_axis]
    if bias is not None:
        check_tensor(bias, op, "bias")
        if bias.shape != (out_c,):
            raise ValueError(f"{op}: bias must have shape ({out_c},) for weight of shape {weight.shape}, "
                             f"got {bias.shape}")
    return _validate.int_pair(stride, "stride", op), _validate.int_pair(padding, "padding", op, minimum=0)


def _check_window(op, x, kernel, padding=(0, 0)) -> None:
    """The kernel must fit inside the (padded) input."""
    padded = (x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1])
    if kernel[0] > padded[0] or kernel[1] > padded[1]:
        where = f"input {padded[0]}×{padded[1]}"
        if padded != x.shape[2:]:
            where = f"padded {where} (padding {padding})"
        raise ValueError(f"{op}: kernel {kernel[0]}×{kernel[1]} is larger than the {where}; input shape {x.shape}")


def _transposed_size(size, kernel, stride, padding, output_padding) -> tuple:
    """conv_transpose2d's output size per axis: (H − 1)·s − 2p + k + output_padding (PyTorch's formula)."""
    return tuple((size[a] - 1) * stride[a] - 2 * padding[a] + kernel[a] + output_padding[a] for a in range(2))


# ---------------------------------------------------------------- public functions
def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0) -> Tensor:
    """2-D convolution (cross-correlation, as in PyTorch) of x (N, C_in, H, W) with weight (C_out, C_in, kh, kw).

    Output (N, C_out, Ho, Wo) with Ho = ⌊(H + 2·padding − kh) / stride⌋ + 1; ``stride`` and
    ``padding`` are an int or an (h, w) pair; the input is zero-padded.
    """
    stride, padding = _check_conv_args("conv2d", x, weight, bias, stride, padding, 1,
                                       "(out_channels, in_channels, kh, kw)")
    _check_window("conv2d", x, weight.shape[2:], padding)
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return Conv2d(stride, padding)(*inputs)


def conv_transpose2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0) -> Tensor:
    """Transposed convolution of x (N, C_in, H, W) with weight (C_in, C_out, kh, kw): the adjoint of conv2d.

    Output (N, C_out, Ho, Wo) with Ho = (H − 1)·stride − 2·padding + kh + output_padding: a stride-2
    transposed convolution doubles the size (DCGAN's generator).  ``output_padding`` (smaller than
    the stride) adds rows at the bottom/right, choosing between the input sizes a strided conv2d
    maps to the same output size.
    """
    stride, padding = _check_conv_args("conv_transpose2d", x, weight, bias, stride, padding, 0,
                                       "(in_channels, out_channels, kh, kw)")
    output_padding = _validate.int_pair(output_padding, "output_padding", "conv_transpose2d", minimum=0)
    if not all(0 <= output_padding[a] < stride[a] for a in range(2)):
        raise ValueError(f"conv_transpose2d: output_padding {output_padding} must be in [0, stride) "
                         f"for stride {stride}")
    size = _transposed_size(x.shape[2:], weight.shape[2:], stride, padding, output_padding)
    if min(size) < 1:
        raise ValueError(
            f"conv_transpose2d: input of shape {x.shape} with weight of shape {weight.shape}, stride {stride}, "
            f"padding {padding} and output_padding {output_padding} gives an empty output of size {size}"
        )
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return ConvTranspose2d(stride, padding, output_padding)(*inputs)


def _pool_windows(op, x, kernel_size, stride):
    """The (N, C, Ho, Wo, kh, kw) windows of x that a pooling op reduces over its last two axes."""
    _check_image(x, op)
    kernel = _validate.int_pair(kernel_size, "kernel_size", op)
    stride = kernel if stride is None else _validate.int_pair(stride, "stride", op)
    _check_window(op, x, kernel)
    return Windows(kernel, stride)(x)


def max_pool2d(x: Tensor, kernel_size, stride=None) -> Tensor:
    """The largest value of each kh×kw window (stride defaults to the kernel size: windows side by side).

    The gradient goes to the window's maximum (shared equally among values that tie for it).
    """
    windows = _pool_windows("max_pool2d", x, kernel_size, stride)
    return reduce.max(windows, (4, 5))


def avg_pool2d(x: Tensor, kernel_size, stride=None) -> Tensor:
    """The mean of each kh×kw window (stride defaults to the kernel size: windows side by side)."""
    windows = _pool_windows("avg_pool2d", x, kernel_size, stride)
    return reduce.mean(windows, (4, 5))


def upsample_nearest2d(x: Tensor, scale_factor) -> Tensor:
    """Nearest-neighbour upsampling by an integer factor (or (h, w) pair): each pixel becomes an s×s block."""
    _check_image(x, "upsample_nearest2d")
    sh, sw = _validate.int_pair(scale_factor, "scale_factor", "upsample_nearest2d")
    n, c, h, w = x.shape
    # y[n, c, i, j] = x[n, c, ⌊i / sh⌋, ⌊j / sw⌋]
    blocks = broadcast_to(reshape(x, (n, c, h, 1, w, 1)), (n, c, h, sh, w, sw))
    return reshape(blocks, (n, c, h * sh, w * sw))
