"""GPU kernels that each do in one launch what a few array operations do in several.

On a GPU every array operation is a kernel launch, and at the sizes minigan trains at, the launches,
not the arithmetic, take the time: about 17 µs of CPU time each on the H100 machine of
docs/performance.md, where the work itself takes a few µs.  Each kernel below computes the same
formula as the NumPy lines at its call site, which stay there for the CPU (and for the GPU when
``MINIGAN_FUSED_KERNELS=0``, to compare or to debug); the site's comment names the kernel.

They are CuPy ElementwiseKernels: C code run once per output element, ``T`` the arrays' dtype
(float32 or float64), ``i`` the flat index of the output element, ``raw`` arrays read at any index.
"""
from __future__ import annotations

import functools
import os

import numpy as np

from minigan import backend

ENABLED = os.environ.get("MINIGAN_FUSED_KERNELS", "1") != "0"
_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

# an image's channels and size, the kernel's size, stride and padding, and the number of its positions
# (conv._geometry gives them in this order)
_GEOMETRY = "int32 c, int32 h, int32 w, int32 kh, int32 kw, int32 sh, int32 sw, int32 ph, int32 pw, int32 ho, int32 wo"

# name: (inputs, outputs, the C code for one element)
SOURCES = {
    # σ(x) = e^min(x, 0) / (1 + e^−|x|)   (activation._sigmoid_array)
    "sigmoid": ("T x", "T y", "T e = exp(-fabs(x)); y = (x >= 0 ? (T)1 : e) / ((T)1 + e);"),
    # softplus(x) = max(x, 0) + log(1 + e^−|x|)   (activation._softplus_array)
    "softplus": ("T x", "T y", "y = fmax(x, (T)0) + log1p(exp(-fabs(x)));"),
    # x for x > 0, slope · x otherwise   (activation._leaky_relu_array)
    "leaky_relu": ("T x, T slope", "T y", "y = x > 0 ? x : x * slope;"),
    # gy · leaky_relu′(x)   (activation.LeakyReLUGrad)
    "leaky_relu_grad": ("T gy, T x, T slope", "T gx", "gx = x > 0 ? gy : gy * slope;"),
    # gy · (1 − y²) with y = tanh x   (activation.Tanh)
    "tanh_grad": ("T gy, T y", "T gx", "gx = gy * ((T)1 - y * y);"),
    # softplus(l) − y · l   (loss.BinaryCrossEntropyWithLogits)
    "bce_with_logits": ("T l, T y", "T loss", "loss = fmax(l, (T)0) + log1p(exp(-fabs(l))) - y * l;"),
    # gy · (σ(l) − y)   (loss.BinaryCrossEntropyWithLogits)
    "bce_with_logits_grad": (
        "T gy, T l, T y", "T gl",
        "T e = exp(-fabs(l)); gl = gy * ((l >= 0 ? (T)1 : e) / ((T)1 + e) - y);"),
    # 1 / √(σ² + ε)   (layers.BatchNorm)
    "inverse_std": ("T var, T eps", "T inv_std", "inv_std = (T)1 / sqrt(var + eps);"),
    # x̂ = (x − μ) · s,  y = γ x̂ + β   (layers.BatchNorm)
    "batch_norm": ("T centered, T inv_std, T gamma, T beta", "T x_hat, T y",
                   "x_hat = centered * inv_std; y = x_hat * gamma + beta;"),
    # ∂L/∂x = γ s (gy − mean(gy) − x̂ mean(gy x̂))   (layers.BatchNorm)
    "batch_norm_grad": (
        "T gy, T x_hat, T g_beta, T g_gamma, T gamma, T inv_std, T inv_count", "T gx",
        "gx = (gy - (g_beta * inv_count + x_hat * (g_gamma * inv_count))) * (gamma * inv_std);"),
    # (1 − m) r + m s   (layers._running_average)
    "running_average": ("T running, T stat, T keep, T m", "T out", "out = keep * running + m * stat;"),
    # im2col: rows[(n, yo, xo), (ki, kj, ch)] = x_pad[n, ch, yo·sh + ki, xo·sw + kj]   (conv._im2col)
    "im2col": (
        "raw T x, " + _GEOMETRY, "T rows",
        """
        ptrdiff_t t = i;
        const int ch = t % c; t /= c;
        const int kj = t % kw; t /= kw;
        const int ki = t % kh; t /= kh;
        const int xo = t % wo; t /= wo;
        const int yo = t % ho;
        const ptrdiff_t n = t / ho;
        const int y_in = yo * sh + ki - ph, x_in = xo * sw + kj - pw;
        rows = (y_in >= 0 && y_in < h && x_in >= 0 && x_in < w) ? x[((n * c + ch) * h + y_in) * w + x_in] : (T)0;
        """),
    # col2im: image[n, ch, y, x] = Σ over the (yo, xo, ki, kj) with yo·sh + ki = y + ph and xo·sw + kj = x + pw
    # of rows[(n, yo, xo), (ki, kj, ch)], added in the order of conv._add_windows   (conv._col2im)
    "col2im": (
        "raw T rows, " + _GEOMETRY, "T image",
        """
        ptrdiff_t t = i;
        const int x_out = t % w; t /= w;
        const int y_out = t % h; t /= h;
        const int ch = t % c;
        const ptrdiff_t n = t / c;
        T total = 0;
        for (int ki = 0; ki < kh; ++ki) {
            const int yy = y_out + ph - ki;
            if (yy < 0 || yy % sh != 0 || yy / sh >= ho) continue;
            for (int kj = 0; kj < kw; ++kj) {
                const int xx = x_out + pw - kj;
                if (xx < 0 || xx % sw != 0 || xx / sw >= wo) continue;
                total += rows[((((n * ho + yy / sh) * wo + xx / sw) * kh + ki) * kw + kj) * c + ch];
            }
        }
        image = total;
        """),
    # Adam's step, θ, m and v updated in place (they are the outputs)   (optim.Adam._update)
    "adam": (
        "T g, T beta1, T one_minus_beta1, T beta2, T one_minus_beta2, T bias_correction2_sqrt, T eps, T step_size",
        "T p, T m, T v",
        """
        m = beta1 * m + one_minus_beta1 * g;
        v = beta2 * v + one_minus_beta2 * (g * g);
        p -= step_size * (m / (sqrt(v) / bias_correction2_sqrt + eps));
        """),
}


def fused(array) -> bool:
    """Whether ops on ``array`` use the kernels here: float32 and float64 arrays on the GPU, unless
    MINIGAN_FUSED_KERNELS=0.  (Other dtypes, float16 say, take the plain lines: the C above is written for
    types with the C math functions.)"""
    return ENABLED and backend.device_of(array) == "gpu" and array.dtype in _KERNEL_DTYPES


@functools.cache
def kernel(name: str):
    """The CuPy kernel ``name`` (compiled by CuPy at its first call, then cached on disk)."""
    inputs, outputs, source = SOURCES[name]
    return backend.module_for("gpu").ElementwiseKernel(inputs, outputs, source, f"minigan_{name}")
