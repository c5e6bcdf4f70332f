"""The branch-free activation formulas against their plain ``np.where`` twins, bit for bit.

``minigan/functional/activation.py`` computes leaky ReLU as max(x, slope·x), its derivative as max(1[x > 0], slope)
and the sigmoid as e^min(x, 0) / (1 + e^−|x|), because ``np.where`` branches on every element's sign and is many
times slower.  These must give exactly what the plain forms give, on every value a tensor can hold: ±0 (the sign
kept), ±∞, NaN, the smallest and largest floats, in float32 and float64.
"""
import numpy as np
import pytest

from minigan.functional.activation import _leaky_relu_array, _leaky_relu_slopes, _sigmoid_array

SLOPES = [0.0, 0.01, 0.2, 1.0, 1.5, -0.3]  # inside [0, 1] the fast forms run; outside, the where forms


def values(dtype):
    """Random values of both signs and every kind of special value, in ``dtype``."""
    info = np.finfo(dtype)
    special = [0.0, -0.0, np.inf, -np.inf, np.nan, info.tiny, -info.tiny, info.max, -info.max, 1.0, -1.0, 30.0, -30.0,
               100.0, -100.0]
    random = np.random.default_rng(0).standard_normal(1000) * 10
    return np.array(special + list(random), dtype=dtype)


def same_bits(a, b):
    """Equal values, NaN where NaN, and the same sign of zero (a NaN's sign bit means nothing: not compared)."""
    numbers = ~np.isnan(a)
    return (a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
            and np.array_equal(np.signbit(a[numbers]), np.signbit(b[numbers])))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("slope", SLOPES)
def test_leaky_relu_is_the_where_formula_bit_for_bit(dtype, slope):
    x = values(dtype)
    # slope · (the largest float) overflows to ∞ when slope > 1, and 0 · ∞ is NaN when slope = 0: in both forms
    with np.errstate(over="ignore", invalid="ignore"):
        plain = np.where(x > 0, x, dtype(slope) * x)
        fast = _leaky_relu_array(x, slope)
    assert same_bits(fast, plain)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("slope", SLOPES)
def test_leaky_relu_slopes_are_the_where_formula_bit_for_bit(dtype, slope):
    x = values(dtype)
    plain = np.where(x > 0, dtype(1), dtype(slope))
    assert same_bits(_leaky_relu_slopes(x, slope), plain)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_the_two_sided_formula_bit_for_bit(dtype):
    x = values(dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        # 1 / (1 + e^−x) for x ≥ 0, e^x / (1 + e^x) for x < 0: the same two formulas, chosen by branching
        plain = np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))
    assert same_bits(_sigmoid_array(x), plain.astype(dtype))


@pytest.mark.parametrize("shape", [(), (0,), (3, 4, 5)])
def test_the_fast_forms_keep_shape_and_zero_d_arrays(shape):
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    for result in (_leaky_relu_array(x, 0.2), _leaky_relu_slopes(x, 0.2), _sigmoid_array(x)):
        assert isinstance(result, np.ndarray) and result.shape == shape and result.dtype == np.float32
