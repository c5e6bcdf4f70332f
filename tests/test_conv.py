"""Convolutions, pooling and upsampling: forward against naive loops, adjointness, PyTorch's shapes,
first- and second-order gradient checks, dtypes, errors, and the nn layers built on them."""
import math

import numpy as np
import pytest

import minigan as mg
from minigan import functional as F
from minigan import nn
from minigan.functional import conv


def _pair(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


# ---------------------------------------------------------------- naive references (one loop per output pixel)
def naive_conv2d(x, w, b, stride, padding):
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    n, _, h, width = x.shape
    out_c, _, kh, kw = w.shape
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    ho, wo = (h + 2 * ph - kh) // sh + 1, (width + 2 * pw - kw) // sw + 1
    y = np.zeros((n, out_c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            patch = xpad[:, :, i * sh : i * sh + kh, j * sw : j * sw + kw]
            y[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    return y + (0 if b is None else b[None, :, None, None])


def naive_conv_transpose2d(x, w, b, stride, padding, output_padding):
    (sh, sw), (ph, pw), (oh, ow) = _pair(stride), _pair(padding), _pair(output_padding)
    n, _, h, width = x.shape
    _, out_c, kh, kw = w.shape
    full = np.zeros((n, out_c, (h - 1) * sh + kh + oh, (width - 1) * sw + kw + ow))
    for i in range(h):
        for j in range(width):  # each input pixel stamps its weighted kernel onto the output
            full[:, :, i * sh : i * sh + kh, j * sw : j * sw + kw] += np.tensordot(x[:, :, i, j], w, axes=(1, 0))
    y = full[:, :, ph : full.shape[2] - ph, pw : full.shape[3] - pw]
    return y + (0 if b is None else b[None, :, None, None])


def naive_pool(x, kernel, stride, reduce):
    (kh, kw), (sh, sw) = _pair(kernel), _pair(stride)
    ho, wo = (x.shape[2] - kh) // sh + 1, (x.shape[3] - kw) // sw + 1
    y = np.zeros(x.shape[:2] + (ho, wo))
    for i in range(ho):
        for j in range(wo):
            y[:, :, i, j] = reduce(x[:, :, i * sh : i * sh + kh, j * sw : j * sw + kw], axis=(2, 3))
    return y


# x shape, conv2d weight shape (out, in, kh, kw), stride, padding, output_padding of the transposed conv
CONFIGS = [
    ((2, 3, 7, 7), (4, 3, 3, 3), 1, 0, 0),  # odd size
    ((2, 3, 8, 8), (4, 3, 4, 4), 2, 1, 1),  # DCGAN's 4×4 stride 2 padding 1, output_padding
    ((1, 2, 9, 6), (3, 2, 3, 2), 2, 2, 1),  # non-square input and kernel, padding 2
    ((2, 4, 5, 5), (3, 4, 1, 1), 1, 0, 0),  # 1×1 kernel
    ((2, 2, 7, 8), (2, 2, 3, 5), (2, 1), (1, 2), (1, 0)),  # (h, w) pairs
]
IDS = ["odd", "dcgan", "nonsquare-pad2", "1x1", "pairs"]


def conv_out_size(h, k, s, p):
    return math.floor((h + 2 * p - k) / s) + 1  # PyTorch's Conv2d formula


def conv_transpose_out_size(h, k, s, p, op):
    return (h - 1) * s - 2 * p + k + op  # PyTorch's ConvTranspose2d formula


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, output_padding", CONFIGS, ids=IDS)
def test_conv2d_matches_naive_loops_and_pytorch_shape(device, rng, x_shape, w_shape, stride, padding, output_padding):
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    y = F.conv2d(mg.tensor(x), mg.tensor(w), mg.tensor(b), stride=stride, padding=padding)
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    expected_shape = (x_shape[0], w_shape[0], conv_out_size(x_shape[2], w_shape[2], sh, ph),
                      conv_out_size(x_shape[3], w_shape[3], sw, pw))
    assert y.shape == expected_shape
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), naive_conv2d(x, w, b, stride, padding), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, output_padding", CONFIGS, ids=IDS)
def test_conv_transpose2d_matches_naive_loops_and_pytorch_shape(device, rng, x_shape, w_shape, stride, padding,
                                                                output_padding):
    # the transposed conv maps conv2d's output channels back to its input channels: weight (in, out, kh, kw)
    x = rng.standard_normal((x_shape[0], w_shape[0]) + x_shape[2:])
    w, b = rng.standard_normal(w_shape), rng.standard_normal(w_shape[1])
    y = F.conv_transpose2d(mg.tensor(x), mg.tensor(w), mg.tensor(b), stride, padding, output_padding)
    (sh, sw), (ph, pw), (oh, ow) = _pair(stride), _pair(padding), _pair(output_padding)
    expected_shape = (x_shape[0], w_shape[1], conv_transpose_out_size(x_shape[2], w_shape[2], sh, ph, oh),
                      conv_transpose_out_size(x_shape[3], w_shape[3], sw, pw, ow))
    assert y.shape == expected_shape
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), naive_conv_transpose2d(x, w, b, stride, padding, output_padding),
                               rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, output_padding", CONFIGS, ids=IDS)
def test_conv_transpose2d_is_the_adjoint_of_conv2d(device, rng, x_shape, w_shape, stride, padding, output_padding):
    x = mg.tensor(rng.standard_normal(x_shape), dtype=np.float64)
    w = mg.tensor(rng.standard_normal(w_shape), dtype=np.float64)
    conv_x = F.conv2d(x, w, stride=stride, padding=padding)
    y = mg.tensor(rng.standard_normal(conv_x.shape), dtype=np.float64)
    # the output_padding that maps back to x's size: the rows a strided conv leaves unread
    fit = tuple((x_shape[2 + a] + 2 * _pair(padding)[a] - w_shape[2 + a]) % _pair(stride)[a] for a in range(2))
    conv_t_y = F.conv_transpose2d(y, w, stride=stride, padding=padding, output_padding=fit)
    assert conv_t_y.shape == x.shape
    # ⟨conv(x), y⟩ = ⟨x, conv_t(y)⟩
    np.testing.assert_allclose(np.sum(conv_x.numpy() * y.numpy()), np.sum(x.numpy() * conv_t_y.numpy()), rtol=1e-10)


# small versions of the configs, for the float64 gradient checks.  The checked functions square the op's
# output, so the gradient flowing into each backward depends on the inputs and the second-order check runs
# through every branch of every backward (the backward of the weight gradient included).
GRAD_CONFIGS = [
    ((1, 2, 5, 5), (3, 2, 3, 3), 1, 0, 0),
    ((2, 2, 4, 4), (2, 2, 4, 4), 2, 1, 1),
    ((1, 2, 5, 4), (2, 2, 3, 2), 2, 2, 1),
    ((1, 2, 5, 6), (2, 2, 3, 2), (2, 1), (1, 2), (1, 0)),
]
GRAD_IDS = ["3x3", "dcgan", "nonsquare-pad2", "pairs"]


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("x_shape, w_shape, stride, padding, output_padding", GRAD_CONFIGS, ids=GRAD_IDS)
def test_conv2d_gradcheck(device, rng, order, x_shape, w_shape, stride, padding, output_padding):
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    assert mg.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding) ** 2, [x, w, b], order=order)


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("x_shape, w_shape, stride, padding, output_padding", GRAD_CONFIGS, ids=GRAD_IDS)
def test_conv_transpose2d_gradcheck(device, rng, order, x_shape, w_shape, stride, padding, output_padding):
    x = rng.standard_normal((x_shape[0], w_shape[0], 3, 4))
    w, b = rng.standard_normal(w_shape), rng.standard_normal(w_shape[1])
    assert mg.gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, stride, padding, output_padding) ** 2,
                        [x, w, b], order=order)


def test_conv2d_without_bias_gradcheck_second_order(device, rng):
    x, w = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    assert mg.gradcheck(lambda x, w: F.conv2d(x, w, stride=2, padding=1) ** 2, [x, w], order=2)


def test_conv_gradients_keep_float32(device, rng):
    x = mg.tensor(rng.standard_normal((2, 3, 8, 8)), requires_grad=True)
    w = mg.tensor(rng.standard_normal((4, 3, 4, 4)), requires_grad=True)
    wt = mg.tensor(rng.standard_normal((4, 2, 4, 4)), requires_grad=True)
    b, bt = mg.zeros(4, requires_grad=True), mg.zeros(2, requires_grad=True)
    y = F.conv_transpose2d(F.conv2d(x, w, b, 2, 1), wt, bt, 2, 1)
    loss = (y * y).sum()
    (gx,) = mg.grad(loss, [x], create_graph=True)
    (loss + (gx * gx).sum()).backward()  # a gradient penalty: second order through both ops
    assert y.dtype == np.float32 and gx.dtype == np.float32
    for t in (x, w, b, wt, bt):
        assert t.grad.dtype == np.float32 and t.grad.shape == t.shape


# ---------------------------------------------------------------- pooling and upsampling
POOLS = [(2, None), (3, 2), ((3, 2), (1, 2))]


@pytest.mark.parametrize("kernel, stride", POOLS, ids=["2x2", "overlapping", "nonsquare"])
def test_pools_match_naive_loops(device, rng, kernel, stride):
    x = rng.standard_normal((2, 3, 7, 6))
    s = kernel if stride is None else stride
    for op, reduce in ((F.max_pool2d, np.max), (F.avg_pool2d, np.mean)):
        y = op(mg.tensor(x), kernel, stride)
        assert y.dtype == np.float32
        np.testing.assert_allclose(y.numpy(), naive_pool(x, kernel, s, reduce), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("kernel, stride", POOLS, ids=["2x2", "overlapping", "nonsquare"])
def test_pools_gradcheck(device, rng, order, kernel, stride):
    # distinct values, far apart compared to the finite-difference step: no ties for the maximum (squared as above)
    x = rng.permutation(60).reshape(1, 2, 6, 5) / 10.0
    assert mg.gradcheck(lambda x: F.max_pool2d(x, kernel, stride) ** 2, [x], order=order)
    assert mg.gradcheck(lambda x: F.avg_pool2d(x, kernel, stride) ** 2, [x], order=order)


def test_max_pool2d_sends_the_gradient_to_the_maximum(device):
    x = mg.tensor(np.array([[[[1.0, 5.0], [2.0, 3.0]]]]), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0, 1], [0, 0]]]])
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("scale", [2, (2, 3)])
def test_upsample_nearest2d_repeats_pixels(device, rng, scale):
    x = rng.standard_normal((2, 3, 4, 5))
    y = F.upsample_nearest2d(mg.tensor(x, requires_grad=True), scale)
    sh, sw = _pair(scale)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), np.repeat(np.repeat(x, sh, axis=2), sw, axis=3), rtol=1e-6)
    assert mg.gradcheck(lambda x: F.upsample_nearest2d(x, scale) ** 2, [x[:1, :2]], order=1)
    assert mg.gradcheck(lambda x: F.upsample_nearest2d(x, scale) ** 2, [x[:1, :2]], order=2)


def test_pool_and_upsample_gradients_keep_float32(device, rng):
    x = mg.tensor(rng.standard_normal((2, 3, 8, 8)), requires_grad=True)
    (F.max_pool2d(x, 2).sum() + F.avg_pool2d(x, 3, 1).sum() + F.upsample_nearest2d(x, 2).sum()).backward()
    assert x.grad.dtype == np.float32 and x.grad.shape == x.shape


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("call, message", [
    (lambda x, w: F.conv2d(x[0], w), r"conv2d: expected a 4-D input \(N, C, H, W\), got shape \(3, 8, 8\)"),
    (lambda x, w: F.conv2d(x, w[0]), r"conv2d: expected a 4-D weight"),
    (lambda x, w: F.conv2d(x, F.transpose(w, (1, 0, 2, 3))), r"conv2d: input of shape \(2, 3, 8, 8\) has 3 channels, "
                                                            r"but weight of shape \(3, 4, 3, 3\).* expects 4"),
    (lambda x, w: F.conv2d(x[:, :, :2, :2], w),
     r"conv2d: kernel 3×3 is larger than the input 2×2; input shape \(2, 3, 2, 2\)"),
    (lambda x, w: F.conv2d(x, w, mg.zeros(3)), r"conv2d: bias must have shape \(4,\)"),
    (lambda x, w: F.conv2d(x, w, stride=0), r"conv2d: stride must be an int or a pair of ints, each at least 1; got 0"),
    (lambda x, w: F.conv_transpose2d(x, w), r"conv_transpose2d: input of shape \(2, 3, 8, 8\) has 3 channels, "
                                            r"but weight of shape \(4, 3, 3, 3\).* expects 4"),
    (lambda x, w: F.conv_transpose2d(x, F.transpose(w, (1, 0, 2, 3)), stride=2, output_padding=2),
     r"conv_transpose2d: output_padding \(2, 2\) must be in \[0, stride\)"),
    (lambda x, w: F.conv_transpose2d(x[:, :, :1, :1], F.transpose(w, (1, 0, 2, 3)), padding=2),
     r"conv_transpose2d: .* gives an empty output"),
    (lambda x, w: F.conv2d(x[:, :, :2, :2], w, padding=(0, 1)),
     r"conv2d: kernel 3×3 is larger than the padded input 2×4 \(padding \(0, 1\)\); input shape \(2, 3, 2, 2\)"),
    (lambda x, w: F.max_pool2d(x, 9), r"max_pool2d: kernel 9×9 is larger than the input 8×8; input shape"),
    (lambda x, w: F.avg_pool2d(x[0], 2), r"avg_pool2d: expected a 4-D input"),
    (lambda x, w: F.upsample_nearest2d(x, 1.5), r"upsample_nearest2d: scale_factor must be an int or a pair"),
])
def test_bad_arguments_raise_clear_errors(device, call, message):
    x, w = mg.zeros(2, 3, 8, 8), mg.zeros(4, 3, 3, 3)
    with pytest.raises((ValueError, TypeError), match=message):
        call(x, w)


# ---------------------------------------------------------------- nn layers
def test_conv2d_layer_shapes_init_and_state_dict(device):
    layer = nn.Conv2d(3, 8, 4, stride=2, padding=1)
    assert layer.weight.shape == (8, 3, 4, 4) and layer.bias.shape == (8,)
    assert set(layer.state_dict()) == {"weight", "bias"}
    assert layer(mg.randn(2, 3, 16, 16)).shape == (2, 8, 8, 8)
    bound = 1 / math.sqrt(3 * 4 * 4)  # kaiming_uniform(a=√5) and the bias share the bound 1/√fan_in
    for p in (layer.weight, layer.bias):
        assert p.device == device and p.dtype == np.float32
        assert np.abs(p.numpy()).max() <= bound
    assert np.abs(layer.weight.numpy()).max() > 0.9 * bound  # spread over the whole interval
    assert set(nn.Conv2d(3, 8, (3, 5), bias=False).state_dict()) == {"weight"}


def test_conv_transpose2d_layer_shapes_init_and_state_dict(device):
    layer = nn.ConvTranspose2d(8, 3, 4, stride=2, padding=1)
    assert layer.weight.shape == (8, 3, 4, 4) and layer.bias.shape == (3,)
    assert set(layer.state_dict()) == {"weight", "bias"}
    assert layer(mg.randn(2, 8, 8, 8)).shape == (2, 3, 16, 16)
    # PyTorch takes fan_in from the (in, out, kh, kw) weight: out·kh·kw = 3·16, not 8·16
    bound = 1 / math.sqrt(3 * 4 * 4)
    for p in (layer.weight, layer.bias):
        assert np.abs(p.numpy()).max() <= bound
    assert np.abs(layer.weight.numpy()).max() > 1 / math.sqrt(8 * 4 * 4)
    with_output_padding = nn.ConvTranspose2d(8, 3, 3, stride=2, padding=1, output_padding=1)
    assert with_output_padding(mg.randn(1, 8, 5, 5)).shape == (1, 3, 10, 10)


def test_conv_layers_use_the_functional_ops(device, rng):
    x = mg.tensor(rng.standard_normal((2, 3, 9, 9)))
    conv, conv_t = nn.Conv2d(3, 4, 3, 2, 1), nn.ConvTranspose2d(3, 4, 3, 2, 1, 1)
    np.testing.assert_array_equal(conv(x).numpy(), F.conv2d(x, conv.weight, conv.bias, 2, 1).numpy())
    np.testing.assert_array_equal(conv_t(x).numpy(), F.conv_transpose2d(x, conv_t.weight, conv_t.bias, 2, 1, 1).numpy())


def test_pool_and_upsample_modules(device, rng):
    x = mg.tensor(rng.standard_normal((2, 3, 8, 8)))
    np.testing.assert_array_equal(nn.MaxPool2d(2)(x).numpy(), F.max_pool2d(x, 2).numpy())
    np.testing.assert_array_equal(nn.AvgPool2d(3, 1)(x).numpy(), F.avg_pool2d(x, 3, 1).numpy())
    assert nn.Upsample(scale_factor=2)(x).shape == (2, 3, 16, 16)
    assert list(nn.MaxPool2d(2).state_dict()) == [] and list(nn.Upsample(2).parameters()) == []
    with pytest.raises(ValueError, match="Upsample: only mode='nearest'"):
        nn.Upsample(2, mode="bilinear")
    with pytest.raises(ValueError, match="Conv2d: kernel_size must be"):
        nn.Conv2d(3, 4, 0)
    with pytest.raises(ValueError, match="ConvTranspose2d: in_channels must be a positive integer"):
        nn.ConvTranspose2d((3, 3), 4, 3)


def test_results_are_contiguous_nchw_arrays(device, rng):
    # the ops work in other memory orders inside; handing those on would make every later elementwise op
    # that meets an ordinary (N, C, H, W) array many times slower
    x = mg.tensor(rng.standard_normal((2, 3, 8, 8)), requires_grad=True)
    w = mg.tensor(rng.standard_normal((4, 3, 4, 4)), requires_grad=True)
    y = F.conv2d(x, w, stride=2, padding=1)
    z = F.conv_transpose2d(y, w, stride=2, padding=1)
    pooled = F.max_pool2d(x, 2) + F.avg_pool2d(x, 2)
    (z.sum() + pooled.sum()).backward()
    for t in (y, z, pooled, x.grad, w.grad):
        assert t.data.flags["C_CONTIGUOUS"]


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", [
    ((7, 6, 5, 5), (6, 3, 4, 4), 2, 1),  # 7 images: blocks of 1, 2 and 3 leave a shorter last block
    ((5, 4, 6, 6), (4, 2, 3, 3), 1, 1),
    ((3, 2, 4, 3), (2, 5, 3, 2), (2, 1), (1, 0)),
])
@pytest.mark.parametrize("block_bytes", [1, 600, 1500])
def test_col2im_by_blocks_of_images_is_the_whole_batch_at_once_bit_for_bit(monkeypatch, rng, x_shape, w_shape,
                                                                            stride, padding, block_bytes):
    """The fast path (col2im a block of images at a time, on the CPU) against its plain twin (the whole batch in one
    pass): the same additions in the same order, so the same bits, in conv_transpose2d and in its gradients."""
    x = mg.tensor(rng.standard_normal(x_shape).astype(np.float32), requires_grad=True)
    W = mg.tensor(rng.standard_normal(w_shape).astype(np.float32), requires_grad=True)
    results = []
    for size in (conv.BLOCK_BYTES * 2**30, block_bytes):  # one block; then small blocks
        monkeypatch.setattr(conv, "BLOCK_BYTES", size)
        x.grad = W.grad = None
        y = F.conv_transpose2d(x, W, stride=stride, padding=padding)
        (y * y).sum().backward()
        results.append((y.numpy(), x.grad.numpy(), W.grad.numpy()))
    for whole, blocked in zip(*results):
        np.testing.assert_array_equal(blocked, whole)
    assert results[1][0].flags.c_contiguous and results[1][0].dtype == np.float32
