"""Every differentiable op, against a plain NumPy formula and against finite differences.

One table (``CASES``) lists the ops; each case says how to call the op on Tensors, the NumPy
formula it must agree with, and the inputs to try.  Three tests read the table:

* forward: float32 inputs on each device give the NumPy result, stay float32 (values and
  gradients), stay on the device, and come back as arrays (never NumPy scalars, even when 0-d);
* ``mg.gradcheck`` first order and second order (``order=2``), in float64.  The piecewise-linear ops
  get inputs away from their kinks, where the check confirms that their second derivative is 0.

Binary ops appear with broadcasting shapes ((3,1)+(1,4), (4,)+(2,3,4), 0-d, Python numbers), so
the gradcheck also proves that gradients of broadcast inputs are summed back to the input's shape.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

import minigan as mg
from minigan import backend
from minigan import functional as F


# ---------------------------------------------------------------- inputs
def N(rng, shape):
    """Standard normal values."""
    return rng.standard_normal(shape)


def P(rng, shape):
    """Positive values, for log, sqrt, denominators and bases of powers."""
    return rng.uniform(0.5, 2.0, shape)


def Z(rng, shape):
    """Values at least 0.2 away from 0, the kink of relu, leaky_relu and abs."""
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 2.0, shape)


def U(rng, shape):
    """Values in (0.1, 0.9): probabilities and soft targets."""
    return rng.uniform(0.1, 0.9, shape)


def _grid(rng, shape, offset):
    n = int(np.prod(shape))
    return (rng.permutation(n) - n // 2).reshape(shape) * 0.25 + offset


def D(rng, shape):
    """Distinct values on the grid 0.05 + 0.25 k: a unique maximum, and never within 0.05 of ±0.6."""
    return _grid(rng, shape, 0.05)


def S(rng, shape):
    """Distinct values on the grid 0.15 + 0.25 k: never equal to a value of D."""
    return _grid(rng, shape, 0.15)


# ---------------------------------------------------------------- NumPy formulas
def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_reduce(loss, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction](loss)


def np_batch_norm(x, mean, var, weight, bias, eps=1e-5):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - mean) / np.sqrt(var + eps) * weight.reshape(shape) + bias.reshape(shape)


def np_batch_norm_train(x, weight, bias):
    axes = (0,) + tuple(range(2, x.ndim))
    return np_batch_norm(x, x.mean(axes, keepdims=True), x.var(axes, keepdims=True), weight, bias)


RUNNING_MEAN, RUNNING_VAR = np.array([0.5, -1.0, 0.0]), np.array([2.0, 0.5, 1.0])


def batch_norm_eval(x, weight, bias):
    """batch_norm in evaluation mode, with constant running statistics of x's dtype and device."""
    rm = mg.tensor(RUNNING_MEAN, dtype=x.dtype, device=x.device)
    rv = mg.tensor(RUNNING_VAR, dtype=x.dtype, device=x.device)
    return F.batch_norm(x, rm, rv, weight, bias, training=False)


MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])


@dataclass(frozen=True)
class Case:
    name: str
    op: Callable  # Tensors -> Tensor
    ref: Callable  # float64 NumPy arrays -> the expected array
    inputs: tuple  # (generator, shape) per input

    def arrays(self):
        rng = np.random.default_rng(0)
        return [make(rng, shape) for make, shape in self.inputs]


def loss_cases(name, op, ref, inputs):
    return [
        Case(f"{name} {r}", lambda p, y, r=r: op(p, y, reduction=r), lambda p, y, r=r: np_reduce(ref(p, y), r), inputs)
        for r in ("mean", "sum", "none")
    ]


CASES = [
    # arithmetic, with broadcasting and Python numbers on either side
    Case("add (3,1)+(1,4)", lambda a, b: a + b, np.add, ((N, (3, 1)), (N, (1, 4)))),
    Case("add (4,)+(2,3,4)", lambda a, b: a + b, np.add, ((N, (4,)), (N, (2, 3, 4)))),
    Case("add 0-d+(2,3)", F.add, np.add, ((N, ()), (N, (2, 3)))),
    Case("add x+2.5", lambda x: x + 2.5, lambda x: x + 2.5, ((N, (3,)),)),
    Case("radd 2+x", lambda x: 2 + x, lambda x: 2 + x, ((N, (3,)),)),
    Case("sub (2,3,4)-(4,)", lambda a, b: a - b, np.subtract, ((N, (2, 3, 4)), (N, (4,)))),
    Case("sub (3,1)-(1,4)", F.sub, np.subtract, ((N, (3, 1)), (N, (1, 4)))),
    Case("rsub 2-x", lambda x: 2 - x, lambda x: 2 - x, ((N, (3,)),)),
    Case("mul (3,1)*(1,4)", lambda a, b: a * b, np.multiply, ((N, (3, 1)), (N, (1, 4)))),
    Case("mul (4,)*(2,3,4)", F.mul, np.multiply, ((N, (4,)), (N, (2, 3, 4)))),
    Case("mul 0-d*0-d", lambda a, b: a * b, np.multiply, ((N, ()), (N, ()))),
    Case("rmul 0.5*x", lambda x: 0.5 * x, lambda x: 0.5 * x, ((N, (2, 3)),)),
    Case("div (3,1)/(1,4)", lambda a, b: a / b, np.divide, ((N, (3, 1)), (P, (1, 4)))),
    Case("div (2,3,4)/(4,)", F.div, np.divide, ((N, (2, 3, 4)), (P, (4,)))),
    Case("rdiv 2/x", lambda x: 2 / x, lambda x: 2 / x, ((P, (3,)),)),
    Case("pow (3,1)**(1,4)", lambda a, b: a**b, np.power, ((P, (3, 1)), (N, (1, 4)))),
    Case("pow x**3", lambda x: x**3, lambda x: x**3, ((N, (2, 3)),)),
    Case("pow x**2", lambda x: x**2, lambda x: x**2, ((N, (2, 3)),)),
    Case("pow x**0.5", lambda x: x**0.5, np.sqrt, ((P, (3,)),)),
    Case("pow x**-2", lambda x: x**-2, lambda x: x**-2.0, ((P, (3,)),)),
    Case("pow x**0", lambda x: x**0, np.ones_like, ((N, (3,)),)),
    Case("rpow 2**x", lambda x: 2**x, lambda x: 2.0**x, ((N, (3,)),)),
    Case("neg", lambda x: -x, np.negative, ((N, (2, 3)),)),
    # matrix product
    Case("matmul 2-D", lambda a, b: a @ b, np.matmul, ((N, (3, 4)), (N, (4, 5)))),
    Case("matmul batched", F.matmul, np.matmul, ((N, (2, 3, 4)), (N, (2, 4, 5)))),
    Case("matmul broadcast batch", F.matmul, np.matmul, ((N, (2, 1, 3, 4)), (N, (3, 4, 2)))),
    Case("mm", mg.mm, np.matmul, ((N, (3, 4)), (N, (4, 5)))),
    Case("matmul 2-D @ batched", F.matmul, np.matmul, ((N, (3, 4)), (N, (2, 4, 2)))),
    Case("matmul vector @ vector", F.matmul, np.matmul, ((N, (4,)), (N, (4,)))),
    Case("matmul matrix @ vector", lambda a, b: a @ b, np.matmul, ((N, (3, 4)), (N, (4,)))),
    Case("matmul vector @ batched", F.matmul, np.matmul, ((N, (4,)), (N, (2, 4, 3)))),
    Case("matmul batched @ vector", F.matmul, np.matmul, ((N, (2, 3, 4)), (N, (4,)))),
    # elementwise functions
    Case("exp", F.exp, np.exp, ((N, (2, 3)),)),
    Case("exp 0-d", lambda x: x.exp(), np.exp, ((N, ()),)),
    Case("log", F.log, np.log, ((P, (2, 3)),)),
    Case("sqrt", F.sqrt, np.sqrt, ((P, (2, 3)),)),
    Case("abs", F.abs, np.abs, ((Z, (2, 3)),)),
    Case("abs builtin", lambda x: abs(x), np.abs, ((Z, (2, 3)),)),
    Case("clip", lambda x: F.clip(x, -0.6, 0.6), lambda x: np.clip(x, -0.6, 0.6), ((D, (3, 4)),)),
    Case("clip low", lambda x: x.clip(-0.6), lambda x: np.maximum(x, -0.6), ((D, (3, 4)),)),
    Case("clip high", lambda x: F.clip(x, high=0.6), lambda x: np.minimum(x, 0.6), ((D, (3, 4)),)),
    Case("clamp (PyTorch's keywords)", lambda x: mg.clamp(x, min=-0.6, max=0.6), lambda x: np.clip(x, -0.6, 0.6),
         ((D, (3, 4)),)),
    Case("x.clip(max=)", lambda x: x.clip(max=0.6), lambda x: np.minimum(x, 0.6), ((D, (3, 4)),)),
    Case("where (3,1),(1,4)", lambda a, b: F.where(a > 0.0, a, b), lambda a, b: np.where(a > 0, a, b),
         ((D, (3, 1)), (S, (1, 4)))),
    Case("where, condition from both", lambda a, b: F.where(a > b, a * a, 2.0 * b),
         lambda a, b: np.where(a > b, a * a, 2.0 * b), ((D, (3, 1)), (S, (1, 4)))),
    Case("where, a number", lambda a, b: F.where(a > b, 2.0, a * b), lambda a, b: np.where(a > b, 2.0, a * b),
         ((D, (3, 1)), (S, (1, 4)))),
    Case("x.where(c, y)", lambda a, b: a.where(b < a, b), lambda a, b: np.where(b < a, a, b), ((D, (3, 4)), (S, (4,)))),
    Case("masked_fill", lambda x: x.masked_fill(x < 0.0, 0.5), lambda x: np.where(x < 0, 0.5, x), ((D, (3, 4)),)),
    Case("maximum (3,1),(1,4)", F.maximum, np.maximum, ((D, (3, 1)), (S, (1, 4)))),
    Case("maximum x,0", lambda x: F.maximum(x, 0.0), lambda x: np.maximum(x, 0), ((Z, (2, 3)),)),
    Case("minimum (3,4),(4,)", F.minimum, np.minimum, ((D, (3, 4)), (S, (4,)))),
    Case("minimum 1,x", lambda x: F.minimum(1, x), lambda x: np.minimum(1, x), ((D, (2, 3)),)),
    # reductions
    Case("sum -> 0-d", F.sum, np.sum, ((N, (2, 3, 4)),)),
    Case("sum axis=1", lambda x: x.sum(axis=1), lambda x: x.sum(axis=1), ((N, (2, 3, 4)),)),
    Case("sum axis=(0,2) keepdims", lambda x: F.sum(x, (0, 2), keepdims=True),
         lambda x: x.sum(axis=(0, 2), keepdims=True), ((N, (2, 3, 4)),)),
    Case("sum axis=np.int64(1)", lambda x: x.sum(axis=np.int64(1)), lambda x: x.sum(axis=1), ((N, (2, 3, 4)),)),
    Case("sum axis=-1 keepdims", lambda x: F.sum(x, -1, True), lambda x: x.sum(-1, keepdims=True), ((N, (3, 4)),)),
    Case("mean -> 0-d", F.mean, np.mean, ((N, (2, 3, 4)),)),
    Case("mean axis=0", lambda x: x.mean(axis=0), lambda x: x.mean(axis=0), ((N, (3, 4)),)),
    Case("mean dim=1 keepdim", lambda x: x.mean(dim=1, keepdim=True), lambda x: x.mean(axis=1, keepdims=True),
         ((N, (3, 4)),)),
    Case("mean axis=(0,2) keepdims", lambda x: F.mean(x, (0, 2), keepdims=True),
         lambda x: x.mean(axis=(0, 2), keepdims=True), ((N, (2, 3, 4)),)),
    Case("max -> 0-d", F.max, np.max, ((D, (3, 4)),)),
    Case("max axis=1", lambda x: x.max(axis=1), lambda x: x.max(axis=1), ((D, (2, 3, 4)),)),
    Case("max axis=0 keepdims", lambda x: F.max(x, 0, keepdims=True), lambda x: x.max(0, keepdims=True),
         ((D, (3, 4)),)),
    Case("min axis=-1", lambda x: x.min(axis=-1), lambda x: x.min(axis=-1), ((D, (3, 4)),)),
    Case("var -> 0-d", F.var, lambda x: x.var(ddof=1), ((N, (3, 4)),)),
    Case("var axis=0", lambda x: x.var(axis=0), lambda x: x.var(axis=0, ddof=1), ((N, (3, 4)),)),
    Case("var axis=1 correction=0 keepdims", lambda x: F.var(x, 1, keepdims=True, correction=0),
         lambda x: x.var(axis=1, keepdims=True), ((N, (3, 4)),)),
    Case("std axis=1", lambda x: F.std(x, 1), lambda x: x.std(axis=1, ddof=1), ((N, (3, 4)),)),
    Case("logsumexp axis=1", lambda x: F.logsumexp(x, 1), lambda x: np.log(np.exp(x).sum(axis=1)), ((N, (3, 4)),)),
    Case("logsumexp all, keepdims", lambda x: F.logsumexp(x, keepdims=True),
         lambda x: np.log(np.exp(x).sum(keepdims=True)), ((N, (3, 4)),)),
    # shapes and indexing
    Case("reshape", lambda x: x.reshape(4, 6), lambda x: x.reshape(4, 6), ((N, (2, 3, 4)),)),
    Case("reshape -1", lambda x: F.reshape(x, (-1, 2)), lambda x: x.reshape(-1, 2), ((N, (2, 3, 4)),)),
    Case("transpose", F.transpose, np.transpose, ((N, (2, 3, 4)),)),
    Case(".T", lambda x: x.T, lambda x: x.T, ((N, (3, 4)),)),
    Case("permute", lambda x: x.permute(2, 0, 1), lambda x: x.transpose(2, 0, 1), ((N, (2, 3, 4)),)),
    Case("swapaxes", lambda x: F.swapaxes(x, 0, 2), lambda x: x.swapaxes(0, 2), ((N, (2, 3, 4)),)),
    Case("transpose(0, 2), PyTorch's", lambda x: x.transpose(0, 2), lambda x: x.swapaxes(0, 2), ((N, (2, 3, 4)),)),
    Case("unsqueeze(1)", lambda x: x.unsqueeze(1), lambda x: x[:, None], ((N, (2, 3)),)),
    Case("squeeze", lambda x: x.squeeze(), np.squeeze, ((N, (2, 1, 3, 1)),)),
    Case("squeeze(dim=1)", lambda x: F.squeeze(x, dim=1), lambda x: x.squeeze(1), ((N, (2, 1, 3, 1)),)),
    Case("flatten", F.flatten, lambda x: x.reshape(-1), ((N, (2, 3, 4)),)),
    Case("flatten(1)", lambda x: x.flatten(1), lambda x: x.reshape(2, -1), ((N, (2, 3, 4)),)),
    Case("clone", F.clone, lambda x: x, ((N, (2, 3)),)),
    Case("getitem slices", lambda x: x[1:, ::2], lambda x: x[1:, ::2], ((N, (3, 4)),)),
    Case("getitem reversed", lambda x: x[::-1], lambda x: x[::-1], ((N, (3, 4)),)),
    Case("getitem integer", lambda x: x[1], lambda x: x[1], ((N, (3, 4)),)),
    Case("getitem repeated indices", lambda x: x[np.array([0, 2, 0, 0])], lambda x: x[[0, 2, 0, 0]],
         ((N, (3, 4)),)),
    Case("getitem index list, column", lambda x: x[:, [1, 1, 3]], lambda x: x[:, [1, 1, 3]], ((N, (3, 4)),)),
    Case("getitem two index arrays", lambda x: x[[0, 1, 1, 0], [2, 0, 0, 2]], lambda x: x[[0, 1, 1, 0], [2, 0, 0, 2]],
         ((N, (3, 4)),)),
    Case("getitem boolean mask", lambda x: x[MASK], lambda x: x[MASK], ((N, (3, 4)),)),
    Case("concatenate axis=1", lambda a, b, c: F.concatenate([a, b, c], axis=1),
         lambda a, b, c: np.concatenate([a, b, c], axis=1), ((N, (2, 3)), (N, (2, 1)), (N, (2, 2)))),
    Case("cat axis=0", lambda a, b: F.cat([a, b]), lambda a, b: np.concatenate([a, b]), ((N, (2, 3)), (N, (1, 3)))),
    Case("stack axis=0", lambda a, b: F.stack([a, b]), lambda a, b: np.stack([a, b]), ((N, (2, 3)), (N, (2, 3)))),
    Case("stack axis=-1", lambda a, b: F.stack([a, b], axis=-1), lambda a, b: np.stack([a, b], axis=-1),
         ((N, (2, 3)), (N, (2, 3)))),
    Case("x.t()", lambda x: x.t(), lambda x: x.T, ((N, (3, 4)),)),
    Case("split [1, 3], dim=1, reversed", lambda x: F.cat(F.split(x, [1, 3], dim=1)[::-1], dim=1),
         lambda x: np.concatenate([x[:, 1:], x[:, :1]], axis=1), ((N, (3, 4)),)),
    Case("x.split(2), the short last piece", lambda x: x.split(2)[1], lambda x: x[2:], ((N, (3, 4)),)),
    Case("chunk(2, dim=1)", lambda x: F.chunk(x, 2, dim=1)[1] * F.chunk(x, 2, dim=1)[0],
         lambda x: x[:, 2:] * x[:, :2], ((N, (3, 4)),)),
    Case("expand(2, -1, 4)", lambda x: x.expand(2, -1, 4), lambda x: np.broadcast_to(x, (2, 3, 4)), ((N, (3, 1)),)),
    Case("expand_as", lambda a, b: a.expand_as(b) * b, lambda a, b: a * b, ((N, (1, 4)), (N, (3, 4)))),
    Case("broadcast_to (3,1)->(2,3,4)", lambda x: x.broadcast_to((2, 3, 4)), lambda x: np.broadcast_to(x, (2, 3, 4)),
         ((N, (3, 1)),)),
    Case("broadcast_to 0-d->(2,3)", lambda x: F.broadcast_to(x, (2, 3)), lambda x: np.broadcast_to(x, (2, 3)),
         ((N, ()),)),
    # activations (log_sigmoid and softplus also see |x| up to about 8)
    Case("relu", F.relu, lambda x: np.maximum(x, 0), ((Z, (3, 4)),)),
    Case("leaky_relu 0.2", lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x), ((Z, (3, 4)),)),
    Case("leaky_relu default", F.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x), ((Z, (3, 4)),)),
    Case("leaky_relu 1.5", lambda x: F.leaky_relu(x, 1.5), lambda x: np.where(x > 0, x, 1.5 * x), ((Z, (3, 4)),)),
    Case("leaky_relu -0.3", lambda x: F.leaky_relu(x, -0.3), lambda x: np.where(x > 0, x, -0.3 * x), ((Z, (3, 4)),)),
    Case("sigmoid", F.sigmoid, np_sigmoid, ((N, (3, 4)),)),
    Case("sigmoid 0-d", lambda x: x.sigmoid(), np_sigmoid, ((N, ()),)),
    Case("sigmoid_simple", F.sigmoid_simple, np_sigmoid, ((N, (3, 4)),)),
    Case("log_sigmoid", lambda x: F.log_sigmoid(4 * x), lambda x: np.log(np_sigmoid(4 * x)), ((N, (3, 4)),)),
    Case("tanh", F.tanh, np.tanh, ((N, (3, 4)),)),
    Case("softplus", lambda x: F.softplus(4 * x), lambda x: np.log1p(np.exp(4 * x)), ((N, (3, 4)),)),
    Case("softmax axis=-1", F.softmax, lambda x: np_softmax(x, -1), ((N, (3, 4)),)),
    Case("softmax axis=0", lambda x: F.softmax(x, axis=0), lambda x: np_softmax(x, 0), ((N, (3, 4)),)),
    Case("log_softmax axis=-1", F.log_softmax, lambda x: np.log(np_softmax(x, -1)), ((N, (3, 4)),)),
    Case("log_softmax axis=1 of 3-D", lambda x: F.log_softmax(x, axis=1), lambda x: np.log(np_softmax(x, 1)),
         ((N, (2, 3, 2)),)),
    # layers
    Case("linear", F.linear, lambda x, w, b: x @ w.T + b, ((N, (5, 3)), (N, (4, 3)), (N, (4,)))),
    Case("linear no bias", F.linear, lambda x, w: x @ w.T, ((N, (5, 3)), (N, (4, 3)))),
    Case("linear 1-D input", F.linear, lambda x, w, b: w @ x + b, ((N, (3,)), (N, (4, 3)), (N, (4,)))),
    Case("linear 3-D input", F.linear, lambda x, w, b: x @ w.T + b, ((N, (2, 3, 3)), (N, (4, 3)), (N, (4,)))),
    Case("dropout eval", lambda x: F.dropout(x, 0.5, training=False), lambda x: x, ((N, (3, 4)),)),
    Case("batch_norm train (N,C)", lambda x, w, b: F.batch_norm(x, weight=w, bias=b), np_batch_norm_train,
         ((N, (6, 3)), (N, (3,)), (N, (3,)))),
    Case("batch_norm train (N,C,H,W)", lambda x, w, b: F.batch_norm(x, None, None, w, b), np_batch_norm_train,
         ((N, (3, 2, 2, 2)), (N, (2,)), (N, (2,)))),
    Case("batch_norm_simple (N,C,H,W)", F.batch_norm_simple, np_batch_norm_train,
         ((N, (3, 2, 2, 2)), (N, (2,)), (N, (2,)))),
    Case("batch_norm eval", batch_norm_eval,
         lambda x, w, b: np_batch_norm(x, RUNNING_MEAN.reshape(1, 3), RUNNING_VAR.reshape(1, 3), w, b),
         ((N, (4, 3)), (N, (3,)), (N, (3,)))),
    # losses, each reduction; the target is an input too (losses are differentiable in it)
    *loss_cases("binary_cross_entropy", F.binary_cross_entropy,
                lambda p, y: -(y * np.log(p) + (1 - y) * np.log(1 - p)), ((U, (4, 2)), (U, (4, 2)))),
    *loss_cases("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits,
                lambda x, y: -(y * np.log(np_sigmoid(x)) + (1 - y) * np.log(1 - np_sigmoid(x))),
                ((N, (4, 2)), (U, (4, 2)))),
    *loss_cases("mse_loss", F.mse_loss, lambda p, y: (p - y) ** 2, ((N, (4, 2)), (N, (4, 2)))),
    *loss_cases("l1_loss", F.l1_loss, lambda p, y: np.abs(p - y), ((D, (4, 2)), (S, (4, 2)))),
]

PARAMS = [pytest.param(case, id=case.name) for case in CASES]


@pytest.mark.parametrize("case", PARAMS)
def test_forward_matches_numpy_and_keeps_float32(case, device):
    xp = backend.module_for(device)
    arrays = [a.astype(np.float32) for a in case.arrays()]
    xs = [mg.tensor(a, requires_grad=True, device=device) for a in arrays]
    out = case.op(*xs)
    expected = case.ref(*[a.astype(np.float64) for a in arrays])
    assert isinstance(out.data, xp.ndarray), f"{type(out.data)} instead of an array"
    assert out.dtype == np.float32 and out.device == device
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-5)

    out.backward(mg.ones(out.shape, device=device))
    for x in xs:
        assert isinstance(x.grad.data, xp.ndarray)
        assert x.grad.dtype == np.float32 and x.grad.shape == x.shape and x.grad.device == device


@pytest.mark.parametrize("case", PARAMS)
def test_gradcheck_first_order(case, device):
    assert mg.gradcheck(case.op, case.arrays(), device=device)


@pytest.mark.parametrize("case", PARAMS)
def test_gradcheck_second_order(case, device):
    assert mg.gradcheck(case.op, case.arrays(), order=2, device=device)


# ---------------------------------------------------------------- Python numbers and NumPy 2 promotion
BINARY = {
    "+": (lambda a, b: a + b, np.add),
    "-": (lambda a, b: a - b, np.subtract),
    "*": (lambda a, b: a * b, np.multiply),
    "/": (lambda a, b: a / b, np.divide),
    "**": (lambda a, b: a**b, np.power),
    "maximum": (F.maximum, np.maximum),
    "minimum": (F.minimum, np.minimum),
}


@pytest.mark.parametrize("shape", [(3,), ()], ids=["(3,)", "0-d"])
@pytest.mark.parametrize("scalar", [2, 2.5, np.float64(2.5), np.int64(2)], ids=repr)
@pytest.mark.parametrize("name", BINARY)
def test_numbers_on_either_side_keep_float32(name, scalar, shape, device):
    """NumPy 2 would turn float32 ⊕ np.float64 into float64; minigan casts the number to the tensor's dtype."""
    op, np_op = BINARY[name]
    values = np.full(shape, 1.5)
    x = mg.tensor(values, device=device)
    for out, expected in ((op(x, scalar), np_op(values, scalar)), (op(scalar, x), np_op(scalar, values))):
        assert out.dtype == np.float32 and out.shape == shape
        assert isinstance(out.data, backend.module_for(device).ndarray)
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


def test_numpy_array_on_the_left_gives_a_tensor():
    out = np.ones(3, dtype=np.float32) * mg.tensor([1.0, 2.0, 3.0], requires_grad=True, device="cpu")
    assert isinstance(out, mg.Tensor) and out.creator is not None
    np.testing.assert_array_equal(out.numpy(), [1, 2, 3])


# ---------------------------------------------------------------- behaviour the table cannot show
def test_repeated_indices_add_their_gradients(device):
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[np.array([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3, 0, 1])


def test_max_shares_the_gradient_among_ties(device):
    x = mg.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]], requires_grad=True)
    F.max(x, axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0.5, 0.5], [1, 0, 0]])


@pytest.mark.parametrize("op", [F.sigmoid, F.log_sigmoid, F.softplus, F.tanh, F.softmax, F.log_softmax,
                                lambda x: F.binary_cross_entropy_with_logits(x, mg.ones(x.shape))])
def test_stable_for_large_inputs(op, device):
    x = mg.tensor([-200.0, -30.0, 0.0, 30.0, 200.0], requires_grad=True)
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow to 0 is harmless
        out = op(x)
        out.backward(mg.ones(out.shape))
    assert np.all(np.isfinite(out.numpy())) and np.all(np.isfinite(x.grad.numpy()))


def test_sigmoid_keeps_relative_precision_in_the_tails(device):
    x = np.linspace(-80, 80, 321).astype(np.float32)
    y = F.sigmoid(mg.tensor(x)).numpy()
    np.testing.assert_allclose(y, np_sigmoid(x.astype(np.float64)), rtol=1e-6)


def test_binary_cross_entropy_of_a_saturated_probability_is_finite(device):
    """A float32 sigmoid rounds to exactly 0 or 1 for large |logit|: the loss clamps each log at −100
    and the gradient (p − y) / max(p (1 − p), 1e−12) stays finite, as in PyTorch."""
    p = mg.tensor([0.0, 1.0, 1.0, 0.5], requires_grad=True)
    loss = F.binary_cross_entropy(p, mg.tensor([1.0, 0.0, 1.0, 1.0]), reduction="none")
    np.testing.assert_allclose(loss.numpy(), [100, 100, 0, np.log(2)], rtol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(p.grad.numpy(), [-1e12, 1e12, 0, -2], rtol=1e-6)


def test_loss_rejects_unknown_reduction_and_shape_mismatch():
    with pytest.raises(ValueError, match="mse_loss.*'avg'"):
        F.mse_loss(mg.zeros(3), mg.zeros(3), reduction="avg")
    with pytest.raises(ValueError, match=r"l1_loss: target shape \(4,\) differs from prediction shape \(3,\)"):
        F.l1_loss(mg.zeros(3), mg.zeros(4))


def seeded_dropout(x, p=0.25):
    mg.manual_seed(7)  # the same mask at every call, so finite differences see one function
    return F.dropout(x, p)


def test_dropout_zeroes_a_fraction_p_and_scales_the_rest(device):
    p = 0.25
    x = mg.tensor(np.random.default_rng(0).uniform(1, 2, 40_000), requires_grad=True)
    y = seeded_dropout(x, p)
    kept = y.numpy() != 0
    # 40,000 coin flips: the dropped fraction is p within 4 standard deviations
    assert abs((1 - kept.mean()) - p) < 4 * np.sqrt(p * (1 - p) / kept.size)
    np.testing.assert_allclose(y.numpy()[kept], x.numpy()[kept] / (1 - p), rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / (1 - p), rtol=1e-6)
    np.testing.assert_array_equal(seeded_dropout(x, p).numpy(), y.numpy())
    assert y.dtype == np.float32


def test_dropout_gradcheck_and_argument_check():
    assert mg.gradcheck(seeded_dropout, [np.random.default_rng(0).standard_normal((3, 4))], order=2)
    with pytest.raises(ValueError, match="dropout: p must be in"):
        F.dropout(mg.zeros(3), p=1.0)


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 2, 2)])
def test_batch_norm_running_statistics(shape, device):
    """r ← (1 − momentum) r + momentum · statistic, with the unbiased batch variance; eval uses r."""
    x_np = np.random.default_rng(0).standard_normal(shape).astype(np.float32) * 2 + 1
    axes = (0,) + tuple(range(2, len(shape)))
    running_mean, running_var = mg.zeros(3), mg.ones(3)
    x = mg.tensor(x_np)
    F.batch_norm(x, running_mean, running_var, training=True, momentum=0.1)
    F.batch_norm(x, running_mean, running_var, training=True, momentum=0.1)
    mean, var = x_np.mean(axis=axes, dtype=np.float64), x_np.var(axis=axes, ddof=1, dtype=np.float64)
    np.testing.assert_allclose(running_mean.numpy(), (1 - 0.9**2) * mean, rtol=1e-5)
    np.testing.assert_allclose(running_var.numpy(), 0.9**2 + (1 - 0.9**2) * var, rtol=1e-5)
    assert running_mean.dtype == running_var.dtype == np.float32

    y = F.batch_norm(x, running_mean, running_var, training=False)
    stat = (1, 3) + (1,) * (len(shape) - 2)
    expected = np_batch_norm(x_np.astype(np.float64), running_mean.numpy().reshape(stat),
                             running_var.numpy().reshape(stat), np.ones(3), np.zeros(3))
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="evaluation mode needs running_mean"):
        F.batch_norm(x, training=False)


# ---------------------------------------------------------------- each fast path agrees with its plain twin
def test_sigmoid_agrees_with_sigmoid_simple(device):
    x = np.linspace(-30, 30, 61)
    for dtype in (np.float32, np.float64):
        fast, plain = mg.tensor(x, dtype=dtype, requires_grad=True), mg.tensor(x, dtype=dtype, requires_grad=True)
        y_fast, y_plain = F.sigmoid(fast), F.sigmoid_simple(plain)
        np.testing.assert_allclose(y_fast.numpy(), y_plain.numpy(), rtol=1e-6 if dtype == np.float32 else 1e-14)
        (y_fast * y_fast).sum().backward()
        (y_plain * y_plain).sum().backward()
        # 1 − σ cancels near σ = 1: compare on the gradient's scale (its largest value is about 0.15)
        atol = 1e-6 if dtype == np.float32 else 1e-14
        np.testing.assert_allclose(fast.grad.numpy(), plain.grad.numpy(), rtol=1e-5, atol=atol)


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5), (4, 3, 2, 2)])
def test_batch_norm_agrees_with_batch_norm_simple(shape, device):
    """The one-op BatchNorm (fused kernels on the GPU) against the twelve plain ops, values and gradients,
    first and second order."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(shape) * 2 + 1, rng.standard_normal(3), rng.standard_normal(3)]
    fast = [mg.tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
    plain = [mg.tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
    y_fast, y_plain = F.batch_norm(*fast[:1], None, None, *fast[1:]), F.batch_norm_simple(*plain)
    np.testing.assert_allclose(y_fast.numpy(), y_plain.numpy(), rtol=1e-12, atol=1e-12)
    w = mg.tensor(rng.standard_normal(shape), dtype=np.float64)
    for xs, y in ((fast, y_fast), (plain, y_plain)):
        (g,) = mg.grad((y * w).sum(), [xs[0]], create_graph=True)
        (g * g).sum().backward()
    for a, b in zip(fast[:2], plain[:2]):  # (β drops out of the gradient in x: it gets no second-order one)
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-9)


# ---------------------------------------------------------------- numeric edges (PyTorch's answers)
def test_logsumexp_of_infinite_rows(device):
    inf = np.inf
    x = mg.tensor([[-inf, -inf], [inf, 1.0], [inf, -inf], [0.0, np.log(3.0)]])
    with np.errstate(divide="ignore"):  # log 0 = −∞ is the answer for the first row
        np.testing.assert_allclose(F.logsumexp(x, axis=1).numpy(), [-inf, inf, inf, np.log(4.0)], rtol=1e-6)


def test_pow_gradient_in_the_exponent_is_zero_where_the_base_is_zero(device):
    a = mg.tensor([0.0, 0.0, 2.0], requires_grad=True)
    b = mg.tensor([2.0, 0.0, 3.0], requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        (a**b).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), [0.0, 0.0, 8 * np.log(2.0)], rtol=1e-6)
    np.testing.assert_allclose(a.grad.numpy(), [0.0, 0.0, 12.0], rtol=1e-6)
    assert np.isfinite(b.grad.numpy()).all()


def test_max_gradient_goes_to_the_nan_of_a_row(device):
    x = mg.tensor([[1.0, np.nan, 3.0], [2.0, 5.0, 1.0]], requires_grad=True)
    y = F.max(x, axis=1)
    assert np.isnan(y.numpy()[0]) and y.numpy()[1] == 5
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [0, 1, 0]])


@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_and_argmin_are_numpys_indices_as_int64_tensors_without_gradient(op, device):
    values = np.random.default_rng(6).standard_normal((3, 4, 5)).astype(np.float32)
    values[0, 0, :2] = values[0, 0].max() + 1 if op == "argmax" else values[0, 0].min() - 1  # a tie: the first wins
    x = mg.tensor(values, requires_grad=True, device=device)
    find = getattr(np, op)
    for dim in (0, 1, -1):
        index = getattr(x, op)(dim)
        assert index.dtype == np.int64 and index.device == device and not index.requires_grad
        np.testing.assert_array_equal(index.numpy(), find(values, axis=dim))
        kept = getattr(F, op)(x, dim=dim, keepdim=True)
        np.testing.assert_array_equal(kept.numpy(), np.expand_dims(find(values, axis=dim), dim))
    whole = getattr(x, op)()
    assert whole.shape == () and int(whole) == find(values)
    with pytest.raises(ValueError, match=f"{op}: the tensor is empty"):
        getattr(F, op)(mg.zeros(0, device=device))
    with pytest.raises(IndexError, match=f"{op}: dim 3 is out of range"):
        getattr(x, op)(3)


def test_argmax_counts_a_nan_as_the_largest(device):
    x = mg.tensor([[1.0, np.nan, 3.0], [2.0, 5.0, 1.0]], device=device)
    np.testing.assert_array_equal(x.argmax(1).numpy(), [1, 1])


@pytest.mark.parametrize("p", [[0.5, 1.5], [-0.1, 0.5], [np.nan, 0.5]], ids=["above 1", "below 0", "NaN"])
def test_binary_cross_entropy_rejects_p_outside_0_1(p, device):
    with pytest.raises(ValueError, match=r"binary_cross_entropy: p must be a probability, in \[0, 1\]"):
        F.binary_cross_entropy(mg.tensor(p), mg.tensor([1.0, 0.0]))


# ---------------------------------------------------------------- every axis is checked, once, the same way
OUT_OF_RANGE = {
    "cat axis=2": lambda t: F.cat([t, t], axis=2),
    "stack axis=3": lambda t: F.stack([t, t], axis=3),
    "permute(2, 1)": lambda t: t.permute(2, 1),
    "transpose((0, 0))": lambda t: F.transpose(t, (0, 0)),
    "swapaxes(0, 2)": lambda t: F.swapaxes(t, 0, 2),
    "flatten(3)": lambda t: F.flatten(t, 3),
    "flatten end_dim=-3": lambda t: F.flatten(t, 0, -3),
    "sum axis=2": lambda t: t.sum(axis=2),
    "mean axis=(0, -3)": lambda t: t.mean(axis=(0, -3)),
    "max axis=2": lambda t: t.max(axis=2),
    "var axis=5": lambda t: F.var(t, 5),
    "logsumexp axis=2": lambda t: F.logsumexp(t, 2),
    "softmax axis=2": lambda t: F.softmax(t, axis=2),
    "log_softmax axis=-3": lambda t: F.log_softmax(t, axis=-3),
    "nn.Flatten(3)": lambda t: mg.nn.Flatten(3)(t),
    "nn.Unflatten(3, ...)": lambda t: mg.nn.Unflatten(3, (1, 3))(t),
}


@pytest.mark.parametrize("call", OUT_OF_RANGE.values(), ids=OUT_OF_RANGE.keys())
def test_an_axis_out_of_range_is_an_error_not_a_wrap_around(call, device):
    t = mg.ones(2, 3)
    expected = r"out of range for a tensor with [23] dimensions|not a permutation|comes after"
    with pytest.raises(IndexError, match=expected):
        call(t)
    with pytest.raises(ValueError):  # also a ValueError, as NumPy's AxisError is
        call(t)


def test_an_axis_named_twice_is_an_error():
    with pytest.raises(IndexError, match="more than once"):
        mg.ones(2, 3).sum(axis=(1, -1))


def test_numpy_integers_are_taken_as_axes(device):
    t = mg.tensor(np.arange(6.0).reshape(2, 3))
    i = np.int64(1)
    np.testing.assert_array_equal(t.sum(axis=i).numpy(), [3, 12])
    np.testing.assert_array_equal(F.cat([t, t], axis=i).shape, (2, 6))
    np.testing.assert_array_equal(F.softmax(t, axis=np.int32(0)).shape, (2, 3))
    assert t.permute(i, np.int64(0)).shape == (3, 2)
    assert F.flatten(t, np.int64(0)).shape == (6,)



# ---------------------------------------------------------------- PyTorch's spellings
def test_dim_and_keepdim_are_taken_wherever_axis_and_keepdims_are(device):
    x = mg.tensor(np.arange(24.0).reshape(2, 3, 4))
    a = x.numpy()
    np.testing.assert_array_equal(x.sum(dim=1, keepdim=True).numpy(), a.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(F.var(x, dim=(0, 2)).numpy(), a.var(axis=(0, 2), ddof=1), rtol=1e-6)
    np.testing.assert_allclose(x.std(dim=-1).numpy(), a.std(axis=-1, ddof=1), rtol=1e-6)
    np.testing.assert_allclose(x.logsumexp(dim=0).numpy(), np.log(np.exp(a).sum(axis=0)), rtol=1e-6)
    np.testing.assert_allclose(F.softmax(x, dim=1).sum(dim=1).numpy(), np.ones((2, 4)), rtol=1e-6)
    assert F.log_softmax(x, dim=0).shape == (2, 3, 4)
    assert F.cat([x, x], dim=2).shape == (2, 3, 8) and F.stack([x, x], dim=-1).shape == (2, 3, 4, 2)
    with pytest.raises(IndexError, match="out of range"):
        x.sum(dim=3)


def test_transpose_takes_both_numpys_and_pytorchs_arguments():
    x = mg.ones(2, 3, 4)
    assert x.transpose().shape == (4, 3, 2)  # NumPy: reversed
    assert x.transpose((2, 0, 1)).shape == (4, 2, 3) and F.transpose(x, axes=(2, 0, 1)).shape == (4, 2, 3)
    assert x.transpose(0, 1).shape == (3, 2, 4) and x.transpose(-1, 0).shape == (4, 3, 2)  # PyTorch: a swap
    with pytest.raises(TypeError, match="transpose"):
        x.transpose(0, 1, 2)


def test_squeeze_and_unsqueeze_are_views_and_check_their_dim():
    x = mg.ones(2, 1, 3)
    assert x.squeeze(0).shape == (2, 1, 3)  # an axis longer than 1 is left, as in PyTorch
    assert x.unsqueeze(-1).shape == (2, 1, 3, 1) and x.unsqueeze(3).shape == (2, 1, 3, 1)
    with pytest.raises(IndexError):
        x.unsqueeze(5)
    with pytest.raises(IndexError):
        x.squeeze(3)


def test_comparisons_give_boolean_tensors(device):
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    cases = ((x > 1.5, [False, True, True]), (x <= 2, [True, True, False]), (x == 2.0, [False, True, False]),
             (x != x, [False] * 3), (2 < x, [False, False, True]), (x >= mg.tensor([3.0]), [False, False, True]),
             (F.lt(x, 2.0), [True, False, False]))
    for got, expected in cases:
        assert got.dtype == np.bool_ and got.creator is None
        np.testing.assert_array_equal(got.numpy(), expected)
    assert x[x > 1.5].shape == (2,)  # a mask indexes
    assert {x: "hashable by identity"}[x] and x in [x]
