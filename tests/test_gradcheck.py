"""mg.gradcheck must catch wrong gradients, not only pass right ones.

Three versions of sin(x) as hand-written Functions: one right to every order, one with a wrong
derivative (caught at order 1), and one whose derivative is right but computed on raw arrays, so
the graph of the gradient is lost and its second derivative comes out as 0 (caught at order 2).
Each is tried on a small input (checked element by element) and a large one (checked along random
directions).
"""
import re

import numpy as np
import pytest

import minigan as mg
from minigan import backend
from minigan import functional as F
from minigan.autograd import Function, Tensor


class Sin(Function):
    def forward(self, x):
        return backend.array_module(x).sin(x)

    def backward(self, gy):
        return gy * Cos()(self.inputs[0])


class Cos(Function):
    def forward(self, x):
        return backend.array_module(x).cos(x)

    def backward(self, gy):
        return -gy * Sin()(self.inputs[0])


class SinWrongDerivative(Sin):
    def backward(self, gy):
        return gy * Cos()(self.inputs[0]) * 1.01  # 1% off


class SinRawArrayBackward(Sin):
    def backward(self, gy):
        x = self.inputs[0].data
        return Tensor(gy.data * backend.array_module(x).cos(x))  # right values, but no graph


SMALL, LARGE = (2, 3), (10, 12)  # 6 elements checked one by one; 120 > max_elements=64: random directions
SIZES = [pytest.param(SMALL, id="element by element"), pytest.param(LARGE, id="random directions")]


def inputs(shape):
    return [np.random.default_rng(0).uniform(-3, 3, shape)]


@pytest.mark.parametrize("shape", SIZES)
def test_a_right_backward_passes_both_orders(shape):
    assert mg.gradcheck(lambda x: Sin()(x), inputs(shape))
    assert mg.gradcheck(lambda x: Sin()(x), inputs(shape), order=2)


@pytest.mark.parametrize("shape", SIZES)
def test_a_wrong_derivative_fails_at_order_1(shape):
    where = "element" if shape == SMALL else "a random direction"
    message = rf"input 0 \(shape {re.escape(str(shape))}\), {where}.*backward gives .* finite differences give"
    with pytest.raises(mg.GradcheckError, match=message):
        mg.gradcheck(lambda x: SinWrongDerivative()(x), inputs(shape))


@pytest.mark.parametrize("shape", SIZES)
def test_a_backward_on_raw_arrays_passes_order_1_and_fails_order_2(shape):
    assert mg.gradcheck(lambda x: SinRawArrayBackward()(x), inputs(shape))
    with pytest.raises(mg.GradcheckError, match=r"backward gives 0,"):
        mg.gradcheck(lambda x: SinRawArrayBackward()(x), inputs(shape), order=2)


def test_the_failing_input_is_named():
    """Only the gradient of the second input is wrong."""
    def fn(a, b):
        return a * SinWrongDerivative()(b)

    with pytest.raises(mg.GradcheckError, match=r"input 1 \(shape \(3,\)\), element \(\d,\)"):
        mg.gradcheck(fn, [np.ones(3), np.array([0.1, 0.2, 0.3])])


def test_piecewise_linear_ops_pass_order_2_away_from_their_kinks():
    """Their second derivative is 0 there, and a backward built from Tensor ops reports exactly that."""
    x = np.array([[-1.5, 0.3, 2.0], [0.7, -0.4, -2.2]])
    assert mg.gradcheck(lambda t: F.relu(t) * t, [x], order=2)  # x² for x > 0: second derivative 2, not 0


def test_an_op_that_changes_the_dtype_is_reported():
    with pytest.raises(mg.GradcheckError, match="turned float64 inputs into float32"):
        mg.gradcheck(lambda x: x.float(), [np.ones(3)])


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="order must be 1 or 2, got 3"):
        mg.gradcheck(lambda x: x * 2, [np.ones(3)], order=3)
    with pytest.raises(TypeError, match="fn must return a Tensor, got ndarray"):
        mg.gradcheck(lambda x: x.data, [np.ones(3)])


def test_plain_arrays_are_checked_on_the_default_device(device):
    """NumPy inputs go where ``mg.tensor`` would put them; a Tensor input keeps its own device."""
    seen = []

    def fn(x):
        seen.append(x.device)
        return Sin()(x)

    assert mg.gradcheck(fn, inputs(SMALL))
    assert set(seen) == {device}
    seen.clear()
    assert mg.gradcheck(fn, [mg.tensor(inputs(SMALL)[0], device="cpu")])
    assert set(seen) == {"cpu"}
